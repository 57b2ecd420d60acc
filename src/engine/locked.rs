//! How a request of a locked session (`LOCK_AFTER`) is answered: refused by
//! kind (page, `fetch`, htmx) so the lock is never only an overlay, unless it
//! is one of the few requests a locked session may still make.

use std::borrow::Cow;

use super::*;
use crate::config::Config;
use crate::decision::Activity;

/// The JSON body of a refused request: `{"error":"session_locked"}`.
pub const LOCKED_JSON: &str = r#"{"error":"session_locked"}"#;

/// The page a navigation of a locked session gets instead of the page asked
/// for: it shows nothing of the site.
pub const LOCKED_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Session locked</title></head><body><main><h1>Session locked</h1>\
<p>This session was locked after a time without activity. Unlock it in the tab \
where you were working, or sign in again.</p></main></body></html>\n";

/// The event htmx triggers on the page when a request of a locked session is
/// refused (the `HX-Trigger` header), so the page's script can show its lock.
pub const HTMX_LOCKED_EVENT: &str = "auto-logout-locked";

const LOCKED_PAGE_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", "text/html; charset=utf-8"),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
];
const LOCKED_HTMX_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", JSON),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
    h("hx-trigger", HTMX_LOCKED_EVENT),
    // The page keeps what it shows (and what the user typed into it).
    h("hx-reswap", "none"),
];

/// The answer to a request of a locked session, `None` when it goes on:
/// the `status` endpoint (it reports `"locked": true`), passive requests
/// ([`activity_of`]) and the login page (to sign in again). Everything else
/// is refused with `423 Locked`, never cached: a page navigation gets
/// [`LOCKED_PAGE`], `fetch`/XHR and the `keepalive` [`LOCKED_JSON`], htmx
/// the same JSON with `HX-Trigger: auto-logout-locked` and `HX-Reswap: none`.
///
/// ```
/// use auto_logout::{Activity, Config};
/// use auto_logout::engine::{Endpoint, locked_reply};
///
/// let config = Config::builder().idle_time(900).lock_after(300).login_url("/login").build()?;
/// let page = |_: &str| None;
/// let reply = locked_reply(&config, None, Activity::Counts, "/orders", page).unwrap();
/// assert_eq!(reply.status, 423);
/// assert!(!reply.body.contains("orders"));
/// let status = Some(Endpoint::Status);
/// assert!(locked_reply(&config, status, Activity::Passive, "/auto-logout/status", page).is_none());
/// assert!(locked_reply(&config, None, Activity::Counts, "/login", page).is_none());
/// # Ok::<(), auto_logout::ConfigError>(())
/// ```
pub fn locked_reply<'h>(
    config: &Config,
    endpoint: Option<Endpoint>,
    activity: Activity,
    path: &str,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Option<Reply> {
    match endpoint {
        Some(Endpoint::Keepalive) => return Some(Reply::fixed(423, JSON_HEADERS, LOCKED_JSON)),
        Some(_) => return None,
        None => {}
    }
    if activity == Activity::Passive
        || config
            .login_url()
            .is_some_and(|login_url| is_login_page(login_url, path))
    {
        return None;
    }
    Some(match answer_expired(header) {
        Answer::Redirect => Reply {
            status: 423,
            headers: Cow::Borrowed(LOCKED_PAGE_HEADERS),
            body: Cow::Borrowed(LOCKED_PAGE),
        },
        Answer::Unauthorized => Reply::fixed(423, JSON_HEADERS, LOCKED_JSON),
        Answer::HtmxRedirect => Reply::fixed(423, LOCKED_HTMX_HEADERS, LOCKED_JSON),
    })
}
