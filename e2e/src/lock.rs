//! `LOCK_AFTER` and `SIGN_IN_AGAIN` in Chromium, written once for both demos:
//! when the page locks (against the user's last request), what a locked page
//! still shows (nothing of its own: not in the visible text, not in the
//! accessibility tree), the text typed before the lock kept through a wrong
//! and a right password without a reload, windows that lock and unlock
//! together, "Sign in again" before the absolute limit, and axe-core on both
//! dialogs.

use std::time::{Duration, Instant};

use auto_logout::Config;
use fantoccini::{Client, Locator};
use serde_json::{Value as Json, json};

use crate::flows::{MEDIAN_LATE_MS, assert_no_csp_violation, assert_no_csp_violation_but};
use crate::{Browser, Csp, Demo, Site, ms_between, until};

/// What the user types into the demo's notes before the lock, and never sends.
const DRAFT: &str = "unsaved draft, typed before the lock";
/// The console line of the wrong password's `401`, the one expected there.
const WRONG_PASSWORD_401: &str =
    "/auto-logout/unlock - Failed to load resource: the server responded with a status of 401";
/// The demo's `LOCK_AFTER` here, in seconds.
const LOCK_AFTER: u64 = 3;

/// Idle 30 s, locked after [`LOCK_AFTER`], absolute 300 s.
fn lock_config() -> Config {
    Config::builder()
        .idle_time(30)
        .lock_after(LOCK_AFTER as i64)
        .session_time(300)
        .message(auto_logout_demos::axum_demo::DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .build()
        .expect("a valid test configuration")
}

/// The lock dialog as the page shows it, `None` while there is none.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Lock {
    pub role: String,
    pub modal: Option<String>,
    /// The body's visible text (`innerText`: what is rendered).
    pub text: String,
    #[serde(rename = "focusInside")]
    pub focus_inside: bool,
    /// The form's error line.
    pub error: String,
}

/// The lock dialog of the current window.
pub async fn lock_of(c: &Client) -> Option<Lock> {
    let found = c
        .execute(
            "const d = document.querySelector('.auto-logout-lock');
             if (!d) return null;
             const error = d.querySelector('[role=alert]');
             return { role: d.getAttribute('role'), modal: d.getAttribute('aria-modal'),
                      text: document.body.innerText, focusInside: d.contains(document.activeElement),
                      error: error ? error.textContent : '' };",
            vec![],
        )
        .await
        .expect("read the lock dialog");
    serde_json::from_value(found).ok()
}

/// Types `password` into the lock dialog's (or the warning's) password form and sends it.
async fn give_password(c: &Client, dialog: &str, password: &str) {
    let input = c
        .find(Locator::Css(&format!("{dialog} input[type=password]")))
        .await
        .expect("the password field");
    input.clear().await.expect("clear");
    input.send_keys(password).await.expect("type the password");
    c.find(Locator::Css(&format!("{dialog} button[type=submit]")))
        .await
        .expect("the submit button")
        .click()
        .await
        .expect("send the password");
}

