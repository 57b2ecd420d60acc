//! The demo app over real HTTP on loopback, driven by an injected clock:
//! each behaviour of django-auto-logout, then what it gets wrong.

use crate::support;

use auto_logout::{Config, Stamps};
use support::app::{self, Csp, DEFAULT_MESSAGE};
use support::{Site, T0, decode};

const IDLE_MESSAGE: &str = "You were signed out after a minute without activity.";
const SESSION_MESSAGE: &str = "Your five minutes are over. Please sign in again.";

/// Django mode: no LOGIN_URL, the app's own guard redirects.
fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .passive_path("/static/")
        .build()
        .unwrap()
}

#[tokio::test]
async fn anonymous_requests_are_untouched() {
    let site = Site::start(config()).await;
    let b = site.browser();
    let page = b.get("/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login?next=/"));
    for path in [
        "/",
        "/public",
        "/login",
        "/auto-logout/status",
        "/static/demo.css",
    ] {
        let page = b.get(path).await;
        assert!(page.status < 400, "{path}: {page:?}");
        assert_eq!(page.header("set-cookie"), None, "{path} set a cookie");
    }
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status, serde_json::json!({"active": false, "reason": null}));
    assert_eq!(site.store.creates(), 0, "no session was created");
    assert_eq!(site.store.total_saves(), 0, "nothing was written");
    let public = b.get("/public").await;
    assert!(public.body.contains("Public page"));
    assert!(
        !public.body.contains("data-auto-logout"),
        "no script for anonymous visitors"
    );
}

#[tokio::test]
async fn idle_expiry_redirects_to_login_and_the_message_shows_once() {
    let site = Site::start(config()).await;
    let b = site.browser();
    b.login().await;
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Hello, demo"));
    assert!(
        home.body.contains(r#"id="idle-left" data-seconds="60""#),
        "{}",
        home.body
    );
    assert!(
        home.body
            .contains(r#"id="session-left" data-seconds="300""#)
    );
    assert!(home.body.contains("<script data-auto-logout"));
    assert!(
        home.body
            .contains(r#"data-status-url="/auto-logout/status""#)
    );

    site.advance(60_001);
    let page = b.get("/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login?next=/"));
    let login = b.get("/login?next=/").await;
    assert_eq!(login.messages(), vec![DEFAULT_MESSAGE.to_owned()]);
    assert_eq!(
        b.get("/login").await.messages(),
        Vec::<String>::new(),
        "shown once"
    );
    assert!(!b.signed_in().await, "the logout is final");
}

#[tokio::test]
async fn session_expiry_under_continuous_activity() {
    let site = Site::start(config()).await;
    let b = site.browser();
    b.login().await;
    for _ in 0..10 {
        site.advance(30_000);
        assert!(b.signed_in().await, "activity keeps the idle limit away");
    }
    // 300 s since login, exactly: still in (strict `< 0`).
    site.advance(1);
    let page = b.get("/").await;
    assert_eq!(
        page.status, 303,
        "301 s after login the absolute limit has run out"
    );
    assert_eq!(
        b.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
}

#[tokio::test]
async fn each_limit_flashes_its_own_message() {
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .idle_message(IDLE_MESSAGE)
        .session_message(SESSION_MESSAGE)
        .build()
        .unwrap();
    let site = Site::start(config).await;

    let idle = site.browser();
    idle.login().await;
    let busy = site.browser();
    busy.login().await;
    for _ in 0..5 {
        site.advance(59_000);
        assert!(busy.signed_in().await);
    }
    // 295 s: `idle` ran out long ago, `busy` is still in.
    assert!(!idle.signed_in().await);
    assert_eq!(
        idle.get("/login").await.messages(),
        vec![IDLE_MESSAGE.to_owned()]
    );

    site.advance(5_001); // 300.001 s after login
    assert!(!busy.signed_in().await);
    assert_eq!(
        busy.get("/login").await.messages(),
        vec![SESSION_MESSAGE.to_owned()]
    );
}

#[tokio::test]
async fn expiry_is_strict_at_the_boundary() {
    let site = Site::start(config()).await;
    let passive = site.browser();
    passive.login().await;
    let page = site.browser();
    page.login().await;

    site.advance(60_000); // remaining == 0: still active, as in Django
    let status = passive.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], true, "{status}");
    assert_eq!(status["idle_ms"], 0);
    assert!(
        page.signed_in().await,
        "a page at exactly IDLE_TIME is still served"
    );

    site.advance(1); // remaining < 0
    let status = passive.get("/auto-logout/status").await.json();
    assert_eq!(
        status,
        serde_json::json!({"active": false, "reason": "idle"})
    );
    assert!(
        page.signed_in().await,
        "its activity 1 ms ago restarted its idle time"
    );
}

#[tokio::test]
async fn a_public_page_still_answers_after_expiry_and_the_message_waits() {
    let site = Site::start(config()).await;
    let b = site.browser();
    b.login().await;
    site.advance(61_000);
    let public = b.get("/public").await;
    assert_eq!(public.status, 200);
    assert!(public.body.contains("Public page"));
    assert!(public.messages().is_empty());
    assert!(!b.signed_in().await);
    let login = b.get("/login").await;
    assert_eq!(login.messages(), vec![DEFAULT_MESSAGE.to_owned()]);
    assert!(b.get("/login").await.messages().is_empty());
}

#[tokio::test]
async fn passive_requests_do_not_extend_idle_but_keepalive_does() {
    let site = Site::start(config()).await;
    let poller = site.browser();
    poller.login().await;

    for _ in 0..6 {
        site.advance(10_000);
        let status = poller.get("/auto-logout/status").await.json();
        assert_eq!(status["active"], true);
        for (name, value) in [
            ("x-auto-logout-passive", "1"),
            ("sec-purpose", "prefetch"),
            ("sec-purpose", "prefetch;prerender"),
            ("purpose", "prefetch"),
        ] {
            assert_eq!(poller.get_with("/", &[(name, value)]).await.status, 200);
        }
        let head = poller.send(poller.client.head(poller.url("/"))).await;
        assert_eq!(head.status, 200);
        assert_eq!(poller.get("/static/demo.css").await.status, 200);
    }
    // 60 s of polling: the idle time kept running.
    let status = poller.get("/auto-logout/status").await.json();
    assert_eq!(status["idle_ms"], 0, "{status}");
    site.advance(1);
    assert_eq!(
        poller.get("/auto-logout/status").await.json(),
        serde_json::json!({"active": false, "reason": "idle"})
    );

    // keepalive: refused without its header or as GET, counts as activity with it.
    let stayer = site.browser();
    stayer.login().await;
    site.advance(30_000);
    let refused = stayer
        .send(stayer.client.post(stayer.url("/auto-logout/keepalive")))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(stayer.get("/auto-logout/keepalive").await.status, 405);
    let kept = stayer
        .send(
            stayer
                .client
                .post(stayer.url("/auto-logout/keepalive"))
                .header("x-auto-logout", "1"),
        )
        .await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.header("cache-control"), Some("no-store"));
    let kept = kept.json();
    assert_eq!(kept["active"], true);
    assert_eq!(kept["idle_ms"], 60_000, "{kept}");
    site.advance(59_000);
    assert_eq!(
        stayer.get("/auto-logout/status").await.json()["active"],
        true
    );
}

