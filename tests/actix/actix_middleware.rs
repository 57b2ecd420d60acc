//! The actix-web integration over real HTTP on loopback, driven by an
//! injected clock: SPEC §3 on the actix demo (actix-session 0.11, Tera 2).

use crate::support;

use crate::actix_support;

use std::sync::Arc;

use actix_session::Session;
use actix_support::{ActixSite, FlakyStore, app, stamps_in};
use actix_web::{HttpResponse, web};
use auto_logout::actix::AutoLogoutStore;
use auto_logout::{Config, Stamps, engine};
use support::T0;
use support::app::DEFAULT_MESSAGE;
use tokio::sync::Notify;

use crate::behaviour::store_lock::{self, Pause};
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;

type State = std::collections::HashMap<String, String>;

const IDLE_MESSAGE: &str = "You were signed out after a minute without activity.";
const SESSION_MESSAGE: &str = "Your five minutes are over. Please sign in again.";

/// Django mode: no LOGIN_URL, the app's own guard redirects.
fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .idle_message(IDLE_MESSAGE)
        .session_message(SESSION_MESSAGE)
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .passive_path("/static/")
        .build()
        .unwrap()
}

fn with_login_url() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

#[tokio::test]
async fn anonymous_requests_are_untouched() {
    let site = ActixSite::start(config());
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
    }
    assert_eq!(
        b.get("/auto-logout/status").await.json(),
        serde_json::json!({"active": false, "reason": null})
    );
    assert_eq!(site.store.inner().writes(), 0, "nothing was written");
    let public = b.get("/public").await;
    assert!(public.body.contains("Public page"));
    assert!(!public.body.contains("data-auto-logout"), "no script");
}

#[tokio::test]
async fn a_login_starts_the_clocks_of_a_tracked_session() {
    let site = ActixSite::start(config());
    let b = site.browser();
    let login = b.login().await;
    assert_eq!(login.location(), Some("/"));
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Hello, demo"));
    assert!(home.body.contains(r#"data-seconds="60" data-on="true""#));
    assert!(home.body.contains(r#"data-seconds="300" data-on="true""#));
    assert_eq!(
        home.header("cache-control"),
        Some("no-store"),
        "a page of a session"
    );
    let css = b.get("/static/demo.css").await;
    assert_eq!(
        css.header("cache-control"),
        None,
        "passive: its own caching"
    );
    assert!(
        home.body.contains("data-auto-logout"),
        "the script is on the page"
    );
    let states = site.store.inner().states();
    let stamps: Vec<Stamps> = states.iter().filter_map(stamps_in).collect();
    assert_eq!(stamps.len(), 1, "{states:?}");
    assert_eq!(stamps[0].login_at(), T0);
    assert_eq!(stamps[0].last_activity_at(), T0);
}

#[tokio::test]
async fn the_idle_limit_counts_from_the_users_last_request() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    // Requests 59.4 s apart (0.99 × IDLE_TIME) never log the user out.
    for _ in 0..3 {
        site.advance(59_400);
        assert!(b.signed_in().await, "logged out early");
    }
    // IDLE_TIME after the last request (which was written: 59.4 s ≥ the
    // write resolution), and a millisecond: out, with the idle message, once.
    site.advance(60_001);
    let page = b.get("/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login?next=/"));
    assert_eq!(
        b.get("/login").await.messages(),
        vec![IDLE_MESSAGE.to_owned()]
    );
    assert!(b.get("/login").await.messages().is_empty(), "shown once");
    assert!(!b.signed_in().await);
}

#[tokio::test]
async fn the_message_waits_for_the_page_that_reads_it() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    site.advance(60_001);
    // The client script's status check sees the expiry first...
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["reason"], "idle");
    // ...then the reload, which the app's guard redirects, and a public page...
    assert_eq!(b.get("/").await.location(), Some("/login?next=/"));
    assert_eq!(b.get("/public").await.status, 200);
    // ...and the login page still shows the message, once.
    assert_eq!(
        b.get("/login").await.messages(),
        vec![IDLE_MESSAGE.to_owned()]
    );
    assert!(b.get("/login").await.messages().is_empty());
}

