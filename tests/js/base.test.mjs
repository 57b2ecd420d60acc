// Deadlines, navigation, the passive status check, fallbacks and sleeping laptops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, MAX_TIMER, alive, goneReply } from './harness.mjs';

const MIN = 60_000;
const DAY = 86_400_000;
const plain = (x) => JSON.parse(JSON.stringify(x));
const STATUS = '/auto-logout/status';
const KEEPALIVE = '/auto-logout/keepalive';
const HERE = 'https://app.example/orders/7?tab=2';

function setup(dataset, opts) {
  const world = new World();
  const tab = world.tab(dataset, opts).run();
  return { world, tab };
}

test('deadlines come from the remaining milliseconds at script run', () => {
  const { tab, world } = setup({ idleMs: String(10 * MIN), sessionMs: String(60 * MIN) });
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: T0 + 10 * MIN, sessionAt: T0 + 60 * MIN });
  assert.equal(world.requests.length, 0);
});

test('a limit that is not configured stays null; nothing at all is armed without limits', () => {
  const a = setup({ sessionMs: '5000' });
  assert.deepEqual(plain(a.tab.api.deadlines()), { idleAt: null, sessionAt: T0 + 5000 });
  const b = setup({});
  assert.deepEqual(plain(b.tab.api.deadlines()), { idleAt: null, sessionAt: null });
  assert.equal(b.world.timers.length, 0);
});

test('without a status URL: to the login page with next= at the deadline plus a small margin', async () => {
  const { tab, world } = setup({ idleMs: String(10 * MIN), loginUrl: '/login' });
  await world.advance(10 * MIN + 24);
  assert.deepEqual(tab.navigations, []);
  await world.advance(1);
  assert.deepEqual(tab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
  assert.equal(world.requests.length, 0);
});

test('a login URL that already has a query gets &next=', async () => {
  const { tab, world } = setup({ idleMs: '1000', loginUrl: '/accounts/login?lang=de' });
  await world.advance(2000);
  assert.deepEqual(tab.navigations, ['/accounts/login?lang=de&next=%2Forders%2F7%3Ftab%3D2']);
});

test('without a login URL: the page is loaded again as a GET, without its #fragment', async () => {
  // The harness throws on location.reload() (it would re-POST) and location.assign().
  const { tab, world } = setup({ idleMs: '1000' });
  await world.advance(1025);
  assert.deepEqual(tab.navigations, [HERE]);
});

test('the smaller limit decides; both are honoured', async () => {
  const { tab, world } = setup({ idleMs: String(30 * MIN), sessionMs: String(5 * MIN), loginUrl: '/login' });
  await world.advance(5 * MIN + 25);
  assert.equal(tab.navigations.length, 1);
});

test('at the deadline it asks status passively; gone -> navigates well within 250 ms', async () => {
  const { tab, world } = setup({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' });
  world.status = () => goneReply('idle');
  await world.advance(10 * MIN + 24);
  assert.equal(world.requests.length, 0, 'no request before the deadline');
  await world.advance(200);
  assert.equal(tab.navigations.length, 1);
  const [req] = world.requests;
  assert.equal(req.url, STATUS);
  assert.equal(req.method, 'GET');
  assert.equal(req.credentials, 'same-origin');
  assert.equal(req.cache, 'no-store');
  assert.deepEqual(req.headers, { 'X-Auto-Logout-Passive': '1' });
  assert.ok(req.at - (T0 + 10 * MIN) <= 25);
  const ev = tab.events.find((e) => e.type === 'auto-logout:logout');
  assert.equal(ev.detail.reason, 'idle');
  assert.ok(ev.at - (T0 + 10 * MIN) <= 250);
});

test('status alive (activity elsewhere) -> adopts the new deadlines and re-arms', async () => {
  const { tab, world } = setup({ idleMs: String(10 * MIN), sessionMs: String(60 * MIN), statusUrl: STATUS, loginUrl: '/login' });
  world.status = () => alive(4 * MIN, 50 * MIN - 25);
  await world.advance(10 * MIN + 25);
  assert.deepEqual(tab.navigations, []);
  const now = T0 + 10 * MIN + 25;
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: now + 4 * MIN, sessionAt: now + 50 * MIN - 25 });
  assert.equal(world.requests.length, 1);
  world.status = () => goneReply('idle');
  await world.advance(4 * MIN + 24);
  assert.equal(world.requests.length, 1, 're-armed for the new deadline, no polling');
  await world.advance(1);
  assert.equal(world.requests.length, 2);
  assert.equal(tab.navigations.length, 1);
});

test('status can also shorten the deadline (the server is the truth), and null drops a limit', async () => {
  const { tab, world } = setup({ idleMs: String(10 * MIN), sessionMs: String(60 * MIN), statusUrl: STATUS });
  world.status = () => alive(null, 2 * MIN);
  await world.advance(10 * MIN + 25);
  const now = T0 + 10 * MIN + 25;
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: null, sessionAt: now + 2 * MIN });
});

