// Tabs of one origin stay in step: BroadcastChannel, the storage event, or neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, alive, goneReply } from './harness.mjs';

const MIN = 60_000;
const STATUS = '/auto-logout/status';
const plain = (x) => JSON.parse(JSON.stringify(x));

// A bare listener on the channel, to see what tabs send.
function spy(world) {
  const seen = [];
  const t = world.tab({});
  const ch = new t.sandbox.BroadcastChannel('auto-logout');
  ch.onmessage = (e) => seen.push(plain(e.data));
  return seen;
}

for (const [name, opts] of [
  ['BroadcastChannel', {}],
  ['storage event (no BroadcastChannel)', { broadcastChannel: false }],
]) {
  test(`${name}: a later deadline from another tab wins`, async () => {
    const world = new World();
    const o = { idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), loginUrl: '/login' };
    const a = world.tab(o, opts).run();
    await world.advance(4 * MIN);
    const b = world.tab(o, opts).run(); // a page load
    await world.advance(0);
    assert.equal(a.api.deadlines().idleAt, T0 + 14 * MIN);
    await world.advance(6 * MIN + 100);
    assert.deepEqual(a.navigations, [], 'the old deadline no longer applies');
    await world.advance(4 * MIN);
    assert.equal(a.navigations.length, 1);
    assert.equal(b.navigations.length, 1);
  });

  test(`${name}: an earlier deadline from another tab does not shorten ours`, async () => {
    const world = new World();
    const a = world.tab({ idleMs: String(10 * MIN), sessionMs: String(60 * MIN) }, opts).run();
    // A page rendered from a stale cache or a slow request reports less time left.
    const b = world.tab({ idleMs: String(2 * MIN), sessionMs: String(30 * MIN) }, opts).run();
    await world.advance(0);
    assert.deepEqual(plain(a.api.deadlines()), { idleAt: T0 + 10 * MIN, sessionAt: T0 + 60 * MIN });
    assert.ok(b);
  });

  test(`${name}: a logout confirmed in one tab navigates the others at once`, async () => {
    const world = new World();
    const b = world.tab({ idleMs: String(30 * MIN), loginUrl: '/login' }, opts).run();
    const a = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }, opts).run();
    world.status = () => goneReply('session');
    // a's deadline is earlier and does not shorten b's; a finds the session gone.
    await world.advance(10 * MIN + 25);
    assert.equal(a.navigations.length, 1);
    assert.deepEqual(b.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
    assert.ok(b.eventTypes().includes('logout'));
  });
}

test('deadlines are broadcast on load and after a status adoption; logout when gone', async () => {
  const world = new World();
  const seen = spy(world);
  world.tab({ idleMs: String(MIN), statusUrl: STATUS }).run();
  await world.advance(0);
  assert.deepEqual(seen, [{ type: 'deadlines', idleAt: T0 + MIN, sessionAt: null }]);
  world.status = () => alive(MIN);
  await world.advance(MIN + 25);
  assert.deepEqual(seen[1], { type: 'deadlines', idleAt: T0 + 2 * MIN + 25, sessionAt: null });
  world.status = () => goneReply('idle');
  await world.advance(MIN + 25);
  assert.deepEqual(seen[2], { type: 'logout', reason: 'idle' });
  assert.equal(seen.length, 3);
});

test('a tab restored from the back/forward cache re-checks but does not broadcast stale deadlines', async () => {
  const world = new World();
  const seen = spy(world);
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS }).run();
  await world.advance(MIN);
  seen.length = 0;
  world.status = () => alive(7 * MIN);
  tab.fire('pagehide', { persisted: true });
  world.sleep(12 * MIN); // frozen in the cache past its deadline
  tab.fire('pageshow', { persisted: true });
  await world.advance(0);
  assert.equal(world.requests.length, 1, 'asked the server first');
  assert.deepEqual(tab.navigations, []);
  assert.deepEqual(seen, [{ type: 'deadlines', idleAt: T0 + 20 * MIN, sessionAt: null }], 'only the fresh answer');
});

