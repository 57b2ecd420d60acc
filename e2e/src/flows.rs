//! The scenarios, written once and run per CSP mode by the test files.
//!
//! Every scenario prints what it measured (delays in ms from the arrival of
//! the user's own last activity-counting request, or of the sign-in for the
//! absolute limit) and the requests the server saw, and asserts what it
//! names: never earlier than the limit allows, never more than
//! [`LATE_MS`] later, and over several rounds a median within
//! [`MEDIAN_LATE_MS`].

use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::Locator;
use fantoccini::key::Key;

use crate::{Browser, Csp, Demo, Hit, IDLE_MESSAGE, Recorder, SESSION_MESSAGE, Site, config};
use crate::{ms_between, until};

/// The looser bound where the browser's side cannot be timed closely: leaving
/// a page restored by Back, and the URLs of several windows polled one after
/// the other through WebDriver (their login requests are timed at the server
/// against [`LATE_MS`]).
pub const MAX_DELAY_MS: i64 = 1000;

/// How much later than the limit the browser may reach the login page in any
/// one round: from the user's last activity-counting request, `IDLE_TIME` +
/// 500 ms at most. The product's target is [`MEDIAN_LATE_MS`] (SPEC §7), met
/// in the figures of BENCHMARKS.md (typically 100-170 ms); one round under
/// full load on 2 cores has overshot it, so a single round fails at twice the
/// target.
pub const LATE_MS: i64 = 500;

/// The product's target for the same delay (SPEC §7), asserted where a test
/// has rounds enough for a median ([`MEDIAN_ROUNDS`] or more): the median
/// round reaches the login page at most 250 ms after the limit.
pub const MEDIAN_LATE_MS: i64 = 250;

/// The rounds from which a test asserts [`MEDIAN_LATE_MS`] on their median;
/// with fewer, each round is held to [`LATE_MS`] only.
pub const MEDIAN_ROUNDS: usize = 3;

/// The median of `values` (the mean of the two middle ones, rounded up, for
/// an even count); `None` for none.
pub fn median(values: &[i64]) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2] + 1).div_euclid(2)),
    }
}

/// The rounds of one idle test: with [`MEDIAN_ROUNDS`] or more, the median
/// round's browser reached the login page at most [`MEDIAN_LATE_MS`] after
/// `IDLE_TIME` (each round is held to [`LATE_MS`], and to never before the
/// limit, by [`check_idle_logout`]).
pub fn assert_median_lateness(delays: &[Delay], idle: Duration, label: &str) {
    if delays.len() < MEDIAN_ROUNDS {
        return;
    }
    let idle_ms = idle.as_millis() as i64;
    let late: Vec<i64> = delays.iter().map(|d| d.url_ms - idle_ms).collect();
    let median = median(&late).expect("rounds");
    println!("FIGURE {label}: browser on /login after IDLE_TIME (ms): {late:?}, median {median}");
    assert!(
        median <= MEDIAN_LATE_MS,
        "{label}: the median round reached the login page {median} ms after IDLE_TIME \
         (target {MEDIAN_LATE_MS} ms); rounds: {late:?}"
    );
}

/// How much earlier than `IDLE_TIME` an idle logout may come: 1 %.
pub fn early_ms(idle: Duration) -> i64 {
    idle.as_millis() as i64 / 100
}

/// The warning dialog as the page shows it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Dialog {
    pub role: String,
    pub title: Option<String>,
    pub text: Option<String>,
    pub buttons: Vec<String>,
    #[serde(rename = "focusInside")]
    pub focus_inside: bool,
    #[serde(rename = "liveMode")]
    pub live_mode: Option<String>,
    pub live: Option<String>,
    pub clock: Option<String>,
    /// A `style` attribute on the dialog or inside it, other than the live
    /// region's (the script hides that one through CSSOM properties, which a
    /// Content-Security-Policy allows; the strict-CSP runs check for violations).
    #[serde(rename = "inlineStyle")]
    pub inline_style: bool,
    pub visible: bool,
}

