//! Per-session limits: at login, the app may give one session its own idle
//! and absolute limits ("keep me signed in", a shorter idle time for
//! administrators), within maximums the configuration sets.
//!
//! ```
//! use auto_logout::{Config, LimitError, SessionLimits, Timestamp};
//!
//! let config = Config::builder()
//!     .idle_time("15m")
//!     .session_time("1h")
//!     .max_session_time("8h") // "keep me signed in" may last a working day
//!     .build()?;
//!
//! let remember = SessionLimits::new().session_time("8h");
//! assert_eq!(config.check_limits(&remember), Ok(()));
//! let now = Timestamp::from_unix_millis(1_700_000_000_000);
//! let stamps = config.login_stamps(now, &remember)?;
//! assert_eq!(stamps.session_limit_millis(), Some(8 * 3_600_000));
//! assert_eq!(stamps.idle_limit_millis(), None); // the configured 15 minutes
//!
//! // Above the maximum: refused at the call, naming the limit, the value and the maximum.
//! let err = config.check_limits(&SessionLimits::new().session_time("30d")).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "the per-session SESSION_TIME = \"30d\" is above its maximum: MAX_SESSION_TIME = 8h"
//! );
//! // MAX_IDLE_TIME defaults to IDLE_TIME: a session's idle limit can only be shorter.
//! assert!(matches!(
//!     config.check_limits(&SessionLimits::new().idle_time("1h")),
//!     Err(LimitError::AboveMaximum { .. })
//! ));
//! assert!(config.check_limits(&SessionLimits::new().idle_time("5m")).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The limits are stored with the session's stamps (see [`Stamps`]), so a
//! session keeps the limits it logged in with when the configuration changes
//! later; but a stored limit above today's maximum is clamped to that maximum
//! when it is decided, so a forged or outdated value never grants more than
//! the configuration allows.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::config::{Config, Limits};
use crate::stamps::Stamps;
use crate::time_value::TimeValue;

/// The limits one session gets at login, each optional: an unset limit is
/// the configured one. Times as for [`Config`]: seconds, a `Duration`, or a
/// human string such as `"8h"` or `"30m"`.
///
/// Checked by [`Config::check_limits`] (the integrations' `login_with_limits`
/// does it before anything is written).
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct SessionLimits {
    idle_time: Option<TimeValue>,
    session_time: Option<TimeValue>,
}

impl SessionLimits {
    /// No limit of its own: the configured ones.
    pub fn new() -> Self {
        SessionLimits::default()
    }

    /// This session's idle limit, at most `MAX_IDLE_TIME`.
    pub fn idle_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.idle_time = Some(time.into());
        self
    }

    /// This session's absolute limit, at most `MAX_SESSION_TIME`.
    pub fn session_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.session_time = Some(time.into());
        self
    }

    /// The idle limit as given, if any.
    pub fn idle_time_value(&self) -> Option<&TimeValue> {
        self.idle_time.as_ref()
    }

    /// The absolute limit as given, if any.
    pub fn session_time_value(&self) -> Option<&TimeValue> {
        self.session_time.as_ref()
    }

    /// `true` when neither limit is set (the session gets the configured ones).
    pub fn is_empty(&self) -> bool {
        self.idle_time.is_none() && self.session_time.is_none()
    }
}

/// Why per-session limits were refused. Every message names the limit, the
/// value given and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// Not a time: zero, negative, unreadable or above ten years.
    #[error("the per-session {limit} = {value} is not allowed: expected {expected}")]
    InvalidValue {
        /// `IDLE_TIME` or `SESSION_TIME`.
        limit: &'static str,
        /// The value as given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Longer than the configured maximum.
    #[error(
        "the per-session {limit} = {value} is above its maximum: {key} = {}",
        humantime::format_duration(*maximum)
    )]
    AboveMaximum {
        /// `IDLE_TIME` or `SESSION_TIME`.
        limit: &'static str,
        /// The value as given.
        value: String,
        /// `MAX_IDLE_TIME` or `MAX_SESSION_TIME`.
        key: &'static str,
        /// The maximum (the key's value, or the configured limit by default).
        maximum: Duration,
    },
    /// The configuration has neither this limit nor a maximum for it.
    #[error(
        "the per-session {limit} = {value} is not allowed: the configuration sets neither \
         {limit} nor {key}, so no session may have one; set {key} to allow it"
    )]
    NoMaximum {
        /// `IDLE_TIME` or `SESSION_TIME`.
        limit: &'static str,
        /// The value as given.
        value: String,
        /// `MAX_IDLE_TIME` or `MAX_SESSION_TIME`.
        key: &'static str,
    },
    /// Not longer than `WARN_BEFORE`: the warning would come before the limit began.
    #[error(
        "the per-session {limit} = {value} is not allowed: it must be longer than \
         WARN_BEFORE = {}",
        humantime::format_duration(*warn_before)
    )]
    NotAfterWarning {
        /// `IDLE_TIME` or `SESSION_TIME`.
        limit: &'static str,
        /// The value as given.
        value: String,
        /// The configured `WARN_BEFORE`.
        warn_before: Duration,
    },
}

