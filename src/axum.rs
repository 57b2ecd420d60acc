//! axum / tower integration: [`AutoLogoutLayer`], a tower layer over
//! [tower-sessions] 0.14 that logs users out when a limit runs out.
//!
//! ```
//! use auto_logout::Config;
//! use auto_logout::axum::{AutoLogout, AutoLogoutContext, AutoLogoutLayer};
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
//! let store = MemoryStore::default();
//!
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/login", get(|| async { "login form" }).post(login))
//!     // The last layer added is the outermost: sessions, then messages, then auto-logout.
//!     .layer(AutoLogoutLayer::new(config, store.clone()))
//!     .layer(MessagesManagerLayer)
//!     .layer(SessionManagerLayer::new(store));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # What the layer does, per request
//!
//! It reads the clock once, then the session's stamps ([`Stamps::SESSION_KEY`]).
//! A session without stamps (anonymous, or logged in before the layer was
//! installed) is not touched. For a logged-in session:
//!
//! - **Active**: activity is recorded with coalesced writes (at most one per
//!   `WRITE_RESOLUTION`, default one second). Passive requests — the `status`
//!   endpoint, `HEAD`/`OPTIONS`, prefetch, `X-Auto-Logout-Passive: 1`,
//!   `PASSIVE_PATHS` — are checked but never counted.
//! - **Expired** (or stamps that cannot be read): the session is flushed, so
//!   its record is deleted and the next save gets a new id; the message for
//!   the reason is flashed at info level through [`axum_messages`] when its
//!   `MessagesManagerLayer` is installed; and the request goes on as
//!   anonymous, so the app's own login guard answers, as in Django. With
//!   `LOGIN_URL` configured the layer answers itself: `303` to
//!   `LOGIN_URL?next=<path>` for page navigations, `401`
//!   `{"error":"session_expired","reason":..}` for `fetch`/XHR, `HX-Redirect`
//!   for htmx; all with `Cache-Control: no-store`. A request for the login
//!   page itself goes on, so it can show the message.
//!
//! Under the endpoint prefix (default `/auto-logout/`) the layer serves
//! `GET status` (passive: the remaining time or why the session is gone),
//! `POST keepalive` (activity; refused with `403` unless the request carries
//! `X-Auto-Logout: 1`, which a cross-site form cannot send) and the client
//! script as a file named after its content hash, cached for a year
//! (used by [`AutoLogoutContext::external`] for a strict CSP), and the
//! default stylesheet of the warning dialog the same way, at
//! [`Config::stylesheet_url`].
//!
//! # A logout stays final
//!
//! tower-sessions writes a request's whole session record back at the end of
//! the request when anything in it changed. A slow request that loaded the
//! record before a logout (on another tab, or an expiry seen by another
//! request) would write it back afterwards and bring the session back. That is
//! why the layer takes the session store: at the end of a request that changed
//! a logged-in session, it reads the record again, and when the record is gone
//! or was logged out meanwhile, it drops this request's copy instead of letting
//! it be saved; when another request recorded later activity, it keeps the
//! later stamp, so last activity never moves backwards. (tower-sessions'
//! `with_always_save(true)` saves unchanged sessions too, which this check
//! does not see; leave it off.)
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

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response as AxumResponse};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header, request::Parts};
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions::session::{self, Id};
use tower_sessions::{Session, SessionStore, session_store};

use crate::assets;
use crate::clock::{Clock, SystemClock, Timestamp};
use crate::config::Config;
use crate::context::TemplateContext;
use crate::decision::{ExpiryReason, Remaining, RequestOutcome};
use crate::request::{self, Answer, KEEPALIVE_HEADER};
use crate::script::Nonce;
use crate::stamps::Stamps;

/// `Cache-Control` of every answer about a session.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// `Cache-Control` of the script file, whose name changes with its content.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const JAVASCRIPT: HeaderValue = HeaderValue::from_static("text/javascript; charset=utf-8");
const CSS: HeaderValue = HeaderValue::from_static("text/css; charset=utf-8");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