#[tokio::test]
async fn expiry_is_strict_at_the_boundary() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    site.advance(60_000);
    assert!(b.signed_in().await, "remaining 0 is not expired");
    let c = site.browser();
    c.login().await;
    site.advance(60_001);
    assert!(!c.signed_in().await);
}

#[tokio::test]
async fn the_absolute_limit_ends_a_busy_session_with_its_message() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    for _ in 0..6 {
        site.advance(50_000);
        assert!(b.signed_in().await);
    }
    // T0 + 300 s: still in (strict); a millisecond later: out.
    assert!(b.signed_in().await);
    site.advance(1);
    assert!(!b.signed_in().await);
    assert_eq!(
        b.get("/login").await.messages(),
        vec![SESSION_MESSAGE.to_owned()]
    );
}

#[tokio::test]
async fn writes_are_coalesced_to_one_per_write_resolution() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    let store = site.store.inner();
    let after_login = store.writes();
    // 100 requests at 100 per second: 1 s of activity.
    for _ in 0..100 {
        assert_eq!(b.get("/").await.status, 200);
        site.advance(10);
    }
    let writes = store.writes() - after_login;
    // WRITE_RESOLUTION is 1 % of IDLE_TIME, 600 ms: at most 2 writes per second.
    assert!((1..=2).contains(&writes), "{writes} writes");
}

#[tokio::test]
async fn passive_requests_do_not_extend_idle_but_keepalive_does() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    site.advance(30_000);
    for (path, headers) in [
        ("/auto-logout/status", &[][..]),
        ("/", &[("x-auto-logout-passive", "1")][..]),
        ("/", &[("sec-purpose", "prefetch")][..]),
        ("/static/demo.css", &[][..]),
        ("/favicon.ico", &[("sec-fetch-dest", "image")][..]),
    ] {
        let res = b.get_with(path, headers).await;
        assert!(res.status < 500, "{path}");
    }
    site.advance(30_001);
    assert!(
        !b.signed_in().await,
        "passive requests extended the session"
    );

    let k = site.browser();
    k.login().await;
    site.advance(30_000);
    let res = k
        .send(
            k.client
                .post(k.url("/auto-logout/keepalive"))
                .header("x-auto-logout", "1"),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["active"], true);
    assert_eq!(res.json()["seconds_until_idle_end"], 60);
    site.advance(59_000);
    assert!(k.signed_in().await, "keepalive counts as activity");
}

#[tokio::test]
async fn status_and_keepalive_endpoints() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    site.advance(10_000);
    let res = b.get("/auto-logout/status").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let json = res.json();
    assert_eq!(json["active"], true);
    assert_eq!(json["idle_ms"], 50_000);
    assert_eq!(json["session_ms"], 290_000);

    let res = b.send(b.client.post(b.url("/auto-logout/status"))).await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    let res = b.get("/auto-logout/keepalive").await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("POST"));
    // A cross-site form cannot set the header: refused.
    let res = b
        .send(
            b.client
                .post(b.url("/auto-logout/keepalive"))
                .form(&[("a", "b")]),
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.body, engine::KEEPALIVE_REFUSED);

    site.advance(60_001);
    let res = b.get("/auto-logout/status").await;
    assert_eq!(
        res.json(),
        serde_json::json!({"active": false, "reason": "idle"})
    );
}

#[tokio::test]
async fn the_script_and_stylesheet_are_served_under_their_content_hash() {
    let config = config();
    let site = ActixSite::start(config.clone());
    let b = site.browser();
    for (url, kind, content) in [
        (
            config.script_url(),
            engine::JAVASCRIPT,
            auto_logout::assets::SCRIPT,
        ),
        (
            config.stylesheet_url(),
            engine::CSS,
            auto_logout::assets::STYLESHEET,
        ),
    ] {
        let res = b.get(url).await;
        assert_eq!(res.status, 200, "{url}");
        assert_eq!(res.header("content-type"), Some(kind));
        assert_eq!(res.header("cache-control"), Some(engine::IMMUTABLE));
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.body, content);
        let res = b.send(b.client.delete(b.url(url))).await;
        assert_eq!(res.status, 405);
        assert_eq!(res.header("allow"), Some("GET, HEAD"));
    }
    assert_eq!(b.get("/auto-logout/auto-logout.js").await.status, 404);
}

