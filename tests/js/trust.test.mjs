// Tabs trust nothing another page says: any page of the origin can post on the channel or
// write to storage. Deadlines must be finite and within the configured limits, an
// extension is adopted only from the server's answer, the channel is scoped to the app and
// its login, and the login URL must be a path on this site. Sign-out reaches every tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, T0, alive, goneReply, fakeServer } from './harness.mjs';

const MIN = 60_000;
const STATUS = '/auto-logout/status';
const SCOPE = '3f2a9c01';
const plain = (x) => JSON.parse(JSON.stringify(x));

// The tag of a signed-in page of the app.
const signedIn = (extra = {}) => ({
  idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), statusUrl: STATUS, loginUrl: '/login', scope: SCOPE, ...extra,
});

// The same without a scope: the plain channel name, which any page can guess.
const unscoped = () => signedIn({ scope: undefined });

// What a page without the script (or a hostile one) can do on the same origin.
function poster(world, name = `auto-logout:${SCOPE}`) {
  const page = world.tab({});
  const ch = new page.sandbox.BroadcastChannel(name);
  return {
    post: (m) => ch.postMessage(m),
    store: (raw) => page.sandbox.localStorage.setItem(name, raw),
  };
}

const hostileDeadlines = () => [
  { type: 'deadlines', idleAt: Infinity, sessionAt: Infinity },
  { type: 'deadlines', idleAt: NaN, sessionAt: NaN },
  { type: 'deadlines', idleAt: Number.MAX_VALUE, sessionAt: null },
  { type: 'deadlines', idleAt: T0 + 1000 * MIN, sessionAt: null }, // far beyond the limit
  { type: 'deadlines', idleAt: String(T0 + 20 * MIN), sessionAt: null },
  { type: 'deadlines', idleAt: { valueOf: 1 }, sessionAt: [] },
];

test('BroadcastChannel: Infinity, NaN, huge and non-number deadlines are ignored; no request; logout on time', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(unscoped()).run();
  const evil = poster(world, 'auto-logout');
  await world.advance(5 * MIN);
  for (const m of hostileDeadlines()) evil.post(m);
  await world.advance(0);
  assert.equal(world.requests.length, 0, 'nothing believable: nothing to ask');
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: T0 + 10 * MIN, sessionAt: null });
  await world.advance(5 * MIN + 25);
  assert.equal(tab.navigations.length, 1);
  assert.ok(tab.events.find((e) => e.type === 'auto-logout:logout').at <= T0 + 10 * MIN + 1000);
});

test('storage event: Infinity (1e400 in JSON), huge and garbage deadlines are ignored', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(unscoped(), { broadcastChannel: false }).run();
  const evil = poster(world, 'auto-logout');
  await world.advance(5 * MIN);
  for (const raw of [
    '[{"type":"deadlines","idleAt":1e400,"sessionAt":1e400},1]',
    `[{"type":"deadlines","idleAt":${T0 + 1000 * MIN},"sessionAt":null},2]`,
    '[{"type":"deadlines","idleAt":"NaN"},3]',
  ]) {
    evil.store(raw);
    await world.advance(0);
  }
  assert.equal(world.requests.length, 0);
  assert.deepEqual(plain(tab.api.deadlines()), { idleAt: T0 + 10 * MIN, sessionAt: null });
  await world.advance(5 * MIN + 25);
  assert.equal(tab.navigations.length, 1);
});

test('a believable extension is checked with the server first: refused when the server disagrees', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN }); // no activity anywhere after the page load
  const tab = world.tab(signedIn()).run();
  const evil = poster(world);
  await world.advance(5 * MIN);
  evil.post({ type: 'deadlines', idleAt: T0 + 15 * MIN, sessionAt: null }); // exactly one limit away
  await world.advance(0);
  assert.equal(world.requests.length, 1, 'asked the server');
  assert.equal(world.requests[0].method, 'GET');
  assert.deepEqual(world.requests[0].headers, { 'X-Auto-Logout-Passive': '1' });
  assert.equal(tab.api.deadlines().idleAt, T0 + 10 * MIN, 'the server\'s deadline, not the message\'s');
  assert.ok(!tab.eventTypes().includes('extended'));
  await world.advance(5 * MIN + 25);
  assert.equal(tab.navigations.length, 1, 'left at the real deadline');
});

