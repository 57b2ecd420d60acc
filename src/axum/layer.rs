//! [`AutoLogoutLayer`]: the configuration, the clock and the store, shared by
//! every service it makes.

use std::sync::Arc;

use tower_layer::Layer;
use tower_sessions::SessionStore;

use super::{AutoLogout, AutoLogoutService, AutoLogoutStore, Shared};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::engine::Endpoints;

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
    /// `store` is the [`AutoLogoutStore`] the app gives to its
    /// `SessionManagerLayer` (that very store or a clone of it): its saves keep
    /// a logout final (see the [module docs](super#a-logout-stays-final)).
    /// When the session layer uses another store, the first request with a
    /// stored session is answered `500` with a text that says so.
    pub fn new<S: SessionStore>(config: Config, store: &AutoLogoutStore<S>) -> Self {
        let shared = Shared {
            endpoints: Endpoints::new(&config),
            config,
            clock: Arc::new(SystemClock),
            store: store.shared(),
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
