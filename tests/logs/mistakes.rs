//! Mistakes fail loudly, on both stacks, and the actix demo is the axum demo
//! for every client.
//!
//! Every order of the session, auto-logout and messages middleware, over real
//! HTTP, each row of the README's table "Mistakes and what you see": the
//! status, the body and the line in the server log (a subscriber installed
//! for this test binary records every event, and the text `fmt` writes). Then
//! the flash cookie of the actix demo over plain http with a client that
//! honours `Secure`, and the README's two-instance Redis commands on both
//! demos (a real `redis-server`; without one the test says so loudly and
//! passes, unless `AUTO_LOGOUT_REQUIRE_E2E=1`).

use crate::support;

use crate::actix_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_session::{Session as ActixSession, SessionMiddleware};
use actix_support::{ActixSite, app as actix_app};
use actix_web::cookie::Key;
use actix_web::{App, HttpResponse, HttpServer, web};
use actix_web_flash_messages::storage::CookieMessageStore;
use actix_web_flash_messages::{FlashMessagesFramework, IncomingFlashMessages};
use auto_logout::engine::{Framework, Mistake};
use auto_logout::{Config, ManualClock};
use axum::Router;
use axum::routing::get;
use support::{Browser, Page, RedisServer, Site, T0, app};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

use crate::server_log::listen;

// ---------------------------------------------------------------------------
// The apps: the same pages on both stacks, the layers in any order

const MESSAGE: &str = "Signed out after a minute without activity.";

/// No `LOGIN_URL`: an expired request goes on to the app, whose login guard
/// sends it to `/login`, where the flashed message shows.
fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .message(MESSAGE)
        .build()
        .unwrap()
}

/// The session layer, the auto-logout layer and the messages layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum L {
    S,
    A,
    M,
}

/// What the session layer is given: the store the auto-logout layer was
/// given, or another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    Same,
    Other,
}

/// An axum app with `order` outermost first (`Router::layer` adds them
/// innermost first): `/` needs a login, `/login` lists the flashed messages
/// and signs in on `POST`.
async fn axum_site(order: &[L], store: Store) -> (SocketAddr, ManualClock) {
    use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore};
    use axum::response::{IntoResponse, Redirect, Response};
    use axum_messages::{Messages, MessagesManagerLayer};

    async fn home(session: Session) -> Response {
        match session.get::<String>("user").await {
            Ok(Some(_)) => "signed in".into_response(),
            _ => Redirect::to("/login").into_response(),
        }
    }
    async fn login_form(messages: Messages, ctx: Option<AutoLogoutContext>) -> String {
        let here = ctx.and_then(|ctx| ctx.expiry_message().map(str::to_owned));
        let shown: String = messages
            .map(|m| m.message)
            .chain(here)
            .map(|m| format!(r#"<p class="message">{m}</p>"#))
            .collect();
        format!("login{shown}")
    }
    async fn login(auto_logout: AutoLogout, session: Session) -> Response {
        session.insert("user", "demo").await.unwrap();
        auto_logout.login(&session).await.unwrap();
        Redirect::to("/").into_response()
    }

    let clock = ManualClock::new(T0);
    let guarded = AutoLogoutStore::new(MemoryStore::default());
    let auto_logout = AutoLogoutLayer::new(config(), &guarded).with_clock(clock.clone());
    let same = SessionManagerLayer::new(guarded).with_secure(false);
    let other = SessionManagerLayer::new(MemoryStore::default()).with_secure(false);
    let mut router = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login));
    for layer in order.iter().rev() {
        router = match (layer, store) {
            (L::S, Store::Same) => router.layer(same.clone()),
            (L::S, Store::Other) => router.layer(other.clone()),
            (L::A, _) => router.layer(auto_logout.clone()),
            (L::M, _) => router.layer(MessagesManagerLayer),
        };
    }
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    (addr, clock)
}

/// What an actix app is built from.
#[derive(Clone)]
struct Parts {
    store: auto_logout::actix::AutoLogoutStore<actix_app::MemoryStore>,
    other: actix_app::MemoryStore,
    key: Key,
    clock: ManualClock,
}