#[tokio::test]
async fn at_most_one_write_per_session_per_write_resolution_at_100_requests_per_second() {
    let config = config();
    // One write per WRITE_RESOLUTION at most (the default follows IDLE_TIME).
    let resolution = config.write_resolution().as_millis() as usize;
    assert!((1..=1000).contains(&resolution), "{resolution} ms");
    let most = 10_000 / resolution;
    let site = Site::start(config).await;
    let browsers = [site.browser(), site.browser(), site.browser()];
    let mut ids = Vec::new();
    for b in &browsers {
        b.login().await;
        ids.push(b.session_id().expect("a session cookie"));
    }
    let before: Vec<usize> = ids.iter().map(|id| site.store.saves_of(*id)).collect();
    // 10 simulated seconds; every session makes a request every 10 ms.
    for _ in 0..1000 {
        site.advance(10);
        for b in &browsers {
            assert_eq!(b.get("/").await.status, 200);
        }
    }
    for (i, id) in ids.iter().enumerate() {
        let writes = site.store.saves_of(*id) - before[i];
        assert!(
            (most - 1..=most).contains(&writes),
            "session {i}: {writes} writes for 1000 requests in 10 s (resolution {resolution} ms)"
        );
        let stamps = decode(&site.store.stored_stamps(*id).await.unwrap());
        // The stored last activity is behind the last request by less than the resolution.
        let behind = T0.saturating_add_millis(10_000).as_unix_millis()
            - stamps.last_activity_at().as_unix_millis();
        assert!(
            (0..resolution as i64).contains(&behind),
            "session {i}: stored activity {behind} ms behind"
        );
    }
    assert_eq!(
        browsers[0].session_id(),
        Some(ids[0]),
        "the id did not change"
    );
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let site = Site::start(config()).await;
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example/",
    ] {
        let b = site.browser();
        let page = b
            .post_form(
                "/login",
                &[("username", "demo"), ("password", "demo"), ("next", next)],
            )
            .await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location(), Some("/"), "next = {next:?}");
        let encoded: String = next.bytes().map(|b| format!("%{b:02X}")).collect();
        let form = b.get(&format!("/login?next={encoded}")).await;
        assert!(
            form.body.contains(r#"name="next" value="&#x2f;""#),
            "next = {next:?} reached the form: {}",
            form.body
        );
    }
    let b = site.browser();
    let page = b
        .post_form(
            "/login",
            &[
                ("username", "demo"),
                ("password", "demo"),
                ("next", "/public?a=1"),
            ],
        )
        .await;
    assert_eq!(
        page.location(),
        Some("/public?a=1"),
        "a same-site next is honoured"
    );
    let wrong = site
        .browser()
        .post_form("/login", &[("username", "demo"), ("password", "nope")])
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong username or password."));
}

