//! The template context: the three values Django's context processor provides.
//!
//! ```
//! use auto_logout::{Config, Remaining, TemplateContext};
//!
//! let config = Config::builder().idle_time(600).session_time(3600).build()?;
//! let ctx = config.context(Remaining::new(Some(599_400), Some(3_000_000)));
//! assert_eq!(ctx.seconds_until_idle_end(), 600); // whole seconds, rounded up
//! assert_eq!(ctx.seconds_until_session_end(), 3000);
//! assert_eq!(ctx.redirect_to_login_immediately().to_string(), ""); // option off
//!
//! // Anonymous visitors get zeros and no script: `var idleEnd = 0;` is still valid JS.
//! let anon = TemplateContext::anonymous();
//! assert_eq!(anon.seconds_until_idle_end(), 0);
//! assert_eq!(
//!     serde_json::to_string(&anon)?,
//!     r#"{"seconds_until_idle_end":0,"seconds_until_session_end":0,"redirect_to_login_immediately":""}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The numbers are whole, non-negative integers in every case (unconfigured
//! limit: 0), so `var idleEnd = {{ seconds_until_idle_end }};` is valid
//! JavaScript whatever happens — where Django writes `var idleEnd = ;` for
//! anonymous users and `599,99` under comma locales.

use crate::config::Config;
use crate::decision::{Remaining, RequestOutcome};
use crate::script::{Nonce, PageTexts, ScriptTag};

/// The values a page template uses: `seconds_until_idle_end`,
/// `seconds_until_session_end` and `redirect_to_login_immediately`.
///
/// Small and `Copy`; it borrows the [`Config`]. Serializes (serde) as a map of
/// those three names, the script tag as a string.
#[derive(Clone, Copy, Debug)]
pub struct TemplateContext<'a> {
    /// The tag holds the remaining time too (also when it renders nothing),
    /// so the context is the tag alone: small to copy.
    script: ScriptTag<'a>,
}

impl TemplateContext<'static> {
    /// The context for a visitor who is not logged in: zeros, no script.
    pub const fn anonymous() -> Self {
        TemplateContext {
            script: ScriptTag::EMPTY,
        }
    }
}

impl<'a> TemplateContext<'a> {
    /// Seconds until the idle limit ends, rounded up; 0 when not configured or anonymous.
    pub fn seconds_until_idle_end(&self) -> u64 {
        self.script.remaining().seconds_until_idle_end()
    }

    /// Seconds until the absolute limit ends, rounded up; 0 when not configured or anonymous.
    pub fn seconds_until_session_end(&self) -> u64 {
        self.script.remaining().seconds_until_session_end()
    }

    /// The client script tag, empty when anonymous or when
    /// `REDIRECT_TO_LOGIN_IMMEDIATELY` is off.
    pub fn redirect_to_login_immediately(&self) -> ScriptTag<'a> {
        self.script
    }

    /// The remaining time this context was made from.
    pub fn remaining(&self) -> Remaining {
        self.script.remaining()
    }

    /// Tells the script that an integration serves the `status` and
    /// `keepalive` endpoints, so it asks the server before leaving the page
    /// and can offer "Stay signed in". Framework integrations call this.
    pub fn with_endpoints(mut self) -> Self {
        self.script = self.script.with_endpoints();
        self
    }

    /// Renders the script as `<script src=...>` pointing at the file an
    /// integration serves, for `Content-Security-Policy: script-src 'self'`.
    /// Implies [`TemplateContext::with_endpoints`].
    pub fn external(mut self) -> Self {
        self.script = self.script.external();
        self
    }

    /// Adds a CSP nonce to the script tag (inline or external).
    pub fn with_nonce(mut self, nonce: Nonce<'a>) -> Self {
        self.script = self.script.with_nonce(nonce);
        self
    }

    /// Uses this page's warning texts (its language, say) in place of the
    /// configured `WARN_*` texts; a `None` field keeps the configured one.
    /// Escaped exactly like the configured texts; [`PageTexts::default`]
    /// changes nothing and allocates nothing.
    ///
    /// ```
    /// use auto_logout::PageTexts;
    /// use auto_logout::{Config, Remaining};
    ///
    /// let config = Config::builder()
    ///     .idle_time(600)
    ///     .redirect_to_login_immediately(true)
    ///     .warn_before(60)
    ///     .build()?;
    /// let ctx = config.context(Remaining::new(Some(600_000), None));
    /// let french = ctx.with_texts(PageTexts {
    ///     idle_text: Some("Vous serez déconnecté faute d'activité."),
    ///     ..PageTexts::default()
    /// });
    /// let tag = french.redirect_to_login_immediately().to_string();
    /// assert!(tag.contains(r#" data-warn-idle-text="Vous serez déconnecté faute d&#39;activité.""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_texts(mut self, texts: PageTexts<'a>) -> Self {
        self.script = self.script.with_texts(texts);
        self
    }

    /// `true` for the context of [`Config::signed_out_context`].
    pub fn is_signed_out(&self) -> bool {
        self.script.is_signed_out()
    }
}

