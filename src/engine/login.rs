//! Logins the application did not tell the crate about: clocks started
//! for a signed-in session, and the warning when they never start.

use crate::config::Config;
use crate::decision::RequestOutcome;

use std::sync::atomic::{AtomicBool, Ordering};

/// `true` when a session signed in through an authentication crate
/// (`signed_in`) has no stamps yet — it was signed in before the middleware
/// was installed — and a limit is configured: its clocks start with this
/// request, which is then decided with them.
pub fn starts_clocks_of_untracked_login(
    config: &Config,
    signed_in: bool,
    outcome: &RequestOutcome,
) -> bool {
    signed_in && *outcome == RequestOutcome::Untracked && config.has_limit()
}

/// `true` when an authentication crate signed a user in during this request:
/// a user id after it that differs from the one before (a first login, or
/// another user). The session's clocks then start, as at
/// [`Stamps::at_login`](crate::Stamps::at_login).
///
/// ```
/// use auto_logout::engine::signed_in_during_request;
///
/// assert!(signed_in_during_request(None, Some("ada")));
/// assert!(signed_in_during_request(Some("bob"), Some("ada")));
/// assert!(!signed_in_during_request(Some("ada"), Some("ada")));
/// assert!(!signed_in_during_request(Some("ada"), None));
/// ```
pub fn signed_in_during_request<T: PartialEq + ?Sized>(
    before: Option<&T>,
    after: Option<&T>,
) -> bool {
    after.is_some() && after != before
}

/// `true` when a session value under the application's signed-in key
/// (`signed_in_key`) says a user is signed in: present and not JSON `null`.
///
/// ```
/// use auto_logout::engine::holds_signed_in_user;
/// use serde_json::json;
///
/// assert!(holds_signed_in_user(Some(&json!("ada"))));
/// assert!(holds_signed_in_user(Some(&json!({"id": 7}))));
/// assert!(!holds_signed_in_user(Some(&json!(null))));
/// assert!(!holds_signed_in_user(None));
/// ```
pub fn holds_signed_in_user(value: Option<&serde_json::Value>) -> bool {
    value.is_some_and(|value| !value.is_null())
}

/// `true` when, at the end of a request, the integration starts the clocks
/// of a session signed in without `AutoLogout::login` — the application
/// named its signed-in key (`signed_in_key`) — because the session holds that
/// key (`signed_in`) and no stamps (`has_stamps`), and it was not an active
/// tracked session when the request began (`was_active`: its stamps were
/// checked then, and a request does not restart them), with a limit
/// configured (else there are no clocks to start).
///
/// That covers a login handler that put its user into the session and forgot
/// the login call: the clocks start with that very request, so the first page
/// after the login is already tracked. A session that already held the key
/// when a request began (signed in before the integration was installed)
/// starts its clocks at the start of that request
/// ([`starts_clocks_of_untracked_login`]).
pub fn starts_clocks_at_end(
    config: &Config,
    was_active: bool,
    signed_in: bool,
    has_stamps: bool,
) -> bool {
    !was_active && signed_in && !has_stamps && config.has_limit()
}

/// The text of the warning (`clocks_never_started`) given when sessions hold
/// data but their clocks never start.
pub const CLOCKS_NEVER_STARTED: &str = "a session holds data but no auto-logout stamps, and \
AutoLogout::login was never called: if its user is signed in, no timeout applies to it. Call \
AutoLogout::login when a user signs in, or name the session key that holds the signed-in user \
with signed_in_key";

/// Whether the application ever started a session's clocks, for the warning
/// about clocks that never start: one per layer or middleware value (its
/// clones share it). `AutoLogout::login` (axum and actix) notes its calls
/// here.
#[derive(Debug, Default)]
pub struct LoginWatch {
    login_called: AtomicBool,
    reported: AtomicBool,
}

impl LoginWatch {
    /// Nothing seen yet.
    pub const fn new() -> LoginWatch {
        LoginWatch {
            login_called: AtomicBool::new(false),
            reported: AtomicBool::new(false),
        }
    }

    /// Notes a call of `AutoLogout::login`.
    pub fn login_called(&self) {
        if !self.login_called.load(Ordering::Relaxed) {
            self.login_called.store(true, Ordering::Relaxed);
        }
    }

    /// `true` while a session without stamps is worth a look: a limit is
    /// configured, the integration has no way to start clocks by itself
    /// (`starts_clocks`: a signed-in key, axum-login, actix-identity), no
    /// login was called, nothing reported yet. Two relaxed loads; an
    /// integration asks only for sessions that had no stamps when the request
    /// began and changed during it.
    pub fn worth_a_look(&self, config: &Config, starts_clocks: bool) -> bool {
        !starts_clocks
            && config.has_limit()
            && !self.login_called.load(Ordering::Relaxed)
            && !self.reported.load(Ordering::Relaxed)
    }

    /// A request ends with a session that holds data but no stamps: warns
    /// ([`CLOCKS_NEVER_STARTED`]) the first time only.
    pub fn report(&self) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            crate::audit::clocks_never_started(CLOCKS_NEVER_STARTED);
        }
    }

    /// Whether [`LoginWatch::report`] has warned.
    pub fn reported(&self) -> bool {
        self.reported.load(Ordering::Relaxed)
    }
}
