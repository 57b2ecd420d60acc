//! `LOCK_AFTER` and `SIGN_IN_AGAIN` on both demos: the page locks on time and
//! shows nothing of itself, the typed text survives a wrong and a right
//! password, windows lock and unlock together, "Sign in again" outlives the
//! old absolute limit, and axe-core finds no WCAG A/AA violation in either
//! dialog. The single-window lock also under the strict and nonce CSP.

use auto_logout_e2e::{Csp, Demo, lock};

#[tokio::test]
async fn lock_one_window_axum() {
    lock::one_window(Demo::Axum, Csp::Off, "lock axum").await;
}

#[tokio::test]
async fn lock_one_window_actix() {
    lock::one_window(Demo::Actix, Csp::Off, "lock actix").await;
}

#[tokio::test]
async fn lock_one_window_strict_csp() {
    lock::one_window(Demo::Axum, Csp::Strict, "lock axum strict CSP").await;
}

#[tokio::test]
async fn lock_one_window_nonce_csp_actix() {
    lock::one_window(Demo::Actix, Csp::Nonce, "lock actix nonce CSP").await;
}

#[tokio::test]
async fn lock_three_windows_axum() {
    lock::three_windows(Demo::Axum, Csp::Off, "lock, three windows, axum").await;
}

#[tokio::test]
async fn lock_three_windows_actix() {
    lock::three_windows(Demo::Actix, Csp::Off, "lock, three windows, actix").await;
}

#[tokio::test]
async fn sign_in_again_axum() {
    lock::sign_in_again(Demo::Axum, Csp::Off, "sign in again axum").await;
}

#[tokio::test]
async fn sign_in_again_actix() {
    lock::sign_in_again(Demo::Actix, Csp::Strict, "sign in again actix strict CSP").await;
}

#[tokio::test]
async fn lock_dialog_accessibility_axum() {
    lock::lock_dialog_accessibility(Demo::Axum, "lock dialog axe axum").await;
}

#[tokio::test]
async fn lock_dialog_accessibility_actix() {
    lock::lock_dialog_accessibility(Demo::Actix, "lock dialog axe actix").await;
}

/// Both demos in one run (about 4 minutes: the lease is 2 minutes at least).
#[tokio::test]
async fn the_last_tab_closed_ends_the_session_on_both_demos() {
    lock::last_tab_closed("tabs closed").await;
}
