//! The demo's behaviour over real HTTP, written once as tables of steps and
//! run against both demo stacks: `tests/axum/axum_behaviour.rs` (axum,
//! tower-sessions, MiniJinja) and `tests/actix/actix_behaviour.rs` (actix-web,
//! actix-session, Tera). The scenarios are those of `axum_demo.rs` and
//! `axum_layer.rs`; a scenario that passes on one stack and not on the other
//! is a difference between the integrations, that is a bug.
//!
//! A step is a request of one of the scenario's browsers (each with its own
//! cookie jar) with the answer it must get, a move of the site's injected
//! clock, or a count of the session store's writes since the last count.
//!
//! Beside the tables, checks written once as functions over a stack's start
//! (`hook`, `idle_promise`, `signed_in`, `store_faults`), and one over each stack's store
//! wrapper, driven directly rather than over HTTP (`store_lock`).
#![allow(dead_code)]

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auto_logout::{Config, ManualClock};
use tokio::sync::Notify;

pub use crate::support::Fault;
use crate::support::app::DEFAULT_MESSAGE;
use crate::support::{Browser, Page};

pub mod hook;
pub mod idle_promise;
pub mod input_age;
pub mod limits;
pub mod lock;
pub mod sessions;
pub mod signed_in;
pub mod store_faults;
pub mod store_lock;

/// The passive status endpoint.
pub const STATUS: &str = "/auto-logout/status";
/// The keepalive endpoint.
pub const KEEPALIVE: &str = "/auto-logout/keepalive";
/// A page each test file adds: it says when it started, waits to be
/// released, then changes the session (so the stack writes it back).
pub const SLOW: &str = "/slow";
/// A page each test file adds that sets its own `cache-control`.
pub const OWN_CACHING: &str = "/own";
/// [`OWN_CACHING`]'s `cache-control`.
pub const OWN_POLICY: &str = "private, max-age=60";

/// The idle message of [`messages_config`].
pub const IDLE_MESSAGE: &str = "You were signed out after a minute without activity.";
/// The absolute-limit message of [`messages_config`].
pub const SESSION_MESSAGE: &str = "Your five minutes are over. Please sign in again.";
/// What the demos flash on a sign-out.
pub const SIGNED_OUT: &str = "You have been signed out.";
/// The time limit of the store wrapper on both stacks' behaviour sites
/// (`AutoLogoutStore::with_timeout`): a hanging store is given up after it.
pub const STORE_TIMEOUT: Duration = Duration::from_millis(500);
/// The body of the integrations' answer to a failing store.
pub const STORE_FAILED: &str = "auto-logout: the session store failed";

/// The two gates of [`SLOW`].
#[derive(Default)]
pub struct Gate {
    pub entered: Notify,
    pub release: Notify,
}

/// A running demo site of one framework ([`support::Target`]: its address,
/// clock and name, which this derefs to), kept alive as long as this value,
/// with what the scenarios need of it besides.
///
/// [`support::Target`]: crate::support::Target
pub struct Target {
    /// The gates of the site's [`SLOW`] page.
    pub gate: Arc<Gate>,
    writes: Box<dyn Fn() -> usize + Send + Sync>,
    fault: Box<dyn Fn(Fault) + Send + Sync>,
    site: crate::support::Target,
}

impl Target {
    /// `writes` counts the session records the store has written so far
    /// (created or saved); `fault` sets what the store does with its calls.
    pub fn new(
        addr: SocketAddr,
        clock: ManualClock,
        framework: &'static str,
        gate: Arc<Gate>,
        writes: impl Fn() -> usize + Send + Sync + 'static,
        fault: impl Fn(Fault) + Send + Sync + 'static,
        site: impl Any,
    ) -> Self {
        Target {
            gate,
            writes: Box::new(writes),
            fault: Box::new(fault),
            site: crate::support::Target::new(addr, clock, framework, site),
        }
    }
}

impl Target {
    /// From now on the site's store behaves as `fault` says.
    pub fn set_fault(&self, fault: Fault) {
        (self.fault)(fault)
    }
}

impl std::ops::Deref for Target {
    type Target = crate::support::Target;

    fn deref(&self) -> &crate::support::Target {
        &self.site
    }
}

/// Django mode: no `LOGIN_URL`, the app's own guard redirects (`axum_demo.rs`).
pub fn django_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .passive_path("/static/")
        .build()
        .unwrap()
}

/// With `LOGIN_URL`: the integration answers expired requests itself.
pub fn login_url_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

/// Each limit with its own message.
pub fn messages_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .idle_message(IDLE_MESSAGE)
        .session_message(SESSION_MESSAGE)
        .build()
        .unwrap()
}

/// A request as a browser sends it. In `path`, `{script}` and `{stylesheet}`
/// stand for the crate's files under their content hash.
#[derive(Clone, Copy, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub form: &'static [(&'static str, &'static str)],
}

