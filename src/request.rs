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

use crate::config::{Config, has_clean_segments, is_same_origin_path};
use crate::decision::{Activity, ExpiryReason, RequestOutcome};

/// The header that marks a request as passive (value `1`), e.g. for polling.
pub const PASSIVE_HEADER: &str = "x-auto-logout-passive";

/// The header `keepalive` requires (value `1`): a cross-site form cannot set it,
/// and a cross-site `fetch` that sets it must pass CORS first.
pub const KEEPALIVE_HEADER: &str = "x-auto-logout";

/// The header of the client script's `keepalive` for input in the page
/// (`CLIENT_ACTIVITY`): how long ago, in whole milliseconds, the user's last
/// input in any tab was ([`input_age_millis`], [`keepalive_activity`]).
/// Sent only with [`KEEPALIVE_HEADER`], which a cross-site page cannot set
/// without passing CORS first; and a made-up age can only end the session
/// sooner ([`Activity::Earlier`]).
pub const INPUT_AGE_HEADER: &str = "x-auto-logout-input-age";

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
    /// subresources the browser loads by itself (`Sec-Fetch-Dest` of
    /// `image`, `style`, `script`, `font` and the like, e.g. the automatic
    /// `/favicon.ico`): the page or `fetch` that caused them is the activity;
    /// and, unless `ACTIVITY_NEEDS_USER` is `false`, requests the browser says
    /// the user did not make ([`made_by_user`]).
    ///
    /// The decision is taken before the handler runs, so it does not depend
    /// on the answer: a `404` or `405` to a request the user made (a stale
    /// bookmark, a link to a removed page) counts, as the user did act; the
    /// same answer to a request another site made the browser send does not,
    /// because of who made it.
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
            || (self.activity_needs_user() && !made_by_user(&header))
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

    /// The crate's own endpoints that never count as activity: `status`, the
    /// script file and the stylesheet file. (`keepalive` is activity by design.)
    /// Only these: any other path under `ENDPOINT_PREFIX` (say the app's own
    /// API under `/api/`) counts like every other request.
    fn is_own_passive_path(&self, path: &str) -> bool {
        path == self.script_url()
            || path == self.stylesheet_url()
            || path
                .strip_prefix(self.endpoint_prefix())
                .is_some_and(|rest| rest == "status")
    }
}

/// The milliseconds an [`INPUT_AGE_HEADER`] value states: a plain decimal
/// integer (ASCII digits only, surrounding whitespace ignored); one beyond
/// `u32::MAX` (about 49 days, longer than any honest age) is read as
/// `u32::MAX`. Anything else (empty, a sign, a fraction, an exponent, other
/// characters) is `None`: the header is ignored. Never panics.
///
/// ```
/// use auto_logout::request::input_age_millis;
///
/// assert_eq!(input_age_millis("1500"), Some(1500));
/// assert_eq!(input_age_millis("99999999999999999999"), Some(u32::MAX));
/// assert_eq!(input_age_millis("-5"), None);
/// assert_eq!(input_age_millis("1e3"), None);
/// ```
pub fn input_age_millis(value: &str) -> Option<u32> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only digits: the one error left is overflow.
    Some(digits.parse().unwrap_or(u32::MAX))
}

/// The activity of a `keepalive` request: `activity` (from
/// [`Config::activity_of`]) as it is, unless it counts and the request says
/// how long ago the user's input was ([`INPUT_AGE_HEADER`]): then the
/// activity is that input's, [`Activity::Earlier`]. A passive keepalive
/// (say, one another site made the browser send) stays passive.
///
/// ```
/// use auto_logout::Activity;
/// use auto_logout::request::keepalive_activity;
///
/// let header = |name: &str| (name == "x-auto-logout-input-age").then_some("2500");
/// assert_eq!(
///     keepalive_activity(Activity::Counts, header),
///     Activity::Earlier { millis_ago: 2500 }
/// );
/// assert_eq!(keepalive_activity(Activity::Passive, header), Activity::Passive);
/// assert_eq!(keepalive_activity(Activity::Counts, |_: &str| None), Activity::Counts);
/// ```
pub fn keepalive_activity<'h>(
    activity: Activity,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Activity {
    if activity != Activity::Counts {
        return activity;
    }
    match header(INPUT_AGE_HEADER).and_then(input_age_millis) {
        Some(millis_ago) => Activity::Earlier { millis_ago },
        None => activity,
    }
}