test('a flood of believable messages costs at most one status request per half second', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(signedIn()).run();
  const evil = poster(world);
  await world.advance(MIN);
  for (let i = 0; i < 100; i++) evil.post({ type: 'deadlines', idleAt: world.wall + 10 * MIN, sessionAt: null });
  await world.advance(0);
  assert.equal(world.requests.length, 1);
  // Ten seconds of a message every 10 ms.
  for (let i = 0; i < 1000; i++) {
    evil.post({ type: 'deadlines', idleAt: world.wall + 10 * MIN, sessionAt: null });
    evil.post({ type: 'logout', reason: 'idle' });
    await world.advance(10);
  }
  assert.ok(world.requests.length <= 1 + 10_000 / 500 + 1, `${world.requests.length} status requests`);
  assert.ok(world.requests.length >= 10, 'it did keep checking');
  assert.deepEqual(tab.navigations, [], 'the server says signed in');
  assert.equal(tab.api.deadlines().idleAt, T0 + 10 * MIN);
});

test('a real extension from another tab is adopted, from the server\'s answer', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: 10 * MIN });
  const a = world.tab(signedIn()).run();
  await world.advance(4 * MIN);
  server.touch(); // the page load of the second tab
  world.tab(signedIn()).run();
  await world.advance(0);
  assert.equal(a.api.deadlines().idleAt, T0 + 14 * MIN);
  assert.deepEqual(a.eventTypes(), ['extended']);
  assert.equal(world.requests.filter((r) => r.tab === a).length, 1);
});

test('without a status URL: a later deadline is adopted only within the configured limit', async () => {
  const world = new World();
  const a = world.tab(signedIn({ statusUrl: undefined })).run();
  const evil = poster(world);
  await world.advance(5 * MIN);
  for (const m of hostileDeadlines()) evil.post(m);
  evil.post({ type: 'deadlines', idleAt: world.wall + 10 * MIN + 1, sessionAt: null });
  await world.advance(0);
  assert.equal(a.api.deadlines().idleAt, T0 + 10 * MIN);
  evil.post({ type: 'deadlines', idleAt: world.wall + 10 * MIN, sessionAt: null }); // no one to ask
  await world.advance(0);
  assert.equal(a.api.deadlines().idleAt, T0 + 15 * MIN);
});

test('a tag that states no limit accepts no later deadline from another tab', async () => {
  const world = new World();
  const a = world.tab(signedIn({ statusUrl: undefined, idleLimitMs: undefined })).run();
  await world.advance(MIN);
  world.tab(signedIn({ statusUrl: undefined, idleLimitMs: undefined })).run();
  await world.advance(0);
  assert.equal(a.api.deadlines().idleAt, T0 + 10 * MIN);
});

test('the session deadline is bounded by its own limit too', async () => {
  const world = new World();
  const o = { sessionMs: String(60 * MIN), sessionLimitMs: String(60 * MIN), scope: SCOPE };
  const a = world.tab(o).run();
  const evil = poster(world);
  await world.advance(MIN);
  evil.post({ type: 'deadlines', idleAt: null, sessionAt: world.wall + 60 * MIN + 1 });
  await world.advance(0);
  assert.equal(a.api.deadlines().sessionAt, T0 + 60 * MIN);
  evil.post({ type: 'deadlines', idleAt: null, sessionAt: world.wall + 60 * MIN });
  await world.advance(0);
  assert.equal(a.api.deadlines().sessionAt, T0 + 61 * MIN);
});