impl Parts {
    fn new() -> Parts {
        Parts {
            store: auto_logout::actix::AutoLogoutStore::new(actix_app::MemoryStore::default()),
            other: actix_app::MemoryStore::default(),
            key: Key::generate(),
            clock: ManualClock::new(T0),
        }
    }

    fn auto_logout(&self) -> auto_logout::actix::AutoLogoutMiddleware {
        auto_logout::actix::AutoLogoutMiddleware::new(config(), &self.store)
            .with_clock(self.clock.clone())
    }

    fn sessions(
        &self,
    ) -> SessionMiddleware<auto_logout::actix::AutoLogoutStore<actix_app::MemoryStore>> {
        SessionMiddleware::builder(self.store.clone(), self.key.clone())
            .cookie_secure(false)
            .build()
    }

    fn other_sessions(&self) -> SessionMiddleware<actix_app::MemoryStore> {
        SessionMiddleware::builder(self.other.clone(), self.key.clone())
            .cookie_secure(false)
            .build()
    }

    fn flash(&self) -> FlashMessagesFramework {
        use auto_logout::actix::KeepUnread;
        FlashMessagesFramework::builder(
            KeepUnread::new(CookieMessageStore::builder(self.key.clone()).build())
                .cookie_secure(false),
        )
        .build()
    }
}

async fn actix_home(session: ActixSession) -> HttpResponse {
    match session.get::<String>("user") {
        Ok(Some(_)) => HttpResponse::Ok().body("signed in"),
        _ => HttpResponse::SeeOther()
            .insert_header(("location", "/login"))
            .finish(),
    }
}

async fn actix_login_form(
    req: actix_web::HttpRequest,
    ctx: Option<auto_logout::actix::AutoLogoutContext>,
) -> HttpResponse {
    use actix_web::{FromRequest as _, HttpMessage as _};
    use actix_web_flash_messages::storage::FlashMessageStore;
    // The extractor panics without FlashMessagesFramework (one row has none).
    let installed = req
        .extensions()
        .get::<Arc<dyn FlashMessageStore>>()
        .is_some();
    let messages = match installed {
        true => IncomingFlashMessages::extract(&req).await.ok(),
        false => None,
    };
    let here = ctx.and_then(|ctx| ctx.expiry_message().map(str::to_owned));
    let shown: String = messages
        .iter()
        .flat_map(|m| m.iter().map(|m| m.content().to_owned()))
        .chain(here)
        .map(|m| format!(r#"<p class="message">{m}</p>"#))
        .collect();
    HttpResponse::Ok().body(format!("login{shown}"))
}

async fn actix_login(
    auto_logout: auto_logout::actix::AutoLogout,
    session: ActixSession,
) -> actix_web::Result<HttpResponse> {
    session.insert("user", "demo")?;
    auto_logout.login(&session)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/"))
        .finish())
}

fn actix_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(actix_home))
        .route("/login", web::get().to(actix_login_form))
        .route("/login", web::post().to(actix_login));
}

/// An actix app running on its own thread and system; stopped when dropped.
struct Running {
    addr: SocketAddr,
    clock: ManualClock,
    system: actix_web::rt::System,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.system.stop();
    }
}

/// Serves the app `$app` builds from `$p: &Parts` (its `.wrap` calls in the
/// order under test) on a free port.
macro_rules! actix_site {
    (|$p:ident| $app:expr) => {{
        let parts = Parts::new();
        let clock = parts.clock.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    let $p = &parts;
                    $app
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .bind("127.0.0.1:0")
                .unwrap();
                tx.send((server.addrs()[0], actix_web::rt::System::current()))
                    .unwrap();
                let _ = server.run().await;
            });
        });
        let (addr, system) = rx.recv().expect("the actix app starts");
        Running {
            addr,
            clock,
            system,
        }
    }};
}