/// The error of the integrations' `AutoLogout::login_with_limits` and
/// `sign_in`: the limits were refused (checked before anything was written,
/// so the session is as it was), the session failed (`E`: the framework's
/// session error), or — `sign_in` only — the user's sessions are at
/// `MAX_SESSIONS_PER_USER` or their index failed. Non-exhaustive: match the
/// cases you answer differently, and the rest with `_`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError<E> {
    /// The limits are not allowed by the configuration; nothing was written.
    #[error("auto-logout: {0}")]
    Limits(#[source] LimitError),
    /// The session could not be written.
    #[error("session: {0}")]
    Session(#[source] E),
    /// `MAX_SESSIONS_PER_USER` with `SESSION_LIMIT_POLICY = "refuse-new"`:
    /// the user has this many sessions already; nothing was written. Show
    /// the user why (and perhaps their sessions, to end one).
    #[error("auto-logout: the user is signed in {max} times already, the most allowed")]
    TooManySessions {
        /// `MAX_SESSIONS_PER_USER`.
        max: u32,
    },
    /// The index of the user's sessions could not be read or written (the
    /// session store failed); nothing was written.
    #[error("auto-logout: the index of the user's sessions failed: {0}")]
    Index(String),
}

impl Config {
    /// Checks per-session limits against this configuration: each given
    /// limit must be a time above zero, at most its maximum
    /// ([`Config::max_idle_time`], [`Config::max_session_time`]) and longer
    /// than `WARN_BEFORE`.
    pub fn check_limits(&self, limits: &SessionLimits) -> Result<(), LimitError> {
        self.limit_millis(limits).map(|_| ())
    }

    /// The stamps of a session that logs in at `now` with these limits
    /// (checked first, as [`Config::check_limits`]): version 1 stamps when
    /// `limits` is empty, else stamps that carry them.
    pub fn login_stamps(
        &self,
        now: Timestamp,
        limits: &SessionLimits,
    ) -> Result<Stamps, LimitError> {
        let own = self.limit_millis(limits)?;
        let stamps = Stamps::at_login(now);
        Ok(stamps
            .with_limits(own.idle_millis, own.session_millis)
            .unwrap_or(stamps))
    }

    /// The given limits in milliseconds, checked.
    fn limit_millis(&self, limits: &SessionLimits) -> Result<Limits, LimitError> {
        let warn_before = self.warn_before_millis();
        let check = |limit: &'static str,
                     key: &'static str,
                     given: Option<&TimeValue>,
                     maximum: Option<i64>|
         -> Result<Option<i64>, LimitError> {
            let Some(given) = given else {
                return Ok(None);
            };
            let value = given.to_string();
            let millis = given
                .to_millis()
                .map_err(|expected| LimitError::InvalidValue {
                    limit,
                    value: value.clone(),
                    expected,
                })?;
            let Some(maximum) = maximum else {
                return Err(LimitError::NoMaximum { limit, value, key });
            };
            if millis > maximum {
                return Err(LimitError::AboveMaximum {
                    limit,
                    value,
                    key,
                    maximum: Duration::from_millis(maximum as u64),
                });
            }
            if let Some(warn) = warn_before.filter(|&warn| warn >= millis) {
                return Err(LimitError::NotAfterWarning {
                    limit,
                    value,
                    warn_before: Duration::from_millis(warn as u64),
                });
            }
            Ok(Some(millis))
        };
        Ok(Limits {
            idle_millis: check(
                "IDLE_TIME",
                "MAX_IDLE_TIME",
                limits.idle_time.as_ref(),
                self.max_idle_millis(),
            )?,
            session_millis: check(
                "SESSION_TIME",
                "MAX_SESSION_TIME",
                limits.session_time.as_ref(),
                self.max_session_millis(),
            )?,
        })
    }

    /// The instant a session with these stamps runs out (the earlier of its
    /// idle and absolute deadlines, with the limits in force), or `None`
    /// when no limit applies. A session store sets a record's time to live
    /// from it.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn deadline_of(&self, stamps: &Stamps) -> Option<Timestamp> {
        let limits =
            self.limits_in_force(stamps.idle_limit_millis(), stamps.session_limit_millis());
        let idle_end = limits
            .idle_millis
            .map(|limit| stamps.last_activity_at().saturating_add_millis(limit));
        let session_end = limits
            .session_millis
            .map(|limit| stamps.login_at().saturating_add_millis(limit));
        match (idle_end, session_end) {
            (Some(idle), Some(session)) => Some(idle.min(session)),
            (end, None) | (None, end) => end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn config() -> Config {
        Config::builder()
            .idle_time("15m")
            .session_time("1h")
            .max_session_time("8h")
            .build()
            .unwrap()
    }

    #[test]
    fn allowed_limits_are_stored_with_the_stamps() {
        let c = config();
        let s = c
            .login_stamps(t(1_000), &SessionLimits::new().session_time("8h"))
            .unwrap();
        assert_eq!(s.encode(), "2.1000.1000..28800000");
        let s = c
            .login_stamps(
                t(1_000),
                &SessionLimits::new().idle_time(300).session_time("30m"),
            )
            .unwrap();
        assert_eq!(s.encode(), "2.1000.1000.300000.1800000");
        // No limits of its own: version 1, as before.
        let s = c.login_stamps(t(1_000), &SessionLimits::new()).unwrap();
        assert_eq!(s.encode(), "1.1000.1000");
    }

    #[test]
    fn refusals_name_the_limit_the_value_and_the_maximum() {
        let c = config();
        let err = c
            .check_limits(&SessionLimits::new().session_time("9h"))
            .unwrap_err();
        assert_eq!(
            err,
            LimitError::AboveMaximum {
                limit: "SESSION_TIME",
                value: "\"9h\"".into(),
                key: "MAX_SESSION_TIME",
                maximum: Duration::from_secs(8 * 3600),
            }
        );
        assert_eq!(
            err.to_string(),
            "the per-session SESSION_TIME = \"9h\" is above its maximum: MAX_SESSION_TIME = 8h"
        );
        // MAX_IDLE_TIME defaults to IDLE_TIME.
        let err = c
            .check_limits(&SessionLimits::new().idle_time(901))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the per-session IDLE_TIME = 901 is above its maximum: MAX_IDLE_TIME = 15m"
        );
        assert!(c.check_limits(&SessionLimits::new().idle_time(900)).is_ok());
        for zero in [
            TimeValue::Seconds(0),
            TimeValue::from("0s"),
            TimeValue::Seconds(-1),
        ] {
            let err = c
                .check_limits(&SessionLimits::new().session_time(zero.clone()))
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    LimitError::InvalidValue {
                        limit: "SESSION_TIME",
                        ..
                    }
                ),
                "{zero:?}: {err:?}"
            );
            assert!(err.to_string().contains("greater than zero"), "{err}");
        }
        let err = c
            .check_limits(&SessionLimits::new().idle_time("soon"))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the per-session IDLE_TIME = \"soon\" is not allowed: expected"),
            "{err}"
        );
    }

    #[test]
    fn a_limit_the_configuration_lacks_needs_an_explicit_maximum() {
        let idle_only = Config::builder().idle_time(600).build().unwrap();
        let err = idle_only
            .check_limits(&SessionLimits::new().session_time("8h"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the per-session SESSION_TIME = \"8h\" is not allowed: the configuration sets \
             neither SESSION_TIME nor MAX_SESSION_TIME, so no session may have one; set \
             MAX_SESSION_TIME to allow it"
        );
        let with_max = Config::builder()
            .idle_time(600)
            .max_session_time("8h")
            .build()
            .unwrap();
        assert!(
            with_max
                .check_limits(&SessionLimits::new().session_time("8h"))
                .is_ok()
        );
    }

    #[test]
    fn a_limit_must_be_longer_than_the_warning() {
        let c = Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .warn_before(60)
            .build()
            .unwrap();
        let err = c
            .check_limits(&SessionLimits::new().idle_time(60))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the per-session IDLE_TIME = 60 is not allowed: it must be longer than WARN_BEFORE = 1m"
        );
        assert!(c.check_limits(&SessionLimits::new().idle_time(61)).is_ok());
    }
}
