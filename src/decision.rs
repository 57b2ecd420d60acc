//! The decision: from configuration, stamps and one `now`, active or expired (and why).
//!
//! ```
//! use auto_logout::{Activity, Config, ExpiryReason, RequestOutcome, Stamps, Timestamp};
//!
//! let config = Config::builder().idle_time(60).session_time(3600).build()?;
//! let login = Timestamp::from_unix_millis(1_700_000_000_000);
//! let stored = Stamps::at_login(login).encode();
//!
//! // 30 s later: active, 30 s of idle time left, and the store must be written.
//! let now = login.saturating_add_millis(30_000);
//! match config.check_request(Some(&stored), now, Activity::Counts) {
//!     RequestOutcome::Active { remaining, write } => {
//!         assert_eq!(remaining.seconds_until_idle_end(), 60); // activity just restarted it
//!         assert!(write.is_some());
//!     }
//!     other => panic!("{other:?}"),
//! }
//!
//! // 61 s without activity: expired for inactivity.
//! let later = login.saturating_add_millis(61_000);
//! assert_eq!(
//!     config.check_request(Some(&stored), later, Activity::Counts),
//!     RequestOutcome::Expired(ExpiryReason::Idle),
//! );
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! Expiry is strict, as in Django: a session expires when the remaining time is
//! below zero, so at exactly the limit it is still active.
//!
//! # The idle-time promise
//!
//! Activity is written only when it moves last activity forward by at least
//! the write resolution ([`Config::write_resolution`]), so the stored last
//! activity may lag the user's last activity-counting request by less than
//! that. The resolution is at most 1 % of `IDLE_TIME` (its default), hence: an
//! idle logout never comes earlier than `IDLE_TIME` after the last
//! activity-counting request by more than 1 % of `IDLE_TIME`, and never later.
//! A user whose requests come at most 0.99 × `IDLE_TIME` apart is never logged
//! out for inactivity. The price is at most one store write per session per
//! resolution: one per second at `IDLE_TIME` 100 s, one per 9 s at 15 minutes,
//! one per 0.6 s at 60 s.
//!
//! With `CLIENT_ACTIVITY` the user's activity is input in the page, which the
//! client script reports later, with a `keepalive` that says how long ago the
//! input was ([`Activity::Earlier`]): the idle time counts from the input, so
//! the same promise holds against the user's last keystroke.

use std::fmt;
use std::num::NonZeroI64;

use crate::clock::Timestamp;
use crate::config::Config;
pub use crate::config::ExpiryReason;
use crate::stamps::Stamps;

/// How far in the future a stored stamp may lie before it is treated as forged:
/// enough for the clock skew between app instances sharing one store.
pub const FUTURE_TOLERANCE_MILLIS: i64 = 5_000;

/// Whether a request counts as user activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// A request the user made: it restarts the idle time.
    Counts,
    /// A passive request (status polling, `HEAD`, prefetch, ...): checked for
    /// expiry, but it does not keep the session alive.
    Passive,
    /// The user's activity came this many milliseconds before the request:
    /// the client script's `keepalive` for input in the page
    /// (`CLIENT_ACTIVITY`) says how long ago the last keystroke was
    /// ([`request::INPUT_AGE_HEADER`](crate::engine::INPUT_AGE_HEADER)), so
    /// the idle time restarts from the keystroke, not from the request.
    ///
    /// Recorded at `now - millis_ago`, and never before the stored last
    /// activity (which only moves forward), so a made-up age can only end a
    /// session sooner than [`Activity::Counts`] would, never later. An age
    /// at or beyond the idle limit names an instant before the last activity
    /// of any active session: nothing is recorded.
    Earlier {
        /// Milliseconds from the activity to the request.
        millis_ago: u32,
    },
}

impl Activity {
    /// `true` for activity ([`Activity::Counts`], [`Activity::Earlier`]),
    /// `false` for a passive request.
    pub const fn counts(self) -> bool {
        !matches!(self, Activity::Passive)
    }
}

/// Time left on each limit of the session, in milliseconds, never negative;
/// for a session with its own limits ([`SessionLimits`](crate::SessionLimits)),
/// also those limits, which the script tag states in place of the configured
/// ones.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Milliseconds left, never negative; [`NO_LIMIT`] when there is no such
    /// limit (kept in one `i64` each, so a request's state stays small).
    idle_millis: i64,
    session_millis: i64,
    /// The session's own idle limit in force (`None`: the configured one).
    own_idle_limit: Option<NonZeroI64>,
    /// The session's own absolute limit in force (`None`: the configured one).
    own_session_limit: Option<NonZeroI64>,
}

