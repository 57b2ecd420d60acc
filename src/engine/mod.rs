//! The request engine: every rule of the framework integrations that does not
//! depend on a framework, as plain data and functions. An integration reads
//! its request into these terms (a method, a path, a header lookup) and turns
//! a [`Reply`] into its own response in a few lines.
//!
//! ```
//! use auto_logout::{Config, ExpiryReason};
//! use auto_logout::engine::{Endpoint, Endpoints, Reply, Route, expired_reply, route};
//!
//! let config = Config::builder().idle_time(600).login_url("/login").build()?;
//! let endpoints = Endpoints::new(&config);
//! let no_headers = |_: &str| None;
//!
//! // Before the session is read: the crate's own files and the method rules.
//! match route(&endpoints, "GET", endpoints.script(), no_headers) {
//!     Route::Reply(reply) => assert_eq!(reply.status, 200),
//!     Route::Continue(_) => unreachable!(),
//! }
//! assert!(matches!(
//!     route(&endpoints, "GET", "/auto-logout/status", no_headers),
//!     Route::Continue(Some(Endpoint::Status))
//! ));
//! assert!(matches!(route(&endpoints, "GET", "/orders", no_headers), Route::Continue(None)));
//!
//! // An expired page navigation: 303 to the login page, never cached.
//! let reply = expired_reply(&config, ExpiryReason::Idle, "/orders", "/orders", no_headers)
//!     .expect("LOGIN_URL is set");
//! assert_eq!(reply.status, 303);
//! assert_eq!(reply.header("location"), Some("/login?next=%2Forders"));
//! assert_eq!(reply.header("cache-control"), Some("no-store"));
//! // The login page itself goes on, so it can show the message.
//! assert!(expired_reply(&config, ExpiryReason::Idle, "/login", "/login", no_headers).is_none());
//! # Ok::<(), auto_logout::ConfigError>(())
//! ```
//!
//! Header names in a [`Reply`] are lower case, as HTTP/2 writes them. The
//! static files and the fixed answers borrow everything they hold, so
//! answering them allocates nothing.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) mod flow;

use crate::assets;
use crate::config::Config;
use crate::decision::{Activity, ExpiryReason, RequestOutcome};
use crate::request::{self, Answer, KEEPALIVE_HEADER};

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
    /// ([`request::status_json`]).
    pub fn endpoint(outcome: &RequestOutcome) -> Reply {
        Reply {
            status: 200,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(request::status_json(outcome)),
        }
    }

    const fn fixed(
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

/// The framework integration that found a [`Mistake`]: the fix names its types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    /// axum / tower: `AutoLogoutLayer`, `SessionManagerLayer`, `MessagesManagerLayer`.
    Axum,
    /// actix-web: `AutoLogoutMiddleware`, `SessionMiddleware`, `FlashMessagesFramework`.
    Actix,
}

/// A mistake in how the application put the crate together, found while
/// serving a request. Never silent: the request gets [`Mistake::reply`] — a
/// `500` whose body is [`Mistake::fix`] — and the same text goes to the log
/// at error level (the audit event `setup_mistake`, feature `tracing`).
///
/// The rules are written here once, for every integration:
/// [`session_layer_ran`], [`store_mistake`], [`messages_mistake`].
///
/// ```
/// use auto_logout::engine::{Framework, Mistake, session_layer_ran};
///
/// // The request holds no session: the session layer runs inside ours, or not at all.
/// let mistake = session_layer_ran(None::<()>).unwrap_err();
/// assert_eq!(mistake, Mistake::SessionLayerNotOutside);
/// let reply = mistake.reply(Framework::Actix);
/// assert_eq!(reply.status, 500);
/// assert!(reply.body.contains(".wrap(SessionMiddleware::new(store, key))"));
/// assert_eq!(session_layer_ran(Some("the session")), Ok("the session"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mistake {
    /// The session layer did not run before the crate's: it is inside it, or
    /// missing. No session could be read, so nobody would ever be logged out.
    SessionLayerNotOutside,
    /// The session layer was given a store other than the one given to the
    /// crate, so a logout would not stay final.
    StoreNotWrapped,
    /// actix-web: `FlashMessagesFramework` runs inside `AutoLogoutMiddleware`
    /// (or not at all) while a message is configured, so the expiry message
    /// would be lost. (On axum the layer queues the message in the session
    /// when `MessagesManagerLayer` is inside it, so both orders work there.)
    MessagesNotOutside,
}

