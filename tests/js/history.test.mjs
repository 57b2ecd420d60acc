// A page reached by Back or Forward may be an old copy: the script asks the server at
// once instead of trusting the page's deadlines until the first one passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, alive, goneReply } from './harness.mjs';

const MIN = 60_000;
const STATUS = '/auto-logout/status';
const plain = (x) => JSON.parse(JSON.stringify(x));

// A bare listener on the channel, to see what tabs send.
function spy(world) {
  const seen = [];
  const ch = new (world.tab({}).sandbox.BroadcastChannel)('auto-logout');
  ch.onmessage = (e) => seen.push(plain(e.data));
  return seen;
}

test('reached by history navigation, signed out meanwhile: asks status at once and leaves', async () => {
  const world = new World();
  world.status = () => goneReply(null);
  const tab = world.tab({ idleMs: String(40 * 1000), statusUrl: STATUS, loginUrl: '/login' }, { navigationType: 'back_forward' }).run();
  await world.advance(0);
  assert.equal(world.requests.length, 1, 'one status request, at once');
  assert.deepEqual(world.requests[0].headers, { 'X-Auto-Logout-Passive': '1' });
  assert.equal(world.requests[0].at, T0);
  assert.deepEqual(tab.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
});

test('reached by history navigation, still signed in: adopts the server\'s deadlines, broadcasts only those', async () => {
  const world = new World();
  const seen = spy(world);
  // The cached copy says 10 minutes; the server knows only 3 are left.
  world.status = () => alive(3 * MIN);
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }, { navigationType: 'back_forward' }).run();
  await world.advance(0);
  assert.deepEqual(tab.navigations, []);
  assert.equal(tab.api.deadlines().idleAt, T0 + 3 * MIN);
  assert.deepEqual(seen, [{ type: 'deadlines', idleAt: T0 + 3 * MIN, sessionAt: null }], 'never the stale page\'s own');
  world.status = () => goneReply('idle');
  await world.advance(3 * MIN + 24);
  assert.deepEqual(tab.navigations, []);
  await world.advance(1);
  assert.equal(tab.navigations.length, 1, 'leaves at the server\'s deadline, not the page\'s');
});

for (const type of ['navigate', 'reload']) {
  test(`a ${type} load does not ask status before the first deadline`, async () => {
    const world = new World();
    world.status = () => alive(10 * MIN);
    world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS }, { navigationType: type }).run();
    await world.advance(10 * MIN);
    assert.equal(world.requests.length, 0);
  });
}

test('no Navigation Timing in the browser: a normal load, no request, logout on time', async () => {
  const world = new World();
  world.status = () => goneReply('idle');
  const tab = world.tab({ idleMs: String(MIN), statusUrl: STATUS, loginUrl: '/login' }, { navigationType: null }).run();
  await world.advance(MIN);
  assert.equal(world.requests.length, 0);
  await world.advance(25);
  assert.equal(tab.navigations.length, 1);
});

test('reached by history navigation without a status URL: nothing to ask, nothing broadcast, deadline kept', async () => {
  const world = new World();
  const seen = spy(world);
  const tab = world.tab({ idleMs: String(MIN), loginUrl: '/login' }, { navigationType: 'back_forward' }).run();
  await world.advance(MIN + 24);
  assert.equal(world.requests.length, 0);
  assert.deepEqual(seen, []);
  assert.deepEqual(tab.navigations, []);
  await world.advance(1);
  assert.equal(tab.navigations.length, 1);
});

test('reached by history navigation, status failing: keeps the page\'s deadline and still leaves on time', async () => {
  const world = new World();
  world.status = () => 'network';
  const tab = world.tab({ idleMs: String(MIN), statusUrl: STATUS, loginUrl: '/login' }, { navigationType: 'back_forward' }).run();
  await world.advance(0);
  assert.equal(world.requests.length, 1);
  assert.deepEqual(tab.navigations, []);
  await world.advance(MIN + 25 + 250 + 500);
  assert.equal(tab.navigations.length, 1);
  assert.ok(tab.events.find((e) => e.type === 'auto-logout:logout').at <= T0 + MIN + 1000);
});
