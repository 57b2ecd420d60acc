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
//! assert!(tag.starts_with(r#"<script data-auto-logout data-idle-ms="600000" data-idle-limit-ms="600000" data-scope=""#));
//! assert!(tag.contains(r#" nonce="rAnd0m+/=">"#));
//!
//! // External, for `script-src 'self'`: the integration serves the file.
//! let external = config.context(remaining).external();
//! let tag = external.redirect_to_login_immediately().to_string();
//! assert!(tag.contains(r#" src="/auto-logout/auto-logout."#));
//! assert!(tag.ends_with("></script>"));
//!
//! // The page after an explicit sign-out: tells the user's other tabs to leave.
//! let signed_out = config.signed_out_script().external().to_string();
//! assert!(signed_out.starts_with("<script data-auto-logout data-signed-out data-scope="));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Per-request values travel in `data-` attributes, never in script text, so the
//! same bytes of JavaScript serve every request and a strict Content Security
//! Policy needs no `unsafe-inline`. Every configured text is escaped for an
//! attribute once, when the configuration is built; numbers and validated
//! nonces need no escaping, so a render only copies.
//!
//! Besides the remaining times the tag states the configured limits
//! (`data-idle-limit-ms`, `data-session-limit-ms`) and a scope (`data-scope`, a
//! short hash of `ENDPOINT_PREFIX` and `LOGIN_URL`): tabs talk only to tabs of the
//! same scope, and believe no deadline from another tab further away than a full
//! limit. The scope does not include the login itself (the template context does
//! not know the login stamp): tabs of one browser share one login anyway.

use std::fmt;

use crate::config::Config;
use crate::config::prepared::{
    INLINE_END, INLINE_END_AFTER_NONCE, PreparedAttrs, TEXT_ATTRS, write_escaped,
};
use crate::decision::Remaining;

/// Longest nonce accepted.
const MAX_NONCE_LEN: usize = 256;

/// Which bytes a nonce may hold: base64 and base64url (A-Z a-z 0-9 + / - _ =).
const NONCE_BYTES: [bool; 256] = {
    let mut allowed = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        allowed[b] =
            byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'-' | b'_' | b'=');
        b += 1;
    }
    allowed
};

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
        // Every byte looked up, without a branch per byte.
        let ok = !value.is_empty()
            && value.len() <= MAX_NONCE_LEN
            && value
                .bytes()
                .fold(true, |ok, b| ok & NONCE_BYTES[usize::from(b)]);
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

/// The warning's texts for one page (say, in the page's language), in place of
/// the configured `WARN_TITLE`, `WARN_IDLE_TEXT`, `WARN_SESSION_TEXT` and
/// `WARN_STAY_LABEL`. A `None` keeps the configured text (or the script's
/// default). Escaped exactly like the configured texts, while the tag is
/// written; the default value changes nothing and costs nothing.
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
/// let german = PageTexts {
///     title: Some("Ihre Sitzung endet bald"),
///     stay_label: Some("Angemeldet bleiben"),
///     ..PageTexts::default()
/// };
/// let ctx = config.context(Remaining::new(Some(600_000), None)).with_texts(german);
/// let tag = ctx.redirect_to_login_immediately().to_string();
/// assert!(tag.contains(r#" data-warn-title="Ihre Sitzung endet bald""#));
/// assert!(tag.contains(r#" data-warn-stay-label="Angemeldet bleiben""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageTexts<'a> {
    /// The dialog's title (`WARN_TITLE`).
    pub title: Option<&'a str>,
    /// The text when the idle limit is ending (`WARN_IDLE_TEXT`).
    pub idle_text: Option<&'a str>,
    /// The text when the absolute limit is ending (`WARN_SESSION_TEXT`).
    pub session_text: Option<&'a str>,
    /// The label of the "Stay signed in" button (`WARN_STAY_LABEL`).
    pub stay_label: Option<&'a str>,
}

