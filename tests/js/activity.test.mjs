// CLIENT_ACTIVITY: keyboard, pointer, touch and scroll input in any tab counts as
// activity, turned into at most about one keepalive per idle period; the absolute limit
// is never extended. Also: the warning's stylesheet link and the hidden announcement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, fakeServer } from './harness.mjs';

const S = 1000;
const MIN = 60 * S;
const STATUS = '/auto-logout/status';
const KEEPALIVE = '/auto-logout/keepalive';
const CSS = '/auto-logout/auto-logout.0123456789abcdef.css';

function tag({ idle = MIN, session = null, warn = 10 * S, activity = true } = {}) {
  const d = { idleMs: String(idle), idleLimitMs: String(idle), statusUrl: STATUS, keepaliveUrl: KEEPALIVE, loginUrl: '/login' };
  if (session !== null) Object.assign(d, { sessionMs: String(session), sessionLimitMs: String(session) });
  if (warn) d.warnMs = String(warn);
  if (activity) d.clientActivity = '';
  return d;
}

// The user types: one key every `every` ms for `ms` ms. Returns the last keystroke's time.
async function type(world, tab, ms, every = 250) {
  let last = null;
  for (let t = 0; t < ms; t += every) {
    tab.fire('keydown', { key: 'a' });
    last = world.wall;
    await world.advance(every);
  }
  return last;
}

const keepalives = (world) => world.requests.filter((r) => r.url === KEEPALIVE);
const AGE = 'X-Auto-Logout-Input-Age';
const logoutAt = (tab) => tab.events.find((e) => e.type === 'auto-logout:logout').at;

test('typing for five idle periods keeps the session with one keepalive per period, no warning', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: MIN });
  const tab = world.tab(tag()).run();
  const last = await type(world, tab, 5 * MIN);
  assert.deepEqual(tab.navigations, []);
  assert.ok(!tab.eventTypes().includes('warning'), 'no warning while typing');
  // One per (IDLE - lead) = 50 s: ceil(300 / 50) = 6, plus at most one.
  const n = keepalives(world).length;
  assert.ok(n >= 5 && n <= 7, `keepalives: ${n}`);
  for (const r of keepalives(world)) assert.equal(r.method, 'POST');
  // Each says how long ago the last key before it was (one key every 250 ms).
  for (const r of keepalives(world)) assert.ok(r.headers[AGE] >= 0 && r.headers[AGE] <= 250, String(r.headers[AGE]));
  // After the last key: one more keepalive for the keys since the last one, saying how
  // old the last key is; then the warning, and the logout IDLE_TIME after the last key.
  await world.advance(2 * MIN);
  assert.equal(tab.navigations.length, 1);
  assert.equal(server.keepalives, n + 1);
  const final = keepalives(world)[n];
  assert.equal(final.headers[AGE], final.at - last);
  const after = logoutAt(tab) - last;
  assert.ok(after >= MIN && after <= MIN + 100, `logout ${after} ms after the last key`);
  assert.ok(tab.eventTypes().includes('warning'));
});

test('no input: the warning shows as usual and nothing is sent', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const tab = world.tab(tag()).run();
  await world.advance(50 * S + 100);
  assert.ok(tab.dialog, 'the warning shows');
  await world.advance(10 * S);
  assert.equal(tab.navigations.length, 1);
  assert.equal(keepalives(world).length, 0);
});

test('without CLIENT_ACTIVITY typing changes nothing', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const tab = world.tab(tag({ activity: false })).run();
  await type(world, tab, MIN + 100);
  assert.equal(tab.navigations.length, 1);
  assert.equal(keepalives(world).length, 0);
  assert.equal(world.requests.filter((r) => r.method === 'POST').length, 0);
});

test('without a warning the keepalive goes shortly before the idle deadline', async () => {
  const world = new World();
  fakeServer(world, { idle: 8 * S });
  const tab = world.tab(tag({ idle: 8 * S, warn: null })).run();
  await world.advance(1 * S);
  tab.fire('pointerdown');
  await world.advance(4 * S);
  assert.equal(keepalives(world).length, 0, 'not at once: one per idle period');
  await world.advance(1 * S + 100);
  // Lead: a quarter of 8 s = 2 s before the deadline.
  assert.equal(keepalives(world).length, 1);
  assert.equal(keepalives(world)[0].at, T0 + 6 * S);
  // The input was 5 s before: the idle time counts from it.
  assert.equal(keepalives(world)[0].headers[AGE], 5 * S);
  assert.equal(tab.api.deadlines().idleAt, T0 + 9 * S);
  await world.advance(3 * S);
  assert.equal(tab.navigations.length, 1, 'no input since: logged out');
  assert.equal(logoutAt(tab), T0 + 9 * S + 25);
  assert.equal(keepalives(world).length, 1);
});