impl Mistake {
    /// A short name, the `mistake` field of the log event.
    pub const fn name(self) -> &'static str {
        match self {
            Mistake::SessionLayerNotOutside => "session_layer_not_outside",
            Mistake::StoreNotWrapped => "store_not_wrapped",
            Mistake::MessagesNotOutside => "messages_not_outside",
        }
    }

    /// What is wrong and what to change, in `framework`'s terms: the body of
    /// [`Mistake::reply`] and the text of the log line.
    pub const fn fix(self, framework: Framework) -> &'static str {
        match (self, framework) {
            (Mistake::SessionLayerNotOutside, Framework::Axum) => AXUM_SESSION_LAYER_NOT_OUTSIDE,
            (Mistake::SessionLayerNotOutside, Framework::Actix) => ACTIX_SESSION_LAYER_NOT_OUTSIDE,
            (Mistake::StoreNotWrapped, Framework::Axum) => AXUM_STORE_NOT_WRAPPED,
            (Mistake::StoreNotWrapped, Framework::Actix) => ACTIX_STORE_NOT_WRAPPED,
            (Mistake::MessagesNotOutside, Framework::Axum) => AXUM_MESSAGES_NOT_OUTSIDE,
            (Mistake::MessagesNotOutside, Framework::Actix) => ACTIX_MESSAGES_NOT_OUTSIDE,
        }
    }

    /// Logs the mistake at error level (audit event `setup_mistake`, with the
    /// feature `tracing`; nothing is printed without it), without answering:
    /// for a mistake that loses a message but leaves the page servable.
    pub fn report(self, framework: Framework) {
        crate::audit::setup_mistake(self.name(), self.fix(framework));
    }

    /// Logs the mistake ([`Mistake::report`]) and gives the answer to the
    /// request instead of a page: `500`, `no-store`, the [`Mistake::fix`] as
    /// plain text.
    pub fn reply(self, framework: Framework) -> Reply {
        self.report(framework);
        Reply::misconfigured(self.fix(framework))
    }
}

/// The rule at the start of every request: the session layer must have run
/// before the crate's, so its session is in the request — `session`, as the
/// integration found it (`None`: not there).
pub fn session_layer_ran<T>(session: Option<T>) -> Result<T, Mistake> {
    session.ok_or(Mistake::SessionLayerNotOutside)
}

/// The rule once the session is read: a session loaded from the store
/// (`session_loaded`) while the store given to the crate was never called
/// (`store_used`) came through another store.
pub const fn store_mistake(store_used: bool, session_loaded: bool) -> Option<Mistake> {
    if session_loaded && !store_used {
        Some(Mistake::StoreNotWrapped)
    } else {
        None
    }
}

/// The rule for the messages middleware, when the crate depends on it to show
/// a message (`message_configured`): it must have run before the crate's
/// (`before`: its store is in the request when the crate sees it). `after`:
/// it is in the request once the app answered, so it ran inside the crate's.
/// A message that could not be flashed with the middleware missing altogether
/// (neither before nor after) is [reported](Mistake::report) where it is lost.
pub const fn messages_mistake(
    message_configured: bool,
    before: bool,
    after: bool,
) -> Option<Mistake> {
    if message_configured && !before && after {
        Some(Mistake::MessagesNotOutside)
    } else {
        None
    }
}

const AXUM_SESSION_LAYER_NOT_OUTSIDE: &str = "auto-logout: no tower_sessions::Session in the \
request: SessionManagerLayer must run before AutoLogoutLayer, or no session is read and nobody is \
ever logged out. With Router::layer the last layer added runs first: \
.layer(MessagesManagerLayer).layer(AutoLogoutLayer::new(config, &store)).layer(SessionManagerLayer::new(store))";
const ACTIX_SESSION_LAYER_NOT_OUTSIDE: &str = "auto-logout: SessionMiddleware did not run before \
AutoLogoutMiddleware, so no session is read and nobody is ever logged out. The last .wrap runs \
first: .wrap(AutoLogoutMiddleware::new(config, &store)).wrap(FlashMessagesFramework::builder(..).build())\
.wrap(SessionMiddleware::new(store, key)).wrap(StoreErrors)";
const AXUM_STORE_NOT_WRAPPED: &str = "auto-logout: SessionManagerLayer does not use the \
AutoLogoutStore given to AutoLogoutLayer::new, so a logout would not stay final; give that store \
(or a clone of it) to SessionManagerLayer::new";
const ACTIX_STORE_NOT_WRAPPED: &str = "auto-logout: SessionMiddleware was given a session store \
that is not the AutoLogoutStore passed to AutoLogoutMiddleware::new; give both the same store (or \
a clone), so that a logout stays final";
const AXUM_MESSAGES_NOT_OUTSIDE: &str = "auto-logout: MessagesManagerLayer reads the session, so \
SessionManagerLayer must run before it. With Router::layer the last layer added runs first: \
.layer(MessagesManagerLayer).layer(AutoLogoutLayer::new(config, &store)).layer(SessionManagerLayer::new(store))";
const ACTIX_MESSAGES_NOT_OUTSIDE: &str = "auto-logout: FlashMessagesFramework did not run before \
AutoLogoutMiddleware, so the message of an automatic logout is lost. The last .wrap runs first: \
.wrap(AutoLogoutMiddleware::new(config, &store)).wrap(FlashMessagesFramework::builder(..).build())\
.wrap(SessionMiddleware::new(store, key))";

