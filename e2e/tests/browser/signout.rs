//! Sign-out everywhere: after an explicit sign-out in one window, the login
//! page it lands on (`/login?signed_out=1`) carries the signed-out signal, and
//! every other window of that login leaves for the login page within a second
//! — never before the sign-out. And a hostile page of the same origin that
//! floods the tabs' channel with endless deadlines does not keep a protected
//! tab past the server's logout.

use std::time::{Duration, Instant};

use auto_logout_e2e::flows;
use auto_logout_e2e::{Browser, Csp, Demo, Hit, Recorder, Site, config, ms_between};
use fantoccini::Locator;
use serde_json::json;

/// Where the demo sends an anonymous visitor of `/`: a window that left.
const LEFT: &str = "/login?next=/";

fn left_for_login(h: &Hit) -> bool {
    h.path == LEFT || h.location.as_deref() == Some(LEFT)
}

async fn sign_out_everywhere(demo: Demo, csp: Csp, label: &str) {
    let label = &format!("{} {label}", demo.name());
    // Long limits: nothing but the sign-out can send the second window away.
    let site = Site::on(demo, config(Some(60), Some(300), None), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.watch().await;
    b.login(&site).await;
    let first = c.window().await.expect("window");
    let second = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(second.clone()).await.expect("switch");
    b.watch().await;
    c.goto(&site.url("/")).await.expect("open /");
    assert_eq!(b.path().await, "/");
    // Both windows have been quiet on the signed-in page for a while.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(b.path().await, "/", "{label}: the second window left early");
    c.switch_to_window(first.clone()).await.expect("switch");
    assert_eq!(b.path().await, "/");
    let clicked = Instant::now();
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .expect("the sign-out button")
        .click()
        .await
        .expect("click sign out");
    b.wait_for_path("/login", Duration::from_secs(5))
        .await
        .expect("the first window on /login");
    assert_eq!(b.path().await, "/login?signed_out=1");
    c.switch_to_window(second.clone()).await.expect("switch");
    let seen = b
        .wait_for_path("/login", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "{label}: the second window stayed on {}:\n{}",
                "/",
                Recorder::dump(&site.log.hits(), clicked)
            )
        });
    let hits = site.log.hits();
    let sign_out = hits
        .iter()
        .find(|h| h.at >= clicked && h.path == "/logout")
        .unwrap_or_else(|| panic!("{label}: no POST /logout"))
        .clone();
    let signal = hits
        .iter()
        .find(|h| h.at >= sign_out.at && h.path == "/login?signed_out=1")
        .expect("the signed-out login page")
        .clone();
    let left = hits
        .iter()
        .find(|h| left_for_login(h))
        .unwrap_or_else(|| panic!("{label}: the second window's way to the login page"))
        .clone();
    let server_ms = ms_between(sign_out.at, left.at);
    let url_ms = ms_between(sign_out.at, seen);
    println!(
        "{label}: sign-out request -> signed-out page {} ms -> second window's request to leave {server_ms} ms, its URL on /login {url_ms} ms\n{}",
        ms_between(sign_out.at, signal.at),
        Recorder::dump(&site.log.since(clicked), sign_out.at)
    );
    // Lower bound: nothing sent the second window away before the sign-out.
    assert!(
        left.at > signal.at,
        "{label}: the second window left before the signed-out page loaded"
    );
    // Upper bound: within a second of the sign-out, at the server and in the browser.
    assert!(
        server_ms <= 1000,
        "{label}: the second window left {server_ms} ms after the sign-out"
    );
    assert!(
        url_ms <= 1000 + flows::MAX_DELAY_MS,
        "{label}: the second window was on /login {url_ms} ms after the sign-out"
    );
    assert_eq!(b.path().await, LEFT);
    // It asked the server before leaving: a passive status, no keepalive.
    let asked = hits
        .iter()
        .any(|h| h.is_script() && h.is_status() && h.at > signal.at && h.at < left.at);
    assert!(
        asked,
        "{label}: the second window left without asking the server"
    );
    assert!(!hits.iter().any(Hit::is_keepalive));
    for w in [&first, &second] {
        c.switch_to_window(w.clone()).await.expect("switch");
        flows::assert_no_csp_violation(&b, csp, label).await;
    }
    b.quit().await;
}

