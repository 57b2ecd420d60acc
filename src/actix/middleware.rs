//! [`AutoLogoutMiddleware`] (the `Transform`) and [`AutoLogoutService`] (its
//! inner `Service`), after actix-identity's middleware; [`StoreErrors`] for
//! store outages.

use std::cell::Cell;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_session::{SessionExt, SessionStatus};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{Error, HttpMessage as _, HttpResponse};

use super::extract::RequestState;
use super::response::into_response;
use super::{AutoLogout, LogoutEvent, Shared, session};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::decision::{ExpiryReason, RequestOutcome};
use crate::engine::{self, Endpoints, Framework, HookAnswer, Mistake, Reply, Route};
use crate::store_lock::GuardedStore;

type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// The actix-web middleware: checks both limits on every request, records
/// activity, logs expired sessions out and serves the endpoints. Wrap it
/// inside `SessionMiddleware` (and inside `FlashMessagesFramework`); see the
/// [module docs](super). In another order every request it serves is answered
/// with a `500` that says how to fix it, and logged
/// ([`Mistake`](crate::engine::Mistake)).
#[derive(Clone, Debug)]
pub struct AutoLogoutMiddleware {
    shared: Arc<Shared>,
}

impl AutoLogoutMiddleware {
    /// A middleware for `config`, reading the system clock.
    ///
    /// `store` is the session store `SessionMiddleware` uses (give it the
    /// same one, or a clone): any actix-session store wrapped in
    /// [`AutoLogoutStore`](super::AutoLogoutStore), or the crate's [`RedisStore`](crate::redis::RedisStore)
    /// (feature `redis`), so that a logout stays final (see the
    /// [module docs](super#a-logout-stays-final)). When `SessionMiddleware`
    /// was given another store, the first request with a stored login gets a
    /// `500` that says so, and the same text is logged at error level
    /// ([`Mistake::StoreNotWrapped`](crate::engine::Mistake::StoreNotWrapped)).
    pub fn new<S: GuardedStore>(config: Config, store: &S) -> Self {
        let endpoints = Endpoints::new(&config);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = store.link();
        store.attach(&config, clock.clone());
        AutoLogoutMiddleware {
            shared: Arc::new(Shared {
                config,
                clock,
                endpoints,
                identity_key: None,
                store,
                on_logout: None,
                signed_in_key: None,
                watch: Arc::default(),
            }),
        }
    }

