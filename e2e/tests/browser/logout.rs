//! Logout in a real browser, no CSP: idle (with the delay figure), the session
//! limit under continuous activity, three tabs, and a configured `LOGIN_URL`.
//!
//! `AUTO_LOGOUT_E2E_ROUNDS=10 cargo test -p auto-logout-e2e --test browser -- logout::idle --nocapture`
//! repeats the idle measurement.

use auto_logout_e2e::flows;
use auto_logout_e2e::{Browser, Csp, Demo, IDLE_MESSAGE, Site};

fn rounds() -> usize {
    std::env::var("AUTO_LOGOUT_E2E_ROUNDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(flows::MEDIAN_ROUNDS)
}

#[tokio::test]
async fn idle_logout_reaches_login_with_message() {
    // Each round asserts its bounds against the user's last request, and the
    // rounds their median.
    flows::idle_logout_rounds(Demo::Axum, Csp::Off, rounds(), "idle").await;
}

#[tokio::test]
async fn session_limit_despite_continuous_activity() {
    flows::session_limit(Demo::Axum, Csp::Off, "session").await;
}

#[tokio::test]
async fn three_tabs_one_busy_then_all_quiet() {
    flows::three_tabs(Demo::Axum, Csp::Off, "three tabs").await;
}

/// With `LOGIN_URL` set the script goes straight to `LOGIN_URL?next=<path>`.
#[tokio::test]
async fn idle_logout_with_login_url() {
    logout_with_login_url(Demo::Axum).await;
}

#[tokio::test]
async fn actix_idle_logout_with_login_url() {
    logout_with_login_url(Demo::Actix).await;
}

async fn logout_with_login_url(demo: Demo) {
    let label = &format!("{} login url", demo.name());
    let config = auto_logout::Config::builder()
        .idle_time(3)
        .session_time(60)
        .idle_message(IDLE_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap();
    let site = Site::on(demo, config, Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    flows::await_logout(&b, &site, "/login", label).await;
    assert_eq!(b.path().await, "/login?next=%2F");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    b.quit().await;
}