/// The body of [`Reply::store_failed`].
pub const STORE_FAILED: &str = "auto-logout: the session store failed";
/// The body of the `403` to a `keepalive` without its header.
pub const KEEPALIVE_REFUSED: &str = "auto-logout: keepalive needs the header X-Auto-Logout: 1";
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

const fn h(name: &'static str, value: &'static str) -> (&'static str, HeaderText) {
    (name, Cow::Borrowed(value))
}

const PLAIN_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
];
const JSON_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", JSON),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
];
const SCRIPT_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", JAVASCRIPT),
    h("cache-control", IMMUTABLE),
    h("x-content-type-options", "nosniff"),
];
const STYLESHEET_HEADERS: &[(&str, HeaderText)] = &[
    h("content-type", CSS),
    h("cache-control", IMMUTABLE),
    h("x-content-type-options", "nosniff"),
];
const NOT_ALLOWED_GET: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
    h("allow", "GET, HEAD"),
];
const NOT_ALLOWED_POST: &[(&str, HeaderText)] = &[
    h("content-type", TEXT),
    h("cache-control", NO_STORE),
    h("x-content-type-options", "nosniff"),
    h("allow", "POST"),
];

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

/// Whether a request [`route`] continued with `endpoint` counts as activity:
/// [`Config::activity_of`], and for `keepalive` the input age the client
/// script reports ([`request::keepalive_activity`]).
#[inline]
pub fn activity_of<'h>(
    config: &Config,
    endpoint: Option<Endpoint>,
    method: &str,
    path: &str,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Activity {
    let activity = config.activity_of(method, path, &header);
    if endpoint == Some(Endpoint::Keepalive) {
        request::keepalive_activity(activity, header)
    } else {
        activity
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

/// `true` when a session signed in through an authentication crate
/// (`signed_in`) has no stamps yet — it was signed in before the middleware
/// was installed — and a limit is configured: its clocks start with this
/// request, which is then decided with them.
pub fn starts_clocks_of_untracked_login(
    config: &Config,
    signed_in: bool,
    outcome: &RequestOutcome,
) -> bool {
    signed_in && *outcome == RequestOutcome::Untracked && config.has_limit()
}

/// `true` when an authentication crate signed a user in during this request:
/// a user id after it that differs from the one before (a first login, or
/// another user). The session's clocks then start, as at
/// [`Stamps::at_login`](crate::Stamps::at_login).
///
/// ```
/// use auto_logout::engine::signed_in_during_request;
///
/// assert!(signed_in_during_request(None, Some("ada")));
/// assert!(signed_in_during_request(Some("bob"), Some("ada")));
/// assert!(!signed_in_during_request(Some("ada"), Some("ada")));
/// assert!(!signed_in_during_request(Some("ada"), None));
/// ```
pub fn signed_in_during_request<T: PartialEq + ?Sized>(
    before: Option<&T>,
    after: Option<&T>,
) -> bool {
    after.is_some() && after != before
}

/// The answer to a request whose session expired in this very request, when
/// `LOGIN_URL` is set and the request is not for the login page (else `None`:
/// the request goes on as anonymous).
///
/// By kind ([`request::answer_expired`]): a page navigation gets `303` to the
/// login location; `fetch`/XHR a `401` JSON body that also names the login
/// location; htmx `200` with `HX-Redirect` (htmx acts on it whatever the
/// status, and `200` keeps it away from error handlers). The login location
/// comes from [`request::expired_login_location`]. Every answer is
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
    let answer = request::answer_expired(header);
    let login = request::expired_login_location(login_url, answer, path_and_query, header);
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
            body: Cow::Owned(request::expired_json_with_login(reason, &login)),
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

/// How long an integration waits for the application's logout hook
/// (`on_logout`) before it gives the usual answer: a hook that never answers
/// (an identity provider that hangs) must not hang the request. The session
/// is logged out either way.
pub const LOGOUT_HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// What the answer of the application's logout hook becomes, by the kind of
/// request that found the expiry ([`hook_answer`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookAnswer {
    /// The hook's response is the answer, as it is (a page navigation; a
    /// `fetch` or htmx request given a response that is not a redirect).
    AsIs,
    /// This reply instead: the hook's redirect location handed to the page's
    /// script as data (the `login` field of the JSON answers, `HX-Redirect`).
    Reply(Reply),
    /// The usual answer, as without a hook: the hook's response cannot be
    /// given to this request (the crate's own `status` and `keepalive`, whose
    /// callers need their JSON, given a response that is not a redirect).
    Usual,
}

/// What to answer when the logout hook replaced the answer of a request
/// whose session expired with a response of `status` and, if it has one,
/// the `Location` header `location`.
///
/// A *redirect* is a `3xx` with a `Location`. Its location is where the user
/// goes next (an OpenID Connect end-session URL, say); how it gets there
/// depends on who asked:
///
/// | request | a redirect | any other response |
/// |---|---|---|
/// | `status`, `keepalive` (the client script) | `200`, `{"active":false,"reason":..,"login":<location>}`: the script goes there instead of `LOGIN_URL` | the usual JSON |
/// | `fetch`/XHR | `401`, `{"error":"session_expired","reason":..,"login":<location>}` | as it is |
/// | htmx | `200` with `HX-Redirect: <location>` | as it is |
/// | a page navigation | as it is | as it is |
///
/// A `fetch` that followed a redirect to another site would fail on CORS and
/// the script's `status` request must get JSON, hence the data. The location
/// is the hook's own choice and may be on another site (the identity
/// provider): only the application's hook can choose it, never a request
/// header or session data. Every such answer is `Cache-Control: no-store`;
/// for [`HookAnswer::AsIs`] add [`hook_cache_control`].
///
/// ```
/// use auto_logout::ExpiryReason;
/// use auto_logout::engine::{Endpoint, HookAnswer, hook_answer};
///
/// let idp = "https://idp.example/logout?client_id=shop";
/// let no_headers = |_: &str| None;
/// // A page navigation: the hook's redirect is the answer.
/// assert_eq!(hook_answer(ExpiryReason::Idle, None, 303, Some(idp), no_headers), HookAnswer::AsIs);
/// // The script's status request: the location as data.
/// let HookAnswer::Reply(reply) =
///     hook_answer(ExpiryReason::Idle, Some(Endpoint::Status), 303, Some(idp), no_headers)
/// else { unreachable!() };
/// assert_eq!(
///     reply.body,
///     r#"{"active":false,"login":"https://idp.example/logout?client_id=shop","reason":"idle"}"#
/// );
/// // A page of its own (not a redirect) cannot answer the script.
/// assert_eq!(
///     hook_answer(ExpiryReason::Idle, Some(Endpoint::Status), 200, None, no_headers),
///     HookAnswer::Usual
/// );
/// ```
pub fn hook_answer<'h>(
    reason: ExpiryReason,
    endpoint: Option<Endpoint>,
    status: u16,
    location: Option<&str>,
    header: impl Fn(&str) -> Option<&'h str>,
) -> HookAnswer {
    let redirect = location.filter(|_| (300..400).contains(&status));
    if endpoint.is_some() {
        return match redirect {
            Some(location) => HookAnswer::Reply(Reply {
                status: 200,
                headers: Cow::Borrowed(JSON_HEADERS),
                body: Cow::Owned(request::gone_json_with_login(reason, location)),
            }),
            None => HookAnswer::Usual,
        };
    }
    let Some(location) = redirect else {
        return HookAnswer::AsIs;
    };
    match request::answer_expired(header) {
        Answer::Redirect => HookAnswer::AsIs,
        Answer::Unauthorized => HookAnswer::Reply(Reply {
            status: 401,
            headers: Cow::Borrowed(JSON_HEADERS),
            body: Cow::Owned(request::expired_json_with_login(reason, location)),
        }),
        Answer::HtmxRedirect => HookAnswer::Reply(Reply {
            status: 200,
            headers: Cow::Owned(vec![
                ("hx-redirect", Cow::Owned(location.to_owned())),
                h("cache-control", NO_STORE),
            ]),
            body: Cow::Borrowed(""),
        }),
    }
}

