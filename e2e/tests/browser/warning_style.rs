//! The warning looks right with no extra step: on a page that links no
//! stylesheet (the demo's home page with `?bare=1`), the script links the
//! warning's own stylesheet from the site, so the dialog is styled and
//! positioned, and the spoken countdown stays visually hidden (through CSSOM
//! properties) — with no CSP, under `script-src 'self'; style-src 'self'`, and
//! with a nonce, each without a violation. With `WARN_STYLESHEET: false`
//! nothing is linked (the app styles the dialog itself), and the announcement
//! is still hidden.

use std::time::Duration;

use auto_logout::Config;
use auto_logout_e2e::flows;
use auto_logout_e2e::{Browser, Csp, Demo, Site};
use serde_json::Value as Json;

fn config(stylesheet: bool) -> Config {
    Config::builder()
        .idle_time(4)
        .session_time(60)
        .warn_before(2)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .warn_stylesheet(stylesheet)
        .build()
        .expect("a valid test configuration")
}

const LOOK: &str = r#"var d = document.querySelector('[role="alertdialog"]');
if (!d) return null;
var live = d.querySelector('[aria-live]');
var ds = getComputedStyle(d), ls = getComputedStyle(live);
return {
  links: Array.prototype.map.call(document.querySelectorAll('link[rel="stylesheet"]'), function (l) { return l.getAttribute('href'); }),
  loaded: Array.prototype.map.call(document.styleSheets, function (s) { return s.href ? new URL(s.href).pathname : 'inline'; }),
  position: ds.position, zIndex: ds.zIndex, background: ds.backgroundColor, top: ds.top,
  live: { position: ls.position, clip: ls.clip, width: ls.width, height: ls.height, overflow: ls.overflow }
};"#;

async fn styled_without_any_link(demo: Demo, csp: Csp, label: &str) {
    let label = &format!("{} {label}", demo.name());
    let site = Site::on(demo, config(true), csp).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client
        .goto(&site.url("/?bare=1"))
        .await
        .expect("open the bare page");
    flows::assert_csp_mode(&b, &site, csp).await;
    b.wait_for_dialog(site.idle())
        .await
        .unwrap_or_else(|| panic!("{label}: no warning"));
    let look: Json = b.client.execute(LOOK, vec![]).await.expect("inspect");
    println!("{label}: {look}");
    let css = site.config.stylesheet_url();
    assert_eq!(
        look["links"],
        serde_json::json!([css]),
        "{label}: the page linked only what the script added"
    );
    assert!(
        look["loaded"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s == css)),
        "{label}: the stylesheet did not load"
    );
    assert_eq!(look["position"], "fixed", "{label}");
    assert_eq!(look["zIndex"], "2147483647", "{label}");
    assert_eq!(look["background"], "rgb(255, 255, 255)", "{label}");
    assert_eq!(look["live"]["position"], "absolute", "{label}");
    assert_eq!(look["live"]["clip"], "rect(0px, 0px, 0px, 0px)", "{label}");
    assert_eq!(look["live"]["width"], "1px", "{label}");
    assert_eq!(look["live"]["height"], "1px", "{label}");
    flows::assert_no_csp_violation(&b, csp, label).await;
    b.quit().await;
}

#[tokio::test]
async fn styled_and_positioned_without_csp() {
    styled_without_any_link(Demo::Axum, Csp::Off, "style, no CSP").await;
}

#[tokio::test]
async fn actix_styled_and_positioned_without_csp() {
    styled_without_any_link(Demo::Actix, Csp::Off, "style, no CSP").await;
}

#[tokio::test]
async fn styled_and_positioned_under_strict_csp() {
    styled_without_any_link(Demo::Axum, Csp::Strict, "style, strict CSP").await;
}

#[tokio::test]
async fn actix_styled_and_positioned_under_strict_csp() {
    styled_without_any_link(Demo::Actix, Csp::Strict, "style, strict CSP").await;
}

#[tokio::test]
async fn styled_and_positioned_with_a_nonce() {
    styled_without_any_link(Demo::Axum, Csp::Nonce, "style, nonce CSP").await;
}

#[tokio::test]
async fn actix_styled_and_positioned_with_a_nonce() {
    styled_without_any_link(Demo::Actix, Csp::Nonce, "style, nonce CSP").await;
}

#[tokio::test]
async fn opted_out_nothing_is_linked_and_the_announcement_stays_hidden() {
    let label = "style opted out";
    let site = Site::start(config(false), Csp::Strict).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client
        .goto(&site.url("/?bare=1"))
        .await
        .expect("open the bare page");
    b.wait_for_dialog(site.idle() + Duration::from_secs(1))
        .await
        .unwrap_or_else(|| panic!("{label}: no warning"));
    let look: Json = b.client.execute(LOOK, vec![]).await.expect("inspect");
    println!("{label}: {look}");
    assert_eq!(look["links"], serde_json::json!([]));
    assert_eq!(look["position"], "static", "unstyled: the app's job");
    assert_eq!(look["live"]["clip"], "rect(0px, 0px, 0px, 0px)");
    assert_eq!(look["live"]["width"], "1px");
    flows::assert_no_csp_violation(&b, Csp::Strict, label).await;
    b.quit().await;
}
