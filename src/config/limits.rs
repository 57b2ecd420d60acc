//! The configured limits: the idle and absolute limits in force for a
//! session (the configured ones, or its own within the configured maximums),
//! and the write resolution that goes with an idle limit.

use super::Config;
use crate::time_value::MAX_TIME_MILLIS;

/// The idle and absolute limits in force for one session, in milliseconds
/// (`None`: no such limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Limits {
    pub(crate) idle_millis: Option<i64>,
    pub(crate) session_millis: Option<i64>,
}

/// The longest a stored limit is ever read as, whatever the configuration.
const LONGEST_MILLIS: i64 = MAX_TIME_MILLIS;

impl Config {
    /// The configured limits (`IDLE_TIME`, `SESSION_TIME`).
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            idle_millis: self.0.idle_millis,
            session_millis: self.0.session_millis,
        }
    }

    /// The limits in force for a session whose stored limits of its own are
    /// these (`None`: it has none of that kind): its own, each clamped to
    /// today's maximum (a stored limit is never read as longer than the
    /// configuration allows), else the configured ones.
    pub(crate) fn limits_in_force(
        &self,
        own_idle_millis: Option<i64>,
        own_session_millis: Option<i64>,
    ) -> Limits {
        let own = |stored: i64, maximum: Option<i64>| {
            stored
                .min(maximum.unwrap_or(LONGEST_MILLIS))
                .min(LONGEST_MILLIS)
        };
        Limits {
            idle_millis: match own_idle_millis {
                Some(stored) => Some(own(stored, self.0.max_idle_millis)),
                None => self.0.idle_millis,
            },
            session_millis: match own_session_millis {
                Some(stored) => Some(own(stored, self.0.max_session_millis)),
                None => self.0.session_millis,
            },
        }
    }
    /// The write resolution for a session whose idle limit in force is
    /// `idle_millis` (its own): 1 % of it, or `WRITE_RESOLUTION` when that was
    /// given and is finer; so the idle-time promise holds for the session's
    /// own idle limit.
    pub(crate) fn write_resolution_for(&self, idle_millis: Option<i64>) -> i64 {
        match (idle_millis, self.0.write_resolution_given_millis) {
            (Some(idle), given) => {
                let largest = largest_write_resolution_millis(idle);
                given.map_or(largest, |given| given.min(largest))
            }
            (None, _) => self.0.write_resolution_millis,
        }
    }
}

/// 1 % of `IDLE_TIME`, floored to whole milliseconds, at least 1 ms: the
/// coarsest write resolution that keeps an idle logout within 1 % of
/// `IDLE_TIME` after the user's last activity-counting request.
pub(super) fn largest_write_resolution_millis(idle_millis: i64) -> i64 {
    (idle_millis / 100).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_write_resolution_is_one_percent_floored_at_least_one_millisecond() {
        for (idle, largest) in [
            (1, 1),
            (150, 1),
            (199, 1),
            (200, 2),
            (1_000, 10),
            (60_000, 600),
            (100_000, 1_000),
            (900_000, 9_000),
            (86_400_000, 864_000),
        ] {
            assert_eq!(largest_write_resolution_millis(idle), largest, "{idle}");
        }
    }

    #[test]
    fn stored_limits_are_clamped_to_todays_maximum() {
        let c = Config::builder()
            .idle_time("15m")
            .session_time("1h")
            .max_session_time("8h")
            .build()
            .unwrap();
        let forged = c.limits_in_force(Some(i64::MAX), Some(i64::MAX));
        assert_eq!(forged.idle_millis, Some(900_000));
        assert_eq!(forged.session_millis, Some(8 * 3_600_000));
        // Shorter stored limits are kept; missing ones are the configured ones.
        let short = c.limits_in_force(Some(60_000), None);
        assert_eq!(short.idle_millis, Some(60_000));
        assert_eq!(short.session_millis, Some(3_600_000));
        assert_eq!(c.limits_in_force(None, None), c.limits());
        // A limit the configuration no longer has (nor a maximum for): kept,
        // never dropped, and never read as longer than ten years.
        let idle_only = Config::builder().idle_time(600).build().unwrap();
        let limits = idle_only.limits_in_force(Some(i64::MAX), Some(i64::MAX));
        assert_eq!(limits.idle_millis, Some(600_000));
        assert_eq!(limits.session_millis, Some(LONGEST_MILLIS));
    }
}
