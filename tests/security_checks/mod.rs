//! The security review's checks (SECURITY.md), written once over real HTTP
//! and run against both demo stacks: `tests/axum/security.rs` (axum) and
//! `tests/actix/actix_security.rs` (actix-web). Each check starts the sites it
//! needs through a starter the test file passes in, so every framework gets
//! the same requests and the same assertions.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use auto_logout::{Config, WarningTexts, assets};
use reqwest::Url;
use scraper::{Html, Selector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::app::{Csp, SESSION_COOKIE};
use crate::support::{Browser, Page};

pub use crate::support::Target;

/// What only these checks need of a site.
impl Target {
    /// `http://127.0.0.1:<port>/`: what every answer is joined onto.
    pub fn base(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).unwrap()
    }

    /// A new browser whose jar holds only `id=<value>` for this site.
    pub fn browser_with_cookie(&self, value: &str) -> Browser {
        let b = self.browser();
        b.jar
            .add_cookie_str(&format!("{SESSION_COOKIE}={value}; Path=/"), &self.base());
        b
    }
}

/// The value of the session cookie `b` would send, if any.
pub fn session_cookie(b: &Browser) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url: Url = b.url("/").parse().unwrap();
    let header = b.jar.cookies(&url)?;
    header.to_str().ok()?.split("; ").find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == SESSION_COOKIE).then(|| value.to_owned())
    })
}

/// 60 s idle, 300 s absolute, the app's own login guard (no `LOGIN_URL`).
pub fn django_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message("The session has expired.")
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .passive_path("/static/")
        .build()
        .unwrap()
}

/// [`django_config`] with `LOGIN_URL = /login`: the layer answers expired requests itself.
pub fn login_url_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message("The session has expired.")
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .login_url("/login")
        .passive_path("/static/")
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// Open redirect
// ---------------------------------------------------------------------------

/// `next` values that try to leave the site, as a form field or query value
/// (decoded): absolute, protocol-relative, backslashes, percent-encoded
/// slashes and backslashes, tabs and newlines inside, control characters,
/// `javascript:` and other schemes, dot segments.
pub const HOSTILE_NEXT: &[&str] = &[
    "https://evil.example/",
    "http://evil.example",
    "HTTPS://EVIL.EXAMPLE/",
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "\\/evil.example/",
    "/\\/evil.example/",
    "%2F%2Fevil.example/",
    "/%2F%2Fevil.example/",
    "%2f%2fevil.example/",
    "/%5Cevil.example/",
    "%5C%5Cevil.example/",
    "/%5C/evil.example/",
    "%252F%252Fevil.example/",
    "/\t/evil.example/",
    "/%09/evil.example/",
    "\t//evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "/%0D%0A/evil.example/",
    "/ok\r\nLocation: https://evil.example/",
    "/%0d%0aLocation:%20https://evil.example/",
    "\u{0}//evil.example/",
    "/\u{0}/evil.example/",
    "/\u{1}/evil.example/",
    "/\u{1b}/evil.example/",
    "/\u{7f}/evil.example/",
    "/\u{85}/evil.example/",
    "/\u{2028}/evil.example/",
    "\u{3000}//evil.example/",
    " //evil.example/",
    "/ /evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "/javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "evil.example",
    "https:evil.example",
    "http:/evil.example",
    "http:\\\\evil.example",
    "/./evil.example/",
    "/.//evil.example/",
    "/..//evil.example/",
    "/%2e%2e//evil.example/",
    "//evil.example%2F@127.0.0.1/",
    "/@evil.example",
    "#//evil.example/",
    "?//evil.example/",
];

/// `location`, as a browser resolves it against `base` (the WHATWG URL
/// parser: tabs and newlines dropped, backslashes read as slashes), stays on
/// the site; and so does its `next` query parameter, if it has one, since the
/// login page will redirect there.
#[track_caller]
pub fn assert_on_site(base: &Url, location: &str, what: &str) {
    assert_location_on_site(base, location, what);
    let joined = base.join(location).unwrap();
    for (name, next) in joined.query_pairs() {
        if name == "next" {
            assert_location_on_site(base, &next, &format!("{what}, its next"));
        }
    }
}

#[track_caller]
fn assert_location_on_site(base: &Url, location: &str, what: &str) {
    let joined = base
        .join(location)
        .unwrap_or_else(|e| panic!("{what}: {location:?} does not parse ({e})"));
    assert_eq!(joined.scheme(), "http", "{what}: {location:?} → {joined}");
    assert_eq!(
        joined.host_str(),
        base.host_str(),
        "{what}: {location:?} → {joined}"
    );
    assert_eq!(
        joined.port_or_known_default(),
        base.port_or_known_default(),
        "{what}: {location:?} → {joined}"
    );
    assert!(
        !location.chars().any(|c| c.is_control()),
        "{what}: control characters in {location:?}"
    );
}

