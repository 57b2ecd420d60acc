//! Corners no other test reaches, on both demos (axum and actix-web) where
//! the rule is the integrations' shared one:
//!
//! - with `LOGIN_URL` set, an expired `keepalive`, and an expired `status`
//!   fetched as a page navigation, still answer JSON (never a `303`);
//! - a `LOGIN_URL` with its own query (`/login?lang=en`): the redirect adds
//!   `next` with `&`, and the login page itself stays exempt;
//! - axum without `MessagesManagerLayer`: an expiry neither panics nor
//!   fails, and the session still ends.

use crate::support;

use crate::actix_support;

use actix_support::ActixSite;
use auto_logout::Config;
use support::app::DEFAULT_MESSAGE;
use support::{Browser, Site};

const KEEPALIVE: &str = "/auto-logout/keepalive";
const STATUS: &str = "/auto-logout/status";

fn config(login_url: &str) -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url(login_url)
        .build()
        .unwrap()
}

/// A site under test: a new browser, and the clock.
trait Target {
    fn browser(&self) -> Browser;
    fn advance(&self, millis: u64);
}

impl Target for Site {
    fn browser(&self) -> Browser {
        Site::browser(self)
    }
    fn advance(&self, millis: u64) {
        Site::advance(self, millis)
    }
}

impl Target for ActixSite {
    fn browser(&self) -> Browser {
        ActixSite::browser(self)
    }
    fn advance(&self, millis: u64) {
        ActixSite::advance(self, millis)
    }
}

/// A signed-in browser.
async fn signed_in(site: &dyn Target) -> Browser {
    let b = site.browser();
    b.login().await;
    b
}

fn assert_json_idle_out(res: &support::Page, what: &str) {
    assert_eq!(res.status, 200, "{what}: {res:?}");
    assert_eq!(res.location(), None, "{what}: {res:?}");
    assert_eq!(res.header("hx-redirect"), None, "{what}: {res:?}");
    assert_eq!(
        res.header("content-type"),
        Some("application/json"),
        "{what}: {res:?}"
    );
    assert_eq!(res.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(
        res.json(),
        serde_json::json!({"active": false, "reason": "idle"}),
        "{what}"
    );
}

/// With `LOGIN_URL`, the endpoints answer an expiry in JSON whatever the
/// request looks like: the script reads the reason and shows the message.
async fn expired_endpoints_answer_json_with_login_url(site: &dyn Target) {
    let keepalive = signed_in(site).await;
    let status_page = signed_in(site).await;
    let status_htmx = signed_in(site).await;
    site.advance(60_001);

    let res = keepalive
        .send(
            keepalive
                .client
                .post(keepalive.url(KEEPALIVE))
                .header("x-auto-logout", "1")
                .header("sec-fetch-mode", "cors"),
        )
        .await;
    assert_json_idle_out(&res, "expired keepalive");
    // The keepalive ended the session: the next page is anonymous, and the
    // login page shows the message once.
    assert_eq!(keepalive.get("/public").await.status, 200);
    assert_eq!(
        keepalive.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );

    // The status URL opened as a page (a navigation) is JSON too, not a redirect.
    let res = status_page
        .get_with(
            STATUS,
            &[
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
                ("accept", "text/html,application/xhtml+xml"),
            ],
        )
        .await;
    assert_json_idle_out(&res, "expired status as a navigation");
    let res = status_htmx
        .get_with(
            STATUS,
            &[("hx-request", "true"), ("sec-fetch-mode", "cors")],
        )
        .await;
    assert_json_idle_out(&res, "expired status from htmx");
}

/// `LOGIN_URL` with a query of its own: `next` joins it with `&`, every kind
/// of answer names the same URL, and the login page under it is not
/// redirected to itself.
async fn login_url_with_a_query(site: &dyn Target) {
    let page = signed_in(site).await;
    let fetch = signed_in(site).await;
    let htmx = signed_in(site).await;
    let login_page = signed_in(site).await;
    site.advance(60_001);

    let res = page.get("/public?tab=2").await;
    assert_eq!(res.status, 303, "{res:?}");
    assert_eq!(
        res.location(),
        Some("/login?lang=en&next=%2Fpublic%3Ftab%3D2")
    );
    // Following it: the login page is served, with the message.
    let res = page.get("/login?lang=en&next=%2Fpublic%3Ftab%3D2").await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.messages(), vec![DEFAULT_MESSAGE.to_owned()]);

    let res = fetch
        .get_with("/", &[("sec-fetch-mode", "cors"), ("accept", "*/*")])
        .await;
    assert_eq!(res.status, 401, "{res:?}");
    assert_eq!(
        res.json(),
        serde_json::json!({"error": "session_expired", "reason": "idle", "login": "/login?lang=en"})
    );

    let res = htmx
        .get_with("/", &[("hx-request", "true"), ("sec-fetch-mode", "cors")])
        .await;
    assert_eq!(
        res.header("hx-redirect"),
        Some("/login?lang=en&next=%2F"),
        "{res:?}"
    );

    // The login page itself, with its own query and no `next`: exempt.
    let res = login_page.get("/login?lang=en").await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.location(), None);
    assert_eq!(res.messages(), vec![DEFAULT_MESSAGE.to_owned()]);
}

