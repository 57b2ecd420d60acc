//! [`ConfigBuilder`]: the configuration in code, and [`ConfigBuilder::build`],
//! which checks every key and their combinations once and computes what a
//! request then only reads (the endpoint URLs, the script tag's attributes).

use std::sync::Arc;

use super::endpoints::{DEFAULT_ENDPOINT_PREFIX, Endpoints};
use super::json::invalid_text;
use super::limits::{Limits, largest_write_resolution_millis};
use super::paths::{has_clean_segments, is_css_class, is_endpoint_prefix, is_same_origin_path};
use super::prepared::{Extras, PreparedAttrs};
use super::settings::{Inner, SessionLimitPolicy, millis_to_duration};
use super::{Config, WarningTexts};
use crate::error::ConfigError;
use crate::time_value::TimeValue;

const EXPECT_PATH: &str = "a path on this site starting with a single `/`, like \"/login\" \
(no scheme, host, backslash, `#`, space or control character)";
const EXPECT_PREFIX: &str = "a path that starts and ends with `/`, made of letters, digits, \
`-`, `_`, `.` and `/`, like \"/auto-logout/\"";
pub(super) const EXPECT_PATHS: &str =
    "a list of path prefixes, each starting with `/`, like [\"/static/\", \"/health\"]";
const EXPECT_CLASS: &str =
    "a CSS class name: a letter, `_` or `-` first, then letters, digits, `_` or `-`";
const EXPECT_AT_LEAST_THE_LIMIT: &str = "a time at least as long as the configured limit \
(IDLE_TIME for MAX_IDLE_TIME, SESSION_TIME for MAX_SESSION_TIME): a maximum below it \
would refuse the configured limit itself";
const EXPECT_CLEAN_PATH: &str = "a path without `.` or `..` segments and without empty segments \
(`//`): browsers rewrite those, so requests would not reach the path configured";

/// The shortest `LOGOUT_ON_TABS_CLOSED`: 2 minutes.
const MIN_PRESENCE_LEASE_MILLIS: i64 = 120_000;
const EXPECT_LEASE: &str = "a time of at least 2 minutes, like \"2m\": a hidden tab's timers \
run about once a minute, so a shorter lease would end sessions whose tabs are still open";
const EXPECT_ATTEMPTS: &str = "a whole number from 1 to 100";
/// `UNLOCK_ATTEMPTS` unless set.
const DEFAULT_UNLOCK_ATTEMPTS: u32 = 5;
const EXPECT_BEFORE_IDLE_TIME: &str = "a time shorter than IDLE_TIME: the session locks \
after this much idleness, and IDLE_TIME logs it out later";

const EXPECT_SESSIONS: &str = "a whole number from 1 to 1000";
const EXPECT_POLICY: &str = "\"evict-oldest\" (the oldest sessions end) or \"refuse-new\" (the \
login call fails)";
const EXPECT_SWEEP: &str = "a time from 1 second to 1 hour, like \"1m\"";
/// `SWEEP_INTERVAL` unless set: 1 minute.
const DEFAULT_SWEEP_MILLIS: i64 = 60_000;

/// The write resolution when no idle limit is set (only the idle limit depends on it).
const WRITE_RESOLUTION_WITHOUT_IDLE_MILLIS: i64 = 1000;

