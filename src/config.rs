//! Configuration: built in code or read from the Django-style map, validated once.
//!
//! ```
//! use auto_logout::Config;
//!
//! // In code...
//! let config = Config::builder()
//!     .idle_time("10m")
//!     .session_time(3600)
//!     .message("The session has expired. Please login again to continue.")
//!     .redirect_to_login_immediately(true)
//!     .build()?;
//!
//! // ...or from the same map django-auto-logout reads (lower-case keys work too).
//! let same: Config = serde_json::from_str(r#"{
//!     "IDLE_TIME": 600,
//!     "SESSION_TIME": 3600,
//!     "MESSAGE": "The session has expired. Please login again to continue.",
//!     "REDIRECT_TO_LOGIN_IMMEDIATELY": true
//! }"#)?;
//! assert_eq!(config, same);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Like Django, a limit is on when its key is present. Every key and its meaning
//! is listed in the crate's README; [`ConfigError`] says what went wrong.
//!
//! `WRITE_RESOLUTION` defaults to 1 % of `IDLE_TIME` and may not be coarser:
//! that keeps an idle logout within 1 % of `IDLE_TIME` after the user's last
//! request, at the cost of at most one store write per session per 1 % of
//! `IDLE_TIME` (see [`Config::write_resolution`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::ConfigError;
use crate::script;
use crate::time_value::{self, TimeValue};

/// Every key the map may hold, for the unknown-key error.
const ALLOWED_KEYS: &str = "IDLE_TIME, SESSION_TIME, MESSAGE, IDLE_MESSAGE, SESSION_MESSAGE, \
REDIRECT_TO_LOGIN_IMMEDIATELY, WARN_BEFORE, LOGIN_URL, PASSIVE_PATHS, WRITE_RESOLUTION, \
ENDPOINT_PREFIX, WARN_TITLE, WARN_IDLE_TEXT, WARN_SESSION_TEXT, WARN_STAY_LABEL, WARN_CLASS, \
CLIENT_ACTIVITY, WARN_STYLESHEET, ACTIVITY_NEEDS_USER, MAX_IDLE_TIME, MAX_SESSION_TIME";

const EXPECT_TEXT: &str = "a string";
const EXPECT_BOOL: &str = "true or false";
const EXPECT_PATH: &str = "a path on this site starting with a single `/`, like \"/login\" \
(no scheme, host, backslash, `#`, space or control character)";
const EXPECT_PREFIX: &str = "a path that starts and ends with `/`, made of letters, digits, \
`-`, `_`, `.` and `/`, like \"/auto-logout/\"";
const EXPECT_PATHS: &str =
    "a list of path prefixes, each starting with `/`, like [\"/static/\", \"/health\"]";
const EXPECT_CLASS: &str =
    "a CSS class name: a letter, `_` or `-` first, then letters, digits, `_` or `-`";
const EXPECT_AT_LEAST_THE_LIMIT: &str = "a time at least as long as the configured limit \
(IDLE_TIME for MAX_IDLE_TIME, SESSION_TIME for MAX_SESSION_TIME): a maximum below it \
would refuse the configured limit itself";
const EXPECT_CLEAN_PATH: &str = "a path without `.` or `..` segments and without empty segments \
(`//`): browsers rewrite those, so requests would not reach the path configured";

/// The write resolution when no idle limit is set (only the idle limit depends on it).
const WRITE_RESOLUTION_WITHOUT_IDLE_MILLIS: i64 = 1000;

/// The default prefix of the endpoints an integration serves.
pub const DEFAULT_ENDPOINT_PREFIX: &str = "/auto-logout/";

/// The validated configuration. Cheap to clone (one reference count).
///
/// Build it with [`Config::builder`] or deserialize it from the Django-style
/// map ([`Config::from_json`], or any serde format through `Deserialize`).
#[derive(Clone)]
pub struct Config(Arc<Inner>);

#[derive(PartialEq)]
struct Inner {
    idle_millis: Option<i64>,
    session_millis: Option<i64>,
    message: Option<String>,
    idle_message: Option<String>,
    session_message: Option<String>,
    redirect_to_login_immediately: bool,
    warn_before_millis: Option<i64>,
    login_url: Option<String>,
    passive_paths: Vec<String>,
    write_resolution_millis: i64,
    /// `WRITE_RESOLUTION` as given, if it was.
    write_resolution_given_millis: Option<i64>,
    /// `MAX_IDLE_TIME`, defaulting to `IDLE_TIME`.
    max_idle_millis: Option<i64>,
    /// `MAX_SESSION_TIME`, defaulting to `SESSION_TIME`.
    max_session_millis: Option<i64>,
    endpoint_prefix: String,
    warning: WarningTexts,
    client_activity: bool,
    warn_stylesheet: bool,
    activity_needs_user: bool,
    /// `<prefix>auto-logout.<hash>.js` and `.css`, where integrations serve the files.
    script_url: String,
    stylesheet_url: String,
    /// The constant part of the script tag's attributes, escaped once here so
    /// rendering a tag per request only copies it.
    script_attrs: script::PreparedAttrs,
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
            .finish()
    }
}

