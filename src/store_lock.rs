//! The mechanism the session stores that keep a logout final share (both
//! stacks' wrappers and the Redis store): per-id async locks, so a save and
//! a delete of the same session cannot interleave, a flag that the session
//! layer called the store, the link through which the middleware ends a
//! session exactly once, and a time limit on every store call.

use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Config;
use crate::sessions::SessionIndex;

use tokio::sync::Mutex;

/// How many locks the session ids are spread over. Two ids that share a lock
/// only wait for each other; the same id always finds the same lock.
const LOCKS: usize = 256;

/// The locks and the "used" flag of one store wrapper, shared by its clones
/// (and by the middleware, which reads the flag).
pub(crate) struct StoreLocks {
    locks: Box<[Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
    /// Set on the first call of the session layer: the middleware checks that
    /// the sessions it sees came through this store.
    used: AtomicBool,
}

impl StoreLocks {
    /// [`LOCKS`] free locks, the flag not set.
    pub(crate) fn new() -> StoreLocks {
        StoreLocks {
            locks: (0..LOCKS).map(|_| Mutex::new(())).collect(),
            hasher: Default::default(),
            used: AtomicBool::new(false),
        }
    }

    /// Whether the session layer has called the wrapper yet.
    pub(crate) fn was_used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    /// Notes a call of the session layer (a load first, so no write per call).
    pub(crate) fn mark_used(&self) {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// The lock of the session `id`.
    pub(crate) fn lock_for<K: Hash + ?Sized>(&self, id: &K) -> &Mutex<()> {
        let index = self.hasher.hash_one(id) as usize % self.locks.len();
        &self.locks[index]
    }
}

/// A session store that keeps a logout final, the one the middleware takes:
/// the axum and actix-web `AutoLogoutStore` wrappers and the crate's Redis
/// store. Not meant to be implemented outside the crate.
pub trait GuardedStore {
    /// The link between this store and the middleware.
    #[doc(hidden)]
    fn link(&self) -> StoreLink;
}

/// The actix-session state entry through which a store that keeps a logout
/// final tells the middleware the key of the session it loaded (actix-session
/// gives handlers no key), so the middleware can end that session exactly
/// once. Put in by `load` for a session with stamps, never stored.
#[cfg(feature = "actix")]
pub(crate) const STORE_KEY_ENTRY: &str = "_auto_logout.key";

/// A boxed future, for the store link's calls.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed future that stays on its thread (actix-session's store futures).
#[cfg(feature = "actix")]
pub(crate) type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// How a store ends a session for an automatic logout: deletes the record
/// and says whether this very call removed it, so that of all the requests
/// (on any instance the store spans) that find one session expired, only
/// one runs the logout hook.
pub(crate) trait EndOnce: Send + Sync {
    /// Deletes the record of `id` (the session id or key as text): `true`
    /// when it was there and this call removed it.
    fn end_once<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, String>>;
    /// [`EndOnce::end_once`] for actix-web, whose store futures stay on
    /// their worker's thread.
    #[cfg(feature = "actix")]
    fn end_once_local<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<bool, String>> {
        self.end_once(id)
    }
    /// Tells the store the configuration and clock of the middleware it
    /// serves (the Redis store sets each record's time to live from them).
    fn attach(&self, _config: &Config, _clock: Arc<dyn Clock>) {}
}

/// What the middleware holds of its store: the flag and locks, and the
/// way to end a session once.
#[doc(hidden)]
#[derive(Clone)]
pub struct StoreLink {
    pub(crate) locks: Arc<StoreLocks>,
    pub(crate) ender: Arc<dyn EndOnce>,
    /// The index of every user's sessions, where the store keeps it.
    pub(crate) index: Arc<dyn SessionIndex>,
}

impl std::fmt::Debug for StoreLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLink").finish_non_exhaustive()
    }
}

