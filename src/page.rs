//! [`PageContext`]: what a framework integration hands a page handler — the
//! configuration and this request's outcome — and the template context made
//! from them. Both integrations' `AutoLogoutContext` extractors are this type.
//!
//! ```
//! use auto_logout::PageContext;
//! use auto_logout::{Config, ExpiryReason, Remaining, RequestOutcome};
//!
//! let config = Config::builder()
//!     .idle_time(600)
//!     .message("The session has expired.")
//!     .login_url("/login")
//!     .build()?;
//! let active = RequestOutcome::Active { remaining: Remaining::new(Some(599_400), None), write: None };
//! let ctx = PageContext::new(config.clone(), active, false);
//! assert!(ctx.is_active());
//! assert_eq!(ctx.context().seconds_until_idle_end(), 600);
//!
//! // An expired request for the login page: the page shows the message itself.
//! let expired = PageContext::new(config, RequestOutcome::Expired(ExpiryReason::Idle), true);
//! assert_eq!(expired.expired(), Some(ExpiryReason::Idle));
//! assert_eq!(expired.expiry_message(), Some("The session has expired."));
//! assert_eq!(expired.context().seconds_until_idle_end(), 0);
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```

use crate::config::Config;
use crate::context::TemplateContext;
use crate::decision::{ExpiryReason, Remaining, RequestOutcome};
use crate::script::Nonce;

/// This request's template context — the remaining time and the script tag —
/// for any of the template integrations, with the request's outcome.
///
/// For anonymous visitors and sessions that just expired it gives the
/// anonymous context (zeros, no script). Serializes (serde) as
/// [`PageContext::context`] does.
#[derive(Clone, Debug)]
pub struct PageContext {
    config: Config,
    outcome: RequestOutcome,
    /// The expiry message was not flashed: this page shows it
    /// ([`crate::engine::page_shows_expiry_message`]).
    shows_message: bool,
}

impl PageContext {
    /// The context of a request decided as `outcome`. `shows_message` is
    /// [`engine::page_shows_expiry_message`](crate::engine::page_shows_expiry_message)
    /// for the request: `true` when an expiry's message was not flashed
    /// because this page shows it.
    pub fn new(config: Config, outcome: RequestOutcome, shows_message: bool) -> PageContext {
        PageContext {
            config,
            outcome,
            shows_message,
        }
    }

    /// The context with the inline script, which asks the `status` endpoint
    /// before leaving and offers "Stay signed in" through `keepalive`.
    pub fn context(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).with_endpoints()
    }

    /// The context with the script as `<script src=...>`, served by the
    /// integration (for `Content-Security-Policy: script-src 'self'`).
    pub fn external(&self) -> TemplateContext<'_> {
        self.config.context_for(&self.outcome).external()
    }

    /// The inline context with a CSP nonce on the tag.
    pub fn with_nonce<'a>(&'a self, nonce: Nonce<'a>) -> TemplateContext<'a> {
        self.context().with_nonce(nonce)
    }

    /// `true` when the session is logged in and active.
    pub fn is_active(&self) -> bool {
        matches!(self.outcome, RequestOutcome::Active { .. })
    }

    /// Why the session was logged out by this very request, if it was.
    pub fn expired(&self) -> Option<ExpiryReason> {
        match self.outcome {
            RequestOutcome::Expired(reason) => Some(reason),
            _ => None,
        }
    }

    /// The message of an expiry that this page shows itself, because it was
    /// not flashed: a session that expired on its request for the login page
    /// (`LOGIN_URL` set). Every other expiry's message is flashed, and this is
    /// `None`, so a page that shows its flash messages and this one shows the
    /// message exactly once.
    pub fn expiry_message(&self) -> Option<&str> {
        if !self.shows_message {
            return None;
        }
        self.config.message_for(self.expired()?)
    }

    /// The time left, when active.
    pub fn remaining(&self) -> Option<Remaining> {
        match self.outcome {
            RequestOutcome::Active { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl serde::Serialize for PageContext {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.context().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::builder()
            .idle_time(600)
            .message("expired")
            .build()
            .unwrap()
    }

    #[test]
    fn only_an_unflashed_expiry_is_shown_by_the_page() {
        let expired = RequestOutcome::Expired(ExpiryReason::Idle);
        assert_eq!(
            PageContext::new(config(), expired, true).expiry_message(),
            Some("expired")
        );
        assert_eq!(
            PageContext::new(config(), expired, false).expiry_message(),
            None
        );
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1_000), None),
            write: None,
        };
        let ctx = PageContext::new(config(), active, true);
        assert_eq!(ctx.expiry_message(), None);
        assert_eq!(ctx.expired(), None);
        assert_eq!(ctx.remaining(), Some(Remaining::new(Some(1_000), None)));
        assert!(
            PageContext::new(config(), RequestOutcome::Untracked, false)
                .remaining()
                .is_none()
        );
    }

    #[test]
    fn serializes_as_its_template_context() {
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1_000), None),
            write: None,
        };
        let ctx = PageContext::new(config(), active, false);
        assert_eq!(
            serde_json::to_value(&ctx).unwrap(),
            serde_json::to_value(ctx.context()).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&ctx).unwrap()["seconds_until_idle_end"],
            1
        );
    }
}