/// Builds a [`Config`] in code; [`ConfigBuilder::build`] validates everything at once.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    pub(super) idle_time: Option<TimeValue>,
    pub(super) session_time: Option<TimeValue>,
    pub(super) message: Option<String>,
    pub(super) idle_message: Option<String>,
    pub(super) session_message: Option<String>,
    pub(super) redirect_to_login_immediately: bool,
    pub(super) warn_before: Option<TimeValue>,
    pub(super) login_url: Option<String>,
    pub(super) passive_paths: Vec<String>,
    pub(super) write_resolution: Option<TimeValue>,
    pub(super) endpoint_prefix: Option<String>,
    pub(super) warning: WarningTexts,
    pub(super) client_activity: bool,
    pub(super) warn_stylesheet: Option<bool>,
    pub(super) activity_needs_user: Option<bool>,
    pub(super) max_idle_time: Option<TimeValue>,
    pub(super) max_session_time: Option<TimeValue>,
    pub(super) lock_after: Option<TimeValue>,
    pub(super) unlock_attempts: Option<i64>,
    pub(super) unlock_failed_message: Option<String>,
    pub(super) sign_in_again: bool,
    pub(super) title_countdown: bool,
    pub(super) logout_on_tabs_closed: Option<TimeValue>,
    pub(super) tabs_closed_message: Option<String>,
    pub(super) revoked_message: Option<String>,
    pub(super) replaced_message: Option<String>,
    pub(super) max_sessions_per_user: Option<i64>,
    pub(super) session_limit_policy: Option<String>,
    pub(super) sweep_interval: Option<TimeValue>,
}

impl Config {
    /// Starts a configuration in code. Nothing is checked until [`ConfigBuilder::build`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }
}

