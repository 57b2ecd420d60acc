// LOGOUT_ON_TABS_CLOSED and TITLE_COUNTDOWN: a tab renews the presence lease with passive
// status requests, often enough even when hidden and throttled; a hidden tab's title
// counts down while the warning is due, and the page's title comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, fakeServer } from './harness.mjs';

const MIN = 60_000;
const STATUS = '/auto-logout/status';
const KEEPALIVE = '/auto-logout/keepalive';

test('an open tab renews the lease about every quarter of it, passively, hidden or not', async () => {
  const world = new World();
  fakeServer(world, { idle: 30 * MIN });
  const lease = 2 * MIN;
  const tab = world
    .tab({
      idleMs: String(30 * MIN), idleLimitMs: String(30 * MIN), statusUrl: STATUS, keepaliveUrl: KEEPALIVE,
      presenceMs: String(lease),
    })
    .run();
  await world.advance(3 * MIN);
  tab.hide();
  await world.advance(20 * MIN);
  const statuses = world.requests.filter((r) => r.url === STATUS);
  assert.ok(statuses.every((r) => r.method === 'GET' && r.headers['X-Auto-Logout-Passive'] === '1'), 'never activity');
  assert.equal(world.requests.filter((r) => r.url === KEEPALIVE).length, 0);
  const gaps = statuses.slice(1).map((r, i) => r.at - statuses[i].at);
  // Visible: a quarter of the lease. Hidden for over five minutes: Chromium's one wake-up
  // a minute, still well inside the lease.
  assert.ok(gaps.length >= 20, `${gaps.length} renewals`);
  assert.ok(gaps.slice(0, 5).every((gap) => gap === lease / 4), `visible gaps ${gaps.slice(0, 5)}`);
  assert.ok(Math.max(...gaps) <= MIN, `the longest gap ${Math.max(...gaps)} ms`);
  assert.ok(Math.min(...gaps) >= lease / 4, `the shortest gap ${Math.min(...gaps)} ms`);
});

test('no lease, no renewals: a tab without LOGOUT_ON_TABS_CLOSED asks only at its deadlines', async () => {
  const world = new World();
  fakeServer(world, { idle: 30 * MIN });
  world.tab({ idleMs: String(30 * MIN), idleLimitMs: String(30 * MIN), statusUrl: STATUS }).run();
  await world.advance(20 * MIN);
  assert.equal(world.requests.length, 0);
});

test('TITLE_COUNTDOWN: a hidden tab shows the countdown in its title, then its own title again', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const dataset = {
    idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), statusUrl: STATUS, keepaliveUrl: KEEPALIVE,
    warnMs: String(2 * MIN), titleCountdown: '',
  };
  const tab = world.tab(dataset).run();
  await world.advance(8 * MIN + 100);
  assert.ok(tab.dialog, 'the warning shows');
  assert.equal(tab.document.title, 'Orders', 'a visible tab keeps its title');
  tab.hide();
  await world.advance(1000);
  assert.match(tab.document.title, /^\(1:5\d\) Orders$/);
  await world.advance(30_000);
  assert.match(tab.document.title, /^\(1:[23]\d\) Orders$/);
  tab.show();
  await world.advance(10);
  assert.equal(tab.document.title, 'Orders', 'visible again: its own title');
  tab.hide();
  await world.advance(1000);
  assert.match(tab.document.title, /^\(1:\d\d\) Orders$/);
  // "Stay signed in" closes the warning: the title comes back, hidden or not.
  tab.byClass('auto-logout-warning__button').click();
  await world.advance(100);
  assert.equal(tab.dialog, null);
  assert.equal(tab.document.title, 'Orders');
});

test('without TITLE_COUNTDOWN the title never changes', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world
    .tab({ idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), statusUrl: STATUS, warnMs: String(2 * MIN) })
    .run();
  await world.advance(8 * MIN + 100);
  tab.hide();
  await world.advance(30_000);
  assert.equal(tab.document.title, 'Orders');
});