for (const [name, opts] of [
  ['BroadcastChannel', {}],
  ['storage event', { broadcastChannel: false }],
]) {
  test(`${name}: tabs of another scope (another app or login) are not heard`, async () => {
    const world = new World();
    const o = { idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN), loginUrl: '/login' };
    const a = world.tab({ ...o, scope: 'aaaa' }, opts).run();
    await world.advance(MIN);
    const other = world.tab({ ...o, idleMs: String(10 * MIN), scope: 'bbbb' }, opts).run();
    world.tab({ signedOut: '', scope: 'bbbb' }, { ...opts, href: 'https://app.example/other/login' }).run();
    await world.advance(0);
    assert.equal(a.api.deadlines().idleAt, T0 + 10 * MIN, 'another app\'s page load');
    assert.deepEqual(a.navigations, [], 'another app\'s sign-out');
    assert.equal(other.navigations.length, 1, 'its own app did sign out');
    world.tab({ ...o, scope: 'aaaa' }, opts).run();
    await world.advance(0);
    assert.equal(a.api.deadlines().idleAt, T0 + 11 * MIN, 'its own app is heard');
  });
}

test('a tag without a scope uses the plain channel name, apart from scoped tabs', async () => {
  const world = new World();
  const o = { idleMs: String(10 * MIN), idleLimitMs: String(10 * MIN) };
  const scoped = world.tab({ ...o, scope: SCOPE }).run();
  await world.advance(MIN);
  const bare = world.tab(o).run();
  await world.advance(0);
  assert.equal(scoped.api.deadlines().idleAt, T0 + 10 * MIN);
  assert.equal(world.channels.find((c) => c.tab === bare).name, 'auto-logout');
  assert.equal(world.channels.find((c) => c.tab === scoped).name, `auto-logout:${SCOPE}`);
});

// Sign-out everywhere: the login page after a sign-out carries data-signed-out.
const signOutPage = (world, opts = {}) =>
  world.tab({ signedOut: '', scope: SCOPE }, { href: 'https://app.example/login', ...opts }).run();

for (const [name, opts] of [
  ['BroadcastChannel', {}],
  ['storage event', { broadcastChannel: false }],
]) {
  test(`${name}: an explicit sign-out takes every other tab of the login to the login page within a second`, async () => {
    const world = new World();
    fakeServer(world, { idle: 30 * MIN });
    const tabs = [world.tab(signedIn(), opts).run(), world.tab(signedIn(), opts).run()];
    await world.advance(3 * MIN);
    // A third tab signs out: the server forgets the session, the login page is shown.
    world.status = () => goneReply(null);
    const signedOutAt = world.wall;
    const login = signOutPage(world, opts);
    await world.advance(1000);
    for (const t of tabs) {
      assert.deepEqual(t.navigations, ['/login?next=%2Forders%2F7%3Ftab%3D2']);
      const left = t.events.find((e) => e.type === 'auto-logout:logout').at;
      assert.ok(left - signedOutAt <= 1000, `left ${left - signedOutAt} ms after the sign-out`);
    }
    assert.deepEqual(login.navigations, [], 'the login page itself stays');
    assert.equal(world.requests.filter((r) => r.tab === login).length, 0);
  });
}

test('sign-out everywhere without a status URL: the other tabs leave at once', async () => {
  const world = new World();
  const t = world.tab(signedIn({ statusUrl: undefined })).run();
  await world.advance(MIN);
  signOutPage(world);
  await world.advance(0);
  assert.equal(t.navigations.length, 1);
  assert.equal(world.requests.length, 0);
});

test('a forged logout message: the server says signed in, so the tab stays', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(signedIn()).run();
  await world.advance(MIN);
  poster(world).post({ type: 'logout', reason: 'idle' });
  await world.advance(0);
  assert.equal(world.requests.length, 1);
  assert.deepEqual(tab.navigations, []);
  assert.equal(tab.api.deadlines().idleAt, T0 + 10 * MIN);
});

