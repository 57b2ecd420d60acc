//! The request engine: every rule of the framework integrations that does not
//! depend on a framework, as plain data and functions. An integration reads
//! its request into these terms (a method, a path, a header lookup) and turns
//! a [`Reply`] into its own response in a few lines.
//!
//! ```
//! use auto_logout::{Config, ExpiryReason};
//! use auto_logout::engine::{Endpoint, Endpoints, Reply, Route, expired_reply, route};
//!
//! let config = Config::builder().idle_time(600).login_url("/login").build()?;
//! let endpoints = Endpoints::new(&config);
//! let no_headers = |_: &str| None;
//!
//! // Before the session is read: the crate's own files and the method rules.
//! match route(&endpoints, "GET", endpoints.script(), no_headers) {
//!     Route::Reply(reply) => assert_eq!(reply.status, 200),
//!     Route::Continue(_) => unreachable!(),
//! }
//! assert!(matches!(
//!     route(&endpoints, "GET", "/auto-logout/status", no_headers),
//!     Route::Continue(Some(Endpoint::Status))
//! ));
//! assert!(matches!(route(&endpoints, "GET", "/orders", no_headers), Route::Continue(None)));
//!
//! // An expired page navigation: 303 to the login page, never cached.
//! let reply = expired_reply(&config, ExpiryReason::Idle, "/orders", "/orders", no_headers)
//!     .expect("LOGIN_URL is set");
//! assert_eq!(reply.status, 303);
//! assert_eq!(reply.header("location"), Some("/login?next=%2Forders"));
//! assert_eq!(reply.header("cache-control"), Some("no-store"));
//! // The login page itself goes on, so it can show the message.
//! assert!(expired_reply(&config, ExpiryReason::Idle, "/login", "/login", no_headers).is_none());
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! Header names in a [`Reply`] are lower case, as HTTP/2 writes them. The
//! static files and the fixed answers borrow everything they hold, so
//! answering them allocates nothing.

mod activity;
mod expired;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) mod flow;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) mod headers;
mod hook;
mod locked;
mod login;
mod mistake;
mod presence;
mod recent;
mod reply;
mod route;
pub mod save_rule;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "axum", feature = "actix"))]
mod unlock;

pub use activity::*;
pub use expired::*;
pub use hook::*;
pub use locked::*;
pub use login::*;
pub use mistake::*;
pub use presence::*;
pub use recent::*;
pub use reply::*;
pub use route::*;
#[cfg(any(feature = "axum", feature = "actix"))]
pub use unlock::*;

/// The framework integration that found a [`Mistake`]: the fix names its types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// axum / tower: `AutoLogoutLayer`, `SessionManagerLayer`, `MessagesManagerLayer`.
    Axum,
    /// actix-web: `AutoLogoutMiddleware`, `SessionMiddleware`, `FlashMessagesFramework`.
    Actix,
}