impl Browser {
    /// The warning dialog, when one is shown.
    pub async fn dialog(&self) -> Option<Dialog> {
        let v = self
            .client
            .execute(
                r#"var d = document.querySelector('[role="alertdialog"]');
                   if (!d) return null;
                   function byId(a) { var e = a && document.getElementById(a); return e ? e.textContent : null; }
                   var live = d.querySelector('[aria-live]'), clock = d.querySelector('[aria-hidden="true"]');
                   var r = d.getBoundingClientRect();
                   return { role: d.getAttribute('role'), title: byId(d.getAttribute('aria-labelledby')),
                            text: byId(d.getAttribute('aria-describedby')),
                            buttons: Array.prototype.map.call(d.querySelectorAll('button'), function (b) { return b.textContent; }),
                            focusInside: d.contains(document.activeElement),
                            liveMode: live && live.getAttribute('aria-live'), live: live && live.textContent,
                            clock: clock && clock.textContent,
                            inlineStyle: !!(d.getAttribute('style') || Array.prototype.some.call(d.querySelectorAll('[style]'), function (e) { return !e.hasAttribute('aria-live'); })),
                            visible: r.width > 0 && r.height > 0 };"#,
                vec![],
            )
            .await
            .ok()?;
        serde_json::from_value(v).ok().flatten()
    }

    /// Waits for the warning dialog; the moment it was first seen.
    pub async fn wait_for_dialog(&self, timeout: Duration) -> Option<(Instant, Dialog)> {
        until(timeout, || async {
            let d = self.dialog().await?;
            Some((Instant::now(), d))
        })
        .await
    }

    /// Waits until the warning dialog stands still: its countdown filled in
    /// and its button where it was 50 ms earlier. The script fills the
    /// countdown 0.1 s after the dialog appears, and that first paint moves
    /// the button down by a line. A WebDriver click reads the button's place
    /// and presses there a moment later; read before that paint and pressed
    /// after it, the press lands on the countdown and the button never hears it.
    pub async fn wait_dialog_settled(&self, timeout: Duration) -> bool {
        until(timeout, || async {
            let settled = self
                .client
                .execute_async(
                    r#"var done = arguments[arguments.length - 1];
                       function place() {
                         var d = document.querySelector('[role="alertdialog"]');
                         var b = d && d.querySelector('button'), clock = d && d.querySelector('[aria-hidden="true"]');
                         if (!b || (clock && !clock.textContent)) return null;
                         var r = b.getBoundingClientRect();
                         return [r.left, r.top, r.width, r.height].join();
                       }
                       var first = place();
                       setTimeout(function () { done(first !== null && place() === first); }, 50);"#,
                    vec![],
                )
                .await
                .ok()?;
            settled.as_bool().filter(|s| *s).map(|_| ())
        })
        .await
        .is_some()
    }

    /// Waits until no warning dialog is shown.
    pub async fn wait_dialog_gone(&self, timeout: Duration) -> bool {
        until(timeout, || async {
            match self.dialog().await {
                None => Some(()),
                Some(_) => None,
            }
        })
        .await
        .is_some()
    }

    /// The text of every `.message` element.
    pub async fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for el in self
            .client
            .find_all(Locator::Css(".message"))
            .await
            .unwrap_or_default()
        {
            out.push(el.text().await.unwrap_or_default());
        }
        out
    }

    /// `securitypolicyviolation` events, and console errors (CSP reports,
    /// uncaught exceptions; a missing favicon aside) since the last call.
    pub async fn csp_violations(&self) -> Vec<String> {
        let mut found = self.watched().await.csp;
        found.extend(self.console().await.into_iter().filter(|l| {
            l.contains("Content Security Policy")
                || l.contains("Refused to")
                || (l.starts_with("SEVERE") && !l.contains("favicon.ico"))
        }));
        found
    }

    /// How the auto-logout script reached the page: `"src"`, `"nonce"` or `"inline"`.
    pub async fn script_form(&self) -> String {
        let v = self
            .client
            .execute(
                "var s = document.querySelector('script[data-auto-logout]');
                 return !s ? 'none' : s.src ? 'src' : s.nonce ? 'nonce' : 'inline';",
                vec![],
            )
            .await
            .expect("inspect the script tag");
        v.as_str().unwrap_or_default().to_owned()
    }
}

/// Checks the page responses carried the policy of `csp`, and that the page
/// carries the script in the matching form.
pub async fn assert_csp_mode(b: &Browser, site: &Site, csp: Csp) {
    let home: Vec<Hit> = site
        .log
        .hits()
        .into_iter()
        .filter(|h| h.method == "GET" && h.path_only() == "/" && h.status == 200)
        .collect();
    assert!(!home.is_empty(), "no page load of / recorded");
    let form = b.script_form().await;
    match csp {
        Csp::Off => {
            assert!(home.iter().all(|h| h.csp.is_none()));
            assert_eq!(form, "inline");
        }
        Csp::Strict => {
            for h in &home {
                assert_eq!(
                    h.csp.as_deref(),
                    Some("script-src 'self'; style-src 'self'"),
                    "{h}"
                );
            }
            assert_eq!(form, "src", "strict CSP: the script is a file");
        }
        Csp::Nonce => {
            for h in &home {
                let p = h.csp.as_deref().unwrap_or_default();
                assert!(
                    p.starts_with("script-src 'self' 'nonce-") && p.ends_with("; style-src 'self'"),
                    "{h}: {p}"
                );
            }
            assert_eq!(form, "nonce", "nonce CSP: the script inline with a nonce");
        }
    }
}