impl Config {
    /// `LOCK_AFTER`: the whole seconds until a session with `remaining`
    /// time locks (0 once it is locked), rounded down so a page never
    /// promises more; `None` without `LOCK_AFTER` or an idle limit. Not among
    /// the values the template integrations add (they add no cost to apps
    /// without a lock): pass it yourself, e.g. `seconds_until_lock =>
    /// config.seconds_until_lock(values.remaining())`.
    ///
    /// ```
    /// use auto_logout::{Config, Remaining};
    ///
    /// let config = Config::builder().idle_time(900).lock_after(300).build()?;
    /// // 100 s after the last activity: 200 s until the lock.
    /// assert_eq!(config.seconds_until_lock(Remaining::new(Some(800_000), None)), Some(200));
    /// assert_eq!(config.seconds_until_lock(Remaining::new(Some(500_000), None)), Some(0));
    /// let no_lock = Config::builder().idle_time(900).build()?;
    /// assert_eq!(no_lock.seconds_until_lock(Remaining::new(Some(800_000), None)), None);
    /// # Ok::<(), auto_logout::ConfigError>(())
    /// ```
    pub fn seconds_until_lock(&self, remaining: Remaining) -> Option<u64> {
        let lock_after = self.lock_after_millis()?;
        let idle_limit = remaining.idle_limit_millis(self)?;
        let idle_left = remaining.idle_millis()?;
        let until_lock = idle_left.saturating_sub(idle_limit.saturating_sub(lock_after));
        Some((until_lock.max(0) / 1000) as u64)
    }

    /// The context for a logged-in user with this much time left.
    pub fn context(&self, remaining: Remaining) -> TemplateContext<'_> {
        if !self.has_limit() {
            return TemplateContext::anonymous();
        }
        TemplateContext {
            script: ScriptTag::new(self, remaining),
        }
    }

    /// The context for the page shown right after an explicit sign-out
    /// (typically the login page the logout handler redirects to): the numbers
    /// of an anonymous visitor, and as `redirect_to_login_immediately` the
    /// [`Config::signed_out_script`] tag, which makes every other tab of this
    /// login leave for the login page within a second. Same template, no new
    /// variable: render `{{ redirect_to_login_immediately }}` on the login page
    /// and use this context when the request follows a sign-out (for example
    /// `/login?signed_out=1`, which the logout handler redirects to).
    ///
    /// A forged signal is harmless: a tab that hears it asks the `status`
    /// endpoint and leaves only when the server says the session is over.
    ///
    /// ```
    /// use auto_logout::Config;
    ///
    /// let config = Config::builder()
    ///     .idle_time(600)
    ///     .redirect_to_login_immediately(true)
    ///     .build()?;
    /// let ctx = config.signed_out_context().external();
    /// assert_eq!(ctx.seconds_until_idle_end(), 0);
    /// let tag = ctx.redirect_to_login_immediately().to_string();
    /// assert!(tag.starts_with("<script data-auto-logout data-signed-out data-scope="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn signed_out_context(&self) -> TemplateContext<'_> {
        TemplateContext {
            script: self.signed_out_script(),
        }
    }

    /// The tag for the page shown right after an explicit sign-out (typically the
    /// login page): the script tells the user's other tabs of this app, which then
    /// leave for the login page within a second (after the `status` endpoint
    /// confirms it, where there is one). Empty when `REDIRECT_TO_LOGIN_IMMEDIATELY`
    /// is off. Render it once, on the response to the sign-out's redirect, not on
    /// every anonymous page.
    pub fn signed_out_script(&self) -> ScriptTag<'_> {
        ScriptTag::signed_out(self)
    }

    /// The context after [`Config::check_request`]: the user's remaining time
    /// when active, the anonymous context otherwise.
    pub fn context_for(&self, outcome: &RequestOutcome) -> TemplateContext<'_> {
        match outcome {
            RequestOutcome::Active { remaining, .. } | RequestOutcome::Locked { remaining } => {
                self.context(*remaining)
            }
            RequestOutcome::Untracked | RequestOutcome::Expired(_) => TemplateContext::anonymous(),
        }
    }
}

