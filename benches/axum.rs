//! Added cost of the axum layer per request: one router, `SessionManagerLayer`
//! over a `MemoryStore`, with and without `AutoLogoutLayer`, driven in process
//! with `tower::ServiceExt::oneshot` and a logged-in session cookie, in one run.
//!
//! `cargo bench --bench axum`
//!
//! The page reads the signed-in user from the session (as any protected page
//! does) and, with the layer, writes the template values and the script tag
//! into its body, so "with" includes the context. The difference between
//! `with layer` and `without layer` is the added cost.
//!
//! In the variants on the system clock one cookie comes back millions of
//! times a second, so the layer almost never writes: last activity moves on
//! only once per `WRITE_RESOLUTION` (6 s at `IDLE_TIME` 600 s). That is the
//! read path. `with layer, writes every request` injects a clock that moves
//! by `WRITE_RESOLUTION` before each request, so every request records its
//! activity: the session is saved through `AutoLogoutStore`, which re-reads
//! the stored record and applies the save rule before it writes (no
//! `SESSION_TIME` there, or the session would end after 600 requests).

use std::hint::black_box;

use auto_logout_demos::axum_demo as app;
use std::time::Duration;

use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer};
use auto_logout::{Clock, Config, ManualClock, Stamps, Timestamp};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Without,
    NoopLayer,
    LayerOnly,
    External,
    Inline,
    /// `External` with a clock that moves by `WRITE_RESOLUTION` per request.
    Writing,
}

async fn page(session: Session, ctx: Option<AutoLogoutContext>) -> String {
    let user: Option<String> = session.get("user").await.ok().flatten();
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("<h1>Hello, ");
    body.push_str(user.as_deref().unwrap_or("nobody"));
    body.push_str("</h1>");
    if let Some(ctx) = ctx {
        use std::fmt::Write;
        let tc = if ctx.config().warning_texts().title.as_deref() == Some("inline") {
            ctx.context()
        } else {
            ctx.external()
        };
        let _ = write!(
            body,
            "<p>{} {}</p>{}",
            tc.seconds_until_idle_end(),
            tc.seconds_until_session_end(),
            tc.redirect_to_login_immediately()
        );
    }
    body
}

/// The page without the template values (the layer's own cost only).
async fn plain_page(session: Session) -> String {
    page(session, None).await
}

async fn login(session: Session, auto_logout: Option<AutoLogout>) -> &'static str {
    session.insert("user", "demo").await.unwrap();
    if let Some(auto_logout) = auto_logout {
        auto_logout.login(&session).await.unwrap();
    }
    "ok"
}

/// The clock of the `Writing` variant and its step per request.
struct Moving {
    clock: ManualClock,
    step: Duration,
}

fn app(variant: Variant) -> (Router, MemoryStore, Option<Moving>) {
    let memory = MemoryStore::default();
    let store = auto_logout::axum::AutoLogoutStore::new(memory.clone());
    let mut config = Config::builder()
        .idle_time(600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .warn_before(60);
    if variant != Variant::Writing {
        config = config.session_time(3600);
    }
    if variant == Variant::Inline {
        // Marks the variant for the page (the text itself is not rendered here).
        config = config.warning_texts(auto_logout::WarningTexts {
            title: Some("inline".into()),
            ..Default::default()
        });
    }
    let router = match variant {
        Variant::LayerOnly | Variant::NoopLayer => Router::new().route("/", get(plain_page)),
        _ => Router::new().route("/", get(page)),
    };
    let router = router.route("/login", get(login));
    let config = config.build().unwrap();
    let mut moving = None;
    let router = match variant {
        Variant::Without => router,
        Variant::NoopLayer => router.layer(NoopLayer),
        Variant::Writing => {
            let clock = ManualClock::default();
            let step = config.write_resolution();
            moving = Some(Moving {
                clock: clock.clone(),
                step,
            });
            router.layer(AutoLogoutLayer::new(config, &store).with_clock(clock))
        }
        _ => router.layer(AutoLogoutLayer::new(config, &store)),
    };
    let router = router.layer(SessionManagerLayer::new(store).with_secure(false));
    (router, memory, moving)
}

/// The last activity stored for the session of `cookie` (`id=...`).
async fn stored_activity(memory: &MemoryStore, cookie: &str) -> Timestamp {
    use tower_sessions::SessionStore;
    let id: tower_sessions::session::Id = cookie["id=".len()..].parse().unwrap();
    let record = memory.load(&id).await.unwrap().expect("a stored session");
    let stored = record.data[Stamps::SESSION_KEY].as_str().unwrap();
    Stamps::decode(stored).unwrap().last_activity_at()
}

/// The least any async tower middleware costs: take the ready inner service,
/// leave a clone, box the future; it does nothing else. For comparison.
#[derive(Clone)]
struct NoopLayer;

impl<S> tower::Layer<S> for NoopLayer {
    type Service = Noop<S>;
    fn layer(&self, inner: S) -> Noop<S> {
        Noop(inner)
    }
}

#[derive(Clone)]
struct Noop<S>(S);

impl<S> tower::Service<Request<Body>> for Noop<S>
where
    S: tower::Service<Request<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let clone = self.0.clone();
        let mut inner = std::mem::replace(&mut self.0, clone);
        Box::pin(async move { inner.call(req).await })
    }
}