/// The `Cache-Control` to add to a hook's response given as it is
/// ([`HookAnswer::AsIs`]): `no-store`, unless the hook chose its own.
pub fn hook_cache_control(has_cache_control: bool) -> Option<&'static str> {
    (!has_cache_control).then_some(NO_STORE)
}

/// Runs the application's logout hook `call` for an expiry of `reason`,
/// within `limit`: its answer, or `None` when it answered `None`, failed,
/// panicked or did not answer in time. A failure is reported through the
/// audit events (`hook_failed`) and never leaves the integration's
/// request: it logs the session out and gives the usual answer.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn run_hook<R, F>(
    reason: ExpiryReason,
    limit: Duration,
    call: impl FnOnce() -> F,
) -> Option<R>
where
    F: std::future::Future<Output = Result<Option<R>, String>> + Unpin,
{
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let failed = |error: &dyn std::fmt::Display| {
        crate::audit::hook_failed(reason, error);
        None
    };
    // A panic is the hook's failure, not the request's: caught while the
    // future is made and at every poll.
    let mut future = match catch_unwind(AssertUnwindSafe(call)) {
        Ok(future) => future,
        Err(panic) => return failed(&HookPanicked(panic)),
    };
    let guarded = std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| {
            std::pin::Pin::new(&mut future).poll(cx)
        })) {
            Ok(poll) => poll.map(|answer| answer.map_err(HookFailure::Failed)),
            Err(panic) => std::task::Poll::Ready(Err(HookFailure::Panicked(HookPanicked(panic)))),
        }
    });
    match tokio::time::timeout(limit, guarded).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(HookFailure::Failed(error))) => failed(&error),
        Ok(Err(HookFailure::Panicked(panic))) => failed(&panic),
        Err(_) => failed(&format_args!(
            "the logout hook did not answer within {limit:?}"
        )),
    }
}

