//! "Sudo mode": routes that need a sign-in or a re-authentication within a
//! time ([`Config::signed_in_within`](crate::Config::signed_in_within)), and
//! how a request without one is answered ([`reauthentication_reply`]).

use std::borrow::Cow;

use super::*;

/// The JSON `error` of a `fetch` that needs a recent sign-in.
pub const REAUTHENTICATION_REQUIRED: &str = "reauthentication_required";

/// The answer to a request of a sensitive route whose session did not sign
/// in (or re-authenticate) recently enough: by kind ([`answer_expired`]), a
/// page navigation `303` to `reauthenticate_url?next=<path>`, `fetch`/XHR
/// `401` `{"error":"reauthentication_required","reauthenticate":<that location>}`,
/// htmx `200` with `HX-Redirect`; never cached. The `next` never leaves the
/// site ([`login_location`]).
///
/// ```
/// use auto_logout::engine::reauthentication_reply;
///
/// let page = reauthentication_reply("/reauthenticate", "/account/delete", |_: &str| None);
/// assert_eq!(page.status, 303);
/// assert_eq!(page.header("location"), Some("/reauthenticate?next=%2Faccount%2Fdelete"));
/// let fetch = reauthentication_reply("/reauthenticate", "/api/keys", |name: &str| {
///     (name == "sec-fetch-mode").then_some("cors")
/// });
/// assert_eq!(fetch.status, 401);
/// assert_eq!(
///     fetch.body,
///     r#"{"error":"reauthentication_required","reauthenticate":"/reauthenticate?next=%2Fapi%2Fkeys"}"#
/// );
/// ```
pub fn reauthentication_reply<'h>(
    reauthenticate_url: &str,
    path_and_query: &str,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Reply {
    let answer = answer_expired(&header);
    let location = login_location(reauthenticate_url, path_and_query);
    match answer {
        Answer::Redirect => Reply {
            status: 303,
            headers: Cow::Owned(vec![
                ("location", Cow::Owned(location)),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        },
        Answer::Unauthorized => Reply {
            status: 401,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(
                serde_json::json!({"error": REAUTHENTICATION_REQUIRED, "reauthenticate": location})
                    .to_string(),
            ),
        },
        Answer::HtmxRedirect => Reply {
            status: 200,
            headers: Cow::Owned(vec![
                ("hx-redirect", Cow::Owned(location)),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        },
    }
}

/// The rule of a sudo-mode guard, written once for both integrations
/// (`auto_logout::axum::RequireRecentLoginLayer`,
/// `auto_logout::actix::RequireRecentLogin`): a request goes on when its
/// session signed in or re-authenticated within the time, and is otherwise
/// answered with [`reauthentication_reply`].
///
/// ```
/// use std::time::Duration;
/// use auto_logout::{Config, Stamps, Timestamp};
/// use auto_logout::engine::RecentLogin;
///
/// let config = Config::builder().idle_time(600).build()?;
/// let login = Timestamp::from_unix_millis(1_700_000_000_000);
/// let stored = Stamps::at_login(login).encode();
/// let rule = RecentLogin::new(Duration::from_secs(300), "/reauthenticate");
/// let at = |ms| rule.check(&config, Some(&stored), login.saturating_add_millis(ms), "/keys", |_: &str| None);
/// assert_eq!(at(300_000), None);
/// assert_eq!(at(300_001).map(|reply| reply.status), Some(303));
/// # Ok::<(), auto_logout::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RecentLogin {
    within: std::time::Duration,
    reauthenticate_url: std::sync::Arc<str>,
}

impl RecentLogin {
    /// Sign-ins older than `within` are sent to `reauthenticate_url`.
    ///
    /// # Panics
    ///
    /// When `reauthenticate_url` is not a path on this site (`/…`, not `//…`):
    /// the redirect must never leave the site.
    pub fn new(within: std::time::Duration, reauthenticate_url: &str) -> Self {
        assert!(
            safe_next(reauthenticate_url).is_some(),
            "RequireRecentLogin: {reauthenticate_url:?} is not a path on this site, like \"/reauthenticate\""
        );
        RecentLogin {
            within,
            reauthenticate_url: reauthenticate_url.into(),
        }
    }

    /// `None` when a session with the stamps `stored` signed in recently
    /// enough at `now` ([`Config::signed_in_within`](crate::Config::signed_in_within));
    /// otherwise the answer to the request of `path_and_query`.
    pub fn check<'h>(
        &self,
        config: &crate::Config,
        stored: Option<&str>,
        now: crate::Timestamp,
        path_and_query: &str,
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Option<Reply> {
        if config.signed_in_within(stored, now, self.within) {
            return None;
        }
        Some(reauthentication_reply(
            &self.reauthenticate_url,
            path_and_query,
            header,
        ))
    }
}
