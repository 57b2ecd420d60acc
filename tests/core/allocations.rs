//! Rendering the context and script tag into a caller's buffer allocates nothing
//! itself, and a request's decision allocates nothing either (counted with a
//! global allocator in this test binary).

use std::fmt::Write;

use auto_logout::{Activity, Config, Nonce, Remaining, Stamps, Timestamp};

use crate::counting_alloc;

fn allocations_during(f: impl FnOnce()) -> usize {
    counting_alloc::allocations_during(f).0
}

/// The configuration every count uses (the engine glue's too).
pub fn config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .warn_before(60)
        .login_url("/login")
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

#[test]
fn the_counter_sees_allocations() {
    let n = allocations_during(|| {
        std::hint::black_box(String::from("counted"));
    });
    assert_eq!(n, 1);
}

#[test]
fn rendering_into_a_reserved_buffer_allocates_nothing() {
    let config = config();
    let nonce = Nonce::new("r4nd0m").unwrap();
    let remaining = Remaining::new(Some(599_000), Some(3_000_000));
    let mut out = String::with_capacity(64 * 1024);
    for form in ["inline", "endpoints", "external", "nonce"] {
        out.clear();
        let n = allocations_during(|| {
            let ctx = config.context(remaining);
            let ctx = match form {
                "inline" => ctx,
                "endpoints" => ctx.with_endpoints(),
                "external" => ctx.external(),
                _ => ctx.with_nonce(nonce),
            };
            write!(
                out,
                "{} {} ",
                ctx.seconds_until_idle_end(),
                ctx.seconds_until_session_end()
            )
            .unwrap();
            ctx.redirect_to_login_immediately()
                .write_to(&mut out)
                .unwrap();
        });
        assert!(out.contains("<script data-auto-logout"), "{form}");
        assert_eq!(n, 0, "{form}: allocations while rendering");
    }
}

#[test]
fn a_request_decision_allocates_nothing() {
    let config = config();
    let login = Timestamp::from_unix_millis(1_700_000_000_000);
    let stored = Stamps::at_login(login).encode();
    let now = login.saturating_add_millis(30_000);
    let mut outcome = None;
    let n = allocations_during(|| {
        outcome = Some(config.check_request(Some(&stored), now, Activity::Counts));
    });
    assert!(matches!(
        outcome,
        Some(auto_logout::RequestOutcome::Active { write: Some(_), .. })
    ));
    assert_eq!(n, 0);
}

#[test]
fn the_request_engine_allocates_nothing_for_pages_and_fixed_answers() {
    use auto_logout::engine::{Endpoints, Reply, Route, route};
    let config = config();
    let endpoints = Endpoints::new(&config);
    let headers = [("sec-fetch-mode", "navigate"), ("x-auto-logout", "1")];
    let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    let mut routes = Vec::with_capacity(8);
    let n = allocations_during(|| {
        // A page, the status endpoint, the static files, the method and header rules.
        routes.push(route(&endpoints, "GET", "/orders/42", header));
        routes.push(route(&endpoints, "GET", endpoints.status(), header));
        routes.push(route(&endpoints, "GET", endpoints.script(), header));
        routes.push(route(&endpoints, "HEAD", endpoints.stylesheet(), header));
        routes.push(route(&endpoints, "DELETE", endpoints.status(), header));
        routes.push(route(&endpoints, "POST", endpoints.keepalive(), |_| None));
        routes.push(Route::Reply(Reply::store_failed()));
    });
    assert_eq!(n, 0, "allocations while routing: {routes:?}");
    assert_eq!(routes[0], Route::Continue(None));
    assert!(matches!(&routes[2], Route::Reply(r) if r.status == 200));
    assert!(matches!(&routes[4], Route::Reply(r) if r.status == 405));
    assert!(matches!(&routes[5], Route::Reply(r) if r.status == 403));
}

#[test]
fn page_texts_render_without_allocating() {
    use auto_logout::PageTexts;
    let config = config();
    let remaining = Remaining::new(Some(599_000), Some(3_000_000));
    let mut out = String::with_capacity(64 * 1024);
    for texts in [
        PageTexts::default(),
        PageTexts {
            title: Some("Ihre Sitzung endet <bald> & \"gleich\""),
            idle_text: Some("Sie werden wegen Inaktivität abgemeldet."),
            session_text: Some("Ihre Sitzung erreicht ihr Zeitlimit."),
            stay_label: Some("Angemeldet bleiben"),
        },
    ] {
        out.clear();
        let n = allocations_during(|| {
            let ctx = config.context(remaining).external().with_texts(texts);
            ctx.redirect_to_login_immediately()
                .write_to(&mut out)
                .unwrap();
        });
        assert!(out.contains(" data-warn-"), "{out}");
        assert_eq!(n, 0, "allocations while rendering {texts:?}");
    }
    assert!(out.contains("endet &lt;bald&gt; &amp; &quot;gleich&quot;"));
}

