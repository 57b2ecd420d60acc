// Live countdowns for the demo's home page. The auto-logout script does the real work;
// this only shows its deadlines, and follows them when a keepalive moves them.
(function () {
  'use strict';
  var idle = document.getElementById('idle-left'), session = document.getElementById('session-left');
  var start = Date.now();
  function at(el) {
    return el && el.dataset.on === 'true' ? start + 1000 * Number(el.dataset.seconds) : null;
  }
  var idleAt = at(idle), sessionAt = at(session);
  function show(el, deadline) {
    if (!el) return;
    if (deadline == null) { el.textContent = 'off'; return; }
    var s = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    el.textContent = Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
  }
  function tick() {
    show(idle, idleAt);
    show(session, sessionAt);
  }
  function follow(e) {
    if (e.detail && e.detail.idleAt != null) idleAt = e.detail.idleAt;
    if (e.detail && e.detail.sessionAt != null) sessionAt = e.detail.sessionAt;
    tick();
  }
  document.addEventListener('auto-logout:extended', follow);
  document.addEventListener('auto-logout:warning', follow);
  tick();
  setInterval(tick, 1000);
})();
