//! Reading the Django-style map (JSON, or any self-describing serde format)
//! into a [`ConfigBuilder`]: keys in any case, each value's type checked and
//! named in the error.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::builder::EXPECT_PATHS;
use super::{Config, ConfigBuilder};
use crate::error::ConfigError;
use crate::time_value::{self, TimeValue};

/// Every key the map may hold, for the unknown-key error.
const ALLOWED_KEYS: &str = "IDLE_TIME, SESSION_TIME, MESSAGE, IDLE_MESSAGE, SESSION_MESSAGE, \
REDIRECT_TO_LOGIN_IMMEDIATELY, WARN_BEFORE, LOGIN_URL, PASSIVE_PATHS, WRITE_RESOLUTION, \
ENDPOINT_PREFIX, WARN_TITLE, WARN_IDLE_TEXT, WARN_SESSION_TEXT, WARN_STAY_LABEL, WARN_CLASS, \
CLIENT_ACTIVITY, WARN_STYLESHEET, ACTIVITY_NEEDS_USER, MAX_IDLE_TIME, MAX_SESSION_TIME, LOCK_AFTER, UNLOCK_ATTEMPTS, UNLOCK_FAILED_MESSAGE, SIGN_IN_AGAIN, TITLE_COUNTDOWN, LOGOUT_ON_TABS_CLOSED, TABS_CLOSED_MESSAGE, REVOKED_MESSAGE, REPLACED_MESSAGE, \
MAX_SESSIONS_PER_USER, SESSION_LIMIT_POLICY, SWEEP_INTERVAL";

const EXPECT_TEXT: &str = "a string";
const EXPECT_BOOL: &str = "true or false";

impl Config {
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
}

impl<'de> Deserialize<'de> for Config {
    /// Deserializes the Django-style map from any self-describing serde format
    /// (JSON, TOML, YAML...), with the same validation as the builder.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Config::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl ConfigBuilder {
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
            "LOCK_AFTER" => self.lock_after = Some(time_from_json(key, value)?),
            "LOGOUT_ON_TABS_CLOSED" => {
                self.logout_on_tabs_closed = Some(time_from_json(key, value)?)
            }
            "TABS_CLOSED_MESSAGE" => self.tabs_closed_message = Some(text_from_json(key, value)?),
            "REVOKED_MESSAGE" => self.revoked_message = Some(text_from_json(key, value)?),
            "REPLACED_MESSAGE" => self.replaced_message = Some(text_from_json(key, value)?),
            "SESSION_LIMIT_POLICY" => self.session_limit_policy = Some(text_from_json(key, value)?),
            "SWEEP_INTERVAL" => self.sweep_interval = Some(time_from_json(key, value)?),
            "MAX_SESSIONS_PER_USER" => match value.as_i64() {
                Some(sessions) => self.max_sessions_per_user = Some(sessions),
                None => return Err(invalid(key, &value, "a whole number from 1 to 1000")),
            },
            "UNLOCK_FAILED_MESSAGE" => {
                self.unlock_failed_message = Some(text_from_json(key, value)?)
            }
            "UNLOCK_ATTEMPTS" => match value.as_i64() {
                Some(attempts) => self.unlock_attempts = Some(attempts),
                None => return Err(invalid(key, &value, "a whole number from 1 to 100")),
            },
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
            "SIGN_IN_AGAIN" => match value {
                Value::Bool(on) => self.sign_in_again = on,
                other => return Err(invalid(key, &other, EXPECT_BOOL)),
            },
            "TITLE_COUNTDOWN" => match value {
                Value::Bool(on) => self.title_countdown = on,
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

pub(super) fn invalid_text(key: &'static str, value: &str, expected: &'static str) -> ConfigError {
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