impl<'a> PageTexts<'a> {
    /// `true` when at least one text is set.
    fn any(&self) -> bool {
        self.title.is_some()
            || self.idle_text.is_some()
            || self.session_text.is_some()
            || self.stay_label.is_some()
    }

    fn get(&self, index: usize) -> Option<&'a str> {
        [
            self.title,
            self.idle_text,
            self.session_text,
            self.stay_label,
        ][index]
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
    /// The page after an explicit sign-out ([`Config::signed_out_script`]).
    signed_out: bool,
    /// The page's own warning texts ([`ScriptTag::with_texts`]).
    texts: PageTexts<'a>,
}

impl fmt::Debug for ScriptTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptTag")
            .field("remaining", &self.remaining)
            .field("form", &self.form)
            .field("nonce", &self.nonce)
            .field("signed_out", &self.signed_out)
            .field("texts", &self.texts)
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
        signed_out: false,
        texts: PageTexts {
            title: None,
            idle_text: None,
            session_text: None,
            stay_label: None,
        },
    };

    pub(crate) fn new(config: &'a Config, remaining: Remaining) -> Self {
        ScriptTag {
            config: config.redirect_to_login_immediately().then_some(config),
            remaining,
            form: Form::Inline,
            nonce: None,
            signed_out: false,
            texts: PageTexts::default(),
        }
    }

    /// The tag of the page after an explicit sign-out
    /// ([`Config::signed_out_script`]): the signal and the scope, no numbers.
    pub(crate) fn signed_out(config: &'a Config) -> Self {
        ScriptTag {
            signed_out: true,
            ..ScriptTag::new(config, Remaining::NONE)
        }
    }

    pub(crate) fn with_endpoints(mut self) -> Self {
        if self.form == Form::Inline {
            self.form = Form::InlineWithEndpoints;
        }
        self
    }

    /// Renders `<script src=...>` pointing at the file an integration serves,
    /// for `Content-Security-Policy: script-src 'self'`.
    pub fn external(mut self) -> Self {
        self.form = Form::External;
        self
    }

    /// Adds a CSP nonce to the tag (inline or external).
    pub fn with_nonce(mut self, nonce: Nonce<'a>) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// Uses this page's warning texts in place of the configured ones (each
    /// `None` keeps the configured text). See [`PageTexts`].
    pub fn with_texts(mut self, texts: PageTexts<'a>) -> Self {
        self.texts = texts;
        self
    }

    /// The remaining time this tag was made from (also when it renders nothing).
    pub(crate) fn remaining(&self) -> Remaining {
        self.remaining
    }

    /// `true` for the tag of [`Config::signed_out_script`].
    pub fn is_signed_out(&self) -> bool {
        self.signed_out && !self.is_empty()
    }

    /// `true` when the tag renders nothing.
    pub fn is_empty(&self) -> bool {
        self.config.is_none()
    }

    /// Writes the tag into `out` (nothing when empty), allocating nothing itself.
    ///
    /// In few pieces, each one call of `out.write_str`: the start of the tag
    /// with the numbers (assembled on the stack), then text joined when the
    /// configuration was built: the configured attributes, and the end (the
    /// `src` attribute, or the script text with the tags around it); a nonce
    /// and the page's own texts add pieces between them.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let Some(config) = self.config else {
            return Ok(());
        };
        let attrs = config.script_attrs();
        if self.signed_out {
            // Nothing to count down: the scope tells the script whom to tell.
            out.write_str("<script data-auto-logout data-signed-out")?;
            out.write_str(&attrs.scope)?;
            return self.write_end(out, attrs);
        }
        let mut start = StackText::new();
        start.push("<script data-auto-logout");
        let mut digits = itoa::Buffer::new();
        // The remaining times, then the session's limits (its own, else the
        // configured ones): the script believes no deadline from another tab
        // further away than these. The configured limits were written when
        // the configuration was built: a session without limits of its own
        // takes them from the joined text that follows.
        let own_limits = self.remaining.has_own_limits();
        let mut number = |name: &str, value: Option<i64>| {
            if let Some(value) = value {
                start.push(name);
                start.push(digits.format(value));
                start.push("\"");
            }
        };
        number(" data-idle-ms=\"", self.remaining.idle_millis());
        number(" data-session-ms=\"", self.remaining.session_millis());
        if own_limits {
            number(
                " data-idle-limit-ms=\"",
                self.remaining.idle_limit_millis(config),
            );
            number(
                " data-session-limit-ms=\"",
                self.remaining.session_limit_millis(config),
            );
        }
        out.write_str(start.as_str()?)?;
        // The joined texts below begin with the configured limits.
        let skip = if own_limits { attrs.limits.len() } else { 0 };
        let with_endpoints = self.form != Form::Inline;
        if config.warn_before().is_some() && self.texts.any() {
            if !own_limits {
                out.write_str(&attrs.limits)?;
            }
            self.write_page_texts(out, attrs, with_endpoints)?;
            return self.write_end(out, attrs);
        }
        // The usual tags: the rest in one piece, or three around a nonce.
        let external = self.form == Form::External;
        match self.nonce {
            None if external => out.write_str(&attrs.external_rest[skip..]),
            None => out.write_str(&attrs.inline_rest[usize::from(with_endpoints)][skip..]),
            Some(nonce) => {
                out.write_str(&attrs.then_nonce[usize::from(with_endpoints)][skip..])?;
                // Validated base64: nothing to escape.
                out.write_str(nonce.0)?;
                out.write_str(self.end_after_nonce(attrs))
            }
        }
    }

    /// A length in bytes the tag never exceeds, known without writing it
    /// (what a writer may reserve to take the tag without growing), or
    /// `None` when only writing it tells (the page's own texts, escaped
    /// while written).
    #[cfg_attr(not(feature = "minijinja"), allow(dead_code))]
    pub(crate) fn len_bound(&self) -> Option<usize> {
        let Some(config) = self.config else {
            return Some(0);
        };
        let attrs = config.script_attrs();
        let with_endpoints = usize::from(self.form != Form::Inline);
        let (start, rest) = if self.signed_out {
            (
                "<script data-auto-logout data-signed-out".len() + attrs.scope.len(),
                match self.nonce {
                    Some(_) => " nonce=\"".len(),
                    None if self.form == Form::External => attrs.src.len() + "></script>".len(),
                    None => INLINE_END.len(),
                },
            )
        } else if config.warn_before().is_some() && self.texts.any() {
            return None;
        } else {
            (
                // The numbers (with a session's own limits, which then skips
                // the configured ones in the joined text).
                LONGEST_START,
                match self.nonce {
                    Some(_) => attrs.then_nonce[with_endpoints].len(),
                    None if self.form == Form::External => attrs.external_rest.len(),
                    None => attrs.inline_rest[with_endpoints].len(),
                },
            )
        };
        let nonce = self
            .nonce
            .map_or(0, |nonce| nonce.0.len() + self.end_after_nonce(attrs).len());
        Some(start + rest + nonce)
    }

    /// The configured attributes with the page's own texts in place of the
    /// configured ones: what the joined text of [`PreparedAttrs`] holds otherwise.
    fn write_page_texts<W: fmt::Write + ?Sized>(
        &self,
        out: &mut W,
        attrs: &PreparedAttrs,
        with_endpoints: bool,
    ) -> fmt::Result {
        out.write_str(&attrs.scope)?;
        out.write_str(&attrs.head)?;
        for (index, prepared) in attrs.texts.iter().enumerate() {
            match self.texts.get(index) {
                // The page's own text, escaped as the configured ones were.
                Some(text) => {
                    out.write_char(' ')?;
                    out.write_str(TEXT_ATTRS[index])?;
                    out.write_str("=\"")?;
                    write_escaped(text, out)?;
                    out.write_char('"')?;
                }
                None => out.write_str(prepared)?,
            }
        }
        out.write_str(&attrs.class)?;
        if with_endpoints {
            out.write_str(&attrs.endpoints)?;
        }
        Ok(())
    }

    /// The end of the start tag (nonce, `src`) and the body, in pieces: for
    /// the signed-out tag and the page's own texts.
    fn write_end<W: fmt::Write + ?Sized>(&self, out: &mut W, attrs: &PreparedAttrs) -> fmt::Result {
        if let Some(nonce) = self.nonce {
            out.write_str(" nonce=\"")?;
            out.write_str(nonce.0)?;
            out.write_str(self.end_after_nonce(attrs))
        } else if self.form == Form::External {
            out.write_str(&attrs.src)?;
            out.write_str("></script>")
        } else {
            out.write_str(INLINE_END)
        }
    }

    /// What follows a nonce's value: its closing quote, then `src` and
    /// `></script>`, or `>`, the script text and `</script>`.
    fn end_after_nonce<'b>(&self, attrs: &'b PreparedAttrs) -> &'b str {
        if self.form == Form::External {
            &attrs.external_end_after_nonce
        } else {
            INLINE_END_AFTER_NONCE
        }
    }
}

