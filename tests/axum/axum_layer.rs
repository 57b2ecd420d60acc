//! The layer's own behaviour over real HTTP: its answers when `LOGIN_URL` is
//! set, its endpoints, and that a logout stays final whatever requests are
//! still running.

use crate::support;

use std::sync::Arc;

use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore};
use auto_logout::{Config, ManualClock, Stamps};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use support::app::DEFAULT_MESSAGE;
use support::{Browser, Site, T0, decode};
use tokio::sync::Notify;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
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

async fn expired_browser(site: &Site) -> Browser {
    let b = site.browser();
    b.login().await;
    b
}

#[tokio::test]
async fn with_login_url_the_layer_answers_page_fetch_and_htmx_requests() {
    let site = Site::start(with_login_url()).await;
    let page = expired_browser(&site).await;
    let fetch = expired_browser(&site).await;
    let xhr = expired_browser(&site).await;
    let htmx = expired_browser(&site).await;
    let login_page = expired_browser(&site).await;
    site.advance(60_001);

    // A page navigation, even to a page that needs no login: 303 to LOGIN_URL with next.
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

    // fetch(): 401 with the reason.
    let res = fetch
        .get_with("/", &[("sec-fetch-mode", "cors"), ("accept", "*/*")])
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json(),
        serde_json::json!({"error": "session_expired", "reason": "idle", "login": "/login"})
    );
    let res = xhr
        .get_with("/", &[("x-requested-with", "XMLHttpRequest")])
        .await;
    assert_eq!(res.status, 401);

    // htmx: HX-Redirect to the login page.
    let res = htmx
        .get_with("/", &[("hx-request", "true"), ("sec-fetch-mode", "cors")])
        .await;
    assert_eq!(res.header("hx-redirect"), Some("/login?next=%2F"));
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // The login page itself is served (with the message), not redirected to itself.
    let res = login_page.get("/login?next=%2F").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.messages(), vec![DEFAULT_MESSAGE.to_owned()]);
    // Shown by the page itself, not flashed: not again on the next page.
    assert!(login_page.get("/login").await.messages().is_empty());
}

#[tokio::test]
async fn the_layers_redirect_never_leaves_the_site() {
    let site = Site::start(with_login_url()).await;
    for path in [
        "//evil.example/",
        "/\\evil.example/",
        "//evil.example/%2e%2e",
    ] {
        let b = expired_browser(&site).await;
        site.advance(60_001);
        // Sent raw: reqwest would normalise the path.
        let res = b.send(b.client.get(format!("{}{}", b.url(""), path))).await;
        assert_eq!(res.status, 303, "{path}: {res:?}");
        let location = res.location().unwrap();
        assert!(
            location == "/login" || location.starts_with("/login?next=%2F"),
            "{path}: {location}"
        );
        assert!(!location.contains("//"), "{path}: {location}");
    }
}

#[tokio::test]
async fn status_answers_for_every_kind_of_session() {
    let site = Site::start(config()).await;
    let b = site.browser();
    let res = b.get("/auto-logout/status").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(
        res.json(),
        serde_json::json!({"active": false, "reason": null})
    );

    b.login().await;
    site.advance(10_500);
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], true);
    assert_eq!(status["idle_ms"], 49_500);
    assert_eq!(status["session_ms"], 289_500);
    assert_eq!(status["seconds_until_idle_end"], 50);
    assert_eq!(
        b.send(b.client.head(b.url("/auto-logout/status")))
            .await
            .status,
        200
    );
    assert_eq!(
        b.send(b.client.post(b.url("/auto-logout/status")))
            .await
            .status,
        405
    );
    site.advance(60_000);
    assert_eq!(
        b.get("/auto-logout/status").await.json(),
        serde_json::json!({"active": false, "reason": "idle"})
    );
    // The status request logged the session out, and flashed the message.
    assert_eq!(
        b.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
    assert_eq!(
        b.get("/auto-logout/status").await.json(),
        serde_json::json!({"active": false, "reason": null})
    );
}

#[tokio::test]
async fn the_script_and_stylesheet_are_served_under_their_content_hash() {
    let site = Site::start(config()).await;
    let b = site.browser();
    let path = format!("/auto-logout/{}", auto_logout::assets::script_file_name());
    let res = b.get(&path).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, auto_logout::assets::SCRIPT);
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("set-cookie"), None);
    assert_eq!(b.send(b.client.head(b.url(&path))).await.status, 200);
    assert_eq!(b.send(b.client.post(b.url(&path))).await.status, 405);
    // The warning's default stylesheet, the same way.
    let css = b.get(config().stylesheet_url()).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.body, auto_logout::assets::STYLESHEET);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // Other names under the prefix are the app's (here: not found).
    assert_eq!(
        b.get("/auto-logout/auto-logout.000000000000.js")
            .await
            .status,
        404
    );
    assert_eq!(b.get("/auto-logout/").await.status, 404);
}

