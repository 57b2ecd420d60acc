//! Activity the user did not make (SPEC §3, passive requests), written once
//! over real HTTP and run against both demo stacks: `tests/axum/user_activity.rs`
//! (axum) and `tests/actix/actix_user_activity.rs` (actix-web).
//!
//! Each row signs a user in, then sends the row's request the way a browser
//! does (the `Sec-Fetch-*` headers a browser sets itself) 10 s, 40 s and
//! 60 s after the sign-in — the popup another site re-navigates every 30 s —
//! and reads the passive `status` after each, with the clock held still. A
//! request that counts moves the idle deadline to 60 s after it; one that
//! does not leaves it 60 s after the sign-in, the user's last act, so 1 ms
//! later the session is over.
#![allow(dead_code)]

use auto_logout::Config;
use reqwest::Method;

use crate::support::Browser;

pub use crate::support::Target;

/// 60 s idle, the app's own login guard; the default `ACTIVITY_NEEDS_USER`.
pub fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(3600)
        .passive_path("/static/")
        .build()
        .unwrap()
}

/// [`config`] with `ACTIVITY_NEEDS_USER: false` (Django's rule), read from
/// the map as an app would.
pub fn fallback_config() -> Config {
    let c = Config::from_json(
        r#"{"IDLE_TIME": 60, "SESSION_TIME": 3600, "PASSIVE_PATHS": ["/static/"],
            "ACTIVITY_NEEDS_USER": false}"#,
    )
    .unwrap();
    assert!(!c.activity_needs_user());
    c
}

/// A page that only takes `GET`, which each test file adds to its demo as
/// a route whose other methods are answered `405` (the actix demo's own
/// `App::route` pages answer other methods `404`).
pub const ONLY_GET: &str = "/only-get";

/// One request a browser sends, and how the site answers it while the
/// session is active.
pub struct Row {
    pub what: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub status: u16,
    /// Whether it counts as activity under the default rule.
    pub counts: bool,
}

/// Another site re-navigates a window it opened (`window.open`, then
/// `location` every 30 s): a top-level navigation, so the `SameSite=Lax`
/// cookie goes with it, but no user activation.
pub const CROSS_SITE_NAVIGATION: Row = Row {
    what: "cross-site top-level navigation without Sec-Fetch-User",
    method: "GET",
    path: "/",
    headers: &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("upgrade-insecure-requests", "1"),
    ],
    status: 200,
    counts: false,
};

/// The same from a sibling subdomain.
pub const SAME_SITE_NAVIGATION: Row = Row {
    what: "same-site top-level navigation without Sec-Fetch-User",
    method: "GET",
    path: "/",
    headers: &[
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
    ],
    status: 200,
    counts: false,
};

/// The user clicked a link to this site on another site.
pub const CROSS_SITE_CLICK: Row = Row {
    what: "cross-site navigation with Sec-Fetch-User: ?1",
    method: "GET",
    path: "/",
    headers: &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
    ],
    status: 200,
    counts: true,
};

/// `fetch(url, {mode: "no-cors", credentials: "include"})` from a sibling
/// subdomain: the cookie goes with it.
pub const SAME_SITE_NO_CORS_FETCH: Row = Row {
    what: "same-site fetch(no-cors)",
    method: "GET",
    path: "/fragments/idle",
    headers: &[
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-mode", "no-cors"),
        ("sec-fetch-dest", "empty"),
    ],
    status: 200,
    counts: false,
};

/// The page's own script fetching a fragment.
pub const SAME_ORIGIN_FETCH: Row = Row {
    what: "same-origin fetch",
    method: "GET",
    path: "/fragments/idle",
    headers: &[
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-dest", "empty"),
    ],
    status: 200,
    counts: true,
};

/// A typed URL, a bookmark, a reload from the address bar.
pub const TYPED_URL: Row = Row {
    what: "Sec-Fetch-Site: none (typed URL, bookmark)",
    method: "GET",
    path: "/",
    headers: &[
        ("sec-fetch-site", "none"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
    ],
    status: 200,
    counts: true,
};

/// Another client, or a browser that sends no Fetch Metadata.
pub const NO_SEC_FETCH_HEADERS: Row = Row {
    what: "no Sec-Fetch headers",
    method: "GET",
    path: "/",
    headers: &[],
    status: 200,
    counts: true,
};

/// Another site's `fetch(no-cors)` to a page that does not exist.
pub const CROSS_SITE_404: Row = Row {
    what: "cross-site fetch(no-cors) answered 404",
    method: "GET",
    path: "/no-such-page",
    headers: &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "no-cors"),
        ("sec-fetch-dest", "empty"),
    ],
    status: 404,
    counts: false,
};

