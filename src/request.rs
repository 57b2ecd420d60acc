//! Request rules shared by the framework integrations, as plain functions:
//! which requests are passive, how an expired request is answered, and a
//! `next` parameter that can never leave the site.
//!
//! ```
//! use auto_logout::{Activity, Answer, Config, ExpiryReason, request};
//!
//! let config = Config::builder().idle_time(600).passive_path("/static/").build()?;
//! let no_headers = |_: &str| None;
//! assert_eq!(config.activity_of("GET", "/static/app.css", no_headers), Activity::Passive);
//! assert_eq!(config.activity_of("HEAD", "/", no_headers), Activity::Passive);
//! assert_eq!(config.activity_of("GET", "/", no_headers), Activity::Counts);
//!
//! // An expired page navigation goes to the login page, with a same-site `next`.
//! assert_eq!(
//!     request::answer_expired(no_headers),
//!     Answer::Redirect,
//! );
//! assert_eq!(request::login_location("/login", "/orders?page=2"), "/login?next=%2Forders%3Fpage%3D2");
//! assert_eq!(request::safe_next("//evil.example/"), None);
//! assert_eq!(
//!     request::expired_json(ExpiryReason::Idle),
//!     r#"{"error":"session_expired","reason":"idle"}"#
//! );
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! Header names are looked up through a closure, so the rules know no HTTP
//! library: each integration passes its own header map.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::{Config, is_same_origin_path};
use crate::decision::{Activity, ExpiryReason, RequestOutcome};

/// The header that marks a request as passive (value `1`), e.g. for polling.
pub const PASSIVE_HEADER: &str = "x-auto-logout-passive";

/// The header `keepalive` requires (value `1`): a cross-site form cannot set it,
/// and a cross-site `fetch` that sets it must pass CORS first.
pub const KEEPALIVE_HEADER: &str = "x-auto-logout";

/// How an integration answers a request whose session just expired, when
/// `LOGIN_URL` is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A page navigation: `303 See Other` to `LOGIN_URL?next=<path>`.
    Redirect,
    /// `fetch`/XHR: `401` with a JSON body ([`expired_json`]).
    Unauthorized,
    /// An htmx request: `HX-Redirect` to the login location.
    HtmxRedirect,
}

impl Config {
    /// Whether a request counts as activity. Passive: the crate's own status
    /// endpoint and files, `HEAD`/`OPTIONS`, prefetch and prerender
    /// (`Sec-Purpose`, `Purpose`), `X-Auto-Logout-Passive: 1`, `PASSIVE_PATHS`,
    /// and subresources the browser loads by itself (`Sec-Fetch-Dest` of
    /// `image`, `style`, `script`, `font` and the like, e.g. the automatic
    /// `/favicon.ico`): the page or `fetch` that caused them is the activity.
    pub fn activity_of<'h>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Activity {
        let passive = method.eq_ignore_ascii_case("HEAD")
            || method.eq_ignore_ascii_case("OPTIONS")
            || header(PASSIVE_HEADER).is_some_and(|v| v.trim() == "1")
            || header("sec-purpose")
                .is_some_and(|v| contains_token(v, "prefetch") || contains_token(v, "prerender"))
            || header("purpose").is_some_and(|v| contains_token(v, "prefetch"))
            || header("sec-fetch-dest").is_some_and(is_subresource)
            || self.is_own_passive_path(path)
            || self
                .passive_paths()
                .iter()
                .any(|p| path.starts_with(p.as_str()));
        if passive {
            Activity::Passive
        } else {
            Activity::Counts
        }
    }

    /// The crate's own endpoints that never count as activity: `status` and the
    /// static files. (`keepalive` is activity by design.)
    fn is_own_passive_path(&self, path: &str) -> bool {
        path.strip_prefix(self.endpoint_prefix())
            .is_some_and(|rest| rest != "keepalive")
    }
}

/// `Sec-Fetch-Dest` values of loads a page triggers without the user:
/// everything but documents (`document`, `iframe`, `frame`...) and script
/// requests (`empty`, the value of `fetch` and XHR).
fn is_subresource(dest: &str) -> bool {
    matches!(
        dest.trim().to_ascii_lowercase().as_str(),
        "image"
            | "style"
            | "script"
            | "font"
            | "manifest"
            | "audio"
            | "video"
            | "track"
            | "worker"
            | "sharedworker"
            | "serviceworker"
            | "xslt"
            | "audioworklet"
            | "paintworklet"
            | "report"
    )
}

fn contains_token(value: &str, token: &str) -> bool {
    value
        .split([',', ';', ' '])
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}

/// How to answer an expired request, from its headers.
pub fn answer_expired<'h>(header: impl Fn(&str) -> Option<&'h str>) -> Answer {
    if header("hx-request").is_some_and(|v| v.trim() == "true") {
        return Answer::HtmxRedirect;
    }
    let xhr = header("x-requested-with").is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    // Browsers send Sec-Fetch-Mode: navigate only for page navigations.
    let fetch = header("sec-fetch-mode").is_some_and(|v| !v.eq_ignore_ascii_case("navigate"));
    let wants_json = header("accept")
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"));
    if xhr || fetch || wants_json {
        Answer::Unauthorized
    } else {
        Answer::Redirect
    }
}

