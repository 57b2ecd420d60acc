//! Whether a request counts as activity ([`activity_of`]): passive
//! requests, requests the user made, the input age a keepalive reports.

use super::*;
use crate::config::Config;
use crate::decision::Activity;

/// Whether a request counts as activity; `endpoint` is what [`route`]
/// continued with (`None` for the application's own requests).
///
/// Passive: the crate's own status endpoint and files, `HEAD`/`OPTIONS`,
/// prefetch and prerender (`Sec-Purpose`, `Purpose`),
/// `X-Auto-Logout-Passive: 1`, `PASSIVE_PATHS`, subresources the browser
/// loads by itself (`Sec-Fetch-Dest` of `image`, `style`, `script`, `font`
/// and the like, e.g. the automatic `/favicon.ico`): the page or `fetch`
/// that caused them is the activity; and, unless `ACTIVITY_NEEDS_USER` is
/// `false`, requests the browser says the user did not make
/// ([`made_by_user`]). For `keepalive`, the input age the client script
/// reports decides ([`keepalive_activity`]).
///
/// The decision is taken before the handler runs, so it does not depend
/// on the answer: a `404` or `405` to a request the user made (a stale
/// bookmark, a link to a removed page) counts, as the user did act; the
/// same answer to a request another site made the browser send does not,
/// because of who made it.
///
/// ```
/// use auto_logout::{Activity, Config};
/// use auto_logout::engine::activity_of;
///
/// let config = Config::builder().idle_time(600).passive_path("/static/").build()?;
/// let no_headers = |_: &str| None;
/// assert_eq!(activity_of(&config, None, "GET", "/static/app.css", no_headers), Activity::Passive);
/// assert_eq!(activity_of(&config, None, "HEAD", "/", no_headers), Activity::Passive);
/// assert_eq!(activity_of(&config, None, "GET", "/", no_headers), Activity::Counts);
/// # Ok::<(), auto_logout::ConfigError>(())
/// ```
#[inline]
pub fn activity_of<'h>(
    config: &Config,
    endpoint: Option<Endpoint>,
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
        || (config.activity_needs_user() && !made_by_user(&header))
        || is_own_passive_path(config, path)
        || config
            .passive_paths()
            .iter()
            .any(|p| path.starts_with(p.as_str()));
    let activity = if passive {
        Activity::Passive
    } else {
        Activity::Counts
    };
    match endpoint {
        Some(Endpoint::Keepalive) => keepalive_activity(activity, header),
        // Checked only: a right password writes the new stamps itself.
        Some(Endpoint::Unlock | Endpoint::Reauthenticate) => Activity::Passive,
        _ => activity,
    }
}

/// The crate's own endpoints that never count as activity: `status`, the
/// script file and the stylesheet file. (`keepalive` is activity by design.)
/// Only these: any other path under `ENDPOINT_PREFIX` (say the app's own
/// API under `/api/`) counts like every other request.
fn is_own_passive_path(config: &Config, path: &str) -> bool {
    path == config.script_url()
        || path == config.stylesheet_url()
        || path
            .strip_prefix(config.endpoint_prefix())
            .is_some_and(|rest| rest == "status")
}

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

/// The milliseconds an [`INPUT_AGE_HEADER`] value states: a plain decimal
/// integer (ASCII digits only, surrounding whitespace ignored); one beyond
/// `u32::MAX` (about 49 days, longer than any honest age) is read as
/// `u32::MAX`. Anything else (empty, a sign, a fraction, an exponent, other
/// characters) is `None`: the header is ignored. Never panics.
///
/// ```
/// use auto_logout::engine::input_age_millis;
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
/// [`activity_of`]) as it is, unless it counts and the request says
/// how long ago the user's input was ([`INPUT_AGE_HEADER`]): then the
/// activity is that input's, [`Activity::Earlier`]. A passive keepalive
/// (say, one another site made the browser send) stays passive.
///
/// ```
/// use auto_logout::Activity;
/// use auto_logout::engine::keepalive_activity;
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
/// use auto_logout::engine::made_by_user;
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
pub(super) fn is_subresource(dest: &str) -> bool {
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

pub(super) fn contains_token(value: &str, token: &str) -> bool {
    value
        .split([',', ';', ' '])
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}
