//! The actix demo (actix-web, actix-session, Tera) in a real browser, through
//! the same flows as the axum demo (`auto_logout_e2e::flows`): the idle
//! logout with its message, the warning and its keepalive, the absolute
//! limit under continuous activity, three tabs — each without a Content
//! Security Policy, under the strict one (the script as a file, no inline
//! style, no violation) and with a nonce. Every timing bound is measured
//! from the arrival of the user's last activity-counting request, lower and
//! upper.

use auto_logout_e2e::{Csp, Demo, flows};

const ACTIX: Demo = Demo::Actix;

#[tokio::test]
async fn actix_idle_logout_reaches_login_with_message() {
    flows::idle_logout_rounds(ACTIX, Csp::Off, flows::MEDIAN_ROUNDS, "actix idle").await;
}

#[tokio::test]
async fn actix_warning_stay_signed_in_and_escape_extend() {
    flows::warning(ACTIX, Csp::Off, "actix warning").await;
}

#[tokio::test]
async fn actix_session_limit_despite_continuous_activity() {
    flows::session_limit(ACTIX, Csp::Off, "actix session").await;
}

#[tokio::test]
async fn actix_three_tabs_one_busy_then_all_quiet() {
    flows::three_tabs(ACTIX, Csp::Off, "actix three tabs").await;
}

// Under a CSP one idle round: its check of the violation detector leaves a
// deliberate violation behind, as in `csp.rs`.

#[tokio::test]
async fn actix_strict_csp_idle_logout() {
    flows::idle_logout_rounds(ACTIX, Csp::Strict, 1, "actix strict idle").await;
}

#[tokio::test]
async fn actix_strict_csp_warning() {
    flows::warning(ACTIX, Csp::Strict, "actix strict warning").await;
}

#[tokio::test]
async fn actix_strict_csp_session_limit() {
    flows::session_limit(ACTIX, Csp::Strict, "actix strict session").await;
}

#[tokio::test]
async fn actix_strict_csp_three_tabs() {
    flows::three_tabs(ACTIX, Csp::Strict, "actix strict three tabs").await;
}

#[tokio::test]
async fn actix_nonce_csp_idle_logout() {
    flows::idle_logout_rounds(ACTIX, Csp::Nonce, 1, "actix nonce idle").await;
}

#[tokio::test]
async fn actix_nonce_csp_warning() {
    flows::warning(ACTIX, Csp::Nonce, "actix nonce warning").await;
}

#[tokio::test]
async fn actix_nonce_csp_session_limit() {
    flows::session_limit(ACTIX, Csp::Nonce, "actix nonce session").await;
}

#[tokio::test]
async fn actix_nonce_csp_three_tabs() {
    flows::three_tabs(ACTIX, Csp::Nonce, "actix nonce three tabs").await;
}