/// [`Remaining`]'s mark for a limit that is not configured.
const NO_LIMIT: i64 = -1;

/// Milliseconds left, or [`NO_LIMIT`].
#[inline(always)]
fn left(millis: Option<i64>) -> i64 {
    millis.map_or(NO_LIMIT, |m| m.max(0))
}

/// The `Option` again.
#[inline(always)]
fn limit_left(millis: i64) -> Option<i64> {
    (millis != NO_LIMIT).then_some(millis)
}

impl Default for Remaining {
    /// No limit: [`Remaining::new`]`(None, None)`.
    fn default() -> Self {
        Remaining::NONE
    }
}

impl fmt::Debug for Remaining {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remaining")
            .field("idle_millis", &self.idle_millis())
            .field("session_millis", &self.session_millis())
            .field("own_idle_limit", &self.own_idle_limit)
            .field("own_session_limit", &self.own_session_limit)
            .finish()
    }
}

impl Remaining {
    /// No limit configured.
    pub(crate) const NONE: Remaining = Remaining {
        idle_millis: NO_LIMIT,
        session_millis: NO_LIMIT,
        own_idle_limit: None,
        own_session_limit: None,
    };

    /// Remaining from explicit values; negative values are clamped to zero.
    /// The session's limits are the configured ones (see
    /// [`Remaining::with_own_limits`]).
    pub fn new(idle_millis: Option<i64>, session_millis: Option<i64>) -> Self {
        Remaining {
            idle_millis: left(idle_millis),
            session_millis: left(session_millis),
            own_idle_limit: None,
            own_session_limit: None,
        }
    }

    /// The same remaining time, for a session whose limits in force are
    /// these (milliseconds; `None`, or a value not above zero: the configured
    /// one) rather than the configured ones. [`Config::check_request`] sets
    /// them for a session that logged in with its own limits.
    pub fn with_own_limits(
        self,
        idle_limit_millis: Option<i64>,
        session_limit_millis: Option<i64>,
    ) -> Self {
        let own = |limit: Option<i64>| limit.filter(|&m| m > 0).and_then(NonZeroI64::new);
        Remaining {
            own_idle_limit: own(idle_limit_millis),
            own_session_limit: own(session_limit_millis),
            ..self
        }
    }

    /// The idle limit in force for this session, in milliseconds: its own,
    /// else the configured one.
    pub fn idle_limit_millis(&self, config: &Config) -> Option<i64> {
        match self.own_idle_limit {
            Some(own) => Some(own.get()),
            None => config.idle_millis(),
        }
    }

    /// The absolute limit in force for this session, in milliseconds: its
    /// own, else the configured one.
    pub fn session_limit_millis(&self, config: &Config) -> Option<i64> {
        match self.own_session_limit {
            Some(own) => Some(own.get()),
            None => config.session_millis(),
        }
    }

    /// `true` when the session has limits of its own.
    pub fn has_own_limits(&self) -> bool {
        self.own_idle_limit.is_some() || self.own_session_limit.is_some()
    }

    /// Milliseconds until the idle limit ends, if it is configured.
    pub fn idle_millis(&self) -> Option<i64> {
        limit_left(self.idle_millis)
    }

    /// Milliseconds until the absolute limit ends, if it is configured.
    pub fn session_millis(&self) -> Option<i64> {
        limit_left(self.session_millis)
    }