fn request(cookie: &str) -> Request<Body> {
    Request::get("/")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("axum request");
    for (name, variant) in [
        ("without layer", Variant::Without),
        ("no-op async layer (floor)", Variant::NoopLayer),
        ("with layer, page without its values", Variant::LayerOnly),
        ("with layer, external script", Variant::External),
        ("with layer, inline script", Variant::Inline),
        (
            "with layer, external script, writes every request",
            Variant::Writing,
        ),
    ] {
        let (app, memory, moving) = app(variant);
        let cookie = rt.block_on(async {
            let res = app
                .clone()
                .oneshot(Request::get("/login").body(Body::empty()).unwrap())
                .await
                .unwrap();
            let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
            set.split(';').next().unwrap().to_owned()
        });
        // Check once that the page is the logged-in one.
        let body = rt.block_on(async {
            let res = app.clone().oneshot(request(&cookie)).await.unwrap();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        });
        assert!(body.starts_with("<h1>Hello, demo</h1>"), "{body}");
        let with_values = matches!(
            variant,
            Variant::External | Variant::Inline | Variant::Writing
        );
        assert_eq!(with_values, body.contains("<script"));
        if let Some(Moving { clock, step }) = &moving {
            // Check once that a request after one step is written to the store.
            clock.advance(*step);
            let now = clock.now();
            rt.block_on(async {
                let res = app.clone().oneshot(request(&cookie)).await.unwrap();
                assert_eq!(res.status(), 200);
                assert_eq!(stored_activity(&memory, &cookie).await, now);
            });
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                if let Some(Moving { clock, step }) = &moving {
                    clock.advance(*step);
                }
                rt.block_on(async {
                    let res = app.clone().oneshot(request(&cookie)).await.unwrap();
                    black_box(res)
                })
            })
        });
        if let Some(Moving { clock, .. }) = &moving {
            // Still signed in, and the last request was written.
            let now = clock.now();
            rt.block_on(async { assert_eq!(stored_activity(&memory, &cookie).await, now) });
        }
    }
    group.finish();

    // The whole demo stack (sessions, messages, MiniJinja page), as `wrk` sees it.
    let mut group = c.benchmark_group("demo request");
    for (name, on, csp) in [
        ("without layer", false, app::Csp::Strict),
        ("with layer, external script", true, app::Csp::Strict),
        ("with layer, inline script", true, app::Csp::Off),
    ] {
        let config = Config::builder()
            .idle_time(60)
            .session_time(3600)
            .message(app::DEFAULT_MESSAGE)
            .redirect_to_login_immediately(true)
            .warn_before(20)
            .passive_path("/static/")
            .build()
            .unwrap();
        let mut settings = app::Settings::new(config);
        settings.auto_logout = on;
        settings.csp = csp;
        let app = app::router(&settings, MemoryStore::default());
        let cookie = rt.block_on(async {
            let login = Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("username=demo&password=demo"))
                .unwrap();
            let res = app.clone().oneshot(login).await.unwrap();
            let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
            set.split(';').next().unwrap().to_owned()
        });
        let status = rt.block_on(async {
            app.clone()
                .oneshot(request(&cookie))
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = app.clone().oneshot(request(&cookie)).await.unwrap();
                    let body = http_body_util::BodyExt::collect(res.into_body())
                        .await
                        .unwrap();
                    black_box(body.to_bytes())
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