/// `GET path`.
pub const fn get(path: &'static str) -> Req {
    Req {
        method: "GET",
        path,
        headers: &[],
        form: &[],
    }
}

/// `HEAD path`.
pub const fn head(path: &'static str) -> Req {
    Req {
        method: "HEAD",
        ..get(path)
    }
}

/// `POST path` without a body.
pub const fn post(path: &'static str) -> Req {
    Req {
        method: "POST",
        ..get(path)
    }
}

impl Req {
    /// With these request headers.
    pub const fn with(self, headers: &'static [(&'static str, &'static str)]) -> Req {
        Req { headers, ..self }
    }

    /// With this form as its body.
    pub const fn form(self, form: &'static [(&'static str, &'static str)]) -> Req {
        Req { form, ..self }
    }
}

/// One of the crate's files, compared byte for byte.
#[derive(Clone, Copy, Debug)]
pub enum Asset {
    Script,
    Stylesheet,
}

/// What an answer must be; `None` and empty lists check nothing.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub status: u16,
    pub location: Option<&'static str>,
    /// The flashed messages the page shows, in order.
    pub messages: Option<&'static [&'static str]>,
    /// The whole body, as JSON.
    pub json: Option<&'static str>,
    /// Top-level fields of the JSON body, each value as JSON text.
    pub fields: &'static [(&'static str, &'static str)],
    /// Response headers; `None` means absent.
    pub headers: &'static [(&'static str, Option<&'static str>)],
    pub contains: &'static [&'static str],
    pub lacks: &'static [&'static str],
    pub body: Option<&'static str>,
    pub asset: Option<Asset>,
}

/// An answer with this status code.
pub const fn answer(status: u16) -> Expect {
    Expect {
        status,
        location: None,
        messages: None,
        json: None,
        fields: &[],
        headers: &[],
        contains: &[],
        lacks: &[],
        body: None,
        asset: None,
    }
}

/// `303 See Other` to `location`.
pub const fn see_other(location: &'static str) -> Expect {
    answer(303).location(location)
}

impl Expect {
    pub const fn location(self, location: &'static str) -> Self {
        Expect {
            location: Some(location),
            ..self
        }
    }
    pub const fn messages(self, messages: &'static [&'static str]) -> Self {
        Expect {
            messages: Some(messages),
            ..self
        }
    }
    pub const fn json(self, json: &'static str) -> Self {
        Expect {
            json: Some(json),
            ..self
        }
    }
    pub const fn fields(self, fields: &'static [(&'static str, &'static str)]) -> Self {
        Expect { fields, ..self }
    }
    pub const fn headers(self, headers: &'static [(&'static str, Option<&'static str>)]) -> Self {
        Expect { headers, ..self }
    }
    pub const fn contains(self, contains: &'static [&'static str]) -> Self {
        Expect { contains, ..self }
    }
    pub const fn lacks(self, lacks: &'static [&'static str]) -> Self {
        Expect { lacks, ..self }
    }
    pub const fn body(self, body: &'static str) -> Self {
        Expect {
            body: Some(body),
            ..self
        }
    }
    pub const fn asset(self, asset: Asset) -> Self {
        Expect {
            asset: Some(asset),
            ..self
        }
    }
}

/// One step of a scenario; browsers are numbered from 0.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// The browser signs in as demo/demo (`303`).
    Login(usize),
    /// The browser sends the request and gets the answer.
    Request(usize, Req, Expect),
    /// The site's clock moves forward this many milliseconds.
    Advance(u64),
    /// The steps, this many times.
    Repeat(usize, &'static [Step]),
    /// The store wrote between `.0` and `.1` records (both included) since
    /// the last `Writes` step or the start; counting starts again.
    Writes(usize, usize),
    /// From now on the store behaves as the [`Fault`] says.
    Store(Fault),
    /// The browser requests [`SLOW`]; the step ends when the page has started.
    SlowStart(usize),
    /// [`SLOW`] is released and its answer read.
    SlowFinish(Expect),
}

use Step::*;

/// Steps, with the configuration of the site they run on.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub config: fn() -> Config,
    pub steps: &'static [Step],
}

const INACTIVE: &str = r#"{"active": false, "reason": null}"#;
const IDLE_OUT: &str = r#"{"active": false, "reason": "idle"}"#;
const NO_STORE: &[(&str, Option<&str>)] = &[("cache-control", Some("no-store"))];
const UNTOUCHED: &[(&str, Option<&str>)] = &[("set-cookie", None)];
const NO_CACHE_POLICY: &[(&str, Option<&str>)] = &[("cache-control", None)];
const TO_LOGIN: Expect = see_other("/login?next=/");
pub const EXPIRED: &[&str] = &[DEFAULT_MESSAGE];
pub const NONE: &[&str] = &[];
const ACTIVE: &[(&str, &str)] = &[("active", "true")];
pub const KEEP_ALIVE: Req = post(KEEPALIVE).with(&[("x-auto-logout", "1")]);
const IMMUTABLE: Option<&str> = Some("public, max-age=31536000, immutable");

