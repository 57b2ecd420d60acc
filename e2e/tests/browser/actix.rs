//! The actix demo (actix-web, actix-session, Tera) in a real browser: the
//! idle logout with its message, the warning and its keepalive, each without
//! a Content Security Policy and under the strict one (the script as a file,
//! no inline style, no violation). Every timing bound is measured from the
//! arrival of the user's last activity-counting request, lower and upper.

use std::time::{Duration, Instant};

use auto_logout_e2e::flows::{self, assert_csp_mode, assert_no_csp_violation};
use auto_logout_e2e::{Browser, Csp, IDLE_MESSAGE, Recorder, Site, config, ms_between};

/// Idle logout `rounds` times in one browser (sign in again each time), with
/// the median of the rounds when there are enough ([`flows::idle_rounds_on`]).
/// Under a CSP one round: its check of the violation detector leaves a
/// deliberate violation behind, as in `csp.rs`.
async fn idle(csp: Csp, rounds: usize, label: &str) {
    let site = Site::start_actix(config(Some(3), Some(60), Some(2)), csp).await;
    flows::idle_rounds_on(&site, csp, rounds, label).await;
}

/// The warning shows `WARN_BEFORE` ahead of `IDLE_TIME` after the user's
/// last request; "Stay signed in" sends one keepalive that counts as the
/// user's activity, and the page, left alone, then logs out `IDLE_TIME`
/// after that keepalive.
async fn warning(csp: Csp, label: &str) {
    // A 3 s warning, as the axum flow's: the test inspects the dialog before it
    // clicks, and one clean-clone run saw the click come after a 2 s warning.
    let site = Site::start_actix(config(Some(6), Some(60), Some(3)), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    assert_csp_mode(&b, &site, csp).await;
    let warn_ms = site.warn().as_millis() as i64;
    let idle_ms = site.idle().as_millis() as i64;

    let before = b.status(&site).await;
    assert!(before.active, "{label}: {before:?}");
    let last = site
        .log
        .last_activity_before(before.at)
        .expect("the user's last request");
    let deadline = last.at + site.idle();
    let (seen, dialog) = b
        .wait_for_dialog(deadline.saturating_duration_since(Instant::now()))
        .await
        .unwrap_or_else(|| panic!("{label}: no warning before the idle deadline"));
    let lead = ms_between(seen, deadline);
    println!(
        "{label}: warning seen {lead} ms before IDLE_TIME after the user's last request ({} {}): {dialog:?}",
        last.method, last.path
    );
    assert!(
        (warn_ms - 500..=warn_ms + 100).contains(&lead),
        "{label}: warning {lead} ms before the deadline, expected about {warn_ms}\n{}",
        Recorder::dump(&site.log.hits(), last.at)
    );
    assert_eq!(dialog.role, "alertdialog");
    assert!(dialog.visible && dialog.focus_inside, "{label}: {dialog:?}");
    assert_eq!(dialog.buttons, vec!["Stay signed in".to_owned()]);
    assert!(!dialog.inline_style, "{label}: inline style in the dialog");

    let clicked = Instant::now();
    b.client
        .find(fantoccini::Locator::Css("[role=\"alertdialog\"] button"))
        .await
        .expect("the dialog's button")
        .click()
        .await
        .expect("click Stay signed in");
    assert!(
        b.wait_dialog_gone(Duration::from_secs(2)).await,
        "{label}: the dialog stayed"
    );
    let after = b.status(&site).await;
    let keepalives: Vec<_> = site
        .log
        .since(clicked)
        .into_iter()
        .filter(|h| h.is_keepalive())
        .collect();
    assert_eq!(keepalives.len(), 1, "{label}: {keepalives:?}");
    let kept = &keepalives[0];
    assert_eq!(kept.status, 200, "{label}: {kept}");
    assert!(kept.counts, "{label}: the keepalive is the user's: {kept}");
    // The server's idle deadline moved to IDLE_TIME after the keepalive
    // (within the write resolution, 1 % of IDLE_TIME, and a round trip).
    let moved = after.idle_deadline().expect("active after the keepalive");
    let off = ms_between(kept.at, moved) - idle_ms;
    assert!(
        (-(idle_ms / 100) - 50..=50).contains(&off),
        "{label}: idle deadline {off} ms off IDLE_TIME after the keepalive: {after:?}"
    );
    assert_eq!(b.path().await, "/");

    // Left alone: the logout comes IDLE_TIME after the keepalive, the user's
    // last request, and not earlier (await_logout checks both bounds).
    flows::await_logout(&b, &site, "/login", label).await;
    assert_eq!(b.path().await, "/login?next=/");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()], "{label}");
    assert_no_csp_violation(&b, csp, label).await;
    b.quit().await;
}

#[tokio::test]
async fn actix_idle_logout_reaches_login_with_message() {
    idle(Csp::Off, flows::MEDIAN_ROUNDS, "actix idle").await;
}

#[tokio::test]
async fn actix_warning_stay_signed_in_sends_a_keepalive() {
    warning(Csp::Off, "actix warning").await;
}

#[tokio::test]
async fn actix_strict_csp_idle_logout() {
    idle(Csp::Strict, 1, "actix strict idle").await;
}

#[tokio::test]
async fn actix_strict_csp_warning() {
    warning(Csp::Strict, "actix strict warning").await;
}

#[tokio::test]
async fn actix_nonce_csp_idle_logout() {
    idle(Csp::Nonce, 1, "actix nonce idle").await;
}
