// Where the fake browser is as unkind as a real one: timers above 2^31-1 ms fire at once,
// the wall clock steps, messages between tabs are later tasks, hidden tabs are throttled.
// Times of logout are on the true clock (the timers' clock, `world.mono`, `tab.leftAt`),
// measured from what the user did: the page load at true time 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, MAX_TIMER, INTENSIVE_ALIGN_MS, alive, goneReply, fakeServer } from './harness.mjs';

const MIN = 60_000;
const DAY = 86_400_000;
const STATUS = '/auto-logout/status';
const MARGIN = 25; // the script acts this long after a deadline
const TICK = 60_000; // its longest timer: how often it re-reads the wall clock

// A server on the true clock: the browser's clock may step, the server's does not.
function trueServer(world, idle) {
  const s = { last: world.mono };
  world.status = () => {
    const left = s.last + idle - world.mono;
    return left < 0 ? goneReply('idle') : alive(left);
  };
  return s;
}

// ---- Timers above 2^31-1 ms ---------------------------------------------------------

test('harness: a timer above 2^31-1 ms fires at once, as in browsers', async () => {
  const world = new World();
  const tab = world.tab({});
  const fired = [];
  tab.sandbox.setTimeout(() => fired.push(world.mono), MAX_TIMER + 1);
  tab.sandbox.setTimeout(() => fired.push(world.mono), MAX_TIMER);
  await world.advance(0);
  assert.deepEqual(fired, [0]);
  await world.advance(MAX_TIMER);
  assert.deepEqual(fired, [0, MAX_TIMER]);
});

for (const days of [25, 30]) {
  for (const limit of ['sessionMs', 'idleMs']) {
    test(`a ${days}-day ${limit} limit (beyond one timer) does not log out early, and does on time`, async () => {
      const world = new World();
      const tab = world.tab({ [limit]: String(days * DAY), loginUrl: '/login' }).run();
      await world.advance(days * DAY - 1);
      assert.deepEqual(tab.navigations, [], 'an unchunked timer would have fired at once');
      await world.advance(MARGIN + 1);
      assert.equal(tab.navigations.length, 1);
      assert.ok(tab.leftAt >= days * DAY && tab.leftAt <= days * DAY + MARGIN, `left at ${tab.leftAt - days * DAY} ms`);
    });
  }
}

// ---- The wall clock steps -----------------------------------------------------------

for (const step of [-MIN, -60 * MIN]) {
  test(`the clock steps back ${-step / MIN} min: never a logout before the deadline`, async () => {
    const world = new World();
    trueServer(world, 10 * MIN);
    const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }).run();
    await world.advance(3 * MIN);
    world.stepClock(step);
    for (let t = 3 * MIN; t < 10 * MIN; t += 30_000) {
      for (const type of ['focus', 'visibilitychange', 'online']) tab.fire(type);
      tab.fire('pageshow', { persisted: true });
      await world.advance(30_000);
    }
    assert.deepEqual(tab.navigations, [], 'nothing before the true deadline');
    // Nothing tells the script the clock went back: it leaves that much late (the
    // server ended the session on time; the next request gets the login page).
    await world.advance(-step + MARGIN + 1000);
    assert.equal(tab.navigations.length, 1);
    assert.ok(tab.leftAt >= 10 * MIN && tab.leftAt <= 10 * MIN - step + 1000, `left at ${tab.leftAt}`);
  });
}

