// The warning before logout: accessible dialog, spoken countdown, "stay signed in",
// the informational variant for the absolute limit, DOM events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, fakeServer } from './harness.mjs';

const MIN = 60_000;
const STATUS = '/auto-logout/status';
const KEEPALIVE = '/auto-logout/keepalive';
const plain = (x) => JSON.parse(JSON.stringify(x));

const full = (extra = {}) => ({
  idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), statusUrl: STATUS, keepaliveUrl: KEEPALIVE, loginUrl: '/login',
  warnMs: String(2 * MIN), ...extra,
});

// A page with a focused text field, its script started, a server that agrees with it.
function page(dataset = full(), limits = { idle: 10 * MIN }, opts) {
  const world = new World();
  const server = fakeServer(world, limits);
  const tab = world.tab(dataset, opts);
  const input = tab.document.body.appendChild(tab.document.createElement('input'));
  input.focus();
  tab.run();
  return { world, server, tab, input };
}

const live = (tab) => tab.document.body.find((e) => e.getAttribute('aria-live') === 'polite');

test('the warning is an accessible alertdialog, with focus moved into it', async () => {
  const { world, tab, input } = page();
  await world.advance(8 * MIN - 1);
  assert.equal(tab.dialog, null, 'not before WARN_BEFORE');
  await world.advance(1);
  const dlg = tab.dialog;
  assert.ok(dlg, 'shown WARN_BEFORE ahead of the deadline');
  assert.equal(dlg.className, 'auto-logout-warning');
  assert.equal(dlg.getAttribute('tabindex'), '-1');
  const title = tab.document.getElementById(dlg.getAttribute('aria-labelledby'));
  const text = tab.document.getElementById(dlg.getAttribute('aria-describedby'));
  assert.ok(dlg.contains(title) && dlg.contains(text));
  assert.equal(title.className, 'auto-logout-warning__title');
  assert.equal(title.textContent, 'Your session is about to end');
  assert.equal(text.className, 'auto-logout-warning__text');
  assert.match(text.textContent, /inactivity/);
  const button = tab.byClass('auto-logout-warning__button');
  assert.equal(button.tagName, 'BUTTON');
  assert.equal(button.getAttribute('type'), 'button');
  assert.equal(button.textContent, 'Stay signed in');
  assert.equal(tab.document.activeElement, button, 'focus on the stay button');
  assert.notEqual(tab.document.activeElement, input);
  const region = live(tab);
  assert.ok(dlg.contains(region));
  assert.deepEqual(region.classList, ['auto-logout-visually-hidden']);
  const clock = tab.byClass('auto-logout-warning__time');
  assert.equal(clock.getAttribute('aria-hidden'), 'true');
  assert.equal(clock.getAttribute('aria-live'), null);
  // A passive status check came first, so activity elsewhere would have been noticed.
  assert.equal(world.requests.length, 1);
  assert.equal(world.requests[0].method, 'GET');
  // The live region is in the page, empty, before its first text arrives.
  assert.equal(region.textContent, '');
  await world.advance(100);
  assert.equal(clock.textContent, '2:00');
  assert.equal(region.textContent, 'in 2 minutes');
});

test('countdown: visible every second, announced at whole minutes then every 20 s', async () => {
  const { world, tab } = page(full({ warnMs: String(5 * MIN) }));
  await world.advance(5 * MIN);
  const region = live(tab);
  const clock = tab.byClass('auto-logout-warning__time');
  assert.equal(region.textContent, '', 'the live region starts empty');
  await world.advance(5 * MIN - 1);
  assert.deepEqual(region.history, [
    'in 5 minutes', 'in 4 minutes', 'in 3 minutes', 'in 2 minutes', 'in 60 seconds', 'in 40 seconds', 'in 20 seconds',
  ]);
  assert.equal(clock.history.length, 5 * 60, 'one visible update per second');
  assert.deepEqual(clock.history.slice(0, 3), ['5:00', '4:59', '4:58']);
  assert.equal(clock.history.at(-1), '0:01');
});

test('a two-minute countdown is announced four times, never every second', async () => {
  const { world, tab } = page();
  await world.advance(8 * MIN);
  await world.advance(2 * MIN - 1);
  assert.deepEqual(live(tab).history, ['in 2 minutes', 'in 60 seconds', 'in 40 seconds', 'in 20 seconds']);
});