test('a signed-out page reached by Back broadcasts nothing', async () => {
  const world = new World();
  fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(signedIn({ statusUrl: undefined })).run();
  await world.advance(MIN);
  signOutPage(world, { navigationType: 'back_forward' });
  await world.advance(0);
  assert.deepEqual(tab.navigations, []);
});

for (const storage of ['throws', 'throws-on-write']) {
  test(`sign-out page with storage ${storage} and no BroadcastChannel: runs without error, nothing to tell`, async () => {
    const world = new World();
    const t = world.tab(signedIn({ statusUrl: undefined }), { broadcastChannel: false, storage }).run();
    const login = signOutPage(world, { broadcastChannel: false, storage });
    await world.advance(0);
    assert.ok(login.api, 'started');
    assert.deepEqual(t.navigations, []);
    await world.advance(10 * MIN + 25);
    assert.equal(t.navigations.length, 1, 'the tab still leaves at its own deadline');
  });
}

// The login URL comes from the page's markup; injected markup must not send users away.
for (const bad of ['//evil.example/login', '/\\evil.example/login', '/\t/evil.example/login', '/\n/evil.example',
  'https://evil.example/login', 'javascript:alert(1)', 'login', ' /login', '']) {
  test(`login URL ${JSON.stringify(bad)} is not followed: the page is loaded again instead`, async () => {
    const world = new World();
    const tab = world.tab({ idleMs: String(MIN), loginUrl: bad }).run();
    await world.advance(MIN + 25);
    assert.deepEqual(tab.navigations, ['https://app.example/orders/7?tab=2']);
  });
}

for (const good of ['/login', '/accounts/login?lang=de', '/a//b']) {
  test(`login URL ${JSON.stringify(good)} is a path on this site: followed`, async () => {
    const world = new World();
    const tab = world.tab({ idleMs: String(MIN), loginUrl: good }).run();
    await world.advance(MIN + 25);
    assert.equal(tab.navigations.length, 1);
    assert.ok(tab.navigations[0].startsWith(good + (good.includes('?') ? '&next=' : '?next=')), tab.navigations[0]);
  });
}

// The endpoints come from the page's markup too. Under `script-src 'self'` injected markup
// can still load this site's own script file with its own data- attributes; a status or
// keepalive answer is believed, and its `login` (the logout hook's redirect, which may name
// an identity provider) is followed wherever it points. So the script asks only paths on
// this site; any other URL counts as not set, and the script does what it does without
// that endpoint: reload (or the login page) at the deadline, no "Stay signed in".
const KEEPALIVE = '/auto-logout/keepalive';
const EVIL = 'https://evil.example/phish';
const IDP = 'https://idp.example/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Flogin';
const LOGIN_PAGE = '/login?next=%2Forders%2F7%3Ftab%3D2';
const FOREIGN = [
  'https://evil.example/s',
  '//evil.example/s',
  '/\\evil.example/s',
  '/\t/evil.example/s',
  'javascript:alert(1)',
  'http://127.0.0.1.evil/auto-logout/status',
  // A path is the rule, even for an absolute URL of this very origin: the crate writes paths.
  'https://app.example/auto-logout/status',
  'auto-logout/status',
];
// Whatever is asked answers "signed out, go here": the attacker's server would.
const goneTo = (login) => () => ({ active: false, reason: 'idle', login });

