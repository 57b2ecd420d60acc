//! The logout hook (`on_logout`) on both stacks: what it sees, how its
//! answer reaches a page, the client script's `status` request, `fetch` and
//! htmx, and that a failing or hanging hook still logs the session out.
//!
//! Each test file installs a hook that records every call in a [`HookLog`]
//! (the reason, the signed-in user read from the session, the request's
//! method and path) and answers as the log's [`Mode`] says, with the log's
//! [`HookLog::limit`] as the integration's `logout_hook_timeout`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use auto_logout::Config;

use super::*;
use crate::support::Browser;

/// The identity provider's end-session URL the hook redirects to: on
/// another site, which only the application's hook may choose.
pub const IDP: &str = "https://idp.example/logout?client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Flogin";
/// The body of the page [`Mode::Page`] answers with.
pub const HOOK_PAGE: &str = "signed out by the hook";
/// The error text of [`Mode::Fail`].
pub const HOOK_ERROR: &str = "the identity provider is down";

/// What the test's hook answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `Ok(None)`: the usual answer.
    Nothing,
    /// `Ok(Some(303 to IDP))`.
    Redirect,
    /// `Ok(Some(200 HOOK_PAGE))`: a page of its own, not a redirect.
    Page,
    /// `Err(HOOK_ERROR)`.
    Fail,
    /// A panic.
    Panic,
    /// No answer, ever (an identity provider that hangs).
    Hang,
}

/// One call of the hook, as it saw the request and the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub reason: String,
    /// The demo's signed-in user, read from the session the hook was given.
    pub user: Option<String>,
    pub method: String,
    pub path: String,
}

impl Call {
    /// A call for `reason` (its name, as `ExpiryReason::as_str`) of `user`,
    /// on a request of `method` to `path`.
    pub fn new(reason: &str, user: Option<String>, method: impl ToString, path: &str) -> Self {
        Call {
            reason: reason.into(),
            user,
            method: method.to_string(),
            path: path.into(),
        }
    }
}