/// Whether the browser says the user made this request, from its
/// [Fetch Metadata](https://www.w3.org/TR/fetch-metadata/) headers:
///
/// | `Sec-Fetch-Site` | made by the user |
/// |---|---|
/// | `same-origin` (a page of this site, its scripts) | yes |
/// | `none` (typed URL, bookmark, new tab) | yes |
/// | `same-site` (a sibling subdomain), `cross-site` | only a navigation (`Sec-Fetch-Mode: navigate`) with `Sec-Fetch-User: ?1`: the user clicked a link there |
/// | any other value | no, as `cross-site` |
/// | absent (other clients, browsers before Fetch Metadata, plain `http` to a host other than `localhost`) | yes, as before |
///
/// Browsers set these headers themselves and page scripts cannot change
/// them, so another site can neither claim a request for the user nor hide
/// where one came from. A client that sends no such headers is not a browser
/// page acting behind the user's back, so its requests count.
///
/// ```
/// use auto_logout::request::made_by_user;
///
/// let headers = |pairs: &'static [(&'static str, &'static str)]| {
///     move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
/// };
/// assert!(made_by_user(headers(&[("sec-fetch-site", "same-origin")])));
/// assert!(made_by_user(headers(&[])));
/// // A popup another site re-navigates every 30 s.
/// assert!(!made_by_user(headers(&[("sec-fetch-site", "cross-site"), ("sec-fetch-mode", "navigate")])));
/// // A link the user clicked on another site.
/// assert!(made_by_user(headers(&[
///     ("sec-fetch-site", "cross-site"),
///     ("sec-fetch-mode", "navigate"),
///     ("sec-fetch-user", "?1"),
/// ])));
/// ```
pub fn made_by_user<'h>(header: impl Fn(&str) -> Option<&'h str>) -> bool {
    let Some(site) = header("sec-fetch-site") else {
        return true;
    };
    let site = site.trim();
    if site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none") {
        return true;
    }
    header("sec-fetch-mode").is_some_and(|v| v.trim().eq_ignore_ascii_case("navigate"))
        && header("sec-fetch-user").is_some_and(|v| v.trim() == "?1")
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
/// no `//` or `/\` (both read as another host by browsers), no control
/// characters, and no `.`, `..` or empty segment: `/.//evil.example` stays on
/// the site in a browser, but an app that tidies the path before redirecting
/// would turn it into `//evil.example`.
pub fn safe_next(next: &str) -> Option<&str> {
    (is_same_origin_path(next) && has_clean_segments(next)).then_some(next)
}

/// The `401` body for an expired fetch/XHR: `{"error":"session_expired","reason":"idle"}`.
pub fn expired_json(reason: ExpiryReason) -> String {
    serde_json::json!({"error": "session_expired", "reason": reason.as_str()}).to_string()
}

/// [`expired_json`] with the login location the page should go to (from
/// [`expired_login_location`]) in a `login` field:
/// `{"error":"session_expired","login":"/login?next=%2Forders","reason":"idle"}`.
/// Application code leaves with one line:
/// `if (r.status === 401) { const b = await r.json(); if (b.login) location.assign(b.login); }`
pub fn expired_json_with_login(reason: ExpiryReason, login: &str) -> String {
    serde_json::json!({"error": "session_expired", "reason": reason.as_str(), "login": login})
        .to_string()
}

/// The request header that names the page an expired request was made from,
/// for each [`Answer`]: `HX-Current-URL` (sent by htmx 2 and 4) for
/// [`Answer::HtmxRedirect`], `Referer` for [`Answer::Unauthorized`] (a
/// same-origin `fetch` sends the page's full URL under the default referrer
/// policy), none for a page navigation (the request is the page).
pub fn page_url_header(answer: Answer) -> Option<&'static str> {
    match answer {
        Answer::Redirect => None,
        Answer::HtmxRedirect => Some("hx-current-url"),
        Answer::Unauthorized => Some("referer"),
    }
}