    /// Milliseconds until the first configured limit ends.
    pub fn shortest_millis(&self) -> Option<i64> {
        match (self.idle_millis(), self.session_millis()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whole seconds until the idle limit ends, rounded up (so a session that is
    /// still alive never shows 0 before its last second); 0 when the idle limit
    /// is not configured.
    pub fn seconds_until_idle_end(&self) -> u64 {
        ceil_seconds(self.idle_millis())
    }

    /// Whole seconds until the absolute limit ends, rounded up; 0 when not configured.
    pub fn seconds_until_session_end(&self) -> u64 {
        ceil_seconds(self.session_millis())
    }
}

fn ceil_seconds(millis: Option<i64>) -> u64 {
    millis.map_or(0, |m| (m.max(0) as u64).div_ceil(1000))
}

/// The state of a session at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Still logged in, with this much time left.
    Active(Remaining),
    /// Logged out for this reason.
    Expired(ExpiryReason),
}

/// What an integration must do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// No login stamp in the session (anonymous, or no limit configured): touch nothing.
    Untracked,
    /// Logged in. When `write` is set, store its encoded form in the session.
    Active {
        /// Time left, after this request's activity was recorded.
        remaining: Remaining,
        /// New stamps to write, only when last activity moved by at least the
        /// write resolution.
        write: Option<Stamps>,
    },
    /// Log the user out: flush the session, cycle its id, flash the message.
    Expired(ExpiryReason),
    /// Logged in, but idle for `LOCK_AFTER` ([`Config::lock_after`]): the
    /// request is refused (`423 Locked`) unless it is the `status` endpoint,
    /// a passive request or the login page. Nothing is recorded: only a
    /// re-authentication unlocks it, and `IDLE_TIME` still ends it.
    Locked {
        /// Time left, as for an active session.
        remaining: Remaining,
    },
}

impl Config {
    /// Decides whether a session with these stamps is active at `now`.
    ///
    /// When both limits have run out, the reason is the one that ran out first
    /// (on a tie, the absolute limit). Stamps dated more than
    /// [`FUTURE_TOLERANCE_MILLIS`] after `now` are treated as forged.
    ///
    /// Stamps with the session's own limits are decided with those, each
    /// clamped to the configured maximum (`MAX_IDLE_TIME`, `MAX_SESSION_TIME`;
    /// see [`SessionLimits`](crate::SessionLimits)), so a stored limit never grants more than
    /// the configuration allows today.
    pub fn decide(&self, stamps: &Stamps, now: Timestamp) -> Decision {
        let future_limit = now.saturating_add_millis(FUTURE_TOLERANCE_MILLIS);
        if stamps.login_at() > future_limit || stamps.last_activity_at() > future_limit {
            return Decision::Expired(ExpiryReason::Invalid);
        }
        let limits = if stamps.has_own_limits() {
            self.limits_in_force(stamps.idle_limit_millis(), stamps.session_limit_millis())
        } else {
            self.limits()
        };
        let (idle_limit, session_limit) = (limits.idle_millis, limits.session_millis);
        // remaining = limit - elapsed; capped at the limit so a stamp slightly in
        // the future (clock skew) never grants more than a whole limit.
        let remaining =
            |start: Timestamp, limit: i64| limit.saturating_sub(now.millis_since(start)).min(limit);
        let idle = idle_limit.map(|limit| remaining(stamps.last_activity_at(), limit));
        let session = session_limit.map(|limit| remaining(stamps.login_at(), limit));
        // A limit that is not configured never runs out: as if 0 were left.
        let (idle_left, session_left) = (idle.unwrap_or(0), session.unwrap_or(0));
        if idle_left >= 0 && session_left >= 0 {
            // Neither is below zero: no clamp needed.
            let remaining = Remaining {
                idle_millis: idle.unwrap_or(NO_LIMIT),
                session_millis: session.unwrap_or(NO_LIMIT),
                own_idle_limit: None,
                own_session_limit: None,
            };
            if stamps.has_own_limits() {
                // Each limit in force: the session's own, clamped, or the
                // configured one where it has none of its own.
                Decision::Active(remaining.with_own_limits(
                    stamps.idle_limit_millis().and(idle_limit),
                    stamps.session_limit_millis().and(session_limit),
                ))
            } else {
                Decision::Active(remaining)
            }
        } else if idle_left < session_left {
            // The idle limit ran out, and first (the other one has time left,
            // or ran out later).
            Decision::Expired(ExpiryReason::Idle)
        } else {
            // The absolute limit ran out first, or at the same instant.
            Decision::Expired(ExpiryReason::Session)
        }
    }

