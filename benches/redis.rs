//! Both stacks over a real Redis (started here on a free loopback port), on
//! the read path and on the write path, in one run: the session layer alone
//! (baseline), the crate's `RedisStore` with the auto-logout middleware, the
//! same middleware over the generic wrapper around the framework's own Redis
//! store (a load, a `GET` and a `SET` per write), and on actix the Rust peer,
//! actix-identity with `visit_deadline` + `login_deadline` (a write on every
//! request).
//!
//! `cargo bench --bench redis`
//!
//! Write path: a clock that moves by the write resolution (6 s at
//! `IDLE_TIME` 600 s) before each request, so every request records its
//! activity (no `SESSION_TIME` there, or the session would end). Read path:
//! the clock stands still, so no request writes. Each row checks once,
//! before it is measured, that the page is the signed-in one.
//!
//! First, the stores alone (tower-sessions' trait, one signed-in record):
//! a load and a save of the crate's `RedisStore` against
//! tower-sessions-redis-store's.
//!
//! Every session of a user: a sign-in that indexes the session against a
//! login that does not, and `log_out_everywhere` of 10 sessions.
//!
//! Without `redis-server` on `PATH` the bench says so and measures nothing.

use std::hint::black_box;
use std::time::Duration;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::SessionMiddleware;
use actix_session::storage::RedisSessionStore;
use actix_web::dev::Service as _;
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, test, web};
use auto_logout::redis::RedisStore;
use auto_logout::{Clock, Config, GuardedStore, ManualClock, Timestamp};
use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

/// A `redis-server` on a free loopback port, killed when dropped.
struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(RedisServer { child, port })
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Read path: both limits, the system's pace. Write path: the idle limit
/// only, the clock stepping.
fn config(write_path: bool) -> Config {
    let builder = Config::builder().idle_time(600);
    let builder = if write_path {
        builder
    } else {
        builder.session_time(3600)
    };
    builder.build().unwrap()
}

/// The write resolution at IDLE_TIME 600 s (1 %), plus a millisecond.
const STEP: Duration = Duration::from_millis(6_001);

fn start() -> ManualClock {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    ManualClock::new(Timestamp::from_unix_millis(now))
}

// ---------------------------------------------------------------------------
// axum

mod axum_rows {
    use super::*;
    use auto_logout::axum::{AutoLogout, AutoLogoutLayer, AutoLogoutStore};
    use axum::Router;
    use axum::routing::get;
    use tower_sessions::{Session, SessionManagerLayer, SessionStore};

    async fn page(session: Session) -> String {
        let user: Option<String> = session.get("user").await.ok().flatten();
        format!("<h1>Hello, {}</h1>", user.as_deref().unwrap_or("nobody"))
    }

    /// The page that writes the session on every request: the session
    /// layer's own cost of a write (a load and a `SET`).
    async fn writing_page(session: Session) -> String {
        let visits: u64 = session.get("visits").await.ok().flatten().unwrap_or(0);
        session.insert("visits", visits + 1).await.unwrap();
        page(session).await
    }

    async fn login(session: Session, auto_logout: Option<AutoLogout>) -> &'static str {
        session.insert("user", "demo").await.unwrap();
        if let Some(auto_logout) = auto_logout {
            auto_logout.login(&session).await.unwrap();
        }
        "ok"
    }

    pub fn router<S: SessionStore + Clone>(store: S, layer: Option<AutoLogoutLayer>) -> Router {
        router_with_page(store, layer, false)
    }

    pub fn router_with_page<S: SessionStore + Clone>(
        store: S,
        layer: Option<AutoLogoutLayer>,
        writing: bool,
    ) -> Router {
        let app = Router::new()
            .route(
                "/",
                if writing {
                    get(writing_page)
                } else {
                    get(page)
                },
            )
            .route("/login", get(login));
        let app = match layer {
            Some(layer) => app.layer(layer),
            None => app,
        };
        app.layer(SessionManagerLayer::new(store).with_secure(false))
    }

    pub fn guarded<S: SessionStore + GuardedStore + Clone>(
        store: S,
        write_path: bool,
        clock: &ManualClock,
    ) -> Router {
        let layer = AutoLogoutLayer::new(config(write_path), &store).with_clock(clock.clone());
        router(store, Some(layer))
    }

    pub async fn wrapper(
        url: &str,
    ) -> AutoLogoutStore<
        tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool>,
    > {
        AutoLogoutStore::new(tower_sessions_redis_store::RedisStore::new(pool(url).await))
    }

    pub async fn pool(url: &str) -> tower_sessions_redis_store::fred::prelude::Pool {
        use tower_sessions_redis_store::fred::prelude::{Builder, ClientLike, Config};
        let pool = Builder::from_config(Config::from_url(url).unwrap())
            .build_pool(4)
            .unwrap();
        pool.init().await.unwrap();
        pool
    }
}

