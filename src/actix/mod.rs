//! actix-web integration: [`AutoLogoutMiddleware`], a middleware over
//! [actix-session] 0.11 that logs users out when a limit runs out, with the
//! same rules, endpoints and extractors as the axum integration.
//!
//! ```
//! use actix_session::{Session, SessionMiddleware, storage::CookieSessionStore};
//! use actix_web::{App, HttpResponse, cookie::Key, test, web};
//! use actix_web_flash_messages::{FlashMessagesFramework, storage::CookieMessageStore};
//! use auto_logout::Config;
//! use auto_logout::actix::{
//!     AutoLogout, AutoLogoutContext, AutoLogoutMiddleware, AutoLogoutStore, KeepUnread,
//! };
//!
//! async fn home(session: Session, ctx: AutoLogoutContext) -> HttpResponse {
//!     if session.get::<String>("user").ok().flatten().is_none() {
//!         return HttpResponse::SeeOther().insert_header(("location", "/login?next=/")).finish();
//!     }
//!     let ctx = ctx.context(); // hand this to Tera, MiniJinja or Askama
//!     HttpResponse::Ok().body(format!(
//!         "<p>Idle logout in {} s</p>{}",
//!         ctx.seconds_until_idle_end(),
//!         ctx.redirect_to_login_immediately(),
//!     ))
//! }
//!
//! async fn login(auto_logout: AutoLogout, session: Session) -> actix_web::Result<HttpResponse> {
//!     // ...after checking the password:
//!     session.insert("user", "demo")?;
//!     auto_logout.login(&session)?; // starts the clocks and renews the session key
//!     Ok(HttpResponse::SeeOther().insert_header(("location", "/")).finish())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let config = Config::builder()
//!     .idle_time("15m")
//!     .session_time("8h")
//!     .message("The session has expired. Please login again to continue.")
//!     .build()?;
//! let key = Key::generate();
//! // In production a server-side store (`RedisSessionStore`): only there can a
//! // logout be made final (see below).
//! let store = AutoLogoutStore::new(CookieSessionStore::default());
//! let app = test::init_service(
//!     App::new()
//!         .route("/", web::get().to(home))
//!         .route("/login", web::post().to(login))
//!         // The last `wrap` is the outermost: sessions, then messages, then auto-logout.
//!         .wrap(AutoLogoutMiddleware::new(config, &store))
//!         .wrap(FlashMessagesFramework::builder(KeepUnread::new(CookieMessageStore::builder(key.clone()).build())).build())
//!         .wrap(SessionMiddleware::new(store, key)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::post().uri("/login").to_request()).await;
//! assert_eq!(res.status(), 303);
//! # Ok::<(), auto_logout::ConfigError>(())
//! # })?;
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! # What the middleware does, per request
//!
//! The rules are the crate's [request engine](crate::engine); this module
//! only reads an actix request into its terms and writes its replies as
//! actix responses. It reads the clock once, then the session's stamps
//! ([`Stamps::SESSION_KEY`](crate::Stamps::SESSION_KEY)). A session without
//! stamps is not touched. For a logged-in session:
//!
//! - **Active**: activity is recorded with coalesced writes (at most one per
//!   `WRITE_RESOLUTION`). Passive requests are checked but never counted.
//! - **Expired** (or stamps that cannot be read): the session is cleared and
//!   renewed (its record deleted, a new key for whatever the request stores
//!   next), the message for the reason is flashed at info level through
//!   [actix-web-flash-messages] (`FlashMessage::info(..).send()`) when its
//!   `FlashMessagesFramework` is installed, and the request goes on as
//!   anonymous. With `LOGIN_URL` set the middleware answers itself: `303`
//!   for page navigations, `401` JSON for `fetch`/XHR, `HX-Redirect` for htmx,
//!   all `Cache-Control: no-store`. A request for the login page itself goes
//!   on, and there the message is not flashed (it would show on the page
//!   after): the page shows it at once, from
//!   [`AutoLogoutContext::expiry_message`] (the rule of
//!   [`engine::page_shows_expiry_message`](crate::engine::page_shows_expiry_message),
//!   the same on axum).
//!
//! Pages of an active session (requests that count as activity) get
//! `Cache-Control: no-store` unless the handler set its own, so Back after
//! signing out does not show them from the browser's cache.
//!
//! Under the endpoint prefix (default `/auto-logout/`) it serves `GET status`,
//! `POST keepalive` (refused with `403` without `X-Auto-Logout: 1`) and the
//! script and stylesheet files under their content hashes.
//!
//! # Middleware order
//!
//! The last `.wrap` runs first: `.wrap(AutoLogoutMiddleware::new(..))
//! .wrap(FlashMessagesFramework::builder(..).build())
//! .wrap(SessionMiddleware::new(..)).wrap(StoreErrors)`, so that sessions and
//! flash messages are there when this middleware runs. (The flash cookie needs
//! no session: `FlashMessagesFramework` may also go outside `SessionMiddleware`.)
//! A wrong order does not pass silently ([`Mistake`](crate::engine::Mistake)):
//!
//! - `SessionMiddleware` inside this middleware, or missing: every request but
//!   the crate's own files is answered `500` with a text that gives the order
//!   above, and the text is logged at error level (target `auto_logout`,
//!   event `setup_mistake`). Before, the crate was silently off.
//! - `FlashMessagesFramework` inside it, with a message configured: the same,
//!   for every request that reaches the app (the message of an expiry would
//!   be lost).
//! - No `FlashMessagesFramework` at all, with a message configured: each
//!   expiry whose message is lost is logged at error level; the answers stay
//!   as they are.
//!
//! # Flash messages: use the cookie store
//!
//! actix-web-flash-messages 0.5's `SessionMessageStore` is built on
//! actix-session **0.10**; under the 0.11 `SessionMiddleware` its messages are
//! silently dropped. Use its `CookieMessageStore` (feature `cookies`), which
//! needs no session, as above. The middleware only calls
//! `FlashMessage::info(..).send()`, which works with any of its stores.
//!
//! Its stores also drop the incoming messages at the end of every request,
//! read or not, so the message of an expiry seen by a background request
//! (the client script's `status` check) is gone before the login page shows.
//! Wrap the store in [`KeepUnread`] so messages wait until a page reads them,
//! as on axum. `CookieMessageStore` always marks its cookie `Secure`; over
//! plain `http` give [`KeepUnread::cookie_secure`] the session cookie's
//! setting, or clients that honour `Secure` never send the message back.
//!
//! # A logout stays final
//!
//! actix-session writes a request's whole session state back at the end of
//! the request when anything in it changed; its Redis store even re-creates
//! a record that was deleted meanwhile, under a new key. A slow request that
//! loaded the state before a logout would bring the session back. That is
//! why [`AutoLogoutMiddleware::new`] takes the store, wrapped in
//! [`AutoLogoutStore`]; give the same store (or a clone) to
//! `SessionMiddleware`. Its `update` applies the
//! [save rule](crate::engine::save_rule) under a lock per session key, so a record
//! that is gone is never re-created and a different login is never written
//! over, while the later last activity is kept.
//!
//! # Store outages
//!
//! `SessionMiddleware` loads and saves the session itself, outside this
//! middleware, and answers a failing store with an empty `500`. Add
//! [`StoreErrors`] outside it (`.wrap(StoreErrors)` last) to answer `503`
//! with the crate's text instead, as the axum integration does. Configure the
//! store with timeouts (a Redis connection with a response timeout) so a
//! request never hangs.
//!
//! # With actix-identity
//!
//! With the feature `actix-identity` (actix-identity 0.9),
//! [`AutoLogoutMiddleware::with_actix_identity`] makes the login call
//! unnecessary: `Identity::login` starts the session's clocks, and an expiry
//! clears the session, so the `Identity` extractor sees an anonymous visitor.
//!
//! [actix-session]: https://docs.rs/actix-session/0.11
//! [actix-web-flash-messages]: https://docs.rs/actix-web-flash-messages/0.5

