//! The `<script>` tag that takes the browser to the login page when time runs out.
//!
//! ```
//! use auto_logout::{Config, Nonce, Remaining};
//!
//! let config = Config::builder()
//!     .idle_time(600)
//!     .redirect_to_login_immediately(true)
//!     .build()?;
//! let remaining = Remaining::new(Some(600_000), None);
//!
//! // Inline, with a CSP nonce: the script text is embedded.
//! let nonce = Nonce::new("rAnd0m+/=")?;
//! let inline = config.context(remaining).with_nonce(nonce);
//! let tag = inline.redirect_to_login_immediately().to_string();
//! assert!(tag.starts_with(r#"<script data-auto-logout data-idle-ms="600000" nonce="rAnd0m+/=">"#));
//!
//! // External, for `script-src 'self'`: the integration serves the file.
//! let external = config.context(remaining).external();
//! let tag = external.redirect_to_login_immediately().to_string();
//! assert!(tag.contains(r#" src="/auto-logout/auto-logout."#));
//! assert!(tag.ends_with("></script>"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Per-request values travel in `data-` attributes, never in script text, so the
//! same bytes of JavaScript serve every request and a strict Content Security
//! Policy needs no `unsafe-inline`. Every configured text is escaped for an
//! attribute once, when the configuration is built; numbers and validated
//! nonces need no escaping, so a render only copies.

use std::fmt;

use crate::assets;
use crate::config::{Config, WarningTexts};
use crate::decision::Remaining;

/// A CSP nonce, checked to be base64 or base64url text (1 to 256 characters),
/// so it can be written into the tag as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce<'a>(&'a str);

/// A nonce that is not base64 text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid CSP nonce {value:?}: expected 1 to 256 characters of base64 or base64url (A-Z a-z 0-9 + / - _ =)"
)]
pub struct NonceError {
    /// The refused value (cut to 64 characters).
    pub value: String,
}

impl<'a> Nonce<'a> {
    /// Checks `value` and wraps it.
    pub fn new(value: &'a str) -> Result<Self, NonceError> {
        let ok = !value.is_empty()
            && value.len() <= 256
            && value.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
            });
        if ok {
            Ok(Nonce(value))
        } else {
            Err(NonceError {
                value: value.chars().take(64).collect(),
            })
        }
    }

    /// The nonce text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Attribute text computed once per configuration.
#[derive(Debug, PartialEq)]
pub(crate) struct PreparedAttrs {
    /// ` data-warn-ms=".." data-login-url=".." data-warn-title=".."...`
    common: String,
    /// ` data-status-url=".." data-keepalive-url=".."`
    endpoints: String,
    /// ` src="/prefix/auto-logout.<hash>.js"`
    src: String,
}

impl PreparedAttrs {
    pub(crate) fn new(
        warn_before_millis: Option<i64>,
        login_url: Option<&str>,
        endpoint_prefix: &str,
        script_url: &str,
        warning: &WarningTexts,
    ) -> Self {
        let mut common = String::new();
        if let Some(warn) = warn_before_millis {
            push_attr(
                &mut common,
                "data-warn-ms",
                itoa::Buffer::new().format(warn),
            );
        }
        if let Some(url) = login_url {
            push_attr(&mut common, "data-login-url", url);
        }
        for (name, value) in [
            ("data-warn-title", &warning.title),
            ("data-warn-idle-text", &warning.idle_text),
            ("data-warn-session-text", &warning.session_text),
            ("data-warn-stay-label", &warning.stay_label),
            ("data-warn-class", &warning.class),
        ] {
            if let Some(value) = value {
                push_attr(&mut common, name, value);
            }
        }
        let mut endpoints = String::new();
        push_attr(
            &mut endpoints,
            "data-status-url",
            &format!("{endpoint_prefix}status"),
        );
        push_attr(
            &mut endpoints,
            "data-keepalive-url",
            &format!("{endpoint_prefix}keepalive"),
        );
        let mut src = String::new();
        push_attr(&mut src, "src", script_url);
        PreparedAttrs {
            common,
            endpoints,
            src,
        }
    }
}

/// Appends ` name="value"` with the value escaped for a double-quoted attribute.
fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(value, out);
    out.push('"');
}

