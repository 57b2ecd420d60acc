//! Why a session ended ([`ExpiryReason`]), and the message configured for each
//! reason.

use super::Config;

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpiryReason {
    /// No activity-counting request for `IDLE_TIME`.
    Idle,
    /// `SESSION_TIME` has passed since login.
    Session,
    /// The stored stamps were corrupt, foreign or dated in the future (fail closed).
    Invalid,
    /// `UNLOCK_ATTEMPTS` wrong passwords in a row, in the lock or
    /// re-authentication dialog.
    UnlockFailed,
    /// `LOGOUT_ON_TABS_CLOSED`: no tab of the session renewed its presence
    /// for that long (the last one was closed).
    TabsClosed,
    /// The application ended the session from elsewhere: an administrator,
    /// "sign out everywhere", "sign out my other sessions", one session
    /// revoked from a "your sessions" page, or a back-channel logout of its
    /// tag (`log_out_everywhere`, `revoke`, `log_out_tagged`, ...).
    Revoked,
    /// `MAX_SESSIONS_PER_USER` with `SESSION_LIMIT_POLICY = "evict-oldest"`:
    /// a newer sign-in of the same user took this session's place.
    Replaced,
}

impl ExpiryReason {
    /// `"idle"`, `"session"`, `"invalid"`, `"unlock_failed"`, `"closed"`,
    /// `"revoked"` or `"replaced"`, as in the JSON answers.
    pub const fn as_str(self) -> &'static str {
        match self {
            ExpiryReason::Idle => "idle",
            ExpiryReason::Session => "session",
            ExpiryReason::Invalid => "invalid",
            ExpiryReason::UnlockFailed => "unlock_failed",
            ExpiryReason::TabsClosed => "closed",
            ExpiryReason::Revoked => "revoked",
            ExpiryReason::Replaced => "replaced",
        }
    }

    /// The reason named `name` ([`ExpiryReason::as_str`]'s text), if any.
    pub fn from_name(name: &str) -> Option<ExpiryReason> {
        Some(match name {
            "idle" => ExpiryReason::Idle,
            "session" => ExpiryReason::Session,
            "invalid" => ExpiryReason::Invalid,
            "unlock_failed" => ExpiryReason::UnlockFailed,
            "closed" => ExpiryReason::TabsClosed,
            "revoked" => ExpiryReason::Revoked,
            "replaced" => ExpiryReason::Replaced,
            _ => return None,
        })
    }
}

impl Config {
    /// The message to flash after a logout for `reason`: `IDLE_MESSAGE` or
    /// `SESSION_MESSAGE` (`UNLOCK_FAILED_MESSAGE`, `TABS_CLOSED_MESSAGE`,
    /// `REVOKED_MESSAGE`, `REPLACED_MESSAGE`) when set, else `MESSAGE`, else
    /// none.
    pub fn message_for(&self, reason: ExpiryReason) -> Option<&str> {
        let specific = match reason {
            ExpiryReason::Idle => self.0.idle_message.as_deref(),
            ExpiryReason::Session => self.0.session_message.as_deref(),
            ExpiryReason::Invalid => None,
            ExpiryReason::UnlockFailed => self.0.unlock_failed_message.as_deref(),
            ExpiryReason::TabsClosed => self.0.tabs_closed_message.as_deref(),
            ExpiryReason::Revoked => self.0.revoked_message.as_deref(),
            ExpiryReason::Replaced => self.0.replaced_message.as_deref(),
        };
        specific.or(self.0.message.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_its_message_else_the_general_one() {
        let c = Config::builder()
            .idle_time(60)
            .session_time(3600)
            .message("general")
            .idle_message("idle")
            .build()
            .unwrap();
        assert_eq!(c.message_for(ExpiryReason::Idle), Some("idle"));
        assert_eq!(c.message_for(ExpiryReason::Session), Some("general"));
        assert_eq!(c.message_for(ExpiryReason::Invalid), Some("general"));
        let silent = Config::builder().idle_time(60).build().unwrap();
        assert_eq!(silent.message_for(ExpiryReason::Idle), None);
        let names = [
            ExpiryReason::Idle,
            ExpiryReason::Session,
            ExpiryReason::Invalid,
        ]
        .map(ExpiryReason::as_str);
        assert_eq!(names, ["idle", "session", "invalid"]);
        for reason in [
            ExpiryReason::Idle,
            ExpiryReason::Session,
            ExpiryReason::Invalid,
            ExpiryReason::UnlockFailed,
            ExpiryReason::TabsClosed,
            ExpiryReason::Revoked,
            ExpiryReason::Replaced,
        ] {
            assert_eq!(ExpiryReason::from_name(reason.as_str()), Some(reason));
        }
        assert_eq!(ExpiryReason::from_name("Idle"), None);
    }
}
