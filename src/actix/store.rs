//! [`AutoLogoutStore`]: the actix-session store wrapper that keeps a logout final.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use crate::engine::save_rule::{self, InStore, SaveAction};
use crate::sessions::{MemoryIndex, OWNER_KEY, Owner};
use crate::stamps::Stamps;
use crate::store_lock::{
    self, BoxFuture, EndOnce, GuardedStore, LocalBoxFuture, STORE_KEY_ENTRY, StoreLink, StoreLocks,
};

/// An actix-session [`SessionStore`] wrapper that makes a logout final where
/// the session is saved: give it (or a clone) to `SessionMiddleware` in place
/// of the store it wraps, and to [`AutoLogoutMiddleware::new`](super::AutoLogoutMiddleware::new).
///
/// ```no_run
/// use actix_session::{SessionMiddleware, storage::RedisSessionStore};
/// use actix_web::{App, cookie::Key};
/// use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore};
/// use auto_logout::Config;
///
/// # async fn app() -> Result<(), Box<dyn std::error::Error>> {
/// let store = AutoLogoutStore::new(RedisSessionStore::new("redis://127.0.0.1:6379").await?);
/// let config = Config::builder().idle_time("15m").build()?;
/// let key = Key::generate();
/// let app = App::new()
///     .wrap(AutoLogoutMiddleware::new(config, &store))
///     .wrap(SessionMiddleware::new(store, key));
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
///
/// `SessionMiddleware` calls `update` at the end of a request that changed
/// a session. Here `update` reads the stored state first, under a lock per
/// session key, and applies the [save rule](crate::engine::save_rule): a state that
/// is gone (logged out or expired meanwhile) is never re-created — actix-session's
/// Redis store would re-create it under a new key — a write whose login
/// differs from the stored one is dropped, and for the same login the later
/// of the two last activities is written. `delete` takes the same lock;
/// `load`, `save` (a new key) and `update_ttl` pass through.
///
/// With [`AutoLogoutStore::with_timeout`], no call waits longer than its limit.
///
/// Forgetting it does not pass silently: when `SessionMiddleware` was given
/// another store, the first request with a stored login gets a `500` that
/// says so.
///
/// Atomic within one process (every worker of one `HttpServer` shares the
/// locks through the clones of one store). Several processes on one Redis
/// narrow the window to the read-then-write of one `update`.
pub struct AutoLogoutStore<S> {
    inner: Arc<S>,
    locks: Arc<StoreLocks>,
    /// Every user's sessions, in this process.
    index: Arc<MemoryIndex>,
    timeout: Option<std::time::Duration>,
}

impl<S> AutoLogoutStore<S> {
    /// Wraps `inner` (a `RedisSessionStore`, or a store of your own).
    pub fn new(inner: S) -> Self {
        AutoLogoutStore {
            inner: Arc::new(inner),
            locks: Arc::new(StoreLocks::new()),
            index: Arc::new(MemoryIndex::default()),
            timeout: None,
        }
    }

    /// Fails every call of the wrapped store that takes longer than `limit`,
    /// so that a store that does not answer (a Redis that is down while its
    /// client keeps reconnecting) gets the request a `503` from
    /// [`StoreErrors`](super::StoreErrors) within `limit`, never a hang.
    /// Needs a Tokio runtime with its timer (actix-web's has it).
    pub fn with_timeout(mut self, limit: std::time::Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SessionStore + Send + Sync + 'static> GuardedStore for AutoLogoutStore<S> {
    fn link(&self) -> StoreLink {
        StoreLink {
            locks: Arc::clone(&self.locks),
            ender: Arc::new(Ender(self.clone())),
            index: self.index.clone(),
        }
    }
}

/// The wrapper as the middleware's way to end a session once. actix-session's
/// store futures are not `Send` (actix-web runs each worker on one thread):
/// the middleware awaits [`EndOnce::end_once_local`] on that thread.
struct Ender<S>(AutoLogoutStore<S>);

impl<S: SessionStore + Send + Sync + 'static> EndOnce for Ender<S> {
    fn end_once<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        // Only the actix middleware holds this link, and it calls the local form.
        Box::pin(std::future::ready(Err(
            "an actix-session store is ended on its worker's thread".to_owned(),
        )))
    }

    /// Under the key's lock: the state loaded, and deleted when it is there.
    /// Once per logout within one process; several instances on one store
    /// share no lock (the crate's Redis store ends a session once across them).
    fn end_once_local<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let store = &self.0;
            let Ok(session_key) = SessionKey::try_from(key.to_owned()) else {
                return Ok(true);
            };
            let _guard = store.locks.lock_for(key).lock().await;
            if store.index.any_tracked() && !store.index.claim_end(key) {
                // Ended while nobody was there (revoked, swept): its
                // `logout` event was written then.
                store
                    .timed(store.inner.delete(&session_key), |e| e)
                    .await
                    .map_err(|error| format!("{error:#}"))?;
                return Ok(false);
            }
            let there = match store
                .timed(store.inner.load(&session_key), LoadError::Other)
                .await
            {
                Ok(state) => state.is_some(),
                // A state the store cannot read is there, and ends here.
                Err(LoadError::Deserialization(_)) => true,
                Err(LoadError::Other(error)) => return Err(format!("{error:#}")),
            };
            if there {
                store
                    .timed(store.inner.delete(&session_key), |e| e)
                    .await
                    .map_err(|error| format!("{error:#}"))?;
            }
            Ok(there)
        })
    }
}