impl ConfigBuilder {
    /// `IDLE_TIME`: seconds, a `Duration`, or a string like `"10m"`.
    pub fn idle_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.idle_time = Some(time.into());
        self
    }

    /// `SESSION_TIME`: seconds, a `Duration`, or a string like `"1h 30m"`.
    pub fn session_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.session_time = Some(time.into());
        self
    }

    /// `MESSAGE`: flashed after any automatic logout.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// `IDLE_MESSAGE`: flashed after a logout for inactivity (overrides `MESSAGE`).
    pub fn idle_message(mut self, message: impl Into<String>) -> Self {
        self.idle_message = Some(message.into());
        self
    }

    /// `SESSION_MESSAGE`: flashed when the absolute limit ended the session
    /// (overrides `MESSAGE`).
    pub fn session_message(mut self, message: impl Into<String>) -> Self {
        self.session_message = Some(message.into());
        self
    }

    /// `REDIRECT_TO_LOGIN_IMMEDIATELY`: render the client script into pages.
    pub fn redirect_to_login_immediately(mut self, on: bool) -> Self {
        self.redirect_to_login_immediately = on;
        self
    }

    /// `WARN_BEFORE`: warn this long before the deadline (needs the script).
    pub fn warn_before(mut self, time: impl Into<TimeValue>) -> Self {
        self.warn_before = Some(time.into());
        self
    }

    /// `LOGIN_URL`: a same-origin path such as `/login`.
    pub fn login_url(mut self, path: impl Into<String>) -> Self {
        self.login_url = Some(path.into());
        self
    }

    /// `PASSIVE_PATHS`: adds a path prefix whose requests never count as activity.
    pub fn passive_path(mut self, prefix: impl Into<String>) -> Self {
        self.passive_paths.push(prefix.into());
        self
    }

    /// `WRITE_RESOLUTION`: the smallest step by which last activity is
    /// rewritten. At most 1 % of `IDLE_TIME` (the default); see
    /// [`Config::write_resolution`].
    pub fn write_resolution(mut self, time: impl Into<TimeValue>) -> Self {
        self.write_resolution = Some(time.into());
        self
    }

    /// `ENDPOINT_PREFIX`: where integrations serve their endpoints.
    pub fn endpoint_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.endpoint_prefix = Some(prefix.into());
        self
    }

    /// `WARN_*`: the warning dialog's texts and class name.
    pub fn warning_texts(mut self, texts: WarningTexts) -> Self {
        self.warning = texts;
        self
    }

    /// `CLIENT_ACTIVITY`: input in the page counts as activity (needs the
    /// script and `IDLE_TIME`); see [`Config::client_activity`].
    pub fn client_activity(mut self, on: bool) -> Self {
        self.client_activity = on;
        self
    }

    /// `WARN_STYLESHEET`: `false` when the app styles the warning itself, so
    /// the script links no stylesheet (needs `WARN_BEFORE`); see
    /// [`Config::warn_stylesheet`].
    pub fn warn_stylesheet(mut self, on: bool) -> Self {
        self.warn_stylesheet = Some(on);
        self
    }

    /// `ACTIVITY_NEEDS_USER`: `false` counts requests another site made the
    /// browser send, too (Django's rule); see [`Config::activity_needs_user`].
    pub fn activity_needs_user(mut self, on: bool) -> Self {
        self.activity_needs_user = Some(on);
        self
    }

    /// `MAX_IDLE_TIME`: the longest idle limit a session may be given at
    /// login; at least `IDLE_TIME` (the default). See [`Config::max_idle_time`].
    pub fn max_idle_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.max_idle_time = Some(time.into());
        self
    }

    /// `MAX_SESSION_TIME`: the longest absolute limit a session may be given
    /// at login ("keep me signed in"); at least `SESSION_TIME` (the default).
    /// See [`Config::max_session_time`].
    pub fn max_session_time(mut self, time: impl Into<TimeValue>) -> Self {
        self.max_session_time = Some(time.into());
        self
    }

    /// `LOCK_AFTER`: lock the session after this much idleness, before
    /// `IDLE_TIME` logs it out (off unless set). See [`Config::lock_after`].
    pub fn lock_after(mut self, time: impl Into<TimeValue>) -> Self {
        self.lock_after = Some(time.into());
        self
    }

    /// `UNLOCK_ATTEMPTS`: wrong passwords in a row before the session ends
    /// (1 to 100; 5 unless set). See [`Config::unlock_attempts`].
    pub fn unlock_attempts(mut self, attempts: i64) -> Self {
        self.unlock_attempts = Some(attempts);
        self
    }

    /// `UNLOCK_FAILED_MESSAGE`: the message after a session ended on
    /// `UNLOCK_ATTEMPTS` wrong passwords (else `MESSAGE`).
    pub fn unlock_failed_message(mut self, message: impl Into<String>) -> Self {
        self.unlock_failed_message = Some(message.into());
        self
    }

    /// `SIGN_IN_AGAIN`: the warning before `SESSION_TIME` offers "Sign in
    /// again" (the password, checked by the integration's `on_unlock`
    /// hook), which restarts both clocks. Off unless set; needs
    /// `SESSION_TIME` and `WARN_BEFORE`.
    pub fn sign_in_again(mut self, on: bool) -> Self {
        self.sign_in_again = on;
        self
    }

    /// `TITLE_COUNTDOWN`: while the warning shows in a hidden tab, the tab's
    /// title shows the countdown (the page's own title comes back after).
    /// Off unless set; needs `WARN_BEFORE`.
    pub fn title_countdown(mut self, on: bool) -> Self {
        self.title_countdown = on;
        self
    }

    /// `LOGOUT_ON_TABS_CLOSED`: end a session none of whose tabs has been
    /// open for this long (a presence lease; at least 2 minutes). See
    /// [`Config::logout_on_tabs_closed`].
    pub fn logout_on_tabs_closed(mut self, time: impl Into<TimeValue>) -> Self {
        self.logout_on_tabs_closed = Some(time.into());
        self
    }

    /// `TABS_CLOSED_MESSAGE`: the message after a session ended because its
    /// last tab was closed (else `MESSAGE`).
    pub fn tabs_closed_message(mut self, message: impl Into<String>) -> Self {
        self.tabs_closed_message = Some(message.into());
        self
    }

    /// `REVOKED_MESSAGE`: the message after the application ended the
    /// session from elsewhere (sign out everywhere, a revoked session; else
    /// `MESSAGE`).
    pub fn revoked_message(mut self, message: impl Into<String>) -> Self {
        self.revoked_message = Some(message.into());
        self
    }

    /// `REPLACED_MESSAGE`: the message after a newer sign-in of the same user
    /// took this session's place (`MAX_SESSIONS_PER_USER` with
    /// `evict-oldest`; else `MESSAGE`).
    pub fn replaced_message(mut self, message: impl Into<String>) -> Self {
        self.replaced_message = Some(message.into());
        self
    }

    /// `MAX_SESSIONS_PER_USER`: how many sessions one user may have at once
    /// (1 to 1,000; no limit unless set). What happens at the limit is
    /// [`ConfigBuilder::session_limit_policy`]'s. See
    /// [`Config::max_sessions_per_user`].
    pub fn max_sessions_per_user(mut self, sessions: i64) -> Self {
        self.max_sessions_per_user = Some(sessions);
        self
    }

    /// `SESSION_LIMIT_POLICY`: `"evict-oldest"` (the default: the oldest
    /// sessions end, reason `replaced`) or `"refuse-new"` (the login call
    /// fails). Needs `MAX_SESSIONS_PER_USER`.
    pub fn session_limit_policy(mut self, policy: impl Into<String>) -> Self {
        self.session_limit_policy = Some(policy.into());
        self
    }

    /// `SWEEP_INTERVAL`: how often the sweeper looks for sessions that
    /// timed out with nobody coming back (1 second to 1 hour; 1 minute
    /// unless set). See [`Config::sweep_interval`].
    pub fn sweep_interval(mut self, time: impl Into<TimeValue>) -> Self {
        self.sweep_interval = Some(time.into());
        self
    }

    /// Validates every key and their combinations, once.
    pub fn build(self) -> Result<Config, ConfigError> {
        let idle_millis = time_millis("IDLE_TIME", self.idle_time.as_ref())?;
        let session_millis = time_millis("SESSION_TIME", self.session_time.as_ref())?;
        let warn_before_millis = time_millis("WARN_BEFORE", self.warn_before.as_ref())?;
        let write_resolution_given_millis =
            time_millis("WRITE_RESOLUTION", self.write_resolution.as_ref())?;
        let write_resolution_millis = write_resolution_millis(
            idle_millis,
            self.write_resolution.as_ref(),
            write_resolution_given_millis,
        )?;
        let has_limit = idle_millis.is_some() || session_millis.is_some();
        let lock_after_millis = time_millis("LOCK_AFTER", self.lock_after.as_ref())?;
        if let (Some(lock), Some(given)) = (lock_after_millis, &self.lock_after) {
            match idle_millis {
                None => {
                    return Err(ConfigError::Requires {
                        key: "LOCK_AFTER",
                        needs: "IDLE_TIME to be set (the lock comes before the idle logout)",
                    });
                }
                Some(idle) if lock >= idle => {
                    return Err(ConfigError::InvalidValue {
                        key: "LOCK_AFTER",
                        value: given.to_string(),
                        expected: EXPECT_BEFORE_IDLE_TIME,
                    });
                }
                Some(_) => {}
            }
        }
        let unlock_attempts = match self.unlock_attempts {
            None => DEFAULT_UNLOCK_ATTEMPTS,
            Some(n @ 1..=100) => n as u32,
            Some(n) => {
                return Err(ConfigError::InvalidValue {
                    key: "UNLOCK_ATTEMPTS",
                    value: n.to_string(),
                    expected: EXPECT_ATTEMPTS,
                });
            }
        };
        let presence_lease_millis =
            time_millis("LOGOUT_ON_TABS_CLOSED", self.logout_on_tabs_closed.as_ref())?;
        if let (Some(lease), Some(given)) = (presence_lease_millis, &self.logout_on_tabs_closed) {
            if lease < MIN_PRESENCE_LEASE_MILLIS {
                return Err(ConfigError::InvalidValue {
                    key: "LOGOUT_ON_TABS_CLOSED",
                    value: given.to_string(),
                    expected: EXPECT_LEASE,
                });
            }
            if !has_limit || !self.redirect_to_login_immediately {
                return Err(ConfigError::Requires {
                    key: "LOGOUT_ON_TABS_CLOSED",
                    needs: "IDLE_TIME or SESSION_TIME, and REDIRECT_TO_LOGIN_IMMEDIATELY: true (the client script renews the lease)",
                });
            }
        }
        if self.tabs_closed_message.is_some() && presence_lease_millis.is_none() {
            return Err(ConfigError::Requires {
                key: "TABS_CLOSED_MESSAGE",
                needs: "LOGOUT_ON_TABS_CLOSED to be set",
            });
        }
        let max_sessions_per_user = match self.max_sessions_per_user {
            None => None,
            Some(n @ 1..=1_000) => Some(n as u32),
            Some(n) => {
                return Err(ConfigError::InvalidValue {
                    key: "MAX_SESSIONS_PER_USER",
                    value: n.to_string(),
                    expected: EXPECT_SESSIONS,
                });
            }
        };
        let session_limit_policy = match self.session_limit_policy.as_deref() {
            None => SessionLimitPolicy::EvictOldest,
            Some(text) => match SessionLimitPolicy::from_name(text) {
                Some(policy) => policy,
                None => {
                    return Err(ConfigError::InvalidValue {
                        key: "SESSION_LIMIT_POLICY",
                        value: serde_json::Value::String(text.to_owned()).to_string(),
                        expected: EXPECT_POLICY,
                    });
                }
            },
        };
        if self.session_limit_policy.is_some() && max_sessions_per_user.is_none() {
            return Err(ConfigError::Requires {
                key: "SESSION_LIMIT_POLICY",
                needs: "MAX_SESSIONS_PER_USER to be set",
            });
        }
        let sweep_interval_millis = time_millis("SWEEP_INTERVAL", self.sweep_interval.as_ref())?;
        if let (Some(interval), Some(given)) = (sweep_interval_millis, &self.sweep_interval)
            && !(1_000..=3_600_000).contains(&interval)
        {
            return Err(ConfigError::InvalidValue {
                key: "SWEEP_INTERVAL",
                value: given.to_string(),
                expected: EXPECT_SWEEP,
            });
        }
        let sweep_interval_millis = sweep_interval_millis.unwrap_or(DEFAULT_SWEEP_MILLIS);
        for (key, given) in [
            ("REVOKED_MESSAGE", &self.revoked_message),
            ("REPLACED_MESSAGE", &self.replaced_message),
        ] {
            if given.is_some() && !has_limit {
                return Err(ConfigError::Requires {
                    key,
                    needs: "IDLE_TIME or SESSION_TIME to be set",
                });
            }
        }
        if self.unlock_failed_message.is_some() && !has_limit {
            return Err(ConfigError::Requires {
                key: "UNLOCK_FAILED_MESSAGE",
                needs: "IDLE_TIME or SESSION_TIME to be set",
            });
        }
        const A_LIMIT: &str = "IDLE_TIME or SESSION_TIME to be set";
        let max_idle_millis = maximum_millis(
            "MAX_IDLE_TIME",
            self.max_idle_time.as_ref(),
            idle_millis,
            has_limit,
        )?;
        let max_session_millis = maximum_millis(
            "MAX_SESSION_TIME",
            self.max_session_time.as_ref(),
            session_millis,
            has_limit,
        )?;

        if self.redirect_to_login_immediately && !has_limit {
            return Err(ConfigError::Requires {
                key: "REDIRECT_TO_LOGIN_IMMEDIATELY",
                needs: A_LIMIT,
            });
        }
        if self.message.is_some() && !has_limit {
            return Err(ConfigError::Requires {
                key: "MESSAGE",
                needs: A_LIMIT,
            });
        }
        if self.idle_message.is_some() && idle_millis.is_none() {
            return Err(ConfigError::Requires {
                key: "IDLE_MESSAGE",
                needs: "IDLE_TIME to be set",
            });
        }
        if self.session_message.is_some() && session_millis.is_none() {
            return Err(ConfigError::Requires {
                key: "SESSION_MESSAGE",
                needs: "SESSION_TIME to be set",
            });
        }
        if let Some(warn) = warn_before_millis {
            if !self.redirect_to_login_immediately {
                return Err(ConfigError::Requires {
                    key: "WARN_BEFORE",
                    needs: "REDIRECT_TO_LOGIN_IMMEDIATELY: true (the warning is shown by the client script)",
                });
            }
            for (limit, millis) in [("IDLE_TIME", idle_millis), ("SESSION_TIME", session_millis)] {
                if let Some(millis) = millis.filter(|&m| warn >= m) {
                    return Err(ConfigError::WarnTooLong {
                        warn_before: (warn / 1000) as u64,
                        limit,
                        limit_seconds: (millis / 1000) as u64,
                    });
                }
            }
        }
        if self.client_activity {
            if !self.redirect_to_login_immediately {
                return Err(ConfigError::Requires {
                    key: "CLIENT_ACTIVITY",
                    needs: "REDIRECT_TO_LOGIN_IMMEDIATELY: true (the client script notes the input)",
                });
            }
            if idle_millis.is_none() {
                return Err(ConfigError::Requires {
                    key: "CLIENT_ACTIVITY",
                    needs: "IDLE_TIME to be set (input keeps the idle limit away)",
                });
            }
        }
        if self.sign_in_again && (session_millis.is_none() || warn_before_millis.is_none()) {
            return Err(ConfigError::Requires {
                key: "SIGN_IN_AGAIN",
                needs: "SESSION_TIME and WARN_BEFORE to be set (it is offered in the warning before SESSION_TIME)",
            });
        }
        if self.title_countdown && warn_before_millis.is_none() {
            return Err(ConfigError::Requires {
                key: "TITLE_COUNTDOWN",
                needs: "WARN_BEFORE to be set (the title counts down while the warning shows)",
            });
        }
        if self.warn_stylesheet.is_some()
            && warn_before_millis.is_none()
            && lock_after_millis.is_none()
        {
            return Err(ConfigError::Requires {
                key: "WARN_STYLESHEET",
                needs: "WARN_BEFORE or LOCK_AFTER to be set (it styles the warning and the lock dialog)",
            });
        }
        let w = &self.warning;
        for (key, set) in [
            ("WARN_TITLE", w.title.is_some()),
            ("WARN_IDLE_TEXT", w.idle_text.is_some()),
            ("WARN_SESSION_TEXT", w.session_text.is_some()),
            ("WARN_STAY_LABEL", w.stay_label.is_some()),
            ("WARN_CLASS", w.class.is_some()),
        ] {
            if set && warn_before_millis.is_none() {
                return Err(ConfigError::Requires {
                    key,
                    needs: "WARN_BEFORE to be set",
                });
            }
        }
        if let Some(class) = &w.class
            && !is_css_class(class)
        {
            return Err(invalid_text("WARN_CLASS", class, EXPECT_CLASS));
        }
        if let Some(url) = &self.login_url {
            if !is_same_origin_path(url) {
                return Err(invalid_text("LOGIN_URL", url, EXPECT_PATH));
            }
            if !has_clean_segments(url) {
                return Err(invalid_text("LOGIN_URL", url, EXPECT_CLEAN_PATH));
            }
        }
        for path in &self.passive_paths {
            if !is_same_origin_path(path) {
                return Err(invalid_text("PASSIVE_PATHS", path, EXPECT_PATHS));
            }
            if !has_clean_segments(path) {
                return Err(invalid_text("PASSIVE_PATHS", path, EXPECT_CLEAN_PATH));
            }
        }
        let endpoint_prefix = self
            .endpoint_prefix
            .unwrap_or_else(|| DEFAULT_ENDPOINT_PREFIX.to_owned());
        if !is_endpoint_prefix(&endpoint_prefix) {
            return Err(invalid_text(
                "ENDPOINT_PREFIX",
                &endpoint_prefix,
                EXPECT_PREFIX,
            ));
        }
        if !has_clean_segments(&endpoint_prefix) {
            return Err(invalid_text(
                "ENDPOINT_PREFIX",
                &endpoint_prefix,
                EXPECT_CLEAN_PATH,
            ));
        }
        let endpoints = Endpoints::under(&endpoint_prefix);
        let warn_stylesheet = (warn_before_millis.is_some() || lock_after_millis.is_some())
            && self.warn_stylesheet.unwrap_or(true);
        let script_attrs = PreparedAttrs::new(
            Limits {
                idle_millis,
                session_millis,
            },
            warn_before_millis,
            self.login_url.as_deref(),
            &endpoint_prefix,
            &endpoints,
            &self.warning,
            Extras {
                client_activity: self.client_activity,
                stylesheet_url: warn_stylesheet.then_some(endpoints.stylesheet()),
                lock_after_millis,
                presence_lease_millis,
                sign_in_again: self.sign_in_again,
                title_countdown: self.title_countdown,
            },
        );
        Ok(Config(Arc::new(Inner {
            idle_millis,
            session_millis,
            message: self.message,
            idle_message: self.idle_message,
            session_message: self.session_message,
            unlock_failed_message: self.unlock_failed_message,
            tabs_closed_message: self.tabs_closed_message,
            revoked_message: self.revoked_message,
            replaced_message: self.replaced_message,
            max_sessions_per_user,
            session_limit_policy,
            sweep_interval_millis,
            presence_lease_millis,
            unlock_attempts,
            sign_in_again: self.sign_in_again,
            title_countdown: self.title_countdown,
            redirect_to_login_immediately: self.redirect_to_login_immediately,
            warn_before_millis,
            login_url: self.login_url,
            passive_paths: self.passive_paths,
            write_resolution_millis,
            write_resolution_given_millis,
            max_idle_millis,
            max_session_millis,
            lock_after_millis,
            endpoint_prefix,
            warning: self.warning,
            client_activity: self.client_activity,
            warn_stylesheet,
            activity_needs_user: self.activity_needs_user.unwrap_or(true),
            endpoints,
            script_attrs,
        })))
    }
}

