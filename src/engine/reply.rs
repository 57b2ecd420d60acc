//! The crate's own answers, in no framework's types: [`Reply`], its
//! header values and bodies, the JSON of the endpoints.

use std::borrow::Cow;

use crate::decision::{Activity, ExpiryReason, Remaining, RequestOutcome};

/// A header value of a [`Reply`]: borrowed for the fixed ones, owned for a
/// computed `Location`.
pub type HeaderText = Cow<'static, str>;

/// An answer of the crate itself, in no framework's types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Cow<'static, [(&'static str, HeaderText)]>,
    /// The body (empty for redirects).
    pub body: Cow<'static, str>,
}

impl Reply {
    /// The value of the header `name` (lower case), if the reply has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// `503` with a text saying the session store failed. Answered instead of
    /// a page whenever the session cannot be read or written, so no page is
    /// ever served as if logged in while the store is down.
    pub const fn store_failed() -> Reply {
        Reply::fixed(503, PLAIN_HEADERS, STORE_FAILED)
    }

    /// `500` with `text`, which tells the developer which session middleware
    /// is missing (each framework names its own).
    pub const fn missing_session(text: &'static str) -> Reply {
        Reply::fixed(500, PLAIN_HEADERS, text)
    }

    /// `500` with `text`, which tells the developer what is set up wrong
    /// (answered instead of a page that could not be served safely).
    pub const fn misconfigured(text: &'static str) -> Reply {
        Reply::fixed(500, PLAIN_HEADERS, text)
    }

    /// The JSON answer of the `status` and `keepalive` endpoints for `outcome`
    /// ([`status_json`]).
    pub fn endpoint(outcome: &RequestOutcome) -> Reply {
        Reply {
            status: 200,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(status_json(outcome)),
        }
    }

    pub(super) const fn fixed(
        status: u16,
        headers: &'static [(&'static str, HeaderText)],
        body: &'static str,
    ) -> Reply {
        Reply {
            status,
            headers: Cow::Borrowed(headers),
            body: Cow::Borrowed(body),
        }
    }
}

/// The body of [`Reply::store_failed`].
pub const STORE_FAILED: &str = "auto-logout: the session store failed";
/// The body of the `403` to a `keepalive` without its header.
pub const KEEPALIVE_REFUSED: &str = "auto-logout: keepalive needs the header X-Auto-Logout: 1";
/// The body of the `403` to an `unlock` or `reauthenticate` without the header.
pub const PASSWORD_REFUSED: &str =
    "auto-logout: unlock and reauthenticate need the header X-Auto-Logout: 1";
/// The body of the `404` to `unlock` and `reauthenticate` when the
/// application gave no `on_unlock` hook to check passwords with.
pub const NO_UNLOCK_HOOK: &str =
    "auto-logout: no on_unlock hook is set, so passwords cannot be checked";
/// The body of a `405`.
pub const METHOD_NOT_ALLOWED: &str = "method not allowed";

/// `Cache-Control` of every answer about a session.
pub const NO_STORE: &str = "no-store";
/// `Cache-Control` of the static files, whose names change with their content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Content-Type` of the script file.
pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
/// `Content-Type` of the stylesheet file.
pub const CSS: &str = "text/css; charset=utf-8";
/// `Content-Type` of the JSON answers.
pub const JSON: &str = "application/json";
/// `Content-Type` of the plain-text answers.
pub const TEXT: &str = "text/plain; charset=utf-8";

pub(super) const fn h(name: &'static str, value: &'static str) -> (&'static str, HeaderText) {
    (name, Cow::Borrowed(value))
}

pub(super) const PLAIN_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
];
pub(super) const JSON_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", JSON),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
];
pub(super) const SCRIPT_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", JAVASCRIPT),
    h("cache-control", IMMUTABLE),
    h("x-content-type-options", "nosniff"),
];
pub(super) const STYLESHEET_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", CSS),
    h("cache-control", IMMUTABLE),
    h("x-content-type-options", "nosniff"),
];
pub(super) const NOT_ALLOWED_GET: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
    h("allow", "GET, HEAD"),
];
pub(super) const NOT_ALLOWED_POST: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
    h("allow", "POST"),
];

/// The JSON body of the `status` and `keepalive` endpoints:
/// `{"active":true,"locked":false,"idle_ms":..,"session_ms":..}` (`"locked":true`
/// for a session idle for `LOCK_AFTER`) or `{"active":false,"reason":..}`.
pub fn status_json(outcome: &RequestOutcome) -> String {
    // Written from structs (fields in the order a map would sort them):
    // one allocation, the text.
    #[derive(serde::Serialize)]
    struct SignedIn {
        active: bool,
        idle_ms: Option<i64>,
        locked: bool,
        seconds_until_idle_end: u64,
        seconds_until_session_end: u64,
        session_ms: Option<i64>,
    }
    #[derive(serde::Serialize)]
    struct Gone {
        active: bool,
        reason: Option<&'static str>,
    }
    let signed_in = |remaining: &Remaining, locked: bool| SignedIn {
        active: true,
        idle_ms: remaining.idle_millis(),
        locked,
        seconds_until_idle_end: remaining.seconds_until_idle_end(),
        seconds_until_session_end: remaining.seconds_until_session_end(),
        session_ms: remaining.session_millis(),
    };
    let gone = |reason: Option<ExpiryReason>| Gone {
        active: false,
        reason: reason.map(ExpiryReason::as_str),
    };
    let json = match outcome {
        RequestOutcome::Active { remaining, .. } => {
            serde_json::to_string(&signed_in(remaining, false))
        }
        RequestOutcome::Locked { remaining } => serde_json::to_string(&signed_in(remaining, true)),
        RequestOutcome::Expired(reason) => serde_json::to_string(&gone(Some(*reason))),
        RequestOutcome::Untracked => serde_json::to_string(&gone(None)),
    };
    // Plain structs of numbers, booleans and fixed texts always serialize.
    json.unwrap_or_default()
}

/// The `status` and `keepalive` answer for a session that a logout hook sent
/// elsewhere: `{"active":false,"reason":..,"login":<location>}`. The client
/// script goes to `login` instead of `LOGIN_URL`.
pub fn gone_json_with_login(reason: ExpiryReason, login: &str) -> String {
    serde_json::json!({"active": false, "reason": reason.as_str(), "login": login}).to_string()
}

/// The `Cache-Control` to add to the app's own response, if any: a page of
/// an active session (a request that counts as activity) gets `no-store`, so
/// Back after signing out does not show it from the browser's cache — unless
/// the handler chose its own `Cache-Control`. Passive requests (static files
/// under `PASSIVE_PATHS`, subresources, `HEAD`) keep their caching.
pub fn page_cache_control(
    outcome: &RequestOutcome,
    activity: Activity,
    has_cache_control: bool,
) -> Option<&'static str> {
    let page_of_a_session = matches!(outcome, RequestOutcome::Active { .. }) && activity.counts();
    (page_of_a_session && !has_cache_control).then_some(NO_STORE)
}
