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
//! is listed in the crate's README; [`ConfigError`](crate::ConfigError) says what went wrong.
//!
//! `WRITE_RESOLUTION` defaults to 1 % of `IDLE_TIME` and may not be coarser:
//! that keeps an idle logout within 1 % of `IDLE_TIME` after the user's last
//! request, at the cost of at most one store write per session per 1 % of
//! `IDLE_TIME` (see [`Config::write_resolution`]).
//!
//! Everything [`ConfigBuilder::build`] computes lives here and is read, never
//! recomputed, per request: the limits and their maximums, the write
//! resolution, the endpoint URLs ([`Endpoints`]), the message for each
//! [`ExpiryReason`], and the script tag's attributes, escaped once. This
//! module needs nothing above it in the crate: the decision, the request
//! engine, the template context and the framework integrations build on it.

mod builder;
mod endpoints;
mod json;
mod limits;
mod paths;
pub(crate) mod prepared;
mod reasons;
mod settings;

pub use builder::ConfigBuilder;
pub use endpoints::{DEFAULT_ENDPOINT_PREFIX, Endpoint, Endpoints, endpoint_url};
pub(crate) use limits::Limits;
pub(crate) use paths::{has_clean_segments, is_same_origin_path};
pub use reasons::ExpiryReason;
pub use settings::{Config, SessionLimitPolicy, WarningTexts};
