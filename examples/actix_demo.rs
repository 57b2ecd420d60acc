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

#[path = "actix_demo/app.rs"]
mod app;

use std::process::ExitCode;

use actix_web::cookie::Key;
use auto_logout::actix::AutoLogoutStore;
use auto_logout::redis::RedisStore;

#[actix_web::main]
async fn main() -> ExitCode {
    // The axum demo's, shared.
    if let Err(err) = app::axum_app::start_logging() {
        eprintln!("actix_demo: {err}");
        return ExitCode::from(2);
    }
    let settings = match app::Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("actix_demo: {err}");
            return ExitCode::from(2);
        }
    };
    let secret = std::env::var("DEMO_SECRET_KEY")
        .ok()
        .filter(|secret| !secret.trim().is_empty());
    let key = match &secret {
        Some(secret) => match Key::try_from(secret.trim().as_bytes()) {
            Ok(key) => key,
            Err(_) => {
                eprintln!(
                    "actix_demo: DEMO_SECRET_KEY is {} bytes; at least 64 are needed",
                    secret.trim().len()
                );
                return ExitCode::from(2);
            }
        },
        None => Key::generate(),
    };
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = match std::net::TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("actix_demo: cannot listen on {addr}: {err} (set DEMO_ADDR)");
            return ExitCode::from(2);
        }
    };
    let c = &settings.config;
    let secs = |d: Option<std::time::Duration>| {
        d.map_or("off".to_owned(), |d| format!("{} s", d.as_secs()))
    };
    let summary = format!(
        "idle {}, session {}, warning {}, redirect {}",
        secs(c.idle_time()),
        secs(c.session_time()),
        secs(c.warn_before()),
        if c.redirect_to_login_immediately() {
            "on"
        } else {
            "off"
        },
    );
    let extras = format!(
        "{}{}",
        match settings.csp {
            app::Csp::Off => "",
            app::Csp::Strict => ", CSP strict",
            app::Csp::Nonce => ", CSP nonce",
        },
        if settings.auto_logout {
            ""
        } else {
            ", auto-logout middleware OFF"
        },
    );
    let served = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let store = match RedisStore::connect(url.trim()).await {
                Ok(store) => store,
                Err(err) => {
                    eprintln!("actix_demo: cannot connect to REDIS_URL={url}: {err}");
                    return ExitCode::from(2);
                }
            };
            // Without DEMO_SECRET_KEY, every instance on this Redis uses one key.
            let key = match secret {
                Some(_) => key,
                None => match app::shared_cookie_key(&store, &key).await {
                    Ok(key) => key,
                    Err(err) => {
                        eprintln!("actix_demo: cannot keep the cookie key in Redis: {err}");
                        return ExitCode::from(2);
                    }
                },
            };
            println!(
                "auto-logout actix demo on http://{addr}/ — sign in as demo / demo\n  {summary}, sessions in Redis at {url}{extras}"
            );
            let stack = app::Stack::new(store, key);
            app::serve(settings, stack, listener, app::no_routes)
        }
        _ => {
            println!(
                "auto-logout actix demo on http://{addr}/ — sign in as demo / demo\n  {summary}, sessions in memory{extras}"
            );
            let stack = app::Stack::new(AutoLogoutStore::new(app::MemoryStore::default()), key);
            app::serve(settings, stack, listener, app::no_routes)
        }
    };
    let server = match served {
        Ok((server, _)) => server,
        Err(err) => {
            eprintln!("actix_demo: {err}");
            return ExitCode::FAILURE;
        }
    };
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        handle.stop(true).await;
    });
    if let Err(err) = server.await {
        eprintln!("actix_demo: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