/// Sign in, a page, sign out with its message, anonymous again.
pub const SIGN_IN_AND_OUT: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(0, get("/"), TO_LOGIN),
        Request(
            0,
            post("/login").form(&[("username", "demo"), ("password", "nope"), ("next", "/")]),
            answer(401).contains(&["Wrong username or password"]),
        ),
        Login(0),
        Request(
            0,
            get("/"),
            answer(200)
                .contains(&[
                    "Hello, demo",
                    r#"id="idle-left" data-seconds="60""#,
                    r#"id="session-left" data-seconds="300""#,
                    "<script data-auto-logout",
                    r#"data-status-url="/auto-logout/status""#,
                ])
                .headers(NO_STORE),
        ),
        Request(0, post("/logout"), see_other("/login?signed_out=1")),
        Request(0, get("/login"), answer(200).messages(&[SIGNED_OUT])),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// Anonymous visitors get no cookie, no script, and nothing is stored.
pub const ANONYMOUS_REQUESTS_ARE_UNTOUCHED: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(0, get("/"), TO_LOGIN.headers(UNTOUCHED)),
        Request(
            0,
            get("/public"),
            answer(200)
                .headers(UNTOUCHED)
                .contains(&["Public page"])
                .lacks(&["data-auto-logout"]),
        ),
        // The login page's cookies: ANONYMOUS_LOGIN_PAGE_SETS_NO_COOKIE.
        Request(0, get("/login"), answer(200)),
        Request(
            0,
            get(STATUS),
            answer(200).headers(UNTOUCHED).json(INACTIVE),
        ),
        Request(0, get("/static/demo.css"), answer(200).headers(UNTOUCHED)),
        Writes(0, 0),
    ],
};

/// The login page sets no cookie for a visitor who has none.
pub const ANONYMOUS_LOGIN_PAGE_SETS_NO_COOKIE: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(0, get("/login"), answer(200).headers(UNTOUCHED)),
        Request(0, get("/login?next=/"), answer(200).headers(UNTOUCHED)),
        Writes(0, 0),
    ],
};

/// A sign-out form posted by a visitor who is not signed in (another site
/// can send one): no session is created, nothing is stored.
pub const ANONYMOUS_LOGOUT_CREATES_NOTHING: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(0, post("/logout"), answer(303).headers(UNTOUCHED)),
        Writes(0, 0),
        Request(0, get("/login"), answer(200).messages(NONE)),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
        Writes(0, 0),
    ],
};

/// The absolute limit is per session, not per user: the same user signing
/// in on a second browser (Django would move the user's `last_login`)
/// neither ends nor extends the first session, and the second has its own.
pub const THE_ABSOLUTE_LIMIT_IS_PER_SESSION_NOT_PER_USER: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Repeat(2, &[Advance(50_000), Request(0, get("/"), answer(200))]),
        Login(1),
        Repeat(
            4,
            &[
                Advance(50_000),
                Request(0, get("/"), answer(200)),
                Request(1, get("/"), answer(200)),
            ],
        ),
        // 300.001 s after the first login, 200.001 s after the second.
        Advance(1),
        Request(0, get("/"), TO_LOGIN),
        Request(1, get("/"), answer(200)),
    ],
};

/// `ENDPOINT_PREFIX=/fragments/`, a prefix the app's own pages share.
pub fn fragments_prefix_config() -> Config {
    Config::builder()
        .idle_time(60)
        .redirect_to_login_immediately(true)
        .endpoint_prefix("/fragments/")
        .build()
        .unwrap()
}

/// Every endpoint moves under `ENDPOINT_PREFIX` (the script tag says where;
/// the default prefix is the app's again); the app's own page under the
/// prefix counts as activity, only `status` and the crate's files are
/// passive.
pub const ONLY_THE_CRATES_OWN_ENDPOINTS_UNDER_THE_PREFIX_ARE_PASSIVE: Scenario = Scenario {
    config: fragments_prefix_config,
    steps: &[
        Login(0),
        Request(
            0,
            get("/"),
            answer(200).contains(&[
                r#"data-status-url="/fragments/status""#,
                r#"data-keepalive-url="/fragments/keepalive""#,
            ]),
        ),
        Request(0, get(STATUS), answer(404)),
        Advance(50_000),
        Request(
            0,
            get("/fragments/idle"),
            answer(200).contains(&["idle-fragment"]),
        ),
        Advance(50_000),
        Request(
            0,
            get("/fragments/status"),
            answer(200).fields(&[("active", "true"), ("idle_ms", "10000")]),
        ),
        Request(0, get("{script}"), answer(200).asset(Asset::Script)),
        Request(0, get("{stylesheet}"), answer(200).asset(Asset::Stylesheet)),
        Advance(10_000),
        Request(
            0,
            get("/fragments/status"),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get("/fragments/status"), answer(200).json(IDLE_OUT)),
    ],
};

