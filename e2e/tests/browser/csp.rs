//! Strict Content Security Policy, both forms: `script-src 'self'; style-src 'self'`
//! with the script as a file, and the script inline with a nonce. Each scenario
//! runs as without CSP and asserts that no `securitypolicyviolation` event fired
//! (a listener installed before any page script) and that Chromium's console
//! reported no violation; a deliberate inline style then proves both detectors work.
//!
//! `script-src 'self'` does not stop injected markup from loading the site's own
//! script file with data- attributes of its choosing. The script must then talk
//! only to its own site: a status or keepalive URL on another origin is never
//! requested, so that origin's answer (whose `login` the script would follow)
//! never takes the tab away.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auto_logout_e2e::{Browser, Csp, Demo, Site, config, flows};
use axum::Router;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse};
use fantoccini::Locator;
use serde_json::json;

#[tokio::test]
async fn strict_idle_logout() {
    flows::idle_logout_rounds(Demo::Axum, Csp::Strict, 1, "strict idle").await;
}

#[tokio::test]
async fn strict_warning() {
    flows::warning(Demo::Axum, Csp::Strict, "strict warning").await;
}

#[tokio::test]
async fn strict_session_limit() {
    flows::session_limit(Demo::Axum, Csp::Strict, "strict session").await;
}

#[tokio::test]
async fn strict_three_tabs() {
    flows::three_tabs(Demo::Axum, Csp::Strict, "strict three tabs").await;
}

#[tokio::test]
async fn nonce_idle_logout() {
    flows::idle_logout_rounds(Demo::Axum, Csp::Nonce, 1, "nonce idle").await;
}

#[tokio::test]
async fn nonce_warning() {
    flows::warning(Demo::Axum, Csp::Nonce, "nonce warning").await;
}

#[tokio::test]
async fn nonce_session_limit() {
    flows::session_limit(Demo::Axum, Csp::Nonce, "nonce session").await;
}

#[tokio::test]
async fn nonce_three_tabs() {
    flows::three_tabs(Demo::Axum, Csp::Nonce, "nonce three tabs").await;
}

/// Another origin on loopback, as an attacker's server would be: every request
/// is answered "signed out, go to my page" (`login` on this origin), any
/// origin may read the answers (CORS, preflights included), and it serves
/// that page. Keeps every request it was sent.
struct Foreign {
    /// `http://localhost:<port>`: another host and port than the site's.
    base: String,
    asked: Arc<Mutex<Vec<String>>>,
}

