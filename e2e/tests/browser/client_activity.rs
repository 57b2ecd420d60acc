//! `CLIENT_ACTIVITY`: typing in the page (no page load, no request of the
//! page's own) keeps the user signed in, with a bounded number of keepalive
//! requests; once the typing stops the logout follows `IDLE_TIME` after the
//! last keystroke: no earlier (less 1 %), and no later than [`AFTER_KEY_MS`]
//! past it. With the option off, typing does not keep the session.
//!
//! The script turns input into one keepalive when the warning would be due
//! (`WARN_BEFORE` before the idle deadline), and that keepalive says how long
//! ago the last keystroke was (`X-Auto-Logout-Input-Age`): the server counts
//! the activity from the keystroke, not from the keepalive. Every bound is
//! measured from this test's own record of the last keystroke.

use std::time::{Duration, Instant};

use auto_logout::Config;
use auto_logout_e2e::flows::{self, LATE_MS, early_ms};
use auto_logout_e2e::{Browser, Csp, Demo, IDLE_MESSAGE, Recorder, Site, ms_between};
use fantoccini::Locator;

const IDLE: i64 = 4;
const WARN: i64 = 1;
/// How much later than `IDLE_TIME` after the last keystroke the browser may
/// reach the login page: the status request at the deadline and the
/// navigation, as for a page load ([`flows::LATE_MS`] less the WebDriver
/// round trip that sent the keystroke, which this bound counts against the
/// page: the keystroke is timed from before its WebDriver call).
const AFTER_KEY_MS: i64 = 400;

fn config(client_activity: bool) -> Config {
    Config::builder()
        .idle_time(IDLE)
        .session_time(120)
        .warn_before(WARN)
        .idle_message(IDLE_MESSAGE)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .client_activity(client_activity)
        .build()
        .expect("a valid test configuration")
}

/// Keystrokes into the notes `textarea`, one every `every`, for `length`:
/// when each was sent (before the WebDriver call) and when it had been
/// delivered (after it). Stops early when the page went away.
async fn type_for(b: &Browser, length: Duration, every: Duration) -> Vec<(Instant, Instant)> {
    let note = b
        .client
        .find(Locator::Css("#note"))
        .await
        .expect("the notes textarea");
    let start = Instant::now();
    let mut keys = Vec::new();
    let mut next = start;
    while next < start + length {
        auto_logout_e2e::sleep_until(next).await;
        let sent = Instant::now();
        if note.send_keys("a").await.is_err() {
            break;
        }
        keys.push((sent, Instant::now()));
        next += every;
    }
    keys
}

#[tokio::test]
async fn typing_keeps_the_session_with_few_keepalives() {
    typing_keeps_the_session(Demo::Axum).await;
}

#[tokio::test]
async fn actix_typing_keeps_the_session_with_few_keepalives() {
    typing_keeps_the_session(Demo::Actix).await;
}

#[tokio::test]
async fn without_the_option_typing_does_not_keep_the_session() {
    typing_without_the_option(Demo::Axum).await;
}

#[tokio::test]
async fn actix_without_the_option_typing_does_not_keep_the_session() {
    typing_without_the_option(Demo::Actix).await;
}

