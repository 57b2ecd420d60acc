//! The request rules (`auto_logout::engine`) and the request engine
//! (`auto_logout::engine`) on arbitrary methods, paths and headers.
//!
//! Never a panic; the keepalive's input age header (`X-Auto-Logout-Input-Age`)
//! is read as a model of its rule says, turns only a counting keepalive into
//! `Activity::Earlier`, and that activity, decided on stored stamps, never
//! moves last activity back nor beyond now, nor gives more time than the
//! same request without the header.
//!
//! Every `next` and login location the rules produce stays
//! on the site: it starts with exactly one `/`, holds no `/\`, no control
//! character and no scheme, and joined onto `http://site.example/` by the
//! `url` crate (a WHATWG URL parser, as browsers use) it keeps that host.
#![no_main]

use arbitrary::Arbitrary;
use auto_logout::engine::{self, Endpoint, Endpoints, Route};
use auto_logout::engine::{self as request, Answer};
use auto_logout::{Activity, Config, ExpiryReason, Remaining, RequestOutcome, Stamps, Timestamp};
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use url::Url;

#[derive(Arbitrary, Debug)]
struct Input {
    method: Method,
    path: Path,
    headers: Vec<(Name, Value)>,
    login_url: Path,
    passive_path: Option<Path>,
    prefix: Option<Vec<u8>>,
    reason: u8,
    no_login_url: bool,
    /// Make it look like the script's keepalive: `POST` with `X-Auto-Logout: 1` first.
    keepalive_shaped: bool,
    /// An input age header, sent first (after `X-Auto-Logout`).
    input_age: Option<Age>,
    /// The stored last activity after login, and `now` after it (ms, taken
    /// modulo a little more than the 600 s idle limit).
    clock: (u32, u32),
    remaining: (Option<i64>, Option<i64>),
}

/// An input age header value, in one of many spellings.
#[derive(Arbitrary, Debug)]
enum Age {
    Plain(u64),
    Spelled(u64, u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Method {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Path {
    /// `/` followed by anything.
    Rooted(String),
    /// Anything, including `//host`, `/\host`, `https://host`.
    Any(String),
    /// A prefix that often fools naive checks, then anything.
    Tricky(u8, String),
    /// One of the crate's endpoints, maybe with something after it.
    Endpoint(u8, Option<String>),
    /// The login page's path, maybe with something after it.
    Login(Option<String>),
}

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Token(u8),
    /// A `Host` value.
    Host(u8),
    /// `scheme://host<path>`, where the host is often the request's own.
    Url(u8, u8, Path),
    /// A number, as an input age might be written.
    Age(Age),
    Any(String),
}

const METHODS: [&str; 8] = [
    "GET", "POST", "HEAD", "head", "OPTIONS", "PUT", "DELETE", "PATCH",
];
const TRICKY: [&str; 12] = [
    "//",
    "/\\",
    "\\",
    "/\t/",
    "/\n/",
    "/%2F",
    "https:",
    "javascript:",
    "/./",
    "/../",
    "\u{0}/",
    " /",
];
const NAMES: [&str; 15] = [
    "host",
    "hx-request",
    "hx-current-url",
    "referer",
    "x-requested-with",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
    "sec-fetch-dest",
    "sec-purpose",
    "purpose",
    "accept",
    "x-auto-logout-passive",
    "x-auto-logout",
    "x-auto-logout-input-age",
];
const TOKENS: [&str; 16] = [
    "true",
    "1",
    "?1",
    "navigate",
    "cors",
    "no-cors",
    "same-origin",
    "cross-site",
    "none",
    "XMLHttpRequest",
    "application/json",
    "text/html,application/json",
    "prefetch;prerender",
    "image",
    "document",
    "empty",
];
const SCHEMES: [&str; 5] = ["http", "https", "HTTP", "javascript", "ftp"];
const HOSTS: [&str; 6] = [
    "site.example",
    "site.example:8080",
    "evil.example",
    "site.example@evil.example",
    "SITE.example",
    "",
];

const ENDPOINTS: [Endpoint; 6] = [
    Endpoint::Status,
    Endpoint::Keepalive,
    Endpoint::Script,
    Endpoint::Stylesheet,
    Endpoint::Unlock,
    Endpoint::Reauthenticate,
];

impl Path {
    /// The path, for a site whose endpoints are under `prefix` and whose login page is `login`.
    fn text_for(&self, prefix: &str, login: &str) -> String {
        match self {
            Path::Rooted(s) => format!("/{s}"),
            Path::Any(s) => s.clone(),
            Path::Tricky(i, s) => format!("{}{s}", TRICKY[usize::from(*i) % TRICKY.len()]),
            Path::Endpoint(i, rest) => format!(
                "{}{}",
                engine::endpoint_url(prefix, ENDPOINTS[usize::from(*i) % ENDPOINTS.len()]),
                rest.as_deref().unwrap_or_default()
            ),
            Path::Login(rest) => format!(
                "{}{}",
                login.split('?').next().unwrap_or_default(),
                rest.as_deref().unwrap_or_default()
            ),
        }
    }

    /// The path, before a configuration exists.
    fn text(&self) -> String {
        self.text_for("/auto-logout/", "/login")
    }
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Token(i) => TOKENS[usize::from(*i) % TOKENS.len()].to_owned(),
            Value::Host(i) => HOSTS[usize::from(*i) % HOSTS.len()].to_owned(),
            Value::Url(s, h, path) => format!(
                "{}://{}{}",
                SCHEMES[usize::from(*s) % SCHEMES.len()],
                HOSTS[usize::from(*h) % HOSTS.len()],
                path.text()
            ),
            Value::Age(age) => age.text(),
            Value::Any(s) => s.clone(),
        }
    }
}