/// What a test's hook does and what it saw, shared with the hook.
#[derive(Clone)]
pub struct HookLog {
    mode: Mode,
    limit: Duration,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl HookLog {
    /// A log whose hook answers as `mode` says, within the integration's
    /// default limit.
    pub fn new(mode: Mode) -> Self {
        HookLog {
            mode,
            limit: auto_logout::engine::LOGOUT_HOOK_TIMEOUT,
            calls: Arc::default(),
        }
    }

    /// The same, with `limit` as the integration's `logout_hook_timeout`.
    pub fn within(self, limit: Duration) -> Self {
        HookLog { limit, ..self }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// What the test file passes to `logout_hook_timeout`.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    pub fn record(&self, call: Call) {
        self.calls.lock().unwrap().push(call);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// What the test files' hooks do: records `call`, then answers as the
    /// mode says, with the framework's answers `redirect` makes (a 303 to
    /// its argument, [`IDP`]) and `page` makes (a 200 with its argument as
    /// the body, [`HOOK_PAGE`]).
    pub async fn answer<R>(
        &self,
        call: Call,
        redirect: impl FnOnce(&'static str) -> R,
        page: impl FnOnce(&'static str) -> R,
    ) -> Result<Option<R>, &'static str> {
        self.record(call);
        match self.mode {
            Mode::Nothing => Ok(None),
            Mode::Redirect => Ok(Some(redirect(IDP))),
            Mode::Page => Ok(Some(page(HOOK_PAGE))),
            Mode::Fail => Err(HOOK_ERROR),
            Mode::Panic => panic!("the logout hook panics"),
            Mode::Hang => std::future::pending().await,
        }
    }
}

/// A call of an idle logout of the demo user.
fn idle(method: &str, path: &str) -> Call {
    Call {
        reason: "idle".into(),
        user: Some("demo".into()),
        method: method.into(),
        path: path.into(),
    }
}

const GONE_TO_IDP: &str = r#"{"active": false, "reason": "idle", "login": "https://idp.example/logout?client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Flogin"}"#;
const FETCH_TO_IDP: &str = r#"{"error": "session_expired", "reason": "idle", "login": "https://idp.example/logout?client_id=shop&post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Flogin"}"#;
const NAVIGATE: &[(&str, &str)] = &[
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-dest", "document"),
];
const FETCH: &[(&str, &str)] = &[
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-site", "same-origin"),
];
const HTMX: &[(&str, &str)] = &[("hx-request", "true"), ("sec-fetch-mode", "cors")];

/// A page navigation that finds the session expired gets the hook's
/// redirect as it is; the session is gone afterwards and the message still
/// shows on the login page.
const REDIRECT_REPLACES_A_PAGE: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Request(0, get("/"), answer(200)),
        Advance(60_001),
        Request(
            0,
            get("/public").with(NAVIGATE),
            see_other(IDP).headers(NO_STORE),
        ),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// The hook runs for every automatic logout and sees the reason and the
/// session's data before the flush; its redirect replaces a page's answer.
pub async fn sees_the_session_and_replaces_a_page(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Redirect);
    run(
        async |c| start(c, log.clone()).await,
        &REDIRECT_REPLACES_A_PAGE,
    )
    .await;
    assert_eq!(log.calls(), [idle("GET", "/public")]);
}

/// Without `LOGIN_URL` (the app's guard answers), for the absolute limit.
const REDIRECT_AT_THE_ABSOLUTE_LIMIT: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Repeat(10, &[Advance(30_000), Request(0, get("/"), answer(200))]),
        Advance(1),
        Request(0, get("/"), see_other(IDP).headers(NO_STORE)),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// The absolute limit, without `LOGIN_URL`: the hook runs with the reason
/// `session` and its redirect is the answer.
pub async fn runs_at_the_absolute_limit(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Redirect);
    run(
        async |c| start(c, log.clone()).await,
        &REDIRECT_AT_THE_ABSOLUTE_LIMIT,
    )
    .await;
    assert_eq!(
        log.calls(),
        [Call {
            reason: "session".into(),
            ..idle("GET", "/")
        }]
    );
}

/// Where most logouts are found: the client script's `status` request
/// (JSON), `fetch`, htmx and `keepalive` get the redirect's location as data.
const REDIRECT_AS_DATA: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Login(1),
        Login(2),
        Login(3),
        Advance(60_001),
        Request(
            0,
            get(STATUS).with(&[
                ("x-auto-logout-passive", "1"),
                ("sec-fetch-mode", "cors"),
                ("sec-fetch-site", "same-origin"),
            ]),
            answer(200)
                .headers(&[
                    ("cache-control", Some("no-store")),
                    ("content-type", Some("application/json")),
                    ("location", None),
                ])
                .json(GONE_TO_IDP),
        ),
        // Logged out: the next status request finds nothing to log out.
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
        Request(0, get("/"), TO_LOGIN),
        Request(
            1,
            get("/").with(FETCH),
            answer(401)
                .headers(&[("cache-control", Some("no-store")), ("location", None)])
                .json(FETCH_TO_IDP),
        ),
        Request(
            2,
            get("/fragments/idle").with(HTMX),
            answer(200).headers(&[
                ("hx-redirect", Some(IDP)),
                ("cache-control", Some("no-store")),
                ("location", None),
            ]),
        ),
        Request(3, KEEP_ALIVE, answer(200).json(GONE_TO_IDP)),
        Request(3, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// The status-poll flow: an OpenID Connect logout still works when the
/// script's `status` request finds the expiry (the script goes to `login`).
pub async fn reaches_the_script_fetch_and_htmx(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Redirect);
    run(async |c| start(c, log.clone()).await, &REDIRECT_AS_DATA).await;
    assert_eq!(
        log.calls(),
        [
            idle("GET", STATUS),
            idle("GET", "/"),
            idle("GET", "/fragments/idle"),
            idle("POST", KEEPALIVE),
        ]
    );
}

/// A page of the hook's own (not a redirect) replaces a page's answer, but
/// the script's `status` request keeps its JSON.
const A_PAGE_OF_ITS_OWN: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Login(1),
        Advance(60_001),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(0, get("/"), TO_LOGIN),
        Request(1, get("/"), answer(200).body(HOOK_PAGE).headers(NO_STORE)),
        Request(1, get("/"), TO_LOGIN),
    ],
};

