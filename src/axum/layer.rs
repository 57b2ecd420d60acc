//! [`AutoLogoutLayer`]: the configuration, the clock and the store, shared by
//! every service it makes.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum_core::response::Response;
use tower_layer::Layer;

use super::{AutoLogout, AutoLogoutService, LogoutEvent, Shared, UnlockAttempt};
use crate::clock::SystemClock;
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

    /// Runs `hook` on every automatic logout, before the session is
    /// cleared: it gets a [`LogoutEvent`] (the reason, the session with its
    /// data, the request), and its `Ok(Some(response))` replaces the answer.
    /// Once per logout; failures, panics and hooks that hang never reach
    /// the request: see [what the hook's answer does](crate::engine::LogoutEvent#what-the-hooks-answer-does).
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

    /// Checks the password given in the lock dialog (`LOCK_AFTER`) or in
    /// "Sign in again" before the absolute limit: `hook` gets an
    /// [`UnlockAttempt`] (the session, the password) and answers whether
    /// the password is the signed-in user's. Without it, `<prefix>unlock`
    /// and `<prefix>reauthenticate` answer `404`. An `Err`, a panic or no
    /// answer within the hook limit ([`logout_hook_timeout`](Self::logout_hook_timeout))
    /// answers `503` and counts no wrong password.
    ///
    /// ```
    /// use auto_logout::Config;
    /// use auto_logout::axum::{AutoLogoutLayer, AutoLogoutStore, UnlockAttempt};
    /// use tower_sessions::MemoryStore;
    ///
    /// async fn check_password(attempt: UnlockAttempt) -> Result<bool, tower_sessions::session::Error> {
    ///     let user: Option<String> = attempt.session.get("user").await?;
    ///     // Compare with the user's stored password hash here.
    ///     Ok(user.is_some() && attempt.password == "demo")
    /// }
    ///
    /// # fn main() -> Result<(), auto_logout::ConfigError> {
    /// let store = AutoLogoutStore::new(MemoryStore::default());
    /// let config = Config::builder().idle_time("15m").lock_after("5m").build()?;
    /// let layer = AutoLogoutLayer::new(config, &store).on_unlock(check_password);
    /// # let _ = layer;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_unlock<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn(UnlockAttempt) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<bool, E>> + Send + 'static,
        E: fmt::Display + 'static,
    {
        Arc::make_mut(&mut self.shared).on_unlock = Some(super::hook::erase_unlock(hook));
        self
    }

    crate::engine::flow::shared_methods!();
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