const MISSING_SESSION: &str = "auto-logout: no tower_sessions::Session in the request; \
add SessionManagerLayer outside AutoLogoutLayer (with Router::layer, add it after)";
const STORE_FAILED: &str = "auto-logout: the session store failed";

/// What the layer shares with its services and the request extractors.
#[derive(Clone)]
struct Shared {
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn SessionStore>,
    status_path: String,
    keepalive_path: String,
    script_path: String,
    stylesheet_path: String,
    /// Set by `with_axum_login`: how to see its logins and log it out.
    auth: Option<Arc<dyn AuthHook>>,
}

/// What the layer needs from an authentication crate (axum-login).
trait AuthHook: Send + Sync + 'static {
    /// The signed-in user's id at the start of the request, as JSON.
    fn user_id(&self, extensions: &http::Extensions) -> Option<Value>;
    /// Makes the request's authentication state anonymous after an expiry.
    fn log_out(&self, extensions: &mut http::Extensions);
    /// The session key the crate keeps its data under.
    fn data_key(&self) -> &'static str;
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoLogout")
            .field("config", &self.config)
            .field("now", &self.clock.now())
            .field("store", &self.store)
            .finish()
    }
}

/// The tower [`Layer`]: checks both limits on every request, records activity,
/// logs expired sessions out and serves the endpoints. See the [module
/// docs](self) for what it does and where it goes in the layer stack.
#[derive(Clone, Debug)]
pub struct AutoLogoutLayer {
    shared: Arc<Shared>,
}

impl AutoLogoutLayer {
    /// A layer for `config`, reading the system clock.
    ///
    /// `store` is the session store the app's `SessionManagerLayer` uses (a
    /// clone of it): the layer reads it again at the end of a request that
    /// changed a logged-in session, so that a logout that happened meanwhile
    /// stays final (see the [module docs](self#a-logout-stays-final)).
    pub fn new(config: Config, store: impl SessionStore) -> Self {
        let prefix = config.endpoint_prefix();
        let shared = Shared {
            status_path: format!("{prefix}status"),
            keepalive_path: format!("{prefix}keepalive"),
            script_path: format!("{prefix}{}", assets::script_file_name()),
            stylesheet_path: config.stylesheet_url().to_owned(),
            config,
            clock: Arc::new(SystemClock),
            store: Arc::new(store),
            auth: None,
        };
        AutoLogoutLayer {
            shared: Arc::new(shared),
        }
    }

    /// Reads `now` from `clock` instead of the system clock, e.g. a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        Arc::make_mut(&mut self.shared).clock = Arc::new(clock);
        self
    }

    /// Works with [axum-login] 0.18 (feature `axum-login`): no call at login
    /// is needed, and an expiry logs out the request's `AuthSession` too.
    ///
    /// - A login through `AuthSession::login` (a new signed-in user at the end
    ///   of a request) starts the session's clocks.
    /// - A session whose user is signed in but that has no stamps (signed in
    ///   before the layer was installed) is tracked from now on.
    /// - On expiry, besides flushing the session, the request's `AuthSession`
    ///   gets `user: None`, so handlers and `login_required!` see an anonymous
    ///   visitor.
    ///
    /// Use `with_axum_login_data_key` when the `AuthManagerLayerBuilder` has
    /// its own `with_data_key`. Layer order, outermost last:
    /// `.layer(auto_logout).layer(MessagesManagerLayer).layer(auth_layer)`.
    ///
    /// [axum-login]: https://docs.rs/axum-login/0.18
    #[cfg(feature = "axum-login")]
    pub fn with_axum_login<B: axum_login::AuthnBackend + 'static>(self) -> Self {
        self.with_axum_login_data_key::<B>("axum-login.data")
    }

    /// [`AutoLogoutLayer::with_axum_login`] for an `AuthManagerLayerBuilder`
    /// built `with_data_key(data_key)`.
    #[cfg(feature = "axum-login")]
    pub fn with_axum_login_data_key<B: axum_login::AuthnBackend + 'static>(
        mut self,
        data_key: &'static str,
    ) -> Self {
        Arc::make_mut(&mut self.shared).auth = Some(Arc::new(axum_login_hook::Hook::<B> {
            data_key,
            backend: std::marker::PhantomData,
        }));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// A handle to log sessions in and out outside a request handler (inside
    /// one, extract [`AutoLogout`]).
    pub fn handle(&self) -> AutoLogout {
        AutoLogout {
            shared: self.shared.clone(),
            now: None,
        }
    }

    /// The path the client script is served at: `<prefix>auto-logout.<hash>.js`.
    pub fn script_path(&self) -> &str {
        &self.shared.script_path
    }

    /// The path the default warning stylesheet is served at
    /// (`<prefix>auto-logout.<hash>.css`, as [`Config::stylesheet_url`]).
    pub fn stylesheet_path(&self) -> &str {
        &self.shared.stylesheet_path
    }
}