test('garbage messages on the channel or in storage are ignored', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(MIN) }, { broadcastChannel: false }).run();
  for (const v of ['{', '[]', '[null]', '[{"type":"deadlines","idleAt":"x"}]', '"logout"']) {
    tab.window.fireHere({ type: 'storage', key: 'auto-logout', newValue: v });
  }
  tab.window.fireHere({ type: 'storage', key: 'other', newValue: '[{"type":"logout"}]' });
  const tab2 = world.tab({ idleMs: String(MIN) }).run();
  const ch = new (world.tab({}).sandbox.BroadcastChannel)('auto-logout');
  for (const m of [null, 'logout', 7, { type: 'deadlines', idleAt: 'later', sessionAt: {} }, { type: 'other' }]) ch.postMessage(m);
  await world.advance(0);
  for (const t of [tab, tab2]) {
    assert.deepEqual(t.navigations, []);
    assert.deepEqual(plain(t.api.deadlines()), { idleAt: T0 + MIN, sessionAt: null });
  }
});

for (const storage of ['throws', 'throws-on-write']) {
  test(`storage ${storage} and no BroadcastChannel: still logs out on time`, async () => {
    const world = new World();
    const a = world.tab({ idleMs: String(MIN), statusUrl: STATUS, loginUrl: '/login' }, { broadcastChannel: false, storage }).run();
    const b = world.tab({ idleMs: String(2 * MIN), loginUrl: '/login' }, { broadcastChannel: false, storage }).run();
    world.status = () => goneReply('idle');
    await world.advance(MIN + 25);
    assert.equal(a.navigations.length, 1);
    assert.deepEqual(b.navigations, [], 'no way to tell b; b keeps its own deadline');
    await world.advance(MIN);
    assert.equal(b.navigations.length, 1);
  });
}

test('BroadcastChannel present but storage blocked: tabs still stay in step', async () => {
  const world = new World();
  const o = { idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN) };
  const a = world.tab(o, { storage: 'throws' }).run();
  await world.advance(MIN);
  world.tab(o, { storage: 'throws' }).run();
  await world.advance(0);
  assert.equal(a.api.deadlines().idleAt, T0 + 11 * MIN);
});

test('three tabs, one busy then all quiet: idle is enforced on time', async () => {
  const world = new World();
  const o = { statusUrl: STATUS, loginUrl: '/login' };
  const tabs = [1, 2, 3].map(() => world.tab({ idleMs: String(5 * MIN), ...o }).run());
  let last = world.wall; // the server's last activity, from page loads only
  for (let i = 0; i < 4; i++) {
    await world.advance(MIN);
    tabs.push(world.tab({ idleMs: String(5 * MIN), ...o }).run());
    last = world.wall;
  }
  world.status = () => (world.wall - last > 5 * MIN ? goneReply('idle') : alive(5 * MIN - (world.wall - last)));
  await world.advance(10 * MIN);
  for (const t of tabs) {
    assert.equal(t.navigations.length, 1);
    const at = t.events.find((e) => e.type === 'auto-logout:logout').at;
    assert.ok(at - (last + 5 * MIN) <= 1000, `logged out ${at - last - 5 * MIN} ms late`);
  }
  // Passive only: nothing this script sent moved the server's idle stamp.
  assert.ok(world.requests.every((r) => r.method === 'GET'));
});

test('restored from the back/forward cache after a sign-out elsewhere: leaves at once', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }).run();
  await world.advance(MIN);
  tab.fire('pagehide', { persisted: true });
  world.status = () => goneReply(null); // signed out on another page, long before the deadline
  world.sleep(10_000);
  tab.fire('pageshow', { persisted: true });
  await world.advance(0);
  assert.equal(world.requests.length, 1);
  assert.deepEqual(world.requests[0].headers, { 'X-Auto-Logout-Passive': '1' });
  assert.deepEqual(tab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
});

test('restored from the back/forward cache, still signed in: adopts, no navigation', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS }).run();
  await world.advance(MIN);
  world.status = () => alive(8 * MIN);
  tab.fire('pageshow', { persisted: true });
  await world.advance(0);
  assert.deepEqual(tab.navigations, []);
  assert.equal(tab.api.deadlines().idleAt, T0 + 9 * MIN);
  tab.fire('pageshow', { persisted: false }); // a normal load event: no request
  await world.advance(0);
  assert.equal(world.requests.length, 1);
});

test('restored from the back/forward cache without a status URL: nothing to ask, deadline kept', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(10 * MIN), loginUrl: '/login' }).run();
  await world.advance(MIN);
  tab.fire('pageshow', { persisted: true });
  await world.advance(0);
  assert.equal(world.requests.length, 0);
  assert.deepEqual(tab.navigations, []);
  await world.advance(9 * MIN + 25);
  assert.equal(tab.navigations.length, 1);
});
