//! axum / tower integration: [`AutoLogoutLayer`], a tower layer over
//! [tower-sessions] 0.14 that logs users out when a limit runs out.
//!
//! ```
//! use auto_logout::Config;
//! use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore};
//! use axum::{Form, Router, response::{Html, IntoResponse, Redirect, Response}, routing::get};
//! use axum_messages::MessagesManagerLayer;
//! use tower_sessions::{MemoryStore, Session, SessionManagerLayer};
//!
//! async fn home(session: Session, ctx: AutoLogoutContext) -> Response {
//!     if session.get::<String>("user").await.ok().flatten().is_none() {
//!         return Redirect::to("/login?next=/").into_response();
//!     }
//!     let ctx = ctx.context(); // hand this to Tera, MiniJinja or Askama
//!     Html(format!(
//!         "<p>Idle logout in {} s</p>{}",
//!         ctx.seconds_until_idle_end(),
//!         ctx.redirect_to_login_immediately(),
//!     ))
//!     .into_response()
//! }
//!
//! async fn login(auto_logout: AutoLogout, session: Session) -> Result<Redirect, String> {
//!     // ...after checking the password:
//!     session.insert("user", "demo").await.map_err(|e| e.to_string())?;
//!     auto_logout.login(&session).await.map_err(|e| e.to_string())?; // starts the clocks
//!     Ok(Redirect::to("/"))
//! }
//!
//! # fn main() -> Result<(), auto_logout::ConfigError> {
//! let config = Config::builder()
//!     .idle_time("15m")
//!     .session_time("8h")
//!     .message("The session has expired. Please login again to continue.")
//!     .redirect_to_login_immediately(true)
//!     .build()?;
//! // The session store, wrapped so that a logout stays final (see below).
//! let store = AutoLogoutStore::new(MemoryStore::default());
//!
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/login", get(|| async { "login form" }).post(login))
//!     // The last layer added is the outermost: sessions, then auto-logout,
//!     // then messages (see "Layer order" below).
//!     .layer(MessagesManagerLayer)
//!     .layer(AutoLogoutLayer::new(config, &store))
//!     .layer(SessionManagerLayer::new(store));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # What the layer does, per request
//!
//! It reads the clock once, then the session's stamps ([`Stamps::SESSION_KEY`](crate::Stamps::SESSION_KEY)).
//! A session without stamps (anonymous, or logged in before the layer was
//! installed) is not touched. For a logged-in session:
//!
//! - **Active**: activity is recorded with coalesced writes (at most one per
//!   `WRITE_RESOLUTION`, by default 1 % of `IDLE_TIME`; see
//!   [`Config::write_resolution`](crate::Config::write_resolution)). Passive requests — the `status`
//!   endpoint, `HEAD`/`OPTIONS`, prefetch, `X-Auto-Logout-Passive: 1`,
//!   `PASSIVE_PATHS` — are checked but never counted.
//! - **Expired** (or stamps that cannot be read): the session is flushed, so
//!   its record is deleted and the next save gets a new id; the message for
//!   the reason is flashed at info level for [`axum_messages`] (its
//!   `MessagesManagerLayer` shows it on this page or the next); and the
//!   request goes on as
//!   anonymous, so the app's own login guard answers, as in Django. With
//!   `LOGIN_URL` configured the layer answers itself: `303` to
//!   `LOGIN_URL?next=<path>` for page navigations, `401`
//!   `{"error":"session_expired","reason":..}` for `fetch`/XHR, `HX-Redirect`
//!   for htmx; all with `Cache-Control: no-store`. A request for the login
//!   page itself goes on, and there the message is not flashed: the page
//!   shows it from [`AutoLogoutContext::expiry_message`], at once and once
//!   (the rule of [`engine::page_shows_expiry_message`](crate::engine::page_shows_expiry_message),
//!   the same on actix).
//!
//! Under the endpoint prefix (default `/auto-logout/`) the layer serves
//! `GET status` (passive: the remaining time or why the session is gone),
//! `POST keepalive` (activity; refused with `403` unless the request carries
//! `X-Auto-Logout: 1`, which a cross-site form cannot send) and the client
//! script as a file named after its content hash, cached for a year
//! (used by [`AutoLogoutContext::external`] for a strict CSP), and the
//! default stylesheet of the warning dialog the same way, at
//! [`Config::stylesheet_url`](crate::Config::stylesheet_url).
//!
//! # Layer order
//!
//! Outermost first: `SessionManagerLayer`, then `AutoLogoutLayer`, then
//! `MessagesManagerLayer` — with `Router::layer`, which wraps what is there
//! already, `.layer(MessagesManagerLayer).layer(AutoLogoutLayer::new(..))
//! .layer(SessionManagerLayer::new(store))`. Then the auto-logout layer is
//! the first to read the session, so a failing store gets its `503` (see
//! below), and an expiry is decided before anything else sees the session.
//! axum-messages, placed outside it, would read the session first and
//! answer a store failure with its own empty `500`. The expiry message is
//! shown in both orders: outside, the layer uses the request's `Messages`;
//! inside, it queues the message in the session where `MessagesManagerLayer`
//! reads it.
//!
//! A wrong order does not pass silently. With `AutoLogoutLayer` outside
//! `SessionManagerLayer` (or without it) every request but the crate's own
//! files is answered `500` with a text that gives the order above, and the
//! same text is logged at error level (target `auto_logout`, event
//! `setup_mistake`; see [`Mistake`](crate::engine::Mistake)).
//! `MessagesManagerLayer` outside `SessionManagerLayer` answers every request
//! itself, before this layer is called: an empty `500`, and its own error
//! line (`axum_messages: session not found in request extensions`).
//!
//! # Store outages
//!
//! When the session store fails (or, through the store's own command
//! timeout or [`AutoLogoutStore::with_timeout`], does not answer in time),
//! the layer answers `503` with `auto-logout: the session store failed` and
//! `Cache-Control: no-store`, and never serves a page as if signed in. It
//! keeps no state of its own about the store, so service resumes when the
//! store answers again. A session that cannot be written after the page
//! answered fails in `SessionManagerLayer`, outside this layer, with
//! tower-sessions' empty `500`: [`StoreErrorsLayer`], added last, makes that
//! the same `503`.
//!
//! # A logout stays final
//!
//! tower-sessions writes a request's whole session record back at the end of
//! the request when anything in it changed — a flash message read, activity
//! recorded. A slow request that loaded the record before a logout (in
//! another tab, or an expiry seen by another request) would write it back
//! afterwards and bring the session back. The guarantee therefore sits where
//! the session is saved: [`AutoLogoutStore`] wraps the store given to
//! `SessionManagerLayer`, and its `save` applies the
//! [save rule](crate::engine::save_rule) atomically: a record that is gone (every
//! logout deletes it) is never re-created, a copy loaded before a later login
//! on the same id is dropped, and for the same login the later last activity
//! is kept, so it never moves backwards. Whatever layer changed the session
//! and whenever, the save goes through that rule.
//!
//! Within one process the read and the write of a `save` and every `delete`
//! of the same session id take one async lock, so a logout cannot land
//! between them. Several instances on one store (Redis) share no lock: there,
//! Redis's own `SET … XX` (the write `RedisStore::save` sends) still refuses
//! to re-create a deleted record, and a new login always gets a new id; what
//! remains is a window of one store round trip in which a write from another
//! instance can keep an older last activity, i.e. at worst one activity write
//! is lost (the idle time then counts from the activity before it).
//!
//! Forgetting the wrapper does not fail silently: [`AutoLogoutLayer::new`]
//! takes the wrapped store, and when the session layer was given another
//! store, the first request with a stored session gets a `500` that says so.
//! (Give the same wrapper, or a clone of it, to both.)
//!
//! Pages of a tracked session — responses of an active session to requests
//! that count as activity — get `Cache-Control: no-store` unless the handler
//! set its own `Cache-Control`, so Back after signing out does not show them
//! from the browser's cache. Passive requests (static files under
//! `PASSIVE_PATHS`, subresources, `HEAD`) keep their caching.
//!
//! # With axum-login
//!
//! With the feature `axum-login` (axum-login 0.18),
//! `AutoLogoutLayer::with_axum_login::<Backend>()` makes the login call
//! unnecessary: a user signed in through `AuthSession::login` starts the
//! session's clocks, and an expiry also clears the request's `AuthSession`,
//! so `login_required!` and handlers see an anonymous visitor.
//!
//! [tower-sessions]: https://docs.rs/tower-sessions/0.14