/// Idle expiry: to the login page with `next`, the message shown once.
pub const IDLE_EXPIRY_SHOWS_THE_MESSAGE_ONCE: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Request(0, get("/"), answer(200)),
        Advance(60_001),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login?next=/"), answer(200).messages(EXPIRED)),
        Request(0, get("/login"), answer(200).messages(NONE)),
        Request(0, get("/"), TO_LOGIN),
    ],
};

/// The absolute limit ends a session that never idled, 1 ms past it.
pub const ABSOLUTE_EXPIRY_UNDER_CONTINUOUS_ACTIVITY: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Repeat(10, &[Advance(30_000), Request(0, get("/"), answer(200))]),
        // 300 s since the login exactly: still in (strict `< 0`).
        Advance(1),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// Each limit flashes its own message.
pub const EACH_LIMIT_FLASHES_ITS_OWN_MESSAGE: Scenario = Scenario {
    config: messages_config,
    steps: &[
        Login(0),
        Login(1),
        Repeat(5, &[Advance(59_000), Request(1, get("/"), answer(200))]),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(&[IDLE_MESSAGE])),
        Advance(5_001),
        Request(1, get("/"), TO_LOGIN),
        Request(1, get("/login"), answer(200).messages(&[SESSION_MESSAGE])),
    ],
};

/// At exactly `IDLE_TIME` the session is still active; 1 ms later it is not.
pub const EXPIRY_IS_STRICT_AT_THE_BOUNDARY: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Login(1),
        Advance(60_000),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Request(1, get("/"), answer(200)),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(1, get("/"), answer(200)),
    ],
};

/// 100 requests a second for 10 s write the session at most once per write
/// resolution (600 ms, 1 % of `IDLE_TIME`): 15 or 16 writes.
pub const WRITES_ARE_COALESCED: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Writes(1, 3),
        Repeat(1000, &[Advance(10), Request(0, get("/"), answer(200))]),
        Writes(15, 16),
        // The last write is less than a resolution behind the last request.
        Advance(60_000 - 600),
        Request(0, get(STATUS), answer(200).fields(ACTIVE)),
        Advance(600),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// Polling, marked-passive requests, prefetches, `HEAD` and static files
/// never extend the idle time.
pub const PASSIVE_REQUESTS_DO_NOT_EXTEND_IDLE: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Repeat(
            6,
            &[
                Advance(10_000),
                Request(0, get(STATUS), answer(200).fields(ACTIVE)),
                Request(
                    0,
                    get("/").with(&[("x-auto-logout-passive", "1")]),
                    answer(200),
                ),
                Request(
                    0,
                    get("/").with(&[("sec-purpose", "prefetch")]),
                    answer(200),
                ),
                Request(
                    0,
                    get("/").with(&[("sec-purpose", "prefetch;prerender")]),
                    answer(200),
                ),
                Request(0, get("/").with(&[("purpose", "prefetch")]), answer(200)),
                Request(0, get("/static/demo.css"), answer(200)),
            ],
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// `HEAD` of a page is answered like `GET`, and never counts as activity.
pub const HEAD_REQUESTS_ARE_PASSIVE: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Repeat(
            6,
            &[
                Advance(10_000),
                Request(0, head("/"), answer(200)),
                Request(0, head("/public"), answer(200)),
            ],
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// `keepalive` needs `POST` and its header; with both it counts as activity.
pub const KEEPALIVE_COUNTS_ONLY_WITH_ITS_HEADER: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(30_000),
        Request(0, post(KEEPALIVE), answer(403)),
        Request(0, get(KEEPALIVE), answer(405)),
        Request(
            0,
            KEEP_ALIVE,
            answer(200)
                .headers(NO_STORE)
                .fields(&[("active", "true"), ("idle_ms", "60000")]),
        ),
        Advance(59_000),
        Request(0, get(STATUS), answer(200).fields(ACTIVE)),
        Advance(1_001),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// `status` for no session, an active one, and one it ends.
pub const STATUS_ANSWERS_FOR_EVERY_KIND_OF_SESSION: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Request(0, get(STATUS), answer(200).headers(NO_STORE).json(INACTIVE)),
        Login(0),
        Advance(10_500),
        Request(
            0,
            get(STATUS),
            answer(200).headers(NO_STORE).fields(&[
                ("active", "true"),
                ("idle_ms", "49500"),
                ("session_ms", "289500"),
                ("seconds_until_idle_end", "50"),
            ]),
        ),
        Request(0, head(STATUS), answer(200)),
        Request(0, post(STATUS), answer(405)),
        Advance(60_000),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        // The status request ended the session and flashed the message.
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// The script and the stylesheet under their content hash, cached forever,
/// with no cookie; other names under the prefix are the app's.
pub const SCRIPT_AND_STYLESHEET_FILES: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(
            0,
            get("{script}"),
            answer(200).asset(Asset::Script).headers(&[
                ("cache-control", IMMUTABLE),
                ("x-content-type-options", Some("nosniff")),
                ("set-cookie", None),
            ]),
        ),
        Request(0, head("{script}"), answer(200)),
        Request(0, post("{script}"), answer(405)),
        Request(
            0,
            get("{stylesheet}"),
            answer(200).asset(Asset::Stylesheet).headers(&[
                ("content-type", Some("text/css; charset=utf-8")),
                ("cache-control", IMMUTABLE),
                ("set-cookie", None),
            ]),
        ),
        Login(0),
        Request(0, get("{script}"), answer(200).asset(Asset::Script)),
        Request(
            0,
            get("/auto-logout/auto-logout.000000000000.js"),
            answer(404),
        ),
        Request(0, get("/auto-logout/"), answer(404)),
    ],
};

