//! The mechanism both session store wrappers share: per-id async locks, so a
//! save and a delete of the same session cannot interleave, a flag that the
//! session layer called the wrapper, and a time limit on every store call.

use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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