/// The template variable names, as django-auto-logout's context processor
/// names them; every template integration uses these.
pub(crate) mod names {
    /// The seconds until the idle limit.
    pub(crate) const IDLE: &str = "seconds_until_idle_end";
    /// The seconds until the absolute limit.
    pub(crate) const SESSION: &str = "seconds_until_session_end";
    /// The script tag.
    pub(crate) const SCRIPT: &str = "redirect_to_login_immediately";
}

impl serde::Serialize for TemplateContext<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("TemplateContext", 3)?;
        s.serialize_field(names::IDLE, &self.seconds_until_idle_end())?;
        s.serialize_field(names::SESSION, &self.seconds_until_session_end())?;
        s.serialize_field(names::SCRIPT, &self.script)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_out_context() {
        let config = Config::builder()
            .idle_time(600)
            .session_time(3600)
            .redirect_to_login_immediately(true)
            .login_url("/login")
            .build()
            .unwrap();
        let ctx = config.signed_out_context();
        assert!(ctx.is_signed_out());
        assert_eq!(ctx.seconds_until_idle_end(), 0);
        assert_eq!(
            ctx.external().redirect_to_login_immediately().to_string(),
            config.signed_out_script().external().to_string()
        );
        assert!(
            !config
                .context(Remaining::new(Some(1), None))
                .is_signed_out()
        );
        assert!(!TemplateContext::anonymous().is_signed_out());
        let off = Config::builder().idle_time(600).build().unwrap();
        assert!(!off.signed_out_context().is_signed_out());
        assert_eq!(
            off.signed_out_context()
                .redirect_to_login_immediately()
                .to_string(),
            ""
        );
    }

    /// A session with its own limits: the context counts down from them.
    #[test]
    fn the_context_after_a_request_follows_the_sessions_limits() {
        let c = Config::builder()
            .idle_time(100)
            .session_time(300)
            .max_idle_time(1000)
            .build()
            .unwrap();
        let now = crate::Timestamp::from_unix_millis(10_000);
        let login = crate::Timestamp::from_unix_millis(0);
        let stored = crate::Stamps::at_login(login)
            .with_limits(Some(1_000_000), None)
            .unwrap()
            .encode();
        let outcome = c.check_request(Some(&stored), now, crate::Activity::Counts);
        assert_eq!(c.context_for(&outcome).seconds_until_idle_end(), 1000);
        assert_eq!(c.context_for(&outcome).seconds_until_session_end(), 290);
        let expired = RequestOutcome::Expired(crate::ExpiryReason::Idle);
        assert_eq!(c.context_for(&expired).seconds_until_idle_end(), 0);
        assert!(
            c.context_for(&expired)
                .redirect_to_login_immediately()
                .is_empty()
        );
    }
}
