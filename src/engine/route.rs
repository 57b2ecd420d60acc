//! Which request is for the crate: its endpoints and files ([`route`]).

use super::*;
use crate::assets;
use crate::config::Config;

/// The crate's own endpoints, under `ENDPOINT_PREFIX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET status`: passive, the remaining time or why the session is gone.
    Status,
    /// `POST keepalive`: activity, with the header `X-Auto-Logout: 1`.
    Keepalive,
    /// `GET auto-logout.<hash>.js`: the client script.
    Script,
    /// `GET auto-logout.<hash>.css`: the warning's default stylesheet.
    Stylesheet,
}

/// The URL of an endpoint under `prefix`: the one place they are built.
pub fn endpoint_url(prefix: &str, endpoint: Endpoint) -> String {
    let name = match endpoint {
        Endpoint::Status => "status",
        Endpoint::Keepalive => "keepalive",
        Endpoint::Script => assets::script_file_name(),
        Endpoint::Stylesheet => assets::stylesheet_file_name(),
    };
    let mut url = String::with_capacity(prefix.len() + name.len());
    url.push_str(prefix);
    url.push_str(name);
    url
}

/// The endpoint URLs of one configuration, built once (when the middleware is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    prefix: String,
    status: String,
    keepalive: String,
    script: String,
    stylesheet: String,
}

impl Endpoints {
    /// The endpoints under `config`'s `ENDPOINT_PREFIX`.
    pub fn new(config: &Config) -> Endpoints {
        let prefix = config.endpoint_prefix();
        Endpoints {
            prefix: prefix.to_owned(),
            status: endpoint_url(prefix, Endpoint::Status),
            keepalive: endpoint_url(prefix, Endpoint::Keepalive),
            script: endpoint_url(prefix, Endpoint::Script),
            stylesheet: endpoint_url(prefix, Endpoint::Stylesheet),
        }
    }

    /// The URL of `endpoint`.
    pub fn url(&self, endpoint: Endpoint) -> &str {
        match endpoint {
            Endpoint::Status => &self.status,
            Endpoint::Keepalive => &self.keepalive,
            Endpoint::Script => &self.script,
            Endpoint::Stylesheet => &self.stylesheet,
        }
    }

    /// The URL of the `status` endpoint.
    pub fn status(&self) -> &str {
        &self.status
    }

    /// The URL of the `keepalive` endpoint.
    pub fn keepalive(&self) -> &str {
        &self.keepalive
    }

    /// The URL of the script file.
    pub fn script(&self) -> &str {
        &self.script
    }

    /// The URL of the stylesheet file.
    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    /// Which endpoint `path` is, if any (exact match; one prefix test for
    /// every other request).
    pub fn match_path(&self, path: &str) -> Option<Endpoint> {
        if !path.starts_with(self.prefix.as_str()) {
            return None;
        }
        [
            Endpoint::Status,
            Endpoint::Keepalive,
            Endpoint::Script,
            Endpoint::Stylesheet,
        ]
        .into_iter()
        .find(|&e| self.url(e) == path)
    }
}

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
/// to a `keepalive` without `X-Auto-Logout: 1` (which a cross-site form
/// cannot send).
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
        Endpoint::Keepalive if method != "POST" => {
            Reply::fixed(405, NOT_ALLOWED_POST, METHOD_NOT_ALLOWED)
        }
        Endpoint::Keepalive if header(KEEPALIVE_HEADER).map(str::trim) != Some("1") => {
            crate::audit::keepalive_refused("no X-Auto-Logout: 1 header");
            Reply::fixed(403, PLAIN_HEADERS, KEEPALIVE_REFUSED)
        }
        Endpoint::Status | Endpoint::Keepalive => return Route::Continue(Some(endpoint)),
    };
    Route::Reply(reply)
}
