//! actix-identity 0.9 with the actix middleware (feature `actix-identity`),
//! over real HTTP: `Identity::login` starts the clocks, an expiry logs the
//! identity out.

use crate::support;

use crate::actix_support;

use std::net::SocketAddr;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::SessionMiddleware;
use actix_support::{app::MemoryStore, stamps_in};
use actix_web::cookie::Key;
use actix_web::middleware::Condition;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore};
use auto_logout::{Config, ManualClock};
use support::{Browser, T0};

async fn login(req: HttpRequest) -> HttpResponse {
    match Identity::login(&req.extensions(), "alice".to_owned()) {
        Ok(_) => HttpResponse::Ok().body("signed in"),
        Err(err) => HttpResponse::InternalServerError().body(err.to_string()),
    }
}

async fn me(user: Option<Identity>) -> HttpResponse {
    let name = user.and_then(|u| u.id().ok());
    HttpResponse::Ok().body(name.unwrap_or_else(|| "anonymous".to_owned()))
}

async fn logout(user: Identity) -> HttpResponse {
    user.logout();
    HttpResponse::Ok().finish()
}

struct Server {
    addr: SocketAddr,
    system: actix_web::rt::System,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.system.stop();
    }
}

fn start(clock: ManualClock, store: AutoLogoutStore<MemoryStore>) -> Server {
    start_with(clock, store, Key::generate(), true)
}

/// One instance; `auto_logout: false` leaves the middleware out (an app
/// before it was installed).
fn start_with(
    clock: ManualClock,
    store: AutoLogoutStore<MemoryStore>,
    key: Key,
    auto_logout: bool,
) -> Server {
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message("Signed out.")
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .route("/login", web::post().to(login))
                    .route("/me", web::get().to(me))
                    .route("/logout", web::post().to(logout))
                    .wrap(Condition::new(
                        auto_logout,
                        AutoLogoutMiddleware::new(config.clone(), &store)
                            .with_clock(clock.clone())
                            .with_actix_identity(),
                    ))
                    .wrap(IdentityMiddleware::default())
                    .wrap(
                        SessionMiddleware::builder(store.clone(), key.clone())
                            .cookie_secure(false)
                            .build(),
                    )
            })
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
            let addr = server.addrs()[0];
            tx.send((addr, actix_web::rt::System::current())).unwrap();
            let _ = server.run().await;
        });
    });
    let (addr, system) = rx.recv().unwrap();
    Server { addr, system }
}

async fn who(b: &Browser) -> String {
    b.get("/me").await.body
}

#[tokio::test]
async fn an_identity_login_starts_the_clocks_and_an_expiry_logs_it_out() {
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let server = start(clock.clone(), store.clone());
    let b = Browser::new(server.addr);
    assert_eq!(who(&b).await, "anonymous");
    assert_eq!(b.post_form("/login", &[]).await.status, 200);
    assert_eq!(who(&b).await, "alice");

    let stamps: Vec<_> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert_eq!(stamps.len(), 1, "Identity::login started the clocks");
    assert_eq!(stamps[0].login_at(), T0);

    // Activity keeps the identity; the idle limit after the last request ends it.
    clock.advance(std::time::Duration::from_millis(59_000));
    assert_eq!(who(&b).await, "alice");
    clock.advance(std::time::Duration::from_millis(60_001));
    assert_eq!(
        who(&b).await,
        "anonymous",
        "the expiry logged the identity out"
    );
    assert_eq!(who(&b).await, "anonymous");
    let left: Vec<_> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert!(left.is_empty(), "nothing of the login is left: {left:?}");
}

#[tokio::test]
async fn the_absolute_limit_applies_to_identities_too() {
    let clock = ManualClock::new(T0);
    let server = start(clock.clone(), AutoLogoutStore::new(MemoryStore::default()));
    let b = Browser::new(server.addr);
    b.post_form("/login", &[]).await;
    for _ in 0..6 {
        clock.advance(std::time::Duration::from_millis(50_000));
        assert_eq!(who(&b).await, "alice");
    }
    clock.advance(std::time::Duration::from_millis(1));
    assert_eq!(who(&b).await, "anonymous");
}

#[tokio::test]
async fn a_new_login_after_an_identity_logout_starts_new_clocks() {
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let server = start(clock.clone(), store.clone());
    let b = Browser::new(server.addr);
    let step = std::time::Duration::from_millis(50_000);
    b.post_form("/login", &[]).await;
    for _ in 0..3 {
        clock.advance(step);
        assert_eq!(who(&b).await, "alice");
    }
    assert_eq!(b.post_form("/logout", &[]).await.status, 200);
    assert_eq!(who(&b).await, "anonymous");
    b.post_form("/login", &[]).await; // at T0 + 150 s
    let stamps: Vec<_> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert_eq!(stamps.len(), 1);
    assert_eq!(stamps[0].login_at().millis_since(T0), 150_000);
    // Past the first login's absolute limit (T0 + 300 s): the new login's counts.
    for _ in 0..4 {
        clock.advance(step);
        assert_eq!(who(&b).await, "alice");
    }
}

#[tokio::test]
async fn an_identity_signed_in_before_the_middleware_is_tracked_from_then_on() {
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let key = Key::generate();
    // Signed in on the app as it was, without the middleware...
    let before = start_with(clock.clone(), store.clone(), key.clone(), false);
    let b = Browser::new(before.addr);
    b.post_form("/login", &[]).await;
    assert_eq!(who(&b).await, "alice");
    let stamps: Vec<_> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert!(stamps.is_empty(), "no clocks without the middleware");
    // ...then the same session on the app with it, an hour later.
    clock.advance(std::time::Duration::from_secs(3_600));
    let after = start_with(clock.clone(), store.clone(), key, true);
    let b = b.at(after.addr);
    assert_eq!(who(&b).await, "alice", "not logged out for the time before");
    let stamps: Vec<_> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert_eq!(stamps.len(), 1);
    assert_eq!(
        stamps[0].login_at().millis_since(T0),
        3_600_000,
        "clocks start now"
    );
    clock.advance(std::time::Duration::from_millis(60_001));
    assert_eq!(who(&b).await, "anonymous", "and then run out");
}

#[tokio::test]
async fn an_identity_login_is_indexed_under_its_id() {
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let server = start(clock.clone(), store.clone());
    // A handle over the same store: the index is the store's.
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .build()
        .unwrap();
    let handle = AutoLogoutMiddleware::new(config, &store)
        .with_clock(clock.clone())
        .handle();
    let (first, second) = (Browser::new(server.addr), Browser::new(server.addr));
    for b in [&first, &second] {
        assert_eq!(b.post_form("/login", &[]).await.status, 200);
        assert_eq!(who(b).await, "alice");
    }
    let listed = handle.sessions_of("alice").await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|s| s.login_at == T0));
    assert_eq!(handle.log_out_everywhere("alice").await.unwrap(), 2);
    for b in [&first, &second] {
        assert_eq!(who(b).await, "anonymous", "revoked");
    }
    assert!(handle.sessions_of("alice").await.unwrap().is_empty());
}