    /// The stamps of a session re-authenticated at `now` (the user gave their
    /// password again): **both** clocks start again (NIST SP 800-63B §5.2),
    /// the session's own limits are kept, and a locked session is unlocked.
    /// `None` when `stored` is no active (or locked) session: an expired one
    /// is not brought back, the user signs in anew.
    ///
    /// ```
    /// use auto_logout::{Config, Stamps, Timestamp};
    ///
    /// let config = Config::builder().idle_time(600).session_time(3_600).build()?;
    /// let login = Timestamp::from_unix_millis(1_700_000_000_000);
    /// let stored = Stamps::at_login(login).encode();
    /// let later = login.saturating_add_millis(500_000);
    /// assert_eq!(
    ///     config.reauthenticated_stamps(Some(&stored), later),
    ///     Some(Stamps::at_login(later))
    /// );
    /// // Idle for more than IDLE_TIME: logged out, not re-authenticated.
    /// assert_eq!(config.reauthenticated_stamps(Some(&stored), login.saturating_add_millis(600_001)), None);
    /// # Ok::<(), auto_logout::ConfigError>(())
    /// ```
    pub fn reauthenticated_stamps(&self, stored: Option<&str>, now: Timestamp) -> Option<Stamps> {
        let stamps = self.active_stamps(stored, now)?;
        Stamps::at_login(now).with_limits(stamps.idle_limit_millis(), stamps.session_limit_millis())
    }

    /// Whether `stored` are the stamps of a session still signed in at `now`
    /// that signed in, or re-authenticated, at most `within` ago: the rule of
    /// "sudo mode" for sensitive routes (the integrations'
    /// `RequireRecentLogin`). A re-authentication restarts the login
    /// instant ([`Config::reauthenticated_stamps`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auto_logout::{Config, Stamps, Timestamp};
    ///
    /// let config = Config::builder().idle_time(600).build()?;
    /// let login = Timestamp::from_unix_millis(1_700_000_000_000);
    /// let stored = Stamps::at_login(login).encode();
    /// let five_minutes = Duration::from_secs(300);
    /// assert!(config.signed_in_within(Some(&stored), login.saturating_add_millis(300_000), five_minutes));
    /// assert!(!config.signed_in_within(Some(&stored), login.saturating_add_millis(300_001), five_minutes));
    /// assert!(!config.signed_in_within(None, login, five_minutes));
    /// # Ok::<(), auto_logout::ConfigError>(())
    /// ```
    pub fn signed_in_within(
        &self,
        stored: Option<&str>,
        now: Timestamp,
        within: std::time::Duration,
    ) -> bool {
        let within = i64::try_from(within.as_millis()).unwrap_or(i64::MAX);
        self.active_stamps(stored, now)
            .is_some_and(|stamps| now.millis_since(stamps.login_at()) <= within)
    }

    /// The stamps of a locked session unlocked at `now` (`LOCK_AFTER`; the
    /// user gave their password in the lock dialog): the idle clock starts
    /// again, the absolute one goes on. `None` when `stored` is no active
    /// (or locked) session.
    pub fn unlocked_stamps(&self, stored: Option<&str>, now: Timestamp) -> Option<Stamps> {
        let mut stamps = self.active_stamps(stored, now)?;
        stamps.record_activity(now, 1);
        Some(stamps)
    }

    /// The stored stamps when they are of a session still signed in at `now`.
    fn active_stamps(&self, stored: Option<&str>, now: Timestamp) -> Option<Stamps> {
        let stamps = Stamps::decode(stored?).ok()?;
        match self.decide(&stamps, now) {
            Decision::Active(_) => Some(stamps),
            Decision::Expired(_) => None,
        }
    }

    /// Whether a session with `remaining` time has been idle for
    /// `LOCK_AFTER` (measured against the idle limit in force; a session
    /// whose own idle limit is shorter is logged out before it would lock).
    fn locks(&self, remaining: &Remaining) -> bool {
        match (self.lock_after_millis(), remaining.idle_limit_millis(self)) {
            (Some(lock_after), Some(idle_limit)) => remaining
                .idle_millis()
                .is_some_and(|left| idle_limit.saturating_sub(left) >= lock_after),
            _ => false,
        }
    }

