//! `LOGOUT_ON_TABS_CLOSED`: the presence lease of a session, renewed by every
//! request of it (the client script sends a passive one about every quarter
//! of the lease while any tab is open), kept under its own session key and
//! read only when the lease is configured.
//!
//! ```
//! use auto_logout::Timestamp;
//! use auto_logout::engine::{Presence, presence_at};
//!
//! let lease = 120_000;
//! let renewed = Timestamp::from_unix_millis(1_700_000_000_000);
//! let stored = renewed.as_unix_millis().to_string();
//! let at = |ms| presence_at(Some(&stored), renewed.saturating_add_millis(ms), lease);
//! assert_eq!(at(1_000), Presence::Held);
//! assert_eq!(at(30_000), Presence::Renew); // a quarter of the lease: written again
//! assert_eq!(at(120_000), Presence::Renew);
//! assert_eq!(at(120_001), Presence::Gone); // no tab for the whole lease
//! ```

use crate::clock::Timestamp;

/// The session key of the last renewal of the presence lease (ms since the
/// epoch, as text).
pub const PRESENCE_KEY: &str = "_auto_logout_presence";

/// What a request finds of its session's presence lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Renewed recently: nothing to write.
    Held,
    /// Held, and renewed by this request (a quarter of the lease since the
    /// last write, or none yet): write `now`.
    Renew,
    /// Not renewed for longer than the lease: the session ends (reason `closed`).
    Gone,
}

/// The presence of a session whose last renewal is `stored` (the value under
/// [`PRESENCE_KEY`]), at `now`, with a lease of `lease_millis`. A value that
/// is missing or not a number is no renewal yet: this request renews it (a
/// session signed in before the lease was configured starts one now).
pub fn presence_at(stored: Option<&str>, now: Timestamp, lease_millis: i64) -> Presence {
    let Some(renewed) = stored.and_then(|text| text.parse::<i64>().ok()) else {
        return Presence::Renew;
    };
    let since = now.millis_since(Timestamp::from_unix_millis(renewed));
    if since > lease_millis {
        Presence::Gone
    } else if since >= lease_millis / 4 || since < 0 {
        // A renewal dated in the future (clock steps) is written again.
        Presence::Renew
    } else {
        Presence::Held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_hostile_value_is_renewed_never_gone() {
        let now = Timestamp::from_unix_millis(1_700_000_000_000);
        for stored in [
            None,
            Some(""),
            Some("x"),
            Some("1.5"),
            Some("99999999999999999999"),
        ] {
            assert_eq!(
                presence_at(stored, now, 120_000),
                Presence::Renew,
                "{stored:?}"
            );
        }
        let future = now
            .saturating_add_millis(10_000)
            .as_unix_millis()
            .to_string();
        assert_eq!(presence_at(Some(&future), now, 120_000), Presence::Renew);
    }
}
