//! The constant part of the script tag, prepared once per configuration: the
//! configured attributes escaped and joined, so rendering a tag per request
//! only copies them (the tag itself is written by `crate::script`).

use std::fmt;

use super::WarningTexts;
use super::endpoints::Endpoints;
use super::limits::Limits;
use crate::assets;

/// The attribute names of the limits in force (the session's own, else the
/// configured ones).
const LIMIT_ATTRS: [&str; 2] = ["data-idle-limit-ms", "data-session-limit-ms"];

/// The attribute names of the four texts: title, idle text, session text and
/// stay label, in the order of the script's `PageTexts`.
pub(crate) const TEXT_ATTRS: [&str; 4] = [
    "data-warn-title",
    "data-warn-idle-text",
    "data-warn-session-text",
    "data-warn-stay-label",
];

/// Configuration the tag states besides the texts.
pub(crate) struct Extras<'a> {
    /// `CLIENT_ACTIVITY`.
    pub(crate) client_activity: bool,
    /// The stylesheet the script links (`WARN_STYLESHEET` on and a warning configured).
    pub(crate) stylesheet_url: Option<&'a str>,
    /// `LOCK_AFTER`: the script locks the page and offers the unlock form.
    pub(crate) lock_after_millis: Option<i64>,
    /// `LOGOUT_ON_TABS_CLOSED`: the script renews the presence lease.
    pub(crate) presence_lease_millis: Option<i64>,
    /// `SIGN_IN_AGAIN`: the absolute-limit warning offers the password.
    pub(crate) sign_in_again: bool,
    /// `TITLE_COUNTDOWN`.
    pub(crate) title_countdown: bool,
}

/// Attribute text computed once per configuration.
#[derive(Debug, PartialEq)]
pub(crate) struct PreparedAttrs {
    /// ` data-warn-ms=".." data-login-url=".."`
    pub(crate) head: String,
    /// ` data-warn-title=".."`, ... (empty when not configured), as [`TEXT_ATTRS`].
    pub(crate) texts: [String; 4],
    /// ` data-warn-class=".."`
    pub(crate) class: String,
    /// ` data-status-url=".." data-keepalive-url=".." data-client-activity data-stylesheet=".."`:
    /// what needs the endpoints and files an integration serves.
    pub(crate) endpoints: String,
    /// ` src="/prefix/auto-logout.<hash>.js"`
    pub(crate) src: String,
    /// ` data-scope=".."`: which tabs talk to each other.
    pub(crate) scope: String,
    /// ` data-idle-limit-ms=".." data-session-limit-ms=".."`: the configured
    /// limits (each when configured), stated by the tag of every session
    /// without limits of its own. The joined texts below start with it; a
    /// session with its own limits writes them with its numbers and skips
    /// these bytes.
    pub(crate) limits: String,
    /// What follows the remaining times when the page brings no texts of its
    /// own but a nonce: `limits`, `scope`, `head`, `texts`, `class` (then
    /// `endpoints` in the second) and ` nonce="`, joined so a render writes
    /// them at once.
    pub(crate) then_nonce: [String; 2],
    /// The whole rest of an inline tag without a nonce: the same attributes
    /// followed by [`INLINE_END`] (the script text), so the usual inline tag
    /// is two pieces to copy.
    pub(crate) inline_rest: [String; 2],
    /// The whole rest of an external tag without a nonce: the same
    /// attributes with `endpoints`, `src` and `></script>`.
    pub(crate) external_rest: String,
    /// The end of an external tag after a nonce's value: `"`, `src` and `></script>`.
    pub(crate) external_end_after_nonce: String,
}