fn millis_to_duration(millis: i64) -> Duration {
    Duration::from_millis(millis.max(0) as u64)
}

impl Config {
    /// Starts a configuration in code. Nothing is checked until [`ConfigBuilder::build`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the Django-style map from JSON text, e.g. `{"IDLE_TIME": 600}`.
    pub fn from_json(json: &str) -> Result<Config, ConfigError> {
        let value: Value = serde_json::from_str(json).map_err(|e| ConfigError::Syntax {
            reason: e.to_string(),
        })?;
        Config::from_value(value)
    }

    /// Reads the Django-style map from an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Config, ConfigError> {
        ConfigBuilder::from_map(value)?.build()
    }

    /// `IDLE_TIME`: log out after this long without an activity-counting request.
    pub fn idle_time(&self) -> Option<Duration> {
        self.0.idle_millis.map(millis_to_duration)
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

    /// The message to flash after a logout for `reason`: `IDLE_MESSAGE` or
    /// `SESSION_MESSAGE` when set, else `MESSAGE`, else none.
    pub fn message_for(&self, reason: crate::ExpiryReason) -> Option<&str> {
        use crate::ExpiryReason::*;
        let specific = match reason {
            Idle => self.0.idle_message.as_deref(),
            Session => self.0.session_message.as_deref(),
            Invalid => None,
        };
        specific.or(self.0.message.as_deref())
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
        &self.0.script_url
    }

    /// Where an integration serves the warning's default stylesheet:
    /// `<ENDPOINT_PREFIX>auto-logout.<content hash>.css`. Link it from pages
    /// that show the warning (`<link rel="stylesheet" href="...">`), or style
    /// the dialog's classes yourself.
    pub fn stylesheet_url(&self) -> &str {
        &self.0.stylesheet_url
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
    /// rule, where a page on another site can keep the session alive. See
    /// [`Config::activity_of`].
    pub fn activity_needs_user(&self) -> bool {
        self.0.activity_needs_user
    }

    pub(crate) fn script_attrs(&self) -> &script::PreparedAttrs {
        &self.0.script_attrs
    }
}

impl<'de> Deserialize<'de> for Config {
    /// Deserializes the Django-style map from any self-describing serde format
    /// (JSON, TOML, YAML...), with the same validation as the builder.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Config::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// Builds a [`Config`] in code; [`ConfigBuilder::build`] validates everything at once.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    idle_time: Option<TimeValue>,
    session_time: Option<TimeValue>,
    message: Option<String>,
    idle_message: Option<String>,
    session_message: Option<String>,
    redirect_to_login_immediately: bool,
    warn_before: Option<TimeValue>,
    login_url: Option<String>,
    passive_paths: Vec<String>,
    write_resolution: Option<TimeValue>,
    endpoint_prefix: Option<String>,
    warning: WarningTexts,
    client_activity: bool,
    warn_stylesheet: Option<bool>,
    activity_needs_user: Option<bool>,
    max_idle_time: Option<TimeValue>,
    max_session_time: Option<TimeValue>,
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

    /// Reads the Django-style map into a builder (keys in any case).
    fn from_map(value: Value) -> Result<ConfigBuilder, ConfigError> {
        let map = match value {
            Value::Object(map) => map,
            other => {
                return Err(ConfigError::NotAMap {
                    found: kind_of(&other).to_owned(),
                });
            }
        };
        let mut builder = ConfigBuilder::default();
        let mut seen: Vec<&'static str> = Vec::with_capacity(map.len());
        for (key, value) in map {
            let upper = key.to_ascii_uppercase();
            let Some(canonical) = canonical_key(&upper) else {
                return Err(ConfigError::UnknownKey {
                    key,
                    allowed: ALLOWED_KEYS,
                });
            };
            if seen.contains(&canonical) {
                return Err(ConfigError::DuplicateKey { key: canonical });
            }
            seen.push(canonical);
            builder.set(canonical, value)?;
        }
        Ok(builder)
    }

    fn set(&mut self, key: &'static str, value: Value) -> Result<(), ConfigError> {
        match key {
            "IDLE_TIME" => self.idle_time = Some(time_from_json(key, value)?),
            "SESSION_TIME" => self.session_time = Some(time_from_json(key, value)?),
            "WARN_BEFORE" => self.warn_before = Some(time_from_json(key, value)?),
            "WRITE_RESOLUTION" => self.write_resolution = Some(time_from_json(key, value)?),
            "MAX_IDLE_TIME" => self.max_idle_time = Some(time_from_json(key, value)?),
            "MAX_SESSION_TIME" => self.max_session_time = Some(time_from_json(key, value)?),
            "MESSAGE" => self.message = Some(text_from_json(key, value)?),
            "IDLE_MESSAGE" => self.idle_message = Some(text_from_json(key, value)?),
            "SESSION_MESSAGE" => self.session_message = Some(text_from_json(key, value)?),
            "LOGIN_URL" => self.login_url = Some(text_from_json(key, value)?),
            "ENDPOINT_PREFIX" => self.endpoint_prefix = Some(text_from_json(key, value)?),
            "WARN_TITLE" => self.warning.title = Some(text_from_json(key, value)?),
            "WARN_IDLE_TEXT" => self.warning.idle_text = Some(text_from_json(key, value)?),
            "WARN_SESSION_TEXT" => self.warning.session_text = Some(text_from_json(key, value)?),
            "WARN_STAY_LABEL" => self.warning.stay_label = Some(text_from_json(key, value)?),
            "WARN_CLASS" => self.warning.class = Some(text_from_json(key, value)?),
            "REDIRECT_TO_LOGIN_IMMEDIATELY" => match value {
                Value::Bool(on) => self.redirect_to_login_immediately = on,
                other => return Err(invalid(key, &other, EXPECT_BOOL)),
            },
            "CLIENT_ACTIVITY" => match value {
                Value::Bool(on) => self.client_activity = on,
                other => return Err(invalid(key, &other, EXPECT_BOOL)),
            },
            "WARN_STYLESHEET" => match value {
                Value::Bool(on) => self.warn_stylesheet = Some(on),
                other => return Err(invalid(key, &other, EXPECT_BOOL)),
            },
            "ACTIVITY_NEEDS_USER" => match value {
                Value::Bool(on) => self.activity_needs_user = Some(on),
                other => return Err(invalid(key, &other, EXPECT_BOOL)),
            },
            "PASSIVE_PATHS" => match value {
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::String(path) => self.passive_paths.push(path),
                            other => return Err(invalid(key, &other, EXPECT_PATHS)),
                        }
                    }
                }
                other => return Err(invalid(key, &other, EXPECT_PATHS)),
            },
            _ => unreachable!("canonical_key only returns keys handled here"),
        }
        Ok(())
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
        let w = &self.warning;
        for (key, set) in [
            ("WARN_STYLESHEET", self.warn_stylesheet.is_some()),
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
        let script_url =
            crate::engine::endpoint_url(&endpoint_prefix, crate::engine::Endpoint::Script);
        let stylesheet_url =
            crate::engine::endpoint_url(&endpoint_prefix, crate::engine::Endpoint::Stylesheet);
        let warn_stylesheet = warn_before_millis.is_some() && self.warn_stylesheet.unwrap_or(true);
        let script_attrs = script::PreparedAttrs::new(
            crate::decision::Limits {
                idle_millis,
                session_millis,
            },
            warn_before_millis,
            self.login_url.as_deref(),
            &endpoint_prefix,
            &script_url,
            &self.warning,
            script::Extras {
                client_activity: self.client_activity,
                stylesheet_url: warn_stylesheet.then_some(stylesheet_url.as_str()),
            },
        );
        Ok(Config(Arc::new(Inner {
            idle_millis,
            session_millis,
            message: self.message,
            idle_message: self.idle_message,
            session_message: self.session_message,
            redirect_to_login_immediately: self.redirect_to_login_immediately,
            warn_before_millis,
            login_url: self.login_url,
            passive_paths: self.passive_paths,
            write_resolution_millis,
            write_resolution_given_millis,
            max_idle_millis,
            max_session_millis,
            endpoint_prefix,
            warning: self.warning,
            client_activity: self.client_activity,
            warn_stylesheet,
            activity_needs_user: self.activity_needs_user.unwrap_or(true),
            script_url,
            stylesheet_url,
            script_attrs,
        })))
    }
}