/// The demo's login form: a hostile `next` in the `POST /login` form and in
/// `GET /login?next=` never sends the browser off the site after signing in;
/// a same-site `next` is honoured (so the check can fail).
pub async fn login_form_next_stays_on_site(site: &Target) {
    let base = site.base();
    for next in HOSTILE_NEXT {
        let b = site.browser();
        let page = b
            .post_form(
                "/login",
                &[("username", "demo"), ("password", "demo"), ("next", next)],
            )
            .await;
        assert_eq!(page.status, 303, "{}: next = {next:?}", site.framework);
        let location = page.location().expect("a Location");
        assert_on_site(
            &base,
            location,
            &format!("{} POST next={next:?}", site.framework),
        );

        // The form's hidden field, as a browser reads it, then submitted.
        let query: String = url_encode(next);
        let form = site.browser().get(&format!("/login?next={query}")).await;
        assert_eq!(form.status, 200, "{}: {next:?}", site.framework);
        let hidden = hidden_next(&form.body);
        assert_on_site(
            &base,
            &hidden,
            &format!("{} form next={next:?}", site.framework),
        );
        let submitted = site
            .browser()
            .post_form(
                "/login",
                &[
                    ("username", "demo"),
                    ("password", "demo"),
                    ("next", &hidden),
                ],
            )
            .await;
        assert_on_site(
            &base,
            submitted.location().expect("a Location"),
            &format!("{} resubmitted next={next:?}", site.framework),
        );
    }
    let b = site.browser();
    let page = b
        .post_form(
            "/login",
            &[
                ("username", "demo"),
                ("password", "demo"),
                ("next", "/public?a=1"),
            ],
        )
        .await;
    assert_eq!(
        page.location(),
        Some("/public?a=1"),
        "a same-site next is honoured"
    );
}