test('never sends a keepalive or any non-passive request on its own', async () => {
  const { world } = setup({
    idleMs: String(10 * MIN), sessionMs: String(8 * 60 * MIN), statusUrl: STATUS,
    keepaliveUrl: KEEPALIVE, loginUrl: '/login', warnMs: String(2 * MIN),
  });
  // Activity elsewhere keeps the session alive for hours; this page only ever asks.
  world.status = () => alive(10 * MIN, 60 * MIN);
  world.keepalive = () => assert.fail('keepalive called');
  await world.advance(6 * 60 * MIN);
  assert.ok(world.requests.length > 10);
  for (const r of world.requests) {
    assert.equal(r.method, 'GET');
    assert.equal(r.url, STATUS);
    assert.deepEqual(r.headers, { 'X-Auto-Logout-Passive': '1' });
  }
});

for (const [name, wake] of [
  ['visibilitychange', (tab) => tab.fire('visibilitychange')],
  ['focus', (tab) => tab.fire('focus')],
  ['pageshow (back/forward cache)', (tab) => tab.fire('pageshow', { persisted: true })],
  ['online', (tab) => tab.fire('online')],
]) {
  test(`laptop wakes after the deadline: acts at once on ${name}`, async () => {
    const { tab, world } = setup({ idleMs: String(15 * MIN), statusUrl: STATUS, loginUrl: '/login' });
    world.status = () => goneReply('idle');
    await world.advance(MIN);
    world.sleep(3 * 60 * MIN); // wall clock jumps, timers do not notice
    wake(tab);
    await world.advance(0);
    assert.equal(tab.navigations.length, 1);
    assert.equal(world.requests.length, 1);
  });
}

test('laptop wakes after the deadline with no event: the next timer tick acts', async () => {
  const { tab, world } = setup({ idleMs: String(8 * 60 * MIN), loginUrl: '/login' });
  await world.advance(MIN);
  world.sleep(9 * 60 * MIN);
  await world.advance(60_000);
  assert.equal(tab.navigations.length, 1, 'a tick re-reads the wall clock');
});

test('an event before the deadline does not act early', async () => {
  const { tab, world } = setup({ idleMs: String(15 * MIN), statusUrl: STATUS });
  world.sleep(14 * MIN);
  tab.fire('visibilitychange');
  tab.fire('focus');
  await world.advance(0);
  assert.equal(world.requests.length, 0);
  assert.deepEqual(tab.navigations, []);
});

test('timers never exceed 2^31-1 ms; a deadline 30 days away works', async () => {
  const { tab, world } = setup({ sessionMs: String(30 * DAY), statusUrl: STATUS, loginUrl: '/login' });
  world.status = () => goneReply('session');
  await world.advance(30 * DAY - 1000);
  assert.deepEqual(tab.navigations, []);
  assert.equal(world.requests.length, 0);
  await world.advance(2000);
  assert.equal(tab.navigations.length, 1);
  assert.deepEqual(world.badDelays, []);
  assert.ok(world.maxDelay <= MAX_TIMER, `max delay ${world.maxDelay}`);
});

test('limits beyond the timer range (60 days) are chunked, not overflowed', async () => {
  const { tab, world } = setup({ idleMs: String(60 * DAY) });
  assert.ok(world.timers.every((t) => t.at - world.mono <= MAX_TIMER));
  await world.advance(DAY);
  assert.deepEqual(tab.navigations, [], 'an overflowed setTimeout would fire at once');
  assert.deepEqual(world.badDelays, []);
});