#[tokio::test]
async fn strict_csp_mode_uses_the_served_script_file() {
    let config = config();
    let site = ActixSite::start_custom(
        config.clone(),
        AutoLogoutStore::new(app::MemoryStore::default()),
        |_| {},
        |s| s.csp = app::Csp::Strict,
    );
    let b = site.browser();
    b.login().await;
    let home = b.get("/").await;
    assert_eq!(
        home.header("content-security-policy"),
        Some("script-src 'self'; style-src 'self'")
    );
    assert!(
        home.body
            .contains(&format!(r#"src="{}""#, config.script_url()))
    );
    assert_eq!(b.get(config.script_url()).await.status, 200);
}

#[tokio::test]
async fn with_login_url_the_middleware_answers_page_fetch_and_htmx_requests() {
    let site = ActixSite::start(with_login_url());
    let browsers: Vec<_> = (0..5).map(|_| site.browser()).collect();
    for b in &browsers {
        b.login().await;
    }
    let [page, fetch, htmx, login_page, xhr] = &browsers[..] else {
        unreachable!()
    };
    site.advance(60_001);

    let res = page.get("/public?tab=2&x=%2F").await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.location(),
        Some("/login?next=%2Fpublic%3Ftab%3D2%26x%3D%252F")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(
        page.get("/login?next=%2Fpublic").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
    assert_eq!(
        page.get("/public").await.status,
        200,
        "anonymous from now on"
    );

    let host = site.addr.to_string();
    let referer = format!("http://{host}/orders?p=2");
    let res = fetch
        .get_with(
            "/api/rows",
            &[("sec-fetch-mode", "cors"), ("referer", &referer)],
        )
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json(),
        serde_json::json!({"error": "session_expired", "reason": "idle",
            "login": "/login?next=%2Forders%3Fp%3D2"})
    );
    let res = xhr
        .get_with("/", &[("x-requested-with", "XMLHttpRequest")])
        .await;
    assert_eq!(res.status, 401);

    let current = format!("http://{host}/");
    let res = htmx
        .get_with(
            "/fragments/idle",
            &[("hx-request", "true"), ("hx-current-url", &current)],
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("hx-redirect"), Some("/login?next=%2F"));
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // The login page itself is served, with the message, once.
    let res = login_page.get("/login?next=%2F").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.messages(), vec![DEFAULT_MESSAGE.to_owned()]);
    assert!(login_page.get("/login").await.messages().is_empty());
}

#[tokio::test]
async fn a_failing_store_gets_503_and_service_resumes_when_it_is_back() {
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()));
    let site = ActixSite::start_with(config(), store.clone(), |_| {});
    let b = site.browser();
    b.login().await;
    store.inner().fail(true);
    for path in ["/", "/auto-logout/status", "/public"] {
        let res = b.get(path).await;
        assert_eq!(res.status, 503, "{path}: {res:?}");
        assert_eq!(res.body, engine::STORE_FAILED);
        assert!(
            !res.body.contains("Hello"),
            "no page served as if logged in"
        );
    }
    store.inner().fail(false);
    assert!(
        b.signed_in().await,
        "back without a restart, nothing undone"
    );
}

#[tokio::test]
async fn corrupt_stamps_log_the_user_out_instead_of_failing() {
    for corrupt in [
        "42",
        r#""not stamps""#,
        r#""1767225600000:9999999999999""#,
        "{",
    ] {
        let site = ActixSite::start(config());
        let b = site.browser();
        b.login().await;
        site.store.inner().tamper(Stamps::SESSION_KEY, corrupt);
        assert!(
            !b.signed_in().await,
            "{corrupt}: unreadable stamps fail closed"
        );
        assert_eq!(b.get("/public").await.status, 200, "{corrupt}");
    }
}