impl StoreLink {
    /// Whether the session layer has called the store yet.
    pub(crate) fn was_used(&self) -> bool {
        self.locks.was_used()
    }

    /// See [`EndOnce::end_once`].
    #[cfg(feature = "axum")]
    pub(crate) async fn end_once(&self, id: &str) -> Result<bool, String> {
        self.ender.end_once(id).await
    }

    /// See [`EndOnce::end_once_local`].
    #[cfg(feature = "actix")]
    pub(crate) async fn end_once_local(&self, id: &str) -> Result<bool, String> {
        self.ender.end_once_local(id).await
    }

    /// See [`EndOnce::attach`].
    pub(crate) fn attach(&self, config: &Config, clock: Arc<dyn Clock>) {
        self.ender.attach(config, clock)
    }
}

/// `call`, failed with `fail(text)` when it outlasts `limit` (none: waits).
/// Needs a Tokio runtime with its timer when a limit is set.
pub(crate) async fn timed<T, E>(
    limit: Option<Duration>,
    call: impl Future<Output = Result<T, E>>,
    fail: impl FnOnce(String) -> E,
) -> Result<T, E> {
    match limit {
        None => call.await,
        Some(limit) => match tokio::time::timeout(limit, call).await {
            Ok(result) => result,
            Err(_) => Err(fail(format!(
                "the session store did not answer within {limit:?}"
            ))),
        },
    }
}

/// Tells the audit log (feature `tracing`) that a call of the wrapped store
/// failed: `operation` is `load`, `create`, `save` or `delete`, `error` the
/// store's text with every occurrence of `session_id` replaced, so the id
/// never reaches the log. Callers pass only a fixed text for errors whose
/// message may quote session data (encoding and decoding).
#[cold]
pub(crate) fn report_failure(
    operation: &'static str,
    session_id: Option<&str>,
    error: &dyn std::fmt::Display,
) {
    #[cfg(feature = "tracing")]
    {
        let text = error.to_string();
        let text = match session_id {
            Some(id) if !id.is_empty() => scrub(&text, id),
            _ => text,
        };
        crate::audit::store_failed(operation, &text);
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (operation, session_id, error);
}

/// `text` with every occurrence of `secret` replaced by `[session id]`.
#[cfg(any(feature = "tracing", test))]
fn scrub(text: &str, secret: &str) -> String {
    text.replace(secret, "[session id]")
}

/// Whether a store failure would reach the audit log now: the store
/// wrappers keep a copy of a session id they hand to the wrapped store only
/// then (a static check when nothing listens).
#[inline]
pub(crate) fn reporting_failures() -> bool {
    #[cfg(feature = "tracing")]
    {
        crate::audit::store_failures_listened()
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_id_finds_the_same_lock() {
        let locks = StoreLocks::new();
        assert!(std::ptr::eq(locks.lock_for("abc"), locks.lock_for("abc")));
        assert!(!locks.was_used());
        locks.mark_used();
        assert!(locks.was_used());
    }

    #[test]
    fn a_session_id_is_scrubbed_from_an_error_text() {
        assert_eq!(
            scrub("no such key session:abc123 (abc123)", "abc123"),
            "no such key session:[session id] ([session id])"
        );
        assert_eq!(scrub("connection refused", "abc123"), "connection refused");
    }

    #[tokio::test]
    async fn a_call_that_outlasts_the_limit_fails() {
        // A call that never answers: failed once the limit has passed.
        let slow = std::future::pending::<Result<(), String>>();
        let err = timed(Some(Duration::from_millis(10)), slow, |text| text)
            .await
            .unwrap_err();
        assert_eq!(err, "the session store did not answer within 10ms");
        let fast = async { Ok::<_, String>(7) };
        assert_eq!(
            timed(Some(Duration::from_secs(1)), fast, |t| t).await,
            Ok(7)
        );
        assert_eq!(
            timed(None, async { Ok::<_, String>(8) }, |t| t).await,
            Ok(8)
        );
    }
}