for (const [how, act] of [
  ['the stay button', (tab) => tab.byClass('auto-logout-warning__button').click()],
  ['Escape', (tab) => tab.document.activeElement.dispatchEvent({ type: 'keydown', key: 'Escape' })],
]) {
  test(`${how} posts keepalive, adopts and broadcasts the deadlines, closes, restores focus`, async () => {
    const { world, tab, input, server } = page();
    const other = world.tab(full()).run(); // a second tab of the same session
    await world.advance(9 * MIN);
    assert.ok(tab.dialog);
    const before = world.requests.length;
    act(tab);
    await world.advance(0);
    const posts = world.requests.slice(before).filter((r) => r.method !== 'GET');
    assert.equal(posts.length, 1);
    // The other tab heard of the extension and checked it with the server, passively.
    assert.deepEqual(world.requests.slice(before).filter((r) => r.method === 'GET').map((r) => [r.tab, r.url]), [[other, STATUS]]);
    const [req] = posts;
    assert.equal(req.url, KEEPALIVE);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['X-Auto-Logout'], '1');
    // The user asks to stay: activity now, no input age.
    assert.deepEqual(Object.keys(req.headers), ['X-Auto-Logout']);
    assert.equal(req.credentials, 'same-origin');
    assert.equal(server.keepalives, 1);
    assert.equal(tab.dialog, null, 'closed');
    assert.equal(tab.document.activeElement, input, 'focus back where it was');
    assert.equal(tab.api.deadlines().idleAt, T0 + 19 * MIN);
    assert.equal(other.api.deadlines().idleAt, T0 + 19 * MIN, 'the other tab moved too');
    assert.equal(other.dialog, null);
    assert.deepEqual(tab.eventTypes(), ['warning', 'extended']);
    await world.advance(10 * MIN);
    assert.deepEqual(tab.navigations, [], 'still signed in at the old deadline');
    assert.ok(tab.dialog, 'warned again before the new deadline');
  });
}

test('focus is not pulled back if the user moved it elsewhere meanwhile', async () => {
  const { world, tab, input } = page();
  const other = tab.document.body.appendChild(tab.document.createElement('textarea'));
  await world.advance(9 * MIN);
  other.focus();
  tab.api.stay();
  await world.advance(0);
  assert.equal(tab.dialog, null);
  assert.equal(tab.document.activeElement, other);
  assert.notEqual(tab.document.activeElement, input);
});

test('absolute limit first: the dialog only informs; no stay button, Escape just closes', async () => {
  const { world, tab, input, server } = page(
    full({ idleMs: String(30 * MIN), sessionMs: String(10 * MIN) }),
    { idle: 30 * MIN, session: 10 * MIN },
  );
  await world.advance(8 * MIN);
  const dlg = tab.dialog;
  assert.ok(dlg);
  assert.equal(tab.byClass('auto-logout-warning__button'), null);
  assert.equal(tab.document.activeElement, dlg, 'focus on the dialog itself');
  assert.match(tab.document.getElementById(dlg.getAttribute('aria-describedby')).textContent, /time limit/);
  assert.equal(tab.events[0].detail.reason, 'session');
  const n = world.requests.length;
  dlg.dispatchEvent({ type: 'keydown', key: 'Escape' });
  await world.advance(0);
  assert.equal(tab.dialog, null);
  assert.equal(world.requests.length, n, 'no request');
  assert.equal(tab.document.activeElement, input);
  await world.advance(MIN);
  assert.equal(tab.dialog, null, 'not shown again for the same deadline');
  await world.advance(MIN + 100);
  assert.equal(tab.navigations.length, 1);
  assert.equal(server.keepalives, 0);
  assert.ok(world.requests.every((r) => r.method === 'GET'));
});

test('no keepalive URL: no stay button, Escape closes, nothing is posted', async () => {
  const { world, tab } = page(full({ keepaliveUrl: undefined }));
  await world.advance(8 * MIN);
  assert.ok(tab.dialog);
  assert.equal(tab.byClass('auto-logout-warning__button'), null);
  tab.dialog.dispatchEvent({ type: 'keydown', key: 'Escape' });
  tab.api.stay();
  await world.advance(0);
  assert.equal(tab.dialog, null);
  assert.ok(world.requests.every((r) => r.method === 'GET'));
});

test('other keys do nothing', async () => {
  const { world, tab } = page();
  await world.advance(8 * MIN);
  tab.document.activeElement.dispatchEvent({ type: 'keydown', key: 'Enter' });
  tab.document.activeElement.dispatchEvent({ type: 'keydown', key: 'a' });
  await world.advance(0);
  assert.ok(tab.dialog);
  assert.ok(world.requests.every((r) => r.method === 'GET'));
});