#[cfg(any(feature = "axum", feature = "actix"))]
enum HookFailure {
    Failed(String),
    Panicked(HookPanicked),
}

/// A panic of the logout hook, shown with its message.
#[cfg(any(feature = "axum", feature = "actix"))]
struct HookPanicked(Box<dyn std::any::Any + Send>);

#[cfg(any(feature = "axum", feature = "actix"))]
impl std::fmt::Display for HookPanicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = self
            .0
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| self.0.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        write!(f, "the logout hook panicked: {message}")
    }
}

/// `true` when a session value under the application's signed-in key
/// (`signed_in_key`) says a user is signed in: present and not JSON `null`.
///
/// ```
/// use auto_logout::engine::holds_signed_in_user;
/// use serde_json::json;
///
/// assert!(holds_signed_in_user(Some(&json!("ada"))));
/// assert!(holds_signed_in_user(Some(&json!({"id": 7}))));
/// assert!(!holds_signed_in_user(Some(&json!(null))));
/// assert!(!holds_signed_in_user(None));
/// ```
pub fn holds_signed_in_user(value: Option<&serde_json::Value>) -> bool {
    value.is_some_and(|value| !value.is_null())
}

/// `true` when, at the end of a request, the integration starts the clocks
/// of a session signed in without `AutoLogout::login` — the application
/// named its signed-in key (`signed_in_key`) — because the session holds that
/// key (`signed_in`) and no stamps (`has_stamps`), and it was not an active
/// tracked session when the request began (`was_active`: its stamps were
/// checked then, and a request does not restart them), with a limit
/// configured (else there are no clocks to start).
///
/// That covers a login handler that put its user into the session and forgot
/// the login call: the clocks start with that very request, so the first page
/// after the login is already tracked. A session that already held the key
/// when a request began (signed in before the integration was installed)
/// starts its clocks at the start of that request
/// ([`starts_clocks_of_untracked_login`]).
pub fn starts_clocks_at_end(
    config: &Config,
    was_active: bool,
    signed_in: bool,
    has_stamps: bool,
) -> bool {
    !was_active && signed_in && !has_stamps && config.has_limit()
}

/// The text of the warning (`clocks_never_started`) given when sessions hold
/// data but their clocks never start.
pub const CLOCKS_NEVER_STARTED: &str = "a session holds data but no auto-logout stamps, and \
AutoLogout::login was never called: if its user is signed in, no timeout applies to it. Call \
AutoLogout::login when a user signs in, or name the session key that holds the signed-in user \
with signed_in_key";

/// Whether the application ever started a session's clocks, for the warning
/// about clocks that never start: one per layer or middleware value (its
/// clones share it). `AutoLogout::login` (axum and actix) notes its calls
/// here.
#[derive(Debug, Default)]
pub struct LoginWatch {
    login_called: AtomicBool,
    reported: AtomicBool,
}

impl LoginWatch {
    /// Nothing seen yet.
    pub const fn new() -> LoginWatch {
        LoginWatch {
            login_called: AtomicBool::new(false),
            reported: AtomicBool::new(false),
        }
    }

    /// Notes a call of `AutoLogout::login`.
    pub fn login_called(&self) {
        if !self.login_called.load(Ordering::Relaxed) {
            self.login_called.store(true, Ordering::Relaxed);
        }
    }

    /// `true` while a session without stamps is worth a look: a limit is
    /// configured, the integration has no way to start clocks by itself
    /// (`starts_clocks`: a signed-in key, axum-login, actix-identity), no
    /// login was called, nothing reported yet. Two relaxed loads; an
    /// integration asks only for sessions that had no stamps when the request
    /// began and changed during it.
    pub fn worth_a_look(&self, config: &Config, starts_clocks: bool) -> bool {
        !starts_clocks
            && config.has_limit()
            && !self.login_called.load(Ordering::Relaxed)
            && !self.reported.load(Ordering::Relaxed)
    }