/// Characters kept as they are in a query value; everything else is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `login_url?next=<encoded path>` (or `&next=` when the login URL has a query).
/// A `path_and_query` that is not a same-site path is left out.
pub fn login_location(login_url: &str, path_and_query: &str) -> String {
    let Some(next) = safe_next(path_and_query) else {
        return login_url.to_owned();
    };
    let separator = if login_url.contains('?') { '&' } else { '?' };
    format!(
        "{login_url}{separator}next={}",
        utf8_percent_encode(next, QUERY_VALUE)
    )
}

/// `next` when it is a path on this site, `None` otherwise: no scheme, no host,
/// no `//` or `/\` (both read as another host by browsers), no control characters.
pub fn safe_next(next: &str) -> Option<&str> {
    is_same_origin_path(next).then_some(next)
}

/// The `401` body for an expired fetch/XHR: `{"error":"session_expired","reason":"idle"}`.
pub fn expired_json(reason: ExpiryReason) -> String {
    serde_json::json!({"error": "session_expired", "reason": reason.as_str()}).to_string()
}

/// The JSON body of the `status` and `keepalive` endpoints:
/// `{"active":true,"idle_ms":..,"session_ms":..}` or `{"active":false,"reason":..}`.
pub fn status_json(outcome: &RequestOutcome) -> String {
    match outcome {
        RequestOutcome::Active { remaining, .. } => serde_json::json!({
            "active": true,
            "idle_ms": remaining.idle_millis(),
            "session_ms": remaining.session_millis(),
            "seconds_until_idle_end": remaining.seconds_until_idle_end(),
            "seconds_until_session_end": remaining.seconds_until_session_end(),
        }),
        RequestOutcome::Expired(reason) => {
            serde_json::json!({"active": false, "reason": reason.as_str()})
        }
        RequestOutcome::Untracked => serde_json::json!({"active": false, "reason": null}),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Remaining;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn passive_requests() {
        let c = Config::builder()
            .idle_time(60)
            .passive_path("/health")
            .build()
            .unwrap();
        let p = |m, path, h: &[(&str, &str)]| c.activity_of(m, path, headers(h));
        assert_eq!(p("GET", "/", &[]), Activity::Counts);
        assert_eq!(p("POST", "/auto-logout/keepalive", &[]), Activity::Counts);
        assert_eq!(p("GET", "/auto-logout/status", &[]), Activity::Passive);
        assert_eq!(p("OPTIONS", "/", &[]), Activity::Passive);
        assert_eq!(p("GET", "/healthz", &[]), Activity::Passive);
        assert_eq!(
            p("GET", "/", &[("x-auto-logout-passive", "1")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/", &[("x-auto-logout-passive", "0")]),
            Activity::Counts
        );
        assert_eq!(
            p("GET", "/", &[("sec-purpose", "prefetch;prerender")]),
            Activity::Passive
        );
        assert_eq!(p("GET", "/", &[("purpose", "prefetch")]), Activity::Passive);
        assert_eq!(
            p("GET", "/favicon.ico", &[("sec-fetch-dest", "image")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/app.css", &[("sec-fetch-dest", "style")]),
            Activity::Passive
        );
        assert_eq!(
            p("GET", "/", &[("sec-fetch-dest", "document")]),
            Activity::Counts
        );
        assert_eq!(
            p("POST", "/api", &[("sec-fetch-dest", "empty")]),
            Activity::Counts
        );
    }

    #[test]
    fn answers() {
        assert_eq!(answer_expired(headers(&[])), Answer::Redirect);
        assert_eq!(
            answer_expired(headers(&[("sec-fetch-mode", "navigate")])),
            Answer::Redirect
        );
        assert_eq!(
            answer_expired(headers(&[("sec-fetch-mode", "cors")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[("x-requested-with", "XMLHttpRequest")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[("accept", "application/json")])),
            Answer::Unauthorized
        );
        assert_eq!(
            answer_expired(headers(&[
                ("hx-request", "true"),
                ("sec-fetch-mode", "cors")
            ])),
            Answer::HtmxRedirect
        );
    }

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(login_location("/login", "/a b"), "/login");
        assert_eq!(login_location("/login?x=1", "/a"), "/login?x=1&next=%2Fa");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\u{0}",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
            assert_eq!(login_location("/login", bad), "/login");
        }
    }

    #[test]
    fn status_bodies() {
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1500), None),
            write: None,
        };
        assert_eq!(
            status_json(&active),
            r#"{"active":true,"idle_ms":1500,"seconds_until_idle_end":2,"seconds_until_session_end":0,"session_ms":null}"#
        );
        assert_eq!(
            status_json(&RequestOutcome::Expired(ExpiryReason::Session)),
            r#"{"active":false,"reason":"session"}"#
        );
        assert_eq!(
            status_json(&RequestOutcome::Untracked),
            r#"{"active":false,"reason":null}"#
        );
    }
}