/// Two gates around a slow handler: it says when it started, and waits to be released.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

/// A slow page that changes the session before it answers, so tower-sessions
/// saves the whole record at the end of the request.
async fn slow(State(gate): State<Gate>, session: Session) -> &'static str {
    gate.entered.notify_one();
    gate.release.notified().await;
    session.insert("last_report", "weekly").await.unwrap();
    "slow page"
}

fn slow_routes(gate: &Gate) -> Router {
    Router::new()
        .route("/slow", get(slow))
        .with_state(gate.clone())
}

#[tokio::test]
async fn a_slow_request_cannot_bring_a_logged_out_session_back() {
    for how in ["logout", "expiry seen by another request"] {
        let gate = Gate::default();
        let site = Site::start_with(config(), slow_routes(&gate)).await;
        let b = site.browser();
        b.login().await;
        let id = b.session_id().unwrap();
        site.advance(2_000); // so the slow request also records activity

        let slow_request = tokio::spawn({
            let b = b.clone();
            async move { b.get("/slow").await }
        });
        gate.entered.notified().await;

        match how {
            "logout" => {
                assert_eq!(b.post_form("/logout", &[]).await.status, 303);
            }
            _ => {
                site.advance(61_000);
                let other_tab = b.get("/auto-logout/status").await.json();
                assert_eq!(other_tab["active"], false);
            }
        }
        assert!(site.store.record(id).await.is_none(), "{how}: logged out");

        gate.release.notify_one();
        let res = slow_request.await.unwrap();
        assert_eq!(res.status, 200, "{how}: the slow page still answers");
        assert!(
            site.store.record(id).await.is_none(),
            "{how}: the slow request saved the old session back"
        );
        if let Some(now_id) = b.session_id() {
            let record = site.store.record(now_id).await;
            assert!(
                record
                    .is_none_or(|r| !r.data.contains_key(Stamps::SESSION_KEY)
                        && !r.data.contains_key("user")),
                "{how}: the cookie leads to a logged-in session"
            );
        }
        assert!(!b.signed_in().await, "{how}: signed in again");
    }
}

#[tokio::test]
async fn a_slow_request_never_moves_last_activity_backwards() {
    let gate = Gate::default();
    let site = Site::start_with(config(), slow_routes(&gate)).await;
    let b = site.browser();
    b.login().await;
    let id = b.session_id().unwrap();

    site.advance(2_000); // the slow request records activity at +2 s...
    let slow_request = tokio::spawn({
        let b = b.clone();
        async move { b.get("/slow").await }
    });
    gate.entered.notified().await;
    site.advance(5_000); // ...another one at +7 s, and finishes first
    assert!(b.signed_in().await);
    let stored = decode(&site.store.stored_stamps(id).await.unwrap());
    assert_eq!(stored.last_activity_at(), T0.saturating_add_millis(7_000));

    gate.release.notify_one();
    assert_eq!(slow_request.await.unwrap().status, 200);
    let record = site.store.record(id).await.unwrap();
    assert_eq!(
        record.data["last_report"], "weekly",
        "the slow page's change is kept"
    );
    let stored = decode(&record.data[Stamps::SESSION_KEY]);
    assert_eq!(
        stored.last_activity_at(),
        T0.saturating_add_millis(7_000),
        "the later activity is kept"
    );
}

#[tokio::test]
async fn a_login_on_the_session_cycles_its_id_and_starts_the_clocks() {
    let site = Site::start(config()).await;
    let b = site.browser();
    assert_eq!(
        b.get("/auto-logout/status").await.header("set-cookie"),
        None
    );
    // A visitor with an anonymous session (a flash message) logs in: new id.
    let wrong = b
        .post_form("/login", &[("username", "demo"), ("password", "x")])
        .await;
    assert_eq!(wrong.status, 401);
    b.login().await;
    let first = b.session_id().unwrap();
    site.advance(30_000);
    b.login().await; // logging in again restarts both clocks, under a new id
    let second = b.session_id().unwrap();
    assert_ne!(first, second);
    assert!(site.store.record(first).await.is_none());
    let stamps = decode(&site.store.stored_stamps(second).await.unwrap());
    assert_eq!(stamps.login_at(), T0.saturating_add_millis(30_000));
    for _ in 0..6 {
        site.advance(50_000);
        assert!(
            b.signed_in().await,
            "the absolute limit counts from the new login"
        );
    }
    site.advance(1); // 300.001 s after the second login
    assert!(!b.signed_in().await);
}

