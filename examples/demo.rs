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

#[path = "demo/app.rs"]
mod app;

use std::process::ExitCode;

use auto_logout::redis::RedisStore;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = app::start_logging() {
        eprintln!("demo: {err}");
        return ExitCode::from(2);
    }
    let settings = match app::Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("demo: {err}");
            return ExitCode::from(2);
        }
    };
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let (router, store) = match std::env::var("REDIS_URL") {
        // The crate's Redis store: `redis://host:port`, or `redis-cluster://host:port`.
        Ok(url) if !url.trim().is_empty() => match RedisStore::connect(url.trim()).await {
            Ok(store) => (
                app::guarded_router_with(&settings, store, axum::Router::new()),
                format!("Redis at {url}"),
            ),
            Err(err) => {
                eprintln!("demo: cannot connect to REDIS_URL={url}: {err}");
                return ExitCode::from(2);
            }
        },
        _ => (
            app::router(&settings, tower_sessions::MemoryStore::default()),
            "memory".to_owned(),
        ),
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("demo: cannot listen on {addr}: {err} (set DEMO_ADDR)");
            return ExitCode::from(2);
        }
    };
    let c = &settings.config;
    let secs = |d: Option<std::time::Duration>| {
        d.map_or("off".to_owned(), |d| format!("{} s", d.as_secs()))
    };
    println!(
        "auto-logout demo on http://{addr}/ — sign in as demo / demo\n  idle {}, session {}, warning {}, redirect {}, sessions in {store}{}{}",
        secs(c.idle_time()),
        secs(c.session_time()),
        secs(c.warn_before()),
        if c.redirect_to_login_immediately() {
            "on"
        } else {
            "off"
        },
        match settings.csp {
            app::Csp::Off => "",
            app::Csp::Strict => ", CSP strict",
            app::Csp::Nonce => ", CSP nonce",
        },
        if settings.auto_logout {
            ""
        } else {
            ", auto-logout layer OFF"
        },
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(err) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("demo: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