impl<S> Clone for AutoLogoutStore<S> {
    fn clone(&self) -> Self {
        AutoLogoutStore {
            inner: self.inner.clone(),
            locks: Arc::clone(&self.locks),
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

type State = HashMap<String, String>;

/// The stamps text in an actix-session state (values are JSON texts).
fn stamps_of(state: &State) -> Option<String> {
    let raw = state.get(Stamps::SESSION_KEY)?;
    // Not a JSON string: keep the raw text, which the rule cannot read
    // (fail closed).
    Some(serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.clone()))
}

impl<S> AutoLogoutStore<S> {
    /// `call`, failed with `fail(..)` when it outlasts the timeout.
    async fn timed<T, E>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
        fail: impl FnOnce(anyhow::Error) -> E,
    ) -> Result<T, E> {
        store_lock::timed(self.timeout, call, |text| fail(anyhow::Error::msg(text))).await
    }
}

impl<S: SessionStore> SessionStore for AutoLogoutStore<S> {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        self.locks.mark_used();
        self.timed(self.inner.load(session_key), LoadError::Other)
            .await
            .map(|state| {
                state.map(|state| {
                    // Ended while nobody was there: its next request is told why.
                    let state = match self.index.ended_stamps(session_key.as_ref()) {
                        Some(ended) => ended_state(ended),
                        None => state,
                    };
                    with_key_entry(state, session_key)
                })
            })
            .inspect_err(|error| {
                let failure = match error {
                    LoadError::Deserialization(_) => Failure::Data(UNREADABLE),
                    LoadError::Other(error) => Failure::Other(error),
                };
                failed("load", Some(session_key.as_ref()), failure);
            })
    }

    async fn save(
        &self,
        mut session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        // A new key: nothing to merge with.
        self.locks.mark_used();
        session_state.remove(STORE_KEY_ENTRY);
        let owner = owner_of(&session_state);
        let stamps = owner.as_ref().and_then(|_| stamps_of(&session_state));
        self.timed(self.inner.save(session_state, ttl), SaveError::Other)
            .await
            .inspect(|session_key| {
                if owner.is_some() {
                    // A sign-in: indexed under the key the store made.
                    self.index
                        .saved(session_key.as_ref(), owner, stamps.as_deref());
                }
            })
            .inspect_err(|error| {
                let failure = match error {
                    SaveError::Serialization(_) => Failure::Data(UNWRITABLE),
                    SaveError::Other(error) => Failure::Other(error),
                };
                // The key is the store's to make: none to take out.
                failed("create", None, failure);
            })
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.locks.mark_used();
        session_state.remove(STORE_KEY_ENTRY);
        let _guard = self.locks.lock_for(session_key.as_ref()).lock().await;
        // The wrapped store takes the key: a copy to take out of its error
        // text, kept only while something listens to the audit events.
        let key = store_lock::reporting_failures().then(|| session_key.as_ref().to_owned());
        self.update_merged(session_key, session_state, ttl)
            .await
            .inspect_err(|error| {
                let failure = match error {
                    UpdateError::Serialization(_) => Failure::Data(UNWRITABLE),
                    UpdateError::Other(error) => Failure::Other(error),
                };
                failed("save", key.as_deref(), failure);
            })
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        self.locks.mark_used();
        self.timed(self.inner.update_ttl(session_key, ttl), |e| e)
            .await
            .inspect_err(|error| failed("save", Some(session_key.as_ref()), Failure::Other(error)))
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.locks.mark_used();
        let _guard = self.locks.lock_for(session_key.as_ref()).lock().await;
        if self.index.any_tracked() {
            self.index.claim_end(session_key.as_ref());
        }
        self.timed(self.inner.delete(session_key), |e| e)
            .await
            .inspect_err(|error| {
                failed("delete", Some(session_key.as_ref()), Failure::Other(error))
            })
    }
}

/// The owner of a signed-in session, if the state holds one.
fn owner_of(state: &State) -> Option<Owner> {
    Owner::from_json(state.get(OWNER_KEY)?)
}