#[tokio::test]
async fn without_a_session_layer_the_layer_says_so() {
    let store = AutoLogoutStore::new(MemoryStore::default());
    let app = Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(AutoLogoutLayer::new(config(), &store));
    let addr = support::app::spawn(app, "127.0.0.1:0").await.unwrap();
    let res = Browser::new(addr).get("/").await;
    assert_eq!(res.status, 500);
    assert!(res.body.contains("SessionManagerLayer"), "{}", res.body);
}

#[tokio::test]
async fn without_the_layer_the_extractors_say_so() {
    let store = MemoryStore::default();
    let app = Router::new()
        .route("/ctx", get(|_: AutoLogoutContext| async { "ctx" }))
        .route("/handle", get(|_: AutoLogout| async { "handle" }))
        .route(
            "/optional",
            get(|ctx: Option<AutoLogoutContext>| async move { format!("{}", ctx.is_some()) }),
        )
        .layer(SessionManagerLayer::new(store));
    let addr = support::app::spawn(app, "127.0.0.1:0").await.unwrap();
    let b = Browser::new(addr);
    for path in ["/ctx", "/handle"] {
        let res = b.get(path).await;
        assert_eq!(res.status, 500);
        assert!(res.body.contains("AutoLogoutLayer"), "{}", res.body);
    }
    assert_eq!(b.get("/optional").await.body, "false");
}

#[tokio::test]
async fn the_context_extractor_gives_the_template_values() {
    async fn page(ctx: AutoLogoutContext) -> String {
        let inline = ctx.context();
        let external = ctx.external();
        format!(
            "{}|{}|{}|{}|{}|{}",
            ctx.is_active(),
            inline.seconds_until_idle_end(),
            inline.seconds_until_session_end(),
            inline.redirect_to_login_immediately().is_empty(),
            external.redirect_to_login_immediately(),
            serde_json::to_value(&ctx).unwrap()["seconds_until_idle_end"],
        )
    }
    let site = Site::start_with(config(), Router::new().route("/ctx", get(page))).await;
    let b = site.browser();
    let anonymous = b.get("/ctx").await.body;
    assert_eq!(anonymous, "false|0|0|true||0");
    b.login().await;
    site.advance(20_000);
    let body = b.get("/ctx").await.body;
    let parts: Vec<&str> = body.split('|').collect();
    assert_eq!(parts[..4], ["true", "60", "280", "false"], "{body}");
    assert!(parts[4].starts_with("<script data-auto-logout data-idle-ms=\"60000\""));
    assert!(parts[4].contains(&format!(
        r#"src="/auto-logout/{}""#,
        auto_logout::assets::script_file_name()
    )));
    assert_eq!(parts[5], "60");
}

#[tokio::test]
async fn the_handle_logs_in_outside_a_request_with_the_layers_clock() {
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(MemoryStore::default());
    let layer = AutoLogoutLayer::new(config(), &store).with_clock(clock.clone());
    let handle = layer.handle();
    assert_eq!(handle.now(), T0);
    let session = Session::new(None, Arc::new(store.clone()), None);
    handle.login(&session).await.unwrap();
    session.save().await.unwrap();
    let stored: String = session.get(Stamps::SESSION_KEY).await.unwrap().unwrap();
    assert_eq!(Stamps::decode(&stored).unwrap(), Stamps::at_login(T0));
    assert_eq!(
        layer.script_path(),
        format!("/auto-logout/{}", auto_logout::assets::script_file_name())
    );
}