/// No violation was seen, and the detector works: a deliberate inline style
/// under `style-src 'self'` is reported (not under `Csp::Off`).
pub async fn assert_no_csp_violation(b: &Browser, csp: Csp, context: &str) {
    assert_no_csp_violation_but(b, csp, context, &[]).await;
}

/// [`assert_no_csp_violation`], where the console lines that contain one of
/// `expected` are what the test did on purpose (a wrong password's `401`).
pub async fn assert_no_csp_violation_but(b: &Browser, csp: Csp, context: &str, expected: &[&str]) {
    let mut found = b.csp_violations().await;
    found.retain(|line| !expected.iter().any(|part| line.contains(part)));
    assert!(
        found.is_empty(),
        "{context}: CSP violations or page errors ({csp:?}): {found:#?}"
    );
    if csp != Csp::Off {
        b.client
            .execute(
                "var p = document.createElement('p'); p.setAttribute('style', 'color: red'); document.body.appendChild(p);",
                vec![],
            )
            .await
            .expect("provoke a violation");
        let seen = until(Duration::from_secs(2), || async {
            let w = b.watched().await;
            (!w.csp.is_empty()).then_some(w.csp)
        })
        .await;
        let console = b.console().await;
        println!(
            "control: a deliberate inline style was reported: event {:?}, console {:?}",
            seen,
            console
                .iter()
                .map(|l| l.chars().take(100).collect::<String>())
                .collect::<Vec<_>>()
        );
        assert!(
            seen.is_some(),
            "the securitypolicyviolation listener saw nothing"
        );
        assert!(
            console
                .iter()
                .any(|l| l.contains("Content Security Policy")),
            "the console log showed no violation"
        );
    }
}

/// Every request the script sent was passive, and none was a keepalive
/// (no user action was taken).
pub fn assert_script_never_extended(hits: &[Hit], origin: Instant) {
    let script: Vec<&Hit> = hits.iter().filter(|h| h.is_script()).collect();
    let bad: Vec<&&Hit> = script
        .iter()
        .filter(|h| h.counts || h.is_keepalive())
        .collect();
    assert!(
        bad.is_empty(),
        "script requests that counted as activity:\n{}",
        Recorder::dump(
            &bad.into_iter().map(|h| (*h).clone()).collect::<Vec<_>>(),
            origin
        )
    );
}

/// Requests that counted as activity in `[from, to)`.
pub fn activity_between(hits: &[Hit], from: Instant, to: Instant) -> Vec<Hit> {
    hits.iter()
        .filter(|h| h.counts && h.at >= from && h.at < to)
        .cloned()
        .collect()
}

/// What an idle logout measured, from the arrival of the user's last
/// activity-counting request (see [`Recorder`]).
#[derive(Clone, Copy, Debug)]
pub struct Delay {
    /// -> the browser's URL seen on the login page.
    pub url_ms: i64,
    /// -> the first request of the logout (the page the script reloaded, or
    /// the login page) reaching the server.
    pub server_ms: i64,
}

/// Whether `location` (a `Location` or `HX-Redirect`) points to `login_path`.
fn to_login(location: Option<&str>, login_path: &str) -> bool {
    location.is_some_and(|l| l.split('?').next() == Some(login_path))
}

/// The first request at or after `from` that belongs to a logout: the login
/// page itself, or a request the server sent there (`Location`, `HX-Redirect`).
pub fn logout_request(hits: &[Hit], from: Instant, login_path: &str) -> Option<Hit> {
    hits.iter()
        .find(|h| {
            h.at >= from
                && ((h.method == Method::GET && h.path_only() == login_path)
                    || to_login(h.location.as_deref(), login_path)
                    || to_login(h.hx_redirect.as_deref(), login_path))
        })
        .cloned()
}