/// Escapes `& < > " '` so a value can neither end its attribute nor its tag.
/// (U+2028/U+2029 are plain characters in HTML attributes; the script reads
/// values through `dataset`, never by evaluating them.)
pub(crate) fn escape_attr(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// How the script reaches the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Script text embedded; no endpoints (template-only use, as in Django).
    Inline,
    /// Script text embedded; an integration serves `status` and `keepalive`.
    InlineWithEndpoints,
    /// `src=` pointing at the file an integration serves (strict CSP).
    External,
}

/// The rendered tag: [`fmt::Display`] writes it, empty when there is nothing to do
/// (anonymous visitor, or `REDIRECT_TO_LOGIN_IMMEDIATELY` off).
///
/// Template integrations mark it as safe HTML, so `{{ redirect_to_login_immediately }}`
/// renders it unescaped with autoescaping on.
#[derive(Clone, Copy)]
pub struct ScriptTag<'a> {
    config: Option<&'a Config>,
    remaining: Remaining,
    form: Form,
    nonce: Option<Nonce<'a>>,
}

impl fmt::Debug for ScriptTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptTag")
            .field("remaining", &self.remaining)
            .field("form", &self.form)
            .field("nonce", &self.nonce)
            .field("empty", &self.is_empty())
            .finish()
    }
}

impl<'a> ScriptTag<'a> {
    /// A tag that renders nothing.
    pub(crate) const EMPTY: ScriptTag<'static> = ScriptTag {
        config: None,
        remaining: Remaining::NONE,
        form: Form::Inline,
        nonce: None,
    };

    pub(crate) fn new(config: &'a Config, remaining: Remaining) -> Self {
        ScriptTag {
            config: config.redirect_to_login_immediately().then_some(config),
            remaining,
            form: Form::Inline,
            nonce: None,
        }
    }

    pub(crate) fn with_endpoints(mut self) -> Self {
        if self.form == Form::Inline {
            self.form = Form::InlineWithEndpoints;
        }
        self
    }

    pub(crate) fn external(mut self) -> Self {
        self.form = Form::External;
        self
    }

    pub(crate) fn with_nonce(mut self, nonce: Nonce<'a>) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// `true` when the tag renders nothing.
    pub fn is_empty(&self) -> bool {
        self.config.is_none()
    }

    /// Writes the tag into `out` (nothing when empty), allocating nothing itself.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let Some(config) = self.config else {
            return Ok(());
        };
        let attrs = config.script_attrs();
        let mut digits = itoa::Buffer::new();
        out.write_str("<script data-auto-logout")?;
        if let Some(idle) = self.remaining.idle_millis() {
            out.write_str(" data-idle-ms=\"")?;
            out.write_str(digits.format(idle))?;
            out.write_char('"')?;
        }
        if let Some(session) = self.remaining.session_millis() {
            out.write_str(" data-session-ms=\"")?;
            out.write_str(digits.format(session))?;
            out.write_char('"')?;
        }
        out.write_str(&attrs.common)?;
        if self.form != Form::Inline {
            out.write_str(&attrs.endpoints)?;
        }
        if let Some(nonce) = self.nonce {
            // Validated base64: nothing to escape.
            out.write_str(" nonce=\"")?;
            out.write_str(nonce.0)?;
            out.write_char('"')?;
        }
        if self.form == Form::External {
            out.write_str(&attrs.src)?;
            out.write_str("></script>")
        } else {
            out.write_char('>')?;
            out.write_str(assets::SCRIPT)?;
            out.write_str("</script>")
        }
    }
}

impl fmt::Display for ScriptTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl serde::Serialize for ScriptTag<'_> {
    /// Serializes as the tag's text (a string, empty when there is nothing to do).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_validated() {
        for ok in ["abc", "rAnd0m+/=", "a-b_c", &"A".repeat(256)] {
            assert!(Nonce::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a\"b", "a b", "<script>", "é", &"A".repeat(257)] {
            assert!(Nonce::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn attribute_escaping() {
        let mut out = String::new();
        escape_attr("a&b<c>d\"e'f\u{2028}", &mut out);
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&#39;f\u{2028}");
    }
}
