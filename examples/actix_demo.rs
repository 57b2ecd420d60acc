//! The auto-logout demo on actix-web and Tera 2: `cargo run --example actix_demo`,
//! then open http://127.0.0.1:3000/ and sign in as `demo` / `demo`.
//!
//! For a client it is the axum demo (`cargo run --example demo`): the same
//! routes, pages, messages, endpoints and environment — `DEMO_ADDR` (default
//! `127.0.0.1:3000`), `AUTO_LOGOUT_IDLE_TIME` (60 s), `AUTO_LOGOUT_SESSION_TIME`
//! (300 s), `AUTO_LOGOUT_WARN_BEFORE` (20 s), `AUTO_LOGOUT_MESSAGE`,
//! `AUTO_LOGOUT_REDIRECT_TO_LOGIN_IMMEDIATELY` (true), any other
//! `AUTO_LOGOUT_<KEY>`, `DEMO_CSP=strict|nonce`, `DEMO_AUTO_LOGOUT=off`,
//! `DEMO_HTMX` — and `REDIS_URL` keeps sessions in Redis (the crate's
//! `RedisStore`: `redis://host:port`, or `redis-cluster://host:port`) so
//! several instances share them. The session and flash cookies are not
//! `Secure` (the demo serves plain http; the flash cookie follows the session
//! cookie, so every client gets its messages back), and are encrypted with a
//! key: `DEMO_SECRET_KEY` (at least 64 bytes) when given; otherwise,
//! with Redis, the first instance makes one and keeps it in Redis for the
//! others, and without Redis each instance makes its own. `RUST_LOG` filters
//! the log on stderr (default `info`), where each automatic logout shows up
//! with its reason.
//!
//! The site itself is `auto_logout_demos::actix_demo` (the `demos/` crate of the
//! repository), which the tests and benches also serve.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    auto_logout_demos::actix_demo::run_from_env().await
}