/// The order (outermost first) of an actix app: `.wrap` adds them innermost
/// first. `App::wrap` changes the app's type, so each order is spelled out.
fn actix_site(order: &[L]) -> Running {
    let routes = || App::new().configure(actix_routes);
    match order {
        [L::S, L::M, L::A] => actix_site!(|p| routes()
            .wrap(p.auto_logout())
            .wrap(p.flash())
            .wrap(p.sessions())),
        [L::M, L::S, L::A] => actix_site!(|p| routes()
            .wrap(p.auto_logout())
            .wrap(p.sessions())
            .wrap(p.flash())),
        [L::S, L::A, L::M] => actix_site!(|p| routes()
            .wrap(p.flash())
            .wrap(p.auto_logout())
            .wrap(p.sessions())),
        [L::M, L::A, L::S] => actix_site!(|p| routes()
            .wrap(p.sessions())
            .wrap(p.auto_logout())
            .wrap(p.flash())),
        [L::A, L::S, L::M] => actix_site!(|p| routes()
            .wrap(p.flash())
            .wrap(p.sessions())
            .wrap(p.auto_logout())),
        [L::A, L::M, L::S] => actix_site!(|p| routes()
            .wrap(p.sessions())
            .wrap(p.flash())
            .wrap(p.auto_logout())),
        [L::M, L::A] => actix_site!(|p| routes().wrap(p.auto_logout()).wrap(p.flash())),
        [L::S, L::A] => actix_site!(|p| routes().wrap(p.auto_logout()).wrap(p.sessions())),
        other => panic!("no such actix app: {other:?}"),
    }
}

/// The recommended actix order, with `SessionMiddleware` given another store.
fn actix_site_other_store() -> Running {
    actix_site!(|p| App::new()
        .configure(actix_routes)
        .wrap(p.auto_logout())
        .wrap(p.flash())
        .wrap(p.other_sessions()))
}

/// Signs in, lets the idle limit pass, and follows the expiry to the login
/// page: the messages it shows.
async fn expire_and_read_message(b: &Browser, clock: &ManualClock) -> Vec<String> {
    let page = b.post_form("/login", &[]).await;
    assert_eq!(page.status, 303, "{page:?}");
    assert!(b.signed_in().await);
    clock.advance(Duration::from_millis(60_001));
    let page = b.get("/").await;
    assert_eq!(page.status, 303, "{page:?}");
    assert_eq!(page.location(), Some("/login"));
    b.get("/login").await.messages()
}

