//! With axum-login 0.18 (feature `axum-login`): no call at login, and an
//! expiry logs the `AuthSession` out, over real HTTP with an injected clock.

use crate::support;

use std::collections::HashMap;

use auto_logout::axum::AutoLogoutLayer;
use auto_logout::{Config, ManualClock, Stamps};
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend};
use axum_messages::{Messages, MessagesManagerLayer};
use support::{Browser, CountingStore, T0, decode};
use tower_sessions::SessionManagerLayer;

const MESSAGE: &str = "Signed out after a minute without activity.";

#[derive(Clone, Debug)]
struct User {
    id: i64,
    name: &'static str,
    password: &'static str,
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        self.password.as_bytes()
    }
}

#[derive(Clone, Debug)]
struct Users(HashMap<i64, User>);

#[derive(Clone, Debug, serde::Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

impl AuthnBackend for Users {
    type User = User;
    type Credentials = Credentials;
    type Error = std::convert::Infallible;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Self::Error> {
        Ok(self
            .0
            .values()
            .find(|u| u.name == creds.username && u.password == creds.password)
            .cloned())
    }

    async fn get_user(&self, id: &i64) -> Result<Option<User>, Self::Error> {
        Ok(self.0.get(id).cloned())
    }
}

type Auth = AuthSession<Users>;

async fn login(mut auth: Auth, axum::Form(creds): axum::Form<Credentials>) -> Response {
    match auth.authenticate(creds).await {
        // No auto-logout call: the layer sees the login.
        Ok(Some(user)) => match auth.login(&user).await {
            Ok(()) => Redirect::to("/").into_response(),
            Err(_) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "login").into_response(),
        },
        _ => (axum::http::StatusCode::UNAUTHORIZED, "wrong").into_response(),
    }
}

async fn home(auth: Auth) -> Response {
    match auth.user {
        Some(user) => format!("hello {}", user.name).into_response(),
        None => Redirect::to("/login?next=/").into_response(),
    }
}