fn axum_bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, url: &str) {
    let mut group = c.benchmark_group("redis axum");
    for (name, write_path) in [
        (
            "baseline: SessionManagerLayer over tower-sessions-redis-store",
            false,
        ),
        (
            "baseline, the page writes the session: SessionManagerLayer over tower-sessions-redis-store",
            false,
        ),
        ("read path: RedisStore + AutoLogoutLayer", false),
        ("write path: RedisStore + AutoLogoutLayer", true),
        (
            "write path: AutoLogoutStore<tower-sessions-redis-store> + AutoLogoutLayer",
            true,
        ),
    ] {
        let clock = start();
        let app = rt.block_on(async {
            if name.starts_with("baseline") {
                axum_rows::router_with_page(
                    tower_sessions_redis_store::RedisStore::new(axum_rows::pool(url).await),
                    None,
                    name.contains("writes"),
                )
            } else if name.contains("AutoLogoutStore") {
                axum_rows::guarded(axum_rows::wrapper(url).await, write_path, &clock)
            } else {
                axum_rows::guarded(RedisStore::connect(url).await.unwrap(), write_path, &clock)
            }
        });
        let cookie = rt.block_on(async {
            let res = app
                .clone()
                .oneshot(Request::get("/login").body(Body::empty()).unwrap())
                .await
                .unwrap();
            let set = res
                .headers()
                .get(header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap();
            set.split(';').next().unwrap().to_owned()
        });
        let request = || {
            Request::get("/")
                .header(header::COOKIE, cookie.clone())
                .body(Body::empty())
                .unwrap()
        };
        let body = rt.block_on(async {
            let res = app.clone().oneshot(request()).await.unwrap();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        });
        assert_eq!(body, "<h1>Hello, demo</h1>", "{name}: signed in");
        group.bench_function(name, |b| {
            b.iter(|| {
                if write_path {
                    clock.advance(STEP);
                }
                rt.block_on(async {
                    let res = app.clone().oneshot(request()).await.unwrap();
                    black_box(res.status())
                })
            })
        });
    }
    group.finish();
}

// ---------------------------------------------------------------------------
// actix-web

async fn actix_page(session: actix_session::Session) -> HttpResponse {
    let user: Option<String> = session.get("user").ok().flatten();
    HttpResponse::Ok().body(format!(
        "<h1>Hello, {}</h1>",
        user.as_deref().unwrap_or("nobody")
    ))
}

async fn actix_identity_page(user: Option<Identity>) -> HttpResponse {
    let id = user.and_then(|u| u.id().ok()).unwrap_or_default();
    HttpResponse::Ok().body(format!("<h1>Hello, {id}</h1>"))
}

async fn actix_login(
    req: HttpRequest,
    session: actix_session::Session,
    auto_logout: Option<auto_logout::actix::AutoLogout>,
) -> HttpResponse {
    session.insert("user", "demo").unwrap();
    if let Some(auto_logout) = auto_logout {
        auto_logout.login(&session).unwrap();
    }
    if req.extensions().get::<IdentityMarker>().is_some() {
        Identity::login(&req.extensions(), "demo".to_owned()).unwrap();
    }
    HttpResponse::Ok().finish()
}

#[derive(Clone, Copy)]
struct IdentityMarker;

/// One actix row: the app built, signed in, checked, then measured.
macro_rules! actix_row {
    ($group:expr, $system:expr, $name:expr, $write_path:expr, $clock:expr, $build:expr) => {{
        let (app, cookie) = $system.block_on(async {
            let app = test::init_service($build).await;
            let res =
                test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
            let set = res
                .headers()
                .get(actix_web::http::header::SET_COOKIE)
                .unwrap()
                .to_str()
                .unwrap();
            (app, set.split(';').next().unwrap().to_owned())
        });
        let request = || {
            test::TestRequest::get()
                .uri("/")
                .insert_header((actix_web::http::header::COOKIE, cookie.clone()))
                .to_request()
        };
        let body = $system.block_on(async {
            let res = test::call_service(&app, request()).await;
            String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
        });
        assert_eq!(body, "<h1>Hello, demo</h1>", "{}: signed in", $name);
        $group.bench_function($name, |b| {
            b.iter(|| {
                if $write_path {
                    $clock.advance(STEP);
                }
                let res = $system.block_on(app.call(request()));
                black_box(res.map(|r| r.status()).ok())
            })
        });
    }};
}

fn actix_bench(c: &mut Criterion, url: &str) {
    use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore};
    let system = actix_web::rt::System::new();
    let key = actix_web::cookie::Key::generate();
    let mut group = c.benchmark_group("redis actix");
    fn session_layer<S: actix_session::storage::SessionStore>(
        store: S,
        key: &actix_web::cookie::Key,
    ) -> SessionMiddleware<S> {
        SessionMiddleware::builder(store, key.clone())
            .cookie_secure(false)
            .build()
    }
    let old_store = || system.block_on(RedisSessionStore::new(url)).unwrap();

    let clock = start();
    let baseline_store = old_store();
    actix_row!(
        group,
        system,
        "baseline: SessionMiddleware over RedisSessionStore",
        false,
        clock,
        {
            App::new()
                .route("/", web::get().to(actix_page))
                .route("/login", web::get().to(actix_login))
                .wrap(session_layer(baseline_store.clone(), &key))
        }
    );
    for (name, write_path) in [
        ("read path: RedisStore + AutoLogoutMiddleware", false),
        ("write path: RedisStore + AutoLogoutMiddleware", true),
    ] {
        let clock = start();
        let store = system.block_on(RedisStore::connect(url)).unwrap();
        let middleware =
            AutoLogoutMiddleware::new(config(write_path), &store).with_clock(clock.clone());
        actix_row!(group, system, name, write_path, clock, {
            App::new()
                .route("/", web::get().to(actix_page))
                .route("/login", web::get().to(actix_login))
                .wrap(middleware)
                .wrap(session_layer(store.clone(), &key))
        });
    }
    {
        let clock = start();
        let store = AutoLogoutStore::new(old_store());
        let middleware = AutoLogoutMiddleware::new(config(true), &store).with_clock(clock.clone());
        actix_row!(
            group,
            system,
            "write path: AutoLogoutStore<RedisSessionStore> + AutoLogoutMiddleware",
            true,
            clock,
            {
                App::new()
                    .route("/", web::get().to(actix_page))
                    .route("/login", web::get().to(actix_login))
                    .wrap(middleware)
                    .wrap(session_layer(store.clone(), &key))
            }
        );
    }
    let clock = start();
    let identity_store = old_store();
    actix_row!(
        group,
        system,
        "actix-identity visit_deadline + login_deadline (writes every request)",
        false,
        clock,
        {
            App::new()
                .route("/", web::get().to(actix_identity_page))
                .route("/login", web::get().to(actix_login))
                .wrap(
                    IdentityMiddleware::builder()
                        .visit_deadline(Some(Duration::from_secs(600)))
                        .login_deadline(Some(Duration::from_secs(3600)))
                        .build(),
                )
                .wrap_fn(|req, srv| {
                    req.extensions_mut().insert(IdentityMarker);
                    srv.call(req)
                })
                .wrap(session_layer(identity_store.clone(), &key))
        }
    );
    group.finish();
}

