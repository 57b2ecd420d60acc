//! The auto-logout demo: `cargo run --example demo`, then open http://127.0.0.1:3000/
//! and sign in as `demo` / `demo`.
//!
//! Environment (all optional): `DEMO_ADDR` (default `127.0.0.1:3000`),
//! `AUTO_LOGOUT_IDLE_TIME` (60 s), `AUTO_LOGOUT_SESSION_TIME` (300 s),
//! `AUTO_LOGOUT_WARN_BEFORE` (20 s), `AUTO_LOGOUT_MESSAGE`,
//! `AUTO_LOGOUT_REDIRECT_TO_LOGIN_IMMEDIATELY` (true) — times as seconds or
//! `"90s"`, `"5m"` — and any other `AUTO_LOGOUT_<KEY>` of the configuration;
//! `REDIS_URL` keeps sessions in Redis (`redis://host:port`, or
//! `redis-cluster://host:port` for a Redis Cluster) so several instances share them;
//! `DEMO_CSP=strict|nonce` sends a Content-Security-Policy; `DEMO_AUTO_LOGOUT=off`
//! runs the same site without the layer; `RUST_LOG` filters the log on stderr
//! (default `info`), where each automatic logout shows up with its reason.
//!
//! The site itself is `auto_logout_demos::axum_demo` (the `demos/` crate of the
//! repository), which the tests and benches also serve.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    auto_logout_demos::axum_demo::run_from_env().await
}