/// The names of the accessibility tree's nodes that a screen reader is given
/// (ignored nodes left out).
async fn accessible_names(b: &Browser) -> Vec<String> {
    let tree = b.cdp("Accessibility.getFullAXTree", json!({})).await;
    tree["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|node| !node["ignored"].as_bool().unwrap_or(false))
        .filter_map(|node| node["name"]["value"].as_str())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// axe-core's WCAG 2 A and AA violations inside `selector` (the installed
/// package's own build, injected into the page).
async fn axe_violations(c: &Client, selector: &str) -> Vec<String> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (run `npm ci`)", file.display()));
    c.execute(&source, vec![]).await.expect("load axe-core");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document.querySelector(arguments[0]),
                     { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
               .then(function (r) { done(r.violations.map(function (v) { return v.id + ': ' + v.help; })); },
                     function (e) { done(['axe failed: ' + e]); });",
            vec![json!(selector)],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value::<Vec<String>>(result).expect("a list of violations")
}

/// One window: the page locks `LOCK_AFTER` after the user's last request
/// (−1 %, +250 ms), shows nothing of itself, keeps the typed text through a
/// wrong and a right password without a reload, and the idle clock starts
/// again at the unlock.
pub async fn one_window(demo: Demo, csp: Csp, label: &str) {
    let site = Site::on(demo, lock_config(), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.watch().await;
    b.login(&site).await;
    let note = c.find(Locator::Css("#note")).await.expect("the notes");
    note.send_keys(DRAFT).await.expect("type into the notes");
    c.execute("window.autoLogoutSameDocument = true;", vec![])
        .await
        .expect("mark the document");
    let seen = until(Duration::from_secs(LOCK_AFTER + 5), || async {
        lock_of(c).await.map(|lock| (Instant::now(), lock))
    })
    .await;
    let (seen_at, lock) = seen.unwrap_or_else(|| panic!("{label}: the page never locked"));
    let last = site
        .log
        .last_activity_before(seen_at)
        .expect("the user's last request");
    let lock_ms = LOCK_AFTER as i64 * 1000;
    let after = ms_between(last.at, seen_at);
    println!(
        "FIGURE {label}: user's last request ({} {}) -> page locked {after} ms (LOCK_AFTER {lock_ms} ms)",
        last.method,
        last.path_only()
    );
    assert!(
        (lock_ms - lock_ms / 100..=lock_ms + MEDIAN_LATE_MS).contains(&after),
        "{label}: locked {after} ms after the user's last request"
    );
    assert_eq!(lock.role, "dialog", "{label}");
    assert_eq!(lock.modal.as_deref(), Some("true"), "{label}");
    assert!(
        lock.focus_inside,
        "{label}: focus is not in the lock dialog"
    );
    assert!(
        lock.text.contains("Session locked"),
        "{label}: {:?}",
        lock.text
    );
    assert!(
        lock.text.contains("Signed in as demo"),
        "{label}: {:?}",
        lock.text
    );
    for page_text in ["Hello, demo", "Idle logout in", "Notes", "Sign out"] {
        assert!(
            !lock.text.contains(page_text),
            "{label}: the locked page shows {page_text:?}: {:?}",
            lock.text
        );
    }
    let names = accessible_names(&b).await;
    for page_text in ["Hello, demo", "Notes", "Sign out", DRAFT] {
        assert!(
            !names.iter().any(|name| name.contains(page_text)),
            "{label}: the accessibility tree gives {page_text:?}: {names:?}"
        );
    }
    assert!(
        names.iter().any(|name| name.contains("Session locked")),
        "{label}: the dialog is not in the accessibility tree: {names:?}"
    );
    let server = b.status(&site).await;
    assert!(server.active && server.locked, "{label}: {server:?}");

    give_password(c, ".auto-logout-lock", "wrong").await;
    let error = until(Duration::from_secs(5), || async {
        lock_of(c)
            .await
            .map(|lock| lock.error)
            .filter(|error| !error.is_empty())
    })
    .await
    .unwrap_or_else(|| panic!("{label}: no word on the wrong password"));
    assert_eq!(error, "Wrong password. Tries left: 4", "{label}");

    give_password(
        c,
        ".auto-logout-lock",
        auto_logout_demos::axum_demo::PASSWORD,
    )
    .await;
    let unlocked_at = until(Duration::from_secs(5), || async {
        lock_of(c).await.is_none().then(Instant::now)
    })
    .await
    .unwrap_or_else(|| panic!("{label}: the right password did not unlock the page"));
    let page: Json = c
        .execute(
            "return { note: document.querySelector('#note').value,
                      same: window.autoLogoutSameDocument === true,
                      text: document.body.innerText };",
            vec![],
        )
        .await
        .expect("read the page");
    assert_eq!(page["note"], DRAFT, "{label}: the typed text is gone");
    assert_eq!(page["same"], true, "{label}: the page was loaded again");
    assert!(
        page["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Hello, demo"),
        "{label}: the page is still covered"
    );
    assert_eq!(b.path().await, "/", "{label}");
    let server = b.status(&site).await;
    assert!(server.active && !server.locked, "{label}: {server:?}");
    // The idle clock restarted at the unlock, not before it.
    let idle_left = server.idle_ms.expect("an idle limit") as i64;
    let since_unlock = ms_between(unlocked_at, server.at).max(0);
    assert!(
        idle_left >= 30_000 - since_unlock - 1_000,
        "{label}: {idle_left} ms of idle time left, {since_unlock} ms after the unlock"
    );
    // The wrong password's answer, which Chromium reports on the console.
    assert_no_csp_violation_but(&b, csp, label, &[WRONG_PASSWORD_401]).await;
    b.quit().await;
}

/// Three windows of one session lock together, and a right password in one
/// unlocks all three.
pub async fn three_windows(demo: Demo, csp: Csp, label: &str) {
    let site = Site::on(demo, lock_config(), csp).await;
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
    let each_window = async |want_locked: bool, within: Duration| -> Vec<Option<Instant>> {
        let mut seen = vec![None; windows.len()];
        let give_up = Instant::now() + within;
        while seen.iter().any(Option::is_none) && Instant::now() < give_up {
            for (i, w) in windows.iter().enumerate() {
                if seen[i].is_some() || c.switch_to_window(w.clone()).await.is_err() {
                    continue;
                }
                if lock_of(c).await.is_some() == want_locked {
                    seen[i] = Some(Instant::now());
                }
            }
        }
        seen
    };
    let locked = each_window(true, Duration::from_secs(LOCK_AFTER + 5)).await;
    assert!(
        locked.iter().all(Option::is_some),
        "{label}: not every window locked: {locked:?}"
    );
    c.switch_to_window(first.clone()).await.expect("switch");
    give_password(
        c,
        ".auto-logout-lock",
        auto_logout_demos::axum_demo::PASSWORD,
    )
    .await;
    let sent = Instant::now();
    let unlocked = each_window(false, Duration::from_secs(5)).await;
    let after: Vec<Option<i64>> = unlocked
        .iter()
        .map(|at| at.map(|at| ms_between(sent, at)))
        .collect();
    println!(
        "FIGURE {label}: password sent in window 0 -> each window unlocked (ms, polled in turn): {after:?}"
    );
    assert!(
        after.iter().all(|ms| ms.is_some_and(|ms| ms <= 2_000)),
        "{label}: not every window unlocked within 2 s: {after:?}"
    );
    for w in &windows {
        c.switch_to_window(w.clone()).await.expect("switch");
        assert_eq!(b.path().await, "/", "{label}: a window left");
        assert_no_csp_violation(&b, csp, label).await;
    }
    b.quit().await;
}

/// "Sign in again" in the warning before the absolute limit: the page and the
/// typed text stay, and the session goes on beyond the limit it had.
pub async fn sign_in_again(demo: Demo, csp: Csp, label: &str) {
    let config = Config::builder()
        .idle_time(60)
        .session_time(8)
        .warn_before(5)
        .sign_in_again(true)
        .message(auto_logout_demos::axum_demo::DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .build()
        .expect("a valid test configuration");
    let site = Site::on(demo, config, csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.watch().await;
    b.login(&site).await;
    let signed_in_at = site
        .log
        .hits()
        .into_iter()
        .rfind(|hit| hit.method == "POST" && hit.path_only() == "/login")
        .expect("the sign-in")
        .at;
    c.find(Locator::Css("#note"))
        .await
        .expect("the notes")
        .send_keys(DRAFT)
        .await
        .expect("type into the notes");
    c.execute("window.autoLogoutSameDocument = true;", vec![])
        .await
        .expect("mark the document");
    let warning = ".auto-logout-warning:not(.auto-logout-lock)";
    until(Duration::from_secs(8), || async {
        c.find(Locator::Css(&format!("{warning} input[type=password]")))
            .await
            .ok()
    })
    .await
    .unwrap_or_else(|| panic!("{label}: no \"Sign in again\" in the warning"));
    let violations = axe_violations(c, warning).await;
    assert!(
        violations.is_empty(),
        "{label}: axe-core on the warning: {violations:?}"
    );
    give_password(c, warning, auto_logout_demos::axum_demo::PASSWORD).await;
    let closed = until(Duration::from_secs(5), || async {
        c.find(Locator::Css(warning)).await.is_err().then_some(())
    })
    .await;
    assert!(
        closed.is_some(),
        "{label}: the warning stayed after the password"
    );
    // Beyond the old absolute limit, signed in, on the same page.
    crate::sleep_until(signed_in_at + Duration::from_millis(9_000)).await;
    assert_eq!(b.path().await, "/", "{label}: signed out at the old limit");
    let page: Json = c
        .execute(
            "return { note: document.querySelector('#note').value,
                      same: window.autoLogoutSameDocument === true };",
            vec![],
        )
        .await
        .expect("read the page");
    assert_eq!(page["note"], DRAFT, "{label}");
    assert_eq!(page["same"], true, "{label}: the page was loaded again");
    let server = b.status(&site).await;
    assert!(server.active, "{label}: {server:?}");
    assert!(
        server.session_ms.unwrap_or(0) > 2_000,
        "{label}: the absolute limit did not start again: {server:?}"
    );
    assert_no_csp_violation(&b, csp, label).await;
    b.quit().await;
}

/// axe-core finds no WCAG 2 A/AA violation in the lock dialog.
pub async fn lock_dialog_accessibility(demo: Demo, label: &str) {
    let site = Site::on(demo, lock_config(), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.login(&site).await;
    until(Duration::from_secs(LOCK_AFTER + 5), || async {
        lock_of(c).await
    })
    .await
    .unwrap_or_else(|| panic!("{label}: the page never locked"));
    give_password(c, ".auto-logout-lock", "wrong").await;
    until(Duration::from_secs(5), || async {
        lock_of(c).await.filter(|lock| !lock.error.is_empty())
    })
    .await
    .unwrap_or_else(|| panic!("{label}: no word on the wrong password"));
    let violations = axe_violations(c, ".auto-logout-lock").await;
    assert!(
        violations.is_empty(),
        "{label}: axe-core on the lock dialog: {violations:?}"
    );
    b.quit().await;
}

/// `LOGOUT_ON_TABS_CLOSED` on both demos at once (each under its own host
/// name, so their cookies stay apart): open tabs keep their sessions beyond
/// the 2-minute lease, a reload does not end them; once every window is
/// closed, each session ends after the lease, with the reason `closed`.
pub async fn last_tab_closed(label: &str) {
    let config = Config::builder()
        .idle_time(600)
        .session_time(3_600)
        .logout_on_tabs_closed("2m")
        .message(auto_logout_demos::axum_demo::DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .build()
        .expect("a valid test configuration");
    let lease = config.logout_on_tabs_closed().expect("a lease");
    let axum = Site::on(Demo::Axum, config.clone(), Csp::Off).await;
    let actix = Site::on(Demo::Actix, config, Csp::Off).await;
    let actix_base = actix.base.replace("127.0.0.1", "localhost");
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.login(&axum).await;
    let axum_window = c.window().await.expect("window");
    let actix_window = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(actix_window.clone())
        .await
        .expect("switch");
    b.login_at(&actix_base).await;
    let opened = Instant::now();
    let windows = [(&axum, axum_window), (&actix, actix_window)];
    // Half the time: a reload in each window.
    crate::sleep_until(opened + lease / 2).await;
    for (_, window) in &windows {
        c.switch_to_window(window.clone()).await.expect("switch");
        c.refresh().await.expect("reload");
    }
    // Beyond the lease with the windows open: both sessions held.
    crate::sleep_until(opened + lease + Duration::from_secs(5)).await;
    let mut cookies = Vec::new();
    for (site, window) in &windows {
        c.switch_to_window(window.clone()).await.expect("switch");
        assert_eq!(b.path().await, "/", "{label}: a window left");
        let server = b.status(site).await;
        assert!(
            server.active,
            "{label}: ended with its window open: {server:?}"
        );
        let cookie = c
            .get_named_cookie(auto_logout_demos::axum_demo::SESSION_COOKIE)
            .await
            .expect("the session cookie");
        cookies.push(cookie.value().to_owned());
    }
    let renewals = |site: &Site| {
        site.log
            .hits()
            .into_iter()
            .filter(|hit| hit.is_status())
            .count()
    };
    println!(
        "FIGURE {label}: status requests of the open tabs over {} s: axum {}, actix {}",
        (lease + Duration::from_secs(5)).as_secs(),
        renewals(&axum),
        renewals(&actix)
    );
    // Every window closed.
    b.quit().await;
    let closed = Instant::now();
    crate::sleep_until(closed + lease + Duration::from_secs(2)).await;
    // The same cookies, from another browser: the sessions are gone.
    let Some(other) = Browser::start().await else {
        return;
    };
    for ((site, _), (cookie, base)) in windows
        .iter()
        .zip(cookies.iter().zip([&axum.base, &actix_base]))
    {
        other
            .client
            .goto(&format!("{base}/public"))
            .await
            .expect("open the site");
        // Through the page: WebDriver refuses cookies for `localhost`. Not
        // HttpOnly like the original, which the server cannot tell.
        other
            .client
            .execute(
                "document.cookie = arguments[0] + '=' + arguments[1] + '; path=/';",
                vec![
                    json!(auto_logout_demos::axum_demo::SESSION_COOKIE),
                    json!(cookie),
                ],
            )
            .await
            .expect("set the old cookie");
        let server = other.status(site).await;
        assert!(
            !server.active && server.reason.as_deref() == Some("closed"),
            "{label}: {} after every window closed: {server:?}",
            base
        );
    }
    other.quit().await;
}
