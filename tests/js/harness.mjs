// A small fake browser for assets/auto-logout.js: window, document, location, timers,
// fetch, BroadcastChannel and localStorage, all driven by a fake clock. Several tabs of
// one origin share a world (clock, server, channels, storage). Nothing waits real time.
// Where browsers are unkind, so is this one: a timer above 2^31-1 ms fires at once, the
// wall clock (Date.now) steps either way independently of the timers' clock, channel and
// storage messages arrive as later tasks, and hidden tabs' timers are throttled.
import vm from 'node:vm';
import fs from 'node:fs';

// The tests run the shipped build (what the crate embeds and serves), not the readable source.
export const ASSET_PATH = new URL('../../assets/auto-logout.min.js', import.meta.url);
export const SRC = fs.readFileSync(ASSET_PATH, 'utf8');
// The readable source the build is made from (assets/build.sh).
export const SOURCE_PATH = new URL('../../assets/auto-logout.js', import.meta.url);
export const SOURCE = fs.readFileSync(SOURCE_PATH, 'utf8');
export const MAX_TIMER = 2 ** 31 - 1;
export const T0 = 1_700_000_000_000;
// Chromium's throttling of timers in hidden tabs: wake-ups aligned to whole seconds, and
// to whole minutes once the tab has been hidden for five minutes ("intensive throttling").
// Applied here to every timer of a hidden tab, which is at least as harsh.
export const HIDDEN_ALIGN_MS = 1000;
export const INTENSIVE_AFTER_MS = 5 * 60_000;
export const INTENSIVE_ALIGN_MS = 60_000;

// Let promise chains (fetch, json) and queued messages settle.
export async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

class Ev {
  constructor(type, init = {}) {
    Object.assign(this, init);
    this.type = type;
  }
}

class Target {
  constructor() {
    this.listeners = {};
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] || []).filter((f) => f !== fn);
  }
  fireHere(ev) {
    for (const fn of [...(this.listeners[ev.type] || [])]) fn.call(this, ev);
  }
}

