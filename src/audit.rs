//! Audit events: what the crate tells the application's log, with the
//! feature `tracing`.
//!
//! Every event has the target `auto_logout` and a field `event` that names it:
//!
//! | `event` | level | fields | when |
//! |---|---|---|---|
//! | `logout` | info | `reason`, `idle_age_ms`, `session_age_ms`, `source` | a session timed out and ended: `source = "request"` when a request found it expired and the integration logged it out, `"sweep"` when the sweeper found it with nobody there; once per session, whoever finds it first |
//! | `session_revoked` | info | `reason` (`revoked`, `replaced`), `how` (`everywhere`, `others`, `one`, `tagged`, `limit`) | the application ended a session from elsewhere, or a sign-in over `MAX_SESSIONS_PER_USER` evicted one; once per session ended |
//! | `sign_in_refused` | warn | `max` | `SESSION_LIMIT_POLICY = "refuse-new"` refused a sign-in at `MAX_SESSIONS_PER_USER` |
//! | `stamps_refused` | warn | `error` | the stored stamps are corrupt, foreign or of another version |
//! | `keepalive_refused` | warn | `why` | a keepalive request is answered `403` |
//! | `store_failed` | warn | `operation`, `error` | a call of the wrapped session store fails |
//! | `hook_failed` | warn | `reason`, `error` | the logout hook failed, panicked or took too long (the session is logged out all the same) |
//! | `clocks_never_started` | warn | `detail` | a session holds data but no stamps: the app signs users in without starting the clocks; once per process |
//! | `setup_mistake` | error | `mistake`; the message is the fix | the layers are in a wrong order, or the session layer uses another store ([`Mistake`](crate::engine::Mistake)); once per request that finds it |
//!
//! No event carries a session id, a cookie, a stamp's text or session data.
//!
//! Without the feature every function here is empty and inlined away, except
//! [`clocks_never_started`], which then writes its line once to the process's
//! stderr: a library that prints is rude, but a login call the application
//! forgot leaves sessions without any timeout and shows nowhere else.
//!
//! Nothing here runs for a request whose session is active: only expiries,
//! refusals and failures emit.

use crate::clock::Timestamp;
use crate::config::ExpiryReason;
use crate::stamps::{StampError, Stamps};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The target of every event.
#[cfg(feature = "tracing")]
const TARGET: &str = "auto_logout";

/// An age the caller does not know (stamps that could not be read): the
/// `logout` event leaves its age fields out.
#[cfg(feature = "tracing")]
const UNKNOWN_AGE: i64 = i64::MIN;

/// An automatic logout, at info level: why, and how long ago the session's
/// last activity and its login were, in milliseconds (negative for stamps
/// dated in the future; left out when unknown).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(
    not(any(feature = "axum", feature = "actix", feature = "tracing")),
    allow(dead_code)
)]
pub(crate) fn logout(reason: ExpiryReason, idle_age_millis: i64, session_age_millis: i64) {
    logout_from(reason, idle_age_millis, session_age_millis, "request");
}

/// The `logout` event, with where the logout was found (`source`).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
fn logout_from(
    reason: ExpiryReason,
    idle_age_millis: i64,
    session_age_millis: i64,
    source: &'static str,
) {
    #[cfg(feature = "tracing")]
    {
        if idle_age_millis == UNKNOWN_AGE || session_age_millis == UNKNOWN_AGE {
            tracing::info!(
                target: TARGET,
                event = "logout",
                reason = reason.as_str(),
                source,
                "automatic logout"
            );
        } else {
            tracing::info!(
                target: TARGET,
                event = "logout",
                reason = reason.as_str(),
                idle_age_ms = idle_age_millis,
                session_age_ms = session_age_millis,
                source,
                "automatic logout"
            );
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (reason, idle_age_millis, session_age_millis, source);
}

/// The `logout` event of a session the sweeper ended (`source = "sweep"`).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn swept(reason: ExpiryReason, stamps: &Stamps, now: Timestamp) {
    logout_from(
        reason,
        now.millis_since(stamps.last_activity_at()),
        now.millis_since(stamps.login_at()),
        "sweep",
    );
}

/// A session the application ended from elsewhere (`revoked`), or a
/// sign-in evicted (`replaced`): `how` names the call.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn session_revoked(reason: ExpiryReason, how: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        event = "session_revoked",
        reason = reason.as_str(),
        how,
        "session ended by the application"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (reason, how);
}