test('another tab extending the session closes an open warning', async () => {
  const { world, tab, input, server } = page();
  await world.advance(9 * MIN);
  assert.ok(tab.dialog);
  server.touch(); // a page load in another tab: activity, and it tells the others
  world.tab(full()).run();
  await world.advance(0);
  assert.equal(tab.dialog, null);
  assert.equal(tab.document.activeElement, input);
  assert.deepEqual(tab.eventTypes(), ['warning', 'extended']);
  assert.equal(tab.api.deadlines().idleAt, T0 + 19 * MIN);
});

test('an earlier deadline from another tab leaves the warning as it is', async () => {
  const { world, tab } = page();
  await world.advance(9 * MIN);
  world.tab(full({ idleMs: String(30_000) })).run();
  await world.advance(0);
  assert.ok(tab.dialog);
  assert.equal(tab.api.deadlines().idleAt, T0 + 10 * MIN);
});

test('activity elsewhere found at warning time: no warning, the new deadline is adopted', async () => {
  const { world, tab, server } = page();
  await world.advance(5 * MIN);
  server.touch(); // e.g. an XHR of this page, which the script cannot see
  await world.advance(3 * MIN);
  assert.equal(tab.dialog, null);
  assert.equal(tab.api.deadlines().idleAt, T0 + 15 * MIN);
  assert.deepEqual(tab.eventTypes(), ['extended']);
  await world.advance(5 * MIN);
  assert.ok(tab.dialog, 'warned before the real deadline');
});

test('status failing at warning time still shows the warning', async () => {
  const { world, tab } = page();
  world.status = () => 'network';
  await world.advance(8 * MIN);
  assert.ok(tab.dialog);
  assert.equal(world.requests.length, 1, 'no retries before a warning');
});

test('events in order; before-logout is synchronous, before navigating', async () => {
  const { world, tab } = page();
  const seen = [];
  tab.document.addEventListener('auto-logout:before-logout', (e) => seen.push(['before', tab.navigations.length, e.detail.reason]));
  tab.document.addEventListener('auto-logout:logout', () => seen.push(['logout', tab.navigations.length]));
  await world.advance(10 * MIN + 100);
  assert.deepEqual(tab.eventTypes(), ['warning', 'before-logout', 'logout']);
  assert.deepEqual(seen, [['before', 0, 'idle'], ['logout', 0]]);
  assert.deepEqual(tab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
  const [warning] = tab.events;
  assert.deepEqual(plain(warning.detail), { reason: 'idle', idleAt: T0 + 10 * MIN, sessionAt: null });
  assert.equal(warning.at, T0 + 8 * MIN);
});

test('keepalive failing: the warning stays and the logout still happens on time', async () => {
  const { world, tab } = page();
  await world.advance(9 * MIN);
  world.keepalive = () => ({ status: 500, body: {} });
  tab.byClass('auto-logout-warning__button').click();
  await world.advance(0);
  assert.ok(tab.dialog);
  assert.deepEqual(tab.navigations, []);
  await world.advance(MIN + 100);
  assert.equal(tab.navigations.length, 1);
});

test('keepalive answering "gone" logs out at once', async () => {
  const { world, tab } = page();
  await world.advance(9 * MIN);
  world.keepalive = () => ({ active: false, reason: 'idle' });
  tab.byClass('auto-logout-warning__button').click();
  await world.advance(0);
  assert.equal(tab.navigations.length, 1);
});

test('texts and class name come from the tag', async () => {
  const { world, tab } = page(full({
    warnTitle: 'Noch da?', warnIdleText: 'Sie werden wegen Inaktivität abgemeldet.',
    warnStayLabel: 'Angemeldet bleiben', warnClass: 'my-warn',
  }));
  await world.advance(8 * MIN);
  const dlg = tab.dialog;
  assert.equal(dlg.className, 'my-warn');
  assert.equal(tab.byClass('my-warn__title').textContent, 'Noch da?');
  assert.equal(tab.byClass('my-warn__text').textContent, 'Sie werden wegen Inaktivität abgemeldet.');
  assert.equal(tab.byClass('my-warn__button').textContent, 'Angemeldet bleiben');
  assert.ok(tab.byClass('my-warn__time'));
  const s = page(full({ sessionMs: String(5 * MIN), warnSessionText: 'Zeitlimit erreicht.' }), { idle: 10 * MIN, session: 5 * MIN });
  await s.world.advance(3 * MIN);
  assert.equal(s.tab.byClass('auto-logout-warning__text').textContent, 'Zeitlimit erreicht.');
});

test('the announcement follows the page language', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(full());
  tab.document.documentElement.lang = 'de';
  tab.run();
  await world.advance(8 * MIN + 1000);
  assert.equal(live(tab).textContent, 'in 2 Minuten');
});