/// The allocations of one request through `AutoLogoutLayer` inside
/// `SessionManagerLayer` (a `MemoryStore`, a manual clock, driven in process on
/// this thread), for each kind of answer the layer gives, against upper bounds.
/// The fewest of five runs is taken, so a one-off growth of a map does not count.
/// The figures are printed (straight to stderr, past the test harness).
#[test]
fn axum_requests_allocate_no_more_than_their_bounds() {
    use std::io::Write as _;

    use auto_logout::ManualClock;
    use auto_logout::axum::{AutoLogout, AutoLogoutLayer, AutoLogoutStore};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, Request, header};
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t0 = Timestamp::from_unix_millis(1_700_000_000_000);
    let clock = ManualClock::new(t0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let layer = AutoLogoutLayer::new(config(), &store).with_clock(clock.clone());
    let (script, stylesheet) = (
        layer.script_path().to_owned(),
        layer.stylesheet_path().to_owned(),
    );
    let prefix = config().endpoint_prefix().to_owned();
    let app = Router::new()
        .route("/", get(|| async { "page" }))
        .route(
            "/login",
            get(|session: Session, auto_logout: AutoLogout| async move {
                auto_logout.login(&session).await.unwrap();
                "signed in"
            }),
        )
        .layer(layer)
        .layer(SessionManagerLayer::new(store).with_secure(false));

    let send = |method: Method, path: &str, cookie: Option<&str>, keepalive: bool| {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-site", "same-origin");
        if let Some(cookie) = cookie {
            req = req.header(header::COOKIE, cookie);
        }
        if keepalive {
            req = req.header("x-auto-logout", "1");
        }
        let req = req.body(Body::empty()).unwrap();
        let app = app.clone();
        counting_alloc::allocations_during(|| {
            let res = rt.block_on(app.oneshot(req)).unwrap();
            let status = res.status().as_u16();
            let cookie = res
                .headers()
                .get(header::SET_COOKIE)
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
            drop(res);
            (status, cookie)
        })
    };
    let fewest = |method: Method, path: &str, cookie: Option<&str>, keepalive: bool| {
        (0..5)
            .map(|_| {
                let (n, (status, _)) = send(method.clone(), path, cookie, keepalive);
                (n, status)
            })
            .min()
            .unwrap()
    };
    let sign_in = || {
        let (_, (status, cookie)) = send(Method::GET, "/login", None, false);
        assert_eq!(status, 200);
        cookie.expect("a session cookie")
    };
    let cookie = sign_in();

    // (what, allocations, at most): the figures before the layer used the request engine,
    // plus one since the flow's first half is boxed apart from the request's future (each
    // half small enough for the allocator's per-thread cache; BENCHMARKS.md, "One house").
    let mut rows = Vec::new();
    let status_url = format!("{prefix}status");
    let keepalive_url = format!("{prefix}keepalive");
    for (what, method, path, cookie, keepalive, expected, bound) in [
        (
            "page of a session",
            Method::GET,
            "/",
            Some(cookie.as_str()),
            false,
            200,
            41,
        ),
        (
            "status",
            Method::GET,
            status_url.as_str(),
            Some(cookie.as_str()),
            false,
            200,
            45,
        ),
        (
            "keepalive",
            Method::POST,
            keepalive_url.as_str(),
            Some(cookie.as_str()),
            true,
            200,
            45,
        ),
        (
            "script file",
            Method::GET,
            script.as_str(),
            None,
            false,
            200,
            22,
        ),
        (
            "stylesheet HEAD",
            Method::HEAD,
            stylesheet.as_str(),
            None,
            false,
            200,
            22,
        ),
        (
            "405 to POST status",
            Method::POST,
            status_url.as_str(),
            None,
            false,
            405,
            22,
        ),
        (
            "403 to keepalive",
            Method::POST,
            keepalive_url.as_str(),
            None,
            false,
            403,
            22,
        ),
        ("anonymous page", Method::GET, "/", None, false, 200, 30),
    ] {
        let (n, status) = fewest(method, path, cookie, keepalive);
        assert_eq!(status, expected, "{what}");
        rows.push((what, n, bound));
    }
    // An expired page navigation: 303 to the login page (each run needs its own session).
    let expired = {
        let mut fewest = usize::MAX;
        for _ in 0..5 {
            let cookie = sign_in();
            clock.advance(std::time::Duration::from_secs(601));
            let (n, (status, _)) = send(Method::GET, "/", Some(&cookie), false);
            assert_eq!(status, 303);
            fewest = fewest.min(n);
        }
        fewest
    };
    // 62, was 54: an expiry now asks the store whether this very request
    // removed the record (the hook runs once per logout): the id as text, the
    // boxed call, and the wrapped MemoryStore's copy of the record it loads;
    // and the flow's first half, boxed apart.
    rows.push(("expired page (303)", expired, 62));

    let mut out = String::from("axum request allocations (fewest of 5 runs):\n");
    for (what, n, _) in &rows {
        writeln!(out, "  {what:<20} {n}").unwrap();
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
    for (what, n, bound) in rows {
        assert!(n <= bound, "{what}: {n} allocations, at most {bound}");
    }
}