for (const type of ['keydown', 'pointermove', 'touchstart', 'wheel', 'scroll']) {
  test(`${type} counts as input`, async () => {
    const world = new World();
    fakeServer(world, { idle: MIN });
    const tab = world.tab(tag()).run();
    await world.advance(20 * S);
    tab.fire(type);
    await world.advance(40 * S);
    assert.equal(keepalives(world).length, 1);
    assert.equal(tab.dialog, null);
  });
}

test('input in another tab: one keepalive in all, from the tab with the input; no tab warns', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const a = world.tab(tag()).run();
  const b = world.tab(tag()).run();
  const c = world.tab(tag()).run();
  await world.advance(10 * S);
  const last = await type(world, b, 30 * S);
  await world.advance(30 * S);
  assert.equal(keepalives(world).length, 1);
  assert.equal(keepalives(world)[0].tab, b);
  assert.equal(keepalives(world)[0].headers[AGE], T0 + 50 * S - last);
  for (const t of [a, b, c]) {
    assert.ok(!t.eventTypes().includes('warning'));
    assert.deepEqual(t.navigations, []);
    assert.ok(t.api.deadlines().idleAt >= last + MIN - 50, 'all tabs follow the new deadline');
  }
});

test('input in another tab whose own tab is gone: a listening tab sends the keepalive after the handoff', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const a = world.tab(tag()).run();
  const b = world.tab(tag()).run();
  await world.advance(10 * S);
  b.fire('keydown');
  await world.advance(0);
  b.unload(); // closed before the lead begins
  await world.advance(40 * S);
  await world.advance(1 * S + 100);
  assert.equal(keepalives(world).length, 1);
  assert.equal(keepalives(world)[0].tab, a);
  assert.equal(keepalives(world)[0].at, T0 + 51 * S);
  // The input the other tab reported, 41 s before.
  assert.equal(keepalives(world)[0].headers[AGE], 41 * S);
  assert.equal(a.dialog, null);
  assert.equal(a.api.deadlines().idleAt, T0 + 70 * S);
});

test('input while the warning shows counts as "Stay signed in"', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const tab = world.tab(tag()).run();
  await world.advance(52 * S);
  assert.ok(tab.dialog);
  tab.fire('keydown');
  tab.fire('keydown');
  tab.fire('pointermove');
  await world.advance(0);
  assert.equal(keepalives(world).length, 1, 'one keepalive for a burst of input');
  // Input now: activity now, no input age.
  assert.equal(keepalives(world)[0].headers[AGE], undefined);
  assert.equal(tab.dialog, null);
  assert.equal(tab.api.deadlines().idleAt, T0 + 112 * S);
  assert.ok(tab.eventTypes().includes('extended'));
});

test('the keepalive for input says how old the last input in any tab is; the logout comes IDLE_TIME after it', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const a = world.tab(tag()).run();
  const b = world.tab(tag()).run();
  await world.advance(5 * S);
  await type(world, b, 10 * S);
  await world.advance(5 * S);
  // The last input of all: one key in the first tab, 20 s after the page load.
  a.fire('keydown');
  await world.advance(30 * S - 1);
  assert.equal(keepalives(world).length, 0);
  await world.advance(2 * S + 1);
  // At the lead (10 s before 60 s), one keepalive, from the tab of the last input.
  assert.equal(keepalives(world).length, 1);
  const [sent] = keepalives(world);
  assert.equal(sent.tab, a);
  assert.equal(sent.at, T0 + 50 * S);
  assert.equal(sent.headers[AGE], 30 * S);
  for (const t of [a, b]) assert.equal(t.api.deadlines().idleAt, T0 + 80 * S);
  // No input since: both warn at 70 s and leave at 80 s, not later.
  await world.advance(30 * S);
  assert.equal(keepalives(world).length, 1);
  for (const t of [a, b]) {
    assert.ok(t.eventTypes().includes('warning'));
    assert.equal(t.navigations.length, 1);
    const after = logoutAt(t) - (T0 + 20 * S);
    assert.ok(after >= MIN && after <= MIN + 100, `logout ${after} ms after the last input`);
  }
});

