/*! auto-logout: leave the page when the server-side session runs out.
 * Classic script; configured by the data- attributes of its own tag. */
(function () {
  'use strict';
  var w = window, d = document, loc = location;
  var me = d.currentScript || d.querySelector('script[data-auto-logout]');
  if (!me || w.autoLogout) return; // one instance per page
  var ds = me.dataset;
  var KEY = 'auto-logout';
  var MARGIN = 25; // the server expires on remaining < 0: act just after
  var CAP = 60000; // timer chunk: far below 2^31-1, and re-reads the clock after sleep
  var NEAR = 1000; // deadlines closer than this are the same deadline

  function num(v) {
    var n = v == null || v === '' ? NaN : +v;
    return isFinite(n) ? Math.max(0, n) : null;
  }
  // Remaining ms -> absolute time on this browser's clock (its offset never matters).
  function at(ms) {
    return ms == null ? null : Date.now() + ms;
  }
  function near(a, b) {
    return a != null && Math.abs(a - b) < NEAR;
  }

  var idleAt = at(num(ds.idleMs)), sessionAt = at(num(ds.sessionMs));
  var statusUrl = ds.statusUrl, loginUrl = ds.loginUrl;
  var timer, busy, gone;

  function deadline() {
    return idleAt == null ? sessionAt : sessionAt == null ? idleAt : Math.min(idleAt, sessionAt);
  }
  function why() {
    return idleAt != null && (sessionAt == null || idleAt <= sessionAt) ? 'idle' : 'session';
  }
  function fire(name, reason) {
    try {
      d.dispatchEvent(new CustomEvent(KEY + ':' + name, {
        detail: { reason: reason || null, idleAt: idleAt, sessionAt: sessionAt }
      }));
    } catch (e) {}
  }

  // Tabs of one origin: BroadcastChannel, else the storage event. Both may be missing or throw.
  var bc;
  try {
    bc = new BroadcastChannel(KEY);
    bc.onmessage = function (e) { hear(e.data); };
  } catch (e) {
    bc = null;
  }
  function send(m) {
    try {
      if (bc) bc.postMessage(m);
      else localStorage.setItem(KEY, JSON.stringify([m, Math.random()])); // must change to fire
    } catch (e) {}
  }
  function sendDeadlines() {
    send({ type: 'deadlines', idleAt: idleAt, sessionAt: sessionAt });
  }
  w.addEventListener('storage', function (e) {
    try {
      if (e.key === KEY && e.newValue) hear(JSON.parse(e.newValue)[0]);
    } catch (x) {}
  });
  function later(a, b) {
    return a != null && typeof b == 'number' && b > a ? b : a;
  }
  function hear(m) {
    if (!m || gone) return;
    if (m.type === 'logout') leave(m.reason);
    // Another tab saw a later deadline: take the max per limit, never shorten ours.
    else if (m.type === 'deadlines') {
      adopt(later(idleAt, m.idleAt), later(sessionAt, m.sessionAt));
      arm();
    }
  }

  function adopt(i, s) {
    var ext = idleAt != null && i != null && i > idleAt + NEAR;
    idleAt = i;
    sessionAt = s;
    if (ext) fire('extended');
  }
  // A status or keepalive answer is the server's truth: adopt it as is.
  function answer(j) {
    if (!j.active) {
      send({ type: 'logout', reason: j.reason });
      return leave(j.reason || why());
    }
    adopt(at(num(j.idle_ms)), at(num(j.session_ms)));
    sendDeadlines();
    arm();
  }

  // fetch -> parsed answer or null (network error, non-2xx, not JSON, wrong shape, timeout).
  function call(url, post, cb) {
    var h = {}, over = 0, k;
    function fin(j) {
      if (over) return;
      over = 1;
      clearTimeout(k);
      cb(j);
    }
    k = setTimeout(fin, 5000, null);
    h[post ? 'X-Auto-Logout' : 'X-Auto-Logout-Passive'] = '1';
    Promise.resolve().then(function () {
      return fetch(url, { method: post ? 'POST' : 'GET', headers: h, credentials: 'same-origin', cache: 'no-store' });
    }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      fin(j && typeof j.active == 'boolean' ? j : null);
    }, function () {
      fin(null);
    });
  }

  // Passive status check at the deadline; never counts as activity.
  function ask(n) {
    busy = 1;
    call(statusUrl, 0, function (j) {
      n = n || 0;
      if (!j && n < 2) return (timer = setTimeout(ask, 250 << n, n + 1));
      busy = 0;
      if (j) answer(j);
      else leave(why()); // unknown: let the server decide on a plain GET
    });
  }

  function leave(reason) {
    if (gone) return;
    gone = 1;
    clearTimeout(timer);
    fire('before-logout', reason); // synchronous: a page can save a draft now
    fire('logout', reason);
    // replace(): no history entry, and a GET even when this page came from a POST.
    loc.replace(loginUrl
      ? loginUrl + (loginUrl.indexOf('?') < 0 ? '?' : '&') + 'next=' + encodeURIComponent(loc.pathname + loc.search)
      : loc.href.split('#')[0]);
  }

  // Every tick and wake-up event lands here; all decisions use the wall clock.
  function arm() {
    if (gone || busy) return;
    clearTimeout(timer);
    var t = Date.now(), dl = deadline();
    if (dl == null) return;
    if (t >= dl + MARGIN) return statusUrl ? ask() : leave(why());
    timer = setTimeout(arm, Math.min(dl + MARGIN - t, CAP));
  }

  d.addEventListener('visibilitychange', arm);
  // pageshow also covers a back/forward-cache restore: re-check, but broadcast nothing stale.
  ['focus', 'pageshow', 'online'].forEach(function (n) { w.addEventListener(n, arm); });

  w.autoLogout = Object.freeze({
    deadlines: function () { return { idleAt: idleAt, sessionAt: sessionAt }; }
  });
  if (deadline() != null) sendDeadlines();
  arm();
})();
