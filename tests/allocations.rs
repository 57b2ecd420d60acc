//! Rendering the context and script tag into a caller's buffer allocates nothing
//! itself, and a request's decision allocates nothing either (counted with a
//! global allocator in this test binary).

use std::fmt::Write;

use auto_logout::{Activity, Config, Nonce, Remaining, Stamps, Timestamp};

mod counting_alloc;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    counting_alloc::allocations_during(f).0
}

fn config() -> Config {
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
    use auto_logout::script::PageTexts;
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