test('the clock steps forward past the deadline while awake: the server is asked, nothing ends early', async () => {
  const world = new World();
  trueServer(world, 10 * MIN);
  const tab = world.tab({ idleMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login' }).run();
  await world.advance(2 * MIN);
  world.stepClock(30 * MIN);
  await world.advance(TICK);
  assert.equal(world.requests.length, 1, 'the next tick saw the deadline passed and asked');
  assert.deepEqual(tab.navigations, []);
  await world.advance(7 * MIN - 1);
  assert.deepEqual(tab.navigations, []);
  await world.advance(MARGIN + 1000);
  assert.equal(tab.navigations.length, 1);
  assert.ok(tab.leftAt >= 10 * MIN && tab.leftAt <= 10 * MIN + 1000, `left at ${tab.leftAt}`);
});

for (const [name, wake, bound] of [
  ['focus', (tab) => tab.fire('focus'), 0],
  ['visibilitychange', (tab) => tab.fire('visibilitychange'), 0],
  ['no event: the next tick', () => {}, TICK],
]) {
  test(`laptop wakes past the deadline: leaves on ${name} within ${bound} ms`, async () => {
    const world = new World();
    const tab = world.tab({ idleMs: String(10 * MIN), loginUrl: '/login' }).run();
    await world.advance(4 * MIN + 1234);
    world.sleep(20 * MIN); // the wall clock jumps; the true clock of timers does not
    const wokeAt = world.mono;
    wake(tab);
    await world.advance(0);
    if (bound === 0) assert.equal(tab.navigations.length, 1, 'at once');
    await world.advance(bound);
    assert.equal(tab.navigations.length, 1);
    assert.ok(tab.leftAt - wokeAt <= bound, `left ${tab.leftAt - wokeAt} ms after waking`);
  });
}

// ---- Messages between tabs are tasks ------------------------------------------------

test('harness: channel messages and storage events arrive as later tasks, in order', async () => {
  const world = new World();
  const a = world.tab({});
  const b = world.tab({});
  const seen = [];
  const ch = new b.sandbox.BroadcastChannel('x');
  ch.onmessage = (e) => seen.push(e.data);
  b.window.addEventListener('storage', (e) => seen.push(e.newValue));
  const out = new a.sandbox.BroadcastChannel('x');
  out.postMessage(1);
  a.sandbox.localStorage.setItem('k', '2');
  out.postMessage(3);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.deepEqual(seen, [], 'not within the sending task or its microtasks');
  await world.advance(0);
  assert.deepEqual(seen, [1, '2', 3]);
});

for (const [name, opts] of [
  ['BroadcastChannel', {}],
  ['storage event', { broadcastChannel: false }],
]) {
  test(`${name}: a sign-out elsewhere reaches a tab as a later task, which then leaves`, async () => {
    const world = new World();
    const tab = world.tab({ idleMs: String(30 * MIN), loginUrl: '/login' }, opts).run();
    await world.advance(MIN);
    world.tab({ signedOut: '' }, { ...opts, href: 'https://app.example/login' }).run();
    await Promise.resolve();
    assert.deepEqual(tab.navigations, []);
    await world.advance(0);
    assert.equal(tab.navigations.length, 1);
    assert.equal(tab.leftAt, MIN);
  });
}

// ---- Hidden tabs are throttled ------------------------------------------------------

test('harness: a hidden tab\'s timers wake on whole seconds, after five minutes on whole minutes', async () => {
  const world = new World();
  const tab = world.tab({});
  const fired = [];
  const at = (ms) => tab.sandbox.setTimeout(() => fired.push(world.mono), ms);
  await world.advance(200);
  tab.hide();
  at(10);
  await world.advance(2000);
  at(10);
  await world.advance(5 * MIN);
  at(10);
  await world.advance(2 * MIN);
  assert.deepEqual(fired, [1000, 3000, 6 * MIN]);
  tab.show();
  at(10);
  await world.advance(100);
  assert.equal(fired.at(-1), world.mono - 90);
});

for (const [name, hideAt] of [
  ['hidden a minute before the deadline (1 s wake-ups)', 9 * MIN],
  ['hidden long before the deadline (1 min wake-ups)', MIN],
]) {
  for (const withStatus of [false, true]) {
    test(`${name}${withStatus ? ', status URL' : ''}: still leaves within the throttling bound`, async () => {
      const world = new World();
      fakeServer(world, { idle: 10 * MIN + 4321 });
      const d = { idleMs: String(10 * MIN + 4321), loginUrl: '/login' };
      if (withStatus) d.statusUrl = STATUS;
      const tab = world.tab(d).run();
      await world.advance(hideAt);
      tab.hide();
      const deadline = 10 * MIN + 4321;
      const bound = deadline - hideAt >= 5 * MIN ? INTENSIVE_ALIGN_MS : 1000;
      await world.advance(deadline - hideAt - 1);
      assert.deepEqual(tab.navigations, []);
      await world.advance(MARGIN + bound);
      assert.equal(tab.navigations.length, 1);
      assert.ok(tab.leftAt >= deadline && tab.leftAt <= deadline + MARGIN + bound, `left ${tab.leftAt - deadline} ms after the deadline`);
    });
  }
}

test('a hidden tab on a laptop that slept past the deadline leaves at once when shown', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(10 * MIN), loginUrl: '/login' }).run();
  await world.advance(MIN);
  tab.hide();
  await world.advance(6 * MIN + 500);
  world.sleep(30 * MIN);
  tab.show();
  const shownAt = world.mono;
  await world.advance(0);
  assert.equal(tab.navigations.length, 1);
  assert.equal(tab.leftAt, shownAt);
});

test('a hidden tab on a laptop that slept past the deadline, left hidden: within a tick and a throttled wake-up', async () => {
  const world = new World();
  const tab = world.tab({ idleMs: String(10 * MIN), loginUrl: '/login' }).run();
  await world.advance(MIN);
  tab.hide();
  await world.advance(6 * MIN + 500);
  world.sleep(30 * MIN);
  const wokeAt = world.mono;
  await world.advance(TICK + INTENSIVE_ALIGN_MS);
  assert.equal(tab.navigations.length, 1);
  assert.ok(tab.leftAt - wokeAt <= TICK + INTENSIVE_ALIGN_MS, `left ${tab.leftAt - wokeAt} ms after waking`);
});

test('the clock steps back after a status request: a sign-out elsewhere is still verified within a second', async () => {
  const world = new World();
  world.status = () => alive(30 * MIN);
  // Reached through history: asks the server at once.
  const tab = world.tab({ idleMs: String(30 * MIN), statusUrl: STATUS, loginUrl: '/login' }, { navigationType: 'back_forward' }).run();
  await world.advance(MIN);
  assert.equal(world.requests.length, 1);
  world.stepClock(-60 * MIN);
  world.status = () => goneReply(null);
  world.tab({ signedOut: '' }, { href: 'https://app.example/login' }).run();
  const signedOutAt = world.mono;
  await world.advance(1000);
  assert.equal(world.requests.length, 2, 'asked the server');
  assert.equal(tab.navigations.length, 1);
  assert.ok(tab.leftAt - signedOutAt <= 1000, `left ${tab.leftAt - signedOutAt} ms after the sign-out`);
});