#[tokio::test]
async fn corrupt_stamps_log_the_user_out_instead_of_failing() {
    let site = Site::start(config()).await;
    let far_future = T0.saturating_add_millis(86_400_000).as_unix_millis();
    for value in [
        serde_json::json!("garbage"),
        serde_json::json!(""),
        serde_json::json!(12345),
        serde_json::json!({"login": 1}),
        serde_json::json!(null),
        serde_json::json!("1.5.4"),
        serde_json::json!(format!("1.{far_future}.{far_future}")),
        serde_json::json!("</script><script>alert(1)</script>"),
    ] {
        let b = site.browser();
        b.login().await;
        let id = b.session_id().unwrap();
        site.store
            .tamper(id, Stamps::SESSION_KEY, value.clone())
            .await;
        let page = b.get("/").await;
        assert_eq!(page.status, 303, "{value}: {page:?}");
        assert_eq!(page.location(), Some("/login?next=/"));
        assert!(
            site.store.record(id).await.is_none(),
            "{value}: the record is gone"
        );
        assert!(!b.signed_in().await);
    }
}

#[tokio::test]
async fn logout_flushes_the_session() {
    let site = Site::start(config()).await;
    let b = site.browser();
    b.login().await;
    let id = b.session_id().unwrap();
    let page = b.post_form("/logout", &[]).await;
    assert_eq!(page.status, 303);
    assert!(site.store.record(id).await.is_none());
    assert_ne!(
        b.session_id(),
        Some(id),
        "a new id for what is left (the message)"
    );
    assert_eq!(
        b.get("/login").await.messages(),
        vec!["You have been signed out.".to_owned()]
    );
    assert!(!b.signed_in().await);
}

