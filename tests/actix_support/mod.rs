//! Shared helpers of the actix tests: the actix demo on a free port in its own
//! actix system, with a manual clock, and session stores for the tests.
//! The HTTP client ([`Browser`]) is the axum tests' one.
#![allow(dead_code)]

pub use auto_logout_demos::actix_demo as app;

use std::collections::HashMap;
use std::net::SocketAddr;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::{Key, time::Duration};
use actix_web::web;
use auto_logout::actix::AutoLogoutStore;
use auto_logout::{Config, ManualClock, Stamps};

use crate::support::{Browser, Fault, FaultSwitch, StoreCall, T0};

/// The actix demo with `settings` over `stack` (and `extra` routes) on a
/// free loopback port, on its own thread and actix system, as a process of
/// its own runs it: the address, and the system (stop it to stop the server).
pub fn spawn<G, T, F>(
    settings: app::Settings,
    stack: app::Stack<G, T>,
    extra: F,
) -> (SocketAddr, actix_web::rt::System)
where
    G: auto_logout::GuardedStore + Clone + Send + 'static,
    T: SessionStore + Clone + Send + 'static,
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let (server, addr) = app::serve(settings, stack, listener, extra).unwrap();
            tx.send((addr, actix_web::rt::System::current())).unwrap();
            let _ = server.await;
        });
    });
    rx.recv().expect("the actix site starts")
}

/// The actix demo running on a free port, on its own thread and actix system.
pub struct ActixSite<S = app::MemoryStore> {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub store: AutoLogoutStore<S>,
    system: actix_web::rt::System,
}

impl ActixSite {
    /// The demo with `config`, a manual clock at [`T0`] and a wrapped memory store.
    pub fn start(config: Config) -> ActixSite {
        Self::start_with(
            config,
            AutoLogoutStore::new(app::MemoryStore::default()),
            |_| {},
        )
    }
}

impl<S: SessionStore + Clone + Send + Sync + 'static> ActixSite<S> {
    /// The demo over `store`, with routes added by `extra`.
    pub fn start_with<F>(config: Config, store: AutoLogoutStore<S>, extra: F) -> ActixSite<S>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        Self::start_custom(config, store, extra, |_| {})
    }

    /// [`ActixSite::start_with`], with the settings changed by `change`.
    pub fn start_custom<F>(
        config: Config,
        store: AutoLogoutStore<S>,
        extra: F,
        change: impl FnOnce(&mut app::Settings),
    ) -> ActixSite<S>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let mut settings = app::Settings::new(config);
        change(&mut settings);
        let stack = app::Stack::new(store.clone(), Key::generate());
        Self::launch(settings, stack, ManualClock::new(T0), extra)
    }

    /// [`ActixSite::start_with`], but `SessionMiddleware`'s updates and
    /// deletes bypass the wrapper's rule (its loads still go through it, so
    /// the middleware sees it installed): what the wrapper prevents.
    pub fn start_bypassing<F>(config: Config, store: AutoLogoutStore<S>, extra: F) -> ActixSite<S>
    where
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        let stack = app::Stack {
            store: store.clone(),
            sessions: Bypass(store),
            key: Key::generate(),
        };
        Self::launch(
            app::Settings::new(config),
            stack,
            ManualClock::new(T0),
            extra,
        )
    }

    /// The demo over `stack` as it is (say, with a `SessionMiddleware` store
    /// that is not the wrapper).
    pub fn start_stack<T>(config: Config, stack: app::Stack<AutoLogoutStore<S>, T>) -> ActixSite<S>
    where
        T: SessionStore + Clone + Send + 'static,
    {
        Self::launch(
            app::Settings::new(config),
            stack,
            ManualClock::new(T0),
            |_| {},
        )
    }

    /// One of several instances behind a load balancer: the same `clock`
    /// (synchronised servers) and cookie `key` as the others.
    pub fn start_shared(
        config: Config,
        store: AutoLogoutStore<S>,
        clock: ManualClock,
        key: Key,
    ) -> ActixSite<S> {
        let stack = app::Stack::new(store, key);
        Self::launch(app::Settings::new(config), stack, clock, |_| {})
    }

    fn launch<T, F>(
        mut settings: app::Settings,
        stack: app::Stack<AutoLogoutStore<S>, T>,
        clock: ManualClock,
        extra: F,
    ) -> ActixSite<S>
    where
        T: SessionStore + Clone + Send + 'static,
        F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
    {
        settings.clock = Some(clock.clone());
        let store = stack.store.clone();
        let (addr, system) = spawn(settings, stack, extra);
        ActixSite {
            addr,
            clock,
            store,
            system,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(self.addr)
    }

    /// Moves the site's clock forward.
    pub fn advance(&self, millis: u64) {
        self.clock.advance(std::time::Duration::from_millis(millis));
    }
}

