//! Instruction counts per call, under valgrind's callgrind (gungraun): figures
//! that do not move with the load on the machine, unlike the wall-clock
//! benches beside this one.
//!
//! `.ci/instructions.sh` runs this bench and prints the table quoted in
//! `BENCHMARKS.md`. It needs valgrind and `gungraun-runner` of the same
//! version as the `gungraun` dev-dependency.
//!
//! Every benchmark runs its call in a loop twice, N = 1 and N = 10,001 times;
//! the per-call figure is (Ir(10,001) − Ir(1)) / 10,000, so everything paid
//! once (the loop's entry, first-call work, dropping the inputs) drops out.
//! The inputs (configuration, stored stamps, routers with a logged-in
//! session) are built in gungraun's setup functions, which are not counted.
//!
//! What one call is:
//!
//! - `decision`: `Config::check_request` on a stored stamp string, in its two
//!   cases, nothing to write and new stamps due for the store;
//! - `tag`: `Config::context_for` the decision's outcome, the tag form
//!   (`external()`, `with_endpoints()`, `with_endpoints().with_nonce(..)`,
//!   the nonce validated per call) and the tag written with `write!` into a
//!   reserved `String`; `script_copy` is the least an inline tag can cost,
//!   the script text alone pushed into the same buffer;
//! - `glue`: each engine's per-request call after `context_for`, in the
//!   inline (with endpoints) and external forms: `tera::insert` and
//!   `tera1::insert` into a reused context, `minijinja::values` and
//!   `minijinja::script_tag`, and for askama (which has no call: the template
//!   calls the trait's methods) a template of just the three values rendered
//!   into a reused buffer;
//! - `framework`: one `GET /` with a logged-in session cookie through axum
//!   (tower-sessions `MemoryStore`, `tower::ServiceExt::oneshot` on a prepared
//!   `Router`) and through actix-web (actix-session over the demo's in-memory
//!   store, `actix_web::test::call_service`), each with and without the
//!   auto-logout layer; the page writes the two numbers and the inline tag.
//!   A fixed clock keeps every request on the same path (no store write).

use std::fmt::Write;
use std::hint::black_box;

use askama::Template;
use auto_logout::askama::AutoLogoutTemplate;
use auto_logout::{
    Activity, Config, ManualClock, Nonce, RequestOutcome, Stamps, TemplateContext, Timestamp,
};
use auto_logout_demos::actix_demo as actix_app;
use gungraun::{library_benchmark, library_benchmark_group, main};

/// The stored login, and last activity 10 s after it.
const LOGIN: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const LAST_ACTIVITY: Timestamp = LOGIN.saturating_add_millis(10_000);
/// A CSP nonce as a framework integration gets it, per request.
const NONCE: &str = "dGhpcyBpcyBhIG5vbmNl";

fn config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

/// The request's `now`: 0.5 s after the stored last activity (nothing to
/// write) or 7 s after it (past the 6 s write resolution: new stamps due).
fn now(write_due: bool) -> Timestamp {
    LAST_ACTIVITY.saturating_add_millis(if write_due { 7_000 } else { 500 })
}

/// Inputs of the decision and of everything that renders its outcome.
struct Decide {
    n: u32,
    config: Config,
    stored: String,
    now: Timestamp,
    outcome: RequestOutcome,
    out: String,
}

fn decide_setup(n: u32, write_due: bool) -> Decide {
    let config = config();
    let stored = Stamps::new(LOGIN, LAST_ACTIVITY).unwrap().encode();
    let now = now(write_due);
    let outcome = config.check_request(Some(&stored), now, Activity::Counts);
    match outcome {
        RequestOutcome::Active { write, .. } => assert_eq!(write.is_some(), write_due),
        other => panic!("not active: {other:?}"),
    }
    Decide {
        n,
        config,
        stored,
        now,
        outcome,
        out: String::with_capacity(64 * 1024),
    }
}