for (const bad of FOREIGN) {
  test(`status URL ${JSON.stringify(bad)}: never fetched, its answer never followed; the login page at the deadline`, async () => {
    const world = new World();
    world.status = goneTo(EVIL);
    const tab = world.tab(signedIn({ statusUrl: bad })).run();
    await world.advance(10 * MIN + 25);
    assert.deepEqual(tab.navigations, [LOGIN_PAGE]);
    assert.deepEqual(world.requests.map((r) => r.url), []);
  });

  test(`status URL ${JSON.stringify(bad)}: no request for a message from another tab or a page from history`, async () => {
    const world = new World();
    world.status = goneTo(EVIL);
    // Back to an old copy of the page: with a status endpoint the script asks at once.
    const old = world.tab(signedIn({ statusUrl: bad }), { navigationType: 'back_forward' }).run();
    const tab = world.tab(signedIn({ statusUrl: bad })).run();
    await world.advance(MIN);
    // Restored from the back/forward cache: asked at once too.
    tab.fire('pageshow', { persisted: true });
    await world.advance(0);
    // A logout message: with a status endpoint the server confirms it first. Without
    // one the tab leaves at once, for its own login page.
    poster(world).post({ type: 'logout', reason: 'idle' });
    await world.advance(0);
    assert.deepEqual(tab.navigations, [LOGIN_PAGE]);
    assert.deepEqual(old.navigations, [LOGIN_PAGE]);
    assert.deepEqual(world.requests.map((r) => r.url), []);
  });
}

test('a same-site status URL is asked, and its answer\'s login on another origin (an identity provider) is followed', async () => {
  const world = new World();
  world.status = goneTo(IDP);
  const tab = world.tab(signedIn({ statusUrl: STATUS })).run();
  await world.advance(10 * MIN + 25);
  assert.deepEqual(world.requests.map((r) => [r.method, r.url]), [['GET', STATUS]]);
  assert.deepEqual(tab.navigations, [IDP]);
});

// A page that would send a keepalive (CLIENT_ACTIVITY, typing; then the idle warning).
const keepalivePage = (keepaliveUrl) =>
  signedIn({ keepaliveUrl, warnMs: String(2 * MIN), clientActivity: '' });

for (const bad of FOREIGN) {
  test(`keepalive URL ${JSON.stringify(bad)}: never posted to, no "Stay signed in"; status still works`, async () => {
    const world = new World();
    fakeServer(world, { idle: 10 * MIN });
    world.keepalive = goneTo(EVIL);
    const tab = world.tab(keepalivePage(bad)).run();
    await world.advance(MIN);
    tab.fire('keydown', { key: 'a' }); // input: a keepalive at the warning's lead
    await world.advance(7 * MIN);
    assert.deepEqual(tab.navigations, [], 'no keepalive, so no answer to follow');
    assert.ok(tab.dialog, 'the warning shows instead');
    assert.equal(tab.dialog.find((e) => e.tagName === 'BUTTON'), null, 'nothing to post to: it only informs');
    tab.api.stay();
    tab.fire('keydown', { key: 'b' });
    await world.advance(2 * MIN + 25);
    assert.deepEqual(tab.navigations, [LOGIN_PAGE]);
    assert.ok(world.requests.length >= 1);
    for (const r of world.requests) assert.deepEqual([r.method, r.url], ['GET', STATUS]);
  });
}

test('a same-site keepalive URL is posted to, and its answer\'s login on another origin is followed', async () => {
  const world = new World();
  const server = fakeServer(world, { idle: 10 * MIN });
  const tab = world.tab(keepalivePage(KEEPALIVE)).run();
  await world.advance(MIN);
  tab.fire('keydown', { key: 'a' });
  await world.advance(7 * MIN);
  assert.equal(server.keepalives, 1, 'the input became a keepalive');
  assert.equal(tab.dialog, null);
  assert.equal(tab.api.deadlines().idleAt, T0 + 11 * MIN);
  world.keepalive = goneTo(IDP); // signed out elsewhere meanwhile; the hook names the provider
  tab.api.stay();
  await world.advance(0);
  assert.deepEqual(world.requests.filter((r) => r.method === 'POST').map((r) => r.url), [KEEPALIVE, KEEPALIVE]);
  assert.deepEqual(tab.navigations, [IDP]);
});
