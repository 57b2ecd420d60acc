//! [`AutoLogoutMiddleware`] (the `Transform`) and [`AutoLogoutService`] (its
//! inner `Service`), after actix-identity's middleware; [`StoreErrors`] for
//! store outages.

use std::cell::Cell;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{Error, HttpMessage as _, HttpResponse};

use super::response::into_response;
use super::session::{self, ActixExchange};
use super::{AutoLogout, LogoutEvent, Shared, UnlockAttempt};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::engine::flow::{self, Begin, Finish};
use crate::engine::{self, Reply};
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
        let shared = Shared::new(config, Arc::new(SystemClock), store.link());
        AutoLogoutMiddleware {
            shared: Arc::new(shared),
        }
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
        Arc::make_mut(&mut self.shared).auth = Some(key);
        self
    }

    /// Runs `hook` on every automatic logout, before the session is
    /// cleared: it gets a [`LogoutEvent`] (the reason, the session with its
    /// data, the request), and its `Ok(Some(response))` replaces the answer.
    /// Once per logout; failures, panics and hooks that hang never reach
    /// the request: see [what the hook's answer does](crate::engine::LogoutEvent#what-the-hooks-answer-does).
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

    /// Checks the password given in the lock dialog (`LOCK_AFTER`) or in
    /// "Sign in again" before the absolute limit: `hook` gets an
    /// [`UnlockAttempt`] (the session, the password) and answers whether
    /// the password is the signed-in user's. Without it, `<prefix>unlock`
    /// and `<prefix>reauthenticate` answer `404`. An `Err`, a panic or no
    /// answer within the hook limit ([`logout_hook_timeout`](Self::logout_hook_timeout))
    /// answers `503` and counts no wrong password.
    ///
    /// ```
    /// use actix_session::storage::CookieSessionStore;
    /// use auto_logout::Config;
    /// use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore, UnlockAttempt};
    ///
    /// async fn check_password(attempt: UnlockAttempt) -> Result<bool, actix_session::SessionGetError> {
    ///     let user: Option<String> = attempt.session.get("user")?;
    ///     // Compare with the user's stored password hash here.
    ///     Ok(user.is_some() && attempt.password == "demo")
    /// }
    ///
    /// # fn main() -> Result<(), auto_logout::ConfigError> {
    /// let store = AutoLogoutStore::new(CookieSessionStore::default());
    /// let config = Config::builder().idle_time("15m").lock_after("5m").build()?;
    /// let middleware = AutoLogoutMiddleware::new(config, &store).on_unlock(check_password);
    /// # let _ = middleware;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_unlock<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(UnlockAttempt) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<bool, E>> + 'static,
        E: std::fmt::Display + 'static,
    {
        Arc::make_mut(&mut self.shared).on_unlock = Some(super::hook::erase_unlock(hook));
        self
    }

    crate::engine::flow::shared_methods!();
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

/// The engine's flow before the application answers. Boxed apart by [`run`]:
/// with the headers the rules read it is the larger half of the request's
/// state, and each half stays small enough for the allocator's per-thread
/// cache.
async fn begin(
    shared: &Arc<Shared>,
    req: &ServiceRequest,
    sessions_seen: &Cell<bool>,
    form: Option<String>,
) -> Begin<HttpResponse, actix_session::Session> {
    let mut exchange = ActixExchange::new(req, sessions_seen, form);
    flow::begin(shared, &mut exchange).await
}

/// The body of a password endpoint's request: at most
/// [`FORM_LIMIT`](crate::engine::FORM_LIMIT) bytes of UTF-8, else `None`.
async fn read_form(req: &mut ServiceRequest) -> Option<String> {
    let body = req.extract::<actix_web::web::Bytes>().await.ok()?;
    if body.len() > crate::engine::FORM_LIMIT {
        return None;
    }
    flow::form_text(&body)
}

async fn run<S, B>(
    shared: Arc<Shared>,
    service: Rc<S>,
    sessions_seen: Rc<Cell<bool>>,
    mut req: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    // The password endpoints' form, read before the flow (which answers
    // them itself).
    let form = if flow::reads_form(&shared.endpoints, req.method().as_str(), req.path()) {
        let read = Box::pin(read_form(&mut req));
        read.await
    } else {
        None
    };
    // Boxed in a statement of its own: a temporary of the `await` statement
    // would keep the unboxed future's place in this one (see the axum twin).
    let begun = Box::pin(begin(&shared, &req, &sessions_seen, form));
    let pending = match begun.await {
        Begin::Reply(answer) => return Ok(reply(req, answer)),
        Begin::HookResponse(response) => {
            return Ok(req.into_response(response).map_into_right_body());
        }
        Begin::Continue(pending) => pending,
    };
    req.extensions_mut().insert(pending.state.clone());
    let mut res = service.call(req).await?;
    // FlashMessagesFramework ran, but inside us: too late for our messages.
    let messages_after = session::flash_installed(res.request());
    let has_cache_control = res.headers().contains_key(header::CACHE_CONTROL);
    match flow::finish(&pending, messages_after, has_cache_control) {
        Finish::Keep { cache_control } => {
            if let Some(value) = cache_control {
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
            }
        }
        Finish::Replace(answer) => {
            let (request, _) = res.into_parts();
            return Ok(ServiceResponse::new(request, into_response(answer)).map_into_right_body());
        }
    }
    if let Some(after) = flow::after_change(&pending) {
        after.await;
    }
    Ok(res.map_into_left_body())
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use actix_session::storage::CookieSessionStore;
    use actix_web::test::TestRequest;

    use crate::Config;
    use crate::actix::{AutoLogoutMiddleware, AutoLogoutStore};

    /// As on axum: the most a request's future may hold to be allocated from
    /// the allocator's per-thread cache (a debug build).
    const FUTURE_BYTES_AT_MOST: usize = 1_016;

    /// The future of one request and the flow's first half, boxed apart,
    /// each stay small enough for the allocator's per-thread cache.
    #[test]
    fn the_request_future_stays_small() {
        let store = AutoLogoutStore::new(CookieSessionStore::default());
        let config = Config::builder().idle_time(60).build().unwrap();
        let shared = AutoLogoutMiddleware::new(config, &store).handle().shared;
        let req = TestRequest::default().to_srv_request();
        let seen = Cell::new(false);
        let begin = super::begin(&shared, &req, &seen, None);
        let size = std::mem::size_of_val(&begin);
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("actix flow's first half: {size} bytes\n").as_bytes(),
        );
        assert!(size <= FUTURE_BYTES_AT_MOST, "{size} bytes");
        drop(begin);
        let service = std::rc::Rc::new(actix_web::dev::fn_service(
            |req: actix_web::dev::ServiceRequest| async move {
                Ok::<_, actix_web::Error>(req.into_response(actix_web::HttpResponse::Ok().finish()))
            },
        ));
        let run = super::run(shared, service, std::rc::Rc::default(), req);
        let size = std::mem::size_of_val(&run);
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("actix request future: {size} bytes\n").as_bytes(),
        );
        assert!(size <= FUTURE_BYTES_AT_MOST, "{size} bytes");
    }
}
