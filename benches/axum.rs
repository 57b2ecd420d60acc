//! Added cost of the axum layer per request: one router, `SessionManagerLayer`
//! over a `MemoryStore`, with and without `AutoLogoutLayer`, driven in process
//! with `tower::ServiceExt::oneshot` and a logged-in session cookie, in one run.
//!
//! `cargo bench --bench axum`
//!
//! The page reads the signed-in user from the session (as any protected page
//! does) and, with the layer, writes the template values and the script tag
//! into its body, so "with" includes the context. The system clock runs, so
//! the layer writes the session once per second, as in production. The
//! difference between `with layer` and `without layer` is the added cost.

use std::hint::black_box;

#[path = "../examples/demo/app.rs"]
mod app;

use auto_logout::Config;
use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer};
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

fn app(variant: Variant) -> Router {
    let store = auto_logout::axum::AutoLogoutStore::new(MemoryStore::default());
    let mut config = Config::builder()
        .idle_time(600)
        .session_time(3600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .warn_before(60);
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
    let router = match variant {
        Variant::Without => router,
        Variant::NoopLayer => router.layer(NoopLayer),
        _ => router.layer(AutoLogoutLayer::new(config.build().unwrap(), &store)),
    };
    router.layer(SessionManagerLayer::new(store).with_secure(false))
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
    ] {
        let app = app(variant);
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
        let with_values = matches!(variant, Variant::External | Variant::Inline);
        assert_eq!(with_values, body.contains("<script"));
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let res = app.clone().oneshot(request(&cookie)).await.unwrap();
                    black_box(res)
                })
            })
        });
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