fn url_encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The value of the login form's `<input name="next">`, as parsed by html5ever.
fn hidden_next(body: &str) -> String {
    let doc = Html::parse_document(body);
    let inputs: Vec<_> = doc
        .select(&Selector::parse(r#"input[name="next"]"#).unwrap())
        .collect();
    assert_eq!(inputs.len(), 1, "one next field: {body}");
    inputs[0]
        .value()
        .attr("value")
        .unwrap_or_default()
        .to_owned()
}

/// Request targets of an expired page navigation: the layer's `303` to
/// `LOGIN_URL?next=<path>` never leaves the site, sent raw so nothing is
/// normalised on the way.
pub const HOSTILE_TARGETS: &[&str] = &[
    "//evil.example/",
    "///evil.example/",
    "//evil.example/%2F..",
    "/%2F%2Fevil.example/",
    "/%2f/evil.example/",
    "/%5Cevil.example/",
    "/%5C%5Cevil.example/",
    "/%09/evil.example/",
    "/%0D%0ALocation:%20http://evil.example/",
    "/%00//evil.example/",
    "/javascript:alert(1)",
    "/.//evil.example/",
    "/..//evil.example/",
    "/?next=//evil.example/",
    "/?next=https://evil.example/",
    "http://evil.example/",
    "http://evil.example//evil.example/",
    "/\\evil.example/",
    "/\\\\evil.example/",
    "/@evil.example/",
];

/// With `LOGIN_URL`: the `303` for an expired page navigation to any of
/// [`HOSTILE_TARGETS`] stays on the site, and so does its `next`.
pub async fn expired_redirect_stays_on_site(site: &Target) {
    let base = site.base();
    for target in HOSTILE_TARGETS {
        let b = site.browser();
        b.login().await;
        site.advance(60_001);
        let cookie = format!("{SESSION_COOKIE}={}", session_cookie(&b).unwrap());
        let res = raw_request(
            site.addr,
            "GET",
            target,
            &[
                (b"cookie", cookie.as_bytes()),
                (b"sec-fetch-mode", b"navigate"),
            ],
        )
        .await;
        let what = format!("{} GET {target:?}", site.framework);
        // Every one of them gets through the HTTP parser (backslashes
        // included) and reaches the layer, which answers the expiry itself.
        assert_eq!(res.status, 303, "{what}: {res:?}");
        let location = res.header("location").expect("a Location");
        assert!(location.starts_with("/login"), "{what}: {location}");
        assert_on_site(&base, location, &what);
        assert_eq!(res.header("cache-control"), Some("no-store"), "{what}");
    }
}

/// Hostile page URLs in `HX-Current-URL` (htmx) and `Referer` (fetch), sent
/// raw: the `HX-Redirect` and the `401` JSON's `login` stay on the site.
pub async fn expired_htmx_and_fetch_stay_on_site(site: &Target) {
    let base = site.base();
    let own = site.addr.to_string();
    let pages: Vec<Vec<u8>> = [
        "https://evil.example/".to_owned(),
        "//evil.example/".to_owned(),
        format!("http://{own}//evil.example/"),
        format!("http://{own}///evil.example/"),
        format!("http://{own}/\\evil.example/"),
        format!("http://{own}/%2F%2Fevil.example/"),
        format!("http://{own}/%5Cevil.example/"),
        format!("http://{own}/\t/evil.example/"),
        format!("http://{own}/%09/evil.example/"),
        format!("http://{own}/%0D%0ALocation:%20http://evil.example/"),
        format!("http://{own}@evil.example/"),
        format!("http://{own}\\@evil.example/"),
        format!("http:\\\\{own}\\evil.example"),
        format!("http://{own}.evil.example/"),
        format!("http://evil.example/http://{own}/"),
        format!("javascript:alert(1)//{own}/"),
        format!("javascript://{own}/%0aalert(1)"),
        format!("data:text/html,http://{own}/"),
        format!(" http://{own}//evil.example/"),
        format!("http://{own}/\u{7f}/evil.example/"),
        format!("http://{own}/\u{1}/evil.example/"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .chain([
        [
            format!("http://{own}/").as_bytes(),
            b"\x80\xff//evil.example/",
        ]
        .concat(),
        [
            format!("http://{own}/").as_bytes(),
            b"\xff\xfe//evil.example/",
        ]
        .concat(),
    ])
    .collect();
    for (header, extra) in [
        (
            &b"hx-current-url"[..],
            &[(&b"hx-request"[..], &b"true"[..])][..],
        ),
        (
            &b"referer"[..],
            &[(&b"sec-fetch-mode"[..], &b"cors"[..])][..],
        ),
    ] {
        for page in &pages {
            let b = site.browser();
            b.login().await;
            site.advance(60_001);
            let cookie = format!("{SESSION_COOKIE}={}", session_cookie(&b).unwrap());
            let mut headers = vec![(&b"cookie"[..], cookie.as_bytes()), (header, &page[..])];
            headers.extend_from_slice(extra);
            let res = raw_request(site.addr, "GET", "/fragments/idle?n=1", &headers).await;
            let what = format!(
                "{} {}: {:?}",
                site.framework,
                String::from_utf8_lossy(header),
                String::from_utf8_lossy(page)
            );
            assert!(res.status < 500, "{what}: {res:?}");
            if res.status == 400 {
                continue; // the HTTP parser refused the header value
            }
            assert_eq!(
                res.header("cache-control"),
                Some("no-store"),
                "{what}: {res:?}"
            );
            let login = if header == b"hx-current-url" {
                assert_eq!(res.status, 200, "{what}: {res:?}");
                res.header("hx-redirect").expect("HX-Redirect").to_owned()
            } else {
                assert_eq!(res.status, 401, "{what}: {res:?}");
                let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
                json["login"].as_str().expect("a login field").to_owned()
            };
            assert!(login.starts_with("/login"), "{what}: {login}");
            assert_on_site(&base, &login, &what);
        }
    }
}

// ---------------------------------------------------------------------------
// CSRF on keepalive
// ---------------------------------------------------------------------------

/// `idle_ms` from `status` (passive).
async fn idle_ms(b: &Browser) -> i64 {
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], true, "{status}");
    status["idle_ms"].as_i64().unwrap()
}

/// `keepalive` without `X-Auto-Logout: 1`, with a cross-site form's content
/// types, with another method, or as a CORS preflight is refused, and none of
/// them counts as activity (the idle stamp does not move, read through the
/// passive `status` with the clock held still); the real thing is accepted
/// and does move it.
pub async fn keepalive_refuses_cross_site_requests(site: &Target) {
    let b = site.browser();
    b.login().await;
    site.advance(10_000);
    assert_eq!(idle_ms(&b).await, 50_000);
    let url = b.url("/auto-logout/keepalive");
    let c = &b.client;
    let refused: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("POST, no header", c.post(&url), 403),
        (
            "POST form-urlencoded",
            c.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "http://evil.example")
                .header("sec-fetch-site", "cross-site")
                .body("x-auto-logout=1"),
            403,
        ),
        (
            "POST multipart",
            c.post(&url)
                .header("content-type", "multipart/form-data; boundary=b")
                .body("--b\r\nContent-Disposition: form-data; name=\"x-auto-logout\"\r\n\r\n1\r\n--b--\r\n"),
            403,
        ),
        (
            "POST text/plain",
            c.post(&url)
                .header("content-type", "text/plain")
                .body("X-Auto-Logout: 1"),
            403,
        ),
        ("POST, header 0", c.post(&url).header("x-auto-logout", "0"), 403),
        ("POST, header true", c.post(&url).header("x-auto-logout", "true"), 403),
        ("POST, header empty", c.post(&url).header("x-auto-logout", ""), 403),
        ("POST ?x-auto-logout=1", c.post(format!("{url}?x-auto-logout=1")), 403),
        ("GET", c.get(&url), 405),
        ("GET with header", c.get(&url).header("x-auto-logout", "1"), 405),
        ("HEAD", c.head(&url), 405),
        ("PUT with header", c.put(&url).header("x-auto-logout", "1"), 405),
        (
            "OPTIONS preflight",
            c.request(reqwest::Method::OPTIONS, &url)
                .header("origin", "http://evil.example")
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "x-auto-logout"),
            405,
        ),
    ];
    for (what, req, expected) in refused {
        let res = b.send(req).await;
        assert_eq!(res.status, expected, "{} {what}: {res:?}", site.framework);
        for (name, _) in &res.headers {
            assert!(
                !name.as_str().starts_with("access-control-"),
                "{} {what}: CORS granted: {res:?}",
                site.framework
            );
        }
        assert_eq!(
            res.header("cache-control"),
            Some("no-store"),
            "{} {what}",
            site.framework
        );
        assert_eq!(
            idle_ms(&b).await,
            50_000,
            "{} {what} counted as activity",
            site.framework
        );
    }
    let ok = b.send(c.post(&url).header("x-auto-logout", "1")).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.json()["idle_ms"], 60_000, "{ok:?}");
    assert_eq!(idle_ms(&b).await, 60_000, "the real keepalive counts");
}