impl<S> Layer<S> for AutoLogoutLayer {
    type Service = AutoLogoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AutoLogoutService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The [`Service`] made by [`AutoLogoutLayer`].
#[derive(Clone, Debug)]
pub struct AutoLogoutService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S, B, ResBody> Service<Request<B>> for AutoLogoutService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: From<String> + From<&'static str> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // Use the service that was driven to readiness; leave a clone behind.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(run(self.shared.clone(), inner, req))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Status,
    Keepalive,
    Script,
    Stylesheet,
}

impl Shared {
    fn endpoint(&self, path: &str) -> Option<Endpoint> {
        if !path.starts_with(self.config.endpoint_prefix()) {
            None
        } else if path == self.status_path {
            Some(Endpoint::Status)
        } else if path == self.keepalive_path {
            Some(Endpoint::Keepalive)
        } else if path == self.script_path {
            Some(Endpoint::Script)
        } else if path == self.stylesheet_path {
            Some(Endpoint::Stylesheet)
        } else {
            None
        }
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// [`header_str`] for the names every request is asked about, without
/// parsing the name each time.
fn passive_header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    const PASSIVE: header::HeaderName = header::HeaderName::from_static(request::PASSIVE_HEADER);
    const SEC_PURPOSE: header::HeaderName = header::HeaderName::from_static("sec-purpose");
    const PURPOSE: header::HeaderName = header::HeaderName::from_static("purpose");
    const SEC_FETCH_DEST: header::HeaderName = header::HeaderName::from_static("sec-fetch-dest");
    let value = match name {
        request::PASSIVE_HEADER => headers.get(PASSIVE),
        "sec-purpose" => headers.get(SEC_PURPOSE),
        "purpose" => headers.get(PURPOSE),
        "sec-fetch-dest" => headers.get(SEC_FETCH_DEST),
        other => headers.get(other),
    };
    value.and_then(|v| v.to_str().ok())
}

async fn run<S, B, ResBody>(
    shared: Arc<Shared>,
    mut inner: S,
    mut req: Request<B>,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: From<String> + From<&'static str>,
{
    let endpoint = shared.endpoint(req.uri().path());
    match endpoint {
        Some(Endpoint::Script) => {
            return Ok(static_file(req.method(), JAVASCRIPT, assets::SCRIPT));
        }
        Some(Endpoint::Stylesheet) => {
            return Ok(static_file(req.method(), CSS, assets::STYLESHEET));
        }
        Some(Endpoint::Status) if !matches!(*req.method(), Method::GET | Method::HEAD) => {
            return Ok(not_allowed("GET, HEAD"));
        }
        Some(Endpoint::Keepalive) if req.method() != Method::POST => {
            return Ok(not_allowed("POST"));
        }
        Some(Endpoint::Keepalive)
            if header_str(req.headers(), KEEPALIVE_HEADER).map(str::trim) != Some("1") =>
        {
            return Ok(plain(
                StatusCode::FORBIDDEN,
                "auto-logout: keepalive needs the header X-Auto-Logout: 1",
            ));
        }
        _ => {}
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR, MISSING_SESSION));
    };