/// A mistake's answer: `500`, `no-store`, the fix as the body.
fn assert_answer(page: &Page, mistake: Mistake, framework: Framework) {
    assert_eq!(page.status, 500, "{page:?}");
    assert_eq!(page.body, mistake.fix(framework));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(
        page.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

// ---------------------------------------------------------------------------
// axum: every order of SessionManagerLayer, AutoLogoutLayer, MessagesManagerLayer

#[tokio::test]
async fn axum_sessions_outside_auto_logout_messages_either_side_work() {
    let (_turn, log) = listen().await;
    for order in [[L::S, L::A, L::M], [L::S, L::M, L::A]] {
        let (addr, clock) = axum_site(&order, Store::Same).await;
        let b = Browser::new(addr);
        assert_eq!(
            expire_and_read_message(&b, &clock).await,
            vec![MESSAGE.to_owned()],
            "{order:?}"
        );
        log.assert_none();
    }
}

#[tokio::test]
async fn axum_auto_logout_outside_the_session_layer_answers_500_and_logs() {
    let (_turn, log) = listen().await;
    for order in [&[L::A, L::S, L::M][..], &[L::A, L::M, L::S], &[L::A, L::M]] {
        let (addr, _clock) = axum_site(order, Store::Same).await;
        let b = Browser::new(addr);
        let page = b.get("/login").await;
        assert_answer(&page, Mistake::SessionLayerNotOutside, Framework::Axum);
        log.assert_one(Mistake::SessionLayerNotOutside, Framework::Axum);
        let page = b.post_form("/login", &[]).await;
        assert_answer(&page, Mistake::SessionLayerNotOutside, Framework::Axum);
        log.assert_one(Mistake::SessionLayerNotOutside, Framework::Axum);
        // The crate's own files need no session, and are served.
        let script = auto_logout::Config::builder()
            .build()
            .unwrap()
            .script_url()
            .to_owned();
        assert_eq!(b.get(&script).await.status, 200, "{order:?}");
        log.assert_none();
    }
}

#[tokio::test]
async fn axum_messages_outside_the_session_layer_is_axum_messages_own_empty_500() {
    let (_turn, log) = listen().await;
    // The fully reversed order and the other one with MessagesManagerLayer
    // first: it answers before this crate's layer is called, so the answer
    // and the line in the log are axum-messages' own.
    for order in [[L::M, L::A, L::S], [L::M, L::S, L::A]] {
        let (addr, _clock) = axum_site(&order, Store::Same).await;
        let page = Browser::new(addr).get("/login").await;
        assert_eq!(page.status, 500, "{order:?}: {page:?}");
        assert_eq!(page.body, "", "{order:?}");
        let theirs = log.of("axum_messages");
        assert_eq!(theirs.len(), 1, "{theirs:?}");
        assert_eq!(theirs[0].level, tracing::Level::ERROR);
        assert!(
            log.text().contains(
                "ERROR axum_messages: session not found in request extensions; \
                 do tower-sessions versions match?"
            ),
            "{}",
            log.text()
        );
        assert!(log.of("auto_logout").is_empty(), "{order:?}");
        log.clear();
    }
}

#[tokio::test]
async fn axum_a_session_layer_on_another_store_answers_500_and_logs() {
    let (_turn, log) = listen().await;
    let (addr, _clock) = axum_site(&[L::S, L::A, L::M], Store::Other).await;
    let b = Browser::new(addr);
    // Nothing stored yet: served. The login is stored, in the other store.
    assert_eq!(b.get("/login").await.status, 200);
    assert_eq!(b.post_form("/login", &[]).await.status, 303);
    log.assert_none();
    // The first request that loads it says why it cannot go on.
    assert_answer(&b.get("/").await, Mistake::StoreNotWrapped, Framework::Axum);
    log.assert_one(Mistake::StoreNotWrapped, Framework::Axum);
}

// ---------------------------------------------------------------------------
// actix-web: every order of SessionMiddleware, FlashMessagesFramework, AutoLogoutMiddleware

#[tokio::test]
async fn actix_sessions_and_messages_outside_auto_logout_work() {
    let (_turn, log) = listen().await;
    // The flash cookie needs no session: messages either side of sessions.
    for order in [[L::S, L::M, L::A], [L::M, L::S, L::A]] {
        let site = actix_site(&order);
        let b = Browser::new(site.addr);
        assert_eq!(
            expire_and_read_message(&b, &site.clock).await,
            vec![MESSAGE.to_owned()],
            "{order:?}"
        );
        log.assert_none();
    }
}

#[tokio::test]
async fn actix_auto_logout_outside_session_middleware_answers_500_and_logs() {
    let (_turn, log) = listen().await;
    for order in [
        &[L::M, L::A, L::S][..],
        &[L::A, L::S, L::M],
        &[L::A, L::M, L::S],
        // No SessionMiddleware at all.
        &[L::M, L::A],
    ] {
        let site = actix_site(order);
        let b = Browser::new(site.addr);
        let page = b.get("/login").await;
        assert_answer(&page, Mistake::SessionLayerNotOutside, Framework::Actix);
        log.assert_one(Mistake::SessionLayerNotOutside, Framework::Actix);
        let page = b.post_form("/login", &[]).await;
        assert_answer(&page, Mistake::SessionLayerNotOutside, Framework::Actix);
        log.assert_one(Mistake::SessionLayerNotOutside, Framework::Actix);
        // Before, it served the page and was silently off: never logged out.
        site.clock.advance(Duration::from_secs(3_600));
        assert_answer(
            &b.get("/").await,
            Mistake::SessionLayerNotOutside,
            Framework::Actix,
        );
        log.assert_one(Mistake::SessionLayerNotOutside, Framework::Actix);
    }
}

#[tokio::test]
async fn actix_auto_logout_outside_the_flash_middleware_answers_500_and_logs() {
    let (_turn, log) = listen().await;
    // SessionMiddleware, then AutoLogoutMiddleware, then FlashMessagesFramework:
    // the message of an expiry would be sent before its framework is there.
    let site = actix_site(&[L::S, L::A, L::M]);
    let b = Browser::new(site.addr);
    assert_answer(
        &b.get("/login").await,
        Mistake::MessagesNotOutside,
        Framework::Actix,
    );
    log.assert_one(Mistake::MessagesNotOutside, Framework::Actix);
    // An expired session: the message is lost, said once, and the page is the 500.
    let page = b.post_form("/login", &[]).await;
    assert_answer(&page, Mistake::MessagesNotOutside, Framework::Actix);
    log.assert_one(Mistake::MessagesNotOutside, Framework::Actix);
}

#[tokio::test]
async fn actix_without_a_flash_middleware_a_lost_message_is_logged() {
    let (_turn, log) = listen().await;
    let site = actix_site(&[L::S, L::A]);
    let b = Browser::new(site.addr);
    // Nothing to flash: served as usual.
    assert_eq!(b.get("/login").await.status, 200);
    assert_eq!(b.post_form("/login", &[]).await.status, 303);
    assert!(b.signed_in().await);
    log.assert_none();
    // The expiry is answered as usual; its message is lost, and the log says so.
    site.clock.advance(Duration::from_millis(60_001));
    let page = b.get("/").await;
    assert_eq!(page.status, 303, "{page:?}");
    log.assert_one(Mistake::MessagesNotOutside, Framework::Actix);
    assert!(b.get("/login").await.messages().is_empty());
    log.assert_none();
}

#[tokio::test]
async fn actix_a_session_middleware_on_another_store_answers_500_and_logs() {
    let (_turn, log) = listen().await;
    let site = actix_site_other_store();
    let b = Browser::new(site.addr);
    assert_eq!(b.get("/login").await.status, 200);
    assert_eq!(b.post_form("/login", &[]).await.status, 303);
    log.assert_none();
    assert_answer(
        &b.get("/").await,
        Mistake::StoreNotWrapped,
        Framework::Actix,
    );
    log.assert_one(Mistake::StoreNotWrapped, Framework::Actix);
}

// ---------------------------------------------------------------------------
// The actix demo is the axum demo for every client: the flash cookie

/// A cookie jar that honours `Secure` on plain http as a browser does on
/// `http://<LAN address>`: reqwest's jar, told every loopback URL is that
/// of a LAN host (the jar treats loopback as a secure context, as browsers
/// do for `localhost`, and would send `Secure` cookies to it).
struct LanJar(reqwest::cookie::Jar);

fn as_lan_host(url: &reqwest::Url) -> reqwest::Url {
    let mut lan = url.clone();
    lan.set_host(Some("demo.lan")).unwrap();
    lan
}

impl reqwest::cookie::CookieStore for LanJar {
    fn set_cookies(
        &self,
        headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>,
        url: &reqwest::Url,
    ) {
        self.0.set_cookies(headers, &as_lan_host(url));
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<reqwest::header::HeaderValue> {
        self.0.cookies(&as_lan_host(url))
    }
}

/// A browser on the LAN: [`LanJar`], redirects shown as they are.
struct LanBrowser {
    client: reqwest::Client,
    base: String,
}

impl LanBrowser {
    fn new(addr: SocketAddr) -> LanBrowser {
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::new(LanJar(reqwest::cookie::Jar::default())))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        LanBrowser {
            client,
            base: format!("http://{addr}"),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    async fn login(&self) -> Page {
        let form = [("username", "demo"), ("password", "demo"), ("next", "/")];
        self.send(self.client.post(format!("{}/login", self.base)).form(&form))
            .await
    }
}

/// The `Set-Cookie` values of `page` for the cookie `name`.
fn set_cookies<'p>(page: &'p Page, name: &str) -> Vec<&'p str> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{name}=")))
        .collect()
}

#[test]
fn the_lan_jar_keeps_secure_cookies_from_plain_http() {
    use reqwest::cookie::CookieStore;
    let jar = LanJar(reqwest::cookie::Jar::default());
    let url: reqwest::Url = "http://127.0.0.1:3000/".parse().unwrap();
    let set = [
        reqwest::header::HeaderValue::from_static("plain=1; Path=/"),
        reqwest::header::HeaderValue::from_static("secure=1; Path=/; Secure"),
    ];
    jar.set_cookies(&mut set.iter(), &url);
    assert_eq!(jar.cookies(&url).unwrap(), "plain=1");
    // reqwest's own jar on the loopback address sends both.
    let loopback = reqwest::cookie::Jar::default();
    loopback.set_cookies(&mut set.iter(), &url);
    let sent = loopback.cookies(&url).unwrap();
    assert!(sent.to_str().unwrap().contains("secure=1"), "{sent:?}");
}

/// After an automatic logout the sign-in page shows the message, on both
/// demos, to a client that honours `Secure` over plain http.
#[tokio::test]
async fn the_expiry_message_reaches_a_client_that_honours_secure_on_both_demos() {
    let (_turn, log) = listen().await;
    let config = || app::Settings::from_env(|_| None).unwrap().config;
    let axum = Site::start(config()).await;
    let actix = ActixSite::start(config());
    let sites: [(&str, SocketAddr, &ManualClock); 2] = [
        ("axum", axum.addr, &axum.clock),
        ("actix", actix.addr, &actix.clock),
    ];
    for (name, addr, clock) in sites {
        let b = LanBrowser::new(addr);
        let page = b.login().await;
        assert_eq!(page.status, 303, "{name}: {page:?}");
        assert_eq!(b.get("/").await.status, 200, "{name}: signed in");
        clock.advance(Duration::from_millis(60_001));
        let expired = b.get("/").await;
        assert_eq!(expired.status, 303, "{name}: {expired:?}");
        // The demos' own login guard (no LOGIN_URL by default).
        assert_eq!(expired.location(), Some("/login?next=/"), "{name}");
        let login = b.get("/login?next=/").await;
        assert_eq!(login.status, 200, "{name}");
        assert_eq!(
            login.messages(),
            vec![app::DEFAULT_MESSAGE.to_owned()],
            "{name}: the message after an automatic logout"
        );
        assert!(b.get("/login").await.messages().is_empty(), "{name}: once");
        // Neither cookie is Secure over plain http: the session cookie never
        // was, and the flash cookie (actix) follows it.
        for cookie in ["id", actix_app::FLASH_COOKIE] {
            for value in set_cookies(&expired, cookie) {
                assert!(!value.contains("Secure"), "{name}: {value}");
            }
        }
        if name == "actix" {
            assert_eq!(set_cookies(&expired, actix_app::FLASH_COOKIE).len(), 1);
        }
    }
    log.assert_none();
}

/// `KeepUnread::cookie_secure`: the message cookie's `Secure` attribute as
/// asked, the inner store's when not asked, other cookies untouched.
#[actix_web::test]
async fn keep_unread_sets_the_secure_attribute_of_its_cookie_only() {
    use actix_web::test;
    use actix_web_flash_messages::FlashMessage;
    use auto_logout::actix::KeepUnread;

    async fn send() -> HttpResponse {
        FlashMessage::info("hello").send();
        HttpResponse::Ok()
            .cookie(
                actix_web::cookie::Cookie::build("app", "1")
                    .secure(true)
                    .finish(),
            )
            .finish()
    }
    let key = Key::generate();
    let store = || CookieMessageStore::builder(key.clone()).build();
    for (secure, expected) in [(None, true), (Some(false), false), (Some(true), true)] {
        let store = match secure {
            None => KeepUnread::new(store()),
            Some(secure) => KeepUnread::new(store()).cookie_secure(secure),
        };
        let app = test::init_service(
            App::new()
                .route("/", web::get().to(send))
                .wrap(FlashMessagesFramework::builder(store).build()),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        let cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let flash = cookies.iter().find(|c| c.starts_with("_flash=")).unwrap();
        let app_cookie = cookies.iter().find(|c| c.starts_with("app=")).unwrap();
        assert_eq!(flash.contains("; Secure"), expected, "{secure:?}: {flash}");
        assert!(flash.contains("; HttpOnly"), "{flash}");
        assert!(app_cookie.contains("Secure"), "{secure:?}: {app_cookie}");
        assert_eq!(cookies.len(), 2, "{cookies:?}");
    }
}

// ---------------------------------------------------------------------------
// The README's two-instance commands, on both demos

/// `REDIS_URL=redis://… DEMO_ADDR=… cargo run --example demo` twice, and the
/// same for `actix_demo`, with no other variable: each instance connects its
/// own `RedisStore` and reads the settings from an environment with nothing
/// else set; each actix instance starts with a key of its own and takes the
/// one kept in Redis (`DEMO_SECRET_KEY` is not set), as `examples/actix_demo.rs`
/// does. Signed in on one instance, signed in on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_two_instance_redis_commands_work_for_both_demos() {
    use auto_logout::redis::RedisStore;
    let (_turn, log) = listen().await;
    let Some(redis) = RedisServer::start("tests/logs/mistakes.rs (two instances)") else {
        return;
    };
    let url = redis.url();
    let settings = || app::Settings::from_env(|_| None).unwrap();

    // The axum demo: `guarded_router_with` over `RedisStore::connect(REDIS_URL)`.
    let mut axum = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::connect(&url).await.expect("connects to redis");
        axum.push(support::serve_guarded(&settings(), store).await);
    }

    // The actix demo: its own actix system per instance, as a process has.
    let mut actix = Vec::new();
    let mut systems = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::connect(&url).await.expect("connects to redis");
        let key = actix_app::shared_cookie_key(&store, &Key::generate())
            .await
            .expect("the cookie key is kept in redis");
        let stack = actix_app::Stack::new(store, key);
        let (addr, system) = actix_support::spawn(settings(), stack, actix_app::no_routes);
        actix.push(addr);
        systems.push(system);
    }

    for (demo, [a, b]) in [
        ("demo", [axum[0], axum[1]]),
        ("actix_demo", [actix[0], actix[1]]),
    ] {
        // One browser, load-balanced over both instances.
        let on_a = Browser::new(a);
        let on_b = on_a.at(b);
        assert!(!on_b.signed_in().await, "{demo}");
        on_a.login().await;
        assert!(on_a.signed_in().await, "{demo}: signed in on A");
        assert!(on_b.signed_in().await, "{demo}: signed in on B too");
        // And the other way round, for a second user.
        let other_b = Browser::new(b);
        other_b.login().await;
        assert!(other_b.at(a).signed_in().await, "{demo}: B's login on A");
        // A sign-out on B is final on A.
        assert_eq!(on_b.post_form("/logout", &[]).await.status, 303, "{demo}");
        assert!(!on_a.signed_in().await, "{demo}: signed out on A");
        assert_eq!(
            on_a.get("/login").await.messages(),
            vec!["You have been signed out.".to_owned()],
            "{demo}"
        );
    }
    for system in systems {
        system.stop();
    }
    log.assert_none();
}

/// The README's table quotes what a request and the log say.
#[test]
fn the_readme_quotes_the_answers_and_the_log_line() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("### Mistakes and what you see")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README's section on mistakes");
    let mistake = Mistake::SessionLayerNotOutside;
    let line = format!(
        "ERROR auto_logout: {} event=\"setup_mistake\" mistake=\"{}\"",
        mistake.fix(Framework::Actix),
        mistake.name()
    );
    assert!(section.contains(&line), "{line}");
    for mistake in [
        Mistake::SessionLayerNotOutside,
        Mistake::StoreNotWrapped,
        Mistake::MessagesNotOutside,
    ] {
        for framework in [Framework::Axum, Framework::Actix] {
            if (mistake, framework) == (Mistake::MessagesNotOutside, Framework::Axum) {
                continue; // axum-messages answers that one itself
            }
            let fix = mistake.fix(framework);
            let opening = fix.split([',', ';']).next().unwrap();
            assert!(section.contains(opening), "{framework:?}: {opening}");
        }
    }
}