    /// A request ends with a session that holds data but no stamps: warns
    /// ([`CLOCKS_NEVER_STARTED`]) the first time only.
    pub fn report(&self) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            crate::audit::clocks_never_started(CLOCKS_NEVER_STARTED);
        }
    }

    /// Whether [`LoginWatch::report`] has warned.
    pub fn reported(&self) -> bool {
        self.reported.load(Ordering::Relaxed)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Remaining;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + Copy {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn config() -> Config {
        Config::builder()
            .idle_time(600)
            .login_url("/login?lang=en")
            .build()
            .unwrap()
    }

    fn reply_of(route: Route) -> Reply {
        match route {
            Route::Reply(reply) => reply,
            Route::Continue(e) => panic!("expected a reply, got Continue({e:?})"),
        }
    }

    #[test]
    fn urls_are_built_under_the_prefix() {
        let c = Config::builder()
            .idle_time(60)
            .endpoint_prefix("/x/")
            .build()
            .unwrap();
        let e = Endpoints::new(&c);
        assert_eq!(e.status(), "/x/status");
        assert_eq!(e.keepalive(), "/x/keepalive");
        assert_eq!(e.script(), c.script_url());
        assert_eq!(e.stylesheet(), c.stylesheet_url());
        assert_eq!(e.match_path("/x/status"), Some(Endpoint::Status));
        assert_eq!(e.match_path(c.script_url()), Some(Endpoint::Script));
        for other in ["/x/statusx", "/x/", "/status", "/x/status/", "/"] {
            assert_eq!(e.match_path(other), None, "{other}");
        }
    }

    #[test]
    fn static_files_are_immutable_and_not_sniffed() {
        let e = Endpoints::new(&config());
        for (url, kind, content) in [
            (e.script(), JAVASCRIPT, assets::SCRIPT),
            (e.stylesheet(), CSS, assets::STYLESHEET),
        ] {
            for method in ["GET", "HEAD"] {
                let r = reply_of(route(&e, method, url, headers(&[])));
                assert_eq!(r.status, 200);
                assert_eq!(r.header("content-type"), Some(kind));
                assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
                assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
                assert_eq!(r.body, content);
                assert!(matches!(r.headers, Cow::Borrowed(_)));
                assert!(matches!(r.body, Cow::Borrowed(_)));
            }
        }
    }

    #[test]
    fn wrong_methods_get_405_with_allow() {
        let e = Endpoints::new(&config());
        for (url, method, allow) in [
            (e.status(), "POST", "GET, HEAD"),
            (e.script(), "DELETE", "GET, HEAD"),
            (e.stylesheet(), "PUT", "GET, HEAD"),
            (e.keepalive(), "GET", "POST"),
        ] {
            let r = reply_of(route(&e, method, url, headers(&[])));
            assert_eq!(r.status, 405, "{method} {url}");
            assert_eq!(r.header("allow"), Some(allow));
            assert_eq!(r.header("cache-control"), Some(NO_STORE));
        }
    }

    #[test]
    fn keepalive_needs_its_header() {
        let e = Endpoints::new(&config());
        let r = reply_of(route(&e, "POST", e.keepalive(), headers(&[])));
        assert_eq!((r.status, r.body.as_ref()), (403, KEEPALIVE_REFUSED));
        let wrong = [("x-auto-logout", "0")];
        assert_eq!(
            reply_of(route(&e, "POST", e.keepalive(), headers(&wrong))).status,
            403
        );
        let ok = [("x-auto-logout", " 1 ")];
        assert_eq!(
            route(&e, "POST", e.keepalive(), headers(&ok)),
            Route::Continue(Some(Endpoint::Keepalive))
        );
        assert_eq!(
            route(&e, "HEAD", e.status(), headers(&[])),
            Route::Continue(Some(Endpoint::Status))
        );
        assert_eq!(
            route(&e, "POST", "/orders", headers(&[])),
            Route::Continue(None)
        );
    }

    #[test]
    fn endpoint_and_error_answers() {
        let r = Reply::endpoint(&RequestOutcome::Active {
            remaining: Remaining::new(Some(1500), None),
            write: None,
        });
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(JSON));
        assert_eq!(r.header("cache-control"), Some(NO_STORE));
        assert!(r.body.starts_with(r#"{"active":true"#));
        let s = Reply::store_failed();
        assert_eq!((s.status, s.body.as_ref()), (503, STORE_FAILED));
        assert_eq!(s.header("cache-control"), Some(NO_STORE));
        assert_eq!(Reply::missing_session("add it").status, 500);
        assert_eq!(Reply::misconfigured("wrap it").body, "wrap it");
    }

    #[test]
    fn mistakes_answer_500_with_their_fix() {
        assert_eq!(session_layer_ran(Some(1)), Ok(1));
        assert_eq!(
            session_layer_ran(None::<u8>),
            Err(Mistake::SessionLayerNotOutside)
        );
        assert_eq!(store_mistake(true, true), None);
        assert_eq!(store_mistake(false, false), None, "nothing loaded yet");
        assert_eq!(store_mistake(false, true), Some(Mistake::StoreNotWrapped));
        // Messages: only when a message is configured, and only when the
        // middleware ran inside (before: fine; neither: reported where lost).
        assert_eq!(
            messages_mistake(true, false, true),
            Some(Mistake::MessagesNotOutside)
        );
        for (configured, before, after) in [
            (false, false, true),
            (true, true, true),
            (true, false, false),
        ] {
            assert_eq!(messages_mistake(configured, before, after), None);
        }
        for mistake in [
            Mistake::SessionLayerNotOutside,
            Mistake::StoreNotWrapped,
            Mistake::MessagesNotOutside,
        ] {
            for framework in [Framework::Axum, Framework::Actix] {
                let r = mistake.reply(framework);
                assert_eq!(r.status, 500);
                assert_eq!(r.body, mistake.fix(framework));
                assert!(r.body.starts_with("auto-logout: "), "{}", r.body);
                assert_eq!(r.header("content-type"), Some(TEXT));
                assert_eq!(r.header("cache-control"), Some(NO_STORE));
            }
        }
        let axum = Mistake::SessionLayerNotOutside.fix(Framework::Axum);
        assert!(axum.contains(".layer(SessionManagerLayer::new(store))"));
        let actix = Mistake::MessagesNotOutside.fix(Framework::Actix);
        assert!(actix.contains(".wrap(FlashMessagesFramework::builder(..).build())"));
    }

    #[test]
    fn the_login_page_is_exempt() {
        assert!(is_login_page("/login?lang=en", "/login"));
        assert!(is_login_page("/login", "/login"));
        assert!(!is_login_page("/login", "/login/"));
        assert!(!is_login_page("/login", "/"));
        let c = config();
        assert_eq!(
            expired_reply(
                &c,
                ExpiryReason::Idle,
                "/login",
                "/login?next=/",
                headers(&[])
            ),
            None
        );
        let no_login_url = Config::builder().idle_time(60).build().unwrap();
        assert_eq!(
            expired_reply(&no_login_url, ExpiryReason::Idle, "/", "/", headers(&[])),
            None
        );
    }

    #[test]
    fn clocks_start_for_a_login_made_elsewhere() {
        let c = config();
        let untracked = RequestOutcome::Untracked;
        assert!(starts_clocks_of_untracked_login(&c, true, &untracked));
        assert!(!starts_clocks_of_untracked_login(&c, false, &untracked));
        let expired = RequestOutcome::Expired(ExpiryReason::Idle);
        assert!(!starts_clocks_of_untracked_login(&c, true, &expired));
        let no_limit = Config::builder().build().unwrap();
        assert!(!starts_clocks_of_untracked_login(
            &no_limit, true, &untracked
        ));
        assert!(signed_in_during_request::<str>(None, Some("ada")));
        assert!(!signed_in_during_request::<str>(None, None));
    }

    #[test]
    fn pages_of_an_active_session_are_not_cached() {
        let active = RequestOutcome::Active {
            remaining: Remaining::new(Some(1), None),
            write: None,
        };
        assert_eq!(
            page_cache_control(&active, Activity::Counts, false),
            Some(NO_STORE)
        );
        assert_eq!(page_cache_control(&active, Activity::Counts, true), None);
        assert_eq!(page_cache_control(&active, Activity::Passive, false), None);
        for other in [
            RequestOutcome::Untracked,
            RequestOutcome::Expired(ExpiryReason::Idle),
        ] {
            assert_eq!(page_cache_control(&other, Activity::Counts, false), None);
        }
    }

    #[test]
    fn expired_answers_by_request_kind() {
        let c = config();
        let expired = |h: &[(&str, &str)]| {
            expired_reply(&c, ExpiryReason::Idle, "/orders", "/orders?p=2", headers(h)).unwrap()
        };
        let page = expired(&[("sec-fetch-mode", "navigate")]);
        assert_eq!(page.status, 303);
        assert_eq!(
            page.header("location"),
            Some("/login?lang=en&next=%2Forders%3Fp%3D2")
        );
        assert_eq!(page.header("cache-control"), Some(NO_STORE));
        assert_eq!(page.body, "");

        let fetch = expired(&[
            ("sec-fetch-mode", "cors"),
            ("host", "shop.example"),
            ("referer", "http://shop.example/cart"),
        ]);
        assert_eq!(fetch.status, 401);
        assert_eq!(fetch.header("content-type"), Some(JSON));
        assert_eq!(fetch.header("cache-control"), Some(NO_STORE));
        assert_eq!(
            fetch.body,
            r#"{"error":"session_expired","login":"/login?lang=en&next=%2Fcart","reason":"idle"}"#
        );

        let htmx = expired(&[
            ("hx-request", "true"),
            ("host", "shop.example"),
            ("hx-current-url", "http://shop.example/orders"),
        ]);
        assert_eq!(htmx.status, 200);
        assert_eq!(
            htmx.header("hx-redirect"),
            Some("/login?lang=en&next=%2Forders")
        );
        assert_eq!(htmx.header("cache-control"), Some(NO_STORE));
        assert_eq!(htmx.header("location"), None);
    }

    const IDP: &str = "https://idp.example/logout?client_id=shop";

    #[test]
    fn a_hooks_redirect_reaches_each_kind_of_request() {
        let as_data = |endpoint, h: &[(&str, &str)]| match hook_answer(
            ExpiryReason::Session,
            endpoint,
            303,
            Some(IDP),
            headers(h),
        ) {
            HookAnswer::Reply(reply) => reply,
            other => panic!("expected a reply, got {other:?}"),
        };
        for endpoint in [Endpoint::Status, Endpoint::Keepalive] {
            let r = as_data(Some(endpoint), &[("sec-fetch-mode", "navigate")]);
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some(JSON));
            assert_eq!(r.header("cache-control"), Some(NO_STORE));
            assert_eq!(r.header("location"), None);
            assert_eq!(
                r.body,
                r#"{"active":false,"login":"https://idp.example/logout?client_id=shop","reason":"session"}"#
            );
        }
        let fetch = as_data(None, &[("sec-fetch-mode", "cors")]);
        assert_eq!(fetch.status, 401);
        assert_eq!(
            fetch.body,
            r#"{"error":"session_expired","login":"https://idp.example/logout?client_id=shop","reason":"session"}"#
        );
        let htmx = as_data(None, &[("hx-request", "true")]);
        assert_eq!((htmx.status, htmx.header("hx-redirect")), (200, Some(IDP)));
        assert_eq!(htmx.header("cache-control"), Some(NO_STORE));
        assert_eq!(htmx.header("location"), None);
        // A page navigation, with and without Fetch Metadata: as it is.
        for h in [&[][..], &[("sec-fetch-mode", "navigate")]] {
            assert_eq!(
                hook_answer(ExpiryReason::Idle, None, 302, Some(IDP), headers(h)),
                HookAnswer::AsIs
            );
        }
    }

    #[test]
    fn a_hooks_other_answers() {
        let no = headers(&[]);
        // Not a redirect: a Location on a 200 or 201 is no place to go.
        for (status, location) in [(200, None), (200, Some(IDP)), (201, Some(IDP)), (303, None)] {
            for endpoint in [Endpoint::Status, Endpoint::Keepalive] {
                assert_eq!(
                    hook_answer(ExpiryReason::Idle, Some(endpoint), status, location, no),
                    HookAnswer::Usual,
                    "{status} {location:?}"
                );
            }
            for h in [
                &[("sec-fetch-mode", "cors")][..],
                &[("hx-request", "true")],
                &[],
            ] {
                assert_eq!(
                    hook_answer(ExpiryReason::Idle, None, status, location, headers(h)),
                    HookAnswer::AsIs
                );
            }
        }
        assert_eq!(hook_cache_control(false), Some(NO_STORE));
        assert_eq!(hook_cache_control(true), None);
    }

    #[test]
    fn clocks_start_at_the_end_of_a_forgetful_login_only() {
        let c = config();
        let no_limit = Config::builder().build().unwrap();
        assert!(!starts_clocks_at_end(&no_limit, false, true, false));
        assert!(starts_clocks_at_end(&c, false, true, false));
        assert!(
            !starts_clocks_at_end(&c, true, true, false),
            "an active session"
        );
        assert!(
            !starts_clocks_at_end(&c, false, false, false),
            "nobody signed in"
        );
        assert!(
            !starts_clocks_at_end(&c, false, true, true),
            "the login call was made"
        );
    }

    #[test]
    fn the_login_watch_reports_once_and_not_after_a_login() {
        let c = config();
        let watch = LoginWatch::new();
        let no_limit = Config::builder().build().unwrap();
        assert!(!watch.worth_a_look(&no_limit, false), "nothing to time out");
        assert!(watch.worth_a_look(&c, false));
        assert!(
            !watch.worth_a_look(&c, true),
            "the integration starts clocks itself"
        );
        watch.report();
        assert!(watch.reported());
        assert!(!watch.worth_a_look(&c, false));
        let called = LoginWatch::default();
        called.login_called();
        assert!(!called.worth_a_look(&c, false));
        assert!(!called.reported());
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    mod hooks {
        use super::*;
        use std::future::{Ready, ready};
        use std::time::Duration;

        const LIMIT: Duration = Duration::from_millis(50);

        async fn run(call: impl FnOnce() -> Ready<Result<Option<u16>, String>>) -> Option<u16> {
            run_hook(ExpiryReason::Idle, LIMIT, call).await
        }

        #[tokio::test]
        async fn the_hooks_answer_or_none() {
            assert_eq!(run(|| ready(Ok(Some(303)))).await, Some(303));
            assert_eq!(run(|| ready(Ok(None))).await, None);
            assert_eq!(run(|| ready(Err("down".into()))).await, None);
        }

        #[tokio::test]
        async fn a_panic_is_the_hooks_failure() {
            // While the future is made, and while it runs.
            assert_eq!(run(|| panic!("made")).await, None);
            let polled = Box::pin(async {
                if LIMIT > Duration::ZERO {
                    panic!("polled");
                }
                Ok(Some(1))
            });
            assert_eq!(run_hook(ExpiryReason::Idle, LIMIT, || polled).await, None);
            let shown = HookPanicked(Box::new("polled")).to_string();
            assert_eq!(shown, "the logout hook panicked: polled");
            let shown = HookPanicked(Box::new(String::from("made"))).to_string();
            assert_eq!(shown, "the logout hook panicked: made");
        }

        #[tokio::test]
        async fn a_hook_that_never_answers_is_given_up() {
            let started = std::time::Instant::now();
            let never = Box::pin(std::future::pending::<Result<Option<u16>, String>>());
            assert_eq!(run_hook(ExpiryReason::Idle, LIMIT, || never).await, None);
            let waited = started.elapsed();
            assert!(waited >= LIMIT && waited < LIMIT * 40, "{waited:?}");
        }
    }
}