    /// Reads `now` from `clock` instead of the system clock, e.g. a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        shared.clock = Arc::new(clock);
        shared.store.attach(&shared.config, shared.clock.clone());
        self
    }

    /// Works with [actix-identity] 0.9 (feature `actix-identity`): a user
    /// signed in through `Identity::login` starts the session's clocks (no
    /// call of [`AutoLogout::login`] needed), a signed-in session without
    /// stamps is tracked from now on, and an expiry clears the session, so
    /// the `Identity` extractor sees an anonymous visitor.
    ///
    /// Use [`AutoLogoutMiddleware::with_actix_identity_key`] when the
    /// `IdentityMiddleware` was built with its own `id_key`. Order, outermost
    /// last: `.wrap(auto_logout).wrap(IdentityMiddleware::default())
    /// .wrap(flash).wrap(session)`.
    ///
    /// [actix-identity]: https://docs.rs/actix-identity/0.9
    #[cfg(feature = "actix-identity")]
    pub fn with_actix_identity(self) -> Self {
        self.with_actix_identity_key("actix_identity.user_id")
    }

    /// [`AutoLogoutMiddleware::with_actix_identity`] for an
    /// `IdentityMiddleware` built with `id_key(key)`.
    #[cfg(feature = "actix-identity")]
    pub fn with_actix_identity_key(mut self, key: &'static str) -> Self {
        Arc::make_mut(&mut self.shared).identity_key = Some(key);
        self
    }

    /// Runs `hook` on every automatic logout — idle, absolute limit, or stamps
    /// that cannot be trusted, whichever request finds it — before the
    /// session is cleared, as django-auto-logout's `CUSTOM_LOGOUT_FUNC`. The
    /// hook gets a [`LogoutEvent`]: the reason, the request's session with
    /// its data, the method, URI and headers.
    ///
    /// `Ok(Some(response))` replaces the answer, e.g. a `303` to an OpenID
    /// Connect end-session URL. A page navigation gets that response as it
    /// is; the client script's `status` request, `fetch` and htmx get a
    /// redirect's location as data (the `login` field of the JSON answer,
    /// `HX-Redirect`), and the script goes there instead of `LOGIN_URL`
    /// (the table at [`engine::hook_answer`](crate::engine::hook_answer)).
    /// `Ok(None)` keeps the usual answer.
    ///
    /// The session is logged out whatever the hook does. An `Err`, a panic,
    /// or no answer within [`LOGOUT_HOOK_TIMEOUT`](crate::engine::LOGOUT_HOOK_TIMEOUT)
    /// (5 s) gives the usual answer and is reported as the audit event
    /// `hook_failed` (feature `tracing`). The same as the axum layer's
    /// `on_logout`.
    ///
    /// ```
    /// use actix_session::storage::CookieSessionStore;
    /// use actix_web::HttpResponse;
    /// use auto_logout::Config;
    /// use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore, LogoutEvent};
    ///
    /// async fn end_session_at_the_provider(
    ///     event: LogoutEvent,
    /// ) -> Result<Option<HttpResponse>, actix_session::SessionGetError> {
    ///     let Some(id_token) = event.session().get::<String>("id_token")? else {
    ///         return Ok(None); // not signed in through the provider: the usual answer
    ///     };
    ///     let url = format!(
    ///         "https://idp.example/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Flogin"
    ///     );
    ///     Ok(Some(HttpResponse::SeeOther().insert_header(("location", url)).finish()))
    /// }
    ///
    /// # fn main() -> Result<(), auto_logout::ConfigError> {
    /// let store = AutoLogoutStore::new(CookieSessionStore::default());
    /// let middleware = AutoLogoutMiddleware::new(Config::builder().idle_time("15m").build()?, &store)
    ///     .on_logout(end_session_at_the_provider);
    /// # let _ = middleware;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_logout<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(LogoutEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<HttpResponse>, E>> + 'static,
        E: std::fmt::Display + 'static,
    {
        Arc::make_mut(&mut self.shared).on_logout = Some(super::hook::erase(hook));
        self
    }

    /// Names the session key that holds the signed-in user (say `"user"`),
    /// for apps whose login does not call [`AutoLogout::login`]: a session
    /// that holds this key (not `null`) but has no clocks gets them started
    /// by the middleware, as with actix-identity.
    ///
    /// - A login handler that inserts the key and forgets the login call:
    ///   the clocks start at the end of that request (its time is the login
    ///   time), so the first page after the login is tracked.
    /// - A session that holds the key when a request begins but has no clocks
    ///   (signed in before the middleware was installed): they start with
    ///   that request.
    ///
    /// The session key is not renewed then (that is the login handler's job,
    /// and [`AutoLogout::login`] does it). Without this, actix-identity or a
    /// login call, a session that ends a request with data but no clocks makes
    /// the middleware warn once (see the README's "quick start").
    pub fn signed_in_key(mut self, key: &'static str) -> Self {
        Arc::make_mut(&mut self.shared).signed_in_key = Some(key);
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
        self.shared.endpoints.script()
    }

    /// The path the default warning stylesheet is served at.
    pub fn stylesheet_path(&self) -> &str {
        self.shared.endpoints.stylesheet()
    }
}

impl<S, B> Transform<S, ServiceRequest> for AutoLogoutMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = AutoLogoutService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AutoLogoutService {
            service: Rc::new(service),
            shared: Arc::clone(&self.shared),
            sessions_seen: Rc::default(),
        }))
    }
}

/// The inner [`Service`] made by [`AutoLogoutMiddleware`].
pub struct AutoLogoutService<S> {
    service: Rc<S>,
    shared: Arc<Shared>,
    /// Set once a request showed that `SessionMiddleware` runs before this
    /// service (the order of the middleware does not change afterwards).
    sessions_seen: Rc<Cell<bool>>,
}

impl<S> std::fmt::Debug for AutoLogoutService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoLogoutService")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for AutoLogoutService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let shared = Arc::clone(&self.shared);
        let sessions_seen = Rc::clone(&self.sessions_seen);
        Box::pin(run(shared, service, sessions_seen, req))
    }
}

fn reply<B>(req: ServiceRequest, reply: Reply) -> ServiceResponse<EitherBody<B>> {
    req.into_response(into_response(reply))
        .map_into_right_body()
}