/// What a load of a session ended while nobody was there gives: only the
/// stamps that say why.
fn ended_state(ended: String) -> State {
    let mut state = State::with_capacity(2);
    if let Ok(text) = serde_json::to_string(&ended) {
        state.insert(Stamps::SESSION_KEY.to_owned(), text);
    }
    state
}

/// `state` with the key entry the middleware ends a session by, for a
/// session with stamps (only those end automatically).
fn with_key_entry(mut state: State, session_key: &SessionKey) -> State {
    if state.contains_key(Stamps::SESSION_KEY)
        && let Some(text) = json_string(session_key.as_ref())
    {
        state.insert(STORE_KEY_ENTRY.to_owned(), text);
    }
    state
}

/// `text` as a JSON string: quoted as it is when nothing in it needs an
/// escape (session keys are letters and digits), else through serde_json.
fn json_string(text: &str) -> Option<String> {
    if text
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push('"');
        quoted.push_str(text);
        quoted.push('"');
        Some(quoted)
    } else {
        serde_json::to_string(text).ok()
    }
}

/// The audit text of a session state that could not be read.
const UNREADABLE: &str = "the stored session state could not be deserialized";
/// The audit text of a session state that could not be written.
const UNWRITABLE: &str = "the session state could not be serialized";

/// What a failed store call tells the audit log.
enum Failure<'a> {
    /// The state could not be (de)serialized: a fixed text, since the
    /// error's own message may quote session data.
    Data(&'static str),
    /// Anything else: the error and its causes, the session key taken out.
    Other(&'a anyhow::Error),
}

/// The audit event of a failed store call (feature `tracing`).
#[cold]
fn failed(operation: &'static str, session_key: Option<&str>, failure: Failure<'_>) {
    match failure {
        Failure::Data(text) => store_lock::report_failure(operation, None, &text),
        Failure::Other(error) => {
            store_lock::report_failure(operation, session_key, &format_args!("{error:#}"))
        }
    }
}

impl<S: SessionStore> AutoLogoutStore<S> {
    /// `update` under its lock: the stored state read, the save rule applied.
    async fn update_merged(
        &self,
        session_key: SessionKey,
        mut session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        if self.index.any_ended() && self.index.is_ended(session_key.as_ref()) {
            // Ended while nobody was there: never brought back.
            return Ok(session_key);
        }
        let stored = match self
            .timed(self.inner.load(&session_key), LoadError::Other)
            .await
        {
            Ok(stored) => stored,
            // A stored state that cannot be read is no login to keep.
            Err(LoadError::Deserialization(_)) => Some(State::new()),
            Err(LoadError::Other(err)) => return Err(UpdateError::Other(err)),
        };
        let ours = stamps_of(&session_state);
        let theirs = stored.as_ref().map(stamps_of);
        let in_store = match &theirs {
            None => InStore::Gone,
            Some(text) => InStore::Stamps(text.as_deref()),
        };
        let owner = owner_of(&session_state);
        let (written, stamps_written) = match save_rule::decide(ours.as_deref(), in_store) {
            // The key stays; with nothing stored under it, the next request
            // starts a fresh session.
            SaveAction::Drop => return Ok(session_key),
            SaveAction::Write => (self.write(session_key, session_state, ttl).await, ours),
            SaveAction::WriteStamps(stamps) => {
                let encoded = stamps.encode();
                let text = serde_json::to_string(&encoded)
                    .map_err(|err| UpdateError::Serialization(err.into()))?;
                session_state.insert(Stamps::SESSION_KEY.to_owned(), text);
                (
                    self.write(session_key, session_state, ttl).await,
                    Some(encoded),
                )
            }
        };
        if let (Ok(key), Some(owner)) = (&written, owner) {
            // The stamps of a signed-in session, for its listing and the sweeper.
            self.index
                .saved(key.as_ref(), Some(owner), stamps_written.as_deref());
        }
        written
    }

    /// The wrapped store's `update`. When it answers with another key, the
    /// record vanished between the read and the write (another instance
    /// logged the session out) and the store re-created it under a fresh
    /// key, as actix-session's Redis store does: that copy is deleted, and
    /// the write counts as dropped.
    async fn write(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let ours = session_key.as_ref().to_owned();
        let written = self
            .timed(
                self.inner.update(session_key, session_state, ttl),
                UpdateError::Other,
            )
            .await?;
        if written.as_ref() == ours {
            return Ok(written);
        }
        self.timed(self.inner.delete(&written), |e| e)
            .await
            .map_err(UpdateError::Other)?;
        SessionKey::try_from(ours).map_err(|error| UpdateError::Other(error.into()))
    }
}