// ---------------------------------------------------------------------------
// XSS through every configured text and the nonce
// ---------------------------------------------------------------------------

/// Breaks naive escaping in HTML text, attributes, scripts and comments.
pub const HOSTILE_TEXT: &str = "</script><script>alert(1)</script><!-- --> \" ' &amp; &#0; <img src=x onerror=alert(2)> \u{2028}\u{2029} =\"x\" onload=\"alert(3)";

/// A `LOGIN_URL` that is a valid same-site path and still full of markup.
pub const HOSTILE_LOGIN_URL: &str =
    "/login?from=\"'><script>alert(4)</script><!--&amp;x=</SCRIPT>&y=<img/src/onerror=alert(5)>";

fn hostile(key: &str) -> String {
    format!("{key}: {HOSTILE_TEXT}")
}

/// A configuration whose every text is hostile, each one different.
pub fn hostile_config(login_url: bool) -> Config {
    let mut builder = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(hostile("MESSAGE"))
        .idle_message(hostile("IDLE_MESSAGE"))
        .session_message(hostile("SESSION_MESSAGE"))
        .redirect_to_login_immediately(true)
        .warn_before(20)
        .warning_texts(WarningTexts {
            title: Some(hostile("WARN_TITLE")),
            idle_text: Some(hostile("WARN_IDLE_TEXT")),
            session_text: Some(hostile("WARN_SESSION_TEXT")),
            stay_label: Some(hostile("WARN_STAY_LABEL")),
            class: None,
        });
    if login_url {
        builder = builder.login_url(HOSTILE_LOGIN_URL);
    }
    builder.build().unwrap()
}

/// The signed-in home page, in every CSP mode, with every text hostile:
/// an HTML parser finds exactly one auto-logout `script` element, the page's
/// other scripts are only its own files, no element anywhere carries an event
/// handler, and each configured text comes back from its attribute exactly.
pub async fn hostile_texts_stay_in_their_attributes(start: impl AsyncFn(Config, Csp) -> Target) {
    for csp in [Csp::Off, Csp::Strict, Csp::Nonce] {
        let config = hostile_config(true);
        let site = start(config.clone(), csp).await;
        let b = site.browser();
        b.login().await;
        let home = b.get("/").await;
        let what = format!("{} {csp:?}", site.framework);
        assert_eq!(home.status, 200, "{what}: {home:?}");
        let doc = Html::parse_document(&home.body);
        let ours = only_script(&doc, &what, &home.body);
        let attrs = ours.value();
        for (name, key) in [
            ("data-warn-title", "WARN_TITLE"),
            ("data-warn-idle-text", "WARN_IDLE_TEXT"),
            ("data-warn-session-text", "WARN_SESSION_TEXT"),
            ("data-warn-stay-label", "WARN_STAY_LABEL"),
        ] {
            assert_eq!(
                attrs.attr(name),
                Some(hostile(key).as_str()),
                "{what}: {name}"
            );
        }
        assert_eq!(
            attrs.attr("data-login-url"),
            Some(HOSTILE_LOGIN_URL),
            "{what}"
        );
        assert_eq!(attrs.attr("data-idle-ms"), Some("60000"), "{what}");
        assert_eq!(
            attrs.attr("data-status-url"),
            Some("/auto-logout/status"),
            "{what}"
        );
        let text: String = ours.text().collect();
        match csp {
            Csp::Strict => {
                assert_eq!(attrs.attr("src"), Some(config.script_url()), "{what}");
                assert_eq!(text, "", "{what}");
                assert_eq!(attrs.attr("nonce"), None, "{what}");
            }
            Csp::Off => {
                assert_eq!(attrs.attr("src"), None, "{what}");
                assert_eq!(text, assets::SCRIPT, "{what}: the script text is intact");
                assert_eq!(attrs.attr("nonce"), None, "{what}");
            }
            Csp::Nonce => {
                assert_eq!(text, assets::SCRIPT, "{what}: the script text is intact");
                let policy = home.header("content-security-policy").expect("a CSP");
                let nonce = policy
                    .split("'nonce-")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next())
                    .expect("a nonce in the policy");
                assert_eq!(attrs.attr("nonce"), Some(nonce), "{what}");
                assert!(auto_logout::Nonce::new(nonce).is_ok(), "{what}: {nonce}");
            }
        }
    }
}

