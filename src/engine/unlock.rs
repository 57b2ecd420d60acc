//! The password endpoints, `unlock` and `reauthenticate`: what the
//! application's `on_unlock` hook is given, how the password is read from the
//! form, how wrong passwords are counted, and the answers.
//!
//! ```
//! use auto_logout::engine::{password_of, wrong_password_reply};
//!
//! assert_eq!(password_of("password=s%C3%A9same+1").as_deref(), Some("sésame 1"));
//! assert_eq!(password_of("user=ann"), None);
//! let reply = wrong_password_reply(2);
//! assert_eq!(reply.status, 401);
//! assert_eq!(reply.body, r#"{"attempts_left":2,"error":"wrong_password"}"#);
//! ```

use std::borrow::Cow;
use std::fmt;

use super::*;
use crate::clock::Timestamp;

/// The most of a password endpoint's body that is read: a longer form is
/// refused as holding no password.
pub const FORM_LIMIT: usize = 4_096;

/// The session key under which wrong passwords are counted:
/// `<last activity ms>.<count>`, so the count belongs to one lock (a right
/// password moves last activity, and the count starts again).
pub const UNLOCK_KEY: &str = "_auto_logout_unlock";

/// A password given in the lock dialog or in "Sign in again", as the
/// application's `on_unlock` hook sees it (named with each framework's
/// session type: `auto_logout::axum::UnlockAttempt`,
/// `auto_logout::actix::UnlockAttempt`). The hook answers whether the
/// password is the signed-in user's; its `Debug` never shows the password.
pub struct UnlockAttempt<Session> {
    /// The request's session, to find who is signed in.
    pub session: Session,
    /// The password as typed.
    pub password: String,
    /// `true` for "Sign in again" (`reauthenticate`: both clocks start
    /// again), `false` for the lock dialog (`unlock`: the idle clock).
    pub reauthenticate: bool,
}

impl<Session> fmt::Debug for UnlockAttempt<Session> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockAttempt")
            .field("password", &"<hidden>")
            .field("reauthenticate", &self.reauthenticate)
            .finish_non_exhaustive()
    }
}

/// The `password` field of a form body (`application/x-www-form-urlencoded`),
/// when there is one and it is not empty.
pub fn password_of(form: &str) -> Option<String> {
    form_urlencoded::parse(form.as_bytes())
        .find(|(name, _)| name == "password")
        .map(|(_, value)| value.into_owned())
        .filter(|password| !password.is_empty())
}

/// The wrong passwords counted so far in the lock that began after
/// `last_activity_at` (`stored`: the value under [`UNLOCK_KEY`]).
pub(crate) fn failures_so_far(stored: Option<&str>, last_activity_at: Timestamp) -> u32 {
    stored
        .and_then(|text| text.split_once('.'))
        .filter(|(at, _)| at.parse::<i64>().ok() == Some(last_activity_at.as_unix_millis()))
        .and_then(|(_, count)| count.parse().ok())
        .unwrap_or(0)
}

/// The value stored under [`UNLOCK_KEY`] for `count` wrong passwords.
pub(crate) fn failures_text(last_activity_at: Timestamp, count: u32) -> String {
    format!("{}.{count}", last_activity_at.as_unix_millis())
}

/// `401` to a wrong password, with how many tries are left before the
/// session ends.
pub fn wrong_password_reply(attempts_left: u32) -> Reply {
    Reply {
        status: 401,
        headers: Cow::Borrowed(JSON_HEADERS),
        body: Cow::Owned(
            serde_json::json!({"error": "wrong_password", "attempts_left": attempts_left})
                .to_string(),
        ),
    }
}

/// `400` to a form without a password.
pub const fn password_missing_reply() -> Reply {
    Reply::fixed(400, JSON_HEADERS, r#"{"error":"password_missing"}"#)
}

/// `503` when the hook failed or did not answer in time: not counted as a
/// wrong password.
pub const fn unlock_unavailable_reply() -> Reply {
    Reply::fixed(503, JSON_HEADERS, r#"{"error":"unlock_unavailable"}"#)
}

/// `404` to a password endpoint when no `on_unlock` hook is set.
pub const fn no_unlock_hook_reply() -> Reply {
    Reply::fixed(404, PLAIN_HEADERS, NO_UNLOCK_HOOK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_are_counted_per_lock() {
        let at = Timestamp::from_unix_millis(1_700_000_000_000);
        assert_eq!(failures_so_far(None, at), 0);
        let two = failures_text(at, 2);
        assert_eq!(two, "1700000000000.2");
        assert_eq!(failures_so_far(Some(&two), at), 2);
        // Another lock (last activity moved): counted from zero.
        assert_eq!(failures_so_far(Some(&two), at.saturating_add_millis(1)), 0);
        for hostile in [
            "",
            ".",
            "x.2",
            "1700000000000.",
            "1700000000000.-1",
            "1700000000000.99999999999",
        ] {
            assert_eq!(failures_so_far(Some(hostile), at), 0, "{hostile:?}");
        }
    }

    #[test]
    fn the_password_field_only() {
        assert_eq!(
            password_of("a=1&password=x%26y&password=z").as_deref(),
            Some("x&y")
        );
        assert_eq!(password_of("password="), None);
        assert_eq!(password_of(""), None);
        let attempt = UnlockAttempt {
            session: (),
            password: "secret".to_owned(),
            reauthenticate: false,
        };
        assert!(!format!("{attempt:?}").contains("secret"));
    }
}
