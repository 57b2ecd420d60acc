//! "Your sessions" on both demos under the strict CSP: two browsers signed in
//! as `demo`; A lists both sessions and signs out everywhere else; B's open
//! page leaves for the sign-in page by itself at its next status check, with
//! the revoked message.

use auto_logout_e2e::sessions;
use auto_logout_e2e::{Csp, Demo};

#[tokio::test]
async fn sign_out_everywhere_else_axum() {
    sessions::sign_out_everywhere_else(Demo::Axum, Csp::Strict, "sign out everywhere else").await;
}

#[tokio::test]
async fn sign_out_everywhere_else_actix() {
    sessions::sign_out_everywhere_else(Demo::Actix, Csp::Strict, "sign out everywhere else").await;
}