impl PreparedAttrs {
    pub(crate) fn new(
        configured_limits: Limits,
        warn_before_millis: Option<i64>,
        login_url: Option<&str>,
        endpoint_prefix: &str,
        urls: &Endpoints,
        warning: &WarningTexts,
        extras: Extras<'_>,
    ) -> Self {
        let mut head = String::new();
        if let Some(warn) = warn_before_millis {
            push_attr(&mut head, "data-warn-ms", itoa::Buffer::new().format(warn));
        }
        if let Some(url) = login_url {
            push_attr(&mut head, "data-login-url", url);
        }
        let texts = [
            &warning.title,
            &warning.idle_text,
            &warning.session_text,
            &warning.stay_label,
        ]
        .map(|value| value.as_deref());
        let texts = std::array::from_fn(|i| {
            let mut attr = String::new();
            if let Some(value) = texts[i] {
                push_attr(&mut attr, TEXT_ATTRS[i], value);
            }
            attr
        });
        let mut class = String::new();
        if let Some(value) = &warning.class {
            push_attr(&mut class, "data-warn-class", value);
        }
        let mut endpoints = String::new();
        push_attr(&mut endpoints, "data-status-url", urls.status());
        push_attr(&mut endpoints, "data-keepalive-url", urls.keepalive());
        if extras.client_activity {
            endpoints.push_str(" data-client-activity");
        }
        if let Some(url) = extras.stylesheet_url {
            push_attr(&mut endpoints, "data-stylesheet", url);
        }
        if let Some(lock) = extras.lock_after_millis {
            push_attr(
                &mut endpoints,
                "data-lock-ms",
                itoa::Buffer::new().format(lock),
            );
            push_attr(
                &mut endpoints,
                "data-unlock-url",
                urls.url(super::Endpoint::Unlock),
            );
        }
        if let Some(lease) = extras.presence_lease_millis {
            push_attr(
                &mut endpoints,
                "data-presence-ms",
                itoa::Buffer::new().format(lease),
            );
        }
        if extras.sign_in_again {
            push_attr(
                &mut endpoints,
                "data-reauthenticate-url",
                urls.url(super::Endpoint::Reauthenticate),
            );
        }
        if extras.title_countdown {
            endpoints.push_str(" data-title-countdown");
        }
        let mut src = String::new();
        push_attr(&mut src, "src", urls.script());
        let mut scope = String::new();
        push_attr(
            &mut scope,
            "data-scope",
            &scope_of(endpoint_prefix, login_url),
        );
        let mut limits = String::new();
        for (name, value) in [
            (LIMIT_ATTRS[0], configured_limits.idle_millis),
            (LIMIT_ATTRS[1], configured_limits.session_millis),
        ] {
            if let Some(value) = value {
                push_attr(&mut limits, name, itoa::Buffer::new().format(value));
            }
        }
        let without_endpoints = [limits.as_str(), &scope, &head]
            .into_iter()
            .chain(texts.iter().map(String::as_str))
            .chain([class.as_str()])
            .collect::<String>();
        let with_endpoints = format!("{without_endpoints}{endpoints}");
        let external_rest = format!("{with_endpoints}{src}></script>");
        let external_end_after_nonce = format!("\"{src}></script>");
        let after_numbers = [without_endpoints, with_endpoints];
        let then_nonce = after_numbers
            .each_ref()
            .map(|attrs| format!("{attrs} nonce=\""));
        let inline_rest = after_numbers.map(|attrs| attrs + INLINE_END);
        PreparedAttrs {
            head,
            texts,
            class,
            endpoints,
            src,
            scope,
            limits,
            then_nonce,
            inline_rest,
            external_rest,
            external_end_after_nonce,
        }
    }
}

/// The tabs' channel scope: 8 hex digits of a hash of the endpoint prefix and the
/// login URL, so two apps on one origin (each with its own prefix) keep apart.
/// Not a secret: any page of the origin can read it from the tag; the script
/// checks what it hears anyway.
fn scope_of(endpoint_prefix: &str, login_url: Option<&str>) -> String {
    let mut bytes = Vec::with_capacity(endpoint_prefix.len() + 1 + login_url.map_or(0, str::len));
    bytes.extend_from_slice(endpoint_prefix.as_bytes());
    // A separator no path contains, so ("/a", "b") and ("/ab", "") differ.
    bytes.push(0);
    bytes.extend_from_slice(login_url.unwrap_or_default().as_bytes());
    format!("{:08x}", assets::fnv1a(&bytes) >> 32)
}

/// Appends ` name="value"` with the value escaped for a double-quoted attribute.
pub(crate) fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attr(value, out);
    out.push('"');
}

/// Escapes `& < > " '` so a value can neither end its attribute nor its tag.
/// (U+2028/U+2029 are plain characters in HTML attributes; the script reads
/// values through `dataset`, never by evaluating them.)
fn escape_attr(value: &str, out: &mut String) {
    // Writing into a String cannot fail.
    let _ = write_escaped(value, out);
}

/// [`escape_attr`] into any writer, in runs between the escaped characters,
/// allocating nothing.
pub(crate) fn write_escaped<W: fmt::Write + ?Sized>(value: &str, out: &mut W) -> fmt::Result {
    let mut start = 0;
    for (i, b) in value.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            // An HTML parser reads a raw CR (or CRLF) as LF; the reference keeps it.
            b'\r' => "&#13;",
            // NUL cannot be carried by HTML at all: a parser reads it, raw or as
            // `&#0;`, as U+FFFD. Write that explicitly, so what the script reads is
            // what the tag says.
            b'\0' => "&#xFFFD;",
            _ => continue,
        };
        out.write_str(&value[start..i])?;
        out.write_str(entity)?;
        start = i + 1;
    }
    out.write_str(&value[start..])
}

/// The end of an inline tag after a nonce's value: its closing quote, then the
/// script text (the same bytes as [`assets::SCRIPT`], a test checks it)
/// between `>` and `</script>`, one piece to copy.
pub(crate) const INLINE_END_AFTER_NONCE: &str = concat!(
    "\">",
    include_str!("../../assets/auto-logout.min.js"),
    "</script>"
);

/// The end of an inline tag without a nonce: [`INLINE_END_AFTER_NONCE`]
/// without the quote.
pub(crate) const INLINE_END: &str = INLINE_END_AFTER_NONCE.split_at(1).1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_return_and_nul_survive_an_html_parser() {
        let mut out = String::new();
        escape_attr("a\r\nb\0c\"<", &mut out);
        // A parser turns a raw CR into LF and NUL into U+FFFD; references keep CR,
        // and NUL is written as the U+FFFD it would become anyway.
        assert_eq!(out, "a&#13;\nb&#xFFFD;c&quot;&lt;");
    }

    #[test]
    fn attribute_escaping() {
        let mut out = String::new();
        escape_attr("a&b<c>d\"e'f\u{2028}", &mut out);
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&#39;f\u{2028}");
    }

    #[test]
    fn the_inline_end_is_the_shipped_script() {
        assert_eq!(INLINE_END, format!(">{}</script>", assets::SCRIPT));
        assert_eq!(
            INLINE_END_AFTER_NONCE,
            format!("\">{}</script>", assets::SCRIPT)
        );
    }
}