/// The one `script[data-auto-logout]` of `doc`, after checking that every
/// other script is one of the demo's files and nothing has an `on*` attribute.
fn only_script<'d>(doc: &'d Html, what: &str, body: &str) -> scraper::ElementRef<'d> {
    let ours: Vec<_> = doc
        .select(&Selector::parse("script[data-auto-logout]").unwrap())
        .collect();
    assert_eq!(ours.len(), 1, "{what}: {body}");
    for script in doc.select(&Selector::parse("script").unwrap()) {
        if script == ours[0] {
            continue;
        }
        let src = script.value().attr("src");
        assert!(
            matches!(src, Some("/static/demo.js" | "/static/htmx.js")),
            "{what}: a script the page did not write: {:?}",
            script.html()
        );
        assert_eq!(script.text().collect::<String>(), "", "{what}");
    }
    for element in doc.select(&Selector::parse("*").unwrap()) {
        for (name, _) in element.value().attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "{what}: an event handler {name} on {:?}",
                element.value()
            );
        }
        assert_ne!(element.value().name(), "img", "{what}: an injected element");
    }
    // The tag closed where it should: it sits inside <main>, after the sign-out form.
    let parent = ours[0]
        .parent()
        .and_then(scraper::ElementRef::wrap)
        .unwrap();
    assert_eq!(parent.value().name(), "main", "{what}");
    ours[0]
}

/// The messages of each expiry reach the login page as text: the `.message`
/// element holds the configured text exactly, and the page gains no script,
/// no element and no event handler from it. (The escaping here is the app's
/// template engine's, with autoescape on; the crate passes the text through
/// the flash-message layer unchanged.)
pub async fn hostile_messages_are_text(start: impl AsyncFn(Config, Csp) -> Target) {
    // IDLE_MESSAGE and SESSION_MESSAGE, each for its own reason.
    let site = start(hostile_config(false), Csp::Off).await;
    let idle = site.browser();
    idle.login().await;
    let busy = site.browser();
    busy.login().await;
    for _ in 0..5 {
        site.advance(59_000);
        assert!(busy.signed_in().await);
    }
    assert!(!idle.signed_in().await);
    assert_message_is_text(
        &idle.get("/login").await,
        &hostile("IDLE_MESSAGE"),
        site.framework,
    );
    site.advance(5_001);
    assert!(!busy.signed_in().await);
    assert_message_is_text(
        &busy.get("/login").await,
        &hostile("SESSION_MESSAGE"),
        site.framework,
    );

    // MESSAGE alone.
    let config = Config::builder()
        .idle_time(60)
        .message(hostile("MESSAGE"))
        .build()
        .unwrap();
    let site = start(config, Csp::Off).await;
    let b = site.browser();
    b.login().await;
    site.advance(60_001);
    assert!(!b.signed_in().await);
    assert_message_is_text(&b.get("/login").await, &hostile("MESSAGE"), site.framework);
}

#[track_caller]
fn assert_message_is_text(page: &Page, expected: &str, framework: &str) {
    assert_eq!(page.status, 200, "{framework}: {page:?}");
    let doc = Html::parse_document(&page.body);
    let messages: Vec<String> = doc
        .select(&Selector::parse(".message").unwrap())
        .map(|m| m.text().collect())
        .collect();
    assert_eq!(
        messages,
        vec![expected.to_owned()],
        "{framework}: {}",
        page.body
    );
    for script in doc.select(&Selector::parse("script").unwrap()) {
        assert!(
            script.value().attr("data-auto-logout").is_some()
                || script
                    .value()
                    .attr("src")
                    .is_some_and(|s| s.starts_with("/static/")),
            "{framework}: an injected script {:?}",
            script.html()
        );
    }
    for element in doc.select(&Selector::parse("*").unwrap()) {
        assert_ne!(
            element.value().name(),
            "img",
            "{framework}: an injected element"
        );
        for (name, _) in element.value().attrs() {
            assert!(!name.starts_with("on"), "{framework}: {name}");
        }
    }
}

// ---------------------------------------------------------------------------
// Session fixation and replay
// ---------------------------------------------------------------------------

