//! [`AutoLogoutStore`]: the session store wrapper that keeps a logout final.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use crate::engine::save_rule::{self, InStore, SaveAction};
use crate::sessions::{MemoryIndex, OWNER_KEY, Owner};
use crate::stamps::Stamps;
use crate::store_lock::{self, BoxFuture, EndOnce, GuardedStore, StoreLink, StoreLocks};

/// A [`SessionStore`] wrapper that makes a logout final where the session is
/// saved: give it to `SessionManagerLayer`, and the same store (or a clone)
/// to [`AutoLogoutLayer::new`](super::AutoLogoutLayer::new).
///
/// ```
/// use auto_logout::Config;
/// use auto_logout::axum::{AutoLogoutLayer, AutoLogoutStore};
/// use axum::Router;
/// use axum_messages::MessagesManagerLayer;
/// use tower_sessions::{MemoryStore, SessionManagerLayer};
///
/// # fn main() -> Result<(), auto_logout::ConfigError> {
/// let store = AutoLogoutStore::new(MemoryStore::default());
/// let app: Router = Router::new()
///     .layer(MessagesManagerLayer)
///     .layer(AutoLogoutLayer::new(Config::builder().idle_time("15m").build()?, &store))
///     .layer(SessionManagerLayer::new(store));
/// # Ok(())
/// # }
/// ```
///
/// Its `save` reads the stored record first and applies the
/// [save rule](crate::engine::save_rule): a record that is gone is never re-created;
/// a copy whose login is older than the stored one is dropped; for the same
/// login, the later of the two last activities is written. `load` and `create` pass through; `delete` passes
/// through too, but waits for a `save` of the same id that is under way.
/// With [`AutoLogoutStore::with_timeout`], no call waits longer than its limit.
///
/// Atomic within one process: a `save` and a `delete` of the same id take
/// the same async lock, so a logout cannot land between the read and the
/// write. tower-sessions' `cycle_id` (at every login and logout) deletes the
/// old id at once and later `create`s the record under a fresh id, so every
/// copy still in flight under the old id finds it gone; `flush` deletes too.
/// See the [module docs](super#a-logout-stays-final) for several instances
/// on one store.
pub struct AutoLogoutStore<S> {
    inner: Arc<S>,
    shared: Arc<StoreLocks>,
    /// Every user's sessions, in this process.
    index: Arc<MemoryIndex>,
    timeout: Option<Duration>,
}

impl<S: SessionStore> AutoLogoutStore<S> {
    /// Wraps `inner` (a `MemoryStore`, a `RedisStore`, ...).
    pub fn new(inner: S) -> Self {
        AutoLogoutStore {
            inner: Arc::new(inner),
            shared: Arc::new(StoreLocks::new()),
            index: Arc::new(MemoryIndex::default()),
            timeout: None,
        }
    }

    /// Fails every call of the wrapped store that takes longer than `limit`,
    /// so that a store that does not answer gets the request the layer's
    /// `503` within about `limit` (two calls at most: a `save` reads, then
    /// writes), never a hang. A Redis client's own command timeout does the
    /// same; this one covers any store. Needs a Tokio runtime with its timer.
    pub fn with_timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// `call`, failed with a backend error when it outlasts the timeout.
    async fn timed<T>(
        &self,
        call: impl std::future::Future<Output = session_store::Result<T>>,
    ) -> session_store::Result<T> {
        store_lock::timed(self.timeout, call, session_store::Error::Backend).await
    }
}

impl<S> AutoLogoutStore<S> {
    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SessionStore> GuardedStore for AutoLogoutStore<S> {
    fn link(&self) -> StoreLink {
        StoreLink {
            locks: self.shared.clone(),
            ender: Arc::new(self.clone()),
            index: self.index.clone(),
        }
    }
}

impl<S: SessionStore> EndOnce for AutoLogoutStore<S> {
    /// Under the id's lock: the record loaded, and deleted when it is there.
    /// Once per logout within one process; several instances on one store
    /// share no lock (the crate's Redis store ends a session once across them).
    fn end_once<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let text = id;
            let Ok(id) = id.parse::<Id>() else {
                return Ok(true);
            };
            let _guard = self.shared.lock_for(&id).lock().await;
            if self.index.any_tracked() && !self.index.claim_end(text) {
                // Ended while nobody was there (revoked, swept): its
                // `logout` event was written then.
                self.timed(self.inner.delete(&id))
                    .await
                    .map_err(|error| error.to_string())?;
                return Ok(false);
            }
            let there = match self.timed(self.inner.load(&id)).await {
                Ok(record) => record.is_some(),
                // A record the store cannot read is there, and ends here.
                Err(session_store::Error::Decode(_)) => true,
                Err(error) => return Err(error.to_string()),
            };
            if there {
                self.timed(self.inner.delete(&id))
                    .await
                    .map_err(|error| error.to_string())?;
            }
            Ok(there)
        })
    }
}