/// The effective write resolution: 1 % of `IDLE_TIME` unless a finer one is
/// given; a coarser one is refused, as it would log active users out early.
fn write_resolution_millis(
    idle_millis: Option<i64>,
    given: Option<&TimeValue>,
    given_millis: Option<i64>,
) -> Result<i64, ConfigError> {
    let Some(idle) = idle_millis else {
        return Ok(given_millis.unwrap_or(WRITE_RESOLUTION_WITHOUT_IDLE_MILLIS));
    };
    let largest = largest_write_resolution_millis(idle);
    match (given, given_millis) {
        (Some(given), Some(millis)) if millis > largest => {
            Err(ConfigError::WriteResolutionTooCoarse {
                value: given.to_string(),
                resolution: millis_to_duration(millis),
                idle_time: millis_to_duration(idle),
                largest: millis_to_duration(largest),
            })
        }
        (_, Some(millis)) => Ok(millis),
        (_, None) => Ok(largest),
    }
}

/// `MAX_IDLE_TIME` or `MAX_SESSION_TIME`: as given (at least the configured
/// `limit`, and only with some limit configured), else the limit itself.
fn maximum_millis(
    key: &'static str,
    given: Option<&TimeValue>,
    limit: Option<i64>,
    has_limit: bool,
) -> Result<Option<i64>, ConfigError> {
    let (Some(given), Some(millis)) = (given, time_millis(key, given)?) else {
        return Ok(limit);
    };
    if !has_limit {
        return Err(ConfigError::Requires {
            key,
            needs: "IDLE_TIME or SESSION_TIME to be set",
        });
    }
    if limit.is_some_and(|limit| millis < limit) {
        return Err(ConfigError::InvalidValue {
            key,
            value: given.to_string(),
            expected: EXPECT_AT_LEAST_THE_LIMIT,
        });
    }
    Ok(Some(millis))
}