#[test]
fn demo_settings_come_from_the_environment_with_human_times() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let defaults = app::Settings::from_env(env(&[])).unwrap();
    let c = &defaults.config;
    assert_eq!(c.idle_time().unwrap().as_secs(), 60);
    assert_eq!(c.session_time().unwrap().as_secs(), 300);
    assert_eq!(c.warn_before().unwrap().as_secs(), 20);
    assert!(c.redirect_to_login_immediately());
    assert_eq!(c.message(), Some(DEFAULT_MESSAGE));
    assert_eq!(c.login_url(), None);
    assert_eq!(defaults.csp, Csp::Off);
    assert!(defaults.auto_logout);

    let human = app::Settings::from_env(env(&[
        ("AUTO_LOGOUT_IDLE_TIME", "90s"),
        ("AUTO_LOGOUT_SESSION_TIME", "5m"),
        ("AUTO_LOGOUT_WARN_BEFORE", "1m"),
        ("AUTO_LOGOUT_MESSAGE", "Bye."),
        ("AUTO_LOGOUT_REDIRECT_TO_LOGIN_IMMEDIATELY", "on"),
        ("DEMO_CSP", "strict"),
        ("DEMO_AUTO_LOGOUT", "off"),
    ]))
    .unwrap();
    let c = &human.config;
    assert_eq!(c.idle_time().unwrap().as_secs(), 90);
    assert_eq!(c.session_time().unwrap().as_secs(), 300);
    assert_eq!(c.warn_before().unwrap().as_secs(), 60);
    assert_eq!(c.message(), Some("Bye."));
    assert_eq!(human.csp, Csp::Strict);
    assert!(!human.auto_logout);

    // The default warning steps aside where it cannot apply.
    let short = app::Settings::from_env(env(&[("AUTO_LOGOUT_IDLE_TIME", "10")])).unwrap();
    assert_eq!(short.config.warn_before(), None);
    let no_script = app::Settings::from_env(env(&[(
        "AUTO_LOGOUT_REDIRECT_TO_LOGIN_IMMEDIATELY",
        "false",
    )]))
    .unwrap();
    assert!(!no_script.config.redirect_to_login_immediately());
    assert_eq!(no_script.config.warn_before(), None);

    // The lock, "Sign in again", the title countdown and the presence lease.
    let locked = app::Settings::from_env(env(&[
        ("AUTO_LOGOUT_LOCK_AFTER", "30"),
        ("AUTO_LOGOUT_UNLOCK_ATTEMPTS", "3"),
        ("AUTO_LOGOUT_SIGN_IN_AGAIN", "on"),
        ("AUTO_LOGOUT_TITLE_COUNTDOWN", "true"),
        ("AUTO_LOGOUT_LOGOUT_ON_TABS_CLOSED", "2m"),
        ("AUTO_LOGOUT_TABS_CLOSED_MESSAGE", "Closed."),
    ]))
    .unwrap();
    let c = &locked.config;
    assert_eq!(c.lock_after().unwrap().as_secs(), 30);
    assert_eq!(c.unlock_attempts(), 3);
    assert!(c.sign_in_again() && c.title_countdown());
    assert_eq!(c.logout_on_tabs_closed().unwrap().as_secs(), 120);
    assert_eq!(
        c.message_for(auto_logout::ExpiryReason::TabsClosed),
        Some("Closed.")
    );
    let err =
        app::Settings::from_env(env(&[("AUTO_LOGOUT_LOGOUT_ON_TABS_CLOSED", "60")])).unwrap_err();
    assert!(
        err.contains("LOGOUT_ON_TABS_CLOSED = 60 is not allowed"),
        "{err}"
    );

    // Errors name the key.
    let err = app::Settings::from_env(env(&[("AUTO_LOGOUT_IDLE_TIME", "-5")])).unwrap_err();
    assert!(err.contains("IDLE_TIME"), "{err}");
    let err = app::Settings::from_env(env(&[("AUTO_LOGOUT_SESSION_TIME", "soon")])).unwrap_err();
    assert!(err.contains("SESSION_TIME"), "{err}");
    let err = app::Settings::from_env(env(&[("DEMO_CSP", "loose")])).unwrap_err();
    assert!(err.contains("DEMO_CSP"), "{err}");
}