test('no warning without WARN_BEFORE', async () => {
  const { world, tab } = page(full({ warnMs: undefined }));
  await world.advance(10 * MIN);
  assert.equal(tab.dialog, null);
  assert.equal(world.requests.length, 0);
});

test('a warning longer than the limit shows at once', async () => {
  const { world, tab } = page(full({ idleMs: String(MIN) }), { idle: MIN });
  await world.advance(100);
  assert.ok(tab.dialog);
  assert.equal(tab.byClass('auto-logout-warning__time').textContent, '1:00');
});

test('a later warning is announced from its start again', async () => {
  const { world, tab } = page();
  await world.advance(8 * MIN + 1000);
  assert.deepEqual(live(tab).history, ['in 2 minutes']);
  tab.api.stay(); // extended right after the first announcement
  await world.advance(0);
  assert.equal(tab.dialog, null);
  await world.advance(8 * MIN + 1000);
  assert.deepEqual(live(tab).history, ['in 2 minutes'], 'the new dialog speaks from its first step');
});

test('staying signed in until the absolute limit is next: the dialog turns informational', async () => {
  const { world, tab } = page(full({ sessionMs: String(11 * MIN) }), { idle: 10 * MIN, session: 11 * MIN });
  await world.advance(8 * MIN);
  assert.ok(tab.byClass('auto-logout-warning__button'), 'idle ends first: stay is offered');
  await world.advance(MIN);
  tab.byClass('auto-logout-warning__button').click();
  await world.advance(0);
  assert.ok(tab.dialog, 'the session ends in a minute: still warned');
  assert.equal(tab.byClass('auto-logout-warning__button'), null, 'but nothing to extend');
  assert.match(tab.byClass('auto-logout-warning__text').textContent, /time limit/);
  assert.deepEqual(tab.events.map((e) => [e.type.slice(12), e.detail.reason]), [
    ['warning', 'idle'], ['extended', null], ['warning', 'session'],
  ]);
});

test('a user active through requests the script cannot see is never warned about idle', async () => {
  const { world, tab, server } = page(full({ idleMs: '4000', warnMs: '2000', sessionMs: '30000' }), { idle: 4000, session: 30_000 });
  for (let t = 0; t < 29_600; t += 400) {
    await world.advance(400);
    server.touch(); // an XHR of the page every 400 ms
  }
  const warnings = tab.events.filter((e) => e.type === 'auto-logout:warning');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].detail.reason, 'session');
  assert.equal(warnings[0].at, T0 + 28_000);
  await world.advance(500);
  assert.equal(tab.navigations.length, 1);
  assert.equal(tab.events.at(-1).detail.reason, 'session');
  // About one passive check per idle warning moment (every ~2 s here), not a poll.
  assert.ok(world.requests.length <= 30_000 / 1500, `${world.requests.length} status requests`);
});

test('a negative or malformed WARN_BEFORE means no warning, and the logout stays on time', async () => {
  for (const warnMs of ['-5000', 'soon']) {
    const { world, tab } = page(full({ warnMs }));
    await world.advance(10 * MIN + 25);
    assert.equal(tab.navigations.length, 1, warnMs);
    assert.ok(!tab.eventTypes().includes('warning'), warnMs);
  }
});

for (const warn of [23_000, 45_000, 60_000, 90_000, 150_000, 5 * MIN]) {
  test(`WARN_BEFORE ${warn / 1000} s: every announcement promises at most the time left`, async () => {
    const { world, tab } = page(full({ warnMs: String(warn) }));
    await world.advance(10 * MIN - warn);
    const region = live(tab);
    const said = [];
    let prevText = '';
    while (world.wall < T0 + 10 * MIN) {
      await world.advance(100);
      if (region.textContent !== prevText) {
        prevText = region.textContent;
        const [, n, unit] = prevText.match(/^in (\d+) (minute|second)s?$/);
        const secs = Number(n) * (unit === 'minute' ? 60 : 1);
        const left = (T0 + 10 * MIN - world.wall) / 1000;
        assert.ok(secs <= Math.ceil(left), `"${prevText}" with ${left} s left`);
        said.push([prevText, Math.round(left)]);
      }
    }
    assert.ok(said.length >= 2 && said.length <= Math.ceil(warn / 60_000) + 3, JSON.stringify(said));
    assert.ok(Math.round(warn / 1000) - said[0][1] <= 1, 'the first announcement comes at once');
    // Steps of 20 s or a minute; only a warning starting between steps has a shorter first gap.
    const gaps = said.slice(1).map((x, i) => said[i][1] - x[1]);
    assert.ok(gaps.slice(1).every((g) => g >= 19) && gaps[0] >= 2, `announced too often: ${JSON.stringify(said)}`);
  });
}
