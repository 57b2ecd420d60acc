//! The one error type of configuration: what key, what value, what is allowed.

/// Why a configuration was refused.
///
/// Configuration is validated once, when it is built or deserialized, never per
/// request. Every message names the key, the value that was given and what is
/// allowed, so it can be shown to whoever edits the settings file as is:
///
/// ```
/// let err = auto_logout::Config::from_json(r#"{"IDLE_TIME": -5}"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "IDLE_TIME = -5 is not allowed: expected a time greater than zero \
///      (whole seconds like 600, or a duration like \"10m\" or \"1h 30m\")"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration was not a map of keys to values.
    #[error("the auto-logout configuration must be a map of keys to values, got {found}")]
    NotAMap {
        /// What was found instead (e.g. `a list`).
        found: String,
    },
    /// The input was not well-formed JSON.
    #[error("the auto-logout configuration is not valid JSON: {reason}")]
    Syntax {
        /// The parser's message, with line and column.
        reason: String,
    },
    /// A key this crate does not know; typos are refused rather than ignored.
    #[error("unknown key `{key}`: allowed keys are {allowed} (upper or lower case)")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The list of known keys.
        allowed: &'static str,
    },
    /// The same key given twice, for example as `IDLE_TIME` and `idle_time`.
    #[error("key `{key}` is given twice (keys are case-insensitive)")]
    DuplicateKey {
        /// The key, upper case.
        key: &'static str,
    },
    /// A key has a value of the wrong kind or out of range.
    #[error("{key} = {value} is not allowed: expected {expected}")]
    InvalidValue {
        /// The key, upper case.
        key: &'static str,
        /// The value as given, rendered as JSON.
        value: String,
        /// What is allowed for this key.
        expected: &'static str,
    },
    /// A key that only makes sense together with another one.
    #[error("{key} needs {needs}")]
    Requires {
        /// The key that was set.
        key: &'static str,
        /// What else must be set for it to work.
        needs: &'static str,
    },
    /// `WRITE_RESOLUTION` is coarser than 1 % of `IDLE_TIME`. A request that
    /// moves last activity by less than the resolution is not written, so the
    /// next decision measures idle time from an older stamp: a coarser
    /// resolution would log active users out that much before `IDLE_TIME`
    /// has passed since their last request.
    #[error(
        "WRITE_RESOLUTION = {value} is not allowed with IDLE_TIME = {}: the largest allowed \
         value is {} (1 % of IDLE_TIME), because a resolution of {} would log active users \
         out up to {} before IDLE_TIME has passed since their last request",
        humantime::format_duration(*idle_time),
        humantime::format_duration(*largest),
        humantime::format_duration(*resolution),
        humantime::format_duration(*resolution)
    )]
    WriteResolutionTooCoarse {
        /// The value as given (JSON number, or the string in quotes).
        value: String,
        /// The value given, as a duration.
        resolution: std::time::Duration,
        /// The configured `IDLE_TIME`.
        idle_time: std::time::Duration,
        /// The largest resolution allowed with this `IDLE_TIME`: 1 % of it,
        /// floored to whole milliseconds, at least 1 ms.
        largest: std::time::Duration,
    },
    /// The warning would start before the shortest limit could even begin.
    #[error("WARN_BEFORE = {warn_before}s must be shorter than {limit} = {limit_seconds}s")]
    WarnTooLong {
        /// WARN_BEFORE in seconds.
        warn_before: u64,
        /// The limit it collides with (`IDLE_TIME` or `SESSION_TIME`).
        limit: &'static str,
        /// That limit in seconds.
        limit_seconds: u64,
    },
}