impl<S> Clone for AutoLogoutStore<S> {
    fn clone(&self) -> Self {
        AutoLogoutStore {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
            index: self.index.clone(),
            timeout: self.timeout,
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AutoLogoutStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoLogoutStore")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The stamps text of a record: `Some("")` (unreadable) for a value that is
/// not a string.
fn stamps_of(record: &Record) -> Option<Cow<'_, str>> {
    match record.data.get(Stamps::SESSION_KEY)? {
        Value::String(text) => Some(Cow::Borrowed(text)),
        _ => Some(Cow::Borrowed("")),
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for AutoLogoutStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id: nothing to merge with.
        self.shared.mark_used();
        // A sign-in: indexed before its login is written, so a revocation
        // of its user never misses it.
        let owner = owner_of(record);
        if let Some(owner) = &owner {
            self.index.saved(
                &record.id.to_string(),
                Some(owner.clone()),
                stamps_of(record).as_deref(),
            );
        }
        let before = record.id;
        let result = self.timed(self.inner.create(record)).await;
        if owner.is_some() && (result.is_err() || record.id != before) {
            // Under another id (the store found the first one taken), or not at all.
            self.index.claim_end(&before.to_string());
            if result.is_ok() {
                self.index
                    .saved(&record.id.to_string(), owner, stamps_of(record).as_deref());
            }
        }
        result.inspect_err(|error| failed("create", &record.id, error))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.shared.mark_used();
        let _guard = self.shared.lock_for(&record.id).lock().await;
        self.save_merged(record)
            .await
            .inspect_err(|error| failed("save", &record.id, error))
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.shared.mark_used();
        let loaded = self
            .timed(self.inner.load(session_id))
            .await
            .inspect_err(|error| failed("load", session_id, error));
        if self.index.any_ended() {
            // Ended while nobody was there: its next request is told why.
            return loaded.map(|record| record.map(|record| self.unless_ended(record)));
        }
        loaded
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.shared.mark_used();
        let _guard = self.shared.lock_for(session_id).lock().await;
        if self.index.any_tracked() {
            self.index.claim_end(&session_id.to_string());
        }
        self.timed(self.inner.delete(session_id))
            .await
            .inspect_err(|error| failed("delete", session_id, error))
    }
}

impl<S> AutoLogoutStore<S> {
    /// `record`, or what says why when its session was ended while nobody
    /// was there.
    #[cold]
    fn unless_ended(&self, record: Record) -> Record {
        match self.index.ended_stamps(&record.id.to_string()) {
            Some(ended) => ended_record(record, ended),
            None => record,
        }
    }
}

impl<S: SessionStore> AutoLogoutStore<S> {
    /// `save` under its lock: the stored record read, the save rule applied.
    async fn save_merged(&self, record: &Record) -> session_store::Result<()> {
        if self.index.any_ended() && self.index.is_ended(&record.id.to_string()) {
            // Ended while nobody was there: never brought back.
            return Ok(());
        }
        let stored = self.timed(self.inner.load(&record.id)).await?;
        // The stamps merged in, when the stored ones won.
        let (written, merged_stamps) = match decide_for(record, stored.as_ref()) {
            SaveAction::Drop => return Ok(()),
            SaveAction::Write => (self.timed(self.inner.save(record)).await, None),
            SaveAction::WriteStamps(stamps) => {
                let mut merged = record.clone();
                merged.data.insert(
                    Stamps::SESSION_KEY.to_owned(),
                    Value::String(stamps.encode()),
                );
                (self.timed(self.inner.save(&merged)).await, Some(stamps))
            }
        };
        // A signed-in session's stamps, for its listing and the sweeper
        // (nothing to do for any other session).
        if written.is_ok()
            && record.data.contains_key(OWNER_KEY)
            && let Some(owner) = owner_of(record)
        {
            let stamps = match merged_stamps {
                Some(stamps) => Some(Cow::Owned(stamps.encode())),
                None => stamps_of(record),
            };
            self.index
                .saved(&record.id.to_string(), Some(owner), stamps.as_deref());
        }
        match written {
            // Another instance deleted the record between the read and the
            // write, and the store refused to re-create it (a Redis store's
            // `SET .. XX`): the rule's drop, not a failure.
            Err(session_store::Error::Backend(_))
                if matches!(self.timed(self.inner.load(&record.id)).await, Ok(None)) =>
            {
                Ok(())
            }
            written => written,
        }
    }
}

/// The audit event of a failed store call (feature `tracing`): for encoding
/// and decoding errors, whose message may quote session data, only what
/// failed; otherwise the store's text, the session id taken out.
#[cold]
fn failed(operation: &'static str, id: &Id, error: &session_store::Error) {
    super::store_errors::note_store_failure();
    match error {
        session_store::Error::Encode(_) => {
            store_lock::report_failure(operation, None, &"the session record could not be encoded")
        }
        session_store::Error::Decode(_) => store_lock::report_failure(
            operation,
            None,
            &"the stored session record could not be decoded",
        ),
        session_store::Error::Backend(text) => {
            if store_lock::reporting_failures() {
                store_lock::report_failure(operation, Some(&id.to_string()), text);
            }
        }
    }
}

/// The owner of a signed-in session, if the record holds one.
fn owner_of(record: &Record) -> Option<Owner> {
    Owner::from_value(record.data.get(OWNER_KEY)?)
}

/// What a load of a session ended while nobody was there gives: its
/// expiry, and only the stamps that say why.
fn ended_record(record: Record, ended: String) -> Record {
    let mut data = std::collections::HashMap::with_capacity(1);
    data.insert(Stamps::SESSION_KEY.to_owned(), Value::String(ended));
    Record {
        id: record.id,
        data,
        expiry_date: record.expiry_date,
    }
}

/// The save rule for `ours` over what the store holds.
fn decide_for(ours: &Record, stored: Option<&Record>) -> SaveAction {
    let ours_text = stamps_of(ours);
    let stored_text = stored.map(stamps_of);
    let in_store = match &stored_text {
        None => InStore::Gone,
        Some(text) => InStore::Stamps(text.as_deref()),
    };
    save_rule::decide(ours_text.as_deref(), in_store)
}