    // One `now` for the whole request.
    let now = shared.clock.now();
    let config = &shared.config;
    let activity = config.activity_of(req.method().as_str(), req.uri().path(), |name| {
        passive_header_str(req.headers(), name)
    });
    let auth_user = match &shared.auth {
        Some(hook) => hook.user_id(req.extensions()),
        None => None,
    };
    let mut outcome = match session.get_value(Stamps::SESSION_KEY).await {
        Ok(None) => RequestOutcome::Untracked,
        Ok(Some(Value::String(stored))) => config.check_request(Some(&stored), now, activity),
        // Something else under our key: not ours to trust (fail closed).
        Ok(Some(_)) => config.check_request(Some(""), now, activity),
        // A record the store cannot decode: fail closed, flush it.
        Err(session::Error::Store(session_store::Error::Decode(_)))
        | Err(session::Error::SerdeJson(_)) => RequestOutcome::Expired(ExpiryReason::Invalid),
        Err(_) => return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, STORE_FAILED)),
    };

    let mut started_now = false;
    if auth_user.is_some() && outcome == RequestOutcome::Untracked && config.has_limit() {
        // Signed in through axum-login, but not tracked yet (signed in before
        // the layer was installed): the clocks start now.
        let stamps = Stamps::at_login(now).encode();
        outcome = config.check_request(Some(&stamps), now, activity);
        started_now = true;
        if Box::pin(session.insert_value(Stamps::SESSION_KEY, Value::String(stamps)))
            .await
            .is_err()
        {
            return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, STORE_FAILED));
        }
    }
    match outcome {
        RequestOutcome::Active {
            write: Some(stamps),
            ..
        } => {
            let value = Value::String(stamps.encode());
            // At most once per second per session: boxed, to keep this
            // request's future (allocated per request) small.
            if Box::pin(session.insert_value(Stamps::SESSION_KEY, value))
                .await
                .is_err()
            {
                return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, STORE_FAILED));
            }
        }
        RequestOutcome::Expired(reason) => {
            if Box::pin(end_session(&session)).await.is_err() {
                return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, STORE_FAILED));
            }
            if let Some(message) = config.message_for(reason)
                && let Some(messages) = req.extensions().get::<axum_messages::Messages>()
            {
                let _ = messages.clone().info(message);
            }
            if let Some(hook) = &shared.auth {
                hook.log_out(req.extensions_mut());
            }
        }
        _ => {}
    }
    // Only a session that was logged in and still is can be brought back by
    // this request's save; remember its id to check at the end.
    // (A session whose clocks start in this request has no stamps in the
    // store yet: nothing to compare with.)
    let watched = match outcome {
        RequestOutcome::Active { .. } if !started_now => session.id(),
        _ => None,
    };

    if let Some(Endpoint::Status | Endpoint::Keepalive) = endpoint {
        let res = json(StatusCode::OK, request::status_json(&outcome));
        keep_logout_final(&shared, &session, watched).await;
        return Ok(res);
    }

    if let (RequestOutcome::Expired(reason), Some(login_url)) = (outcome, config.login_url()) {
        let login_path = login_url.split('?').next().unwrap_or(login_url);
        if req.uri().path() != login_path {
            let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
            return Ok(expired_answer(
                login_url,
                reason,
                req.headers(),
                path_and_query,
            ));
        }
    }

    req.extensions_mut().insert(RequestState {
        shared: shared.clone(),
        now,
        outcome,
    });
    let res = inner.call(req).await?;
    keep_logout_final(&shared, &session, watched).await;
    if let Some(hook) = &shared.auth
        && session.is_modified()
    {
        Box::pin(start_clocks_at_login(&**hook, &session, auth_user, now)).await;
    }
    Ok(res)
}

