//! Askama 0.16 integration (feature `askama`): a trait implemented on the page
//! struct by pointing at one field.
//!
//! ```
//! use askama::Template;
//! use auto_logout::askama::AutoLogoutTemplate; // the template calls its methods
//! use auto_logout::{Config, Remaining, TemplateContext};
//!
//! #[derive(Template)]
//! #[template(
//!     ext = "html", // autoescaping is on
//!     source = r#"<p>Hello {{ user }}</p>
//! <script>
//! var sessionEnd = {{ seconds_until_session_end() }};
//! var idleEnd = {{ seconds_until_idle_end() }};
//! </script>
//! {{ redirect_to_login_immediately() }}"#
//! )]
//! struct Page<'a> {
//!     user: &'a str,
//!     auto_logout: TemplateContext<'a>,
//! }
//!
//! impl AutoLogoutTemplate for Page<'_> {
//!     fn auto_logout(&self) -> TemplateContext<'_> {
//!         self.auto_logout
//!     }
//! }
//!
//! // Per request, with the values the framework integration computed.
//! let config = Config::builder()
//!     .idle_time(600)
//!     .session_time(3600)
//!     .redirect_to_login_immediately(true)
//!     .build()?;
//! let values = config.context(Remaining::new(Some(600_000), Some(3_000_000)));
//!
//! let html = Page { user: "<b>bob</b>", auto_logout: values }.render()?;
//!
//! assert!(html.contains("Hello &#60;b&#62;bob&#60;/b&#62;")); // the app's values are escaped...
//! assert!(html.contains("var sessionEnd = 3000;"));
//! assert!(html.contains("var idleEnd = 600;"));
//! // ...the script tag is not: it is the core's bytes, unchanged.
//! assert!(html.ends_with(&values.redirect_to_login_immediately().to_string()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The trait
//!
//! [`AutoLogoutTemplate`] has one required method, [`auto_logout`], that
//! points at the page's field (a [`TemplateContext`], or anything that can
//! make one), and provides the three values as methods:
//! [`redirect_to_login_immediately()`], [`seconds_until_idle_end()`] and
//! [`seconds_until_session_end()`]. Askama templates are Rust: a value is a
//! field or a method, so the template writes them with parentheses —
//! `{{ redirect_to_login_immediately() }}` — which askama resolves to
//! `self.redirect_to_login_immediately()`. The trait must be in scope where
//! `#[derive(Template)]` is (`use auto_logout::askama::AutoLogoutTemplate;`).
//!
//! For a visitor who is not logged in, point the field at
//! [`TemplateContext::anonymous()`]: zeros and no script. On the page shown
//! right after a sign-out, point it at
//! [`Config::signed_out_context`](crate::Config::signed_out_context), so the
//! user's other tabs leave too. A page in another language passes its own
//! warning texts with
//! [`TemplateContext::with_texts`](crate::TemplateContext::with_texts);
//! they are written, escaped, straight into askama's output:
//!
//! ```
//! use askama::Template;
//! use auto_logout::askama::AutoLogoutTemplate;
//! use auto_logout::PageTexts;
//! use auto_logout::{Config, Remaining, TemplateContext};
//!
//! #[derive(Template)]
//! #[template(ext = "html", source = "{{ redirect_to_login_immediately() }}")]
//! struct Page<'a> {
//!     auto_logout: TemplateContext<'a>,
//! }
//!
//! impl AutoLogoutTemplate for Page<'_> {
//!     fn auto_logout(&self) -> TemplateContext<'_> {
//!         self.auto_logout
//!     }
//! }
//!
//! let config = Config::builder()
//!     .idle_time(600)
//!     .redirect_to_login_immediately(true)
//!     .warn_before(60)
//!     .build()?;
//! let german = PageTexts {
//!     stay_label: Some("Angemeldet <bleiben>"),
//!     ..PageTexts::default()
//! };
//! let values = config.context(Remaining::new(Some(600_000), None)).with_texts(german);
//! let html = Page { auto_logout: values }.render()?;
//! assert!(html.contains(r#" data-warn-stay-label="Angemeldet &lt;bleiben&gt;""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Escaping
//!
//! [`ScriptTag`] implements askama's
//! [`HtmlSafe`](::askama::filters::HtmlSafe) marker, so the tag renders
//! unescaped with autoescaping on and needs no `|safe` (adding `|safe` changes
//! nothing). The numbers are integers, which askama never escapes. The tag
//! escapes every configured text itself, once, when the
//! [`Config`](crate::Config) is built.
//!
//! # Cost
//!
//! Nothing is allocated: the methods return `Copy` values, and the tag
//! implements [`FastWritable`](::askama::FastWritable), so it is written
//! straight into askama's output.
//!
//! [`auto_logout`]: AutoLogoutTemplate::auto_logout
//! [`redirect_to_login_immediately()`]: AutoLogoutTemplate::redirect_to_login_immediately
//! [`seconds_until_idle_end()`]: AutoLogoutTemplate::seconds_until_idle_end
//! [`seconds_until_session_end()`]: AutoLogoutTemplate::seconds_until_session_end

use std::fmt;

use crate::context::TemplateContext;
use crate::script::ScriptTag;

/// The auto-logout values of an askama page: implement [`auto_logout`] to
/// point at the page's field, and the template gets
/// `{{ redirect_to_login_immediately() }}`, `{{ seconds_until_idle_end() }}`
/// and `{{ seconds_until_session_end() }}`.
///
/// See the [module docs](self) for a complete example.
///
/// [`auto_logout`]: AutoLogoutTemplate::auto_logout
pub trait AutoLogoutTemplate {
    /// The per-request values; usually `self.auto_logout` (a copy of a field).
    fn auto_logout(&self) -> TemplateContext<'_>;

    /// The client script tag, HTML-safe for askama; empty for anonymous
    /// visitors or when `REDIRECT_TO_LOGIN_IMMEDIATELY` is off.
    fn redirect_to_login_immediately(&self) -> ScriptTag<'_> {
        self.auto_logout().redirect_to_login_immediately()
    }

    /// Whole seconds until the idle limit ends; 0 when not configured or anonymous.
    fn seconds_until_idle_end(&self) -> u64 {
        self.auto_logout().seconds_until_idle_end()
    }

    /// Whole seconds until the absolute limit ends; 0 when not configured or anonymous.
    fn seconds_until_session_end(&self) -> u64 {
        self.auto_logout().seconds_until_session_end()
    }
}

/// The tag is built from validated numbers, a validated nonce and texts
/// escaped when the configuration was built: it is safe HTML as it is.
impl ::askama::filters::HtmlSafe for ScriptTag<'_> {}

/// Writes the tag straight into askama's output.
impl ::askama::FastWritable for ScriptTag<'_> {
    fn write_into(
        &self,
        dest: &mut dyn fmt::Write,
        _values: &dyn ::askama::Values,
    ) -> ::askama::Result<()> {
        self.write_to(dest).map_err(::askama::Error::from)
    }
}