#[tokio::test]
async fn sign_out_in_one_window_signs_out_the_others() {
    sign_out_everywhere(Demo::Axum, Csp::Off, "sign-out").await;
}

#[tokio::test]
async fn actix_sign_out_in_one_window_signs_out_the_others() {
    sign_out_everywhere(Demo::Actix, Csp::Off, "sign-out").await;
}

#[tokio::test]
async fn sign_out_everywhere_under_strict_csp() {
    sign_out_everywhere(Demo::Axum, Csp::Strict, "strict sign-out").await;
}

#[tokio::test]
async fn actix_sign_out_everywhere_under_strict_csp() {
    sign_out_everywhere(Demo::Actix, Csp::Strict, "strict sign-out").await;
}

#[tokio::test]
async fn sign_out_everywhere_with_a_nonce() {
    sign_out_everywhere(Demo::Axum, Csp::Nonce, "nonce sign-out").await;
}

#[tokio::test]
async fn actix_sign_out_everywhere_with_a_nonce() {
    sign_out_everywhere(Demo::Actix, Csp::Nonce, "nonce sign-out").await;
}

/// What a hostile page of the same origin posts, every 100 ms, on the plain
/// and the scoped channel and through `localStorage`: endless deadlines,
/// far-future ones, ones a limit away, and input.
const LIAR: &str = r#"var scope = arguments[0];
var names = ['auto-logout', 'auto-logout:' + scope];
var channels = names.map(function (n) { return new BroadcastChannel(n); });
function lie() {
  var now = Date.now();
  var messages = [
    { type: 'deadlines', idleAt: Infinity, sessionAt: Infinity },
    { type: 'deadlines', idleAt: now + 1e9, sessionAt: now + 1e9 },
    { type: 'deadlines', idleAt: now + 2900, sessionAt: now + 59000 },
    { type: 'input' }
  ];
  channels.forEach(function (c) { messages.forEach(function (m) { c.postMessage(m); }); });
  names.forEach(function (n) {
    try { localStorage.setItem(n, JSON.stringify([messages[2], Math.random()])); } catch (e) {}
  });
}
lie();
window.__lies = setInterval(lie, 100);
return scope;"#;

#[tokio::test]
async fn a_hostile_page_cannot_keep_a_protected_tab_past_the_servers_logout() {
    hostile_page(Demo::Axum).await;
}

#[tokio::test]
async fn actix_a_hostile_page_cannot_keep_a_protected_tab_past_the_servers_logout() {
    hostile_page(Demo::Actix).await;
}

async fn hostile_page(demo: Demo) {
    let label = &format!("{} hostile channel", demo.name());
    let site = Site::on(demo, config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    b.watch().await;
    b.login(&site).await;
    let scope = c
        .execute(
            "return document.querySelector('script[data-auto-logout]').dataset.scope;",
            vec![],
        )
        .await
        .expect("read the scope");
    let protected = c.window().await.expect("window");
    let hostile = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(hostile.clone()).await.expect("switch");
    c.goto(&site.url("/public")).await.expect("open /public");
    let echoed = c
        .execute(LIAR, vec![json!(scope)])
        .await
        .expect("start lying");
    assert_eq!(echoed, scope);
    c.switch_to_window(protected).await.expect("switch");
    // The user is quiet from here (the /public load was their last request):
    // the protected tab reaches the login page IDLE_TIME after it, lies or not.
    let delay = flows::await_logout(&b, &site, "/login", label).await;
    println!("{label}: {delay:?}");
    c.switch_to_window(hostile).await.expect("switch");
    let still_lying = c
        .execute("return typeof window.__lies;", vec![])
        .await
        .expect("the hostile page runs");
    assert_eq!(still_lying, json!("number"));
    b.quit().await;
}