/// A sign-in refused at `MAX_SESSIONS_PER_USER` (`refuse-new`).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn sign_in_refused(max: u32) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "sign_in_refused",
        max,
        "sign-in refused: too many sessions"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = max;
}

/// The `logout` event for stamps that were read: the ages are counted from
/// `now` (what the decision used).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn logout_at(reason: ExpiryReason, stamps: &Stamps, now: Timestamp) {
    logout(
        reason,
        now.millis_since(stamps.last_activity_at()),
        now.millis_since(stamps.login_at()),
    );
}

/// Stamps that could not be read, logged out as `invalid`: the
/// `stamps_refused` event with why (decoded again here, off the path of a
/// request whose stamps are fine), then the `logout` event without ages.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn unreadable_stamps(stored: &str) {
    #[cfg(feature = "tracing")]
    {
        if let Err(error) = Stamps::decode(stored) {
            stamps_refused(error);
        }
        logout(ExpiryReason::Invalid, UNKNOWN_AGE, UNKNOWN_AGE);
    }
    #[cfg(not(feature = "tracing"))]
    let _ = stored;
}

/// A session record the store could not decode at all, logged out as
/// `invalid`: the `logout` event without ages (the store wrapper has told
/// `store_failed` what failed).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
// For the axum integration's branch for a record that cannot be decoded.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn unreadable_session() {
    #[cfg(feature = "tracing")]
    logout(ExpiryReason::Invalid, UNKNOWN_AGE, UNKNOWN_AGE);
}

/// Stored stamps refused as corrupt, foreign or of another version, at warn
/// level. The stored text itself is never logged.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
// Without the feature, unreadable stamps are not decoded again for it.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) fn stamps_refused(error: StampError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "stamps_refused",
        error = %error,
        "session stamps refused; the session is logged out"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// A keepalive request answered `403`, at warn level; `why` is a fixed text.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn keepalive_refused(why: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "keepalive_refused",
        why,
        "keepalive refused"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = why;
}

/// A request of a locked session (`LOCK_AFTER`) answered `423`, at info
/// level (no path: a query may hold what the log must not).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn locked_request() {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        event = "locked_request",
        "request of a locked session refused"
    );
}

/// A session re-authenticated in place (both clocks restarted), at info level.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn reauthenticated() {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        event = "reauthenticated",
        "session re-authenticated: both clocks restarted"
    );
}

/// A right password in the lock dialog (`unlocked`) or in "Sign in again"
/// (`reauthenticated`: both clocks restarted), at info level.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn unlocked(reauthenticate: bool) {
    if reauthenticate {
        return reauthenticated();
    }
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        event = "unlocked",
        "session unlocked: the idle clock restarted"
    );
}

/// A wrong password in the lock or re-authentication dialog, at warn level:
/// the `failures` so far in this lock and how many end the session.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn unlock_refused(failures: u32, allowed: u32) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "unlock_refused",
        failures,
        allowed,
        "wrong password in the lock or re-authentication dialog"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (failures, allowed);
}

/// The application's `on_unlock` hook failed, panicked or did not answer in
/// time, at warn level (the request gets `503`; nothing is counted).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn unlock_hook_failed(error: &dyn std::fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "unlock_hook_failed",
        error = %error,
        "on_unlock hook failed"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// A failed call of the wrapped session store, at warn level. `operation` is