fn store_bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, url: &str) {
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};
    let mut group = c.benchmark_group("redis store");
    let ours = rt.block_on(RedisStore::connect(url)).unwrap();
    let theirs = rt.block_on(async {
        tower_sessions_redis_store::RedisStore::new(axum_rows::pool(url).await)
    });
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    record.data.insert("user".into(), "demo".into());
    // A signed-in session: the save runs the script's common branch.
    let login = auto_logout::Stamps::at_login(start().now()).encode();
    record
        .data
        .insert(auto_logout::Stamps::SESSION_KEY.into(), login.into());
    let (a, b) = rt.block_on(async {
        let mut a = record.clone();
        a.id = Id::default();
        ours.create(&mut a).await.unwrap();
        let mut b = record.clone();
        b.id = Id::default();
        theirs.create(&mut b).await.unwrap();
        (a, b)
    });
    group.bench_function("RedisStore: load (HMGET)", |bench| {
        bench.iter(|| rt.block_on(ours.load(&a.id)).unwrap())
    });
    group.bench_function("tower-sessions-redis-store: load (GET)", |bench| {
        bench.iter(|| rt.block_on(theirs.load(&b.id)).unwrap())
    });
    group.bench_function(
        "RedisStore: save (EVALSHA, the save rule in Lua)",
        |bench| bench.iter(|| rt.block_on(ours.save(&a)).unwrap()),
    );
    group.bench_function("tower-sessions-redis-store: save (SET .. XX)", |bench| {
        bench.iter(|| rt.block_on(theirs.save(&b)).unwrap())
    });
    group.bench_function("RedisStore: load, then save", |bench| {
        bench.iter(|| {
            rt.block_on(async {
                ours.load(&a.id).await.unwrap();
                ours.save(&a).await.unwrap()
            })
        })
    });
    group.bench_function("tower-sessions-redis-store: load, then save", |bench| {
        bench.iter(|| {
            rt.block_on(async {
                theirs.load(&b.id).await.unwrap();
                theirs.save(&b).await.unwrap()
            })
        })
    });
    group.finish();
}

