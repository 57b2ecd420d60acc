//! Added cost of the actix middleware per request: one app, actix-session's
//! `SessionMiddleware` over an in-memory store, with and without
//! `AutoLogoutMiddleware`, driven in process (`actix_web::test`) with a
//! logged-in session cookie, in one run; and side by side, the Rust peer for
//! idle + absolute logout, actix-identity 0.9 with `visit_deadline` +
//! `login_deadline`, on the same page.
//!
//! `cargo bench --bench actix`
//!
//! The same baseline, middleware and peer run a second time over a real
//! Redis (actix-session's `RedisSessionStore`, the demo's pool), started by
//! the bench on a free loopback port: there every session write is a round
//! trip, so actix-identity's write per request meets the middleware's
//! coalesced writes. Without `redis-server` on `PATH` those three are
//! skipped with a note.
//!
//! The page reads the signed-in user from the session (as any protected page
//! does); with the middleware it also writes the template values and the
//! script tag into its body. The system clock runs, so the middleware writes
//! the session once per write resolution (1 % of the idle time), as in
//! production; actix-identity writes it on every request.

use std::hint::black_box;
use std::time::Duration;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::storage::{
    LoadError, RedisSessionStore, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_session::{Session, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, time::Duration as TtlDuration};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Condition;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, test, web};
use auto_logout::Config;
use auto_logout::actix::{AutoLogout, AutoLogoutContext, AutoLogoutMiddleware, AutoLogoutStore};
use auto_logout_demos::actix_demo as app;
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Without,
    MiddlewareOnly,
    Inline,
    Identity,
}

/// Which store the session middleware uses.
#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Memory,
    Redis,
}

async fn page(session: Session, ctx: Option<AutoLogoutContext>) -> HttpResponse {
    let user: Option<String> = session.get("user").ok().flatten();
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("<h1>Hello, ");
    body.push_str(user.as_deref().unwrap_or("nobody"));
    body.push_str("</h1>");
    if let Some(ctx) = ctx {
        use std::fmt::Write;
        let tc = ctx.context();
        let _ = write!(
            body,
            "<p>{} {}</p>{}",
            tc.seconds_until_idle_end(),
            tc.seconds_until_session_end(),
            tc.redirect_to_login_immediately()
        );
    }
    HttpResponse::Ok().body(body)
}

/// The page without the template values (the middleware's own cost only).
async fn plain_page(session: Session) -> HttpResponse {
    page(session, None).await
}

/// actix-identity's page: the identity instead of a session value.
async fn identity_page(user: Option<Identity>) -> HttpResponse {
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("<h1>Hello, ");
    body.push_str(&user.and_then(|u| u.id().ok()).unwrap_or_default());
    body.push_str("</h1>");
    HttpResponse::Ok().body(body)
}