impl Age {
    fn text(&self) -> String {
        match self {
            Age::Plain(n) => n.to_string(),
            Age::Spelled(n, how) => match how % 14 {
                0 => format!(" {n}\t"),
                1 => format!("+{n}"),
                2 => format!("-{n}"),
                3 => format!("{n}.5"),
                4 => format!("{n}e3"),
                5 => format!("000{n}"),
                6 => format!("{n}99999999999999999999"),
                7 => format!("0x{n:x}"),
                8 => format!("{n} {n}"),
                9 => format!("{n}\u{a0}"),
                10 => "\u{661}\u{662}".to_owned(),
                11 => String::new(),
                12 => (u64::from(u32::MAX) + n % 3).to_string(),
                _ => (u64::from(u32::MAX) - n % 3).to_string(),
            },
            Age::Any(s) => s.clone(),
        }
    }
}

/// The input age header's rule, written apart from the crate: surrounding
/// whitespace dropped, then only ASCII digits, at least one, read as a
/// number of milliseconds, at most `u32::MAX`.
fn model_input_age(value: &str) -> Option<u32> {
    let digits = value.trim_matches(char::is_whitespace);
    if digits.is_empty() || digits.bytes().any(|b| !b.is_ascii_digit()) {
        return None;
    }
    let n = digits.bytes().fold(0u128, |n, b| {
        (n * 10 + u128::from(b - b'0')).min(u128::from(u32::MAX) + 1)
    });
    Some(n.min(u128::from(u32::MAX)) as u32)
}

/// The assertion: `location` is a path on this site.
fn on_site(location: &str, what: &str) {
    assert!(location.starts_with('/'), "{what} {location:?}: not rooted");
    assert!(
        !location.starts_with("//"),
        "{what} {location:?}: protocol-relative"
    );
    assert!(!location.contains("/\\"), "{what} {location:?}: /\\");
    assert!(!location.contains('\\'), "{what} {location:?}: backslash");
    assert!(
        !location.chars().any(char::is_control),
        "{what} {location:?}: control character"
    );
    let base = Url::parse("http://site.example/").unwrap();
    let joined = base
        .join(location)
        .unwrap_or_else(|e| panic!("{what} {location:?} does not join: {e}"));
    assert_eq!(joined.scheme(), "http", "{what} {location:?} -> {joined}");
    assert_eq!(
        joined.host_str(),
        Some("site.example"),
        "{what} {location:?} -> {joined}"
    );
    assert_eq!(joined.port(), None, "{what} {location:?} -> {joined}");
}