/// Stamps dated an hour ahead (a forged last activity, same login): the
/// request that reads them logs the session out as `invalid`.
const REDIRECT_FOR_STAMPS_IT_CANNOT_TRUST: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Request(
            0,
            post(super::limits::STAMPS).form(&[("value", "1.1767225600000.1767229200000")]),
            answer(200),
        ),
        Request(0, get("/"), see_other(IDP)),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// Stamps that cannot be trusted: the hook runs with the reason `invalid`.
pub async fn runs_for_stamps_it_cannot_trust(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Redirect);
    run(
        async |c| start(c, log.clone()).await,
        &REDIRECT_FOR_STAMPS_IT_CANNOT_TRUST,
    )
    .await;
    assert_eq!(
        log.calls(),
        [Call {
            reason: "invalid".into(),
            ..idle("GET", "/")
        }]
    );
}

/// A hook's page is given to pages only.
pub async fn a_page_is_not_given_to_the_script(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Page);
    run(async |c| start(c, log.clone()).await, &A_PAGE_OF_ITS_OWN).await;
    assert_eq!(log.calls(), [idle("GET", STATUS), idle("GET", "/")]);
}

/// A hook that returns an error or panics: the session is logged out all
/// the same (the old cookie is signed out and its record holds no login),
/// and the answer is the usual one.
pub async fn a_failing_hook_still_logs_out(
    start: impl AsyncFn(Config, HookLog) -> Target,
    mode: Mode,
) {
    let log = HookLog::new(mode);
    let site = start(login_url_config(), log.clone()).await;
    let b = Browser::new(site.addr);
    b.login().await;
    assert_eq!(b.get("/").await.status, 200, "{}", site.framework);
    let old = cookies(&b);
    site.clock.advance(Duration::from_millis(60_001));

    let page = b.get("/").await;
    assert_eq!(page.status, 303, "{}: {page:?}", site.framework);
    assert_eq!(
        page.location(),
        Some("/login?next=%2F"),
        "{}",
        site.framework
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let login = b.get("/login").await;
    assert_eq!(login.messages(), EXPIRED, "{}", site.framework);
    assert_eq!(log.calls(), [idle("GET", "/")], "{}", site.framework);

    // The cookie from before the expiry: nothing under it any more.
    let replay = browser_with(site.addr, &old);
    let status = replay.get(STATUS).await;
    let inactive: serde_json::Value = serde_json::from_str(INACTIVE).unwrap();
    assert_eq!(status.json(), inactive, "{}: {status:?}", site.framework);
    assert_eq!(replay.get("/").await.location(), Some("/login?next=/"));
    assert_eq!(log.calls().len(), 1, "{}: no second logout", site.framework);
}

/// The limit the hanging-hook test sets (the default is 5 s).
pub const HANG_LIMIT: Duration = Duration::from_millis(300);
/// How much later than [`HANG_LIMIT`] the answer may come.
pub const HANG_MARGIN: Duration = Duration::from_millis(1_500);

/// A hook that never answers, with `logout_hook_timeout(300 ms)`: an expired
/// page navigation gets the usual `303` to the login page and an expired
/// `fetch` the usual `401` JSON, each once the limit has passed (the hook
/// was waited for) and not much after (it was given up); both sessions are
/// logged out all the same (their old cookies are signed out), once each,
/// and the login page shows the message.
pub async fn a_hanging_hook_is_given_up_at_its_limit(
    start: impl AsyncFn(Config, HookLog) -> Target,
) {
    let log = HookLog::new(Mode::Hang).within(HANG_LIMIT);
    let site = start(login_url_config(), log.clone()).await;
    let framework = site.framework;
    let (page, fetch) = (site.browser(), site.browser());
    page.login().await;
    fetch.login().await;
    assert_eq!(page.get("/").await.status, 200, "{framework}");
    let old = [cookies(&page), cookies(&fetch)];
    site.advance(60_001);

    let (navigated, page_took) = page.timed_get_with("/", NAVIGATE).await;
    let (fetched, fetch_took) = fetch.timed_get_with("/", FETCH).await;
    println!(
        "{framework}: a logout hook that never answers, logout_hook_timeout {HANG_LIMIT:?}: \
         the expired page answered in {page_took:?}, the expired fetch in {fetch_took:?}"
    );
    assert_eq!(navigated.status, 303, "{framework}: {navigated:?}");
    assert_eq!(navigated.location(), Some("/login?next=%2F"), "{framework}");
    assert_eq!(navigated.header("cache-control"), Some("no-store"));
    assert_eq!(fetched.status, 401, "{framework}: {fetched:?}");
    let expired: serde_json::Value = serde_json::from_str(
        r#"{"error": "session_expired", "reason": "idle", "login": "/login"}"#,
    )
    .unwrap();
    assert_eq!(fetched.json(), expired, "{framework}");
    for (what, took) in [("page", page_took), ("fetch", fetch_took)] {
        assert!(
            took >= HANG_LIMIT,
            "{framework}: the {what} was answered in {took:?}, before the hook's limit"
        );
        assert!(
            took < HANG_LIMIT + HANG_MARGIN,
            "{framework}: the {what} was answered in {took:?}, not within {HANG_MARGIN:?} \
             of the hook's limit"
        );
    }
    assert_eq!(
        log.calls(),
        [idle("GET", "/"), idle("GET", "/")],
        "{framework}"
    );

    assert_eq!(page.get("/login").await.messages(), EXPIRED, "{framework}");
    let inactive: serde_json::Value = serde_json::from_str(INACTIVE).unwrap();
    for cookies in &old {
        let replay = browser_with(site.addr, cookies);
        let status = replay.get(STATUS).await;
        assert_eq!(status.json(), inactive, "{framework}: {status:?}");
        assert_eq!(replay.get("/").await.location(), Some("/login?next=/"));
    }
    assert_eq!(log.calls().len(), 2, "{framework}: no second logout");
}

/// A hook that keeps the usual answer changes nothing the suite checks.
pub async fn returning_none_changes_nothing(start: impl AsyncFn(Config, HookLog) -> Target) {
    let log = HookLog::new(Mode::Nothing);
    for scenario in [
        &LOGIN_URL_ANSWERS_BY_REQUEST_KIND,
        &STATUS_ANSWERS_FOR_EVERY_KIND_OF_SESSION,
        &IDLE_EXPIRY_SHOWS_THE_MESSAGE_ONCE,
    ] {
        run(async |c| start(c, log.clone()).await, scenario).await;
    }
    // One call per logout: four browsers, one status request, one page.
    assert_eq!(log.calls().len(), 5 + 1 + 1, "{:?}", log.calls());
}

/// The cookies `b` sends to its site, as `(name, value)`.
fn cookies(b: &Browser) -> Vec<(String, String)> {
    use reqwest::cookie::CookieStore;
    let url = b.url("/").parse().unwrap();
    let Some(header) = b.jar.cookies(&url) else {
        return Vec::new();
    };
    header
        .to_str()
        .unwrap()
        .split("; ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// A new browser for `addr` holding only `cookies`.
fn browser_with(addr: std::net::SocketAddr, cookies: &[(String, String)]) -> Browser {
    let b = Browser::new(addr);
    let url = b.url("/").parse().unwrap();
    for (name, value) in cookies {
        b.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }
    b
}
