//! The validated configuration, [`Config`], and what it answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::endpoints::Endpoints;
use super::prepared::PreparedAttrs;

/// The validated configuration. Cheap to clone (one reference count).
///
/// Build it with [`Config::builder`] or deserialize it from the Django-style
/// map ([`Config::from_json`], or any serde format through `Deserialize`).
#[derive(Clone)]
pub struct Config(pub(super) Arc<Inner>);

/// What [`ConfigBuilder::build`](super::ConfigBuilder::build) computes, once.
#[derive(PartialEq)]
pub(super) struct Inner {
    pub(super) idle_millis: Option<i64>,
    pub(super) session_millis: Option<i64>,
    pub(super) message: Option<String>,
    pub(super) idle_message: Option<String>,
    pub(super) session_message: Option<String>,
    pub(super) unlock_failed_message: Option<String>,
    pub(super) tabs_closed_message: Option<String>,
    pub(super) revoked_message: Option<String>,
    pub(super) replaced_message: Option<String>,
    /// `MAX_SESSIONS_PER_USER`.
    pub(super) max_sessions_per_user: Option<u32>,
    /// `SESSION_LIMIT_POLICY`.
    pub(super) session_limit_policy: SessionLimitPolicy,
    /// `SWEEP_INTERVAL`, 1 minute unless set.
    pub(super) sweep_interval_millis: i64,
    /// `LOGOUT_ON_TABS_CLOSED`: the presence lease, at least 2 minutes.
    pub(super) presence_lease_millis: Option<i64>,
    /// `UNLOCK_ATTEMPTS`: wrong passwords in a row before the session ends.
    pub(super) unlock_attempts: u32,
    /// `SIGN_IN_AGAIN`.
    pub(super) sign_in_again: bool,
    /// `TITLE_COUNTDOWN`.
    pub(super) title_countdown: bool,
    pub(super) redirect_to_login_immediately: bool,
    pub(super) warn_before_millis: Option<i64>,
    pub(super) login_url: Option<String>,
    pub(super) passive_paths: Vec<String>,
    pub(super) write_resolution_millis: i64,
    /// `WRITE_RESOLUTION` as given, if it was.
    pub(super) write_resolution_given_millis: Option<i64>,
    /// `MAX_IDLE_TIME`, defaulting to `IDLE_TIME`.
    pub(super) max_idle_millis: Option<i64>,
    /// `MAX_SESSION_TIME`, defaulting to `SESSION_TIME`.
    pub(super) max_session_millis: Option<i64>,
    /// `LOCK_AFTER`, below `IDLE_TIME`.
    pub(super) lock_after_millis: Option<i64>,
    pub(super) endpoint_prefix: String,
    pub(super) warning: WarningTexts,
    pub(super) client_activity: bool,
    pub(super) warn_stylesheet: bool,
    pub(super) activity_needs_user: bool,
    /// The endpoint URLs under the prefix, among them
    /// `<prefix>auto-logout.<hash>.js` and `.css`, where integrations serve the files.
    pub(super) endpoints: Endpoints,
    /// The constant part of the script tag's attributes, escaped once here so
    /// rendering a tag per request only copies it.
    pub(super) script_attrs: PreparedAttrs,
}

/// The texts and class name of the warning dialog (`WARN_*` keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WarningTexts {
    /// `WARN_TITLE`: the dialog's title.
    pub title: Option<String>,
    /// `WARN_IDLE_TEXT`: the text when the idle limit is ending.
    pub idle_text: Option<String>,
    /// `WARN_SESSION_TEXT`: the text when the absolute limit is ending.
    pub session_text: Option<String>,
    /// `WARN_STAY_LABEL`: the label of the "Stay signed in" button.
    pub stay_label: Option<String>,
    /// `WARN_CLASS`: the CSS class of the dialog (children get suffixes).
    pub class: Option<String>,
}

impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("idle_time", &self.idle_time())
            .field("session_time", &self.session_time())
            .field("message", &self.0.message)
            .field("idle_message", &self.0.idle_message)
            .field("session_message", &self.0.session_message)
            .field(
                "redirect_to_login_immediately",
                &self.0.redirect_to_login_immediately,
            )
            .field("warn_before", &self.warn_before())
            .field("login_url", &self.0.login_url)
            .field("passive_paths", &self.0.passive_paths)
            .field("write_resolution", &self.write_resolution())
            .field("endpoint_prefix", &self.0.endpoint_prefix)
            .field("warning", &self.0.warning)
            .field("client_activity", &self.0.client_activity)
            .field("warn_stylesheet", &self.0.warn_stylesheet)
            .field("activity_needs_user", &self.0.activity_needs_user)
            .field("max_idle_time", &self.max_idle_time())
            .field("max_session_time", &self.max_session_time())
            .field("lock_after", &self.lock_after())
            .field("unlock_attempts", &self.0.unlock_attempts)
            .field("unlock_failed_message", &self.0.unlock_failed_message)
            .field("sign_in_again", &self.0.sign_in_again)
            .field("title_countdown", &self.0.title_countdown)
            .field("logout_on_tabs_closed", &self.logout_on_tabs_closed())
            .field("tabs_closed_message", &self.0.tabs_closed_message)
            .field("revoked_message", &self.0.revoked_message)
            .field("replaced_message", &self.0.replaced_message)
            .field("max_sessions_per_user", &self.0.max_sessions_per_user)
            .field("session_limit_policy", &self.0.session_limit_policy)
            .field("sweep_interval", &self.sweep_interval())
            .finish()
    }
}

/// What a sign-in does when its user already has `MAX_SESSIONS_PER_USER`
/// sessions (`SESSION_LIMIT_POLICY`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SessionLimitPolicy {
    /// `"evict-oldest"`: the user's oldest sessions end (their next request
    /// is told "signed in elsewhere", reason `replaced`) so the new one fits.
    #[default]
    EvictOldest,
    /// `"refuse-new"`: the login call fails with
    /// [`LoginError::TooManySessions`](crate::LoginError::TooManySessions);
    /// the application shows why.
    RefuseNew,
}

impl SessionLimitPolicy {
    /// `"evict-oldest"` or `"refuse-new"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionLimitPolicy::EvictOldest => "evict-oldest",
            SessionLimitPolicy::RefuseNew => "refuse-new",
        }
    }

    /// The policy named `name` (lower case, as in the configuration).
    pub fn from_name(name: &str) -> Option<SessionLimitPolicy> {
        match name {
            "evict-oldest" => Some(SessionLimitPolicy::EvictOldest),
            "refuse-new" => Some(SessionLimitPolicy::RefuseNew),
            _ => None,
        }
    }
}

pub(super) fn millis_to_duration(millis: i64) -> Duration {
    Duration::from_millis(millis.max(0) as u64)
}

impl Config {
    /// `IDLE_TIME`: log out after this long without an activity-counting request.
    pub fn idle_time(&self) -> Option<Duration> {
        self.0.idle_millis.map(millis_to_duration)
    }

    /// `LOCK_AFTER`: after this much idleness (less than `IDLE_TIME`) the
    /// session is locked on the server: every request of it but the crate's
    /// `status`, passive requests and the login page is answered `423 Locked`
    /// until the user re-authenticates
    /// (`AutoLogout::reauthenticated`); `IDLE_TIME` still logs it out, and
    /// a locked request never counts as activity. Off unless set.
    pub fn lock_after(&self) -> Option<Duration> {
        self.0.lock_after_millis.map(millis_to_duration)
    }

    /// `UNLOCK_ATTEMPTS`: how many wrong passwords in a row the lock and
    /// re-authentication dialogs take before the session ends (reason
    /// `unlock_failed`): 5 unless set.
    pub fn unlock_attempts(&self) -> u32 {
        self.0.unlock_attempts
    }

    /// `SIGN_IN_AGAIN`: whether the warning before `SESSION_TIME` offers
    /// "Sign in again" (both clocks restart on the right password).
    pub fn sign_in_again(&self) -> bool {
        self.0.sign_in_again
    }

    /// `TITLE_COUNTDOWN`: whether a hidden tab's title shows the warning's
    /// countdown.
    pub fn title_countdown(&self) -> bool {
        self.0.title_countdown
    }