/// With `LOGIN_URL`, an expired request is answered by its kind: a page
/// `303` with `next`, `fetch` and XHR `401` JSON, htmx `HX-Redirect`; the
/// login page itself is served with the message.
pub const LOGIN_URL_ANSWERS_BY_REQUEST_KIND: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Login(1),
        Login(2),
        Login(3),
        Login(4),
        Advance(60_001),
        Request(
            0,
            get("/public?tab=2&x=%2F"),
            see_other("/login?next=%2Fpublic%3Ftab%3D2%26x%3D%252F").headers(NO_STORE),
        ),
        Request(
            0,
            get("/login?next=%2Fpublic"),
            answer(200).messages(EXPIRED),
        ),
        Request(0, get("/public"), answer(200)),
        Request(
            1,
            get("/").with(&[("sec-fetch-mode", "cors"), ("accept", "*/*")]),
            answer(401)
                .headers(&[
                    ("cache-control", Some("no-store")),
                    ("content-type", Some("application/json")),
                ])
                .json(r#"{"error": "session_expired", "reason": "idle", "login": "/login"}"#),
        ),
        Request(
            2,
            get("/").with(&[("x-requested-with", "XMLHttpRequest")]),
            answer(401),
        ),
        Request(
            3,
            get("/").with(&[("hx-request", "true"), ("sec-fetch-mode", "cors")]),
            answer(200).headers(&[
                ("hx-redirect", Some("/login?next=%2F")),
                ("cache-control", Some("no-store")),
            ]),
        ),
        Request(4, get("/login?next=%2F"), answer(200).messages(EXPIRED)),
    ],
};

/// Pages of a signed-in session are `no-store`, unless the handler chose;
/// anonymous and passive answers keep their caching.
pub const TRACKED_PAGES_ARE_NO_STORE: Scenario = Scenario {
    config: django_config,
    steps: &[
        Request(0, get("/public"), answer(200).headers(NO_CACHE_POLICY)),
        Request(0, get("/login"), answer(200).headers(NO_CACHE_POLICY)),
        Login(0),
        Request(0, get("/"), answer(200).headers(NO_STORE)),
        Request(0, get("/public"), answer(200).headers(NO_STORE)),
        Request(
            0,
            get(OWN_CACHING),
            answer(200).headers(&[("cache-control", Some(OWN_POLICY))]),
        ),
        Request(
            0,
            get("/static/demo.css"),
            answer(200).headers(NO_CACHE_POLICY),
        ),
        Request(
            0,
            get("/public").with(&[("x-auto-logout-passive", "1")]),
            answer(200).headers(NO_CACHE_POLICY),
        ),
        Request(0, post("/logout"), answer(303)),
        Request(0, get("/public"), answer(200).headers(NO_CACHE_POLICY)),
    ],
};

/// A failing store: the integration's `503`, never cached, never a page as
/// if signed in; the same session is served once the store is back.
pub const STORE_ERROR_IS_503: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Store(Fault::Fails),
        Request(
            0,
            get("/"),
            answer(503)
                .headers(NO_STORE)
                .body(STORE_FAILED)
                .lacks(&["Hello"]),
        ),
        Request(
            0,
            get(STATUS),
            answer(503).headers(NO_STORE).body(STORE_FAILED),
        ),
        Request(
            0,
            get("/public"),
            answer(503).headers(NO_STORE).body(STORE_FAILED),
        ),
        Request(
            0,
            get("/login"),
            answer(503).headers(NO_STORE).body(STORE_FAILED),
        ),
        Request(
            0,
            KEEP_ALIVE,
            answer(503).headers(NO_STORE).body(STORE_FAILED),
        ),
        Store(Fault::Works),
        Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
        Advance(60_001),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// A slow request that loaded the session before a sign-out and writes it
