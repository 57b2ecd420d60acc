//! The store wrapper's lock on both stacks (`AutoLogoutStore` of each
//! integration, driven directly): a delete — a logout — that comes while a
//! save of the same session is under way, after the wrapper has read the
//! stored record and before it writes, waits for that save and then removes
//! the record; a late save of the same session brings nothing back.
//!
//! Each stack gives a bare store whose next write, once armed, waits at a
//! [`Pause`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How many times the race is run (each run is deterministic).
pub const ATTEMPTS: usize = 10;

/// Where a bare store's write waits, once armed.
#[derive(Debug, Default)]
pub struct Pause {
    armed: AtomicBool,
    entered: Notify,
    release: Notify,
}

impl Pause {
    /// The bare store's next write waits.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// What the bare store's write does first: says it is there and waits to
    /// be released, when armed (once).
    pub async fn wait_if_armed(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.entered.notify_one();
            self.release.notified().await;
        }
    }
}

/// `create` stores a signed-in session through the wrapper and gives its
/// key; `save` saves that session again through the wrapper (its write is
/// the one the [`Pause`] holds); `delete` deletes it through the wrapper;
/// `logged_in` says whether the bare store holds a signed-in record of it.
pub async fn a_delete_cannot_land_between_the_read_and_the_write_of_a_save<K>(
    framework: &str,
    pause: &Pause,
    create: impl AsyncFn() -> K,
    save: impl AsyncFn(&K),
    delete: impl AsyncFn(&K),
    logged_in: impl AsyncFn(&K) -> bool,
) {
    for attempt in 0..ATTEMPTS {
        let what = format!("{framework}, attempt {attempt}");
        let key = create().await;
        assert!(logged_in(&key).await, "{what}: stored");
        pause.arm();
        let mut saving = std::pin::pin!(save(&key));
        tokio::select! {
            () = &mut saving => panic!("{what}: the save never reached the bare store's write"),
            () = pause.entered.notified() => {}
        }
        // The wrapper has read the stored record; its write waits.
        let mut deleting = std::pin::pin!(delete(&key));
        tokio::select! {
            () = &mut deleting => panic!("{what}: the delete landed inside the save"),
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        pause.release.notify_one();
        tokio::join!(saving, deleting);
        assert!(!logged_in(&key).await, "{what}: the logout is final");
        save(&key).await;
        assert!(
            !logged_in(&key).await,
            "{what}: a late save brought the session back"
        );
    }
}
