//! [`AutoLogoutLayer`]: the configuration, the clock and the store, shared by
//! every service it makes.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum_core::response::Response;
use tower_layer::Layer;

use super::{AutoLogout, AutoLogoutService, LogoutEvent, Shared};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store_lock::GuardedStore;

/// The tower [`Layer`]: checks both limits on every request, records activity,
/// logs expired sessions out and serves the endpoints. See the [module
/// docs](super) for what it does and where it goes in the layer stack.
#[derive(Clone, Debug)]
pub struct AutoLogoutLayer {
    shared: Arc<Shared>,
}

impl AutoLogoutLayer {
    /// A layer for `config`, reading the system clock.
    ///
    /// `store` is the store the app gives to its `SessionManagerLayer`
    /// (that very store or a clone of it): an [`AutoLogoutStore`](super::AutoLogoutStore)
    /// around any tower-sessions store, or the crate's
    /// [`RedisStore`](crate::redis::RedisStore) (feature `redis`). Its saves keep
    /// a logout final (see the [module docs](super#a-logout-stays-final)).
    /// When the session layer uses another store, the first request with a
    /// stored session is answered `500` with a text that says so, and the
    /// same text is logged at error level
    /// ([`Mistake::StoreNotWrapped`](crate::engine::Mistake::StoreNotWrapped)).
    pub fn new<S: GuardedStore>(config: Config, store: &S) -> Self {
        let shared = Shared::new(config, Arc::new(SystemClock), store.link());
        AutoLogoutLayer {
            shared: Arc::new(shared),
        }
    }

    /// Reads `now` from `clock` instead of the system clock, e.g. a
    /// [`ManualClock`](crate::ManualClock) in tests.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        Arc::make_mut(&mut self.shared).set_clock(Arc::new(clock));
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
    /// `.layer(MessagesManagerLayer).layer(auto_logout).layer(auth_layer)`
    /// (the auth layer holds the session layer and reads the session first,
    /// so a store failure is answered by axum-login there).
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
        Arc::make_mut(&mut self.shared).auth = Some(Arc::new(super::login::Hook::<B> {
            data_key,
            backend: std::marker::PhantomData,
        }));
        self
    }

    /// Runs `hook` on every automatic logout — idle, absolute limit, or stamps
    /// that cannot be trusted, whichever request finds it — before the
    /// session is flushed, as django-auto-logout's `CUSTOM_LOGOUT_FUNC`. The
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
    /// `hook_failed` (feature `tracing`). The timeout needs Tokio's timer, as
    /// every axum server has.
    ///
    /// ```
    /// use auto_logout::Config;
    /// use auto_logout::axum::{AutoLogoutLayer, AutoLogoutStore, LogoutEvent};
    /// use axum::response::{IntoResponse, Redirect, Response};
    /// use tower_sessions::MemoryStore;
    ///
    /// async fn end_session_at_the_provider(
    ///     event: LogoutEvent,
    /// ) -> Result<Option<Response>, tower_sessions::session::Error> {
    ///     let Some(id_token) = event.session().get::<String>("id_token").await? else {
    ///         return Ok(None); // not signed in through the provider: the usual answer
    ///     };
    ///     let url = format!(
    ///         "https://idp.example/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Flogin"
    ///     );
    ///     Ok(Some(Redirect::to(&url).into_response()))
    /// }
    ///
    /// # fn main() -> Result<(), auto_logout::ConfigError> {
    /// let store = AutoLogoutStore::new(MemoryStore::default());
    /// let layer = AutoLogoutLayer::new(Config::builder().idle_time("15m").build()?, &store)
    ///     .on_logout(end_session_at_the_provider);
    /// # let _ = layer;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_logout<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(LogoutEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Response>, E>> + Send + 'static,
        E: fmt::Display + 'static,
    {
        Arc::make_mut(&mut self.shared).on_logout = Some(super::hook::erase(hook));
        self
    }

    /// How long the logout hook may take before the request gets the usual
    /// answer (the session is logged out either way): [`LOGOUT_HOOK_TIMEOUT`]
    /// (5 s) unless set. A hook that calls an identity provider that hangs
    /// must not hang the request.
    ///
    /// [`LOGOUT_HOOK_TIMEOUT`]: crate::engine::LOGOUT_HOOK_TIMEOUT
    pub fn logout_hook_timeout(mut self, limit: std::time::Duration) -> Self {
        Arc::make_mut(&mut self.shared).hook_timeout = limit;
        self
    }

    /// Names the session key that holds the signed-in user (say `"user"`),
    /// for apps whose login does not call [`AutoLogout::login`]: a session
    /// that holds this key (not `null`) but has no clocks gets them started
    /// by the layer, as with axum-login.
    ///
    /// - A login handler that inserts the key and forgets the login call:
    ///   the clocks start at the end of that request (its time is the login
    ///   time), so the first page after the login is tracked.
    /// - A session that holds the key when a request begins but has no clocks
    ///   (signed in before the layer was installed): they start with that
    ///   request.
    ///
    /// The session id is not cycled then (that is the login handler's job,
    /// and [`AutoLogout::login`] does it). Without this, axum-login or a login
    /// call, a session that ends a request with data but no clocks makes the
    /// layer warn once (see the README's "quick start").
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

    /// The path the default warning stylesheet is served at
    /// (`<prefix>auto-logout.<hash>.css`, as [`Config::stylesheet_url`]).
    pub fn stylesheet_path(&self) -> &str {
        self.shared.endpoints.stylesheet()
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