/// After a request that changed the session: when an authentication crate
/// signed a (different) user in, start the session's clocks.
async fn start_clocks_at_login(
    hook: &dyn AuthHook,
    session: &Session,
    before: Option<Value>,
    now: Timestamp,
) {
    let Ok(Some(data)) = session.get_value(hook.data_key()).await else {
        return;
    };
    let after = match data.get("user_id") {
        Some(Value::Null) | None => return,
        Some(id) => id,
    };
    if before.as_ref() != Some(after) {
        let stamps = Stamps::at_login(now).encode();
        let _ = session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
            .await;
    }
}

/// At the end of a request that changed a logged-in session: when the store
/// no longer holds that login (logout or expiry elsewhere meanwhile), drop this
/// request's copy so the session layer cannot save it back; when another
/// request recorded later activity, keep that later stamp.
async fn keep_logout_final(shared: &Shared, session: &Session, watched: Option<Id>) {
    let Some(id) = watched else { return };
    if !session.is_modified() || session.id() != Some(id) {
        // Unchanged (nothing will be saved), or logged out / in again by this
        // request itself (new id).
        return;
    }
    // Rare (a changed session): boxed, to keep the per-request future small.
    Box::pin(recheck_store(shared, session, id)).await;
}

async fn recheck_store(shared: &Shared, session: &Session, id: Id) {
    let mine = match session.get_value(Stamps::SESSION_KEY).await {
        Ok(Some(Value::String(s))) => Stamps::decode(&s).ok(),
        _ => None,
    };
    let Some(mine) = mine else {
        return; // The handler removed the stamps itself.
    };
    match shared.store.load(&id).await {
        // Store trouble: the session layer's own save will report it.
        Err(_) => {}
        Ok(None) => {
            // Deleted meanwhile: stay logged out. Nothing of this copy is saved.
            let _ = end_session(session).await;
        }
        Ok(Some(record)) => {
            let theirs = record
                .data
                .get(Stamps::SESSION_KEY)
                .and_then(Value::as_str)
                .and_then(|s| Stamps::decode(s).ok());
            match theirs {
                Some(theirs) if theirs.login_at() == mine.login_at() => {
                    if theirs.last_activity_at() > mine.last_activity_at() {
                        let _ = session
                            .insert_value(Stamps::SESSION_KEY, Value::String(theirs.encode()))
                            .await;
                    }
                }
                // Logged out (or in again) meanwhile: the stored record wins.
                _ => {
                    let _ = session.load().await;
                }
            }
        }
    }
}

/// Flush, then give the (empty) record a new id: tower-sessions' `flush`
/// keeps the record's id, so data inserted after it (the flash message)
/// would be saved under the old id again.
async fn end_session(session: &Session) -> Result<(), session::Error> {
    session.flush().await?;
    session.cycle_id().await
}

fn response<ResBody>(
    status: StatusCode,
    headers: &[(header::HeaderName, HeaderValue)],
    body: ResBody,
) -> Response<ResBody> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (name, value) in headers {
        res.headers_mut().insert(name, value.clone());
    }
    res
}

fn plain<ResBody: From<&'static str>>(status: StatusCode, text: &'static str) -> Response<ResBody> {
    response(
        status,
        &[
            (header::CONTENT_TYPE, TEXT),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        ResBody::from(text),
    )
}

fn not_allowed<ResBody: From<&'static str>>(allow: &'static str) -> Response<ResBody> {
    let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

fn json<ResBody: From<String>>(status: StatusCode, body: String) -> Response<ResBody> {
    response(
        status,
        &[
            (header::CONTENT_TYPE, JSON),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        ResBody::from(body),
    )
}

/// The script or the stylesheet: named after its content hash, so cached for a year.
fn static_file<ResBody: From<&'static str>>(
    method: &Method,
    content_type: HeaderValue,
    content: &'static str,
) -> Response<ResBody> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return not_allowed("GET, HEAD");
    }
    response(
        StatusCode::OK,
        &[
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, IMMUTABLE),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        ResBody::from(content),
    )
}

