/*! auto-logout: configured by data- attributes on its tag */
(function () {
  'use strict';
  var w = window, d = document, loc = location, K = 'auto-logout';
  var me = d.currentScript || d.querySelector('script[data-' + K + ']');
  if (!me || w.autoLogout) return;
  var ds = me.dataset;
  var MARGIN = 25; // server expiry is strict (< 0)
  var CAP = 60000; // chunk < 2^31-1; ticks re-read the clock after sleep

  // remaining ms -> local time: clock offsets cancel out
  function at(v) {
    return v == null || v === '' || !isFinite(v) ? null : Date.now() + Math.max(0, v);
  }

  var idleAt = at(ds.idleMs), sessionAt = at(ds.sessionMs), warnMs = Math.max(0, ds.warnMs) || 0;
  var statusUrl = ds.statusUrl, keepUrl = ds.keepaliveUrl, loginUrl = ds.loginUrl;
  var timer, busy, gone, checked, warned, box, prev, clock, live, said, bc, rtf;

  function deadline() {
    return idleAt == null ? sessionAt : sessionAt == null ? idleAt : Math.min(idleAt, sessionAt);
  }
  function why() {
    return idleAt === deadline() ? 'idle' : 'session';
  }
  function fire(name, reason) {
    d.dispatchEvent(new CustomEvent(K + ':' + name, { detail: { reason: reason || null, idleAt, sessionAt } }));
  }

  // tab sync: BroadcastChannel, else storage events; either may throw
  try {
    bc = new BroadcastChannel(K);
    bc.onmessage = (e) => hear(e.data);
  } catch (e) {}
  function send(m) {
    try {
      if (bc) bc.postMessage(m);
      else localStorage.setItem(K, JSON.stringify([m, Math.random()])); // must change to fire
    } catch (e) {}
  }
  w.addEventListener('storage', (e) => {
    try {
      if (e.key == K && e.newValue) hear(JSON.parse(e.newValue)[0]);
    } catch (x) {}
  });
  function later(a, b) {
    return a != null && typeof b == 'number' && b > a ? b : a;
  }
  function hear(m) {
    if (!m || gone) return;
    if (m.type == 'logout') leave(m.reason);
    else if (m.type == 'deadlines') {
      // max per limit: a stale tab never shortens ours
      adopt(later(idleAt, m.idleAt), later(sessionAt, m.sessionAt));
      arm();
    }
  }

  function adopt(i, s) {
    var ext = idleAt != null && i > idleAt + 1000;
    idleAt = i;
    sessionAt = s;
    if (ext) fire('extended');
  }
  // the server's answer: taken as is
  function answer(j) {
    if (!j.active) {
      send({ type: 'logout', reason: j.reason });
      return leave(j.reason || why());
    }
    adopt(at(j.idle_ms), at(j.session_ms));
    checked = Date.now();
    send({ type: 'deadlines', idleAt, sessionAt });
    arm();
  }

  function call(url, post, cb) {
    var k = setTimeout(fin, 5000, null), h = { ['X-Auto-Logout' + (post ? '' : '-Passive')]: '1' };
    function fin(j) {
      if (k) clearTimeout(k), k = 0, cb(j);
    }
    fetch(url, { method: post ? 'POST' : 'GET', headers: h, credentials: 'same-origin', cache: 'no-store' })
      .then((r) => r.ok && r.json())
      .then((j) => fin(j && typeof j.active == 'boolean' ? j : null), () => fin(null));
  }

  // passive; last: the deadline passed
  function ask(last, n = 0) {
    busy = 1;
    call(statusUrl, 0, (j) => {
      if (!j && last && n < 2) return (timer = setTimeout(ask, 250 << n, last, n + 1));
      busy = 0;
      if (j) answer(j);
      else if (last) leave(why()); // unknown: the server decides on the GET
      else checked = Date.now(), arm();
    });
  }

  // extends the session: on user action only
  function keep() {
    if (keepUrl && !gone) call(keepUrl, 1, (j) => {
      if (j) close(), answer(j);
    });
  }

  function leave(reason) {
    if (gone) return;
    gone = 1;
    clearTimeout(timer);
    fire('before-logout', reason); // sync: a page can save a draft
    fire('logout', reason);
    // a GET even after a POST, and no history entry
    loc.replace(loginUrl
      ? loginUrl + (loginUrl.indexOf('?') < 0 ? '?' : '&') + 'next=' + encodeURIComponent(loc.pathname + loc.search)
      : loc.href.split('#')[0]);
  }

  function arm() {
    if (gone || busy) return;
    clearTimeout(timer);
    var t = Date.now(), dl = deadline(), next = dl + MARGIN, fresh;
    if (dl == null) return close();
    if (box && dl - t > warnMs) close();
    if (t >= next) return statusUrl ? ask(1) : leave(why());
    if (warnMs && !(Math.abs(warned - dl) < 1000)) { // a new deadline (+-1 s)
      if (t < dl - warnMs) next = dl - warnMs;
      // activity elsewhere may have moved it: ask, once per window
      else if (statusUrl && !(checked >= dl - warnMs)) return ask();
      else fresh = show(dl);
    }
    if (box) {
      // first paint 0.1 s after showing: a live region must exist before it changes
      if (!fresh) paint(dl - t);
      if (dl > t) next = Math.min(next, t + (fresh ? 100 : (dl - t) % 1000 || 1000));
    }
    timer = setTimeout(arm, Math.min(next - t, CAP));
  }

  try {
    rtf = new Intl.RelativeTimeFormat(d.documentElement.lang || undefined);
  } catch (e) {}
  // spoken per minute, then per 20 s; never more than is left
  function paint(rem) {
    var s = Math.ceil(rem / 1000), m = s > 60, u = m ? 'minute' : 'second', n = m ? Math.floor(s / 60) : s;
    var step = m ? Math.ceil(s / 60) : -Math.ceil(s / 20);
    clock.textContent = Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2);
    if (s > 0 && said != step) {
      said = step;
      live.textContent = rtf ? rtf.format(n, u) : n + ' ' + u + 's';
    }
  }

  function el(tag, cls, attrs, text) {
    var e = d.createElement(tag);
    e.className = cls;
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    if (box) box.appendChild(e);
    return e;
  }
  function show(dl) {
    warned = dl;
    if (box) return;
    var c = ds.warnClass || K + '-warning', idle = why() == 'idle', stay = idle && keepUrl, btn;
    prev = d.activeElement;
    box = el('div', c, {
      role: 'alertdialog', 'aria-labelledby': K + '-title', 'aria-describedby': K + '-text', tabindex: '-1'
    });
    el('p', c + '__title', { id: K + '-title' }, ds.warnTitle || 'Your session is about to end');
    el('p', c + '__text', { id: K + '-text' }, idle
      ? ds.warnIdleText || 'You will be signed out due to inactivity.'
      : ds.warnSessionText || 'Your session reaches its time limit.');
    clock = el('p', c + '__time', { 'aria-hidden': 'true' });
    if (stay) btn = el('button', c + '__button', { type: 'button' }, ds.warnStayLabel || 'Stay signed in');
    live = el('p', K + '-visually-hidden', { 'aria-live': 'polite' });
    said = 0;
    if (btn) btn.addEventListener('click', keep);
    box.addEventListener('keydown', (e) => {
      if (e.key == 'Escape') stay ? keep() : close();
    });
    d.body.appendChild(box);
    (btn || box).focus();
    fire('warning', idle ? 'idle' : 'session');
    return 1;
  }
  function close() {
    if (!box) return;
    var inside = box.contains(d.activeElement);
    box.remove();
    box = null;
    if (inside && prev) prev.focus();
  }

  d.addEventListener('visibilitychange', arm);
  w.addEventListener('focus', arm);
  w.addEventListener('online', arm);
  // bfcache restore: maybe signed out meanwhile, so ask
  w.addEventListener('pageshow', (e) => (e.persisted && statusUrl && !busy && !gone ? ask() : arm()));

  w.autoLogout = Object.freeze({
    deadlines: () => ({ idleAt, sessionAt }),
    stay: keep
  });
  if (deadline() != null) send({ type: 'deadlines', idleAt, sessionAt });
  arm();
})();