/// A planted session cookie (unknown to the server, or an anonymous session
/// the attacker holds) is replaced on login, and the attacker's copy stays
/// anonymous; signing in again over a signed-in session changes the id too.
pub async fn login_cycles_the_session_id(site: &Target) {
    // The attacker's own anonymous session: what is left after their
    // session expired (the message waits in it), where the store keeps one.
    let attacker = site.browser();
    attacker.login().await;
    site.advance(60_001);
    assert!(!attacker.signed_in().await);
    let mut planted = vec!["AAAAAAAAAAAAAAAAAAAAAA".to_owned()];
    planted.extend(session_cookie(&attacker));
    for value in planted {
        let victim = site.browser_with_cookie(&value);
        assert_eq!(session_cookie(&victim).as_deref(), Some(value.as_str()));
        victim.login().await;
        let after = session_cookie(&victim).expect("a session cookie after login");
        assert_ne!(
            after, value,
            "{}: the planted id survived the login",
            site.framework
        );
        assert!(victim.signed_in().await);
        let replay = site.browser_with_cookie(&value);
        assert_anonymous(&replay, site, "the planted cookie after the victim's login").await;
        assert!(victim.signed_in().await, "the victim is still signed in");
    }
    // A second login over a signed-in session.
    let b = site.browser();
    b.login().await;
    let first = session_cookie(&b).unwrap();
    b.login().await;
    let second = session_cookie(&b).unwrap();
    assert_ne!(
        first, second,
        "{}: a new login keeps the old id",
        site.framework
    );
    assert_anonymous(
        &site.browser_with_cookie(&first),
        site,
        "the id before the second login",
    )
    .await;
    assert!(b.signed_in().await);
}

/// GET / goes to the login page, `status` says nothing is active, and a
/// `keepalive` does not bring anything back.
async fn assert_anonymous(b: &Browser, site: &Target, what: &str) {
    let what = format!("{} {what}", site.framework);
    let page = b.get("/").await;
    assert_eq!(page.status, 303, "{what}: {page:?}");
    assert!(
        page.location().unwrap().starts_with("/login"),
        "{what}: {page:?}"
    );
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], false, "{what}: {status}");
    let keepalive = b
        .send(
            b.client
                .post(b.url("/auto-logout/keepalive"))
                .header("x-auto-logout", "1"),
        )
        .await;
    assert_eq!(keepalive.json()["active"], false, "{what}: {keepalive:?}");
    assert_eq!(b.get("/").await.status, 303, "{what}: revived");
}

/// An expiry cycles the session id: the cookie after the expired request
/// differs from the one before (or is gone), and the old one is anonymous.
pub async fn expiry_cycles_the_session_id(site: &Target) {
    for (what, wait) in [("idle", 60_001), ("session", 0)] {
        let b = site.browser();
        b.login().await;
        let before = session_cookie(&b).unwrap();
        if wait > 0 {
            site.advance(wait);
        } else {
            for _ in 0..6 {
                site.advance(50_001); // 300.006 s in all, busy all along
                let _ = b.get("/public").await;
            }
        }
        let page = b.get("/").await;
        assert_eq!(page.status, 303, "{} {what}: {page:?}", site.framework);
        let after = session_cookie(&b);
        assert_ne!(
            after.as_deref(),
            Some(before.as_str()),
            "{} {what}: the id survived the expiry",
            site.framework
        );
        assert_anonymous(
            &site.browser_with_cookie(&before),
            site,
            &format!("{what} expiry, old id"),
        )
        .await;
    }
}

/// A cookie captured while signed in and replayed after a logout or an
/// expiry is anonymous: after the owner saw it end, and also when the replay
/// is the first request after the deadline.
pub async fn replayed_cookies_are_anonymous(site: &Target) {
    // After a sign-out.
    let b = site.browser();
    b.login().await;
    let captured = session_cookie(&b).unwrap();
    let out = b.post_form("/logout", &[]).await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_anonymous(
        &site.browser_with_cookie(&captured),
        site,
        "replay after a logout",
    )
    .await;

    // After an idle expiry the owner saw.
    let b = site.browser();
    b.login().await;
    let captured = session_cookie(&b).unwrap();
    site.advance(60_001);
    assert!(!b.signed_in().await);
    assert_anonymous(
        &site.browser_with_cookie(&captured),
        site,
        "replay after a seen expiry",
    )
    .await;

    // The replay is the first request after the deadline.
    let b = site.browser();
    b.login().await;
    let captured = session_cookie(&b).unwrap();
    site.advance(60_001);
    assert_anonymous(
        &site.browser_with_cookie(&captured),
        site,
        "replay as the first request after the deadline",
    )
    .await;
    assert!(!b.signed_in().await, "the owner is out too");

    // A copy taken at login, replayed after the absolute limit while the
    // owner was busy all along.
    let b = site.browser();
    b.login().await;
    let captured = session_cookie(&b).unwrap();
    for _ in 0..6 {
        site.advance(50_001);
        let _ = b.get("/public").await;
    }
    assert_anonymous(
        &site.browser_with_cookie(&captured),
        site,
        "replay after the absolute limit",
    )
    .await;
}

// ---------------------------------------------------------------------------
// Cache-Control: no-store
// ---------------------------------------------------------------------------

#[track_caller]
pub fn assert_no_store(page: &Page, what: &str) {
    assert_eq!(
        page.header("cache-control"),
        Some("no-store"),
        "{what}: {page:?}"
    );
}