/// The path and query of `url` when `url` is an absolute `http`/`https` URL on
/// `host` (the request's `Host`, compared byte for byte up to ASCII case, port
/// included) and that path is a same-site path for [`safe_next`]; `None`
/// otherwise. The fragment is dropped; an empty path is `/`.
///
/// Strict on purpose, since `None` only means "use the fallback": anything but
/// printable ASCII (tabs, newlines, spaces, Unicode hosts — browsers send IDN
/// hosts as `xn--` ASCII), a backslash anywhere, userinfo (`http://good@evil/`),
/// a protocol-relative or scheme-less URL, or a port that is written
/// differently from `Host` gives `None`.
///
/// ```
/// use auto_logout::request::page_path;
///
/// assert_eq!(page_path("http://shop.example/orders?page=2#top", "shop.example"), Some("/orders?page=2"));
/// assert_eq!(page_path("https://shop.example:8443", "shop.example:8443"), Some("/"));
/// assert_eq!(page_path("https://evil.example/orders", "shop.example"), None);
/// assert_eq!(page_path("http://shop.example@evil.example/", "shop.example"), None);
/// assert_eq!(page_path("//shop.example/orders", "shop.example"), None);
/// ```
pub fn page_path<'u>(url: &'u str, host: &str) -> Option<&'u str> {
    if url.len() > 4096 || !url.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = host.trim();
    if authority.is_empty()
        || authority.contains('@')
        || !host.bytes().all(|b| b.is_ascii_graphic())
        || !authority.eq_ignore_ascii_case(host)
    {
        return None;
    }
    let path = path.split('#').next().unwrap_or_default();
    if path.is_empty() {
        return Some("/");
    }
    safe_next(path)
}

/// What to use as `next` for an expired request answered with `answer`
/// ([`answer_expired`]), whose own path and query is `path_and_query`:
///
/// - a page navigation: its own path;
/// - htmx: the page from `HX-Current-URL` ([`page_path`] against `Host`),
///   else the htmx request's own path;
/// - `fetch`/XHR: the page from `Referer`, else nothing (the request's own
///   path is an API, no place to send a user back to).
///
/// `header` must answer `"host"` with the request's authority (the `Host`
/// header; for HTTP/2 the `:authority`). Behind a proxy that rewrites `Host`,
/// the page never matches and the fallback is used. The result is always a
/// path on this site or `None`, whatever the headers say.
pub fn expired_next<'a>(
    answer: Answer,
    path_and_query: &'a str,
    header: impl Fn(&str) -> Option<&'a str>,
) -> Option<&'a str> {
    let page = page_url_header(answer)
        .and_then(|name| Some((header(name)?, header("host")?)))
        .and_then(|(url, host)| page_path(url, host));
    match answer {
        Answer::Unauthorized => page,
        Answer::Redirect | Answer::HtmxRedirect => page.or_else(|| safe_next(path_and_query)),
    }
}