test('autoLogout.stay() is activity now: no input age, even after input', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: MIN });
  const tab = world.tab(tag()).run();
  await world.advance(5 * S);
  tab.fire('keydown');
  await world.advance(10 * S);
  tab.api.stay();
  await world.advance(0);
  assert.equal(keepalives(world).length, 1);
  assert.deepEqual(Object.keys(keepalives(world)[0].headers), ['X-Auto-Logout']);
  assert.equal(server.last, T0 + 15 * S);
  assert.equal(tab.api.deadlines().idleAt, T0 + 75 * S);
});

test('input in another tab while the warning shows closes it through a keepalive', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const a = world.tab(tag()).run();
  const b = world.tab(tag()).run();
  await world.advance(52 * S);
  assert.ok(a.dialog && b.dialog);
  b.fire('keydown');
  await world.advance(600);
  assert.ok(keepalives(world).length >= 1 && keepalives(world).length <= 2);
  assert.equal(a.dialog, null);
  assert.equal(b.dialog, null);
});

test('the absolute limit is never extended: typing until SESSION_TIME still ends the session there', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: MIN, session: 3 * MIN });
  const tab = world.tab(tag({ session: 3 * MIN })).run();
  await type(world, tab, 3 * MIN + 200);
  assert.equal(tab.navigations.length, 1);
  const logoutAt = tab.events.find((e) => e.type === 'auto-logout:logout').at;
  assert.ok(logoutAt >= T0 + 3 * MIN && logoutAt <= T0 + 3 * MIN + 100, String(logoutAt - T0));
  const warning = tab.events.find((e) => e.type === 'auto-logout:warning');
  assert.equal(warning.detail.reason, 'session');
  // No keepalive once the session's end is the nearer deadline.
  // (A keepalive while the idle deadline was the nearer one is fine.)
  for (const r of keepalives(world)) assert.ok(r.at < T0 + 3 * MIN - 10 * S, String(r.at - T0));
  assert.ok(server.keepalives <= 3);
});

test('a failed keepalive for input is not repeated at once: the warning shows', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  world.keepalive = () => 'network';
  const tab = world.tab(tag()).run();
  await world.advance(1 * S);
  tab.fire('keydown');
  await world.advance(49 * S + 200);
  assert.equal(keepalives(world).length, 1);
  assert.ok(tab.dialog, 'the warning shows after the failure');
});

test('the warning stylesheet is linked from the site, once, at start', () => {
  const world = new World();
  const tab = world.tab({ ...tag(), stylesheet: CSS }).run();
  const links = tab.document.head.children.filter((e) => e.tagName === 'LINK');
  assert.equal(links.length, 1);
  assert.equal(links[0].getAttribute('rel'), 'stylesheet');
  assert.equal(links[0].getAttribute('href'), CSS);
});

test('no stylesheet attribute, or one off-site: nothing is linked', () => {
  for (const stylesheet of [undefined, '//evil.example/x.css', 'https://evil.example/x.css']) {
    const world = new World();
    const d = tag();
    if (stylesheet) d.stylesheet = stylesheet;
    const tab = world.tab(d).run();
    assert.equal(tab.document.head.children.length, 0, String(stylesheet));
  }
});

test('the announcement is visually hidden through CSSOM properties, with no stylesheet', async () => {
  const world = new World();
  fakeServer(world, { idle: MIN });
  const tab = world.tab(tag()).run();
  await world.advance(50 * S + 100);
  const live = tab.dialog.find((e) => e.getAttribute('aria-live') === 'polite');
  assert.deepEqual(
    { ...live.style },
    { position: 'absolute', width: '1px', height: '1px', margin: '-1px', overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' }
  );
  assert.equal(live.getAttribute('style'), null);
});

test('a server that answers a keepalive with a shorter idle deadline gets no storm of keepalives', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: MIN });
  const honest = world.keepalive;
  // Counts the keepalive, but reports the old deadline (as a capped or lagging server might).
  world.keepalive = (req) => {
    const deadline = server.last + MIN;
    honest(req);
    return { active: true, idle_ms: Math.max(0, deadline - world.wall), session_ms: null };
  };
  const tab = world.tab(tag()).run();
  await world.advance(1 * S);
  tab.fire('keydown');
  await world.advance(55 * S);
  assert.equal(keepalives(world).length, 1);
});
