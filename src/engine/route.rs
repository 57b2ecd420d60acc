//! Which request is for the crate: its endpoints and files ([`route`]).

use super::*;
use crate::assets;
pub use crate::config::{DEFAULT_ENDPOINT_PREFIX, Endpoint, Endpoints, endpoint_url};

/// What to do with a request before its session is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Answer it with this, without the session: the static files, `405` to
    /// a wrong method, `403` to a `keepalive` without its header.
    Reply(Reply),
    /// Go on: read the session and decide; `Some` for `status` and
    /// `keepalive`, which are then answered with [`Reply::endpoint`].
    Continue(Option<Endpoint>),
}

/// The rules that need no session: the script and stylesheet files (`GET`,
/// `HEAD`), `405` with `Allow` to any other method on an endpoint, and `403`
/// to a `keepalive`, `unlock` or `reauthenticate` without `X-Auto-Logout: 1`
/// (which a cross-site form cannot send).
pub fn route<'h>(
    endpoints: &Endpoints,
    method: &str,
    path: &str,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Route {
    let Some(endpoint) = endpoints.match_path(path) else {
        return Route::Continue(None);
    };
    let get_or_head = method == "GET" || method == "HEAD";
    let reply = match endpoint {
        Endpoint::Script | Endpoint::Stylesheet | Endpoint::Status if !get_or_head => {
            Reply::fixed(405, NOT_ALLOWED_GET, METHOD_NOT_ALLOWED)
        }
        Endpoint::Script => Reply::fixed(200, SCRIPT_HEADERS, assets::SCRIPT),
        Endpoint::Stylesheet => Reply::fixed(200, STYLESHEET_HEADERS, assets::STYLESHEET),
        Endpoint::Keepalive | Endpoint::Unlock | Endpoint::Reauthenticate if method != "POST" => {
            Reply::fixed(405, NOT_ALLOWED_POST, METHOD_NOT_ALLOWED)
        }
        Endpoint::Keepalive if header(KEEPALIVE_HEADER).map(str::trim) != Some("1") => {
            crate::audit::keepalive_refused("no X-Auto-Logout: 1 header");
            Reply::fixed(403, PLAIN_HEADERS, KEEPALIVE_REFUSED)
        }
        // A cross-site form cannot send the header: no password guessing
        // from another site.
        Endpoint::Unlock | Endpoint::Reauthenticate
            if header(KEEPALIVE_HEADER).map(str::trim) != Some("1") =>
        {
            Reply::fixed(403, PLAIN_HEADERS, PASSWORD_REFUSED)
        }
        Endpoint::Status | Endpoint::Keepalive | Endpoint::Unlock | Endpoint::Reauthenticate => {
            return Route::Continue(Some(endpoint));
        }
    };
    Route::Reply(reply)
}