impl<S> Drop for ActixSite<S> {
    fn drop(&mut self) {
        self.system.stop();
    }
}

/// The value of the cookie `name` that `b` sends to its site, if any.
pub fn cookie_of(b: &Browser, name: &str) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url = b.url("/").parse().unwrap();
    let header = b.jar.cookies(&url)?;
    header.to_str().ok()?.split("; ").find_map(|pair| {
        let (n, value) = pair.split_once('=')?;
        (n == name).then(|| value.to_owned())
    })
}

/// A new browser for `addr` with only the cookie `name=value`.
pub fn with_cookie(addr: SocketAddr, name: &str, value: &str) -> Browser {
    let b = Browser::new(addr);
    let url = format!("http://{addr}/").parse().unwrap();
    b.jar
        .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    b
}

/// The stamps in an actix-session state, decoded.
pub fn stamps_in(state: &HashMap<String, String>) -> Option<Stamps> {
    let raw = state.get(Stamps::SESSION_KEY)?;
    let text: String = serde_json::from_str(raw).ok()?;
    Stamps::decode(&text).ok()
}

/// The wrapper with its rule bypassed: loads and new saves go through it
/// (so the middleware sees it installed), updates and deletes go straight to
/// the wrapped store, as if `SessionMiddleware` had been given that store.
#[derive(Clone)]
pub struct Bypass<S>(pub AutoLogoutStore<S>);

impl<S: SessionStore> SessionStore for Bypass<S> {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        self.0.load(key).await
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.0.save(state, ttl).await
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.0.inner().update(key, state, ttl).await
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        self.0.update_ttl(key, ttl).await
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        self.0.inner().delete(key).await
    }
}

/// A store that fails, hangs or fails one kind of call as its [`Fault`]
/// says, as a store that lost its connection does.
#[derive(Clone, Default)]
pub struct FlakyStore<S> {
    pub inner: S,
    pub fault: FaultSwitch,
}

impl<S> FlakyStore<S> {
    pub fn new(inner: S) -> Self {
        FlakyStore {
            inner,
            fault: FaultSwitch::default(),
        }
    }

    /// Every call fails (`true`) or works again (`false`).
    pub fn fail(&self, on: bool) {
        self.fault.set(if on { Fault::Fails } else { Fault::Works });
    }

    async fn before(&self, call: StoreCall) -> anyhow::Result<()> {
        self.fault.before(call).await.map_err(anyhow::Error::msg)
    }
}

impl<S: SessionStore> SessionStore for FlakyStore<S> {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        self.before(StoreCall::Read)
            .await
            .map_err(LoadError::Other)?;
        self.inner.load(key).await
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.before(StoreCall::Write)
            .await
            .map_err(SaveError::Other)?;
        self.inner.save(state, ttl).await
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.before(StoreCall::Write)
            .await
            .map_err(UpdateError::Other)?;
        self.inner.update(key, state, ttl).await
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        self.before(StoreCall::Write).await?;
        self.inner.update_ttl(key, ttl).await
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        self.before(StoreCall::Delete).await?;
        self.inner.delete(key).await
    }
}
