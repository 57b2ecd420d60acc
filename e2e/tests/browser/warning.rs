//! The warning dialog, no CSP: Stay signed in, Escape (axum here, actix in
//! `actix.rs`); and its screenshot on both demos.
//!
//! `AUTO_LOGOUT_SCREENSHOT=1 cargo test -p auto-logout-e2e --test browser -- warning::warning_dialog_screenshot`
//! refreshes `docs/warning-dialog.png`.

use std::time::Duration;

use auto_logout_e2e::{Browser, Csp, Demo, Site, config, flows, save_screenshot, until};

#[tokio::test]
async fn warning_stay_signed_in_and_escape_extend() {
    flows::warning(Demo::Axum, Csp::Off, "warning").await;
}

#[tokio::test]
async fn warning_dialog_screenshot() {
    screenshot(Demo::Axum, "warning-dialog.png").await;
}

/// The actix demo's dialog (Tera's page), taken into the temp dir unless
/// asked for, as the axum one.
#[tokio::test]
async fn actix_warning_dialog_screenshot() {
    screenshot(Demo::Actix, "warning-dialog-actix.png").await;
}

async fn screenshot(demo: Demo, name: &str) {
    // The demo page with a warning shown about 2 s after loading.
    let site = Site::on(demo, config(Some(25), Some(300), Some(23)), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.login(&site).await;
    let (_, dialog) = b
        .wait_for_dialog(Duration::from_secs(10))
        .await
        .expect("the warning dialog");
    assert!(dialog.visible && dialog.focus_inside, "{dialog:?}");
    // A still picture once the countdown and the announcement are filled in.
    let shown = until(Duration::from_secs(5), || async {
        let d = b.dialog().await?;
        let filled = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty());
        (filled(&d.clock) && filled(&d.live)).then_some(d)
    })
    .await
    .expect("the dialog's countdown and announcement");
    let png = b.client.screenshot().await.expect("screenshot");
    println!(
        "dialog at the screenshot: clock {:?}, announced {:?}",
        shown.clock, shown.live
    );
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000);
    let path = save_screenshot(&png, name);
    println!(
        "screenshot of the warning dialog: {} ({} bytes)",
        path.display(),
        png.len()
    );
    // The spoken countdown never promises more time than is left.
    let left = shown
        .clock
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .and_then(|(m, s)| Some(m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?))
        .expect("the visible countdown m:ss");
    let live = shown.live.unwrap_or_default();
    let said: u64 = live
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in the announcement {live:?}"));
    let said_secs = if live.contains("minute") {
        said * 60
    } else {
        said
    };
    assert!(
        said_secs <= left + 1,
        "announced {live:?} while the countdown shows {left} s"
    );
    b.quit().await;
}
