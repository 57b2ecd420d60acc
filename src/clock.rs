//! Where `now` comes from: the system clock in production, a [`ManualClock`] in tests.
//!
//! ```
//! use auto_logout::{Clock, ManualClock, Timestamp};
//! use std::time::Duration;
//!
//! let clock = ManualClock::new(Timestamp::from_unix_millis(1_000));
//! clock.advance(Duration::from_secs(61));
//! assert_eq!(clock.now(), Timestamp::from_unix_millis(62_000));
//! ```
//!
//! Every decision in this crate takes one `now` per request, read once from a
//! [`Clock`], so that the whole request sees one consistent instant.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant, in whole milliseconds since the Unix epoch.
///
/// Milliseconds, not seconds: the client script must reach the login page within
/// a fraction of a second of the server's deadline, so the server keeps that
/// precision too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `millis` (saturating, never panics).
    pub const fn saturating_add_millis(self, millis: i64) -> Self {
        Timestamp(self.0.saturating_add(millis))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later; saturating).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => Timestamp(
                i64::try_from(before.duration().as_millis())
                    .map(|ms| -ms)
                    .unwrap_or(i64::MIN),
            ),
        }
    }
}

impl From<time::OffsetDateTime> for Timestamp {
    fn from(t: time::OffsetDateTime) -> Self {
        let millis = t.unix_timestamp_nanos() / 1_000_000;
        Timestamp(i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX }))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// A source of the current time.
///
/// Integrations read it once per request. Implement it to drive the crate from
/// your own time source; tests use [`ManualClock`].
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from(SystemTime::now())
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// Meant for tests: expire a session by advancing the clock instead of sleeping.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock that reads `start` until it is moved.
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start.as_unix_millis())))
    }

    /// Sets the time.
    pub fn set(&self, now: Timestamp) {
        self.0.store(now.as_unix_millis(), Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        // fetch_update so that the add saturates instead of wrapping.
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(millis))
            });
    }
}

impl Default for ManualClock {
    /// A manual clock at a fixed, recent instant (2026-01-01T00:00:00Z).
    fn default() -> Self {
        ManualClock::new(Timestamp::from_unix_millis(1_767_225_600_000))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

impl<C: Clock> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time_and_advance_saturates() {
        let a = ManualClock::new(Timestamp::from_unix_millis(i64::MAX - 5));
        let b = a.clone();
        a.advance(Duration::from_secs(1));
        assert_eq!(b.now(), Timestamp::from_unix_millis(i64::MAX));
    }

    #[test]
    fn system_time_converts_both_sides_of_the_epoch() {
        let after = UNIX_EPOCH + Duration::from_millis(1500);
        assert_eq!(Timestamp::from(after).as_unix_millis(), 1500);
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(Timestamp::from(before).as_unix_millis(), -1500);
    }

    #[test]
    fn offset_date_time_converts() {
        let t = time::OffsetDateTime::from_unix_timestamp(10).unwrap();
        assert_eq!(Timestamp::from(t).as_unix_millis(), 10_000);
    }
}