/// Where an expired request sends the user when `LOGIN_URL` is set:
/// `login_url?next=<`[`expired_next`]`>`, or `login_url` alone when there is
/// no safe `next`. For [`Answer::Redirect`] the `Location`, for
/// [`Answer::HtmxRedirect`] the `HX-Redirect`, for [`Answer::Unauthorized`]
/// the `login` field of [`expired_json_with_login`].
///
/// ```
/// use auto_logout::request::{Answer, expired_login_location};
///
/// let headers = [("host", "shop.example"), ("hx-current-url", "http://shop.example/orders")];
/// let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
/// assert_eq!(
///     expired_login_location("/login", Answer::HtmxRedirect, "/orders/table", header),
///     "/login?next=%2Forders"
/// );
/// ```
pub fn expired_login_location<'a>(
    login_url: &str,
    answer: Answer,
    path_and_query: &'a str,
    header: impl Fn(&str) -> Option<&'a str>,
) -> String {
    match expired_next(answer, path_and_query, header) {
        Some(next) => login_location(login_url, next),
        None => login_url.to_owned(),
    }
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

/// The `status` and `keepalive` answer for a session that a logout hook sent
/// elsewhere: `{"active":false,"reason":..,"login":<location>}`. The client
/// script goes to `login` instead of `LOGIN_URL`.
pub fn gone_json_with_login(reason: ExpiryReason, login: &str) -> String {
    serde_json::json!({"active": false, "reason": reason.as_str(), "login": login}).to_string()
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

    /// Every combination of the Fetch Metadata headers a request can carry
    /// (and a few no browser sends), with and without `ACTIVITY_NEEDS_USER`.
    #[test]
    fn only_requests_the_user_made_count() {
        let strict = Config::builder().idle_time(60).build().unwrap();
        assert!(strict.activity_needs_user(), "the default");
        let django = Config::builder()
            .idle_time(60)
            .activity_needs_user(false)
            .build()
            .unwrap();
        let sites = [
            None,
            Some("same-origin"),
            Some("none"),
            Some("same-site"),
            Some("cross-site"),
            Some("Same-Origin"),
            Some(" none "),
            Some("other"),
            Some(""),
        ];
        let modes = [
            None,
            Some("navigate"),
            Some("no-cors"),
            Some("cors"),
            Some("same-origin"),
            Some("websocket"),
            Some("NAVIGATE"),
        ];
        let users = [None, Some("?1"), Some("?0"), Some("1"), Some("?1 ")];
        let mut checked = 0;
        for site in sites {
            for mode in modes {
                for user in users {
                    let pairs: Vec<(&str, &str)> = [
                        ("sec-fetch-site", site),
                        ("sec-fetch-mode", mode),
                        ("sec-fetch-user", user),
                    ]
                    .into_iter()
                    .filter_map(|(n, v)| Some((n, v?)))
                    .collect();
                    let site = site.map(|s| s.trim().to_ascii_lowercase());
                    let from_user = match site.as_deref() {
                        None | Some("same-origin") | Some("none") => true,
                        // same-site, cross-site and values no browser sends
                        Some(_) => {
                            mode.is_some_and(|m| m.eq_ignore_ascii_case("navigate"))
                                && user.is_some_and(|u| u.trim() == "?1")
                        }
                    };
                    assert_eq!(made_by_user(headers(&pairs)), from_user, "{pairs:?}");
                    let expected = if from_user {
                        Activity::Counts
                    } else {
                        Activity::Passive
                    };
                    for method in ["GET", "POST"] {
                        assert_eq!(
                            strict.activity_of(method, "/orders", headers(&pairs)),
                            expected,
                            "{method} {pairs:?}"
                        );
                        assert_eq!(
                            django.activity_of(method, "/orders", headers(&pairs)),
                            Activity::Counts,
                            "ACTIVITY_NEEDS_USER false: {method} {pairs:?}"
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, sites.len() * modes.len() * users.len());
    }

    /// The rows of the issue, as a browser sends them.
    #[test]
    fn browser_requests_another_site_makes_are_passive() {
        let c = Config::builder().idle_time(60).build().unwrap();
        let a = |h: &[(&str, &str)]| c.activity_of("GET", "/orders", headers(h));
        let nav = |site| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
            ]
        };
        let clicked = |site| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "document"),
                ("sec-fetch-user", "?1"),
            ]
        };
        // A popup another site re-navigates: no user activation.
        assert_eq!(a(&nav("cross-site")), Activity::Passive);
        assert_eq!(a(&nav("same-site")), Activity::Passive);
        // A link the user clicked on another site.
        assert_eq!(a(&clicked("cross-site")), Activity::Counts);
        assert_eq!(a(&clicked("same-site")), Activity::Counts);
        // The site's own pages, reloads, typed URLs and bookmarks.
        assert_eq!(a(&nav("same-origin")), Activity::Counts);
        assert_eq!(a(&nav("none")), Activity::Counts);
        assert_eq!(a(&clicked("none")), Activity::Counts);
        // fetch(no-cors) from a sibling subdomain, and from anywhere else.
        let fetch = |site, mode| {
            [
                ("sec-fetch-site", site),
                ("sec-fetch-mode", mode),
                ("sec-fetch-dest", "empty"),
            ]
        };
        assert_eq!(a(&fetch("same-site", "no-cors")), Activity::Passive);
        assert_eq!(a(&fetch("cross-site", "no-cors")), Activity::Passive);
        assert_eq!(a(&fetch("cross-site", "cors")), Activity::Passive);
        assert_eq!(a(&fetch("same-origin", "cors")), Activity::Counts);
        assert_eq!(a(&fetch("same-origin", "same-origin")), Activity::Counts);
        // A cross-site frame of one of our pages, and a form another site posts.
        assert_eq!(
            a(&[
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "navigate"),
                ("sec-fetch-dest", "iframe"),
            ]),
            Activity::Passive
        );
        assert_eq!(
            c.activity_of(
                "POST",
                "/orders",
                headers(&[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate")
                ])
            ),
            Activity::Passive
        );
        // Other clients and old browsers: as before.
        assert_eq!(a(&[]), Activity::Counts);
        assert_eq!(a(&[("sec-fetch-mode", "no-cors")]), Activity::Counts);
        // A user's click does not make the other passive rules count.
        let mut prefetch = clicked("cross-site").to_vec();
        prefetch.push(("sec-purpose", "prefetch"));
        assert_eq!(a(&prefetch), Activity::Passive);
        assert_eq!(
            c.activity_of("HEAD", "/orders", headers(&clicked("none"))),
            Activity::Passive
        );
        assert_eq!(
            c.activity_of(
                "GET",
                "/auto-logout/status",
                headers(&fetch("same-origin", "cors"))
            ),
            Activity::Passive
        );
    }

    /// `ACTIVITY_NEEDS_USER: false` brings back "every request counts", and
    /// leaves the other passive rules as they are.
    #[test]
    fn the_fallback_counts_what_another_site_makes_the_browser_send() {
        let c = Config::from_json(r#"{"IDLE_TIME": 60, "activity_needs_user": false}"#).unwrap();
        assert!(!c.activity_needs_user());
        for site in ["cross-site", "same-site", "bogus"] {
            let h = [("sec-fetch-site", site), ("sec-fetch-mode", "no-cors")];
            assert_eq!(c.activity_of("GET", "/", headers(&h)), Activity::Counts);
            assert_eq!(c.activity_of("HEAD", "/", headers(&h)), Activity::Passive);
            let image = [("sec-fetch-site", site), ("sec-fetch-dest", "image")];
            assert_eq!(
                c.activity_of("GET", "/", headers(&image)),
                Activity::Passive
            );
        }
        let on = Config::from_json(r#"{"IDLE_TIME": 60, "ACTIVITY_NEEDS_USER": true}"#).unwrap();
        assert!(on.activity_needs_user());
        assert_eq!(on, Config::builder().idle_time(60).build().unwrap());
        assert_ne!(on, c);
    }

    #[test]
    fn the_fallback_key_is_a_boolean() {
        for bad in [r#""false""#, "0", "null", "[]"] {
            let e = Config::from_json(&format!(
                r#"{{"IDLE_TIME": 60, "ACTIVITY_NEEDS_USER": {bad}}}"#
            ))
            .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("ACTIVITY_NEEDS_USER = {bad} is not allowed: expected true or false")
            );
        }
        let e = Config::from_json(r#"{"ACTIVITY_NEEDS_USER": false, "activity_needs_user": true}"#)
            .unwrap_err();
        assert!(e.to_string().contains("ACTIVITY_NEEDS_USER"), "{e}");
        let e = Config::from_json(r#"{"ACTIVITY_NEEDS_USERS": false}"#).unwrap_err();
        assert!(e.to_string().contains("ACTIVITY_NEEDS_USER"), "{e}");
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
            "/.//evil.example",
            "/a/../..//evil.example",
            "/%2e%2e//evil.example",
            "/a//b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
            assert_eq!(login_location("/login", bad), "/login");
        }
    }

    #[test]
    fn only_the_crates_own_endpoints_are_passive() {
        let c = Config::builder()
            .idle_time(60)
            .endpoint_prefix("/api/")
            .build()
            .unwrap();
        let p = |m, path: &str| c.activity_of(m, path, headers(&[]));
        assert_eq!(p("GET", "/api/status"), Activity::Passive);
        assert_eq!(p("GET", c.script_url()), Activity::Passive);
        assert_eq!(p("GET", c.stylesheet_url()), Activity::Passive);
        assert_eq!(p("POST", "/api/keepalive"), Activity::Counts);
        // The app's own API under the same prefix counts.
        for path in [
            "/api/orders",
            "/api/status/x",
            "/api/statusx",
            "/api/",
            "/api/auto-logout.js",
        ] {
            assert_eq!(p("GET", path), Activity::Counts, "{path}");
            assert_eq!(p("POST", path), Activity::Counts, "{path}");
        }
    }

    const HOST: &str = "shop.example:8080";

    #[test]
    fn page_path_accepts_the_own_host_only() {
        let ok = |url| page_path(url, HOST);
        assert_eq!(ok("http://shop.example:8080/orders"), Some("/orders"));
        assert_eq!(
            ok("https://shop.example:8080/a?b=c&d=%2F"),
            Some("/a?b=c&d=%2F")
        );
        assert_eq!(ok("HTTP://SHOP.example:8080/x#frag"), Some("/x"));
        assert_eq!(ok("http://shop.example:8080"), Some("/"));
        assert_eq!(ok("http://shop.example:8080#f"), Some("/"));
        assert_eq!(
            ok("http://shop.example:8080/%2F%2Fevil.example"),
            Some("/%2F%2Fevil.example")
        );
        assert_eq!(page_path("http://[::1]:3000/p", "[::1]:3000"), Some("/p"));
        assert_eq!(
            page_path("http://xn--bcher-kva.example/p", "xn--bcher-kva.example"),
            Some("/p")
        );
        assert_eq!(
            page_path("http://shop.example/p", " shop.example "),
            Some("/p")
        );
    }

    #[test]
    fn page_path_refuses_hostile_urls() {
        for bad in [
            // another host, or the own host as a prefix or suffix of another
            "http://evil.example/orders",
            "http://shop.example:8080.evil.example/",
            "http://evil.shop.example:8080/",
            "http://shop.example/orders",
            "http://shop.example:80/orders",
            "http://shop.example:08080/orders",
            // userinfo
            "http://shop.example:8080@evil.example/",
            "http://user@shop.example:8080/",
            "http://shop.example:8080:x@evil.example/",
            // protocol-relative, scheme-less, other schemes
            "//shop.example:8080/orders",
            "/orders",
            "orders",
            "shop.example:8080/orders",
            "javascript://shop.example:8080/%0aalert(1)",
            "ftp://shop.example:8080/",
            "http:/shop.example:8080/",
            "http:shop.example:8080/",
            "http:///shop.example:8080/",
            // a path that browsers read as another host
            "http://shop.example:8080//evil.example/",
            "http://shop.example:8080/\\evil.example/",
            "http://shop.example:8080\\@evil.example/",
            "http:\\\\shop.example:8080/",
            // whitespace and control characters, which URL parsers drop or keep
            "http://shop.example:8080/a\tb",
            "http://shop.example:8080/a\nb",
            "http://shop.example:8080/a\rb",
            "http://shop.\texample:8080/",
            "http://shop.example:8080/a b",
            "http://shop.example:8080/\u{0}",
            " http://shop.example:8080/",
            "http://shop.example:8080/\u{7f}",
            // encoded hosts and Unicode
            "http://shop%2Eexample:8080/",
            "http://%73hop.example:8080/",
            "http://shop.example:8080/caf\u{e9}",
            "http://b\u{fc}cher.example/",
            "http://shop\u{3002}example:8080/",
            "",
            "http://",
        ] {
            assert_eq!(page_path(bad, HOST), None, "{bad:?}");
        }
        // A Host that is itself odd matches nothing.
        assert_eq!(page_path("http://a b/", "a b"), None);
        assert_eq!(page_path("http:///x", ""), None);
        assert_eq!(
            page_path("http://b\u{fc}cher.example/", "b\u{fc}cher.example"),
            None
        );
        let long = format!("http://{HOST}/{}", "a".repeat(5000));
        assert_eq!(page_path(&long, HOST), None);
    }

    #[test]
    fn expired_requests_go_back_to_their_page() {
        let login = |answer, h: &[(&str, &str)]| {
            expired_login_location("/login", answer, "/orders/rows?p=2", headers(h))
        };
        let page = [
            ("host", HOST),
            ("hx-current-url", "http://shop.example:8080/orders?p=2"),
        ];
        assert_eq!(
            login(Answer::HtmxRedirect, &page),
            "/login?next=%2Forders%3Fp%3D2"
        );
        // Spoofed, missing or unusable page URL: the htmx request's own path.
        let fallback = "/login?next=%2Forders%2Frows%3Fp%3D2";
        for h in [
            &[("host", HOST), ("hx-current-url", "http://evil.example/x")][..],
            &[("host", HOST), ("hx-current-url", "//evil.example/x")],
            &[
                ("host", HOST),
                ("hx-current-url", "http://shop.example:8080@evil.example/"),
            ],
            &[
                ("host", HOST),
                ("hx-current-url", "http://shop.example:8080//evil.example/"),
            ],
            &[("host", HOST)],
            &[("hx-current-url", "http://shop.example:8080/orders")],
        ] {
            assert_eq!(login(Answer::HtmxRedirect, h), fallback, "{h:?}");
        }
        // A page navigation is its own page, whatever the headers say.
        let spoof = [
            ("host", HOST),
            ("hx-current-url", "http://shop.example:8080/x"),
            ("referer", "http://shop.example:8080/y"),
        ];
        assert_eq!(login(Answer::Redirect, &spoof), fallback);
        // fetch: the Referer page, else no next at all.
        assert_eq!(login(Answer::Unauthorized, &spoof), "/login?next=%2Fy");
        assert_eq!(
            login(
                Answer::Unauthorized,
                &[("host", HOST), ("referer", "https://evil.example/y")]
            ),
            "/login"
        );
        assert_eq!(login(Answer::Unauthorized, &[("host", HOST)]), "/login");
        assert_eq!(
            expired_json_with_login(ExpiryReason::Idle, "/login?next=%2Fy"),
            r#"{"error":"session_expired","login":"/login?next=%2Fy","reason":"idle"}"#
        );
        // An unsafe own path and no usable page: LOGIN_URL alone.
        assert_eq!(
            expired_login_location(
                "/login",
                Answer::HtmxRedirect,
                "//evil.example",
                headers(&[])
            ),
            "/login"
        );
    }

    #[test]
    fn input_ages_are_plain_decimal_milliseconds() {
        for (value, age) in [
            ("0", Some(0)),
            ("1500", Some(1500)),
            (" 1500 ", Some(1500)),
            ("\t7\t", Some(7)),
            ("007", Some(7)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", Some(u32::MAX)),
            ("99999999999999999999999999999999", Some(u32::MAX)),
        ] {
            assert_eq!(input_age_millis(value), age, "{value:?}");
        }
        for hostile in [
            "",
            " ",
            "-1",
            "-0",
            "+5",
            "1.5",
            "1e3",
            "0x10",
            "1_000",
            "1,000",
            "1 000",
            "NaN",
            "Infinity",
            "null",
            "12ms",
            "\u{663}\u{662}",
            "\u{ff11}",
            "1\u{0}",
            "\u{0}",
            "</script>",
        ] {
            assert_eq!(input_age_millis(hostile), None, "{hostile:?}");
        }
    }

    /// Hostile `X-Auto-Logout-Input-Age` values, listed and random: never a
    /// panic, and the recorded last activity stays between the stored one
    /// and `now`, so no value makes a session last longer than a keepalive
    /// without the header.
    #[test]
    fn no_input_age_extends_a_session_beyond_now() {
        let c = Config::builder().idle_time(60).build().unwrap();
        let stored_at = 1_700_000_000_000;
        let stored = crate::Stamps::new(
            crate::Timestamp::from_unix_millis(stored_at),
            crate::Timestamp::from_unix_millis(stored_at),
        )
        .unwrap()
        .encode();
        let now_ms = stored_at + 30_000;
        let now = crate::Timestamp::from_unix_millis(now_ms);
        let mut values: Vec<String> = [
            "",
            "-30000",
            "-1",
            "-9223372036854775808",
            "18446744073709551616",
            "0",
            "1",
            "29999",
            "30000",
            "30001",
            "NaN",
            "1e300",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        values.push("9".repeat(10_000));
        values.push("-".repeat(10_000));
        // Random strings from a small alphabet of digits and troublemakers.
        let alphabet: Vec<char> = "0123456789-+.eE x\u{0}\u{663}".chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let mut value = String::new();
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for _ in 0..(seed >> 60) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                value.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            values.push(value);
        }
        for value in &values {
            let activity = keepalive_activity(Activity::Counts, |name| {
                (name == INPUT_AGE_HEADER).then_some(value.as_str())
            });
            assert!(activity.counts(), "{value:?}");
            let last = match c.check_request(Some(&stored), now, activity) {
                RequestOutcome::Active { write: Some(s), .. } => s.last_activity_at(),
                RequestOutcome::Active { write: None, .. } => {
                    crate::Timestamp::from_unix_millis(stored_at)
                }
                other => panic!("{value:?}: {other:?}"),
            };
            let last = last.as_unix_millis();
            assert!(
                (stored_at..=now_ms).contains(&last),
                "{value:?}: last activity {last}"
            );
            // As the header says, when it is a plain number within the clamp.
            if let Some(age) = input_age_millis(value)
                && i64::from(age) <= 30_000 - 600
            {
                assert_eq!(last, now_ms - i64::from(age), "{value:?}");
            }
        }
        // Without the header, and for a passive request, the header changes nothing.
        assert_eq!(
            keepalive_activity(Activity::Counts, |_: &str| None),
            Activity::Counts
        );
        assert_eq!(
            keepalive_activity(Activity::Passive, |_: &str| Some("0")),
            Activity::Passive
        );
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
