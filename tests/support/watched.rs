//! Session stores that pass every call on to the store inside, and first do
//! something at each write: count it ([`Counted`]), or hold it at a gate
//! ([`Gated`]). One wrapper for tower-sessions and actix-session stores alike;
//! over a store that keeps a logout final by itself (the crate's `RedisStore`)
//! it passes that store's link to the middleware on.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use actix_session::storage::{LoadError, SaveError, SessionKey, UpdateError};
use actix_web::cookie::time::Duration as Ttl;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

/// Which write a store call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// A new record: tower-sessions' `create`, actix-session's `save`.
    New,
    /// A record that exists: tower-sessions' `save`, actix-session's `update`.
    Update,
    /// actix-session's `update_ttl`.
    Ttl,
}

/// What a [`Watched`] store does before it passes a write on.
pub trait Watch: std::fmt::Debug + Clone + Send + Sync + 'static {
    fn before(&self, write: Write) -> impl Future<Output = ()> + Send;
}

/// `inner`, with `watch` called before each write.
#[derive(Clone, Debug)]
pub struct Watched<S, W> {
    pub inner: S,
    pub watch: W,
}

impl<S, W: Default> Watched<S, W> {
    pub fn new(inner: S) -> Self {
        Watched {
            inner,
            watch: W::default(),
        }
    }
}

/// A store that counts its writes.
pub type Counted<S> = Watched<S, Writes>;

/// The writes of a [`Counted`] store, every kind.
#[derive(Clone, Debug, Default)]
pub struct Writes(pub Arc<AtomicUsize>);

impl Watch for Writes {
    async fn before(&self, _: Write) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl<S> Counted<S> {
    /// The count, shared with the store and its clones.
    pub fn writes(&self) -> Arc<AtomicUsize> {
        self.watch.0.clone()
    }
}

/// A store that, once its gate is armed, stops its next update of an existing
/// record at the gate.
pub type Gated<S> = Watched<S, Arc<Gate>>;

/// Armed, the next update says it got there (`reached`), then waits for
/// `release`.
#[derive(Debug, Default)]
pub struct Gate {
    pub armed: AtomicBool,
    pub reached: tokio::sync::Notify,
    pub release: tokio::sync::Notify,
}

impl Watch for Arc<Gate> {
    async fn before(&self, write: Write) {
        if write == Write::Update && self.armed.swap(false, Ordering::SeqCst) {
            self.reached.notify_one();
            self.release.notified().await;
        }
    }
}

impl<S: auto_logout::GuardedStore, W> auto_logout::GuardedStore for Watched<S, W> {
    fn link(&self) -> auto_logout::StoreLink {
        self.inner.link()
    }
}

#[async_trait::async_trait]
impl<S, W> tower_sessions::SessionStore for Watched<S, W>
where
    S: tower_sessions::SessionStore + Clone,
    W: Watch,
{
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.watch.before(Write::New).await;
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.watch.before(Write::Update).await;
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

type ActixState = HashMap<String, String>;

impl<S, W> actix_session::storage::SessionStore for Watched<S, W>
where
    S: actix_session::storage::SessionStore,
    W: Watch,
{
    async fn load(&self, key: &SessionKey) -> Result<Option<ActixState>, LoadError> {
        self.inner.load(key).await
    }

    async fn save(&self, state: ActixState, ttl: &Ttl) -> Result<SessionKey, SaveError> {
        self.watch.before(Write::New).await;
        self.inner.save(state, ttl).await
    }

    async fn update(
        &self,
        key: SessionKey,
        state: ActixState,
        ttl: &Ttl,
    ) -> Result<SessionKey, UpdateError> {
        self.watch.before(Write::Update).await;
        self.inner.update(key, state, ttl).await
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Ttl) -> anyhow::Result<()> {
        self.watch.before(Write::Ttl).await;
        self.inner.update_ttl(key, ttl).await
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        self.inner.delete(key).await
    }
}
