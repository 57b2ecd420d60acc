//! Log web users out automatically: after an idle time, after an absolute time
//! since login, with a message that says why, and with a client script that
//! takes the browser to the login page the moment time runs out.
//!
//! # Pick your stack
//!
//! | you use | start at | feature |
//! |---|---|---|
//! | axum 0.8 with tower-sessions 0.14 (and axum-login 0.18) | [`axum`]: `AutoLogoutLayer` | `axum` (`axum-login`) |
//! | actix-web 4 with actix-session 0.11 (and actix-identity 0.9) | [`actix`]: `AutoLogoutMiddleware` | `actix` (`actix-identity`) |
//! | Tera 2, Tera 1, MiniJinja 3 or Askama 0.16 for the pages | [`tera`], [`tera1`], [`minijinja`], [`askama`] | `tera`, `tera1`, `minijinja`, `askama` |
//! | several instances over Redis (standalone or Cluster) | [`redis`]: `RedisStore` | `redis` |
//! | another framework | [`engine`]: the request flow's rules, framework-neutral | — |
//!
//! The README has a quick start per framework and engine, and the repository's
//! `examples/` are complete apps to start from.
//!
//! # The core
//!
//! The Rust answer to Django's *django-auto-logout*, reading the same settings:
//!
//! ```
//! use auto_logout::{Activity, Config, RequestOutcome, Stamps, SystemClock, Clock};
//!
//! let config = Config::from_json(r#"{"IDLE_TIME": 600, "SESSION_TIME": 3600,
//!     "MESSAGE": "The session has expired. Please login again to continue.",
//!     "REDIRECT_TO_LOGIN_IMMEDIATELY": true}"#)?;
//!
//! // At login, store the stamps in the session (integrations do this for you).
//! let now = SystemClock.now();
//! let stored = Stamps::at_login(now).encode();
//!
//! // On each request: one call decides, and says whether to write the session.
//! let outcome = config.check_request(Some(&stored), now, Activity::Counts);
//! assert!(matches!(outcome, RequestOutcome::Active { .. }));
//!
//! // The template values, as Django's context processor gives them.
//! let ctx = config.context_for(&outcome);
//! assert_eq!(ctx.seconds_until_idle_end(), 600);
//! assert!(ctx.redirect_to_login_immediately().to_string().starts_with("<script"));
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! This crate is a pure core: configuration ([`Config`]), the clock
//! ([`Clock`]), the per-session [`Stamps`], the decision
//! ([`Config::check_request`]), the [`TemplateContext`] and the [`ScriptTag`].
//! It knows no web framework and no template engine; each integration is a
//! thin module behind its own feature flag.
//!
//! # Features
//!
//! None is on by default. The modules below exist only with their feature:
//!
//! | feature | module | what it adds |
//! |---|---|---|
//! | `tera` | `tera` | Tera 2: defaults, `auto_logout_script()`, `insert` per request |
//! | `tera1` | `tera1` | Tera 1.20: `insert` per request (the tag needs `\| safe`) |
//! | `minijinja` | `minijinja` | MiniJinja 3: defaults, `auto_logout_script()`, `values` per request |
//! | `askama` | `askama` | Askama 0.16: a trait that gives a page the three values |
//! | `axum` | `axum` | a tower layer for axum 0.8 over tower-sessions 0.14, flash messages through axum-messages 0.8 |
//! | `axum-login` | `axum` | with axum-login 0.18, a login starts the clocks by itself |
//! | `actix` | `actix` | an actix-web 4 middleware over actix-session 0.11, flash messages through actix-web-flash-messages 0.5 |
//! | `actix-identity` | `actix` | with actix-identity 0.9, `Identity::login` starts the clocks by itself |
//! | `redis` | `redis` | the crate's own Redis session store (standalone or Cluster, over fred 10): a logout is final on every instance; for tower-sessions with `axum`, for actix-session with `actix` (with neither, it adds nothing) |
//! | `tracing` | — | audit events (target `auto_logout`): each automatic logout at info, refused keepalives, refused stamps and store failures at warn; see the README's "Audit events" |
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod assets;
mod audit;
mod clock;
mod config;
mod context;
mod decision;
pub mod engine;
mod error;
mod limits;
mod page;
mod script;
#[cfg(any(feature = "axum", feature = "actix"))]
mod sessions;
mod stamps;
#[cfg(any(feature = "axum", feature = "actix"))]
mod store_lock;
mod time_value;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;
#[cfg(feature = "askama")]
#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
pub mod askama;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "minijinja")]
#[cfg_attr(docsrs, doc(cfg(feature = "minijinja")))]
pub mod minijinja;
// The store serves a session layer: with `axum` (tower-sessions) or `actix` (actix-session).
#[cfg(all(feature = "redis", any(feature = "axum", feature = "actix")))]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
#[cfg(feature = "tera")]
#[cfg_attr(docsrs, doc(cfg(feature = "tera")))]
pub mod tera;
#[cfg(feature = "tera1")]
#[cfg_attr(docsrs, doc(cfg(feature = "tera1")))]
pub mod tera1;

#[doc(hidden)]
pub use audit::{clocks_never_started_calls, clocks_never_started_fired};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use config::ExpiryReason;
pub use config::{Config, ConfigBuilder, SessionLimitPolicy, WarningTexts};
pub use context::TemplateContext;
pub use decision::{Activity, Decision, FUTURE_TOLERANCE_MILLIS, Remaining, RequestOutcome};
pub use error::ConfigError;
pub use limits::{LimitError, LoginError, SessionLimits};
pub use page::PageContext;
pub use script::{Nonce, NonceError, PageTexts, ScriptTag};
#[cfg(any(feature = "axum", feature = "actix"))]
pub use sessions::{SessionIndexError, SignIn, UserSession, describe_user_agent};
pub use stamps::{StampError, Stamps};
#[cfg(any(feature = "axum", feature = "actix"))]
pub use store_lock::{GuardedStore, StoreLink};
pub use time_value::TimeValue;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
