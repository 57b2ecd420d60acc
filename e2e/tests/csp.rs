//! Strict Content Security Policy, both forms: `script-src 'self'; style-src 'self'`
//! with the script as a file, and the script inline with a nonce. Each scenario
//! runs as without CSP and asserts that no `securitypolicyviolation` event fired
//! (a listener installed before any page script) and that Chromium's console
//! reported no violation; a deliberate inline style then proves both detectors work.

use auto_logout_e2e::Csp;
use auto_logout_e2e::flows;

#[tokio::test]
async fn strict_idle_logout() {
    flows::idle_logout_rounds(Csp::Strict, 1, "strict idle").await;
}

#[tokio::test]
async fn strict_warning() {
    flows::warning(Csp::Strict, "strict warning").await;
}

#[tokio::test]
async fn strict_session_limit() {
    flows::session_limit(Csp::Strict, "strict session").await;
}

#[tokio::test]
async fn strict_three_tabs() {
    flows::three_tabs(Csp::Strict, "strict three tabs").await;
}

#[tokio::test]
async fn nonce_idle_logout() {
    flows::idle_logout_rounds(Csp::Nonce, 1, "nonce idle").await;
}

#[tokio::test]
async fn nonce_warning() {
    flows::warning(Csp::Nonce, "nonce warning").await;
}

#[tokio::test]
async fn nonce_session_limit() {
    flows::session_limit(Csp::Nonce, "nonce session").await;
}

#[tokio::test]
async fn nonce_three_tabs() {
    flows::three_tabs(Csp::Nonce, "nonce three tabs").await;
}