/// Every session of a user, on the crate's `RedisStore`: a sign-in that
/// indexes the session against a login that does not (the baseline), and
/// `log_out_everywhere` of a user with 10 sessions (the commands each sends
/// are counted in `tests/redis/sessions.rs`, which watches Redis's `MONITOR`).
fn sessions_bench(c: &mut Criterion, rt: &tokio::runtime::Runtime, url: &str) {
    use auto_logout::SignIn;
    use auto_logout::axum::AutoLogoutLayer;
    use std::sync::Arc;
    use tower_sessions::Session;
    let mut group = c.benchmark_group("redis sessions");
    let store = rt.block_on(RedisStore::connect(url)).unwrap();
    let clock = start();
    let handle = AutoLogoutLayer::new(config(false), &store)
        .with_clock(clock.clone())
        .handle();
    let users = std::sync::atomic::AtomicU64::new(0);
    let fresh_user = || {
        format!(
            "user-{}",
            users.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    };
    let sign_in = |user: Option<String>| {
        let session = Session::new(None, Arc::new(store.clone()), None);
        let handle = handle.clone();
        async move {
            match user {
                Some(user) => handle.sign_in(&session, SignIn::user(user)).await.unwrap(),
                None => handle.login(&session).await.unwrap(),
            }
            session.save().await.unwrap();
        }
    };
    // What is measured works: a sign-in is listed, a revocation ends all 10.
    rt.block_on(async {
        let user = fresh_user();
        for _ in 0..10 {
            sign_in(Some(user.clone())).await;
        }
        assert_eq!(handle.sessions_of(&user).await.unwrap().len(), 10);
        assert_eq!(handle.log_out_everywhere(&user).await.unwrap(), 10);
        assert!(handle.sessions_of(&user).await.unwrap().is_empty());
    });
    group.bench_function("baseline: a login (login + save, not indexed)", |b| {
        b.iter(|| rt.block_on(sign_in(None)))
    });
    group.bench_function("a sign-in (sign_in + save, indexed)", |b| {
        b.iter(|| rt.block_on(sign_in(Some(fresh_user()))))
    });
    group.bench_function("log_out_everywhere of a user with 10 sessions", |b| {
        b.iter_batched(
            || {
                let user = fresh_user();
                rt.block_on(async {
                    for _ in 0..10 {
                        sign_in(Some(user.clone())).await;
                    }
                });
                user
            },
            |user| rt.block_on(handle.log_out_everywhere(&user)).unwrap(),
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let Some(redis) = RedisServer::start() else {
        eprintln!("\n*** NOTE: redis-server not found on PATH: nothing measured ***\n");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    store_bench(c, &rt, &redis.url());
    sessions_bench(c, &rt, &redis.url());
    axum_bench(c, &rt, &redis.url());
    actix_bench(c, &redis.url());
}

criterion_group!(benches, bench);
criterion_main!(benches);