/// Measures an idle logout seen at `seen` against the user's last
/// activity-counting request before it, and asserts the promise: the logout
/// reaches the server no earlier than `IDLE_TIME` − 1 % after that request,
/// and the browser is on the login page no later than `IDLE_TIME` +
/// `late_ms` ([`LATE_MS`] for one window) after it. The user was quiet from
/// `quiet_from`.
pub fn check_idle_logout(
    hits: &[Hit],
    idle: Duration,
    quiet_from: Instant,
    (seen, late_ms): (Instant, i64),
    login_path: &str,
    label: &str,
) -> Delay {
    let start = logout_request(hits, quiet_from, login_path).unwrap_or_else(|| {
        panic!(
            "{label}: no request for {login_path}:\n{}",
            Recorder::dump(hits, quiet_from)
        )
    });
    let last = hits
        .iter()
        .rev()
        .find(|h| h.counts && h.at < start.at)
        .unwrap_or_else(|| panic!("{label}: no activity before the logout"));
    let idle_ms = idle.as_millis() as i64;
    let (earliest, latest) = (idle_ms - early_ms(idle), idle_ms + late_ms);
    let delay = Delay {
        url_ms: ms_between(last.at, seen),
        server_ms: ms_between(last.at, start.at),
    };
    println!(
        "{label}: last activity ({} {}) -> logout request at the server {} ms, browser on {login_path} {} ms (IDLE_TIME {idle_ms} ms, allowed {earliest}..={latest})\n{}",
        last.method,
        last.path,
        delay.server_ms,
        delay.url_ms,
        Recorder::dump(
            &hits
                .iter()
                .filter(|h| h.at >= last.at)
                .cloned()
                .collect::<Vec<_>>(),
            last.at
        )
    );
    assert!(
        last.at < quiet_from,
        "{label}: activity while the user was quiet: {last}"
    );
    assert!(
        delay.server_ms >= earliest,
        "{label}: logged out {} ms after the user's last request ({last}), earlier than IDLE_TIME - 1 % ({earliest} ms)",
        delay.server_ms
    );
    assert!(
        delay.url_ms <= latest,
        "{label}: on {login_path} {} ms after the user's last request, later than IDLE_TIME + {late_ms} ms",
        delay.url_ms
    );
    delay
}

/// The user goes quiet now: waits for the browser to reach `login_path` by
/// itself, then checks the timing against the user's last activity
/// ([`check_idle_logout`]) and that the script sent only passive requests.
pub async fn await_logout(b: &Browser, site: &Site, login_path: &str, label: &str) -> Delay {
    let quiet_from = Instant::now();
    let slack = Duration::from_secs(3);
    let seen = b.wait_for_path(login_path, site.idle() + slack).await;
    let hits = site.log.hits();
    let Some(seen) = seen else {
        panic!(
            "{label}: still on {} IDLE_TIME + {slack:?} after going quiet; requests:\n{}",
            b.path().await,
            Recorder::dump(&hits, quiet_from)
        );
    };
    let delay = check_idle_logout(
        &hits,
        site.idle(),
        quiet_from,
        (seen, LATE_MS),
        login_path,
        label,
    );
    let quiet: Vec<Hit> = hits.into_iter().filter(|h| h.at >= quiet_from).collect();
    assert_script_never_extended(&quiet, quiet_from);
    delay
}

/// Idle: a signed-in page left alone reaches the login page by itself, with
/// the idle message in a `.message` element. Returns the delay figures.
pub async fn idle_logout(b: &Browser, site: &Site, csp: Csp, label: &str) -> Delay {
    b.login(site).await;
    assert_csp_mode(b, site, csp).await;
    // From here on the browser is left alone (its subresources and the
    // script's status checks are passive; the checks below prove it).
    let probe = b.status(site).await;
    assert!(probe.active, "{probe:?}");
    let delay = await_logout(b, site, "/login", label).await;
    assert_eq!(b.path().await, "/login?next=/");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()], "{label}");
    let events: Vec<(String, Option<String>)> = b
        .watched()
        .await
        .events
        .into_iter()
        .filter(|e| e.path == "/")
        .map(|e| (e.name, e.reason))
        .collect();
    let idle = Some("idle".to_owned());
    assert!(
        events.ends_with(&[
            ("before-logout".to_owned(), idle.clone()),
            ("logout".to_owned(), idle.clone()),
        ]),
        "{label}: events {events:?}"
    );
    assert_no_csp_violation(b, csp, label).await;
    delay
}

/// Idle logout on the `demo`, `rounds` times in one browser (sign in
/// again each time): [`idle_rounds_on`].
pub async fn idle_logout_rounds(demo: Demo, csp: Csp, rounds: usize, label: &str) -> Vec<Delay> {
    let site = Site::on(demo, config(Some(3), Some(60), Some(2)), csp).await;
    idle_rounds_on(&site, csp, rounds, label).await
}