#[tokio::test]
async fn pages_of_a_tracked_session_are_not_stored_by_the_browser() {
    async fn own_policy() -> impl axum::response::IntoResponse {
        (
            [("cache-control", "private, max-age=60")],
            "cached by choice",
        )
    }
    let config = Config::builder()
        .idle_time(60)
        .passive_path("/static/")
        .build()
        .unwrap();
    let site = Site::start_with(config, Router::new().route("/own", get(own_policy))).await;
    let b = site.browser();
    // Anonymous: the layer leaves caching alone.
    assert_eq!(b.get("/public").await.header("cache-control"), None);
    assert_eq!(b.get("/login").await.header("cache-control"), None);

    b.login().await;
    for path in ["/", "/public"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.header("cache-control"), Some("no-store"), "{path}");
    }
    // The handler's own choice stands.
    assert_eq!(
        b.get("/own").await.header("cache-control"),
        Some("private, max-age=60")
    );
    // Passive requests (a static file under PASSIVE_PATHS, a request marked
    // passive) keep their caching.
    assert_eq!(
        b.get("/static/demo.css").await.header("cache-control"),
        None
    );
    let passive = b
        .get_with("/public", &[("x-auto-logout-passive", "1")])
        .await;
    assert_eq!(passive.status, 200);
    assert_eq!(passive.header("cache-control"), None);

    // Signed out: anonymous again.
    assert_eq!(b.post_form("/logout", &[]).await.status, 303);
    assert_eq!(b.get("/public").await.header("cache-control"), None);
}

/// Where `MessagesManagerLayer` sits: inside the auto-logout layer (the
/// recommended order, sessions → auto-logout → messages) or outside it.
#[derive(Clone, Copy, Debug)]
enum MessagesLayer {
    Inside,
    Outside,
}