/// The activity decided on stored stamps: never a panic, a write at exactly
/// the user's instant (`now`, or `now - age`), after the stored last activity
/// and not after `now`, and never more time than a request without an age.
fn decide_with_age(config: &Config, activity: Activity, (a, b): (u32, u32)) {
    const LOGIN: i64 = 1_700_000_000_000;
    let last = LOGIN + i64::from(a % 700_000);
    let now = last + i64::from(b % 700_000);
    let stored = Stamps::new(
        Timestamp::from_unix_millis(LOGIN),
        Timestamp::from_unix_millis(last),
    )
    .expect("last after login")
    .encode();
    let at = Timestamp::from_unix_millis(now);
    let outcome = config.check_request(Some(&stored), at, activity);
    let plain = config.check_request(Some(&stored), at, Activity::Counts);
    match (outcome, plain) {
        (RequestOutcome::Expired(a), RequestOutcome::Expired(b)) => assert_eq!(a, b),
        (
            RequestOutcome::Active { remaining, write },
            RequestOutcome::Active {
                remaining: plain_remaining,
                write: plain_write,
            },
        ) => {
            assert!(remaining.idle_millis() <= plain_remaining.idle_millis());
            assert!(write.is_none() || plain_write.is_some());
            if let Some(w) = write {
                let written = w.last_activity_at().as_unix_millis();
                let expected = match activity {
                    Activity::Counts => now,
                    Activity::Earlier { millis_ago } => now - i64::from(millis_ago),
                    Activity::Passive => panic!("a passive request wrote"),
                };
                assert_eq!(written, expected, "{activity:?}");
                assert!(written > last, "last activity moved back");
                assert!(written <= now, "last activity beyond now");
            }
        }
        other => panic!("{activity:?} changed the decision: {other:?}"),
    }
}

/// A login location: on site, and its `next` (the one the crate appended) too.
fn check_location(location: &str, login_url: &str, next: Option<&str>, what: &str) {
    on_site(location, what);
    match next {
        None => assert_eq!(location, login_url, "{what}"),
        Some(next) => {
            on_site(next, what);
            let rest = location
                .strip_prefix(login_url)
                .unwrap_or_else(|| panic!("{what} {location:?} does not start with {login_url}"));
            let sep = if login_url.contains('?') {
                "&next="
            } else {
                "?next="
            };
            let encoded = rest
                .strip_prefix(sep)
                .unwrap_or_else(|| panic!("{what} {location:?}: no {sep}"));
            assert!(
                !encoded.contains(['&', '#', '?', '/', '+', ' ']),
                "{what} {encoded:?} not encoded"
            );
            let decoded = percent_decode_str(encoded).decode_utf8().expect("UTF-8");
            assert_eq!(decoded, next, "{what}: next does not round-trip");
        }
    }
}