async fn foreign_origin() -> Foreign {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let port = listener.local_addr().expect("the bound address").port();
    let base = format!("http://localhost:{port}");
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let handler = {
        let (asked, base) = (asked.clone(), base.clone());
        move |method: Method, uri: Uri| {
            let (asked, base) = (asked.clone(), base.clone());
            async move {
                asked.lock().unwrap().push(format!("{method} {uri}"));
                let cors = [
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                    (header::ACCESS_CONTROL_ALLOW_HEADERS, "*"),
                    (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"),
                ];
                if method == Method::OPTIONS {
                    return (StatusCode::NO_CONTENT, cors).into_response();
                }
                if uri.path() == "/phished" {
                    return Html(
                        "<!doctype html><title>Not your site</title><h1>Not your site</h1>",
                    )
                    .into_response();
                }
                let gone = json!({ "active": false, "reason": "idle", "login": format!("{base}/phished") });
                (
                    cors,
                    [(header::CONTENT_TYPE, "application/json")],
                    gone.to_string(),
                )
                    .into_response()
            }
        }
    };
    let router = Router::new().fallback(handler);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Foreign { base, asked }
}

/// Signs in, opens `/public` (a page of the site under the strict policy, without
/// the script), and injects markup there that loads the site's own script file
/// with `attrs` (attribute, value), an idle deadline `idle_ms` away and
/// no login URL. With `type_keys` it types into a field (input that
/// `CLIENT_ACTIVITY` turns into a keepalive). After the deadline the tab
/// must still be on the site, the foreign origin must have had no request,
/// and the script must have acted on its own: the `logout` event on `/public`.
async fn injected_script_stays_on_the_site(
    demo: Demo,
    label: &str,
    idle_ms: u64,
    attrs: impl Fn(&Foreign) -> Vec<(&'static str, String)>,
    type_keys: bool,
) {
    let label = &format!("{} {label}", demo.name());
    let site = Site::on(demo, config(Some(60), Some(600), None), Csp::Strict).await;
    let foreign = foreign_origin().await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client
        .goto(&site.url("/public"))
        .await
        .expect("open /public");
    let page = site
        .log
        .hits()
        .into_iter()
        .rev()
        .find(|h| h.method == Method::GET && h.path_only() == "/public")
        .expect("the page load of /public");
    assert_eq!(
        page.csp.as_deref(),
        Some("script-src 'self'; style-src 'self'"),
        "{label}: {page}"
    );
    let mut markup = format!(
        "<input id=\"e2e-note\"><script data-auto-logout src=\"{}\" data-idle-ms=\"{idle_ms}\" data-idle-limit-ms=\"{idle_ms}\"",
        site.config.script_url()
    );
    for (name, value) in attrs(&foreign) {
        markup.push_str(&format!(" {name}=\"{value}\""));
    }
    markup.push_str("></script>");
    println!("{label}: injected into /public: {markup}");
    // Parsed as markup (a contextual fragment runs its scripts), as an injection would be.
    b.client
        .execute(
            "document.querySelector('main').appendChild(document.createRange().createContextualFragment(arguments[0]));",
            vec![json!(markup)],
        )
        .await
        .expect("inject the markup");
    let started = auto_logout_e2e::until(Duration::from_secs(5), || async {
        let ran = b
            .client
            .execute("return !!window.autoLogout;", vec![])
            .await
            .ok()?;
        ran.as_bool().filter(|ran| *ran).map(|_| Instant::now())
    })
    .await
    .unwrap_or_else(|| panic!("{label}: the site's own script file did not run"));
    if type_keys {
        let note = b
            .client
            .find(Locator::Css("#e2e-note"))
            .await
            .expect("the injected field");
        for _ in 0..3 {
            note.send_keys("a").await.expect("type");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The deadline, then time for a request, its answer and a navigation.
    auto_logout_e2e::sleep_until(started + Duration::from_millis(idle_ms + 2_000)).await;
    let url = b.client.current_url().await.expect("current URL");
    let asked = foreign.asked.lock().unwrap().clone();
    println!(
        "{label}: after the deadline the tab is on {url}; the foreign origin was asked {asked:?}"
    );
    assert_eq!(
        url.origin().ascii_serialization(),
        site.base,
        "{label}: the tab left the site"
    );
    assert!(
        asked.is_empty(),
        "{label}: the script sent requests to another origin: {asked:?}"
    );
    let events = b.watched().await.events;
    assert!(
        events
            .iter()
            .any(|e| e.name == "logout" && e.path == "/public"),
        "{label}: the script never acted at its deadline: {events:?}"
    );
    // Not blocked by a policy either (the demo sends no connect-src): never tried.
    flows::assert_no_csp_violation(&b, Csp::Strict, label).await;
    b.quit().await;
}

/// Injected markup loads the site's own script with foreign endpoint URLs:
/// the status URL alone (asked at the deadline), then the keepalive URL too
/// (posted to when the user types, with `CLIENT_ACTIVITY`).
#[tokio::test]
async fn strict_foreign_endpoint_urls_stay_on_the_site() {
    foreign_endpoint_urls(Demo::Axum).await;
}

#[tokio::test]
async fn actix_strict_foreign_endpoint_urls_stay_on_the_site() {
    foreign_endpoint_urls(Demo::Actix).await;
}

async fn foreign_endpoint_urls(demo: Demo) {
    injected_script_stays_on_the_site(
        demo,
        "strict, foreign status URL",
        2_000,
        |foreign| vec![("data-status-url", format!("{}/s", foreign.base))],
        false,
    )
    .await;
    injected_script_stays_on_the_site(
        demo,
        "strict, foreign keepalive URL",
        3_000,
        |foreign| {
            vec![
                ("data-status-url", format!("{}/s", foreign.base)),
                ("data-keepalive-url", format!("{}/k", foreign.base)),
                ("data-warn-ms", "1000".to_owned()),
                ("data-client-activity", String::new()),
            ]
        },
        true,
    )
    .await;
}