mod extract;
mod hook;
mod layer;
#[cfg(feature = "axum-login")]
mod login;
mod recent;
mod response;
mod service;
mod session;
mod store;
mod store_errors;

use std::sync::Arc;

use serde_json::Value;

/// Extractor: this request's template context — the remaining time and the
/// script tag — for any of the template integrations (the core
/// [`PageContext`](crate::page::PageContext)).
///
/// ```
/// use auto_logout::axum::AutoLogoutContext;
/// use axum::response::Html;
///
/// async fn page(ctx: AutoLogoutContext) -> Html<String> {
///     let ctx = ctx.context();
///     Html(format!(
///         "<script>var idleEnd = {};</script>{}",
///         ctx.seconds_until_idle_end(),
///         ctx.redirect_to_login_immediately(),
///     ))
/// }
/// ```
///
/// As `Option<AutoLogoutContext>` it yields `None` instead of failing when
/// the layer is not installed.
#[doc(inline)]
pub use crate::page::PageContext as AutoLogoutContext;
pub use extract::{AutoLogout, MissingAutoLogoutLayer};
pub use hook::{LogoutEvent, UnlockAttempt};
pub use layer::AutoLogoutLayer;
pub use recent::{RequireRecentLogin, RequireRecentLoginLayer};
pub use service::AutoLogoutService;
pub use store::AutoLogoutStore;
#[cfg(feature = "redis")]
pub(crate) use store_errors::note_store_failure;
pub use store_errors::{StoreErrors, StoreErrorsLayer};

/// The axum integration, for the engine's flow.
pub(crate) struct Axum;

impl crate::engine::flow::Integration for Axum {
    const FRAMEWORK: crate::engine::Framework = crate::engine::Framework::Axum;
    type Hook = hook::Hook;
    type UnlockHook = hook::UnlockHook;
    type Auth = Arc<dyn AuthHook>;
}

/// What the layer shares with its services and the request extractors.
pub(crate) type Shared = crate::engine::flow::Shared<Axum>;

/// What the layer needs from an authentication crate (axum-login).
pub(crate) trait AuthHook: Send + Sync + 'static {
    /// The signed-in user's id at the start of the request, as JSON.
    fn user_id(&self, extensions: &http::Extensions) -> Option<Value>;
    /// Makes the request's authentication state anonymous after an expiry.
    fn log_out(&self, extensions: &mut http::Extensions);
    /// The session key the crate keeps its data under.
    fn data_key(&self) -> &'static str;
}