#[tokio::test]
async fn the_store_wrapper_never_writes_unreadable_stamps_over_a_login() {
    async fn tamper(session: Session) -> HttpResponse {
        session.insert(Stamps::SESSION_KEY, 42).unwrap();
        HttpResponse::Ok().finish()
    }
    let site = ActixSite::start_with(
        config(),
        AutoLogoutStore::new(app::MemoryStore::default()),
        |cfg: &mut web::ServiceConfig| {
            cfg.route("/tamper", web::get().to(tamper));
        },
    );
    let b = site.browser();
    b.login().await;
    assert_eq!(b.get("/tamper").await.status, 200);
    assert!(b.signed_in().await, "the stored login won");
}

/// A handler that signals it has loaded the session, then waits.
#[derive(Default)]
struct Gate {
    entered: Notify,
    release: Notify,
}

fn slow_route(gate: Arc<Gate>) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        let gate = gate.clone();
        cfg.route(
            "/slow",
            web::get().to(move || {
                let gate = gate.clone();
                async move {
                    gate.entered.notify_one();
                    gate.release.notified().await;
                    HttpResponse::Ok().body("slow")
                }
            }),
        );
    }
}

/// The demo over `store` with the slow page, the wrapper's rule in use or
/// bypassed.
fn slow_site(
    store: AutoLogoutStore<app::MemoryStore>,
    gate: &Arc<Gate>,
    bypass_the_wrapper: bool,
) -> ActixSite {
    if bypass_the_wrapper {
        ActixSite::start_bypassing(config(), store, slow_route(gate.clone()))
    } else {
        ActixSite::start_with(config(), store, slow_route(gate.clone()))
    }
}

/// A slow request that recorded activity, then a logout while it runs: does
/// the session come back when the slow request's state is written?
async fn slow_request_over_a_logout(
    store: AutoLogoutStore<app::MemoryStore>,
    bypass_the_wrapper: bool,
) -> bool {
    let gate = Arc::new(Gate::default());
    let site = slow_site(store, &gate, bypass_the_wrapper);
    let b = site.browser();
    b.login().await;
    site.advance(10_000);
    let slow = {
        let b = b.clone();
        tokio::spawn(async move { b.get("/slow").await })
    };
    gate.entered.notified().await;
    // The slow request has loaded the session and recorded activity.
    let out = b.post_form("/logout", &[]).await;
    assert_eq!(out.location(), Some("/login?signed_out=1"));
    assert!(!b.signed_in().await, "signed out");
    gate.release.notify_one();
    assert_eq!(slow.await.unwrap().status, 200);
    b.signed_in().await
}

#[tokio::test]
async fn a_slow_request_cannot_bring_a_logged_out_session_back() {
    let store = AutoLogoutStore::new(app::MemoryStore::default());
    assert!(
        !slow_request_over_a_logout(store.clone(), false).await,
        "the logout was undone"
    );
    let with_stamps = store.inner().states().iter().filter_map(stamps_in).count();
    assert_eq!(with_stamps, 0, "no logged-in record is left in the store");
}

#[tokio::test]
async fn without_the_store_wrapper_the_same_race_undoes_the_logout() {
    // The race above is real: over the bare store (which, like actix-session's
    // Redis store, saves an update of a deleted state under a new key) the
    // slow request brings the session back.
    let store = AutoLogoutStore::new(app::MemoryStore::default());
    assert!(slow_request_over_a_logout(store, true).await);
}

#[tokio::test]
async fn a_session_store_that_is_not_the_wrapper_is_refused_with_500() {
    // The wrapper given to the middleware, the bare store to SessionMiddleware.
    let bare = app::MemoryStore::default();
    let site = ActixSite::start_stack(
        config(),
        app::Stack {
            store: AutoLogoutStore::new(bare.clone()),
            sessions: bare,
            key: actix_web::cookie::Key::generate(),
        },
    );
    let b = site.browser();
    // Anonymous pages work; the login is stored; the next request with it says why not.
    assert_eq!(b.get("/public").await.status, 200);
    b.login().await;
    let res = b.get("/").await;
    assert_eq!(res.status, 500);
    assert!(res.body.contains("AutoLogoutStore"), "{}", res.body);
}

