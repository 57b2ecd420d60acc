//! Where an integration serves the crate's endpoints: the URLs under
//! `ENDPOINT_PREFIX`, built once when the configuration is.

use super::Config;
use crate::assets;

/// The default prefix of the endpoints an integration serves.
pub const DEFAULT_ENDPOINT_PREFIX: &str = "/auto-logout/";

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
    /// `POST unlock` (form field `password`, header `X-Auto-Logout: 1`): the
    /// lock dialog's password, checked by the application's `on_unlock`
    /// hook; the idle clock starts again.
    Unlock,
    /// `POST reauthenticate` (the same form and header): "Sign in again"
    /// before the absolute limit; both clocks start again.
    Reauthenticate,
}

impl Endpoint {
    /// `true` for the endpoints that take a password ([`Endpoint::Unlock`],
    /// [`Endpoint::Reauthenticate`]): their request body is read.
    pub const fn takes_password(self) -> bool {
        matches!(self, Endpoint::Unlock | Endpoint::Reauthenticate)
    }
}

/// The URL of an endpoint under `prefix`: the one place they are built.
pub fn endpoint_url(prefix: &str, endpoint: Endpoint) -> String {
    let name = match endpoint {
        Endpoint::Status => "status",
        Endpoint::Keepalive => "keepalive",
        Endpoint::Script => assets::script_file_name(),
        Endpoint::Stylesheet => assets::stylesheet_file_name(),
        Endpoint::Unlock => "unlock",
        Endpoint::Reauthenticate => "reauthenticate",
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
    unlock: String,
    reauthenticate: String,
}

impl Endpoints {
    /// The endpoints under `config`'s `ENDPOINT_PREFIX`.
    pub fn new(config: &Config) -> Endpoints {
        config.endpoints().clone()
    }

    /// The endpoints under `prefix` (a valid `ENDPOINT_PREFIX`).
    pub(super) fn under(prefix: &str) -> Endpoints {
        Endpoints {
            prefix: prefix.to_owned(),
            status: endpoint_url(prefix, Endpoint::Status),
            keepalive: endpoint_url(prefix, Endpoint::Keepalive),
            script: endpoint_url(prefix, Endpoint::Script),
            stylesheet: endpoint_url(prefix, Endpoint::Stylesheet),
            unlock: endpoint_url(prefix, Endpoint::Unlock),
            reauthenticate: endpoint_url(prefix, Endpoint::Reauthenticate),
        }
    }

    /// The URL of `endpoint`.
    pub fn url(&self, endpoint: Endpoint) -> &str {
        match endpoint {
            Endpoint::Status => &self.status,
            Endpoint::Keepalive => &self.keepalive,
            Endpoint::Script => &self.script,
            Endpoint::Stylesheet => &self.stylesheet,
            Endpoint::Unlock => &self.unlock,
            Endpoint::Reauthenticate => &self.reauthenticate,
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
            Endpoint::Unlock,
            Endpoint::Reauthenticate,
        ]
        .into_iter()
        .find(|&e| self.url(e) == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_of_a_configuration_are_built_with_it() {
        let config = Config::builder()
            .idle_time(600)
            .endpoint_prefix("/x/")
            .build()
            .unwrap();
        let e = Endpoints::new(&config);
        assert_eq!(e, Endpoints::under("/x/"));
        assert_eq!(e.status(), "/x/status");
        assert_eq!(e.keepalive(), "/x/keepalive");
        assert_eq!(e.script(), config.script_url());
        assert_eq!(e.stylesheet(), config.stylesheet_url());
        assert_eq!(e.match_path("/x/status"), Some(Endpoint::Status));
        assert_eq!(e.match_path(config.script_url()), Some(Endpoint::Script));
        assert_eq!(e.match_path("/x/unlock"), Some(Endpoint::Unlock));
        assert_eq!(
            e.match_path("/x/reauthenticate"),
            Some(Endpoint::Reauthenticate)
        );
        assert_eq!(e.match_path("/x/other"), None);
        assert_eq!(e.match_path("/y/status"), None);
        for endpoint in [
            Endpoint::Status,
            Endpoint::Keepalive,
            Endpoint::Script,
            Endpoint::Stylesheet,
            Endpoint::Unlock,
            Endpoint::Reauthenticate,
        ] {
            assert_eq!(e.url(endpoint), endpoint_url("/x/", endpoint));
        }
    }
}
