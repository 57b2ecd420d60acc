//! How a request whose session expired is answered: by kind (page,
//! `fetch`, htmx), with a `next` that never leaves the site.

use std::borrow::Cow;

use super::*;
use crate::config::{Config, has_clean_segments, is_same_origin_path};
use crate::decision::ExpiryReason;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

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
/// use auto_logout::engine::page_path;
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
/// use auto_logout::engine::{Answer, expired_login_location};
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

/// `true` when `path` is the path of `LOGIN_URL` (its query left out): an
/// expired request for the login page goes on, so the page shows the message.
pub fn is_login_page(login_url: &str, path: &str) -> bool {
    let login_path = login_url.split('?').next().unwrap_or(login_url);
    path == login_path
}

/// `true` when the message of an expiry seen by this request is for the page
/// the request goes on to, and is therefore not flashed: the request is for
/// the login page itself (`LOGIN_URL` set), which is served (see
/// [`expired_reply`]) and shows the message from
/// [`PageContext::expiry_message`](crate::page::PageContext::expiry_message).
/// Every other expiry's message is flashed, for the page the user sees next.
///
/// One rule for every integration, whatever its flash messages do: a flash
/// queued on the login page's own request would show on this page in some
/// setups and on the page after the next login in others; shown by the page
/// itself it shows once, at once. Without `LOGIN_URL` no request is known to
/// be the login page, so the message is always flashed, and the app's login
/// page shows it from its flash messages.
///
/// ```
/// use auto_logout::Config;
/// use auto_logout::engine::page_shows_expiry_message;
///
/// let config = Config::builder().idle_time(600).login_url("/login?lang=en").build()?;
/// assert!(page_shows_expiry_message(&config, "/login"));
/// assert!(!page_shows_expiry_message(&config, "/orders"));
/// let no_login_url = Config::builder().idle_time(600).build()?;
/// assert!(!page_shows_expiry_message(&no_login_url, "/login"));
/// # Ok::<(), auto_logout::ConfigError>(())
/// ```
pub fn page_shows_expiry_message(config: &Config, path: &str) -> bool {
    config
        .login_url()
        .is_some_and(|login_url| is_login_page(login_url, path))
}

/// The answer to a request whose session expired in this very request, when
/// `LOGIN_URL` is set and the request is not for the login page (else `None`:
/// the request goes on as anonymous).
///
/// By kind ([`answer_expired`]): a page navigation gets `303` to the
/// login location; `fetch`/XHR a `401` JSON body that also names the login
/// location; htmx `200` with `HX-Redirect` (htmx acts on it whatever the
/// status, and `200` keeps it away from error handlers). The login location
/// comes from [`expired_login_location`]. Every answer is
/// `Cache-Control: no-store`.
pub fn expired_reply<'h>(
    config: &Config,
    reason: ExpiryReason,
    path: &str,
    path_and_query: &'h str,
    header: impl Fn(&str) -> Option<&'h str> + Copy,
) -> Option<Reply> {
    let login_url = config.login_url()?;
    if is_login_page(login_url, path) {
        return None;
    }
    let answer = answer_expired(header);
    let login = expired_login_location(login_url, answer, path_and_query, header);
    Some(match answer {
        Answer::Redirect => Reply {
            status: 303,
            headers: Cow::Owned(vec![
                ("location", Cow::Owned(login)),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        },
        Answer::Unauthorized => Reply {
            status: 401,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(expired_json_with_login(reason, &login)),
        },
        Answer::HtmxRedirect => Reply {
            status: 200,
            headers: Cow::Owned(vec![
                ("hx-redirect", Cow::Owned(login)),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        },
    })
}