#[library_benchmark]
#[bench::n1(args = (1, false), setup = decide_setup)]
#[bench::n10001(args = (10_001, false), setup = decide_setup)]
fn check_request_no_write(d: Decide) -> Decide {
    for _ in 0..d.n {
        black_box(d.config.check_request(
            Some(black_box(d.stored.as_str())),
            black_box(d.now),
            Activity::Counts,
        ));
    }
    d
}

#[library_benchmark]
#[bench::n1(args = (1, true), setup = decide_setup)]
#[bench::n10001(args = (10_001, true), setup = decide_setup)]
fn check_request_write_due(d: Decide) -> Decide {
    for _ in 0..d.n {
        black_box(d.config.check_request(
            Some(black_box(d.stored.as_str())),
            black_box(d.now),
            Activity::Counts,
        ));
    }
    d
}

/// The tag forms, as the integrations choose them.
#[derive(Clone, Copy, Debug)]
enum Form {
    External,
    Inline,
    InlineNonce,
}

impl Form {
    fn apply<'a>(self, ctx: TemplateContext<'a>, nonce: &'a str) -> TemplateContext<'a> {
        match self {
            Form::External => ctx.external(),
            Form::Inline => ctx.with_endpoints(),
            Form::InlineNonce => ctx.with_endpoints().with_nonce(Nonce::new(nonce).unwrap()),
        }
    }
}

fn tag_setup(n: u32, form: Form) -> (Decide, Form) {
    let d = decide_setup(n, false);
    let mut check = String::new();
    write!(
        check,
        "{}",
        form.apply(d.config.context_for(&d.outcome), NONCE)
            .redirect_to_login_immediately()
    )
    .unwrap();
    assert!(check.starts_with("<script data-auto-logout"), "{check}");
    assert_eq!(
        check.contains(auto_logout::assets::SCRIPT),
        !matches!(form, Form::External),
        "{form:?}"
    );
    assert_eq!(check.contains(NONCE), matches!(form, Form::InlineNonce));
    (d, form)
}

#[library_benchmark]
#[bench::external_n1(args = (1, Form::External), setup = tag_setup)]
#[bench::external_n10001(args = (10_001, Form::External), setup = tag_setup)]
#[bench::inline_n1(args = (1, Form::Inline), setup = tag_setup)]
#[bench::inline_n10001(args = (10_001, Form::Inline), setup = tag_setup)]
#[bench::inline_nonce_n1(args = (1, Form::InlineNonce), setup = tag_setup)]
#[bench::inline_nonce_n10001(args = (10_001, Form::InlineNonce), setup = tag_setup)]
fn tag((mut d, form): (Decide, Form)) -> Decide {
    let nonce = black_box(NONCE);
    for _ in 0..d.n {
        d.out.clear();
        let ctx = form.apply(d.config.context_for(black_box(&d.outcome)), nonce);
        write!(d.out, "{}", ctx.redirect_to_login_immediately()).unwrap();
        black_box(d.out.len());
    }
    d
}

// The baseline of the inline tag: the script text alone copied into the
// same reserved buffer.
#[library_benchmark]
#[bench::n1(args = (1, false), setup = decide_setup)]
#[bench::n10001(args = (10_001, false), setup = decide_setup)]
fn script_copy(mut d: Decide) -> Decide {
    for _ in 0..d.n {
        d.out.clear();
        d.out.push_str(black_box(auto_logout::assets::SCRIPT));
        black_box(d.out.len());
    }
    d
}

/// The engines' glue, in the inline (with endpoints) and external forms.
#[derive(Clone, Copy, Debug)]
enum Glue {
    Tera,
    Tera1,
    MinijinjaValues,
    MinijinjaScriptTag,
    Askama,
}

/// Askama's part of a page: the three values, nothing else.
#[derive(Template)]
#[template(
    ext = "html",
    source = "{{ seconds_until_idle_end() }} {{ seconds_until_session_end() }} {{ redirect_to_login_immediately() }}"
)]
struct AskamaValues<'a> {
    auto_logout: TemplateContext<'a>,
}