fn canonical_key(upper: &str) -> Option<&'static str> {
    ALLOWED_KEYS.split(", ").find(|known| *known == upper)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn invalid(key: &'static str, value: &Value, expected: &'static str) -> ConfigError {
    ConfigError::InvalidValue {
        key,
        value: value.to_string(),
        expected,
    }
}

fn invalid_text(key: &'static str, value: &str, expected: &'static str) -> ConfigError {
    invalid(key, &Value::String(value.to_owned()), expected)
}

/// A time key's JSON value; a refusal names what is wrong with this value.
fn time_from_json(key: &'static str, value: Value) -> Result<TimeValue, ConfigError> {
    let expected = match &value {
        Value::Number(n) => {
            if let Some(seconds) = n.as_i64() {
                return Ok(TimeValue::Seconds(seconds));
            }
            match n.as_f64() {
                _ if n.is_u64() => time_value::EXPECT_AT_MOST_TEN_YEARS,
                Some(f) if f <= 0.0 => time_value::EXPECT_TIME,
                Some(f) if f > time_value::MAX_TIME_MILLIS as f64 / 1000.0 => {
                    time_value::EXPECT_AT_MOST_TEN_YEARS
                }
                _ => time_value::EXPECT_WHOLE_SECONDS,
            }
        }
        Value::String(s) => return Ok(TimeValue::Text(s.clone())),
        Value::Bool(_) => EXPECT_TIME_NOT_BOOL,
        Value::Null => EXPECT_TIME_NOT_NULL,
        Value::Array(_) => EXPECT_TIME_NOT_LIST,
        Value::Object(_) => EXPECT_TIME_NOT_MAP,
    };
    Err(invalid(key, &value, expected))
}