async fn login(
    req: HttpRequest,
    session: Session,
    auto_logout: Option<AutoLogout>,
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

/// The session store: wrapped for the middleware, bare for the others (the
/// peer and the baseline need no wrapper).
#[derive(Clone)]
enum Store {
    Wrapped(AutoLogoutStore<app::MemoryStore>),
    Bare(app::MemoryStore),
    WrappedRedis(AutoLogoutStore<RedisSessionStore>),
    BareRedis(RedisSessionStore),
}

type State = std::collections::HashMap<String, String>;

impl SessionStore for Store {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        match self {
            Store::Wrapped(s) => s.load(key).await,
            Store::Bare(s) => s.load(key).await,
            Store::WrappedRedis(s) => s.load(key).await,
            Store::BareRedis(s) => s.load(key).await,
        }
    }

    async fn save(&self, state: State, ttl: &TtlDuration) -> Result<SessionKey, SaveError> {
        match self {
            Store::Wrapped(s) => s.save(state, ttl).await,
            Store::Bare(s) => s.save(state, ttl).await,
            Store::WrappedRedis(s) => s.save(state, ttl).await,
            Store::BareRedis(s) => s.save(state, ttl).await,
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &TtlDuration,
    ) -> Result<SessionKey, UpdateError> {
        match self {
            Store::Wrapped(s) => s.update(key, state, ttl).await,
            Store::Bare(s) => s.update(key, state, ttl).await,
            Store::WrappedRedis(s) => s.update(key, state, ttl).await,
            Store::BareRedis(s) => s.update(key, state, ttl).await,
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &TtlDuration) -> anyhow::Result<()> {
        match self {
            Store::Wrapped(s) => s.update_ttl(key, ttl).await,
            Store::Bare(s) => s.update_ttl(key, ttl).await,
            Store::WrappedRedis(s) => s.update_ttl(key, ttl).await,
            Store::BareRedis(s) => s.update_ttl(key, ttl).await,
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        match self {
            Store::Wrapped(s) => s.delete(key).await,
            Store::Bare(s) => s.delete(key).await,
            Store::WrappedRedis(s) => s.delete(key).await,
            Store::BareRedis(s) => s.delete(key).await,
        }
    }
}

/// Marks the app variant with actix-identity, for the login route.
#[derive(Clone, Copy)]
struct IdentityMarker;

fn config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

fn cookie_of<B>(res: &ServiceResponse<B>) -> String {
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn body_of<B: MessageBody>(res: ServiceResponse<B>) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// A `redis-server` on a free loopback port, killed when dropped.
struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    /// `None`, with a note on stderr, when `redis-server` is not installed.
    fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!(
                "\n*** NOTE: redis-server not found on PATH: the Redis variants are skipped ***\n"
            );
            return None;
        };
        let server = RedisServer { child, port };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
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

fn bench(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let key = Key::generate();
    let redis = RedisServer::start();
    let mut group = c.benchmark_group("actix request");
    let mut variants = vec![
        ("without middleware", Variant::Without, Backend::Memory),
        (
            "with middleware, page without its values",
            Variant::MiddlewareOnly,
            Backend::Memory,
        ),
        (
            "with middleware, inline script",
            Variant::Inline,
            Backend::Memory,
        ),
        (
            "actix-identity visit_deadline + login_deadline",
            Variant::Identity,
            Backend::Memory,
        ),
    ];
    if redis.is_some() {
        variants.extend([
            (
                "Redis: without middleware",
                Variant::Without,
                Backend::Redis,
            ),
            (
                "Redis: with middleware, inline script",
                Variant::Inline,
                Backend::Redis,
            ),
            (
                "Redis: actix-identity visit_deadline + login_deadline",
                Variant::Identity,
                Backend::Redis,
            ),
        ]);
    }
    for (name, variant, backend) in variants {
        let key = key.clone();
        let identity = variant == Variant::Identity;
        let ours = matches!(variant, Variant::MiddlewareOnly | Variant::Inline);
        let (app, cookie) = system.block_on(async {
            let memory = AutoLogoutStore::new(app::MemoryStore::default());
            let (store, middleware) = match (backend, &redis) {
                (Backend::Redis, Some(redis)) => {
                    // The demo's pooled store; the peer and the baseline get
                    // the same pool without the wrapper.
                    let redis = app::redis_store(&redis.url()).await.unwrap();
                    let middleware = AutoLogoutMiddleware::new(config(), &redis);
                    let store = if ours {
                        Store::WrappedRedis(redis)
                    } else {
                        Store::BareRedis(redis.inner().clone())
                    };
                    (store, middleware)
                }
                _ => {
                    let middleware = AutoLogoutMiddleware::new(config(), &memory);
                    let store = if ours {
                        Store::Wrapped(memory)
                    } else {
                        Store::Bare(app::MemoryStore::default())
                    };
                    (store, middleware)
                }
            };
            let page_route = match variant {
                Variant::Inline => web::get().to(page),
                Variant::Identity => web::get().to(identity_page),
                _ => web::get().to(plain_page),
            };
            let app = test::init_service(
                App::new()
                    .route("/", page_route)
                    .route("/login", web::get().to(login))
                    .wrap(Condition::new(ours, middleware))
                    .wrap(Condition::new(
                        identity,
                        IdentityMiddleware::builder()
                            .visit_deadline(Some(Duration::from_secs(600)))
                            .login_deadline(Some(Duration::from_secs(3600)))
                            .build(),
                    ))
                    .wrap_fn(move |req, srv| {
                        if identity {
                            req.extensions_mut().insert(IdentityMarker);
                        }
                        srv.call(req)
                    })
                    .wrap(
                        SessionMiddleware::builder(store, key)
                            .cookie_secure(false)
                            .build(),
                    ),
            )
            .await;
            let res =
                test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
            let cookie = cookie_of(&res);
            (app, cookie)
        });
        let request = || {
            test::TestRequest::get()
                .uri("/")
                .insert_header((header::COOKIE, cookie.clone()))
                .to_request()
        };
        // Check once that the page is the logged-in one.
        let body =
            system.block_on(async { body_of(test::call_service(&app, request()).await).await });
        assert!(body.starts_with("<h1>Hello, demo</h1>"), "{name}: {body}");
        assert_eq!(variant == Variant::Inline, body.contains("<script"));
        group.bench_function(name, |b| {
            b.iter(|| {
                let res = system.block_on(app.call(request()));
                black_box(res.map(|r| r.status()).ok())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