mod extract;
mod flash;
mod hook;
mod middleware;
mod recent;
mod response;
mod session;
mod store;

/// Extractor: this request's template context — the remaining time and the
/// script tag — for any of the template integrations (the core
/// [`PageContext`](crate::page::PageContext), the same type as the axum
/// integration's).
///
/// ```
/// use actix_web::HttpResponse;
/// use auto_logout::actix::AutoLogoutContext;
///
/// async fn page(ctx: AutoLogoutContext) -> HttpResponse {
///     let ctx = ctx.context();
///     HttpResponse::Ok().body(format!(
///         "<script>var idleEnd = {};</script>{}",
///         ctx.seconds_until_idle_end(),
///         ctx.redirect_to_login_immediately(),
///     ))
/// }
/// ```
///
/// As `Option<AutoLogoutContext>` it yields `None` instead of failing when
/// the middleware is not installed.
#[doc(inline)]
pub use crate::page::PageContext as AutoLogoutContext;
pub use extract::{AutoLogout, MissingAutoLogoutMiddleware};
pub use flash::KeepUnread;
pub use hook::{LogoutEvent, UnlockAttempt};
pub use middleware::{AutoLogoutMiddleware, AutoLogoutService, StoreErrors, StoreErrorsService};
pub use recent::{RequireRecentLogin, RequireRecentLoginService};
pub use store::AutoLogoutStore;

/// The actix-web integration, for the engine's flow.
pub(crate) struct Actix;

impl crate::engine::flow::Integration for Actix {
    const FRAMEWORK: crate::engine::Framework = crate::engine::Framework::Actix;
    type Hook = hook::Hook;
    type UnlockHook = hook::UnlockHook;
    /// The session key actix-identity keeps its user id under.
    type Auth = &'static str;
}

/// What the middleware shares with its services and the request extractors.
pub(crate) type Shared = crate::engine::flow::Shared<Actix>;
