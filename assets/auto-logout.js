/*
 * auto-logout: the client script. It takes the browser to the login page when the
 * session's time runs out, warns before that if asked to, and keeps the tabs of one
 * site in step.
 *
 * This is the readable source. The crate ships assets/auto-logout.min.js, built from
 * this file by assets/build.sh (`npm run build`); rebuild after every change.
 *
 * Everything that differs per request comes from data- attributes on the script's own
 * tag, never from script text, so the same bytes serve every page and a strict
 * Content-Security-Policy needs no 'unsafe-inline'. Classic script, ES2017 at most.
 */
(function () {
  'use strict';

  const NAME = 'auto-logout';

  // The tag this script came from. `currentScript` is null when the script runs from
  // an event handler or some loaders, so fall back to looking for the marker attribute.
  const tag = document.currentScript || document.querySelector('script[data-' + NAME + ']');
  // No tag: nothing configures us. `window.autoLogout` set: another copy already runs.
  if (!tag || window.autoLogout) return;
  const data = tag.dataset;

  // The server expires a session when its remaining time is below zero, strictly; we
  // act a little after the deadline so our status request never arrives just before.
  const MARGIN_MS = 25;
  // Longest single timer. Browsers overflow above 2^31-1 ms, and a short tick re-reads
  // the wall clock regularly, so a laptop that slept past the deadline acts soon.
  const MAX_TIMER_MS = 60000;
  // A status or keepalive request that takes longer than this counts as failed.
  const REQUEST_TIMEOUT_MS = 5000;
  // At the deadline a failed status request is retried this many times, 250 ms, 500 ms.
  const STATUS_RETRIES = 2;
  const RETRY_FIRST_DELAY_MS = 250;
  // Deadlines closer than this are the same deadline (the server counts in whole
  // milliseconds, pages and tabs round differently).
  const SAME_DEADLINE_MS = 1000;
  // What other tabs say is checked with the server, at most once per this interval.
  const VERIFY_INTERVAL_MS = 500;
  // CLIENT_ACTIVITY without a warning: the keepalive for input in the page goes this
  // long before the idle deadline (at most a quarter of the idle limit).
  const INPUT_LEAD_MS = 5000;
  // Input here is told to the other tabs at most once per this interval.
  const INPUT_SHARE_MS = 1000;
  // A tab that heard of input from another tab gives that tab this long (at most half
  // the lead) to send the keepalive, so several tabs do not all send one.
  const HANDOFF_MS = 1000;

  // ---- Configuration from the tag ----------------------------------------------------

  // Turns "milliseconds remaining", as the server reports them, into a local time.
  // Remaining times (not absolute ones) make the browser's clock error irrelevant.
  // Returns null for a limit that is not configured or not a number.
  function deadlineFromRemaining(remainingMs) {
    if (remainingMs === null || remainingMs === undefined || remainingMs === '') return null;
    const milliseconds = Number(remainingMs);
    if (!Number.isFinite(milliseconds)) return null;
    return Date.now() + Math.max(0, milliseconds);
  }

  // A non-negative number of milliseconds; anything else (missing, negative, text) is 0.
  function nonNegativeMillis(text) {
    const milliseconds = Number(text);
    return Number.isFinite(milliseconds) && milliseconds > 0 ? milliseconds : 0;
  }

  // The URL when it is a path on this site, else null: one leading slash. "//host" and
  // "/\host" are read by browsers as another host, and they drop tabs and newlines from
  // URLs ("/\t/host" is "//host"), so those are refused too. Every URL the script
  // fetches, follows or links comes from here, so injected markup (a second tag for this
  // file) cannot send the tab or its requests off-site.
  function sameSitePath(url) {
    return typeof url === 'string' && /^\/(?![\/\\])[^\x00-\x20\x7f]*$/.test(url) ? url : null;
  }

  const warnBeforeMs = nonNegativeMillis(data.warnMs);
  // The endpoints. Not same-site paths: as if none were set, so the script does what it
  // does without them (reload at the deadline, no "Stay signed in"). A status answer's
  // `login` is followed wherever it points (the logout hook may name an identity
  // provider), so it must come from the site's own endpoint.
  const statusUrl = sameSitePath(data.statusUrl);
  const keepaliveUrl = sameSitePath(data.keepaliveUrl);
  // Not a same-site path: as if none were set (the page is loaded again instead).
  const loginUrl = sameSitePath(data.loginUrl);
  // The configured limits: no honest tab reports a deadline further away than these.
  // For a limit the tag does not state, no later deadline from another tab is accepted.
  const idleLimitMs = data.idleLimitMs ? nonNegativeMillis(data.idleLimitMs) : null;
  const sessionLimitMs = data.sessionLimitMs ? nonNegativeMillis(data.sessionLimitMs) : null;
  // Tabs talk only to tabs of the same app and login URL: two apps on one origin, with
  // different limits, must not move each other's deadlines.
  const channelName = data.scope ? NAME + ':' + data.scope : NAME;
  // Rendered on the page shown after an explicit sign-out: tell the other tabs.
  const signedOut = data.signedOut !== undefined;
  // CLIENT_ACTIVITY: keyboard, pointer, touch and scroll input counts as activity.
  const clientActivity = data.clientActivity !== undefined;
  // The warning's default stylesheet, linked unless the app styles the dialog itself.
  const stylesheetUrl = sameSitePath(data.stylesheet);
  // LOCK_AFTER: the page locks this long after the last activity the server counted,
  // and its password is sent here.
  const lockMs = data.lockMs ? nonNegativeMillis(data.lockMs) : null;
  const unlockUrl = sameSitePath(data.unlockUrl);
  // SIGN_IN_AGAIN: the warning before the absolute limit takes the password.
  const reauthenticateUrl = sameSitePath(data.reauthenticateUrl);
  // TITLE_COUNTDOWN: a hidden tab's title shows the warning's countdown.
  const titleCountdown = data.titleCountdown !== undefined;
  // LOGOUT_ON_TABS_CLOSED: the server's presence lease, renewed while this tab is open.
  const presenceMs = nonNegativeMillis(data.presenceMs);
  const loadedAt = Date.now();

  // ---- State -------------------------------------------------------------------------

  // Local times (ms since the epoch) at which each limit ends; null when not configured.
  let idleAt = deadlineFromRemaining(data.idleMs);
  let sessionAt = deadlineFromRemaining(data.sessionMs);

  let timer = null;
  // A status request is in flight: wake-up events must not send a second one.
  let statusPending = false;
  // When the last status request was sent (0: never), and the timer of a planned check
  // of what another tab said.
  let lastAskedAt = 0;
  let verifyTimer = null;
  // We are navigating away: nothing else may happen.
  let leaving = false;
  // When the server last told us (or failed to tell us) how things stand (0: never).
  // Used so the warning window asks the server at most once.
  let lastCheckedAt = 0;
  // The deadline the open (or last) warning was shown for.
  let warnedForDeadline = null;
  // A keepalive is in flight: input, the button and Escape must not send a second one.
  let keepalivePending = false;
  // When the last keepalive was sent: input before it is already accounted for.
  let keepaliveSentAt = 0;
  // CLIENT_ACTIVITY: when the user last gave input, in this tab or another, whether
  // that was here, and when input here was last told to the other tabs (0: never).
  let lastInputAt = null;
  let lastInputWasHere = false;
  let lastInputSharedAt = 0;

  // The warning dialog and its parts, while it is shown.
  let dialog = null;
  let dialogCanStay = false;
  let focusBeforeDialog = null;
  let countdown = null;
  let announcement = null;
  let lastAnnouncedStep = null;
  // The page's own title, while the countdown may replace it.
  let pageTitle = null;

  // The lock dialog while the session is locked, and what it changed on the page to
  // hide it: [element, inert, aria-hidden, visibility] for each child of the body.
  let lockDialog = null;
  let hiddenPage = [];

  function nearestDeadline() {
    if (idleAt === null) return sessionAt;
    if (sessionAt === null) return idleAt;
    return Math.min(idleAt, sessionAt);
  }

  // Which limit ends first; on a tie the idle one, whose warning can offer to stay.
  function reasonForNearestDeadline() {
    return idleAt === nearestDeadline() ? 'idle' : 'session';
  }

  // DOM events for the page: auto-logout:warning, :extended, :before-logout, :logout.
  function fireEvent(name, reason) {
    const detail = { reason: reason || null, idleAt: idleAt, sessionAt: sessionAt };
    document.dispatchEvent(new CustomEvent(NAME + ':' + name, { detail: detail }));
  }

  // ---- Other tabs --------------------------------------------------------------------

  // A BroadcastChannel where there is one, else the storage event. Both can throw
  // (old browsers, storage blocked by privacy settings); the script works alone then.
  let channel = null;
  try {
    channel = new BroadcastChannel(channelName);
    channel.onmessage = function (event) {
      hearFromOtherTab(event.data);
    };
  } catch (error) {
    channel = null;
  }

  function tellOtherTabs(message) {
    try {
      if (channel) {
        channel.postMessage(message);
      } else {
        // The storage event fires only when the value changes: a random part makes
        // every message new.
        localStorage.setItem(channelName, JSON.stringify([message, Math.random()]));
      }
    } catch (error) {
      // Storage full or blocked: other tabs keep their own deadlines.
    }
  }

  window.addEventListener('storage', function (event) {
    if (event.key !== channelName || !event.newValue) return;
    try {
      hearFromOtherTab(JSON.parse(event.newValue)[0]);
    } catch (error) {
      // Not ours, or garbled: ignore.
    }
  });

  // Another tab's deadline when it is a believable extension of ours, else ours.
  // Any page of the origin can post on the channel, so: a finite number, later than ours
  // by more than rounding (an earlier one is a stale tab and never shortens ours), and
  // no later than a full limit from now.
  function extendedDeadline(ours, theirs, limitMs) {
    if (ours === null || limitMs === null) return ours;
    if (typeof theirs !== 'number' || !Number.isFinite(theirs)) return ours;
    if (theirs <= ours + SAME_DEADLINE_MS) return ours;
    if (theirs > Date.now() + limitMs) return ours;
    return theirs;
  }

  function hearFromOtherTab(message) {
    // A signed-out page has no session to follow: it only speaks.
    if (!message || leaving || signedOut) return;
    if (message.type === 'input') {
      // Nothing in it to believe or doubt: at worst a page of this origin makes us
      // send the keepalive it could send itself.
      if (clientActivity) noteInput(false);
    } else if (message.type === 'logout' || message.type === 'lock') {
      // With a status endpoint the server confirms first; without one there is no one
      // to ask, and leaving early is the safe mistake (a lock is not a reason to leave).
      if (statusUrl) verifyWithServer();
      else if (message.type === 'logout') leave(message.reason);
    } else if (message.type === 'deadlines') {
      const newIdleAt = extendedDeadline(idleAt, message.idleAt, idleLimitMs);
      const newSessionAt = extendedDeadline(sessionAt, message.sessionAt, sessionLimitMs);
      if (newIdleAt === idleAt && newSessionAt === sessionAt) return;
      if (statusUrl) {
        // An extension is adopted from the server's answer, never from the message.
        verifyWithServer();
        return;
      }
      adoptDeadlines(newIdleAt, newSessionAt);
      schedule();
    }
  }

  // Asks the server soon, passively: at most one request at a time and one per
  // VERIFY_INTERVAL_MS, however many messages arrive.
  function verifyWithServer() {
    if (verifyTimer !== null) return;
    let wait = 0;
    if (statusPending) wait = VERIFY_INTERVAL_MS;
    // Never longer than the interval: the wall clock may have stepped back since.
    else wait = Math.min(VERIFY_INTERVAL_MS, Math.max(0, lastAskedAt + VERIFY_INTERVAL_MS - Date.now()));
    verifyTimer = setTimeout(function () {
      verifyTimer = null;
      if (leaving) return;
      if (statusPending) verifyWithServer();
      else askStatus(false);
    }, wait);
  }

  // ---- The server --------------------------------------------------------------------

  function adoptDeadlines(newIdleAt, newSessionAt) {
    const extended = idleAt !== null && newIdleAt > idleAt + SAME_DEADLINE_MS;
    idleAt = newIdleAt;
    sessionAt = newSessionAt;
    if (extended) fireEvent('extended');
  }

  // An answer of status or keepalive. The server is the truth: taken as is, even when
  // it shortens a deadline.
  function takeServerAnswer(answer) {
    if (!answer.active) {
      tellOtherTabs({ type: 'logout', reason: answer.reason });
      // `login`: where the app's logout hook sends the user (an identity provider).
      leave(answer.reason || reasonForNearestDeadline(), answer.login);
      return;
    }
    adoptDeadlines(deadlineFromRemaining(answer.idle_ms), deadlineFromRemaining(answer.session_ms));
    lastCheckedAt = Date.now();
    if (answer.locked) showLock();
    else hideLock();
    tellOtherTabs({ type: 'deadlines', idleAt: idleAt, sessionAt: sessionAt });
    schedule();
  }

  // Calls `done` exactly once: with the JSON answer when it has the contract's shape,
  // else with null (network error, error status, not JSON, or no answer in time).
  // `inputAgeMs`: this keepalive is for input in the page, that long ago.
  function request(url, isActivity, done, inputAgeMs) {
    let finished = false;
    function finish(answer) {
      if (finished) return;
      finished = true;
      clearTimeout(timeout);
      done(answer);
    }
    const timeout = setTimeout(finish, REQUEST_TIMEOUT_MS, null);
    // The header tells the server whether this request counts as the user's activity
    // (keepalive, a POST) or must not (status, a passive GET).
    const headers = {};
    headers[isActivity ? 'X-Auto-Logout' : 'X-Auto-Logout-Passive'] = '1';
    // The server counts the activity from the input, not from this request, so the
    // logout comes IDLE_TIME after the user's last keystroke.
    if (inputAgeMs !== undefined) headers['X-Auto-Logout-Input-Age'] = inputAgeMs;
    fetch(url, {
      method: isActivity ? 'POST' : 'GET',
      headers: headers,
      credentials: 'same-origin',
      cache: 'no-store',
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(
        function (answer) {
          finish(answer && typeof answer.active === 'boolean' ? answer : null);
        },
        function () {
          finish(null);
        }
      );
  }

  // Asks the server how the session stands, passively (it never extends the session).
  // `deadlinePassed`: our deadline is over, so without an answer we leave anyway.
  function askStatus(deadlinePassed, attempt) {
    attempt = attempt || 0;
    statusPending = true;
    lastAskedAt = Date.now();
    request(statusUrl, false, function (answer) {
      if (!answer && deadlinePassed && attempt < STATUS_RETRIES) {
        const delay = RETRY_FIRST_DELAY_MS * 2 ** attempt;
        timer = setTimeout(askStatus, delay, deadlinePassed, attempt + 1);
        return;
      }
      statusPending = false;
      if (answer) {
        takeServerAnswer(answer);
      } else if (deadlinePassed) {
        // No answer: leave; the server decides when the next page is requested.
        leave(reasonForNearestDeadline());
      } else {
        lastCheckedAt = Date.now();
        schedule();
      }
    });
  }

  // Extends the session. Only ever called because the user asked to stay (activity
  // now), or (with CLIENT_ACTIVITY) gave input since the server last saw activity,
  // `inputAgeMs` ago.
  function staySignedIn(inputAgeMs) {
    if (!keepaliveUrl || leaving || keepalivePending) return;
    keepalivePending = true;
    keepaliveSentAt = Date.now();
    request(keepaliveUrl, true, function (answer) {
      keepalivePending = false;
      if (!answer) {
        // Forget the input, or the next plan would send the failing request again at
        // once; the warning (if any) shows as usual and the button can retry.
        lastInputAt = null;
        schedule();
        return;
      }
      closeWarning();
      takeServerAnswer(answer);
    }, inputAgeMs);
  }

  // ---- Input in the page (CLIENT_ACTIVITY) -------------------------------------------

  // How long before the idle deadline input is turned into a keepalive: when the
  // warning would show, or shortly before the deadline when there is no warning. With
  // LOCK_AFTER, before the lock instead (at most a quarter of LOCK_AFTER before it).
  function inputLeadMs() {
    const lead = warnBeforeMs || Math.min(INPUT_LEAD_MS, (idleLimitMs || 4 * INPUT_LEAD_MS) / 4);
    return lockMs !== null && idleLimitMs !== null ? idleLimitMs - lockMs + Math.min(lead, lockMs / 4) : lead;
  }

  // Input since the last activity the server counted: the idle deadline minus the
  // idle limit, or our last keepalive (should a server answer with a shorter deadline,
  // the same input must not be sent again and again).
  function inputSinceServerActivity() {
    if (!clientActivity || idleAt === null || idleLimitMs === null || lastInputAt === null) return false;
    return lastInputAt > Math.max(idleAt - idleLimitMs, keepaliveSentAt);
  }

  // Notes input here (`here`) or in another tab. Cheap: one request per idle period at
  // most comes of it, when the lead before the deadline begins.
  function noteInput(here) {
    if (leaving) return;
    const firstSinceServer = !inputSinceServerActivity();
    const now = Date.now();
    lastInputAt = now;
    lastInputWasHere = here;
    if (here && now - lastInputSharedAt >= INPUT_SHARE_MS) {
      lastInputSharedAt = now;
      tellOtherTabs({ type: 'input' });
    }
    if (dialog) {
      // Input while the idle warning shows means "Stay signed in".
      if (dialogCanStay) staySignedIn();
    } else if (firstSinceServer) {
      // The lead may already have begun: plan again.
      schedule();
    }
  }

  function leave(reason, to) {
    if (leaving) return;
    leaving = true;
    clearTimeout(timer);
    // Synchronous, before navigating: a page can save a draft.
    fireEvent('before-logout', reason);
    fireEvent('logout', reason);
    // replace(): a GET even when this page came from a POST, and no history entry.
    location.replace(to || (loginUrl ? loginPageUrl() : location.href.split('#')[0]));
  }

  function loginPageUrl() {
    const separator = loginUrl.indexOf('?') < 0 ? '?' : '&';
    return loginUrl + separator + 'next=' + encodeURIComponent(location.pathname + location.search);
  }

  // ---- The clock ---------------------------------------------------------------------

  // Decides what is due now and sets the timer for the next thing. Safe to call at any
  // time: every wake-up event calls it, and it re-reads the wall clock.
  function schedule() {
    if (leaving || statusPending) return;
    clearTimeout(timer);
    const now = Date.now();
    const deadline = nearestDeadline();
    if (deadline === null) {
      closeWarning();
      return;
    }
    let nextAt = deadline + MARGIN_MS;
    let justShown = false;

    // The deadline moved away (activity here or elsewhere): the warning no longer applies.
    if (dialog && deadline - now > warnBeforeMs) closeWarning();

    // CLIENT_ACTIVITY: at the lead before the idle deadline, input since the server last
    // saw activity becomes one keepalive instead of a warning. Never for the absolute
    // limit, which nothing extends.
    if (clientActivity && keepaliveUrl && !dialog && !lockDialog && idleAt === deadline && now < deadline) {
      const leadStartsAt = deadline - inputLeadMs();
      if (now < leadStartsAt) {
        nextAt = leadStartsAt;
      } else if (inputSinceServerActivity()) {
        // Input heard from another tab: that tab sends the keepalive, unless it has not
        // a moment later.
        const handoffMs = lastInputWasHere ? 0 : Math.min(HANDOFF_MS, inputLeadMs() / 2);
        if (now >= leadStartsAt + handoffMs) {
          staySignedIn(now - lastInputAt);
          return;
        }
        timer = setTimeout(schedule, leadStartsAt + handoffMs - now);
        return;
      }
    }

    if (now >= nextAt) {
      if (statusUrl) askStatus(true);
      else leave(reasonForNearestDeadline());
      return;
    }

    // LOGOUT_ON_TABS_CLOSED: while this tab is open, a passive status request renews the
    // lease about every quarter of it (a hidden tab's timers may run once a minute).
    if (presenceMs && statusUrl) {
      const renewAt = Math.max(lastAskedAt, loadedAt) + presenceMs / 4;
      if (now >= renewAt) {
        askStatus(false);
        return;
      }
      nextAt = Math.min(nextAt, renewAt);
    }

    // LOCK_AFTER: at the lock time the server is asked, once; its answer locks the page.
    const lockAt = lockTime();
    if (lockAt !== null && !lockDialog && statusUrl && unlockUrl && lastCheckedAt < lockAt) {
      if (now >= lockAt) {
        askStatus(false);
        return;
      }
      nextAt = Math.min(nextAt, lockAt);
    }

    const alreadyWarned = warnedForDeadline !== null && Math.abs(warnedForDeadline - deadline) < SAME_DEADLINE_MS;
    if (warnBeforeMs && !alreadyWarned && !lockDialog) {
      const warnAt = deadline - warnBeforeMs;
      const checkedInThisWindow = lastCheckedAt >= warnAt;
      if (now < warnAt) {
        nextAt = Math.min(nextAt, warnAt);
      } else if (statusUrl && !checkedInThisWindow) {
        // Activity elsewhere may have moved the deadline: ask before warning, once.
        askStatus(false);
        return;
      } else {
        justShown = showWarning(deadline);
      }
    }

    if (dialog) {
      // A live region must exist before its text changes, or it is not announced: the
      // first paint comes 0.1 s after the dialog appears.
      if (!justShown) paintCountdown(deadline - now);
      if (deadline > now) {
        // Next tick on the next whole second of the countdown.
        const untilNextSecond = (deadline - now) % 1000 || 1000;
        nextAt = Math.min(nextAt, now + (justShown ? 100 : untilNextSecond));
      }
    }
    timer = setTimeout(schedule, Math.min(nextAt - now, MAX_TIMER_MS));
  }

  // ---- The warning dialog ------------------------------------------------------------

  let relativeTime = null;
  try {
    relativeTime = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined);
  } catch (error) {
    relativeTime = null; // no Intl.RelativeTimeFormat, or an unknown language
  }

  // The visible countdown changes every second; the spoken one only per minute, then
  // per 20 seconds, so a screen reader is not flooded. Announcements round down, so
  // they never promise more time than is left.
  function paintCountdown(remainingMs) {
    const seconds = Math.ceil(remainingMs / 1000);
    const inMinutes = seconds > 60;
    const unit = inMinutes ? 'minute' : 'second';
    const amount = inMinutes ? Math.floor(seconds / 60) : seconds;
    // Changes once per minute, then once per 20 s; negative so the two never collide.
    const step = inMinutes ? Math.ceil(seconds / 60) : -Math.ceil(seconds / 20);
    const clock = Math.floor(seconds / 60) + ':' + String(seconds % 60).padStart(2, '0');
    countdown.textContent = clock;
    if (titleCountdown) document.title = document.hidden ? '(' + clock + ') ' + pageTitle : pageTitle;
    if (seconds > 0 && step !== lastAnnouncedStep) {
      lastAnnouncedStep = step;
      announcement.textContent = relativeTime ? relativeTime.format(amount, unit) : amount + ' ' + unit + 's';
    }
  }

  // Creates an element (classes and attributes only: no inline style or handler, for
  // CSP) and puts it into `parent` when there is one.
  function createElement(parent, tagName, className, attributes, text) {
    const element = document.createElement(tagName);
    element.className = className;
    for (const name in attributes) element.setAttribute(name, attributes[name]);
    if (text) element.textContent = text;
    if (parent) parent.appendChild(element);
    return element;
  }

  // A password form in `parent` that posts to `url` (the lock dialog's unlock, "Sign in
  // again"): a right password's answer is the server's new deadlines; a wrong one is
  // said in the form, which is ready for the next try.
  function passwordForm(parent, className, url, label) {
    const form = createElement(parent, 'form', className + '__form', {});
    const input = createElement(
      createElement(form, 'label', className + '__label', {}, 'Password '),
      'input',
      className + '__input',
      { type: 'password', name: 'password', autocomplete: 'current-password', required: '' }
    );
    createElement(form, 'button', className + '__button', { type: 'submit' }, label);
    const error = createElement(form, 'p', className + '__error', { role: 'alert' });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      fetch(url, {
        method: 'POST',
        headers: { 'X-Auto-Logout': '1' },
        body: new URLSearchParams({ password: input.value }),
        credentials: 'same-origin',
        cache: 'no-store',
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (answer) {
          input.value = '';
          if (typeof answer.active === 'boolean') return takeServerAnswer(answer);
          error.textContent =
            answer.error === 'wrong_password'
              ? 'Wrong password. Tries left: ' + answer.attempts_left
              : 'The password could not be checked. Please try again.';
          input.focus();
        })
        .catch(function () {
          error.textContent = 'The password could not be checked. Please try again.';
        });
    });
    return input;
  }

  // Returns true when the dialog was created now, false when it was already open.
  function showWarning(deadline) {
    warnedForDeadline = deadline;
    if (dialog) return false;
    const className = data.warnClass || NAME + '-warning';
    const forIdle = reasonForNearestDeadline() === 'idle';
    // The absolute limit cannot be extended: then the dialog only informs.
    const canStay = forIdle && Boolean(keepaliveUrl);
    dialogCanStay = canStay;
    focusBeforeDialog = document.activeElement;

    dialog = createElement(null, 'div', className, {
      role: 'alertdialog',
      'aria-labelledby': NAME + '-title',
      'aria-describedby': NAME + '-text',
      tabindex: '-1',
    });
    createElement(dialog, 'p', className + '__title', { id: NAME + '-title' }, data.warnTitle || 'Your session is about to end');
    const text = forIdle
      ? data.warnIdleText || 'You will be signed out due to inactivity.'
      : data.warnSessionText || 'Your session reaches its time limit.';
    createElement(dialog, 'p', className + '__text', { id: NAME + '-text' }, text);
    // The ticking clock is for the eyes; screen readers get the live region below.
    countdown = createElement(dialog, 'p', className + '__time', { 'aria-hidden': 'true' });
    let stayButton = null;
    if (canStay) {
      stayButton = createElement(dialog, 'button', className + '__button', { type: 'button' }, data.warnStayLabel || 'Stay signed in');
      stayButton.addEventListener('click', function () {
        staySignedIn();
      });
    } else if (reauthenticateUrl && !forIdle) {
      // SIGN_IN_AGAIN: the password restarts both clocks, and the page stays.
      stayButton = passwordForm(dialog, className, reauthenticateUrl, 'Sign in again');
    }
    announcement = createElement(dialog, 'p', NAME + '-visually-hidden', { 'aria-live': 'polite' });
    // Hidden from the eyes even where no stylesheet is linked. CSSOM properties set from
    // a script are not inline styles under a Content-Security-Policy.
    Object.assign(announcement.style, {
      position: 'absolute',
      width: '1px',
      height: '1px',
      margin: '-1px',
      overflow: 'hidden',
      clip: 'rect(0 0 0 0)',
      whiteSpace: 'nowrap',
    });
    lastAnnouncedStep = null;
    pageTitle = document.title;

    dialog.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape') return;
      if (canStay) staySignedIn();
      else closeWarning();
    });
    document.body.appendChild(dialog);
    (stayButton || dialog).focus();
    fireEvent('warning', forIdle ? 'idle' : 'session');
    return true;
  }

  function closeWarning() {
    if (!dialog) return;
    // Give focus back only if it was still in the dialog: the user may have moved on.
    const focusWasInside = dialog.contains(document.activeElement);
    dialog.remove();
    dialog = null;
    if (titleCountdown) document.title = pageTitle;
    if (focusWasInside && focusBeforeDialog) focusBeforeDialog.focus();
  }

  // ---- The lock (LOCK_AFTER) ---------------------------------------------------------

  // When the page locks: LOCK_AFTER after the last activity the server counted (the
  // idle deadline less the idle limit); null without a lock.
  function lockTime() {
    return lockMs !== null && idleAt !== null && idleLimitMs !== null ? idleAt - idleLimitMs + lockMs : null;
  }

  // Covers the page: every other child of the body is inert (no focus, no input),
  // hidden from screen readers and from sight, and keeps what the user typed. The
  // dialog says who is signed in (the value of the page's data-auto-logout-user
  // attribute, else that element's text) and takes the password.
  function showLock() {
    if (lockDialog || !unlockUrl) return;
    closeWarning();
    const className = data.warnClass || NAME + '-warning';
    const user = document.querySelector('[data-' + NAME + '-user]');
    const userName = user && (user.getAttribute('data-' + NAME + '-user') || user.textContent).trim();
    for (const element of document.body.children) {
      hiddenPage.push([element, element.inert, element.getAttribute('aria-hidden'), element.style.visibility]);
      element.inert = true;
      element.setAttribute('aria-hidden', 'true');
      element.style.visibility = 'hidden';
    }
    lockDialog = createElement(document.body, 'div', className + ' ' + NAME + '-lock', {
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': NAME + '-lock-title',
    });
    createElement(lockDialog, 'h2', className + '__title', { id: NAME + '-lock-title' }, 'Session locked');
    if (userName) createElement(lockDialog, 'p', className + '__text', {}, 'Signed in as ' + userName);
    passwordForm(lockDialog, className, unlockUrl, 'Unlock').focus();
    fireEvent('lock');
    tellOtherTabs({ type: 'lock' });
  }

  // Uncovers the page as it was.
  function hideLock() {
    if (!lockDialog) return;
    lockDialog.remove();
    lockDialog = null;
    for (const [element, inert, ariaHidden, visibility] of hiddenPage) {
      element.inert = inert;
      if (ariaHidden === null) element.removeAttribute('aria-hidden');
      else element.setAttribute('aria-hidden', ariaHidden);
      element.style.visibility = visibility;
    }
    hiddenPage = [];
    fireEvent('unlock');
  }

  // ---- Start -------------------------------------------------------------------------

  // The warning's look: a <link> to the site's own file passes `style-src 'self'`.
  if (stylesheetUrl && document.head) {
    createElement(document.head, 'link', '', { rel: 'stylesheet', href: stylesheetUrl });
  }

  if (clientActivity) {
    for (const type of ['keydown', 'pointerdown', 'pointermove', 'touchstart', 'wheel', 'scroll']) {
      // Capture: scrolling inside an element does not bubble up to the window.
      window.addEventListener(
        type,
        function () {
          noteInput(true);
        },
        { capture: true, passive: true }
      );
    }
  }

  // htmx was refused a request of a locked session: the server says so to every tab.
  if (unlockUrl) document.addEventListener('auto-logout-locked', verifyWithServer);

  // Timers do not run while a laptop sleeps or a tab is frozen: re-check on wake-up.
  document.addEventListener('visibilitychange', schedule);
  window.addEventListener('focus', schedule);
  window.addEventListener('online', schedule);
  // Restored from the back/forward cache: the user may have signed out meanwhile.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted && statusUrl && !statusPending && !leaving) askStatus(false);
    else schedule();
  });

  window.autoLogout = Object.freeze({
    deadlines: function () {
      return { idleAt: idleAt, sessionAt: sessionAt };
    },
    stay: function () {
      staySignedIn();
    },
  });

  // Reached by Back or Forward: the page may be an old copy from the HTTP cache,
  // shown after the user signed out or went idle.
  function reachedThroughHistory() {
    try {
      const entry = performance.getEntriesByType('navigation')[0];
      return Boolean(entry) && entry.type === 'back_forward';
    } catch (error) {
      return false; // no Navigation Timing: treat as a normal load
    }
  }

  if (reachedThroughHistory()) {
    // What the page says is old news: tell no one, and ask the server at once instead
    // of waiting for the first deadline.
    if (statusUrl) askStatus(false);
    else schedule();
  } else {
    // The page after an explicit sign-out: every other tab of this login leaves too.
    if (signedOut) tellOtherTabs({ type: 'logout', reason: null });
    // A page load is activity the other tabs have not seen: tell them our deadlines.
    if (nearestDeadline() !== null) tellOtherTabs({ type: 'deadlines', idleAt: idleAt, sessionAt: sessionAt });
    schedule();
  }
})();