/// Every answer about a session is `no-store`: pages of an active session,
/// `status` and `keepalive` (signed in, anonymous, refused), and each kind of
/// expired answer with `LOGIN_URL` set.
pub async fn answers_about_a_session_are_no_store(site: &Target) {
    let f = site.framework;
    let b = site.browser();
    assert_no_store(
        &b.get("/auto-logout/status").await,
        &format!("{f} anonymous status"),
    );
    let keepalive = |b: &Browser| {
        let req = b
            .client
            .post(b.url("/auto-logout/keepalive"))
            .header("x-auto-logout", "1");
        let b = b.clone();
        async move { b.send(req).await }
    };
    assert_no_store(&keepalive(&b).await, &format!("{f} anonymous keepalive"));
    b.login().await;
    for path in [
        "/",
        "/public",
        "/login",
        "/fragments/idle",
        "/auto-logout/status",
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{f} {path}: {page:?}");
        assert_no_store(&page, &format!("{f} signed-in {path}"));
    }
    assert_no_store(&keepalive(&b).await, &format!("{f} keepalive"));
    assert_no_store(
        &b.send(b.client.post(b.url("/auto-logout/keepalive"))).await,
        &format!("{f} refused keepalive"),
    );

    // Each expired answer of the layer.
    for (kind, headers, status) in [
        ("navigation", vec![("sec-fetch-mode", "navigate")], 303),
        ("fetch", vec![("sec-fetch-mode", "cors")], 401),
        ("htmx", vec![("hx-request", "true")], 200),
    ] {
        let b = site.browser();
        b.login().await;
        site.advance(60_001);
        let page = b.get_with("/fragments/idle", &headers).await;
        assert_eq!(page.status, status, "{f} expired {kind}: {page:?}");
        assert_no_store(&page, &format!("{f} expired {kind}"));
        let status = b.get("/auto-logout/status").await;
        assert_no_store(&status, &format!("{f} status after expiry"));
    }
    // An expired status and keepalive: JSON, no-store.
    for endpoint in ["status", "keepalive"] {
        let b = site.browser();
        b.login().await;
        site.advance(60_001);
        let page = if endpoint == "status" {
            b.get("/auto-logout/status").await
        } else {
            keepalive(&b).await
        };
        assert_eq!(page.json()["active"], false, "{f} {endpoint}");
        assert_no_store(&page, &format!("{f} expired {endpoint}"));
    }
}

/// A `503` for a failing store is `no-store` too; `fail` switches the outage.
pub async fn store_failure_is_no_store(site: &Target, fail: impl Fn(bool)) {
    let b = site.browser();
    b.login().await;
    fail(true);
    for path in ["/", "/auto-logout/status", "/public"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 503, "{} {path}: {page:?}", site.framework);
        assert_no_store(&page, &format!("{} 503 {path}", site.framework));
        assert!(!page.body.contains("Hello"));
    }
    let page = b
        .send(
            b.client
                .post(b.url("/auto-logout/keepalive"))
                .header("x-auto-logout", "1"),
        )
        .await;
    assert_eq!(page.status, 503, "{} keepalive: {page:?}", site.framework);
    assert_no_store(&page, &format!("{} 503 keepalive", site.framework));
    fail(false);
    assert!(b.signed_in().await);
}

// ---------------------------------------------------------------------------
// Huge and non-UTF-8 header values
// ---------------------------------------------------------------------------

/// Header names and values as raw bytes.
type RawHeaders<'a> = &'a [(&'a [u8], &'a [u8])];