fuzz_target!(|input: Input| {
    let method = match &input.method {
        _ if input.keepalive_shaped => "POST".to_owned(),
        Method::Known(i) => METHODS[usize::from(*i) % METHODS.len()].to_owned(),
        Method::Other(s) => s.clone(),
    };
    let shaped = [(request::KEEPALIVE_HEADER.to_owned(), "1".to_owned())];
    let shaped = if input.keepalive_shaped {
        &shaped[..]
    } else {
        &[]
    };
    let age_header = input
        .input_age
        .as_ref()
        .map(|a| (request::INPUT_AGE_HEADER.to_owned(), a.text()));
    let headers: Vec<(String, String)> = shaped
        .iter()
        .cloned()
        .chain(age_header)
        .chain(input.headers.iter().map(|(n, v)| {
            let name = match n {
                Name::Known(i) => NAMES[usize::from(*i) % NAMES.len()].to_owned(),
                Name::Other(s) => s.to_ascii_lowercase(),
            };
            (name, v.text())
        }))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    // A configuration, with each optional part kept only when it is valid.
    let base = || Config::builder().idle_time(600);
    let login_text = input.login_url.text();
    let login_url = match base().login_url(login_text.as_str()).build() {
        Ok(c) => c.login_url().expect("set").to_owned(),
        Err(_) => "/login".to_owned(),
    };
    on_site(&login_url, "LOGIN_URL");
    let mut builder = base();
    if !input.no_login_url {
        builder = builder.login_url(login_url.as_str());
    }
    if let Some(p) = &input.passive_path {
        let p = p.text();
        if base().passive_path(p.as_str()).build().is_ok() {
            builder = builder.passive_path(p);
        }
    }
    if let Some(bytes) = &input.prefix {
        let alphabet = b"az09-_./";
        let p: String = bytes
            .iter()
            .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
            .collect();
        let p = format!("/{p}/");
        if base().endpoint_prefix(p.as_str()).build().is_ok() {
            builder = builder.endpoint_prefix(p);
        }
    }
    // The same configuration under Django's rule (every request counts).
    let every_request = builder.clone().activity_needs_user(false).build();
    let config = builder.build().expect("each part was valid alone");
    let every_request = every_request.expect("each part was valid alone");
    let path = input.path.text_for(config.endpoint_prefix(), &login_url);

    // Activity: never a panic, and what is documented as passive stays passive.
    let activity = request::activity_of(&config, None, &method, &path, header);
    let by_user = request::made_by_user(header);
    let site = header("sec-fetch-site").map(|v| v.trim().to_ascii_lowercase());
    let model = match site.as_deref() {
        None | Some("same-origin") | Some("none") => true,
        Some(_) => {
            header("sec-fetch-mode").is_some_and(|v| v.trim().eq_ignore_ascii_case("navigate"))
                && header("sec-fetch-user").is_some_and(|v| v.trim() == "?1")
        }
    };
    assert_eq!(by_user, model, "made_by_user");
    // Needing the user only ever makes a request passive, never active.
    let loose = request::activity_of(&every_request, None, &method, &path, header);
    if config.activity_needs_user() && !by_user {
        assert_eq!(
            activity,
            Activity::Passive,
            "{method} {path}: not made by the user"
        );
    } else {
        assert_eq!(activity, loose, "{method} {path}: made by the user");
    }
    let must_be_passive = method.eq_ignore_ascii_case("HEAD")
        || method.eq_ignore_ascii_case("OPTIONS")
        || header(request::PASSIVE_HEADER).is_some_and(|v| v.trim() == "1")
        || path == format!("{}status", config.endpoint_prefix())
        || path == config.script_url()
        || config
            .passive_paths()
            .iter()
            .any(|p| path.starts_with(p.as_str()));
    if must_be_passive {
        assert_eq!(activity, Activity::Passive, "{method} {path}");
    }

    // The answer and the places it may send the user.
    let answer = request::answer_expired(header);
    if header("hx-request").is_some_and(|v| v.trim() == "true") {
        assert_eq!(answer, Answer::HtmxRedirect);
    }
    let safe = request::safe_next(&path);
    if let Some(next) = safe {
        assert_eq!(next, path);
        on_site(next, "safe_next");
    }
    let location = request::login_location(&login_url, &path);
    check_location(&location, &login_url, safe, "login_location");

    if let Some(host) = header("host") {
        for name in ["hx-current-url", "referer"] {
            let Some(url) = header(name) else { continue };
            if let Some(p) = request::page_path(url, host) {
                on_site(p, "page_path");
                assert!(url.contains(p), "page_path {p:?} is not from {url:?}");
                let page = Url::parse(url).ok();
                let own = Url::parse(&format!("http://{host}/")).ok();
                if let (Some(page), Some(own)) = (page, own) {
                    assert_eq!(
                        page.host(),
                        own.host(),
                        "page_path accepted {url} for {host}"
                    );
                }
            }
        }
    }
    for a in [
        answer,
        Answer::Redirect,
        Answer::HtmxRedirect,
        Answer::Unauthorized,
    ] {
        let _ = request::page_url_header(a);
        let next = request::expired_next(a, &path, header);
        if let Some(n) = next {
            on_site(n, "expired_next");
        }
        let location = request::expired_login_location(&login_url, a, &path, header);
        check_location(&location, &login_url, next, "expired_login_location");
    }

    // The engine: the routes before the session is read, and the expired answers.
    let endpoints = Endpoints::new(&config);
    let endpoint = endpoints.match_path(&path);

    // The input age: read as the model says, and only a counting keepalive's.
    let age = header(request::INPUT_AGE_HEADER);
    let age_millis = age.and_then(request::input_age_millis);
    if let Some(value) = age {
        assert_eq!(age_millis, model_input_age(value), "{value:?}");
    }
    assert_eq!(
        request::keepalive_activity(Activity::Passive, header),
        Activity::Passive
    );
    assert_eq!(
        request::keepalive_activity(Activity::Counts, header),
        age_millis.map_or(Activity::Counts, |millis_ago| Activity::Earlier {
            millis_ago
        })
    );
    let engine_activity = engine::activity_of(&config, endpoint, &method, &path, header);
    let expected = match (endpoint, activity, age_millis) {
        (Some(Endpoint::Keepalive), Activity::Counts, Some(millis_ago)) => {
            Activity::Earlier { millis_ago }
        }
        // The password endpoints are checked only.
        (Some(Endpoint::Unlock | Endpoint::Reauthenticate), _, _) => Activity::Passive,
        _ => activity,
    };
    assert_eq!(engine_activity, expected, "{method} {path}");
    decide_with_age(&config, engine_activity, input.clock);
    if let Some(e) = endpoint {
        assert_eq!(endpoints.url(e), path);
    }
    let get_or_head = method == "GET" || method == "HEAD";
    match engine::route(&endpoints, &method, &path, header) {
        Route::Continue(None) => assert_eq!(endpoint, None),
        Route::Continue(Some(e)) => {
            assert_eq!(Some(e), endpoint);
            match e {
                Endpoint::Status => assert!(get_or_head, "status on {method}"),
                Endpoint::Keepalive | Endpoint::Unlock | Endpoint::Reauthenticate => {
                    assert_eq!(method, "POST");
                    assert_eq!(header(request::KEEPALIVE_HEADER).map(str::trim), Some("1"));
                }
                other => panic!("{other:?} goes on to the session"),
            }
        }
        Route::Reply(reply) => {
            assert!(endpoint.is_some(), "a reply for {path}");
            assert!(matches!(reply.status, 200 | 403 | 405), "{reply:?}");
            assert!(reply.header("cache-control").is_some());
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            if reply.status == 200 {
                assert!(get_or_head, "{method} {path} answered 200");
            }
        }
    }
    let path_only = path.split('?').next().unwrap_or_default();
    let reason = [
        ExpiryReason::Idle,
        ExpiryReason::Session,
        ExpiryReason::Invalid,
    ][usize::from(input.reason) % 3];
    let reply = engine::expired_reply(&config, reason, path_only, &path, header);
    match (config.login_url(), reply) {
        (None, reply) => assert_eq!(reply, None),
        (Some(url), None) => assert!(engine::is_login_page(url, path_only), "{path}"),
        (Some(url), Some(reply)) => {
            assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
            let next = request::expired_next(answer, &path, header);
            let location = match (answer, reply.status) {
                (Answer::Redirect, 303) => reply.header("location").expect("location").to_owned(),
                (Answer::HtmxRedirect, 200) => reply.header("hx-redirect").expect("hx").to_owned(),
                (Answer::Unauthorized, 401) => {
                    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
                    assert_eq!(body["reason"], reason.as_str());
                    body["login"].as_str().expect("a login field").to_owned()
                }
                other => panic!("{other:?}: {reply:?}"),
            };
            check_location(&location, url, next, "expired_reply");
        }
    }

    // The JSON bodies are JSON.
    let reason = [
        ExpiryReason::Idle,
        ExpiryReason::Session,
        ExpiryReason::Invalid,
    ][usize::from(input.reason) % 3];
    let body = request::expired_json_with_login(reason, &location);
    let parsed: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(parsed["login"], location.as_str());
    serde_json::from_str::<serde_json::Value>(&request::expired_json(reason)).expect("JSON");
    let active = RequestOutcome::Active {
        remaining: Remaining::new(input.remaining.0, input.remaining.1),
        write: None,
    };
    for outcome in [
        active,
        RequestOutcome::Untracked,
        RequestOutcome::Expired(reason),
    ] {
        serde_json::from_str::<serde_json::Value>(&request::status_json(&outcome)).expect("JSON");
        let reply = engine::Reply::endpoint(&outcome);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        serde_json::from_str::<serde_json::Value>(&reply.body).expect("JSON");
        // Only a page of an active session is kept out of the cache, and only
        // when the app chose no caching of its own.
        for has_cache_control in [false, true] {
            let extra = engine::page_cache_control(&outcome, activity, has_cache_control);
            let page = outcome == active && activity == Activity::Counts && !has_cache_control;
            assert_eq!(
                extra,
                page.then_some("no-store"),
                "{outcome:?} {activity:?}"
            );
        }
    }
});