/// The layer's own answer to an expired request when `LOGIN_URL` is set.
fn expired_answer<ResBody: From<String> + From<&'static str>>(
    login_url: &str,
    reason: ExpiryReason,
    headers: &HeaderMap,
    path_and_query: &str,
) -> Response<ResBody> {
    let location = || {
        HeaderValue::from_bytes(request::login_location(login_url, path_and_query).as_bytes())
            .unwrap_or(HeaderValue::from_static("/"))
    };
    match request::answer_expired(|name| header_str(headers, name)) {
        Answer::Redirect => response(
            StatusCode::SEE_OTHER,
            &[
                (header::LOCATION, location()),
                (header::CACHE_CONTROL, NO_STORE),
            ],
            ResBody::from(""),
        ),
        Answer::Unauthorized => json(StatusCode::UNAUTHORIZED, request::expired_json(reason)),
        // htmx acts on HX-Redirect whatever the status; 200 keeps it away from
        // error handlers.
        Answer::HtmxRedirect => response(
            StatusCode::OK,
            &[
                (header::HeaderName::from_static("hx-redirect"), location()),
                (header::CACHE_CONTROL, NO_STORE),
            ],
            ResBody::from(""),
        ),
    }
}

/// What the layer leaves in the request extensions for the extractors.
#[derive(Clone)]
struct RequestState {
    shared: Arc<Shared>,
    now: Timestamp,
    outcome: RequestOutcome,
}

/// The rejection of [`AutoLogout`] and [`AutoLogoutContext`] when the
/// request did not pass through an [`AutoLogoutLayer`]: `500` with a text
/// that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingAutoLogoutLayer;

impl fmt::Display for MissingAutoLogoutLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "auto-logout: the request did not pass through AutoLogoutLayer; add it to the router",
        )
    }
}

impl std::error::Error for MissingAutoLogoutLayer {}

impl IntoResponse for MissingAutoLogoutLayer {
    fn into_response(self) -> AxumResponse {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// Extractor (and [`AutoLogoutLayer::handle`]): log a session in and out.
///
/// ```
/// use auto_logout::axum::AutoLogout;
/// use axum::response::Redirect;
/// use tower_sessions::Session;
///
/// async fn logout(auto_logout: AutoLogout, session: Session) -> Redirect {
///     let _ = auto_logout.logout(&session).await;
///     Redirect::to("/login")
/// }
/// ```
#[derive(Clone)]
pub struct AutoLogout {
    shared: Arc<Shared>,
    /// The request's `now`, when extracted from one.
    now: Option<Timestamp>,
}

impl fmt::Debug for AutoLogout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoLogout")
            .field("config", &self.shared.config)
            .field("now", &self.now())
            .finish()
    }
}

impl AutoLogout {
    /// Starts this session's clocks: stores login time and last activity
    /// (now), and cycles the session id as Django's `login()` does. Call it
    /// when the user has logged in; data already in the session is kept.
    ///
    /// The limits are per session: a login on another device starts that
    /// session's own clocks and never extends this one.
    pub async fn login(&self, session: &Session) -> Result<(), session::Error> {
        session.cycle_id().await?;
        let stamps = Stamps::at_login(self.now()).encode();
        session
            .insert_value(Stamps::SESSION_KEY, Value::String(stamps))
            .await?;
        Ok(())
    }