#[tokio::test]
async fn axum_expired_keepalive_and_status_answer_json_with_login_url() {
    let site = Site::start(config("/login")).await;
    expired_endpoints_answer_json_with_login_url(&site).await;
}

#[tokio::test]
async fn actix_expired_keepalive_and_status_answer_json_with_login_url() {
    let site = ActixSite::start(config("/login"));
    expired_endpoints_answer_json_with_login_url(&site).await;
}

#[tokio::test]
async fn axum_login_url_with_a_query_keeps_it_and_stays_exempt() {
    let site = Site::start(config("/login?lang=en")).await;
    login_url_with_a_query(&site).await;
}

#[tokio::test]
async fn actix_login_url_with_a_query_keeps_it_and_stays_exempt() {
    let site = ActixSite::start(config("/login?lang=en"));
    login_url_with_a_query(&site).await;
}

/// axum without `MessagesManagerLayer` (an app that shows no flash
/// messages): an expiry does not panic or fail, the old record is deleted,
/// the request goes on as anonymous, and the server keeps answering.
#[tokio::test]
async fn axum_expiry_without_messages_layer_still_ends_the_session() {
    use auto_logout::axum::{AutoLogout, AutoLogoutLayer, AutoLogoutStore};
    use auto_logout::{ManualClock, Stamps};
    use axum::Router;
    use axum::routing::{get, post};
    use tower_sessions::{Session, SessionManagerLayer};

    async fn home(session: Session) -> String {
        match session.get::<String>("user").await.unwrap() {
            Some(user) => format!("hello {user}"),
            None => "nobody".to_owned(),
        }
    }
    async fn login(session: Session, auto_logout: AutoLogout) -> &'static str {
        session.insert("user", "ada").await.unwrap();
        auto_logout.login(&session).await.unwrap();
        "ok"
    }

    let clock = ManualClock::new(support::T0);
    let store = support::CountingStore::default();
    let wrapped = AutoLogoutStore::new(store.clone());
    let app = Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .layer(
            AutoLogoutLayer::new(
                Config::builder()
                    .idle_time(60)
                    .session_time(300)
                    .message(DEFAULT_MESSAGE)
                    .build()
                    .unwrap(),
                &wrapped,
            )
            .with_clock(clock.clone()),
        )
        .layer(SessionManagerLayer::new(wrapped).with_secure(false));
    let addr = support::app::spawn(app, "127.0.0.1:0").await.unwrap();
    let b = Browser::new(addr);
    assert_eq!(b.post_form("/login", &[]).await.body, "ok");
    let id = b.session_id().expect("a session cookie");
    assert!(store.stored_stamps(id).await.is_some());
    assert_eq!(b.get("/").await.body, "hello ada");

    clock.advance(std::time::Duration::from_millis(60_001));
    let res = b.get("/").await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body, "nobody", "the request went on as anonymous");
    assert!(
        store.record(id).await.is_none(),
        "the old record is deleted"
    );
    assert_eq!(b.get("/").await.body, "nobody", "final");
    // Whatever the layer kept for a messages layer, it holds no login.
    if let Some(new_id) = b.session_id().filter(|new| *new != id) {
        let record = store.record(new_id).await;
        let data = record.map(|r| r.data).unwrap_or_default();
        assert!(!data.contains_key("user"), "{data:?}");
        assert!(!data.contains_key(Stamps::SESSION_KEY), "{data:?}");
    }
    // And a new login works as before.
    assert_eq!(b.post_form("/login", &[]).await.body, "ok");
    assert_eq!(b.get("/").await.body, "hello ada");
}