    /// The whole per-request step for an integration: read the stored stamps
    /// (`None` when the session has none), decide, and record activity.
    ///
    /// Anything stored that cannot be read is treated as expired, never as a
    /// panic. The activity is recorded only for an active session, so a
    /// logged-out session never comes back.
    pub fn check_request(
        &self,
        stored: Option<&str>,
        now: Timestamp,
        activity: Activity,
    ) -> RequestOutcome {
        let Some(stored) = stored else {
            return RequestOutcome::Untracked;
        };
        if !self.has_limit() {
            return RequestOutcome::Untracked;
        }
        let Ok(mut stamps) = Stamps::decode(stored) else {
            // Ended elsewhere (revoked, replaced, swept): told why; its
            // `logout` event was written where it ended.
            if let Some(reason) = crate::stamps::ended_reason(stored) {
                return RequestOutcome::Expired(reason);
            }
            crate::audit::unreadable_stamps(stored);
            return RequestOutcome::Expired(ExpiryReason::Invalid);
        };
        match self.decide(&stamps, now) {
            // The `logout` event is the integration's, once the session
            // ended here (not on another instance, nor by the sweeper).
            Decision::Expired(reason) => RequestOutcome::Expired(reason),
            Decision::Active(remaining) if self.locks(&remaining) => {
                RequestOutcome::Locked { remaining }
            }
            Decision::Active(remaining) => {
                let active_at = match activity {
                    Activity::Counts => now,
                    Activity::Passive => {
                        return RequestOutcome::Active {
                            remaining,
                            write: None,
                        };
                    }
                    Activity::Earlier { millis_ago } => {
                        now.saturating_add_millis(-i64::from(millis_ago))
                    }
                };
                let resolution = match remaining.own_idle_limit {
                    None => self.write_resolution_millis(),
                    Some(own) => self.write_resolution_for(Some(own.get())),
                };
                // Only forward, and by the resolution: an earlier instant
                // before the stored last activity is not recorded.
                if stamps.record_activity(active_at, resolution) {
                    // Last activity is `active_at` (`now`, or the input an
                    // age ago, after the stored one): the idle limit less the
                    // time since then is left (what `decide` would say again;
                    // limits are positive), the absolute limit's remaining
                    // time is unchanged.
                    let since = now.millis_since(active_at);
                    RequestOutcome::Active {
                        remaining: Remaining {
                            idle_millis: left(
                                remaining.idle_limit_millis(self).map(|limit| limit - since),
                            ),
                            ..remaining
                        },
                        write: Some(stamps),
                    }
                } else {
                    RequestOutcome::Active {
                        remaining,
                        write: None,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn config(idle: Option<i64>, session: Option<i64>) -> Config {
        let mut b = Config::builder();
        if let Some(i) = idle {
            b = b.idle_time(i);
        }
        if let Some(s) = session {
            b = b.session_time(s);
        }
        b.build().unwrap()
    }

    #[test]
    fn strict_boundary_like_django() {
        let c = config(Some(60), None);
        let s = Stamps::at_login(t(0));
        assert_eq!(
            c.decide(&s, t(60_000)),
            Decision::Active(Remaining::new(Some(0), None)),
            "remaining == 0 is still active"
        );
        assert_eq!(
            c.decide(&s, t(60_001)),
            Decision::Expired(ExpiryReason::Idle)
        );
    }

    #[test]
    fn reason_is_the_limit_that_ran_out_first() {
        let c = config(Some(60), Some(100));
        // Active until 50 s, then quiet: idle ends at 110 s, session at 100 s.
        let s = Stamps::new(t(0), t(50_000)).unwrap();
        assert_eq!(
            c.decide(&s, t(200_000)),
            Decision::Expired(ExpiryReason::Session)
        );
        // Quiet from the start: idle ends at 60 s, first.
        let s = Stamps::at_login(t(0));
        assert_eq!(
            c.decide(&s, t(200_000)),
            Decision::Expired(ExpiryReason::Idle)
        );
        // A tie goes to the absolute limit.
        let s = Stamps::new(t(0), t(40_000)).unwrap();
        assert_eq!(
            c.decide(&s, t(100_001)),
            Decision::Expired(ExpiryReason::Session)
        );
    }

    #[test]
    fn future_dated_stamps_fail_closed_but_small_skew_is_tolerated() {
        let c = config(Some(60), None);
        let s = Stamps::at_login(t(10_000 + FUTURE_TOLERANCE_MILLIS + 1));
        assert_eq!(
            c.decide(&s, t(10_000)),
            Decision::Expired(ExpiryReason::Invalid)
        );
        let s = Stamps::at_login(t(12_000));
        assert_eq!(
            c.decide(&s, t(10_000)),
            Decision::Active(Remaining::new(Some(60_000), None)),
            "skew never grants more than the whole limit"
        );
    }

    #[test]
    fn check_request_paths() {
        let c = config(Some(60), Some(3600));
        let login = Stamps::at_login(t(0)).encode();
        assert_eq!(
            c.check_request(None, t(0), Activity::Counts),
            RequestOutcome::Untracked
        );
        assert_eq!(
            c.check_request(Some("garbage"), t(0), Activity::Counts),
            RequestOutcome::Expired(ExpiryReason::Invalid)
        );
        // Passive: no write, idle keeps running.
        assert_eq!(
            c.check_request(Some(&login), t(30_000), Activity::Passive),
            RequestOutcome::Active {
                remaining: Remaining::new(Some(30_000), Some(3_570_000)),
                write: None
            }
        );
        // Within the write resolution: no write.
        assert_eq!(
            c.check_request(Some(&login), t(500), Activity::Counts),
            RequestOutcome::Active {
                remaining: Remaining::new(Some(59_500), Some(3_599_500)),
                write: None
            }
        );
        // Counts: written, idle restarted.
        assert_eq!(
            c.check_request(Some(&login), t(30_000), Activity::Counts),
            RequestOutcome::Active {
                remaining: Remaining::new(Some(60_000), Some(3_570_000)),
                write: Some(Stamps::new(t(0), t(30_000)).unwrap())
            }
        );
        // No limits configured: nothing is tracked.
        let none = Config::builder().build().unwrap();
        assert_eq!(
            none.check_request(Some(&login), t(0), Activity::Counts),
            RequestOutcome::Untracked
        );
    }

    #[test]
    fn a_write_reports_what_deciding_on_the_written_stamps_says() {
        let mut writes = 0;
        for (idle, session) in [
            (Some(60), Some(3600)),
            (Some(60), None),
            (None, Some(3600)),
            (Some(1), Some(1)),
        ] {
            let c = config(idle, session);
            for (login, last) in [(0, 0), (0, 20_000), (-5_000, 500), (1_000, 59_000)] {
                let stored = Stamps::new(t(login), t(last)).unwrap().encode();
                for now in [
                    -10_000, 0, 700, 30_000, 60_000, 61_000, 3_600_000, 3_700_000,
                ] {
                    for activity in [
                        Activity::Counts,
                        Activity::Earlier { millis_ago: 0 },
                        Activity::Earlier { millis_ago: 400 },
                        Activity::Earlier { millis_ago: 20_000 },
                        Activity::Earlier { millis_ago: 59_999 },
                    ] {
                        let outcome = c.check_request(Some(&stored), t(now), activity);
                        if let RequestOutcome::Active {
                            remaining,
                            write: Some(written),
                        } = outcome
                        {
                            assert_eq!(
                                c.decide(&written, t(now)),
                                Decision::Active(remaining),
                                "{idle:?} {session:?} {stored} at {now}, {activity:?}"
                            );
                            writes += 1;
                        }
                    }
                }
            }
        }
        assert!(writes > 10, "{writes}");
    }

    fn with_limits(login: i64, last: i64, idle: Option<i64>, session: Option<i64>) -> Stamps {
        Stamps::new(t(login), t(last))
            .unwrap()
            .with_limits(idle, session)
            .unwrap()
    }

    #[test]
    fn a_session_is_decided_with_its_own_limits() {
        let c = Config::builder()
            .idle_time(60)
            .session_time(300)
            .max_session_time(3600)
            .build()
            .unwrap();
        let remembered = with_limits(0, 0, None, Some(3_600_000));
        // Past the configured 300 s, still in; strict at its own limit.
        let s = Stamps::new(t(0), t(3_590_000))
            .unwrap()
            .with_limits(None, Some(3_600_000))
            .unwrap();
        assert_eq!(
            c.decide(&s, t(3_600_000)),
            Decision::Active(
                Remaining::new(Some(50_000), Some(0)).with_own_limits(None, Some(3_600_000))
            )
        );
        assert_eq!(
            c.decide(&s, t(3_600_001)),
            Decision::Expired(ExpiryReason::Session)
        );
        // The configured idle limit still applies to it.
        assert_eq!(
            c.decide(&remembered, t(60_001)),
            Decision::Expired(ExpiryReason::Idle)
        );
        // A shorter idle limit of its own.
        let admin = with_limits(0, 0, Some(10_000), None);
        assert_eq!(
            c.decide(&admin, t(10_001)),
            Decision::Expired(ExpiryReason::Idle)
        );
        assert!(matches!(c.decide(&admin, t(10_000)), Decision::Active(_)));
    }

    #[test]
    fn a_forged_limit_never_grants_more_than_the_maximum() {
        let c = Config::builder()
            .idle_time(60)
            .session_time(300)
            .max_session_time(3600)
            .build()
            .unwrap();
        let forged = with_limits(0, 0, Some(i64::MAX), Some(i64::MAX));
        // Idle: MAX_IDLE_TIME defaults to IDLE_TIME.
        assert_eq!(
            c.decide(&forged, t(60_001)),
            Decision::Expired(ExpiryReason::Idle)
        );
        let busy = Stamps::new(t(0), t(3_599_000))
            .unwrap()
            .with_limits(Some(i64::MAX), Some(i64::MAX))
            .unwrap();
        assert_eq!(
            c.decide(&busy, t(3_600_001)),
            Decision::Expired(ExpiryReason::Session)
        );
        assert_eq!(
            c.decide(&busy, t(3_600_000)),
            Decision::Active(
                Remaining::new(Some(59_000), Some(0))
                    .with_own_limits(Some(60_000), Some(3_600_000))
            )
        );
    }

    #[test]
    fn check_request_follows_the_sessions_limits() {
        let c = Config::builder()
            .idle_time(100)
            .session_time(300)
            .max_idle_time(1000)
            .build()
            .unwrap();
        let stored = with_limits(0, 0, Some(1_000_000), None).encode();
        // The write resolution is 1 % of the session's own idle limit (10 s),
        // not of IDLE_TIME (1 s).
        assert_eq!(
            c.check_request(Some(&stored), t(9_999), Activity::Counts),
            RequestOutcome::Active {
                remaining: Remaining::new(Some(990_001), Some(290_001))
                    .with_own_limits(Some(1_000_000), None),
                write: None
            }
        );
        let outcome = c.check_request(Some(&stored), t(10_000), Activity::Counts);
        assert_eq!(
            outcome,
            RequestOutcome::Active {
                remaining: Remaining::new(Some(1_000_000), Some(290_000))
                    .with_own_limits(Some(1_000_000), None),
                write: Some(with_limits(0, 10_000, Some(1_000_000), None))
            }
        );
        // A shorter own idle limit gets a finer resolution, even below a
        // given WRITE_RESOLUTION.
        let given = Config::builder()
            .idle_time(100)
            .write_resolution("1s")
            .build()
            .unwrap();
        let short = with_limits(0, 0, Some(10_000), None).encode();
        assert!(matches!(
            given.check_request(Some(&short), t(100), Activity::Counts),
            RequestOutcome::Active { write: Some(_), .. }
        ));
        assert!(matches!(
            given.check_request(Some(&short), t(99), Activity::Counts),
            RequestOutcome::Active { write: None, .. }
        ));
        // The session's remaining and limits reach the template context.
        let RequestOutcome::Active { remaining, .. } = outcome else {
            unreachable!()
        };
        assert_eq!(remaining.idle_limit_millis(&c), Some(1_000_000));
        assert_eq!(remaining.session_limit_millis(&c), Some(300_000));
        let plain = Remaining::new(Some(1), None);
        assert_eq!(plain.idle_limit_millis(&c), Some(100_000));
        assert!(!plain.has_own_limits());
    }

    /// A keepalive for input: the idle time restarts from the input (`now`
    /// less its age), never before the stored last activity (a too-old or
    /// made-up age records nothing) and never after `now`; the write
    /// resolution applies to the earlier instant as to `now`.
    #[test]
    fn earlier_activity_counts_from_the_input_clamped_to_stored_and_now() {
        let c = config(Some(60), Some(3600));
        assert_eq!(c.write_resolution_millis(), 600);
        let stored = Stamps::new(t(0), t(10_000)).unwrap().encode();
        let earlier = |now, millis_ago| {
            c.check_request(Some(&stored), t(now), Activity::Earlier { millis_ago })
        };
        let wrote = |last, idle_left, session_left| RequestOutcome::Active {
            remaining: Remaining::new(Some(idle_left), Some(session_left)),
            write: Some(Stamps::new(t(0), t(last)).unwrap()),
        };
        let unchanged = |now: i64| RequestOutcome::Active {
            remaining: Remaining::new(Some(70_000 - now), Some(3_600_000 - now)),
            write: None,
        };
        // Input 15 s before the keepalive at 50 s: last activity 35 s, 45 s left.
        assert_eq!(earlier(50_000, 15_000), wrote(35_000, 45_000, 3_550_000));
        // Age 0 is activity at `now`, as `Counts` (the upper side of the clamp).
        assert_eq!(
            earlier(50_000, 0),
            c.check_request(Some(&stored), t(50_000), Activity::Counts)
        );
        assert_eq!(earlier(50_000, 0), wrote(50_000, 60_000, 3_550_000));
        // The lower side: input before the stored last activity, or at it,
        // records nothing; so does an age beyond the idle limit.
        for millis_ago in [40_000, 40_001, 45_000, 60_000, 60_001, u32::MAX] {
            assert_eq!(
                earlier(50_000, millis_ago),
                unchanged(50_000),
                "{millis_ago}"
            );
        }
        // The resolution (600 ms): 599 ms after the stored activity is not
        // written, 600 ms is.
        assert_eq!(earlier(50_000, 39_401), unchanged(50_000));
        assert_eq!(earlier(50_000, 39_400), wrote(10_600, 20_600, 3_550_000));
        // Passive stays passive; an expired session stays expired, whatever the age.
        assert_eq!(
            c.check_request(Some(&stored), t(50_000), Activity::Passive),
            unchanged(50_000)
        );
        assert_eq!(
            earlier(70_001, 70_000),
            RequestOutcome::Expired(ExpiryReason::Idle)
        );
        assert_eq!(
            earlier(70_001, 0),
            RequestOutcome::Expired(ExpiryReason::Idle)
        );
        // The written stamps end the session IDLE_TIME after the input: active
        // at 35 s + 60 s, logged out 1 ms later.
        let RequestOutcome::Active {
            write: Some(written),
            remaining,
        } = earlier(50_000, 15_000)
        else {
            unreachable!()
        };
        assert_eq!(c.decide(&written, t(50_000)), Decision::Active(remaining));
        assert!(matches!(c.decide(&written, t(95_000)), Decision::Active(_)));
        assert_eq!(
            c.decide(&written, t(95_001)),
            Decision::Expired(ExpiryReason::Idle)
        );
        // No idle limit: the absolute one is untouched, the write still made.
        let session_only = config(None, Some(3600));
        let stored = Stamps::new(t(0), t(10_000)).unwrap().encode();
        assert_eq!(
            session_only.check_request(
                Some(&stored),
                t(50_000),
                Activity::Earlier { millis_ago: 1_000 }
            ),
            RequestOutcome::Active {
                remaining: Remaining::new(None, Some(3_550_000)),
                write: Some(Stamps::new(t(0), t(49_000)).unwrap()),
            }
        );
        assert!(Activity::Earlier { millis_ago: 0 }.counts());
        assert!(Activity::Counts.counts());
        assert!(!Activity::Passive.counts());
    }

    /// The same for a session with its own (longer) idle limit: the
    /// resolution is 1 % of that limit, the remaining time counts from it.
    #[test]
    fn earlier_activity_follows_the_sessions_own_idle_limit() {
        let c = Config::builder()
            .idle_time(100)
            .max_idle_time(1000)
            .build()
            .unwrap();
        let stored = with_limits(0, 0, Some(1_000_000), None).encode();
        let earlier = |now, millis_ago| {
            c.check_request(Some(&stored), t(now), Activity::Earlier { millis_ago })
        };
        assert!(matches!(
            earlier(500_000, 490_001),
            RequestOutcome::Active { write: None, .. }
        ));
        assert_eq!(
            earlier(500_000, 490_000),
            RequestOutcome::Active {
                remaining: Remaining::new(Some(510_000), None)
                    .with_own_limits(Some(1_000_000), None),
                write: Some(with_limits(0, 10_000, Some(1_000_000), None)),
            }
        );
    }

    #[test]
    fn seconds_round_up_and_are_zero_when_unconfigured() {
        let r = Remaining::new(Some(59_001), None);
        assert_eq!(r.seconds_until_idle_end(), 60);
        assert_eq!(r.seconds_until_session_end(), 0);
        assert_eq!(
            Remaining::new(Some(-5), Some(0)).seconds_until_idle_end(),
            0
        );
    }
}