for (const [name, reply] of [
  ['a network error', 'network'],
  ['a 500', { status: 500, body: { error: 'boom' } }],
  ['a 401', { status: 401, body: { error: 'session_expired', reason: 'idle' } }],
  ['a non-JSON body', 'text'],
  ['JSON of another shape', { ok: 1 }],
]) {
  test(`status failing (${name}): a few short retries, then the no-status fallback`, async () => {
    const { tab, world } = setup({ idleMs: String(MIN), statusUrl: STATUS, loginUrl: '/login' });
    world.status = () => reply;
    await world.advance(MIN + 25);
    assert.equal(world.requests.length, 1);
    assert.deepEqual(tab.navigations, []);
    await world.advance(2000);
    assert.equal(world.requests.length, 3);
    assert.ok(world.requests.every((r) => r.method === 'GET' && r.headers['X-Auto-Logout-Passive'] === '1'));
    assert.deepEqual(tab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
  });
}

test('status that never answers times out and falls back too', async () => {
  const { tab, world } = setup({ idleMs: String(MIN), statusUrl: STATUS });
  world.status = () => 'hang';
  await world.advance(MIN + 20_000);
  assert.equal(world.requests.length, 3);
  assert.deepEqual(tab.navigations, [HERE]);
});

test('a retry that gets an answer uses it', async () => {
  const { tab, world } = setup({ idleMs: String(MIN), statusUrl: STATUS });
  let n = 0;
  world.status = () => (n++ === 0 ? 'network' : alive(5 * MIN));
  await world.advance(MIN + 2000);
  assert.deepEqual(tab.navigations, []);
  assert.equal(world.requests.length, 2);
  assert.ok(tab.api.deadlines().idleAt > T0 + 5 * MIN);
});

test('wake-up events during a status request do not send a second one', async () => {
  const { tab, world } = setup({ idleMs: String(MIN), statusUrl: STATUS });
  world.status = () => 'hang';
  await world.advance(MIN + 25);
  tab.fire('focus');
  tab.fire('visibilitychange');
  await world.advance(100);
  assert.equal(world.requests.length, 1);
});

test('finds its tag with querySelector when currentScript is null', async () => {
  const { tab, world } = setup({ idleMs: '1000', loginUrl: '/login' }, { currentScript: false });
  await world.advance(1025);
  assert.equal(tab.navigations.length, 1);
});

test('a second copy of the script on the page does nothing', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: '1000', statusUrl: STATUS }).run().run();
  world.status = () => goneReply();
  await world.advance(1100);
  assert.equal(world.requests.length, 1);
  assert.equal(tab.navigations.length, 1);
});

test('only one frozen global: window.autoLogout', () => {
  const { tab } = setup({ idleMs: '1000' });
  const added = Object.keys(tab.sandbox).filter((k) => !tab.globalsBefore.includes(k));
  assert.deepEqual(added, ['autoLogout']);
  assert.ok(Object.isFrozen(tab.api));
  assert.throws(() => {
    'use strict';
    tab.api.deadlines = null;
  });
});

test('malformed numbers are ignored, negative ones count as zero', () => {
  const { tab } = setup({ idleMs: 'soon', sessionMs: '-5' });
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: null, sessionAt: T0 });
});

test("status gone with a hook's login location: this tab goes there, other tabs to the login page", async () => {
  const world = new World();
  const IDP = 'https://idp.example/logout?client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Flogin';
  const other = world.tab({ idleMs: String(30 * MIN), loginUrl: '/login' }).run();
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }).run();
  world.status = () => ({ active: false, reason: 'idle', login: IDP });
  await world.advance(10 * MIN + 24);
  assert.deepEqual(tab.navigations, []);
  await world.advance(200);
  assert.deepEqual(tab.navigations, [IDP]);
  assert.equal(tab.events.find((e) => e.type === 'auto-logout:logout').detail.reason, 'idle');
  // The location is the server's answer to this tab only: the message to other tabs
  // carries none, and they go to their own same-site login page.
  assert.deepEqual(other.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
  // Without a login location: LOGIN_URL as before.
  const plainWorld = new World();
  const plainTab = plainWorld.tab({ idleMs: String(MIN), statusUrl: STATUS, loginUrl: '/login' }).run();
  plainWorld.status = () => goneReply('idle');
  await plainWorld.advance(MIN + 225);
  assert.deepEqual(plainTab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
});