/// A small app of its own (not the demo) in either layer order: `/` needs a
/// login and sends anonymous visitors to `/login`, which lists the flashed
/// messages and the expiry message it shows itself
/// (`AutoLogoutContext::expiry_message`) as `class="message"` elements.
fn ordered_app<S: tower_sessions::SessionStore + Clone>(
    order: MessagesLayer,
    config: Config,
    store: AutoLogoutStore<S>,
    clock: &ManualClock,
) -> Router {
    use axum::response::{IntoResponse, Redirect};
    use axum_messages::{Messages, MessagesManagerLayer};
    async fn home(session: Session) -> axum::response::Response {
        match session.get::<String>("user").await {
            Ok(Some(_)) => "signed in".into_response(),
            Ok(None) => Redirect::to("/login").into_response(),
            Err(e) => {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
            }
        }
    }
    async fn login_form(messages: Messages, ctx: AutoLogoutContext) -> String {
        let here = ctx.expiry_message().map(str::to_owned);
        messages
            .map(|m| m.message)
            .chain(here)
            .map(|m| format!(r#"<p class="message">{m}</p>"#))
            .collect()
    }
    async fn login(auto_logout: AutoLogout, session: Session) -> axum::response::Response {
        session.insert("user", "demo").await.unwrap();
        auto_logout.login(&session).await.unwrap();
        Redirect::to("/").into_response()
    }
    let routes = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login));
    let auto_logout = AutoLogoutLayer::new(config, &store).with_clock(clock.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(support::app::SESSION_COOKIE)
        .with_secure(false);
    match order {
        MessagesLayer::Inside => routes
            .layer(MessagesManagerLayer)
            .layer(auto_logout)
            .layer(sessions),
        MessagesLayer::Outside => routes
            .layer(auto_logout)
            .layer(MessagesManagerLayer)
            .layer(sessions),
    }
}

/// Once, in both layer orders, with and without `LOGIN_URL` (with it, the
/// login page's own expired request is not flashed: the page shows it).
#[tokio::test]
async fn the_expiry_message_is_shown_in_both_layer_orders() {
    for (order, login_url) in [
        (MessagesLayer::Inside, false),
        (MessagesLayer::Outside, false),
        (MessagesLayer::Inside, true),
        (MessagesLayer::Outside, true),
    ] {
        let order = (order, login_url);
        let clock = ManualClock::new(T0);
        let store = AutoLogoutStore::new(MemoryStore::default());
        let config = if login_url {
            with_login_url()
        } else {
            config()
        };
        let app = ordered_app(order.0, config, store, &clock);
        let addr = support::app::spawn(app, "127.0.0.1:0").await.unwrap();

        // Expired, then the app's own guard sends the visitor to /login,
        // which shows the message once.
        let b = Browser::new(addr);
        b.login().await;
        assert!(b.signed_in().await, "{order:?}");
        clock.advance(std::time::Duration::from_millis(60_001));
        let home = b.get("/").await;
        assert_eq!(home.status, 303, "{order:?}: {home:?}");
        let to_login = if login_url {
            "/login?next=%2F"
        } else {
            "/login"
        };
        assert_eq!(home.location(), Some(to_login), "{order:?}");
        assert_eq!(
            b.get("/login").await.messages(),
            vec![DEFAULT_MESSAGE.to_owned()],
            "{order:?}"
        );
        assert!(b.get("/login").await.messages().is_empty(), "{order:?}");
        assert!(!b.signed_in().await, "{order:?}");

        // Expired while on the login page: shown on that very request.
        let c = Browser::new(addr);
        c.login().await;
        clock.advance(std::time::Duration::from_millis(60_001));
        assert_eq!(
            c.get("/login").await.messages(),
            vec![DEFAULT_MESSAGE.to_owned()],
            "{order:?}"
        );
        assert!(c.get("/login").await.messages().is_empty(), "{order:?}");
        assert!(!c.signed_in().await, "{order:?}");

        // And a new login works as before.
        c.login().await;
        assert!(c.signed_in().await, "{order:?}");
    }
}

/// A `MemoryStore` that can be made to fail every call, or to never answer.
#[derive(Clone, Debug, Default)]
struct Outage {
    inner: MemoryStore,
    /// 0: works, 1: every call fails, 2: every call hangs.
    mode: Arc<std::sync::atomic::AtomicU8>,
}

impl Outage {
    const WORKS: u8 = 0;
    const FAILS: u8 = 1;
    const HANGS: u8 = 2;

    fn set(&self, mode: u8) {
        self.mode.store(mode, std::sync::atomic::Ordering::SeqCst);
    }

    async fn check(&self) -> tower_sessions::session_store::Result<()> {
        match self.mode.load(std::sync::atomic::Ordering::SeqCst) {
            Outage::FAILS => Err(tower_sessions::session_store::Error::Backend(
                "connection refused".to_owned(),
            )),
            Outage::HANGS => std::future::pending().await,
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for Outage {
    async fn create(
        &self,
        record: &mut tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check().await?;
        self.inner.create(record).await
    }
    async fn save(
        &self,
        record: &tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check().await?;
        self.inner.save(record).await
    }
    async fn load(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
        self.check().await?;
        self.inner.load(id).await
    }
    async fn delete(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<()> {
        self.check().await?;
        self.inner.delete(id).await
    }
}

/// The wrapper's time limit in the outage test.
const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(300);

#[tokio::test]
async fn a_failing_store_gets_the_layers_503_when_it_reads_the_session_first() {
    let outage = Outage::default();
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(outage.clone()).with_timeout(STORE_TIMEOUT);
    let addr = support::app::spawn(
        ordered_app(MessagesLayer::Inside, config(), store, &clock),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let b = Browser::new(addr);
    b.login().await;
    assert!(b.signed_in().await);
    let signed_in_as = b.session_id().unwrap();

    // The store refuses: the layer's 503 at once, not cached.
    outage.set(Outage::FAILS);
    for path in ["/", "/login", "/auto-logout/status"] {
        let (page, took) = b.timed_get_with(path, &[]).await;
        assert_eq!(page.status, 503, "{path}: {page:?}");
        assert_eq!(page.body, "auto-logout: the session store failed");
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(took < std::time::Duration::from_secs(1), "{path}: {took:?}");
    }

    // The store never answers: the same 503 once the wrapper's limit is
    // reached — not before (it waited for the store), not much after.
    outage.set(Outage::HANGS);
    let (page, took) = b.timed_get_with("/", &[]).await;
    assert_eq!(page.status, 503, "{page:?}");
    assert_eq!(page.body, "auto-logout: the session store failed");
    assert!(took >= STORE_TIMEOUT, "{took:?}");
    assert!(
        took < STORE_TIMEOUT + std::time::Duration::from_secs(1),
        "{took:?}"
    );

    // The store is back: the same session is served again, as it was.
    outage.set(Outage::WORKS);
    assert!(b.signed_in().await);
    assert_eq!(b.session_id(), Some(signed_in_as));
    clock.advance(std::time::Duration::from_millis(60_001));
    assert!(!b.signed_in().await, "the limits still hold");
    assert_eq!(
        b.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
}

/// Why the order matters: with axum-messages outside, it reads the session
/// first and answers a store failure with its own empty `500`.
#[tokio::test]
async fn with_axum_messages_outside_a_failing_store_gets_its_500() {
    let outage = Outage::default();
    let clock = ManualClock::new(T0);
    let store = AutoLogoutStore::new(outage.clone()).with_timeout(STORE_TIMEOUT);
    let addr = support::app::spawn(
        ordered_app(MessagesLayer::Outside, config(), store, &clock),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let b = Browser::new(addr);
    b.login().await;
    outage.set(Outage::FAILS);
    let page = b.get("/").await;
    assert_eq!(page.status, 500, "{page:?}");
    assert_eq!(page.body, "");
    outage.set(Outage::WORKS);
    assert!(b.signed_in().await);
}