impl AutoLogoutTemplate for AskamaValues<'_> {
    fn auto_logout(&self) -> TemplateContext<'_> {
        self.auto_logout
    }
}

struct GlueInput {
    d: Decide,
    glue: Glue,
    form: Form,
    tera: tera::Context,
    tera1: tera1::Context,
}

fn glue_setup(n: u32, glue: Glue, form: Form) -> GlueInput {
    let mut input = GlueInput {
        d: decide_setup(n, false),
        glue,
        form,
        tera: tera::Context::new(),
        tera1: tera1::Context::new(),
    };
    // Once, to check the values arrive (and so that the contexts hold the
    // keys already, as a reused context does).
    assert!(glue_call(&mut input) > 0, "{glue:?} {form:?}");
    input
}

/// One request's glue; returns something that depends on its result.
fn glue_call(input: &mut GlueInput) -> usize {
    let d = &mut input.d;
    let values = input
        .form
        .apply(d.config.context_for(black_box(&d.outcome)), NONCE);
    match input.glue {
        Glue::Tera => {
            auto_logout::tera::insert(&mut input.tera, &values);
            input.tera.contains_key("seconds_until_idle_end") as usize
        }
        Glue::Tera1 => {
            auto_logout::tera1::insert(&mut input.tera1, &values);
            input.tera1.get("seconds_until_idle_end").is_some() as usize
        }
        Glue::MinijinjaValues => auto_logout::minijinja::values(&values).is_true() as usize,
        Glue::MinijinjaScriptTag => auto_logout::minijinja::script_tag(&values).is_true() as usize,
        Glue::Askama => {
            d.out.clear();
            AskamaValues {
                auto_logout: values,
            }
            .render_into(&mut d.out)
            .unwrap();
            d.out.len()
        }
    }
}

#[library_benchmark]
#[bench::tera_inline_n1(args = (1, Glue::Tera, Form::Inline), setup = glue_setup)]
#[bench::tera_inline_n10001(args = (10_001, Glue::Tera, Form::Inline), setup = glue_setup)]
#[bench::tera_external_n1(args = (1, Glue::Tera, Form::External), setup = glue_setup)]
#[bench::tera_external_n10001(args = (10_001, Glue::Tera, Form::External), setup = glue_setup)]
#[bench::tera1_inline_n1(args = (1, Glue::Tera1, Form::Inline), setup = glue_setup)]
#[bench::tera1_inline_n10001(args = (10_001, Glue::Tera1, Form::Inline), setup = glue_setup)]
#[bench::tera1_external_n1(args = (1, Glue::Tera1, Form::External), setup = glue_setup)]
#[bench::tera1_external_n10001(args = (10_001, Glue::Tera1, Form::External), setup = glue_setup)]
#[bench::minijinja_values_inline_n1(args = (1, Glue::MinijinjaValues, Form::Inline), setup = glue_setup)]
#[bench::minijinja_values_inline_n10001(args = (10_001, Glue::MinijinjaValues, Form::Inline), setup = glue_setup)]
#[bench::minijinja_values_external_n1(args = (1, Glue::MinijinjaValues, Form::External), setup = glue_setup)]
#[bench::minijinja_values_external_n10001(args = (10_001, Glue::MinijinjaValues, Form::External), setup = glue_setup)]
#[bench::minijinja_script_tag_inline_n1(args = (1, Glue::MinijinjaScriptTag, Form::Inline), setup = glue_setup)]
#[bench::minijinja_script_tag_inline_n10001(args = (10_001, Glue::MinijinjaScriptTag, Form::Inline), setup = glue_setup)]
#[bench::minijinja_script_tag_external_n1(args = (1, Glue::MinijinjaScriptTag, Form::External), setup = glue_setup)]
#[bench::minijinja_script_tag_external_n10001(args = (10_001, Glue::MinijinjaScriptTag, Form::External), setup = glue_setup)]
#[bench::askama_inline_n1(args = (1, Glue::Askama, Form::Inline), setup = glue_setup)]
#[bench::askama_inline_n10001(args = (10_001, Glue::Askama, Form::Inline), setup = glue_setup)]
#[bench::askama_external_n1(args = (1, Glue::Askama, Form::External), setup = glue_setup)]
#[bench::askama_external_n10001(args = (10_001, Glue::Askama, Form::External), setup = glue_setup)]
fn glue(mut input: GlueInput) -> GlueInput {
    for _ in 0..input.d.n {
        black_box(glue_call(&mut input));
    }
    input
}