/// Idle logout on `site`, `rounds` times in one browser (sign in again each
/// time): each round's bounds ([`idle_logout`]), then the median of the
/// rounds ([`assert_median_lateness`]).
pub async fn idle_rounds_on(site: &Site, csp: Csp, rounds: usize, label: &str) -> Vec<Delay> {
    let Some(b) = Browser::start().await else {
        return Vec::new();
    };
    b.watch().await;
    let mut delays = Vec::new();
    for round in 1..=rounds {
        delays.push(idle_logout(&b, site, csp, &format!("{label} round {round}")).await);
    }
    b.quit().await;
    let urls: Vec<i64> = delays.iter().map(|d| d.url_ms).collect();
    let servers: Vec<i64> = delays.iter().map(|d| d.server_ms).collect();
    println!(
        "FIGURE {label}: user's last request -> browser on /login (ms): {urls:?}; -> logout request at the server (ms): {servers:?}"
    );
    assert_median_lateness(&delays, site.idle(), label);
    delays
}

/// Session limit with continuous activity (page-side requests every 400 ms
/// and a reload): the session ends at SESSION_TIME anyway, with the session
/// message; its warning informs without an extend button.
pub async fn session_limit(demo: Demo, csp: Csp, label: &str) {
    let site = Site::on(demo, config(Some(4), Some(7), Some(2)), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    assert_csp_mode(&b, &site, csp).await;
    // The absolute limit runs from the user's sign-in (the POST that started
    // the clocks); the first idle limit from the page load after it.
    let sign_in = site
        .log
        .hits()
        .into_iter()
        .rfind(|h| h.method == Method::POST && h.path_only() == "/login")
        .expect("the sign-in");
    let deadline = sign_in.at + site.session();
    let idle_first = site
        .log
        .last_activity_before(Instant::now())
        .expect("the page load")
        .at
        + site.idle();
    assert!(idle_first < deadline);
    let mut next_activity = Instant::now();
    let mut reloaded = false;
    // Each warning shown: when it was first seen, and what it said.
    let mut episodes: Vec<(Instant, Dialog)> = Vec::new();
    let mut showing = false;
    let mut activity_count = 0;
    // Busy until the session deadline; stop only when the browser has left.
    let left = loop {
        let now = Instant::now();
        if now > deadline + Duration::from_secs(3) {
            panic!(
                "{label}: still on {} 3 s after the session deadline:\n{}",
                b.path().await,
                Recorder::dump(&site.log.hits(), deadline)
            );
        }
        let url = b.client.current_url().await.expect("URL");
        if url.path() == "/login" {
            break Instant::now();
        }
        match b.dialog().await {
            Some(d) => {
                let changed = episodes
                    .last()
                    .is_none_or(|(_, last)| last.text != d.text || last.buttons != d.buttons);
                if !showing || changed {
                    episodes.push((Instant::now(), d));
                }
                showing = true;
            }
            None => showing = false,
        }
        if now >= next_activity && now + Duration::from_millis(300) < deadline {
            if !reloaded && now > idle_first {
                // A full page load past the first idle deadline.
                b.client.refresh().await.expect("reload");
                reloaded = true;
            } else {
                b.activity(&site).await;
                activity_count += 1;
            }
            next_activity = now + Duration::from_millis(400);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let hits = site.log.hits();
    let logout = logout_request(&hits, sign_in.done, "/login").expect("a logout request");
    let session_ms = site.session().as_millis() as i64;
    let (server_ms, url_ms) = (
        ms_between(sign_in.at, logout.at),
        ms_between(sign_in.at, left),
    );
    println!(
        "{label}: {activity_count} page-side requests and a reload; sign-in -> logout request at the server {server_ms} ms, browser on /login {url_ms} ms (SESSION_TIME {session_ms} ms, allowed {session_ms}..={})\n{}",
        session_ms + LATE_MS,
        Recorder::dump(&hits, deadline)
    );
    for (seen, d) in &episodes {
        println!(
            "{label}: warning shown {} ms before the session deadline: {d:?}",
            ms_between(*seen, deadline)
        );
    }
    assert!(reloaded && activity_count >= 8, "{label}: not busy enough");
    assert!(
        server_ms >= session_ms,
        "{label}: left {server_ms} ms after signing in, before SESSION_TIME"
    );
    assert!(
        url_ms <= session_ms + LATE_MS,
        "{label}: on /login {url_ms} ms after signing in"
    );
    assert_eq!(
        b.messages().await,
        vec![SESSION_MESSAGE.to_owned()],
        "{label}"
    );
    // The user was active all along: the idle limit was never near, so the
    // only warning is the absolute limit's, WARN_BEFORE early, informing only.
    let (seen, dialog) = episodes.last().expect("a warning before the session limit");
    let lead = ms_between(*seen, deadline);
    assert_eq!(
        episodes.len(),
        1,
        "{label}: a warning while the user was active (idle was never within WARN_BEFORE)"
    );
    assert!(
        (1500..=2300).contains(&lead),
        "{label}: warning lead {lead} ms"
    );
    assert_eq!(dialog.role, "alertdialog");
    assert!(
        dialog.buttons.is_empty(),
        "{label}: extend button on the absolute limit: {dialog:?}"
    );
    assert!(
        dialog.title.is_some() && dialog.text.is_some(),
        "{dialog:?}"
    );
    assert!(!dialog.inline_style, "inline style in the dialog");
    let w = b.watched().await;
    let warned: Vec<_> = w.events.iter().filter(|e| e.name == "warning").collect();
    assert!(
        warned
            .iter()
            .any(|e| e.reason.as_deref() == Some("session")),
        "{label}: events {:?}",
        w.events
    );
    assert!(
        !hits.iter().any(|h| h.is_keepalive()),
        "{label}: a keepalive without user action"
    );
    assert_script_never_extended(&hits, deadline);
    assert_no_csp_violation(&b, csp, label).await;
    b.quit().await;
}

/// Three windows; one kept busy by reloads for longer than IDLE_TIME, then
/// all quiet. The reloads come in pairs 700 ms apart, then a pause of 93 % of
/// IDLE_TIME: a server that measured idle time from an older activity than
/// the last request (a write skipped within the resolution) logs the busy
/// user out during a pause. Nobody leaves while busy; afterwards every window
/// reaches the login page between IDLE_TIME - 1 % and IDLE_TIME + [`LATE_MS`] after
/// the last reload, and no script request extended the session.
pub async fn three_tabs(demo: Demo, csp: Csp, label: &str) {
    let site = Site::on(demo, config(Some(3), Some(60), Some(2)), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.watch().await;
    b.login(&site).await;
    let first = c.window().await.expect("window");
    let mut windows = vec![first.clone()];
    for _ in 0..2 {
        let w = c.new_window(false).await.expect("new window").handle;
        c.switch_to_window(w.clone()).await.expect("switch");
        b.watch().await;
        c.goto(&site.url("/")).await.expect("open /");
        windows.push(w);
    }
    c.switch_to_window(first.clone()).await.expect("switch");
    // Busy: reload the first window at these gaps (each below 99 % of IDLE_TIME).
    let idle = site.idle();
    let pause = idle.mul_f64(0.93);
    let quick = Duration::from_millis(700);
    let gaps = [quick, pause, quick, pause, quick];
    let busy_from = Instant::now();
    let mut next = busy_from;
    for gap in gaps {
        next += gap;
        crate::sleep_until(next).await;
        c.refresh().await.expect("reload");
    }
    let reloads = gaps.len();
    let quiet_from = Instant::now();
    // Nobody was logged out while busy.
    for w in &windows {
        c.switch_to_window(w.clone()).await.expect("switch");
        assert_eq!(
            b.path().await,
            "/",
            "{label}: a window left while another was busy"
        );
    }
    let busy_hits = site.log.since(busy_from);
    assert!(
        !busy_hits.iter().any(|h| h.path_only() == "/login"),
        "{label}: a login page was requested while busy:\n{}",
        Recorder::dump(&busy_hits, busy_from)
    );
    // The gaps as the server saw them: the test only proves something if the
    // user's requests really came less than 99 % of IDLE_TIME apart.
    let reload_hits: Vec<Instant> = busy_hits
        .iter()
        .filter(|h| h.counts && h.method == Method::GET && h.path_only() == "/")
        .map(|h| h.at)
        .collect();
    let arrival_gaps: Vec<i64> = reload_hits
        .windows(2)
        .map(|p| ms_between(p[0], p[1]))
        .collect();
    println!("{label}: reload gaps at the server (ms): {arrival_gaps:?}");
    assert_eq!(reload_hits.len(), reloads, "{label}: reloads at the server");
    let most = idle.as_millis() as i64 - early_ms(idle);
    assert!(
        arrival_gaps.iter().all(|g| *g < most),
        "{label}: a gap of at least 99 % of IDLE_TIME"
    );
    // Poll every window until each is on the login page.
    let mut seen: Vec<Option<Instant>> = vec![None; windows.len()];
    let give_up = quiet_from + idle + Duration::from_secs(3);
    while seen.iter().any(Option::is_none) && Instant::now() < give_up {
        for (i, w) in windows.iter().enumerate() {
            if seen[i].is_some() {
                continue;
            }
            if c.switch_to_window(w.clone()).await.is_err() {
                continue;
            }
            if let Ok(url) = c.current_url().await
                && url.path() == "/login"
            {
                seen[i] = Some(Instant::now());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let hits = site.log.hits();
    check_windows_logout(&hits, idle, quiet_from, &seen, label);
    assert_script_never_extended(&hits, quiet_from);
    let script = hits.iter().filter(|h| h.is_script()).count();
    println!("{label}: {script} script requests, all passive, no keepalive");
    for w in &windows {
        c.switch_to_window(w.clone()).await.expect("switch");
        assert_no_csp_violation(&b, csp, label).await;
    }
    b.quit().await;
}

/// Several windows left alone from `quiet_from`, each first seen on `/login`
/// at `seen[i]` (`None`: never): the first logout request is not early
/// ([`check_idle_logout`]), each window's own `GET /login` reaches the server
/// between IDLE_TIME - 1 % and IDLE_TIME + [`LATE_MS`] after the user's last
/// request, and each window's URL (polled through WebDriver one window after
/// the other, hence a looser bound) within IDLE_TIME + [`MAX_DELAY_MS`].
pub fn check_windows_logout(
    hits: &[Hit],
    idle: Duration,
    quiet_from: Instant,
    seen: &[Option<Instant>],
    label: &str,
) {
    let seen: Vec<Instant> = seen
        .iter()
        .enumerate()
        .map(|(i, s)| s.unwrap_or_else(|| panic!("{label}: window {i} never reached /login")))
        .collect();
    let first_seen = seen.iter().min().copied().expect("a window");
    let delay = check_idle_logout(
        hits,
        idle,
        quiet_from,
        (first_seen, MAX_DELAY_MS),
        "/login",
        label,
    );
    let last = hits
        .iter()
        .rev()
        .find(|h| h.counts && h.at < quiet_from)
        .expect("the last activity")
        .at;
    let urls: Vec<i64> = seen.iter().map(|s| ms_between(last, *s)).collect();
    let logins: Vec<i64> = hits
        .iter()
        .filter(|h| h.method == Method::GET && h.path_only() == "/login" && h.at > quiet_from)
        .map(|h| ms_between(last, h.at))
        .collect();
    println!(
        "FIGURE {label}: user's last request -> first logout request {} ms; -> GET /login of each window at the server (ms): {logins:?}; -> each window seen on /login (ms, polled in turn): {urls:?}",
        delay.server_ms
    );
    let idle_ms = idle.as_millis() as i64;
    assert_eq!(
        logins.len(),
        seen.len(),
        "{label}: one GET /login per window"
    );
    for (i, ms) in logins.iter().enumerate() {
        assert!(
            (idle_ms - early_ms(idle)..=idle_ms + LATE_MS).contains(ms),
            "{label}: login request {i} {ms} ms after the user's last request"
        );
    }
    for (i, ms) in urls.iter().enumerate() {
        assert!(
            *ms <= idle_ms + MAX_DELAY_MS,
            "{label}: window {i} on /login {ms} ms after the user's last request"
        );
    }
}

/// Keepalive requests so far.
fn keepalives(site: &Site) -> Vec<Hit> {
    site.log
        .hits()
        .into_iter()
        .filter(Hit::is_keepalive)
        .collect()
}

/// Warning: appears WARN_BEFORE early as an `alertdialog` with focus inside;
/// "Stay signed in" extends the idle deadline (checked through `status`),
/// Escape does too; then, left alone, the page logs out.
pub async fn warning(demo: Demo, csp: Csp, label: &str) {
    // A 3 s warning: the test inspects the dialog before it clicks, and one
    // clean-clone run saw that take 2 s (the click came after a 2 s warning).
    let site = Site::on(demo, config(Some(6), Some(60), Some(3)), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    assert_csp_mode(&b, &site, csp).await;
    let warn_ms = site.warn().as_millis() as i64;
    let idle_ms = site.idle().as_millis() as i64;

    for (round, how) in ["button", "escape"].into_iter().enumerate() {
        let before = b.status(&site).await;
        // The idle deadline as the user made it: IDLE_TIME after their last
        // activity-counting request (the page load, then each keepalive).
        let deadline = site
            .log
            .last_activity_before(before.at)
            .expect("the user's last request")
            .at
            + site.idle();
        let (seen, dialog) = b
            .wait_for_dialog(deadline.saturating_duration_since(Instant::now()))
            .await
            .unwrap_or_else(|| panic!("{label}: no warning before the idle deadline"));
        let lead = ms_between(seen, deadline);
        // The page's own measure: the event's time against the deadline it announces.
        let w = b.watched().await;
        let ev = w
            .events
            .iter()
            .rev()
            .find(|e| e.name == "warning")
            .expect("a warning event")
            .clone();
        let page_lead = ev.idle_at.expect("idleAt") - ev.at;
        println!(
            "{label} ({how}): warning seen {lead} ms before IDLE_TIME after the user's last request (page: {page_lead:.0} ms before its own deadline): {dialog:?}"
        );
        assert!(
            (warn_ms - 500..=warn_ms + 100).contains(&lead),
            "{label}: warning {lead} ms before the deadline, expected about {warn_ms}"
        );
        // The page asks `status` (passively) before it warns: a round trip late at most.
        assert!(
            (warn_ms as f64 - 300.0..=warn_ms as f64 + 50.0).contains(&page_lead),
            "{label}: the page warned {page_lead} ms before its own deadline"
        );
        assert_eq!(ev.reason.as_deref(), Some("idle"));
        assert_eq!(dialog.role, "alertdialog");
        assert!(dialog.visible, "{label}: the dialog is not visible");
        assert!(
            dialog.focus_inside,
            "{label}: focus is not inside the dialog"
        );
        assert!(dialog.title.as_deref().is_some_and(|t| !t.is_empty()));
        assert!(dialog.text.as_deref().is_some_and(|t| !t.is_empty()));
        assert_eq!(dialog.buttons, vec!["Stay signed in".to_owned()]);
        assert!(matches!(
            dialog.live_mode.as_deref(),
            Some("polite" | "assertive")
        ));
        assert!(!dialog.inline_style, "inline style in the dialog");

        let kept_before = keepalives(&site).len();
        if how == "button" {
            // A click is aimed: at the button where it stays (see `wait_dialog_settled`).
            assert!(
                b.wait_dialog_settled(Duration::from_secs(2)).await,
                "{label}: the dialog did not settle: {:?}",
                b.dialog().await
            );
        }
        let acted = Instant::now();
        match how {
            "button" => {
                c_click(&b, "[role=\"alertdialog\"] button").await;
            }
            _ => {
                let focused = b.client.active_element().await.expect("focused element");
                focused
                    .send_keys(&char::from(Key::Escape).to_string())
                    .await
                    .expect("press Escape");
            }
        }
        if !b.wait_dialog_gone(Duration::from_secs(2)).await {
            // What the page and the server saw, so that a failure says why.
            panic!(
                "{label}: the dialog stayed after {how}; requests since:\n{}\npage events: {:?}\nconsole: {:?}",
                Recorder::dump(&site.log.since(acted), acted),
                b.watched().await.events,
                b.console().await
            );
        }
        let after = b.status(&site).await;
        let kept = keepalives(&site);
        println!(
            "{label} ({how}): idle remaining {} ms before, {} ms after",
            ms_between(before.at, deadline) - ms_between(before.at, after.at),
            after.idle_ms.unwrap_or(0)
        );
        assert_eq!(
            kept.len(),
            kept_before + 1,
            "{label}: one keepalive per {how}"
        );
        let k = kept.last().expect("keepalive");
        assert!(k.at >= acted && k.status == 200, "{k}");
        assert_eq!(k.header("x-auto-logout"), Some("1"));
        let new_deadline = after.idle_deadline().expect("idle");
        assert!(
            ms_between(deadline, new_deadline) > 1000
                && after.idle_ms.unwrap_or(0) as i64 > idle_ms - 1500,
            "{label}: {how} did not extend the idle deadline: {after:?}"
        );
        // Focus went back out of the (removed) dialog.
        let focus: serde_json::Value = b
            .client
            .execute(
                "return document.activeElement ? document.activeElement.tagName : null;",
                vec![],
            )
            .await
            .expect("focus");
        println!("{label} ({how}): focus after close on {focus}");
        let w = b.watched().await;
        assert!(
            w.events.iter().filter(|e| e.name == "extended").count() > round,
            "{label}: no extended event: {:?}",
            w.events
        );
        assert_eq!(b.path().await, "/");
    }
    // Left alone now: logs out IDLE_TIME after the last keepalive.
    await_logout(&b, &site, "/login", label).await;
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    assert_no_csp_violation(&b, csp, label).await;
    b.quit().await;
}

async fn c_click(b: &Browser, css: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("find {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}