    /// `LOGOUT_ON_TABS_CLOSED`: a session none of whose tabs renewed its
    /// presence for this long (at least 2 minutes) ends at its next request
    /// (reason `closed`). The client script renews it with a passive request
    /// about every quarter of it while any tab of the session is open; every
    /// request of the session renews it too. Off unless set.
    pub fn logout_on_tabs_closed(&self) -> Option<Duration> {
        self.0.presence_lease_millis.map(millis_to_duration)
    }

    /// `MAX_SESSIONS_PER_USER`: how many sessions of one user may be signed
    /// in at once (counted among the sessions signed in with a user id);
    /// none unless set. At the limit, [`Config::session_limit_policy`]
    /// decides.
    pub fn max_sessions_per_user(&self) -> Option<u32> {
        self.0.max_sessions_per_user
    }

    /// `SESSION_LIMIT_POLICY`: what a sign-in does when its user already has
    /// `MAX_SESSIONS_PER_USER` sessions.
    pub fn session_limit_policy(&self) -> SessionLimitPolicy {
        self.0.session_limit_policy
    }

    /// `SWEEP_INTERVAL`: the sweeper ends sessions that timed out while
    /// nobody came back, and writes their `logout` audit event, within this
    /// long of their deadline (1 minute unless set).
    pub fn sweep_interval(&self) -> Duration {
        millis_to_duration(self.0.sweep_interval_millis)
    }

    #[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
    pub(crate) fn presence_lease_millis(&self) -> Option<i64> {
        self.0.presence_lease_millis
    }

    pub(crate) fn lock_after_millis(&self) -> Option<i64> {
        self.0.lock_after_millis
    }

    /// `SESSION_TIME`: log out this long after login, activity or not.
    pub fn session_time(&self) -> Option<Duration> {
        self.0.session_millis.map(millis_to_duration)
    }

    pub(crate) fn idle_millis(&self) -> Option<i64> {
        self.0.idle_millis
    }

    pub(crate) fn session_millis(&self) -> Option<i64> {
        self.0.session_millis
    }

    /// `true` when at least one limit is configured, so sessions are tracked.
    pub fn has_limit(&self) -> bool {
        self.0.idle_millis.is_some() || self.0.session_millis.is_some()
    }

    /// `MESSAGE`: the message flashed after an automatic logout, whatever the reason.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// `REDIRECT_TO_LOGIN_IMMEDIATELY`: whether pages get the client script.
    pub fn redirect_to_login_immediately(&self) -> bool {
        self.0.redirect_to_login_immediately
    }

    /// `WARN_BEFORE`: how long before the deadline the client shows a warning.
    pub fn warn_before(&self) -> Option<Duration> {
        self.0.warn_before_millis.map(millis_to_duration)
    }

    /// `LOGIN_URL`: where integrations send expired users themselves. Without
    /// it the request goes on as anonymous and the app's own login guard acts,
    /// as in Django.
    pub fn login_url(&self) -> Option<&str> {
        self.0.login_url.as_deref()
    }

    /// `PASSIVE_PATHS`: path prefixes whose requests never count as activity.
    pub fn passive_paths(&self) -> &[String] {
        &self.0.passive_paths
    }

    /// `WRITE_RESOLUTION`, the effective value: last activity is written only
    /// when it moves forward by at least this much.
    ///
    /// The default is 1 % of `IDLE_TIME` (floored to whole milliseconds, at
    /// least 1 ms), or one second when no idle limit is set. A request that is
    /// not written leaves the stored last activity up to this much behind the
    /// real one, so this is how much earlier than `IDLE_TIME` after the last
    /// request an idle logout can come; it is never allowed above 1 % of
    /// `IDLE_TIME`. It is also the write budget: at most one store write per
    /// session per resolution (one per second at `IDLE_TIME` 100 s, one per 9 s
    /// at 15 minutes, one per 0.6 s at 60 s).
    ///
    /// ```
    /// use auto_logout::Config;
    /// use std::time::Duration;
    ///
    /// let fifteen_minutes = Config::builder().idle_time("15m").build()?;
    /// assert_eq!(fifteen_minutes.write_resolution(), Duration::from_secs(9));
    /// let one_minute = Config::builder().idle_time(60).build()?;
    /// assert_eq!(one_minute.write_resolution(), Duration::from_millis(600));
    /// // Coarser than 1 % of IDLE_TIME would log active users out early: refused.
    /// assert!(Config::builder().idle_time(60).write_resolution("1s").build().is_err());
    /// # Ok::<(), auto_logout::ConfigError>(())
    /// ```
    pub fn write_resolution(&self) -> Duration {
        millis_to_duration(self.0.write_resolution_millis)
    }