fn time_millis(key: &'static str, time: Option<&TimeValue>) -> Result<Option<i64>, ConfigError> {
    time.map(|t| {
        t.to_millis().map_err(|expected| ConfigError::InvalidValue {
            key,
            value: t.to_string(),
            expected,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn maximums_default_to_the_limits_and_are_checked_when_built() {
        let c = Config::builder().idle_time(600).build().unwrap();
        assert_eq!(c.max_idle_time(), Some(Duration::from_secs(600)));
        assert_eq!(c.max_session_time(), None);
        let c = Config::from_json(
            r#"{"IDLE_TIME": 600, "SESSION_TIME": "1h", "max_idle_time": "15m",
                "MAX_SESSION_TIME": "8h"}"#,
        )
        .unwrap();
        assert_eq!(c.max_idle_time(), Some(Duration::from_secs(900)));
        assert_eq!(c.max_session_time(), Some(Duration::from_secs(8 * 3600)));
        let err =
            Config::from_json(r#"{"SESSION_TIME": "1h", "MAX_SESSION_TIME": "30m"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "MAX_SESSION_TIME = \"30m\" is not allowed: expected {EXPECT_AT_LEAST_THE_LIMIT}"
            )
        );
        let err = Config::builder()
            .idle_time(600)
            .max_idle_time(599)
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::InvalidValue {
                key: "MAX_IDLE_TIME",
                value: "599".into(),
                expected: EXPECT_AT_LEAST_THE_LIMIT
            }
        );
        let err = Config::from_json(r#"{"MAX_SESSION_TIME": "8h"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MAX_SESSION_TIME needs IDLE_TIME or SESSION_TIME to be set"
        );
        for bad in [r#"0"#, r#"-5"#, r#"true"#, r#""soon""#] {
            let err = Config::from_json(&format!(r#"{{"IDLE_TIME": 60, "MAX_IDLE_TIME": {bad}}}"#))
                .unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("MAX_IDLE_TIME = {bad} is not allowed")),
                "{err}"
            );
        }
        // A maximum where the configuration has no such limit: allowed.
        let c = Config::builder()
            .idle_time(600)
            .max_session_time("8h")
            .build()
            .unwrap();
        assert_eq!(c.session_time(), None);
        assert_eq!(c.max_session_time(), Some(Duration::from_secs(8 * 3600)));
    }

    #[test]
    fn lock_after_comes_before_the_idle_limit() {
        let c = Config::from_json(r#"{"IDLE_TIME": "15m", "LOCK_AFTER": "5m"}"#).unwrap();
        assert_eq!(c.lock_after(), Some(Duration::from_secs(300)));
        assert_eq!(
            Config::builder()
                .idle_time(900)
                .build()
                .unwrap()
                .lock_after(),
            None
        );
        let err = Config::from_json(r#"{"IDLE_TIME": 600, "LOCK_AFTER": 600}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "LOCK_AFTER = 600 is not allowed: expected a time shorter than IDLE_TIME: the \
             session locks after this much idleness, and IDLE_TIME logs it out later"
        );
        let err = Config::from_json(r#"{"SESSION_TIME": 600, "lock_after": "1m"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "LOCK_AFTER needs IDLE_TIME to be set (the lock comes before the idle logout)"
        );
        let err = Config::from_json(r#"{"IDLE_TIME": 600, "LOCK_AFTER": true}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LOCK_AFTER = true is not allowed"),
            "{err}"
        );
    }
}