/// `load`, `create`, `save` or `delete`; `error` must carry no session id and
/// no session data (the store wrappers pass a scrubbed text).
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
// Called by the store wrappers, with the feature only (the text is not even
// made without it).
#[cfg_attr(
    not(all(feature = "tracing", any(feature = "axum", feature = "actix"))),
    allow(dead_code)
)]
pub(crate) fn store_failed(operation: &'static str, error: &dyn std::fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "store_failed",
        operation,
        error = %error,
        "session store call failed"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (operation, error);
}

/// Whether a `store_failed` event would be recorded now (a subscriber that
/// keeps warn events of the target): the static check of the macro.
#[cfg(all(feature = "tracing", any(feature = "axum", feature = "actix")))]
#[inline]
pub(crate) fn store_failures_listened() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::WARN)
}

/// Whether a `logout` event would reach the log now: the integrations read
/// a session's stamps again for its ages only then.
#[cfg(any(feature = "axum", feature = "actix"))]
#[inline]
pub(crate) fn logouts_listened() -> bool {
    #[cfg(feature = "tracing")]
    {
        tracing::enabled!(target: TARGET, tracing::Level::INFO)
    }
    #[cfg(not(feature = "tracing"))]
    {
        false
    }
}

/// The application's logout hook failed (an error, a panic or no answer in
/// time), at warn level. `error` is the hook's own error text: what it says
/// is the application's choice.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
// Called by the framework integrations only.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn hook_failed(reason: ExpiryReason, error: &dyn std::fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: TARGET,
        event = "hook_failed",
        reason = reason.as_str(),
        error = %error,
        "logout hook failed"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (reason, error);
}

/// A mistake in how the application put the crate together, at error level:
/// `mistake` names it ([`Mistake::name`](crate::engine::Mistake::name)), and
/// the message is its fix, the text the request is answered with. Without the
/// feature nothing is printed: the `500` carries the same text.
#[cfg_attr(feature = "tracing", cold, inline(never))]
#[cfg_attr(not(feature = "tracing"), inline(always))]
pub(crate) fn setup_mistake(mistake: &'static str, fix: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: TARGET,
        event = "setup_mistake",
        mistake,
        "{fix}"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (mistake, fix);
}

/// Set once [`clocks_never_started`] has said its warning.
static CLOCKS_WARNED: AtomicBool = AtomicBool::new(false);
/// How often [`clocks_never_started`] was called.
static CLOCKS_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A session that looks signed in but has no stamps: the application never
/// started the clocks, so it has no timeout at all. Warns once per process:
/// with the feature, a warn event (or, while no subscriber is installed at
/// all, a line on stderr); without it, a line on stderr. Later calls only
/// count.
#[cold]
pub(crate) fn clocks_never_started(detail: &'static str) {
    CLOCKS_CALLS.fetch_add(1, Ordering::Relaxed);
    if CLOCKS_WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    #[cfg(feature = "tracing")]
    {
        let no_subscriber = tracing::dispatcher::get_default(|dispatch| {
            dispatch.is::<tracing::subscriber::NoSubscriber>()
        });
        if !no_subscriber {
            tracing::warn!(
                target: TARGET,
                event = "clocks_never_started",
                detail,
                "a signed-in session has no auto-logout clocks: sessions never time out"
            );
            return;
        }
    }
    eprintln!(
        "WARN auto_logout: a signed-in session has no auto-logout clocks: sessions never time out ({detail})"
    );
}

/// How often the crate found a signed-in session without clocks (tests).
#[doc(hidden)]
pub fn clocks_never_started_calls() -> usize {
    CLOCKS_CALLS.load(Ordering::Relaxed)
}

/// Whether the once-per-process warning about clocks that never started was
/// given: `1` once it was, `0` before (tests).
#[doc(hidden)]
pub fn clocks_never_started_fired() -> usize {
    usize::from(CLOCKS_WARNED.load(Ordering::Relaxed))
}