#[tokio::test]
async fn strict_csp_mode_uses_the_served_script_file() {
    let site = Site::start_custom(config(), axum::Router::new(), |s| s.csp = Csp::Strict).await;
    let b = site.browser();
    b.login().await;
    let home = b.get("/").await;
    assert_eq!(
        home.header("content-security-policy"),
        Some("script-src 'self'; style-src 'self'")
    );
    let src_at = home
        .body
        .find(r#" src="/auto-logout/auto-logout."#)
        .expect("an external script tag");
    let src = &home.body[src_at + 6..];
    let src = &src[..src.find('"').unwrap()];
    assert!(!home.body.contains("'use strict'"), "no inline script text");
    assert!(!home.body.contains(" style="), "no inline styles");

    let script = b.get(src).await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(script.body, auto_logout::assets::SCRIPT);
}

#[tokio::test]
async fn nonce_csp_mode_puts_a_fresh_nonce_on_the_inline_script() {
    let site = Site::start_custom(config(), axum::Router::new(), |s| s.csp = Csp::Nonce).await;
    let b = site.browser();
    b.login().await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let home = b.get("/").await;
        let policy = home.header("content-security-policy").unwrap().to_owned();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert!(
            home.body.contains(&format!(r#" nonce="{nonce}">"#)),
            "the tag carries the header's nonce"
        );
        assert!(home.body.contains("currentScript"), "inline script");
        seen.push(nonce);
    }
    assert_ne!(seen[0], seen[1], "one nonce per response");
}

#[tokio::test]
async fn without_the_layer_the_same_site_still_works() {
    let site = Site::start_custom(config(), axum::Router::new(), |s| s.auto_logout = false).await;
    let b = site.browser();
    b.login().await;
    site.advance(3_600_000);
    let home = b.get("/").await;
    assert_eq!(home.status, 200, "nothing logs out without the layer");
    assert!(home.body.contains(r#"data-on="false""#));
    assert!(!home.body.contains("<script data-auto-logout"));
}

/// With `LOGIN_URL`: an expired htmx request goes to the login page with the
/// page it was on (`HX-Current-URL`) as `next`, an expired `fetch` gets that
/// location (from `Referer`) in its `401` JSON; a page on another host, or a
/// URL that only looks like this one, falls back and never leaves the site.
#[tokio::test]
async fn expired_htmx_and_fetch_go_back_to_their_page_and_never_off_site() {
    let config = Config::builder()
        .idle_time(60)
        .idle_message(IDLE_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .passive_path("/static/")
        .build()
        .unwrap();
    let site = Site::start(config).await;
    let own = site.addr.to_string();
    let fragment_fallback = "/login?next=%2Ffragments%2Fidle%3Fn%3D1";
    let htmx_cases = [
        (format!("http://{own}/?tab=2"), "/login?next=%2F%3Ftab%3D2"),
        (format!("http://{own}/public#top"), "/login?next=%2Fpublic"),
        ("http://evil.example/".to_owned(), fragment_fallback),
        (format!("http://evil.example/{own}/"), fragment_fallback),
        (format!("http://{own}@evil.example/"), fragment_fallback),
        (format!("http://{own}.evil.example/"), fragment_fallback),
        ("//evil.example/".to_owned(), fragment_fallback),
        (format!("http://{own}//evil.example/"), fragment_fallback),
        (format!("http://{own}/\\evil.example/"), fragment_fallback),
        (format!("javascript://{own}/%0aalert(1)"), fragment_fallback),
    ];
    for (page, expected) in &htmx_cases {
        let b = site.browser();
        b.login().await;
        site.advance(60_001);
        let res = b
            .get_with(
                "/fragments/idle?n=1",
                &[
                    ("hx-request", "true"),
                    ("hx-current-url", page),
                    ("sec-fetch-mode", "cors"),
                ],
            )
            .await;
        assert_eq!(res.status, 200, "{page}");
        assert_eq!(res.header("hx-redirect"), Some(*expected), "{page}");
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert!(res.body.is_empty(), "{page}: {}", res.body);
        // The layer answered (the expiry's own message waits on the login page).
        assert_eq!(
            b.get(expected).await.messages(),
            vec![IDLE_MESSAGE.to_owned()]
        );
        assert!(!b.signed_in().await);
    }

    let fetch_cases = [
        (
            Some(format!("http://{own}/public?x=1")),
            "/login?next=%2Fpublic%3Fx%3D1",
        ),
        (Some("http://evil.example/public".to_owned()), "/login"),
        (Some(format!("https://{own}@evil.example/")), "/login"),
        (None, "/login"),
    ];
    for (referer, expected) in &fetch_cases {
        let b = site.browser();
        b.login().await;
        site.advance(60_001);
        let mut headers = vec![("sec-fetch-mode", "cors")];
        if let Some(referer) = referer {
            headers.push(("referer", referer));
        }
        let res = b.get_with("/fragments/idle", &headers).await;
        assert_eq!(res.status, 401, "{referer:?}");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            res.json(),
            serde_json::json!({"error": "session_expired", "reason": "idle", "login": expected}),
            "{referer:?}"
        );
    }

    // The app's own guard on the fragment (signed out, not expired) follows the same rule.
    let anonymous = site.browser();
    let res = anonymous
        .get_with(
            "/fragments/idle",
            &[
                ("hx-request", "true"),
                ("hx-current-url", &format!("http://{own}/?tab=3")),
            ],
        )
        .await;
    assert_eq!(res.header("hx-redirect"), Some("/login?next=%2F%3Ftab%3D3"));
    let res = anonymous
        .get_with(
            "/fragments/idle",
            &[
                ("hx-request", "true"),
                ("hx-current-url", "http://evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        res.header("hx-redirect"),
        Some("/login?next=%2Ffragments%2Fidle")
    );
    // Signed in, the fragment is a fragment.
    let b = site.browser();
    b.login().await;
    let res = b
        .get_with("/fragments/idle", &[("hx-request", "true")])
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body.starts_with("<span id=\"idle-fragment\">"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn status_and_keepalive_answers_are_not_sniffed() {
    let site = Site::start(config()).await;
    let b = site.browser();
    for signed_in in [false, true] {
        if signed_in {
            b.login().await;
        }
        let status = b.get("/auto-logout/status").await;
        let keepalive = b
            .send(
                b.client
                    .post(b.url("/auto-logout/keepalive"))
                    .header("x-auto-logout", "1"),
            )
            .await;
        for res in [status, keepalive] {
            assert_eq!(res.status, 200);
            assert_eq!(res.header("content-type"), Some("application/json"));
            assert_eq!(
                res.header("x-content-type-options"),
                Some("nosniff"),
                "{res:?}"
            );
            assert_eq!(res.json()["active"], signed_in);
        }
    }
}