/// The page: the signed-in user from the session, and with the layer the two
/// numbers and the inline tag.
/// What a request bench measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No auto-logout layer or middleware: the baseline.
    Without,
    /// The layer, and a page that renders none of its values (the
    /// baseline's page): the flow alone, nothing written.
    FlowOnly,
    /// The layer, and the page with the two numbers and the inline tag.
    Page,
    /// The layer and the baseline's page, each request 7 s after the one
    /// before (past the 6 s write resolution): the stamps written every time.
    WriteDue,
}

impl Mode {
    fn layer(self) -> bool {
        self != Mode::Without
    }

    fn values(self) -> bool {
        self == Mode::Page
    }
}

/// How far the clock moves before each request of [`Mode::WriteDue`].
const WRITE_STEP: std::time::Duration = std::time::Duration::from_secs(7);

/// [`config`] without the absolute limit, so that 10,001 requests 7 s apart
/// stay within the limits.
fn write_config() -> Config {
    Config::builder()
        .idle_time(600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

fn page_body(user: Option<String>, ctx: Option<TemplateContext<'_>>) -> String {
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("<h1>Hello, ");
    body.push_str(user.as_deref().unwrap_or("nobody"));
    body.push_str("</h1>");
    if let Some(tc) = ctx {
        write!(
            body,
            "<p>{} {}</p>{}",
            tc.seconds_until_idle_end(),
            tc.seconds_until_session_end(),
            tc.redirect_to_login_immediately()
        )
        .unwrap();
    }
    body
}

mod axum_stack {
    use super::*;
    use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    pub struct Input {
        pub n: u32,
        rt: tokio::runtime::Runtime,
        app: Router,
        cookie: String,
        /// Moved before each request of `Mode::WriteDue`.
        clock: Option<ManualClock>,
    }

    async fn page(session: Session, ctx: Option<AutoLogoutContext>) -> String {
        let user: Option<String> = session.get("user").await.ok().flatten();
        page_body(user, ctx.as_ref().map(AutoLogoutContext::context))
    }

    /// The baseline's page, also under the layer.
    async fn plain_page(session: Session) -> String {
        let user: Option<String> = session.get("user").await.ok().flatten();
        page_body(user, None)
    }

    async fn login(session: Session, auto_logout: Option<AutoLogout>) -> &'static str {
        session.insert("user", "demo").await.unwrap();
        if let Some(auto_logout) = auto_logout {
            auto_logout.login(&session).await.unwrap();
        }
        "ok"
    }

    pub fn request(cookie: &str) -> Request<Body> {
        Request::get("/")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    }

    pub fn setup(n: u32, mode: Mode) -> Input {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let store = AutoLogoutStore::new(MemoryStore::default());
        let router = Router::new().route("/login", get(login));
        let router = if mode.values() {
            router.route("/", get(page))
        } else {
            router.route("/", get(plain_page))
        };
        let clock = ManualClock::new(LAST_ACTIVITY);
        let router = match mode {
            Mode::Without => router,
            Mode::WriteDue => {
                router.layer(AutoLogoutLayer::new(write_config(), &store).with_clock(clock.clone()))
            }
            _ => router.layer(AutoLogoutLayer::new(config(), &store).with_clock(clock.clone())),
        };
        // As `axum::serve` hands each connection the router: `with_state(())`
        // turns every handler into its route once, not on every request (and
        // applies the layers to them once).
        let app = router
            .layer(SessionManagerLayer::new(store).with_secure(false))
            .with_state(());
        let cookie = rt.block_on(async {
            let res = app
                .clone()
                .oneshot(Request::get("/login").body(Body::empty()).unwrap())
                .await
                .unwrap();
            let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
            set.split(';').next().unwrap().to_owned()
        });
        // Twice, to check that the page is the logged-in one and that the
        // session is written (a new cookie) only when a write is due.
        for _ in 0..2 {
            if mode == Mode::WriteDue {
                clock.advance(WRITE_STEP);
            }
            let (status, set_cookie, body) = rt.block_on(async {
                let res = app.clone().oneshot(request(&cookie)).await.unwrap();
                let status = res.status();
                let set_cookie = res.headers().contains_key(header::SET_COOKIE);
                let bytes = http_body_util::BodyExt::collect(res.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                (
                    status,
                    set_cookie,
                    String::from_utf8(bytes.to_vec()).unwrap(),
                )
            });
            assert_eq!(status, 200);
            assert_eq!(set_cookie, mode == Mode::WriteDue, "the session written");
            assert!(body.starts_with("<h1>Hello, demo</h1>"), "{body}");
            assert_eq!(mode.values(), body.contains(auto_logout::assets::SCRIPT));
        }
        let clock = (mode == Mode::WriteDue).then_some(clock);
        Input {
            n,
            rt,
            app,
            cookie,
            clock,
        }
    }

    pub fn run(input: &Input) {
        input.rt.block_on(async {
            for _ in 0..input.n {
                if let Some(clock) = &input.clock {
                    clock.advance(WRITE_STEP);
                }
                let res = input
                    .app
                    .clone()
                    .oneshot(request(black_box(&input.cookie)))
                    .await
                    .unwrap();
                black_box(res);
            }
        });
    }
}

#[library_benchmark]
#[bench::with_layer_n1(args = (1, Mode::Page), setup = axum_stack::setup)]
#[bench::with_layer_n10001(args = (10_001, Mode::Page), setup = axum_stack::setup)]
#[bench::flow_only_n1(args = (1, Mode::FlowOnly), setup = axum_stack::setup)]
#[bench::flow_only_n10001(args = (10_001, Mode::FlowOnly), setup = axum_stack::setup)]
#[bench::write_due_n1(args = (1, Mode::WriteDue), setup = axum_stack::setup)]
#[bench::write_due_n10001(args = (10_001, Mode::WriteDue), setup = axum_stack::setup)]
#[bench::without_layer_n1(args = (1, Mode::Without), setup = axum_stack::setup)]
#[bench::without_layer_n10001(args = (10_001, Mode::Without), setup = axum_stack::setup)]
fn axum_request(input: axum_stack::Input) -> axum_stack::Input {
    axum_stack::run(&input);
    input
}

mod actix_stack {
    use super::*;
    use actix_session::{Session, SessionMiddleware};
    use actix_web::cookie::Key;
    use actix_web::http::header;
    use actix_web::middleware::Condition;
    use actix_web::{App, HttpResponse, test, web};
    use auto_logout::actix::{
        AutoLogout, AutoLogoutContext, AutoLogoutMiddleware, AutoLogoutStore,
    };

    /// The prepared app, behind a closure: its service type has no name.
    pub struct Input {
        pub n: u32,
        pub run: Box<dyn FnMut(u32)>,
    }

    async fn page(session: Session, ctx: Option<AutoLogoutContext>) -> HttpResponse {
        let user: Option<String> = session.get("user").ok().flatten();
        HttpResponse::Ok().body(page_body(
            user,
            ctx.as_ref().map(AutoLogoutContext::context),
        ))
    }

    /// The baseline's page, also under the middleware.
    async fn plain_page(session: Session) -> HttpResponse {
        let user: Option<String> = session.get("user").ok().flatten();
        HttpResponse::Ok().body(page_body(user, None))
    }

    async fn login(session: Session, auto_logout: Option<AutoLogout>) -> HttpResponse {
        session.insert("user", "demo").unwrap();
        if let Some(auto_logout) = auto_logout {
            auto_logout.login(&session).unwrap();
        }
        HttpResponse::Ok().finish()
    }

    pub fn setup(n: u32, mode: Mode) -> Input {
        let system = actix_web::rt::System::new();
        let clock = ManualClock::new(LAST_ACTIVITY);
        let (app, cookie) = system.block_on(async {
            let store = AutoLogoutStore::new(actix_app::MemoryStore::default());
            let config = if mode == Mode::WriteDue {
                write_config()
            } else {
                config()
            };
            let auto_logout = AutoLogoutMiddleware::new(config, &store).with_clock(clock.clone());
            let app = test::init_service(
                App::new()
                    .route(
                        "/",
                        if mode.values() {
                            web::get().to(page)
                        } else {
                            web::get().to(plain_page)
                        },
                    )
                    .route("/login", web::get().to(login))
                    .wrap(Condition::new(mode.layer(), auto_logout))
                    .wrap(
                        SessionMiddleware::builder(store, Key::generate())
                            .cookie_secure(false)
                            .build(),
                    ),
            )
            .await;
            let res =
                test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
            let set = res.headers().get(header::SET_COOKIE).unwrap();
            let cookie = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            (app, cookie)
        });
        let request = move || {
            test::TestRequest::get()
                .uri("/")
                .insert_header((header::COOKIE, black_box(cookie.as_str())))
                .to_request()
        };
        // Twice, to check that the page is the logged-in one and that the
        // session is written (a new cookie) only when a write is due.
        let write_due = mode == Mode::WriteDue;
        for _ in 0..2 {
            if write_due {
                clock.advance(WRITE_STEP);
            }
            let res = system.block_on(test::call_service(&app, request()));
            assert_eq!(res.status(), 200);
            assert_eq!(
                res.headers().contains_key(header::SET_COOKIE),
                write_due,
                "the session written"
            );
            let body = system.block_on(test::read_body(res));
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(body.starts_with("<h1>Hello, demo</h1>"), "{body}");
            assert_eq!(mode.values(), body.contains(auto_logout::assets::SCRIPT));
        }
        Input {
            n,
            run: Box::new(move |n| {
                system.block_on(async {
                    for _ in 0..n {
                        if write_due {
                            clock.advance(WRITE_STEP);
                        }
                        black_box(test::call_service(&app, request()).await);
                    }
                })
            }),
        }
    }
}

#[library_benchmark]
#[bench::with_middleware_n1(args = (1, Mode::Page), setup = actix_stack::setup)]
#[bench::with_middleware_n10001(args = (10_001, Mode::Page), setup = actix_stack::setup)]
#[bench::flow_only_n1(args = (1, Mode::FlowOnly), setup = actix_stack::setup)]
#[bench::flow_only_n10001(args = (10_001, Mode::FlowOnly), setup = actix_stack::setup)]
#[bench::write_due_n1(args = (1, Mode::WriteDue), setup = actix_stack::setup)]
#[bench::write_due_n10001(args = (10_001, Mode::WriteDue), setup = actix_stack::setup)]
#[bench::without_middleware_n1(args = (1, Mode::Without), setup = actix_stack::setup)]
#[bench::without_middleware_n10001(args = (10_001, Mode::Without), setup = actix_stack::setup)]
fn actix_request(mut input: actix_stack::Input) -> actix_stack::Input {
    (input.run)(input.n);
    input
}

library_benchmark_group!(
    name = decision;
    benchmarks = check_request_no_write, check_request_write_due
);
library_benchmark_group!(name = tags; benchmarks = tag, script_copy);
library_benchmark_group!(name = engines; benchmarks = glue);
library_benchmark_group!(name = frameworks; benchmarks = axum_request, actix_request);

main!(
    library_benchmark_groups = decision,
    tags,
    engines,
    frameworks
);