const EXPECT_TIME_NOT_BOOL: &str = "a time, not true or false: whole seconds like 600, \
or a string such as \"10m\" or \"1h 30m\"";
const EXPECT_TIME_NOT_NULL: &str = "a time, not null: whole seconds like 600, or a string \
such as \"10m\" (leave the key out to turn the limit off)";
const EXPECT_TIME_NOT_LIST: &str = "one time, not a list: whole seconds like 600, or a string \
such as \"10m\" or \"1h 30m\"";
const EXPECT_TIME_NOT_MAP: &str = "a time, not a map: whole seconds like 600, or a string \
such as \"10m\" or \"1h 30m\"";

fn text_from_json(key: &'static str, value: Value) -> Result<String, ConfigError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(invalid(key, &other, EXPECT_TEXT)),
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

/// 1 % of `IDLE_TIME`, floored to whole milliseconds, at least 1 ms: the
/// coarsest write resolution that keeps an idle logout within 1 % of
/// `IDLE_TIME` after the user's last activity-counting request.
fn largest_write_resolution_millis(idle_millis: i64) -> i64 {
    (idle_millis / 100).max(1)
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

/// A path on this origin: one leading `/`, never `//` or `/\` (which browsers
/// read as another host), no characters a browser would strip or reinterpret.
pub(crate) fn is_same_origin_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 2048
        && !path
            .chars()
            .any(|c| c == '\\' || c == '#' || c.is_whitespace() || c.is_control())
}

/// No `.` or `..` segment (also percent-encoded, as browsers read them) and no
/// empty segment (`//`) in the path part (before any `?`). The root `/` and a
/// trailing `/` are fine.
pub(crate) fn has_clean_segments(path: &str) -> bool {
    let path = path.split_once('?').map_or(path, |(path, _query)| path);
    !path.contains("//")
        && path.split('/').all(|segment| {
            let segment = segment.to_ascii_lowercase();
            !matches!(
                segment.as_str(),
                "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e"
            )
        })
}

fn is_endpoint_prefix(prefix: &str) -> bool {
    prefix.len() >= 2
        && prefix.len() <= 256
        && prefix.starts_with('/')
        && prefix.ends_with('/')
        && !prefix.starts_with("//")
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

fn is_css_class(class: &str) -> bool {
    let mut bytes = class.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'-')
        && class.len() <= 64
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_paths() {
        for ok in ["/", "/login", "/accounts/login/?a=1&b=2", "/a%20b"] {
            assert!(is_same_origin_path(ok), "{ok}");
        }
        for bad in [
            "",
            "login",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/a b",
            "/a\tb",
            "/a#b",
            "/\u{2028}",
            "javascript:alert(1)",
        ] {
            assert!(!is_same_origin_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn clean_segments() {
        for ok in [
            "/",
            "/login",
            "/static/",
            "/a.b/c..d/",
            "/login?next=/x/../y",
            "/.well-known/",
        ] {
            assert!(has_clean_segments(ok), "{ok:?}");
        }
        for bad in [
            "/x/../login",
            "/./login",
            "/x/..",
            "/x/.",
            "/x/%2e%2E/login",
            "/x/.%2e/",
            "/%2E/",
            "/a//b",
            "/a/b//",
            "//",
        ] {
            assert!(!has_clean_segments(bad), "{bad:?}");
        }
    }

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
}