/// A slow request loads the session (activity at +10 s), a later request
/// records activity at +20 s, then the slow one finishes: the stored last
/// activity afterwards, in ms after [`T0`].
async fn last_activity_after_a_slow_request(bypass_the_wrapper: bool) -> i64 {
    let gate = Arc::new(Gate::default());
    let store = AutoLogoutStore::new(app::MemoryStore::default());
    let site = slow_site(store.clone(), &gate, bypass_the_wrapper);
    let b = site.browser();
    b.login().await;
    site.advance(10_000);
    let slow = {
        let b = b.clone();
        tokio::spawn(async move { b.get("/slow").await })
    };
    gate.entered.notified().await; // loaded with last activity T0 + 10 s
    site.advance(10_000);
    assert!(b.signed_in().await); // last activity T0 + 20 s, written
    gate.release.notify_one();
    assert_eq!(slow.await.unwrap().status, 200);
    let stamps: Vec<Stamps> = store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .collect();
    assert_eq!(stamps.len(), 1);
    stamps[0].last_activity_at().millis_since(T0)
}

#[tokio::test]
async fn a_slow_request_never_moves_last_activity_backwards() {
    assert_eq!(
        last_activity_after_a_slow_request(false).await,
        20_000,
        "the later activity is kept"
    );
}

#[tokio::test]
async fn without_the_store_wrapper_a_slow_request_moves_last_activity_back() {
    // The race above is real: over the bare store the slow request's state,
    // loaded before the later activity, is written over it.
    assert_eq!(last_activity_after_a_slow_request(true).await, 10_000);
}

/// A bare store whose armed `update` pauses half-way (after the wrapper has
/// read the stored state), to let a `delete` try to slip in.
#[derive(Clone, Default)]
struct PausingStore {
    inner: app::MemoryStore,
    pause: Arc<Pause>,
}

impl SessionStore for PausingStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        self.inner.load(key).await
    }
    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        self.inner.save(state, ttl).await
    }
    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        self.pause.wait_if_armed().await;
        self.inner.update(key, state, ttl).await
    }
    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        self.inner.update_ttl(key, ttl).await
    }
    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_delete_cannot_land_between_the_read_and_the_write_of_an_update() {
    let bare = PausingStore::default();
    let store = AutoLogoutStore::new(bare.clone());
    let ttl = CookieDuration::hours(1);
    let signed_in = || {
        let stamps = serde_json::to_string(&Stamps::at_login(T0).encode()).unwrap();
        State::from([(Stamps::SESSION_KEY.to_owned(), stamps)])
    };
    store_lock::a_delete_cannot_land_between_the_read_and_the_write_of_a_save(
        "actix",
        &bare.pause,
        async || store.save(signed_in(), &ttl).await.unwrap(),
        async |key| {
            let key = SessionKey::try_from(key.as_ref().to_owned()).unwrap();
            store.update(key, signed_in(), &ttl).await.unwrap();
        },
        async |key| store.delete(key).await.unwrap(),
        // Under its key, or anew under another (as an update of a deleted
        // state is saved by the bare store).
        async |_| bare.inner.states().iter().any(|s| stamps_in(s).is_some()),
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_session_and_says_so() {
    let site = ActixSite::start(config());
    let b = site.browser();
    b.login().await;
    let res = b.post_form("/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/login?signed_out=1"));
    assert_eq!(
        b.get("/login").await.messages(),
        vec!["You have been signed out.".to_owned()]
    );
    assert!(!b.signed_in().await);
    let with_stamps = site
        .store
        .inner()
        .states()
        .iter()
        .filter_map(stamps_in)
        .count();
    assert_eq!(with_stamps, 0);
}

#[tokio::test]
async fn without_the_middleware_the_extractors_say_so() {
    async fn needs_it(_: auto_logout::actix::AutoLogout) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let site = ActixSite::start_custom(
        config(),
        AutoLogoutStore::new(app::MemoryStore::default()),
        |cfg: &mut web::ServiceConfig| {
            cfg.route("/needs", web::get().to(needs_it));
        },
        |s| s.auto_logout = false,
    );
    let b = site.browser();
    let res = b.get("/needs").await;
    assert_eq!(res.status, 500);
    assert!(res.body.contains("AutoLogoutMiddleware"), "{}", res.body);
    // The site itself still works, without the clocks.
    b.login().await;
    assert!(b.signed_in().await);
    site.advance(3_600_000);
    assert!(b.signed_in().await);
}