async fn login_page(messages: Messages) -> String {
    messages
        .map(|m| format!(r#"<p class="message">{}</p>"#, m.message))
        .collect()
}

async fn logout(mut auth: Auth) -> Redirect {
    let _ = auth.logout().await;
    Redirect::to("/login")
}

struct Site {
    browser_addr: std::net::SocketAddr,
    clock: ManualClock,
    store: CountingStore,
    handle: auto_logout::axum::AutoLogout,
}

async fn start() -> Site {
    start_keyed(None).await
}

/// The app with axum-login's default session key, or with both layers told
/// the same `data_key`.
async fn start_keyed(data_key: Option<&'static str>) -> Site {
    let users = Users(HashMap::from([
        (
            1,
            User {
                id: 1,
                name: "ada",
                password: "ada",
            },
        ),
        (
            2,
            User {
                id: 2,
                name: "bob",
                password: "bob",
            },
        ),
    ]));
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let clock = ManualClock::new(T0);
    let store = CountingStore::default();
    let wrapped = auto_logout::axum::AutoLogoutStore::new(store.clone());
    let sessions = SessionManagerLayer::new(wrapped.clone()).with_secure(false);
    let layer = match data_key {
        None => AutoLogoutLayer::new(config, &wrapped)
            .with_clock(clock.clone())
            .with_axum_login::<Users>(),
        Some(key) => AutoLogoutLayer::new(config, &wrapped)
            .with_clock(clock.clone())
            .with_axum_login_data_key::<Users>(key),
    };
    let handle = layer.handle();
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .layer(layer)
        .layer(MessagesManagerLayer)
        .layer(match data_key {
            None => AuthManagerLayerBuilder::new(users, sessions).build(),
            Some(key) => AuthManagerLayerBuilder::new(users, sessions)
                .with_data_key(key)
                .build(),
        });
    let browser_addr = support::app::spawn(app, "127.0.0.1:0").await.unwrap();
    Site {
        browser_addr,
        clock,
        store,
        handle,
    }
}

impl Site {
    fn browser(&self) -> Browser {
        Browser::new(self.browser_addr)
    }

    fn advance(&self, ms: u64) {
        self.clock.advance(std::time::Duration::from_millis(ms));
    }
}

async fn sign_in(b: &Browser, name: &str) {
    let res = b
        .post_form("/login", &[("username", name), ("password", name)])
        .await;
    assert_eq!(res.status, 303, "{res:?}");
}

fn session_id(b: &Browser) -> tower_sessions::session::Id {
    use reqwest::cookie::CookieStore;
    use std::str::FromStr;
    let url = b.url("/").parse().unwrap();
    let header = b.jar.cookies(&url).unwrap();
    let value = header.to_str().unwrap().strip_prefix("id=").unwrap();
    tower_sessions::session::Id::from_str(value).unwrap()
}

#[tokio::test]
async fn an_axum_login_login_starts_the_clocks_without_a_call() {
    let site = start().await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    let id = session_id(&b);
    let stamps = decode(&site.store.stored_stamps(id).await.expect("stamps at login"));
    assert_eq!(stamps, Stamps::at_login(T0));
    assert_eq!(b.get("/").await.body, "hello ada");
}

#[tokio::test]
async fn an_expiry_logs_the_auth_session_out_and_flashes_the_message() {
    let site = start().await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    site.advance(30_000);
    assert_eq!(b.get("/").await.body, "hello ada");
    site.advance(60_001);
    // The handler's AuthSession says nobody: its own guard redirects.
    let res = b.get("/").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/login?next=/"));
    assert_eq!(b.get("/login").await.messages(), vec![MESSAGE.to_owned()]);
    assert!(b.get("/login").await.messages().is_empty());
    assert_eq!(b.get("/").await.status, 303, "final");
}

#[tokio::test]
async fn each_sessions_absolute_limit_is_its_own() {
    let site = start().await;
    let laptop = site.browser();
    sign_in(&laptop, "ada").await;
    site.advance(50_000);
    assert_eq!(laptop.get("/").await.status, 200);
    site.advance(50_000);
    assert_eq!(laptop.get("/").await.status, 200);
    let phone = site.browser();
    sign_in(&phone, "ada").await; // same user, T0 + 100 s
    for _ in 0..4 {
        site.advance(50_000);
        assert_eq!(laptop.get("/").await.status, 200);
        assert_eq!(phone.get("/").await.status, 200);
    }
    site.advance(1);
    assert_eq!(
        laptop.get("/").await.status,
        303,
        "300.001 s after its login"
    );
    assert_eq!(phone.get("/").await.status, 200);
}

#[tokio::test]
async fn a_new_user_on_the_same_session_restarts_the_clocks() {
    let site = start().await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    site.advance(40_000);
    sign_in(&b, "bob").await; // axum-login keeps the id here; the user changed
    let stamps = decode(&site.store.stored_stamps(session_id(&b)).await.unwrap());
    assert_eq!(stamps.login_at(), T0.saturating_add_millis(40_000));
    assert_eq!(b.get("/").await.body, "hello bob");
}

#[tokio::test]
async fn a_signed_in_session_without_stamps_is_tracked_from_now_on() {
    let site = start().await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    let id = session_id(&b);
    // As if signed in before the layer was installed.
    let mut record = site.store.record(id).await.unwrap();
    record.data.remove(Stamps::SESSION_KEY);
    tower_sessions::SessionStore::save(&site.store.inner, &record)
        .await
        .unwrap();
    site.advance(1_000_000);
    assert_eq!(
        b.get("/").await.body,
        "hello ada",
        "not logged out for the past"
    );
    let stamps = decode(&site.store.stored_stamps(id).await.unwrap());
    assert_eq!(stamps.login_at(), T0.saturating_add_millis(1_000_000));
    site.advance(60_001);
    assert_eq!(b.get("/").await.status, 303);
}

#[tokio::test]
async fn axum_login_logout_is_final() {
    let site = start().await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    let id = session_id(&b);
    assert_eq!(b.post_form("/logout", &[]).await.status, 303);
    assert!(site.store.record(id).await.is_none());
    assert_eq!(b.get("/").await.status, 303);
}

/// `AuthManagerLayerBuilder::with_data_key` moves axum-login's record in the
/// session; `with_axum_login_data_key` with the same key finds it: the login
/// starts the clocks (stamps stored, none under the default key's record),
/// and an expiry logs the `AuthSession` out.
#[tokio::test]
async fn with_axum_login_data_key_follows_a_custom_data_key() {
    const KEY: &str = "app.auth";
    let site = start_keyed(Some(KEY)).await;
    let b = site.browser();
    sign_in(&b, "ada").await;
    let id = session_id(&b);
    let record = site.store.record(id).await.expect("a stored session");
    assert!(record.data.contains_key(KEY), "{:?}", record.data);
    assert!(
        !record.data.contains_key("axum-login.data"),
        "{:?}",
        record.data
    );
    let stamps = decode(&site.store.stored_stamps(id).await.expect("stamps at login"));
    assert_eq!(stamps, Stamps::at_login(T0));

    site.advance(59_000);
    assert_eq!(b.get("/").await.body, "hello ada");
    site.advance(60_001);
    let res = b.get("/").await;
    assert_eq!(res.status, 303, "{res:?}");
    assert_eq!(res.location(), Some("/login?next=/"));
    assert_eq!(b.get("/login").await.messages(), vec![MESSAGE.to_owned()]);
    assert_eq!(b.get("/").await.status, 303, "final");
}

#[tokio::test]
async fn an_axum_login_login_is_indexed_under_its_user_id() {
    let site = start().await;
    let (first, second, bob) = (site.browser(), site.browser(), site.browser());
    sign_in(&first, "ada").await;
    sign_in(&second, "ada").await;
    sign_in(&bob, "bob").await;
    // axum-login's user id (1 for ada), as text: both of ada's sessions.
    let listed = site.handle.sessions_of("1").await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|s| s.login_at == T0 && !s.current));
    assert_eq!(site.handle.log_out_everywhere("1").await.unwrap(), 2);
    for b in [&first, &second] {
        // Signed out: axum-login's guard sends the user to sign in, where
        // the message (MESSAGE, no REVOKED_MESSAGE set) is shown.
        let page = b.get("/").await;
        assert_eq!(page.location(), Some("/login?next=/"), "revoked: {page:?}");
        assert!(b.get("/login").await.body.contains(MESSAGE));
    }
    assert_eq!(bob.get("/").await.body, "hello bob");
    assert!(site.handle.sessions_of("1").await.unwrap().is_empty());
    assert_eq!(site.handle.sessions_of("2").await.unwrap().len(), 1);
}