class El extends Target {
  constructor(doc, tag) {
    super();
    this.ownerDocument = doc;
    this.tagName = tag.toUpperCase();
    this.attrs = new Map();
    this.children = [];
    this.parentNode = null;
    this.text = '';
    this.history = []; // every textContent written, for the tests
    this.dataset = {};
  }
  setAttribute(k, v) {
    if (/^on/i.test(k) || k === 'style') throw new Error(`forbidden attribute ${k}`);
    this.attrs.set(k, String(v));
  }
  getAttribute(k) {
    return this.attrs.has(k) ? this.attrs.get(k) : null;
  }
  hasAttribute(k) {
    return this.attrs.has(k);
  }
  get id() {
    return this.getAttribute('id') || '';
  }
  set id(v) {
    this.setAttribute('id', v);
  }
  get className() {
    return this.getAttribute('class') || '';
  }
  set className(v) {
    this.setAttribute('class', v);
  }
  get classList() {
    return this.className.split(/\s+/).filter(Boolean);
  }
  // CSSOM properties (element.style.x = ...), which CSP allows; a style attribute or
  // cssText is an inline style, which it does not.
  get style() {
    if (!this.cssom) {
      this.cssom = {};
      Object.defineProperty(this.cssom, 'cssText', {
        set() {
          throw new Error('inline style used');
        },
      });
    }
    return this.cssom;
  }
  set style(v) {
    throw new Error('inline style used');
  }
  set innerHTML(v) {
    throw new Error('innerHTML used');
  }
  set textContent(v) {
    this.children.forEach((c) => (c.parentNode = null));
    this.children = [];
    this.text = String(v);
    this.history.push(this.text);
  }
  get textContent() {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  appendChild(c) {
    if (c.parentNode) c.remove();
    c.parentNode = this;
    this.children.push(c);
    return c;
  }
  remove() {
    const p = this.parentNode;
    if (!p) return;
    p.children = p.children.filter((c) => c !== this);
    this.parentNode = null;
    const doc = this.ownerDocument;
    if (this.contains(doc.activeElement)) doc.activeElement = doc.body; // as browsers do
  }
  contains(n) {
    for (; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  get isConnected() {
    return this.ownerDocument.documentElement.contains(this);
  }
  focus() {
    if (!this.isConnected) return;
    this.ownerDocument.activeElement = this;
    this.ownerDocument.focusLog.push(this);
  }
  dispatchEvent(ev) {
    ev.target = this;
    for (let n = this; n; n = n.parentNode) n.fireHere(ev);
    return true;
  }
  click() {
    this.dispatchEvent(new Ev('click'));
  }
  // Depth-first search, for the tests.
  find(pred) {
    for (const c of this.children) {
      if (pred(c)) return c;
      const r = c.find(pred);
      if (r) return r;
    }
    return null;
  }
}

class Doc extends Target {
  constructor(script) {
    super();
    this.documentElement = new El(this, 'html');
    this.documentElement.attrs.set('lang', 'en');
    this.documentElement.lang = 'en';
    this.head = this.documentElement.appendChild(new El(this, 'head'));
    this.body = this.documentElement.appendChild(new El(this, 'body'));
    this.activeElement = this.body;
    this.focusLog = [];
    this.events = [];
    this.visibilityState = 'visible';
    this.currentScript = script;
    this.script = script;
    this.title = 'Orders';
  }
  get hidden() {
    return this.visibilityState === 'hidden';
  }
  createElement(tag) {
    return new El(this, tag);
  }
  querySelector(sel) {
    return sel === 'script[data-auto-logout]' && this.script ? this.script : null;
  }
  getElementById(id) {
    return this.documentElement.find((e) => e.id === id);
  }
  dispatchEvent(ev) {
    ev.target = this;
    this.events.push({ type: ev.type, detail: ev.detail, at: this.now() });
    this.fireHere(ev);
    return true;
  }
}

// A tiny server: tests set `world.status` / `world.keepalive` to a function (req) -> reply.
// A reply is a plain object (sent as 200 JSON), or {status, body}, or 'network' (rejects),
// or 'hang' (never answers), or 'text' (200 with a non-JSON body).
function respond(reply) {
  if (reply === 'network') return Promise.reject(new TypeError('Failed to fetch'));
  if (reply === 'hang') return new Promise(() => {});
  let status = 200;
  let body = reply;
  if (reply === 'text') body = undefined;
  else if (reply && typeof reply.status === 'number') ({ status, body } = reply);
  return Promise.resolve({
    ok: status >= 200 && status < 300,
    status,
    json: () => (body === undefined ? Promise.reject(new SyntaxError('not JSON')) : Promise.resolve(structuredClone(body))),
  });
}

export class World {
  constructor({ now = T0 } = {}) {
    this.wall = now; // Date.now()
    this.mono = 0; // what timers run on; does not move while the laptop sleeps
    this.timers = [];
    this.tasks = []; // queued tasks (messages, storage events), run in order before timers
    this.seq = 0;
    this.maxDelay = 0;
    this.badDelays = [];
    this.requests = [];
    this.tabs = [];
    this.channels = [];
    this.store = new Map();
    this.status = () => 'network';
    this.keepalive = () => 'network';
  }

  // Queues a task (a message event, a storage event): it runs after the current task
  // and its microtasks, in order, never inside the task that caused it.
  queueTask(fn) {
    this.tasks.push(fn);
  }

  async runTasks() {
    for (let n = 0; this.tasks.length; n++) {
      if (n > 100_000) throw new Error('runaway messages');
      this.tasks.shift()();
      await flush();
    }
  }

  // When a timer really fires: when due in a visible tab; in a hidden tab on the next
  // aligned wake-up (see HIDDEN_ALIGN_MS), never before it is due.
  firesAt(t) {
    const at = Math.max(t.at, this.mono);
    const tab = t.tab;
    if (tab.document.visibilityState !== 'hidden') return at;
    const align = at - tab.hiddenAt >= INTENSIVE_AFTER_MS ? INTENSIVE_ALIGN_MS : HIDDEN_ALIGN_MS;
    return Math.ceil(at / align) * align;
  }

  // Time passes normally: queued tasks run, timers fire in order, promises settle after
  // each one.
  async advance(ms) {
    const end = this.mono + ms;
    await flush();
    let sameInstant = 0;
    for (let fired = 0; ; fired++) {
      if (fired > 1_000_000) throw new Error('runaway timers');
      await this.runTasks();
      let due = null;
      let dueAt = Infinity;
      for (const t of this.timers) {
        const at = this.firesAt(t);
        if (at < dueAt || (at === dueAt && t.id < due.id)) [due, dueAt] = [t, at];
      }
      if (!due || dueAt > end) break;
      sameInstant = dueAt === this.mono ? sameInstant + 1 : 0;
      // A timer that re-arms itself at once (an overflowed delay does) hangs a browser.
      if (sameInstant > 1000) throw new Error('timer storm: more than 1000 timers at one instant');
      this.wall += dueAt - this.mono;
      this.mono = dueAt;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn(...due.args);
      await flush();
    }
    this.wall += end - this.mono;
    this.mono = end;
    await flush();
    await this.runTasks();
    if (this.broken) throw new Error(this.broken);
  }

  // The machine sleeps: the wall clock jumps, timers do not notice.
  sleep(ms) {
    this.wall += ms;
  }

  // NTP or the user sets the clock: Date.now() steps by `ms`, forwards or backwards;
  // timers (a monotonic clock) do not notice.
  stepClock(ms) {
    this.wall += ms;
  }

  pendingTimers(tab) {
    return this.timers.filter((t) => t.tab === tab);
  }

  tab(dataset = {}, opts = {}) {
    const tab = new Tab(this, dataset, opts);
    this.tabs.push(tab);
    return tab;
  }
}

class Tab {
  // navigationType: what Navigation Timing reports for this page load ('navigate',
  // 'reload', 'back_forward'); null for a browser without the performance API.
  constructor(world, dataset, { href = 'https://app.example/orders/7?tab=2#notes', broadcastChannel = true, storage = 'ok', currentScript = true, navigationType = 'navigate' } = {}) {
    this.world = world;
    this.navigations = [];
    this.closed = false;
    this.hiddenAt = null; // the true time the tab was hidden at, while it is hidden
    this.leftAt = null;
    const url = new URL(href);
    const tab = this;
    const script = new El(null, 'script');
    script.dataset = { autoLogout: '', ...dataset };
    const doc = new Doc(script);
    script.ownerDocument = doc;
    doc.currentScript = currentScript ? script : null;
    doc.now = () => world.wall;
    this.document = doc;

    const win = new Target();
    this.window = win;
    const sandbox = {
      window: null,
      document: doc,
      location: {
        href: url.href,
        pathname: url.pathname,
        search: url.search,
        hash: url.hash,
        replace(u) {
          tab.navigations.push(String(u));
          tab.leftAt ??= world.mono; // true time (the timers' clock) of the first navigation
          tab.unload();
        },
        assign() {
          throw new Error('location.assign used');
        },
        reload() {
          throw new Error('location.reload used');
        },
      },
      addEventListener: (t, f) => win.addEventListener(t, f),
      removeEventListener: (t, f) => win.removeEventListener(t, f),
      dispatchEvent: (ev) => (win.fireHere(ev), true),
      setTimeout: (fn, ms = 0, ...args) => {
        if (tab.closed) return 0;
        ms = Number(ms) || 0;
        world.maxDelay = Math.max(world.maxDelay, ms);
        // Browsers keep the delay in a signed 32-bit integer: above 2^31-1 ms it
        // overflows and the timer fires at once.
        if (ms > MAX_TIMER) {
          world.badDelays.push(ms);
          ms = 0;
        }
        const id = ++world.seq;
        world.timers.push({ id, at: world.mono + Math.max(0, ms), fn, args, tab });
        return id;
      },
      clearTimeout: (id) => {
        world.timers = world.timers.filter((t) => t.id !== id);
      },
      fetch: (u, init = {}) => {
        const req = {
          tab,
          url: String(u),
          method: (init.method || 'GET').toUpperCase(),
          headers: { ...(init.headers || {}) },
          credentials: init.credentials,
          cache: init.cache,
          at: world.wall,
        };
        world.requests.push(req);
        if (world.requests.filter((r) => r.at === req.at).length > 20) {
          world.broken = 'request storm: more than 20 requests at one instant';
          return new Promise(() => {});
        }
        const handler = req.url === tab.statusUrl ? world.status : req.url === tab.keepaliveUrl ? world.keepalive : () => ({ status: 404, body: {} });
        return respond(handler(req));
      },
      CustomEvent: class CustomEvent extends Ev {
        constructor(type, init = {}) {
          super(type, { detail: init.detail ?? null });
        }
      },
      Date: class extends Date {
        constructor(...a) {
          if (a.length) super(...a);
          else super(world.wall);
        }
        static now() {
          return world.wall;
        }
      },
      console,
    };
    if (navigationType !== null) {
      sandbox.performance = {
        getEntriesByType: (type) => (type === 'navigation' ? [{ type: navigationType, name: url.href }] : []),
      };
    }
    if (broadcastChannel) {
      sandbox.BroadcastChannel = class BroadcastChannel {
        constructor(name) {
          this.name = name;
          this.tab = tab;
          this.onmessage = null;
          world.channels.push(this);
        }
        postMessage(data) {
          const copy = structuredClone(data);
          for (const ch of world.channels) {
            if (ch !== this && ch.name === this.name && !ch.tab.closed && ch.tab !== tab) {
              world.queueTask(() => !ch.tab.closed && ch.onmessage && ch.onmessage({ data: structuredClone(copy) }));
            }
          }
        }
        close() {}
      };
    }
    const storageApi = {
      getItem: (k) => (world.store.has(k) ? world.store.get(k) : null),
      setItem: (k, v) => {
        if (storage === 'throws-on-write') throw new Error('QuotaExceededError');
        const old = world.store.has(k) ? world.store.get(k) : null;
        v = String(v);
        world.store.set(k, v);
        if (old !== v) {
          for (const other of world.tabs) {
            if (other !== tab && !other.closed) {
              world.queueTask(() => !other.closed && other.window.fireHere(new Ev('storage', { key: k, oldValue: old, newValue: v })));
            }
          }
        }
      },
      removeItem: (k) => world.store.delete(k),
    };
    Object.defineProperty(sandbox, 'localStorage', {
      enumerable: true,
      get() {
        if (storage === 'throws') throw new Error('SecurityError: access denied');
        return storageApi;
      },
    });
    sandbox.window = sandbox;
    this.statusUrl = dataset.statusUrl;
    this.keepaliveUrl = dataset.keepaliveUrl;
    this.sandbox = sandbox;
    this.context = vm.createContext(sandbox);
    this.globalsBefore = Object.keys(sandbox);
  }

  run(src = SRC) {
    vm.runInContext(src, this.context, { filename: 'auto-logout.min.js' });
    return this;
  }

  unload() {
    this.closed = true;
    this.world.timers = this.world.timers.filter((t) => t.tab !== this);
  }

  // The user switches to another tab or minimises the window, and back. Timers of a
  // hidden tab are throttled from then on (World.firesAt).
  hide() {
    this.hiddenAt = this.world.mono;
    this.document.visibilityState = 'hidden';
    this.fire('visibilitychange');
  }
  show() {
    this.hiddenAt = null;
    this.document.visibilityState = 'visible';
    this.fire('visibilitychange');
  }

  // Browser events.
  fire(type, init = {}) {
    const ev = new Ev(type, init);
    if (type === 'visibilitychange') this.document.fireHere(ev);
    else this.window.fireHere(ev);
  }

  get events() {
    return this.document.events.filter((e) => e.type.startsWith('auto-logout:'));
  }
  eventTypes() {
    return this.events.map((e) => e.type.slice('auto-logout:'.length));
  }
  get dialog() {
    return this.document.body.find((e) => e.getAttribute('role') === 'alertdialog');
  }
  byClass(cls) {
    return this.document.body.find((e) => e.classList.includes(cls));
  }
  get requests() {
    return this.world.requests.filter((r) => r.tab === this);
  }
  get api() {
    return this.sandbox.autoLogout;
  }
}

// A server that keeps the session's stamps: status is passive, keepalive (POST with
// X-Auto-Logout: 1) is activity. `touch()` is activity from elsewhere (another device, XHR).
// A keepalive with X-Auto-Logout-Input-Age (plain decimal ms) is activity that long ago,
// never before the last activity, as the crate records it (no write resolution here).
export function fakeServer(world, { idle = null, session = null } = {}) {
  const s = { last: world.wall, login: world.wall, touch: () => (s.last = world.wall), keepalives: 0 };
  const state = () => {
    const idleEnd = idle == null ? Infinity : s.last + idle;
    const sessionEnd = session == null ? Infinity : s.login + session;
    if (world.wall - Math.min(idleEnd, sessionEnd) > 0) return goneReply(idleEnd <= sessionEnd ? 'idle' : 'session');
    return alive(idle == null ? null : idleEnd - world.wall, session == null ? null : sessionEnd - world.wall);
  };
  world.status = () => state();
  world.keepalive = (req) => {
    if (req.method !== 'POST' || req.headers['X-Auto-Logout'] !== '1') return { status: 403, body: { error: 'forbidden' } };
    const st = state();
    if (st.active) {
      s.keepalives++;
      const age = req.headers['X-Auto-Logout-Input-Age'];
      const plain = age !== undefined && /^[0-9]+$/.test(String(age));
      s.last = plain ? Math.max(s.last, world.wall - Number(age)) : world.wall;
      return state();
    }
    return st;
  };
  return s;
}

// Replies of the status / keepalive endpoints, in the contract's shape.
export const alive = (idle_ms, session_ms = null) => ({ active: true, idle_ms, session_ms });
export const goneReply = (reason = 'idle') => ({ active: false, reason });