    /// Logs the session out, as Django's `logout()` does: its record is
    /// deleted, its data cleared, and whatever the request stores afterwards
    /// (a flash message) goes into a session with a new id.
    ///
    /// (`Session::flush` alone deletes the record, but data inserted after it
    /// is saved under the old id again.)
    pub async fn logout(&self, session: &Session) -> Result<(), session::Error> {
        end_session(session).await
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The request's `now` when extracted from a request, else the clock's.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(|| self.shared.clock.now())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AutoLogout {
    type Rejection = MissingAutoLogoutLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = parts
            .extensions
            .get::<RequestState>()
            .ok_or(MissingAutoLogoutLayer)?;
        Ok(AutoLogout {
            shared: state.shared.clone(),
            now: Some(state.now),
        })
    }
}

/// Extractor: this request's template context — the remaining time and the
/// script tag — for any of the template integrations.
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
/// For anonymous visitors and sessions that just expired it gives the
/// anonymous context (zeros, no script). Serializes (serde) as
/// [`AutoLogoutContext::context`] does. As `Option<AutoLogoutContext>` it
/// yields `None` instead of failing when the layer is not installed.
#[derive(Clone, Debug)]
pub struct AutoLogoutContext {
    config: Config,
    outcome: RequestOutcome,
}

impl AutoLogoutContext {
    /// The context with the inline script, which asks the `status` endpoint
    /// before leaving and offers "Stay signed in" through `keepalive`.
    pub fn context(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).with_endpoints()
    }

    /// The context with the script as `<script src=...>`, served by the layer
    /// (for `Content-Security-Policy: script-src 'self'`).
    pub fn external(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).external()
    }

    /// The inline context with a CSP nonce on the tag.
    pub fn with_nonce<'a>(&'a self, nonce: Nonce<'a>) -> TemplateContext<'a> {
        self.context().with_nonce(nonce)
    }

    /// `true` when the session is logged in and active.
    pub fn is_active(&self) -> bool {
        matches!(self.outcome, RequestOutcome::Active { .. })
    }

    /// Why the session was logged out by this very request, if it was.
    pub fn expired(&self) -> Option<ExpiryReason> {
        match self.outcome {
            RequestOutcome::Expired(reason) => Some(reason),
            _ => None,
        }
    }

    /// The time left, when active.
    pub fn remaining(&self) -> Option<Remaining> {
        match self.outcome {
            RequestOutcome::Active { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl serde::Serialize for AutoLogoutContext {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.context().serialize(serializer)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AutoLogoutContext {
    type Rejection = MissingAutoLogoutLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let state = parts
            .extensions
            .get::<RequestState>()
            .ok_or(MissingAutoLogoutLayer)?;
        Ok(AutoLogoutContext {
            config: state.shared.config.clone(),
            outcome: state.outcome,
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AutoLogoutContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <AutoLogoutContext as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AutoLogout {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <AutoLogout as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

#[cfg(feature = "axum-login")]
mod axum_login_hook {
    use std::marker::PhantomData;

    use axum_login::{AuthSession, AuthUser, AuthnBackend};
    use serde_json::Value;

    use super::AuthHook;

    pub(super) struct Hook<B> {
        pub(super) data_key: &'static str,
        pub(super) backend: PhantomData<fn() -> B>,
    }

    impl<B: AuthnBackend + 'static> AuthHook for Hook<B> {
        fn user_id(&self, extensions: &http::Extensions) -> Option<Value> {
            let user = extensions.get::<AuthSession<B>>()?.user.as_ref()?;
            serde_json::to_value(user.id()).ok()
        }

        fn log_out(&self, extensions: &mut http::Extensions) {
            // axum-login clones its AuthSession out of the extensions for each
            // extractor: the copy there must say "nobody" from now on.
            if let Some(auth) = extensions.get_mut::<AuthSession<B>>() {
                auth.user = None;
            }
        }

        fn data_key(&self) -> &'static str {
            self.data_key
        }
    }
}