    pub(crate) fn write_resolution_millis(&self) -> i64 {
        self.0.write_resolution_millis
    }

    /// `MAX_IDLE_TIME`: the longest idle limit a session may be given at
    /// login ([`SessionLimits`](crate::SessionLimits)). Defaults to
    /// `IDLE_TIME`, so without it a session's idle limit can only be shorter;
    /// `None` when neither is set (no per-session idle limit is allowed).
    pub fn max_idle_time(&self) -> Option<Duration> {
        self.0.max_idle_millis.map(millis_to_duration)
    }

    /// `MAX_SESSION_TIME`: the longest absolute limit a session may be given
    /// at login. Defaults to `SESSION_TIME`; `None` when neither is set.
    pub fn max_session_time(&self) -> Option<Duration> {
        self.0.max_session_millis.map(millis_to_duration)
    }

    pub(crate) fn max_idle_millis(&self) -> Option<i64> {
        self.0.max_idle_millis
    }

    pub(crate) fn max_session_millis(&self) -> Option<i64> {
        self.0.max_session_millis
    }

    pub(crate) fn warn_before_millis(&self) -> Option<i64> {
        self.0.warn_before_millis
    }

    /// `ENDPOINT_PREFIX`: where an integration serves `status`, `keepalive` and
    /// the script file (default `/auto-logout/`).
    pub fn endpoint_prefix(&self) -> &str {
        &self.0.endpoint_prefix
    }

    /// Where an integration serves the client script:
    /// `<ENDPOINT_PREFIX>auto-logout.<content hash>.js`.
    pub fn script_url(&self) -> &str {
        self.0.endpoints.script()
    }

    /// Where an integration serves the warning's default stylesheet:
    /// `<ENDPOINT_PREFIX>auto-logout.<content hash>.css`. Link it from pages
    /// that show the warning (`<link rel="stylesheet" href="...">`), or style
    /// the dialog's classes yourself.
    pub fn stylesheet_url(&self) -> &str {
        self.0.endpoints.stylesheet()
    }

    /// The `WARN_*` texts of the warning dialog.
    pub fn warning_texts(&self) -> &WarningTexts {
        &self.0.warning
    }

    /// `CLIENT_ACTIVITY`: whether keyboard, pointer, touch and scroll input in
    /// the page counts as activity. The client script turns such input into one
    /// `keepalive` when the idle warning is due (or, with no warning, shortly
    /// before the idle deadline): about one request per idle period, never one
    /// per keystroke. The absolute limit is never extended. Default `false`.
    pub fn client_activity(&self) -> bool {
        self.0.client_activity
    }

    /// `WARN_STYLESHEET`: whether the client script links the warning's default
    /// stylesheet ([`Config::stylesheet_url`]) itself. Default `true` whenever
    /// `WARN_BEFORE` is set; `false` for an app that styles the dialog's
    /// classes itself.
    pub fn warn_stylesheet(&self) -> bool {
        self.0.warn_stylesheet
    }

    /// `ACTIVITY_NEEDS_USER`: whether a request counts as activity only when
    /// the browser says the user made it (`Sec-Fetch-Site: same-origin` or
    /// `none`, or a navigation with `Sec-Fetch-User: ?1`); requests without
    /// `Sec-Fetch-Site` count as before. Default `true`; `false` is Django's
    /// rule, where a page on another site can keep the session alive. The
    /// request engine's `activity_of` applies it.
    pub fn activity_needs_user(&self) -> bool {
        self.0.activity_needs_user
    }

    /// The endpoint URLs under `ENDPOINT_PREFIX`, built once with the configuration.
    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.0.endpoints
    }

    /// The constant part of the script tag's attributes, escaped once.
    pub(crate) fn script_attrs(&self) -> &PreparedAttrs {
        &self.0.script_attrs
    }
}