async fn typing_keeps_the_session(demo: Demo) {
    let label = &format!("{} client activity", demo.name());
    let site = Site::on(demo, config(true), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    let idle = site.idle();
    let idle_ms = idle.as_millis() as i64;
    let lead_ms = WARN * 1000;
    // Longer than two idle periods, with no page load and no request of the page's own.
    let typing = idle * 5 / 2;
    let from = Instant::now();
    let keys = type_for(&b, typing, Duration::from_millis(150)).await;
    let (last_sent, last_done) = *keys.last().expect("keystrokes");
    assert_eq!(b.path().await, "/", "{label}: logged out while typing");
    let typed_ms = ms_between(keys[0].0, last_done);
    assert!(typed_ms > idle_ms, "{label}: typed only {typed_ms} ms");
    let hits = site.log.since(from);
    let keepalives: Vec<_> = hits.iter().filter(|h| h.is_keepalive()).collect();
    let allowed = (typed_ms as f64 / (idle_ms - lead_ms) as f64).ceil() as usize + 1;
    println!(
        "{label}: {} keystrokes over {typed_ms} ms, {} keepalives (allowed {allowed})\n{}",
        keys.len(),
        keepalives.len(),
        Recorder::dump(&hits, from)
    );
    assert!(
        keepalives.len() >= 2 && keepalives.len() <= allowed,
        "{label}: {} keepalives while typing {typed_ms} ms",
        keepalives.len()
    );
    // Nothing else made the session last: no page load, no request of the page's own.
    assert!(
        !hits.iter().any(|h| h.counts && !h.is_keepalive()),
        "{label}: activity other than keepalive while typing"
    );
    let warned = b.watched().await.events.iter().any(|e| e.name == "warning");
    assert!(!warned, "{label}: a warning while the user was typing");
    // Now the user stops typing.
    let seen = b
        .wait_for_path("/login", idle * 2 + Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("{label}: never logged out after the typing stopped"));
    let hits = site.log.hits();
    let logout = flows::logout_request(&hits, last_done, "/login")
        .unwrap_or_else(|| panic!("{label}: no logout request"));
    let last_keepalive = hits
        .iter()
        .rev()
        .find(|h| h.is_keepalive() && h.at < logout.at)
        .expect("a keepalive")
        .clone();
    // The keystroke was typed between `last_sent` and `last_done`: the lower
    // bound counts from `last_done`, the upper one from `last_sent`, so both
    // hold for the keystroke itself.
    let from_key_ms = ms_between(last_done, logout.at);
    let from_key_url_ms = ms_between(last_sent, seen);
    let from_keepalive_ms = ms_between(last_keepalive.at, logout.at);
    let age_ms: i64 = last_keepalive
        .headers
        .get("x-auto-logout-input-age")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!("{label}: the keepalive for input has no input age: {last_keepalive}")
        });
    // When the input was, by the keepalive's age, against the test's own record.
    let input_after_sent_ms = ms_between(last_sent, last_keepalive.at) - age_ms;
    println!(
        "FIGURE {label}: last keystroke -> logout request at the server {from_key_ms} ms, browser on /login {from_key_url_ms} ms; last keepalive -> logout {from_keepalive_ms} ms, its input age {age_ms} ms, the input {input_after_sent_ms} ms after the keystroke was sent (IDLE_TIME {idle_ms} ms, WARN_BEFORE {lead_ms} ms)\n{}",
        Recorder::dump(&site.log.since(last_keepalive.at), last_keepalive.at)
    );
    let earliest = idle_ms - early_ms(idle);
    assert!(
        from_key_ms >= earliest,
        "{label}: logged out {from_key_ms} ms after the last keystroke, before IDLE_TIME - 1 %"
    );
    assert!(
        from_key_url_ms <= idle_ms + AFTER_KEY_MS,
        "{label}: on /login {from_key_url_ms} ms after the last keystroke, more than IDLE_TIME + {AFTER_KEY_MS} ms"
    );
    // The age names the last keystroke: not before it was sent, not after it was delivered.
    let typed_ms = ms_between(last_sent, last_done);
    assert!(
        (-LATE_MS..=typed_ms + LATE_MS).contains(&input_after_sent_ms),
        "{label}: the keepalive's input age puts the input {input_after_sent_ms} ms after the last keystroke was sent ({typed_ms} ms to deliver it)"
    );
    assert!(
        last_keepalive.at > last_done,
        "{label}: no keepalive after the last keystroke"
    );
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    b.quit().await;
}

async fn typing_without_the_option(demo: Demo) {
    let label = &format!("{} client activity off", demo.name());
    let site = Site::on(demo, config(false), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    let idle = site.idle();
    let idle_ms = idle.as_millis() as i64;
    let from = Instant::now();
    // Typing until the page goes away (or well past IDLE_TIME).
    let keys = type_for(
        &b,
        idle + Duration::from_secs(2),
        Duration::from_millis(150),
    )
    .await;
    let seen = b
        .wait_for_path("/login", Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("{label}: still signed in"));
    let hits = site.log.hits();
    let logout = flows::logout_request(&hits, from, "/login").expect("a logout request");
    let last_load = site
        .log
        .last_activity_before(logout.at)
        .expect("the page load");
    assert!(
        last_load.at < from,
        "{label}: activity while typing: {last_load}"
    );
    let server_ms = ms_between(last_load.at, logout.at);
    let url_ms = ms_between(last_load.at, seen);
    println!(
        "FIGURE {label}: {} keystrokes; last page load -> logout request {server_ms} ms, browser on /login {url_ms} ms",
        keys.len()
    );
    assert!(keys.len() > 10, "{label}: the user did type");
    assert!(
        server_ms >= idle_ms - early_ms(idle),
        "{label}: {server_ms} ms"
    );
    assert!(url_ms <= idle_ms + 1000, "{label}: {url_ms} ms");
    assert!(
        !hits.iter().any(|h| h.is_keepalive()),
        "{label}: a keepalive"
    );
    b.quit().await;
}