async fn run<S, B>(
    shared: Arc<Shared>,
    service: Rc<S>,
    sessions_seen: Rc<Cell<bool>>,
    req: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let headers = req.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let method = req.method().as_str();
    let path = req.path();
    let endpoint = match engine::route(&shared.endpoints, method, path, header) {
        Route::Reply(answer) => return Ok(reply(req, answer)),
        Route::Continue(endpoint) => endpoint,
    };

    // One `now` for the whole request.
    let now = shared.clock.now();
    let config = &shared.config;
    let activity = engine::activity_of(config, endpoint, method, path, header);
    // SessionMiddleware must have run before us (the core's rule and text,
    // for both stacks): asked until a request shows it has.
    let session = if sessions_seen.get() {
        req.get_session()
    } else {
        match engine::session_layer_ran(session::loaded(&req)) {
            Ok(session) => {
                sessions_seen.set(true);
                session
            }
            Err(mistake) => return Ok(reply(req, mistake.reply(Framework::Actix))),
        }
    };
    // FlashMessagesFramework too, when a message may have to be flashed.
    let messages_before = session::flash_installed(req.request());
    let user_before = shared
        .identity_key
        .and_then(|key| session::user_id(&session, key));
    let mut outcome = session::check(config, &session, now, activity);
    // A stored login, loaded by a store that is not the wrapper?
    if let Some(mistake) = engine::store_mistake(
        shared.store.was_used(),
        outcome != RequestOutcome::Untracked,
    ) {
        return Ok(reply(req, mistake.reply(Framework::Actix)));
    }
    // The application's signed-in key, read only for a session without stamps.
    let signed_in = user_before.is_some()
        || (outcome == RequestOutcome::Untracked
            && shared
                .signed_in_key
                .is_some_and(|key| session::holds_user(&session, key)));
    if engine::starts_clocks_of_untracked_login(config, signed_in, &outcome) {
        // Signed in (actix-identity, or the signed-in key) before the clocks
        // were started (before the middleware was installed): they start now.
        outcome = session::start_clocks(config, &session, now, activity);
    }
    let was_active = matches!(outcome, RequestOutcome::Active { .. });
    let mut replaced = None;
    let mut message_lost = false;
    match outcome {
        RequestOutcome::Active {
            write: Some(stamps),
            ..
        } if session::write_stamps(&session, &stamps).is_err() => {
            return Ok(reply(req, Reply::store_failed()));
        }
        RequestOutcome::Expired(reason) => {
            // Only the request whose delete removed the record runs the
            // hook: once per logout, however many requests (on however many
            // instances, with the Redis store) find the session expired.
            let ended_here = match session::store_key(&session) {
                Some(key) => match shared.store.end_once_local(&key).await {
                    Ok(ended_here) => ended_here,
                    Err(_) => return Ok(reply(req, Reply::store_failed())),
                },
                None => true,
            };
            if let Some(hook) = shared.on_logout.as_ref().filter(|_| ended_here) {
                // Before the session is cleared: the hook sees its data.
                let event = LogoutEvent {
                    reason,
                    session: session.clone(),
                    method: req.method().clone(),
                    uri: req.uri().clone(),
                    headers: req.headers().clone(),
                };
                replaced =
                    engine::run_hook(reason, engine::LOGOUT_HOOK_TIMEOUT, || hook(event)).await;
            }
            // Whatever the hook did: the session ends.
            session::end(&session);
            // The login page shows this request's message itself
            // (`AutoLogoutContext::expiry_message`); every other page's is flashed.
            if let Some(message) = config.message_for(reason)
                && !engine::page_shows_expiry_message(config, path)
                && !session::flash(&req, message)
            {
                // No FlashMessagesFramework before us: the message is lost.
                // Said here, whatever the answer (once per request).
                Mistake::MessagesNotOutside.report(Framework::Actix);
                message_lost = true;
            }
        }
        _ => {}
    }

    if let (RequestOutcome::Expired(reason), Some(mut response)) = (outcome, replaced) {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        let status = response.status().as_u16();
        match engine::hook_answer(reason, endpoint, status, location, header) {
            HookAnswer::AsIs => {
                let own = response.headers().contains_key(header::CACHE_CONTROL);
                if let Some(value) = engine::hook_cache_control(own) {
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
                }
                return Ok(req.into_response(response).map_into_right_body());
            }
            HookAnswer::Reply(answer) => return Ok(reply(req, answer)),
            HookAnswer::Usual => {}
        }
    }
    if endpoint.is_some() {
        return Ok(reply(req, Reply::endpoint(&outcome)));
    }
    if let RequestOutcome::Expired(reason) = outcome {
        let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        if let Some(answer) = engine::expired_reply(config, reason, path, path_and_query, header) {
            return Ok(reply(req, answer));
        }
    }

    let shows_message = matches!(outcome, RequestOutcome::Expired(_))
        && engine::page_shows_expiry_message(config, path);
    req.extensions_mut().insert(RequestState {
        shared: Arc::clone(&shared),
        now,
        outcome,
        shows_message,
    });
    let mut res = service.call(req).await?;
    // FlashMessagesFramework ran, but inside us: too late for our messages.
    let messages_after = session::flash_installed(res.request());
    if let Some(mistake) =
        engine::messages_mistake(messages_configured(config), messages_before, messages_after)
    {
        // Logged already when this request lost its message.
        let answer = if message_lost {
            Reply::misconfigured(mistake.fix(Framework::Actix))
        } else {
            mistake.reply(Framework::Actix)
        };
        let (request, _) = res.into_parts();
        return Ok(ServiceResponse::new(request, into_response(answer)).map_into_right_body());
    }
    let own = res.headers().contains_key(header::CACHE_CONTROL);
    if let Some(value) = engine::page_cache_control(&outcome, activity, own) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    if let Some(key) = shared.identity_key {
        // A login through `Identity::login` during the request: a (different)
        // user id now. Start the clocks of the renewed session.
        let after = session::user_id(&session, key);
        if engine::signed_in_during_request(user_before.as_deref(), after.as_deref()) {
            let _ = session::write_stamps(&session, &crate::Stamps::at_login(now));
        }
    }
    // A session without stamps when the request began, changed by it: a
    // login that forgot `AutoLogout::login`? Nothing to do for an active one.
    if !was_active
        && session.status() != SessionStatus::Unchanged
        && (shared.signed_in_key.is_some()
            || shared
                .watch
                .worth_a_look(config, shared.identity_key.is_some()))
    {
        after_untracked(&shared, &session, now);
    }
    Ok(res.map_into_left_body())
}