/// Another site's form, posted by script to a page that only takes `GET`.
pub const CROSS_SITE_405: Row = Row {
    what: "cross-site form POST answered 405",
    method: "POST",
    path: ONLY_GET,
    headers: &[
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("content-type", "application/x-www-form-urlencoded"),
    ],
    status: 405,
    counts: false,
};

/// The user followed a stale link of this site: they did act.
pub const SAME_ORIGIN_404: Row = Row {
    what: "same-origin navigation answered 404",
    method: "GET",
    path: "/no-such-page",
    headers: &[
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-user", "?1"),
    ],
    status: 404,
    counts: true,
};

/// The page's own script used the wrong method: the user's click caused it.
pub const SAME_ORIGIN_405: Row = Row {
    what: "same-origin fetch answered 405",
    method: "POST",
    path: ONLY_GET,
    headers: &[
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-dest", "empty"),
    ],
    status: 405,
    counts: true,
};

/// Every row, for the fallback run.
pub const ROWS: &[&Row] = &[
    &CROSS_SITE_NAVIGATION,
    &SAME_SITE_NAVIGATION,
    &CROSS_SITE_CLICK,
    &SAME_SITE_NO_CORS_FETCH,
    &SAME_ORIGIN_FETCH,
    &TYPED_URL,
    &NO_SEC_FETCH_HEADERS,
    &CROSS_SITE_404,
    &CROSS_SITE_405,
    &SAME_ORIGIN_404,
    &SAME_ORIGIN_405,
];

/// The idle milliseconds `status` reports, or the `reason` it gives for a
/// session that is over (`"idle"`, or `null` once it is gone).
async fn idle_left(b: &Browser) -> Result<i64, serde_json::Value> {
    let status = b.get("/auto-logout/status").await.json();
    match status["active"].as_bool() {
        Some(true) => Ok(status["idle_ms"].as_i64().expect("idle_ms")),
        Some(false) => Err(status["reason"].clone()),
        None => panic!("not a status: {status}"),
    }
}

async fn send(site: &Target, b: &Browser, row: &Row) -> u16 {
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut req = b.client.request(method, b.url(row.path));
    for (name, value) in row.headers {
        req = req.header(*name, *value);
    }
    let page = b.send(req).await;
    assert_eq!(
        page.status, row.status,
        "{} {}: {page:?}",
        site.framework, row.what
    );
    page.status
}

/// Runs `row` on `site`; `counts` says whether it must count as activity
/// there. Reads `status` after each request: the idle time left is measured
/// from what the user did (the sign-in, or this request when it counts).
pub async fn check(site: &Target, row: &Row, counts: bool) {
    let ctx = format!("{} {}", site.framework, row.what);
    let b = Browser::new(site.addr);
    b.login().await;
    assert_eq!(idle_left(&b).await, Ok(60_000), "{ctx}: just signed in");

    // Another site's request every 30 s, the first 10 s after the sign-in.
    let mut since_user = 0;
    for (step, at) in [(10_000, 10_000), (30_000, 40_000), (20_000, 60_000)] {
        site.advance(step);
        since_user += step;
        send(site, &b, row).await;
        if counts {
            since_user = 0;
        }
        assert_eq!(
            idle_left(&b).await,
            Ok(60_000 - since_user as i64),
            "{ctx}: {at} ms after the sign-in"
        );
    }
    site.advance(1);
    if counts {
        assert_eq!(
            idle_left(&b).await,
            Ok(59_999),
            "{ctx}: the request 1 ms ago was the user's"
        );
        assert!(b.signed_in().await, "{ctx}");
    } else {
        // 60 s and 1 ms after the user's last act, the sign-in: over,
        // however often the other site sent its request.
        assert_eq!(
            idle_left(&b).await,
            Err(serde_json::json!("idle")),
            "{ctx}: kept alive"
        );
        assert!(!b.signed_in().await, "{ctx}: the logout is final");
    }
}

/// A passive row's request after the idle time is checked for expiry like
/// any other: it ends the session, it does not bring it back.
pub async fn passive_request_after_expiry_ends_the_session(site: &Target, row: &Row) {
    let ctx = format!("{} {}", site.framework, row.what);
    let b = Browser::new(site.addr);
    b.login().await;
    site.advance(60_001);
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut req = b.client.request(method, b.url(row.path));
    for (name, value) in row.headers {
        req = req.header(*name, *value);
    }
    let page = b.send(req).await;
    assert!(page.status < 500, "{ctx}: {page:?}");
    // The request ended the session: `status` finds none left.
    assert_eq!(idle_left(&b).await, Err(serde_json::Value::Null), "{ctx}");
    assert!(!b.signed_in().await, "{ctx}");
}