/// Longest start of a tag with its numbers: the tag name and four attributes
/// whose values are at most 20 characters each (`i64::MIN`).
const LONGEST_START: usize = "<script data-auto-logout".len()
    + " data-idle-ms=\"\"".len()
    + " data-session-ms=\"\"".len()
    + " data-idle-limit-ms=\"\"".len()
    + " data-session-limit-ms=\"\"".len()
    + 4 * 20;

/// The bytes [`StackText`] holds: [`LONGEST_START`] rounded up to whole
/// blocks of 16, see [`StackText::as_str`].
const STACK_LEN: usize = LONGEST_START.next_multiple_of(16);

/// The start of a tag assembled on the stack, so its short pieces reach the
/// writer in one call. Large enough for the longest (checked when compiling).
/// Aligned, so the UTF-8 check reads it a machine word at a time.
#[repr(C, align(16))]
struct StackText {
    bytes: [u8; STACK_LEN],
    len: usize,
}

impl StackText {
    fn new() -> Self {
        StackText {
            bytes: [0; STACK_LEN],
            len: 0,
        }
    }

    /// Appends `text`; the callers stay within [`LONGEST_START`].
    fn push(&mut self, text: &str) {
        let end = self.len + text.len();
        self.bytes[self.len..end].copy_from_slice(text.as_bytes());
        self.len = end;
    }

