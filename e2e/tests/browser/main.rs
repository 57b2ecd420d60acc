//! The browser tests, one binary: the demo sites (axum and actix-web) driven
//! through headless Chromium and chromedriver. Browsers run one at a time (the
//! library's process-wide lock), so every module's timing figures are taken
//! with a single Chromium on the machine.
//!
//! `cargo test -p auto-logout-e2e --test browser -- MODULE::` runs one module,
//! e.g. `-- htmx::`.

mod actix;
mod client_activity;
mod csp;
mod htmx;
mod lock;
mod logout;
mod logout_hook;
mod navigation;
mod sessions;
mod signout;
mod warning;
mod warning_style;