/// after: the sign-out stays final.
pub const SLOW_REQUEST_OVER_A_LOGOUT: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(2_000), // so the slow request also records activity
        SlowStart(0),
        Request(0, post("/logout"), see_other("/login?signed_out=1")),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
        SlowFinish(answer(200)),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// The same with the expiry seen by another request of the same browser.
pub const SLOW_REQUEST_OVER_AN_EXPIRY: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(2_000),
        SlowStart(0),
        Advance(61_000),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        SlowFinish(answer(200)),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// A slow request that started first and finishes last does not move the
/// last activity back to its own time.
pub const SLOW_REQUEST_NEVER_MOVES_ACTIVITY_BACK: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(2_000),
        SlowStart(0), // activity at +2 s...
        Advance(5_000),
        Request(0, get("/"), answer(200)), // ...and at +7 s, finished first
        SlowFinish(answer(200)),
        Advance(60_000), // +67 s: 60 s after the later one
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// Generates the whole suite, one `#[tokio::test]` a scenario or suite
/// function, for the test file of one stack. `start` builds that stack's
/// demo (an `async fn(Config) -> Target`), `hooked` the demo with a logout
/// hook (for [`hook`]), `keyed` the demo with or without the signed-in key
/// (for [`signed_in`]). A new scenario is one line here, and both stacks
/// run it.
#[macro_export]
macro_rules! behaviour_tests {
    (start = $start:ident, hooked = $hooked:ident, keyed = $keyed:ident $(,)?) => {
        $crate::behaviour_tests! {@scenarios $start;
            sign_in_and_out => SIGN_IN_AND_OUT,
            anonymous_requests_are_untouched => ANONYMOUS_REQUESTS_ARE_UNTOUCHED,
            anonymous_login_page_sets_no_cookie => ANONYMOUS_LOGIN_PAGE_SETS_NO_COOKIE,
            anonymous_logout_creates_nothing => ANONYMOUS_LOGOUT_CREATES_NOTHING,
            idle_expiry_shows_the_message_once => IDLE_EXPIRY_SHOWS_THE_MESSAGE_ONCE,
            absolute_expiry_under_continuous_activity => ABSOLUTE_EXPIRY_UNDER_CONTINUOUS_ACTIVITY,
            each_limit_flashes_its_own_message => EACH_LIMIT_FLASHES_ITS_OWN_MESSAGE,
            the_absolute_limit_is_per_session_not_per_user =>
                THE_ABSOLUTE_LIMIT_IS_PER_SESSION_NOT_PER_USER,
            only_the_crates_own_endpoints_under_the_prefix_are_passive =>
                ONLY_THE_CRATES_OWN_ENDPOINTS_UNDER_THE_PREFIX_ARE_PASSIVE,
            expiry_is_strict_at_the_boundary => EXPIRY_IS_STRICT_AT_THE_BOUNDARY,
            writes_are_coalesced => WRITES_ARE_COALESCED,
            passive_requests_do_not_extend_idle => PASSIVE_REQUESTS_DO_NOT_EXTEND_IDLE,
            head_requests_are_passive => HEAD_REQUESTS_ARE_PASSIVE,
            keepalive_counts_only_with_its_header => KEEPALIVE_COUNTS_ONLY_WITH_ITS_HEADER,
            status_answers_for_every_kind_of_session => STATUS_ANSWERS_FOR_EVERY_KIND_OF_SESSION,
            script_and_stylesheet_files => SCRIPT_AND_STYLESHEET_FILES,
            login_url_answers_by_request_kind => LOGIN_URL_ANSWERS_BY_REQUEST_KIND,
            tracked_pages_are_no_store => TRACKED_PAGES_ARE_NO_STORE,
            store_error_is_503 => STORE_ERROR_IS_503,
            slow_request_over_a_logout => SLOW_REQUEST_OVER_A_LOGOUT,
            slow_request_over_an_expiry => SLOW_REQUEST_OVER_AN_EXPIRY,
            slow_request_never_moves_activity_back => SLOW_REQUEST_NEVER_MOVES_ACTIVITY_BACK,
            remembered_session_outlives_the_configured_limit =>
                limits::REMEMBERED_SESSION_OUTLIVES_THE_CONFIGURED_LIMIT,
            remembered_session_keeps_the_configured_idle_limit =>
                limits::REMEMBERED_SESSION_KEEPS_THE_CONFIGURED_IDLE_LIMIT,
            the_stamps_carry_the_limits => limits::THE_STAMPS_CARRY_THE_LIMITS,
            version_1_stamps_in_the_store_still_work =>
                limits::VERSION_1_STAMPS_IN_THE_STORE_STILL_WORK,
            a_forged_limit_grants_no_more_than_the_maximum =>
                limits::A_FORGED_LIMIT_GRANTS_NO_MORE_THAN_THE_MAXIMUM,
            // `X-Auto-Logout-Input-Age`: a keepalive for input counts from the input.
            input_age_a_keepalive_counts_from_the_input =>
                input_age::A_KEEPALIVE_COUNTS_FROM_THE_INPUT,
            input_age_zero_is_now => input_age::AGE_ZERO_IS_NOW,
            input_age_forged_ages_cannot_extend => input_age::FORGED_AGES_CANNOT_EXTEND,
            input_age_the_write_resolution_applies_to_the_input =>
                input_age::THE_WRITE_RESOLUTION_APPLIES_TO_THE_INPUT,
            // LOCK_AFTER and the password endpoints.
            lock_a_locked_session_refuses_every_kind_of_request =>
                lock::A_LOCKED_SESSION_REFUSES_EVERY_KIND_OF_REQUEST,
            lock_the_right_password_unlocks => lock::THE_RIGHT_PASSWORD_UNLOCKS,
            lock_too_many_wrong_passwords_end_the_session =>
                lock::TOO_MANY_WRONG_PASSWORDS_END_THE_SESSION,
            lock_signing_in_again_restarts_both_clocks =>
                lock::SIGNING_IN_AGAIN_RESTARTS_BOTH_CLOCKS,
            lock_the_absolute_limit_ends_a_locked_session =>
                lock::THE_ABSOLUTE_LIMIT_ENDS_A_LOCKED_SESSION,
            presence_the_last_tab_closed_ends_the_session =>
                lock::THE_LAST_TAB_CLOSED_ENDS_THE_SESSION,
            sensitive_pages_need_a_recent_sign_in => lock::SENSITIVE_PAGES_NEED_A_RECENT_SIGN_IN,
        }
        $crate::behaviour_tests! {@calls
            hook_sees_the_session_and_replaces_a_page =>
                hook::sees_the_session_and_replaces_a_page($hooked),
            hook_runs_at_the_absolute_limit => hook::runs_at_the_absolute_limit($hooked),
            hook_reaches_the_script_fetch_and_htmx =>
                hook::reaches_the_script_fetch_and_htmx($hooked),
            hook_runs_for_stamps_it_cannot_trust => hook::runs_for_stamps_it_cannot_trust($hooked),
            hook_page_is_not_given_to_the_script => hook::a_page_is_not_given_to_the_script($hooked),
            hook_error_still_logs_out =>
                hook::a_failing_hook_still_logs_out($hooked, behaviour::hook::Mode::Fail),
            hook_panic_still_logs_out =>
                hook::a_failing_hook_still_logs_out($hooked, behaviour::hook::Mode::Panic),
            hook_returning_none_changes_nothing => hook::returning_none_changes_nothing($hooked),
            hook_that_hangs_is_given_up_at_its_limit =>
                hook::a_hanging_hook_is_given_up_at_its_limit($hooked),
            signed_in_key_starts_the_clocks => signed_in::the_key_starts_the_clocks($keyed),
            signed_in_without_the_key_warns_once =>
                signed_in::without_the_key_it_warns_once($keyed),
            idle_promise_ten_requests_half_a_second_apart_at_idle_one_second =>
                idle_promise::ten_requests_half_a_second_apart_at_idle_one_second_are_never_logged_out(
                    $start
                ),
            idle_promise_a_page_999_ms_after_sign_in_at_idle_60_s =>
                idle_promise::sign_in_a_page_999_ms_later_and_59_002_s_after_that_still_signed_in_at_idle_60_s(
                    $start
                ),
            idle_promise_requests_every_99_percent_of_idle_time_are_never_logged_out =>
                idle_promise::requests_every_99_percent_of_idle_time_are_never_logged_out($start),
            idle_promise_the_logout_window_at_idle_one_second =>
                idle_promise::the_logout_window($start, 1_000),
            idle_promise_the_logout_window_at_idle_60_seconds =>
                idle_promise::the_logout_window($start, 60_000),
            idle_promise_the_logout_window_at_idle_15_minutes =>
                idle_promise::the_logout_window($start, 900_000),
            lock_the_session_id_changes_and_the_data_stays =>
                lock::the_session_id_changes_and_the_data_stays($start),
            store_faults_a_hanging_store_is_given_up_at_the_limit =>
                store_faults::a_hanging_store_is_given_up_at_the_limit($start),
            store_faults_failing_writes_serve_no_page_and_count_nothing =>
                store_faults::failing_writes_serve_no_page_and_count_nothing($start),
            store_faults_failing_deletes_never_lose_a_logout =>
                store_faults::failing_deletes_never_lose_a_logout($start),
            idle_promise_store_writes_per_session_per_minute_at_idle_60_s_and_15_min =>
                idle_promise::store_writes_per_session_per_minute_at_idle_60_s_and_15_min($start),
        }
    };
    // One test a scenario: `test_name => SCENARIO` (a path below
    // `behaviour`), with the attributes written before it (`#[ignore = "why"]`).
    (@scenarios $start:ident; $($(#[$attr:meta])* $test:ident => $($scenario:ident)::+),* $(,)?) => {$(
        #[tokio::test]
        $(#[$attr])*
        async fn $test() {
            behaviour::run($start, &behaviour::$($scenario)::+).await;
        }
    )*};
    // One test a suite function: `test_name => module::function(arguments)`.
    (@calls $($test:ident => $($function:ident)::+ ($($arg:expr),*)),* $(,)?) => {$(
        #[tokio::test]
        async fn $test() {
            behaviour::$($function)::+($($arg),*).await;
        }
    )*};
}

fn flatten(steps: &'static [Step], out: &mut Vec<&'static Step>) {
    for step in steps {
        match step {
            Repeat(times, inner) => {
                for _ in 0..*times {
                    flatten(inner, out);
                }
            }
            other => out.push(other),
        }
    }
}

/// Runs `scenario` on a site `start` builds with the scenario's configuration.
pub async fn run(start: impl AsyncFn(Config) -> Target, scenario: &Scenario) {
    let config = (scenario.config)();
    let site = start(config.clone()).await;
    let mut steps = Vec::new();
    flatten(scenario.steps, &mut steps);
    let mut browsers: Vec<Browser> = Vec::new();
    let mut counted = (site.writes)();
    let mut slow: Option<tokio::task::JoinHandle<Page>> = None;
    for (at, step) in steps.into_iter().enumerate() {
        let what = format!("{}, step {at} {step:?}", site.framework);
        let mut browser = |who: usize| {
            while browsers.len() <= who {
                browsers.push(Browser::new(site.addr));
            }
            browsers[who].clone()
        };
        match *step {
            Login(who) => {
                let page = browser(who)
                    .post_form(
                        "/login",
                        &[("username", "demo"), ("password", "demo"), ("next", "/")],
                    )
                    .await;
                assert_eq!(page.status, 303, "{what}: {page:?}");
            }
            Request(who, req, expect) => {
                let page = send(&browser(who), &config, &req).await;
                check(&what, &page, &expect);
            }
            Advance(millis) => site.clock.advance(Duration::from_millis(millis)),
            Repeat(..) => unreachable!("flattened"),
            Writes(least, most) => {
                let now = (site.writes)();
                let writes = now - counted;
                assert!(
                    (least..=most).contains(&writes),
                    "{what}: {writes} writes, expected {least} to {most}"
                );
                counted = now;
            }
            Store(fault) => site.set_fault(fault),
            SlowStart(who) => {
                let b = browser(who);
                slow = Some(tokio::spawn(async move { b.get(SLOW).await }));
                tokio::time::timeout(Duration::from_secs(10), site.gate.entered.notified())
                    .await
                    .unwrap_or_else(|_| panic!("{what}: the slow page did not start"));
            }
            SlowFinish(expect) => {
                site.gate.release.notify_one();
                let page = slow.take().expect("a slow request").await.unwrap();
                check(&what, &page, &expect);
            }
        }
    }
}

async fn send(b: &Browser, config: &Config, req: &Req) -> Page {
    let path = req
        .path
        .replace("{script}", config.script_url())
        .replace("{stylesheet}", config.stylesheet_url());
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
    let mut request = b.client.request(method, b.url(&path));
    for (name, value) in req.headers {
        request = request.header(*name, *value);
    }
    if !req.form.is_empty() {
        request = request.form(req.form);
    }
    b.send(request).await
}

fn check(what: &str, page: &Page, expect: &Expect) {
    assert_eq!(page.status, expect.status, "{what}: status of {page:?}");
    if let Some(location) = expect.location {
        assert_eq!(page.location(), Some(location), "{what}: {page:?}");
    }
    if let Some(messages) = expect.messages {
        assert_eq!(page.messages(), messages, "{what}: messages of {page:?}");
    }
    if let Some(json) = expect.json {
        let want: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(page.json(), want, "{what}");
    }
    for (field, value) in expect.fields {
        let want: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(page.json()[field], want, "{what}: {field} of {}", page.body);
    }
    for (name, value) in expect.headers {
        assert_eq!(
            page.header(name),
            *value,
            "{what}: header {name} of {page:?}"
        );
    }
    for text in expect.contains {
        assert!(
            page.body.contains(text),
            "{what}: no {text:?} in {}",
            page.body
        );
    }
    for text in expect.lacks {
        assert!(
            !page.body.contains(text),
            "{what}: {text:?} in {}",
            page.body
        );
    }
    if let Some(body) = expect.body {
        assert_eq!(page.body, body, "{what}");
    }
    match expect.asset {
        Some(Asset::Script) => assert!(page.body == auto_logout::assets::SCRIPT, "{what}: script"),
        Some(Asset::Stylesheet) => assert!(
            page.body == auto_logout::assets::STYLESHEET,
            "{what}: stylesheet"
        ),
        None => {}
    }
}