/// Whether an automatic logout may flash a message: one is configured for a
/// reason (`invalid` stamps get the general `MESSAGE`).
fn messages_configured(config: &Config) -> bool {
    config.message_for(ExpiryReason::Idle).is_some()
        || config.message_for(ExpiryReason::Session).is_some()
}

/// At the end of a request whose session had no stamps when it began and
/// changed: with a signed-in key, start the clocks of a session that holds
/// it ([`engine::starts_clocks_at_end`]); without any way to start them,
/// warn once when the session holds data but no stamps.
fn after_untracked(shared: &Shared, session: &actix_session::Session, now: crate::Timestamp) {
    let has_stamps = session::has_stamps(session);
    match shared.signed_in_key {
        Some(key) => {
            if engine::starts_clocks_at_end(
                &shared.config,
                false,
                session::holds_user(session, key),
                has_stamps,
            ) {
                let _ = session::write_stamps(session, &crate::Stamps::at_login(now));
            }
        }
        None => {
            if !has_stamps && !session::is_empty(session) {
                shared.watch.report();
            }
        }
    }
}

/// Turns a failing session store into `503` with the crate's text, as on
/// axum, instead of actix-session's empty `500`. Wrap it outside
/// `SessionMiddleware` (the last `wrap`):
///
/// ```
/// use actix_session::{SessionMiddleware, storage::CookieSessionStore};
/// use actix_web::{App, cookie::Key};
/// use auto_logout::Config;
/// use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore, StoreErrors};
///
/// # fn main() -> Result<(), auto_logout::ConfigError> {
/// let config = Config::builder().idle_time("15m").build()?;
/// let store = AutoLogoutStore::new(CookieSessionStore::default());
/// let app = App::new()
///     .wrap(AutoLogoutMiddleware::new(config, &store))
///     .wrap(SessionMiddleware::new(store, Key::generate()))
///     .wrap(StoreErrors);
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
///
/// It recognises the errors `SessionMiddleware` answers a failing store with
/// (loading, saving, updating or deleting a session state) and leaves every
/// other error alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreErrors;

impl<S, B> Transform<S, ServiceRequest> for StoreErrors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = StoreErrorsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(StoreErrorsService {
            service: Rc::new(service),
        }))
    }
}

/// The inner [`Service`] made by [`StoreErrors`].
#[derive(Debug)]
pub struct StoreErrorsService<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for StoreErrorsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            service.call(req).await.map_err(|err| {
                if is_store_error(&err) {
                    // The same error kind, answered with the crate's 503.
                    InternalError::from_response(
                        engine::STORE_FAILED,
                        into_response(Reply::store_failed()),
                    )
                    .into()
                } else {
                    err
                }
            })
        })
    }
}

/// The errors actix-session 0.11's `SessionMiddleware` returns when its store fails.
fn is_store_error(err: &Error) -> bool {
    use actix_session::storage::{SaveError, UpdateError};
    err.as_error::<InternalError<anyhow::Error>>().is_some()
        || err.as_error::<InternalError<UpdateError>>().is_some()
        || err.as_error::<InternalError<SaveError>>().is_some()
}
