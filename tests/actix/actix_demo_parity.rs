//! The actix demo is the axum demo for a client: one script of requests
//! (and clock moves) against both, over real HTTP, must give the same status
//! codes, redirects, messages, headers that matter, JSON bodies and pages.

use crate::support;

use crate::actix_support;

use actix_support::ActixSite;
use auto_logout::Config;
use auto_logout::actix::AutoLogoutStore;
use support::app::{self, DEFAULT_MESSAGE};
use support::{Browser, Page, Site};

#[derive(Clone, Copy, Debug)]
enum Step {
    Get(&'static str, &'static [(&'static str, &'static str)]),
    Post(&'static str, &'static [(&'static str, &'static str)]),
    /// `POST` with a header (`keepalive`).
    PostWith(&'static str, &'static [(&'static str, &'static str)]),
    Advance(u64),
}

use Step::*;

const LOGIN: Step = Post(
    "/login",
    &[("username", "demo"), ("password", "demo"), ("next", "/")],
);

const SCRIPT: &[Step] = &[
    Get("/", &[]),
    Get("/login?next=/", &[]),
    Get("/public", &[]),
    Get("/auto-logout/status", &[]),
    Post(
        "/login",
        &[("username", "demo"), ("password", "nope"), ("next", "/")],
    ),
    Post(
        "/login",
        &[
            ("username", "demo"),
            ("password", "demo"),
            ("next", "//evil.example/"),
        ],
    ),
    Get("/", &[]),
    Get("/auto-logout/status", &[]),
    Advance(30_000),
    Get("/auto-logout/status", &[("x-auto-logout-passive", "1")]),
    PostWith("/auto-logout/keepalive", &[("x-auto-logout", "1")]),
    Post("/auto-logout/keepalive", &[]),
    Get("/auto-logout/keepalive", &[]),
    Post("/auto-logout/status", &[]),
    Get("/static/demo.css", &[]),
    Get("/fragments/idle", &[("hx-request", "true")]),
    Advance(59_000),
    Get("/", &[]),
    Advance(60_001),
    Get("/auto-logout/status", &[]),
    Get("/", &[]),
    Get("/login?next=/", &[]),
    Get("/login", &[]),
    LOGIN,
    Get("/", &[]),
    Post("/logout", &[]),
    Get("/login", &[]),
    Get("/", &[]),
    LOGIN,
    Advance(50_000),
    Get("/", &[]),
    Advance(50_000),
    Get("/", &[]),
    Advance(50_000),
    Get("/", &[]),
    Advance(50_000),
    Get("/", &[]),
    Advance(50_000),
    Get("/", &[]),
    Advance(50_000),
    Get("/", &[]),
    Advance(1),
    Get("/fragments/idle", &[("hx-request", "true")]),
    Get("/login", &[]),
];

/// What a client sees of a response, with the engines' harmless spelling
/// differences (MiniJinja writes `/` as `&#x2f;` in attributes) evened out.
fn view(page: &Page) -> String {
    let header = |name| page.header(name).unwrap_or("-").to_owned();
    let body = if page.header("content-type") == Some("application/json") {
        page.json().to_string()
    } else {
        page.body.replace("&#x2f;", "/")
    };
    format!(
        "{} location={} content-type={} cache-control={} allow={} hx-redirect={} csp={} messages={:?}\n{}",
        page.status,
        header("location"),
        header("content-type"),
        header("cache-control"),
        header("allow"),
        header("hx-redirect"),
        header("content-security-policy"),
        page.messages(),
        body
    )
}

async fn run(b: &Browser, step: Step) -> Option<Page> {
    Some(match step {
        Get(path, headers) => b.get_with(path, headers).await,
        Post(path, form) => b.post_form(path, form).await,
        PostWith(path, headers) => {
            let mut req = b.client.post(b.url(path));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            b.send(req).await
        }
        Advance(_) => return None,
    })
}

async fn same_for_a_client(config: Config, csp: app::Csp) {
    let axum = Site::start_custom(config.clone(), axum::Router::new(), |s| s.csp = csp).await;
    let actix = ActixSite::start_custom(
        config,
        AutoLogoutStore::new(actix_support::app::MemoryStore::default()),
        |_| {},
        |s| s.csp = csp,
    );
    let (a, b) = (axum.browser(), actix.browser());
    for (i, step) in SCRIPT.iter().enumerate() {
        if let Advance(ms) = step {
            axum.advance(*ms);
            actix.advance(*ms);
            continue;
        }
        let (on_axum, on_actix) = (run(&a, *step).await.unwrap(), run(&b, *step).await.unwrap());
        assert_eq!(
            view(&on_axum),
            view(&on_actix),
            "step {i}: {step:?} differs (left axum, right actix)"
        );
    }
}

#[tokio::test]
async fn the_actix_demo_answers_as_the_axum_demo_does() {
    same_for_a_client(
        Config::builder()
            .idle_time(60)
            .session_time(300)
            .message(DEFAULT_MESSAGE)
            .redirect_to_login_immediately(true)
            .warn_before(20)
            .passive_path("/static/")
            .build()
            .unwrap(),
        app::Csp::Off,
    )
    .await;
}

#[tokio::test]
async fn with_login_url_too() {
    same_for_a_client(
        Config::builder()
            .idle_time(60)
            .session_time(300)
            .idle_message("Idle, signed out.")
            .session_message("Time is up.")
            .redirect_to_login_immediately(true)
            .login_url("/login")
            .passive_path("/static/")
            .build()
            .unwrap(),
        app::Csp::Off,
    )
    .await;
}

#[tokio::test]
async fn under_a_strict_csp_too() {
    same_for_a_client(
        Config::builder()
            .idle_time(60)
            .session_time(300)
            .message(DEFAULT_MESSAGE)
            .redirect_to_login_immediately(true)
            .warn_before(20)
            .build()
            .unwrap(),
        app::Csp::Strict,
    )
    .await;
}