/// A response read from a raw HTTP/1.1 exchange.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with these exact header bytes (`Host` and
/// `Connection: close` added) over a fresh TCP connection and reads the whole
/// answer. Panics when the server closes the connection without an answer
/// (what a panicking handler looks like from outside) or takes over 10 s.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&[u8], &[u8])],
) -> RawResponse {
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name);
        request.extend_from_slice(b": ");
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
    }
    if method == "POST" {
        request.extend_from_slice(b"content-length: 0\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut answer = Vec::new();
        // The server may close while we still write or read (after a 4xx):
        // what arrived is the answer.
        let _ = stream.read_to_end(&mut answer).await;
        answer
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {target}: no answer in 10 s"));
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {target}: no HTTP answer, got {text:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Header values no browser sends: 64 KiB of text, 64 KiB of markup and
/// percent signs, bytes that are not UTF-8, and obs-text.
fn hostile_values() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("64 KiB", vec![b'a'; 64 * 1024]),
        (
            "64 KiB of markup",
            "%2F%2F\\evil.example/<script>\"';=1,"
                .repeat(64 * 1024 / 32)
                .into_bytes(),
        ),
        ("64 KiB of 1", b"1,".repeat(32 * 1024)),
        ("0xFF 0xFE", b"\xff\xfe".to_vec()),
        ("invalid UTF-8", b"1\xc3\x28".to_vec()),
        ("Latin-1", b"caf\xe9; same-origin".to_vec()),
        ("obs-text URL", b"http://127.0.0.1/\x80\x81\xfe".to_vec()),
        ("64 KiB not UTF-8", b"\xff".repeat(64 * 1024)),
    ]
}

const HOSTILE_HEADERS: &[&str] = &[
    "cookie",
    "hx-current-url",
    "referer",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
    "sec-purpose",
    "x-auto-logout-passive",
    "x-auto-logout",
    "hx-request",
    "accept",
];

/// Huge and non-UTF-8 values in every header the crate reads, on every
/// route the crate touches, for an anonymous visitor, an active session and
/// an expired one (with `LOGIN_URL`, so the expired answers read
/// `HX-Current-URL` and `Referer`): never a panic (a dropped connection),
/// never a `5xx`, and the site still answers afterwards.
pub async fn hostile_header_values_never_fail(site: &Target) {
    let requests: &[(&str, &str, RawHeaders)] = &[
        ("GET", "/", &[]),
        ("GET", "/fragments/idle", &[(b"hx-request", b"true")]),
        ("GET", "/fragments/idle", &[(b"sec-fetch-mode", b"cors")]),
        ("GET", "/auto-logout/status", &[]),
        (
            "POST",
            "/auto-logout/keepalive",
            &[(b"x-auto-logout", b"1")],
        ),
        ("GET", "/login?next=/", &[]),
    ];
    let mut sent = 0;
    for state in ["anonymous", "active", "expired"] {
        for header in HOSTILE_HEADERS {
            for (label, value) in hostile_values() {
                for (method, path, extra) in requests {
                    let b = site.browser();
                    let mut cookie = None;
                    if state != "anonymous" {
                        b.login().await;
                        cookie = session_cookie(&b).map(|v| format!("{SESSION_COOKIE}={v}"));
                        if state == "expired" {
                            site.advance(60_001);
                        }
                    }
                    let mut headers: Vec<(&[u8], &[u8])> = extra.to_vec();
                    let cookie_with_junk;
                    if *header == "cookie" {
                        cookie_with_junk = [
                            cookie.as_deref().unwrap_or("x=1").as_bytes(),
                            b"; junk=",
                            &value,
                        ]
                        .concat();
                        headers.push((b"cookie", &cookie_with_junk));
                    } else {
                        if let Some(c) = &cookie {
                            headers.push((b"cookie", c.as_bytes()));
                        }
                        headers.retain(|(n, _)| *n != header.as_bytes());
                        headers.push((header.as_bytes(), &value));
                    }
                    let res = raw_request(site.addr, method, path, &headers).await;
                    assert!(
                        res.status < 500,
                        "{} {state} {method} {path} with {header}: {label} → {}: {}",
                        site.framework,
                        res.status,
                        res.body
                    );
                    if let Some(location) = res.header("location").or(res.header("hx-redirect")) {
                        assert_on_site(&site.base(), location, &format!("{header}: {label}"));
                    }
                    sent += 1;
                }
            }
        }
    }
    assert_eq!(
        sent,
        3 * HOSTILE_HEADERS.len() * hostile_values().len() * requests.len()
    );
    // Still serving, and still signing people in.
    let b = site.browser();
    b.login().await;
    assert!(
        b.signed_in().await,
        "{}: the site still works",
        site.framework
    );
}

/// The checks both stacks run, as test functions: `security_tests!(start)`
/// where `start(config, csp)` builds the stack's demo as a [`Target`]. The
/// list exists once; each stack's file adds only what is its own (its store
/// failure, the axum-only checks).
#[macro_export]
macro_rules! security_tests {
    ($start:ident) => {
        async fn target(config: auto_logout::Config) -> security_checks::Target {
            $start(config, support::app::Csp::Off).await
        }

        $crate::security_tests! {@with_target
            login_form_next_never_leaves_the_site =>
                login_form_next_stays_on_site(django_config),
            expired_navigation_redirect_never_leaves_the_site =>
                expired_redirect_stays_on_site(login_url_config),
            expired_htmx_and_fetch_answers_never_leave_the_site =>
                expired_htmx_and_fetch_stay_on_site(login_url_config),
            keepalive_refuses_cross_site_requests_and_they_never_count =>
                keepalive_refuses_cross_site_requests(django_config),
            login_cycles_the_session_id => login_cycles_the_session_id(django_config),
            expiry_cycles_the_session_id => expiry_cycles_the_session_id(django_config),
            answers_about_a_session_are_no_store =>
                answers_about_a_session_are_no_store(login_url_config),
            huge_and_non_utf8_header_values_never_fail =>
                hostile_header_values_never_fail(login_url_config),
        }

        #[tokio::test]
        async fn hostile_configured_texts_stay_in_their_attributes() {
            security_checks::hostile_texts_stay_in_their_attributes($start).await;
        }

        #[tokio::test]
        async fn hostile_messages_reach_the_login_page_as_text() {
            security_checks::hostile_messages_are_text($start).await;
        }

        #[tokio::test]
        async fn replayed_cookies_are_anonymous_after_logout_and_expiry() {
            for config in [security_checks::django_config(), security_checks::login_url_config()] {
                security_checks::replayed_cookies_are_anonymous(&target(config).await).await;
            }
        }
    };
    (@with_target $($name:ident => $check:ident($config:ident)),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                security_checks::$check(&target(security_checks::$config()).await).await;
            }
        )*
    };
}