    fn as_str(&self) -> Result<&str, fmt::Error> {
        // Only whole `str`s were pushed, so this never fails. Checked in
        // whole blocks of 16 bytes (the rest are zeros, valid UTF-8 too),
        // which the check reads word by word, with no byte-by-byte tail.
        let blocks = std::str::from_utf8(&self.bytes[..self.len.next_multiple_of(16)])
            .map_err(|_| fmt::Error)?;
        blocks.get(..self.len).ok_or(fmt::Error)
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
    use crate::assets;
    use crate::config::WarningTexts;
    use crate::config::prepared::push_attr;

    #[test]
    fn the_nonce_table_is_base64_and_base64url() {
        for b in 0..=255u8 {
            let expected =
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=');
            assert_eq!(NONCE_BYTES[usize::from(b)], expected, "{b}");
        }
    }

    #[test]
    fn nonces_are_validated() {
        for ok in ["abc", "rAnd0m+/=", "a-b_c", &"A".repeat(256)] {
            assert!(Nonce::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a\"b", "a b", "<script>", "é", &"A".repeat(257)] {
            assert!(Nonce::new(bad).is_err(), "{bad:?}");
        }
    }

    fn config(prefix: &str, login: Option<&str>) -> Config {
        let mut builder = Config::builder()
            .idle_time(600)
            .session_time(3600)
            .redirect_to_login_immediately(true)
            .endpoint_prefix(prefix);
        if let Some(login) = login {
            builder = builder.login_url(login);
        }
        builder.build().expect("valid config")
    }

    fn scope(tag: &str) -> &str {
        let start = tag.find(" data-scope=\"").expect("has a scope") + " data-scope=\"".len();
        &tag[start..start + 8]
    }

    #[test]
    fn the_tag_states_the_limits_and_a_scope() {
        let config = config("/auto-logout/", Some("/login"));
        let tag = ScriptTag::new(&config, Remaining::new(Some(1_000), Some(2_000))).to_string();
        assert!(tag.starts_with(
            "<script data-auto-logout data-idle-ms=\"1000\" data-session-ms=\"2000\" \
             data-idle-limit-ms=\"600000\" data-session-limit-ms=\"3600000\" data-scope=\""
        ));
        let scope = scope(&tag);
        assert!(
            scope
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn the_tag_states_the_sessions_own_limits() {
        let config = config("/auto-logout/", None);
        let own =
            Remaining::new(Some(1_000), Some(2_000)).with_own_limits(Some(5_000), Some(28_800_000));
        let tag = ScriptTag::new(&config, own).to_string();
        assert!(
            tag.starts_with(
                "<script data-auto-logout data-idle-ms=\"1000\" data-session-ms=\"2000\" \
                 data-idle-limit-ms=\"5000\" data-session-limit-ms=\"28800000\""
            ),
            "{tag}"
        );
        let configured =
            ScriptTag::new(&config, Remaining::new(Some(1_000), Some(2_000))).to_string();
        assert!(
            configured.contains(" data-idle-limit-ms=\"600000\" data-session-limit-ms=\"3600000\""),
            "{configured}"
        );
    }

    #[test]
    fn the_scope_follows_the_endpoint_prefix_and_the_login_url() {
        let tag = |prefix, login| {
            ScriptTag::new(&config(prefix, login), Remaining::new(Some(1_000), None)).to_string()
        };
        let base = tag("/auto-logout/", Some("/login"));
        assert_eq!(scope(&base), scope(&tag("/auto-logout/", Some("/login"))));
        for other in [
            tag("/shop/auto-logout/", Some("/login")),
            tag("/auto-logout/", Some("/shop/login")),
            tag("/auto-logout/", None),
        ] {
            assert_ne!(scope(&base), scope(&other));
        }
    }

    #[test]
    fn the_signed_out_tag_carries_only_the_signal_and_the_scope() {
        let config = config("/auto-logout/", Some("/login"));
        let signed_in = ScriptTag::new(&config, Remaining::new(Some(1_000), None)).to_string();
        let tag = ScriptTag::signed_out(&config).to_string();
        assert!(tag.starts_with("<script data-auto-logout data-signed-out data-scope=\""));
        assert_eq!(scope(&tag), scope(&signed_in));
        assert!(tag.contains(&format!(">{}</script>", assets::SCRIPT)));
        assert!(!tag.contains("data-idle"));
        assert!(!tag.contains("data-status-url"));
        let nonce = Nonce::new("abc").unwrap();
        let external = ScriptTag::signed_out(&config)
            .external()
            .with_nonce(nonce)
            .to_string();
        assert!(external.ends_with(&format!(
            " nonce=\"abc\" src=\"{}\"></script>",
            config.script_url()
        )));
        let off = Config::builder().idle_time(600).build().unwrap();
        assert!(ScriptTag::signed_out(&off).is_empty());
        assert_eq!(ScriptTag::signed_out(&off).to_string(), "");
    }

    fn warned(texts: WarningTexts) -> Config {
        Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .warn_before(60)
            .warning_texts(texts)
            .build()
            .unwrap()
    }

    #[test]
    fn page_texts_replace_the_configured_ones_escaped_alike() {
        let configured = WarningTexts {
            title: Some("Title <b>\"x\" & 'y'</b>".into()),
            idle_text: Some("Idle".into()),
            stay_label: Some("Stay".into()),
            class: Some("my-warning".into()),
            ..WarningTexts::default()
        };
        let config = warned(configured.clone());
        let remaining = Remaining::new(Some(1_000), None);
        let plain = ScriptTag::new(&config, remaining);
        // The default PageTexts renders the configured bytes.
        assert_eq!(
            plain.with_texts(PageTexts::default()).to_string(),
            plain.to_string()
        );
        // A page text equal to the configured one renders the same bytes.
        let same = PageTexts {
            title: configured.title.as_deref(),
            ..PageTexts::default()
        };
        assert_eq!(plain.with_texts(same).to_string(), plain.to_string());
        // Other texts: in the same place, escaped the same way; the rest stays.
        let page = PageTexts {
            title: Some("Titel <i>\"ä\" & 'ö'</i>"),
            session_text: Some("Sitzung"),
            ..PageTexts::default()
        };
        let tag = plain.with_texts(page).to_string();
        assert!(tag.contains(
            " data-warn-title=\"Titel &lt;i&gt;&quot;ä&quot; &amp; &#39;ö&#39;&lt;/i&gt;\" \
             data-warn-idle-text=\"Idle\" data-warn-session-text=\"Sitzung\" \
             data-warn-stay-label=\"Stay\" data-warn-class=\"my-warning\""
        ));
        assert!(!tag.contains("Title &lt;b"));
    }

    #[test]
    fn page_texts_need_a_warning() {
        let config = Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .build()
            .unwrap();
        let tag = ScriptTag::new(&config, Remaining::new(Some(1_000), None))
            .with_texts(PageTexts {
                title: Some("x"),
                ..PageTexts::default()
            })
            .to_string();
        assert!(!tag.contains("data-warn"));
    }

    #[test]
    fn client_activity_and_the_stylesheet_go_with_the_endpoints() {
        let config = Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .warn_before(60)
            .client_activity(true)
            .build()
            .unwrap();
        let tag = ScriptTag::new(&config, Remaining::new(Some(1_000), None));
        let external = tag.external().to_string();
        assert!(external.contains(&format!(
            " data-keepalive-url=\"/auto-logout/keepalive\" data-client-activity data-stylesheet=\"{}\"",
            config.stylesheet_url()
        )));
        // Template-only use: no endpoints, no served stylesheet.
        let inline = tag.to_string();
        assert!(!inline.contains("data-client-activity"));
        assert!(!inline.contains("data-stylesheet"));
        // Opted out, or no warning: no stylesheet.
        let styled_by_app = Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .warn_before(60)
            .warn_stylesheet(false)
            .build()
            .unwrap();
        let no_warning = Config::builder()
            .idle_time(600)
            .redirect_to_login_immediately(true)
            .build()
            .unwrap();
        for config in [styled_by_app, no_warning] {
            let tag = ScriptTag::new(&config, Remaining::new(Some(1_000), None))
                .external()
                .to_string();
            assert!(!tag.contains("data-stylesheet"), "{tag}");
            assert!(!tag.contains("data-client-activity"), "{tag}");
        }
    }

    /// The former writer (one `write_str` per piece, the configured
    /// attributes one by one), kept as the reference for the bytes.
    fn reference_write(tag: &ScriptTag<'_>, out: &mut String) {
        let Some(config) = tag.config else {
            return;
        };
        let attrs = config.script_attrs();
        let mut digits = itoa::Buffer::new();
        out.push_str("<script data-auto-logout");
        let end = |out: &mut String| {
            if let Some(nonce) = tag.nonce {
                out.push_str(" nonce=\"");
                out.push_str(nonce.0);
                out.push('"');
            }
            if tag.form == Form::External {
                out.push_str(&attrs.src);
                out.push_str("></script>");
            } else {
                out.push('>');
                out.push_str(assets::SCRIPT);
                out.push_str("</script>");
            }
        };
        if tag.signed_out {
            out.push_str(" data-signed-out");
            out.push_str(&attrs.scope);
            return end(out);
        }
        for (name, value) in [
            ("data-idle-ms", tag.remaining.idle_millis()),
            ("data-session-ms", tag.remaining.session_millis()),
            (
                "data-idle-limit-ms",
                tag.remaining.idle_limit_millis(config),
            ),
            (
                "data-session-limit-ms",
                tag.remaining.session_limit_millis(config),
            ),
        ] {
            if let Some(value) = value {
                push_attr(out, name, digits.format(value));
            }
        }
        out.push_str(&attrs.scope);
        out.push_str(&attrs.head);
        let warning = config.warn_before().is_some();
        for (index, prepared) in attrs.texts.iter().enumerate() {
            match tag.texts.get(index) {
                Some(text) if warning => push_attr(out, TEXT_ATTRS[index], text),
                _ => out.push_str(prepared),
            }
        }
        out.push_str(&attrs.class);
        if tag.form != Form::Inline {
            out.push_str(&attrs.endpoints);
        }
        end(out);
    }

    #[test]
    fn the_same_bytes_as_the_reference_in_every_form() {
        let texts = WarningTexts {
            title: Some("T <\"&'>\r\0".into()),
            idle_text: Some("Idle".into()),
            session_text: None,
            stay_label: Some("Stay".into()),
            class: Some("my-warning".into()),
        };
        let mut configs = Vec::new();
        for (idle, session) in [(Some(600), Some(3600)), (Some(600), None), (None, Some(60))] {
            for warn in [false, true] {
                for (login, with_texts, client_activity) in [
                    (Some("/login?a=1&b=\"2\""), true, true),
                    (None, false, false),
                ] {
                    let mut b = Config::builder()
                        .redirect_to_login_immediately(true)
                        .client_activity(client_activity && idle.is_some());
                    if let Some(idle) = idle {
                        b = b.idle_time(idle);
                    }
                    if let Some(session) = session {
                        b = b.session_time(session);
                    }
                    if warn {
                        b = b.warn_before(30);
                    }
                    if let Some(login) = login {
                        b = b.login_url(login);
                    }
                    if with_texts && warn {
                        b = b.warning_texts(texts.clone());
                    }
                    configs.push(b.build().unwrap());
                }
            }
        }
        let long_nonce = "A".repeat(MAX_NONCE_LEN);
        let nonces = [None, Some("abc"), Some(long_nonce.as_str())];
        let page_texts = [
            PageTexts::default(),
            PageTexts {
                title: Some("Titel <i>\"ä\"</i>"),
                ..PageTexts::default()
            },
            PageTexts {
                idle_text: Some(""),
                session_text: Some("S&S"),
                stay_label: Some("\0"),
                ..PageTexts::default()
            },
        ];
        let remainings = [
            Remaining::new(Some(0), Some(0)),
            Remaining::new(Some(599_500), None),
            Remaining::new(None, Some(i64::MAX)),
            Remaining::NONE,
            Remaining::new(Some(1), Some(2)).with_own_limits(Some(i64::MAX), Some(i64::MAX)),
            Remaining::new(None, Some(2)).with_own_limits(None, Some(28_800_000)),
        ];
        let mut compared = 0;
        for config in &configs {
            for remaining in remainings {
                for signed_out in [false, true] {
                    let base = if signed_out {
                        ScriptTag::signed_out(config)
                    } else {
                        ScriptTag::new(config, remaining)
                    };
                    for form in [Form::Inline, Form::InlineWithEndpoints, Form::External] {
                        for nonce in nonces {
                            for texts in page_texts {
                                let mut tag = base.with_texts(texts);
                                tag.form = form;
                                tag.nonce = nonce.map(|n| Nonce::new(n).unwrap());
                                let mut expected = String::new();
                                reference_write(&tag, &mut expected);
                                assert_eq!(tag.to_string(), expected, "{tag:?}");
                                let mut direct = String::new();
                                tag.write_to(&mut direct).unwrap();
                                assert_eq!(direct, expected, "{tag:?}");
                                match tag.len_bound() {
                                    Some(bound) => assert!(expected.len() <= bound, "{tag:?}"),
                                    None => assert!(
                                        !signed_out
                                            && texts.any()
                                            && config.warn_before().is_some(),
                                        "{tag:?}"
                                    ),
                                }
                                compared += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(compared, configs.len() * 6 * 2 * 3 * 3 * 3);
    }
}
