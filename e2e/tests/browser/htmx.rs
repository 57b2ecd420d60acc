//! htmx with `LOGIN_URL`, in Chromium with the real htmx library, versions 2
//! and 4 (`npm ci` at the repository root installs both under
//! `node_modules/htmx2` and `node_modules/htmx4`; without them these tests
//! skip loudly, or fail under `AUTO_LOGOUT_REQUIRE_E2E=1`).
//!
//! The demo's home page has a "Refresh" button (`hx-get` to a fragment).
//! Once the session has expired on the server, clicking it puts the whole
//! window on the login page with the page's own path as `next` (not the
//! fragment's), and signing in again returns to that page. A spoofed
//! `HX-Current-URL` (another host) still ends on this site's login page.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auto_logout::Config;
use auto_logout_e2e::{
    Browser, Csp, Demo, IDLE_MESSAGE, Recorder, Site, require_file, sleep_until, until,
};
use fantoccini::Locator;
use serde_json::Value as Json;

fn htmx_file(package: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("node_modules")
        .join(package)
        .join("dist")
        .join("htmx.min.js")
}

async fn click_refresh(b: &Browser) {
    b.client
        .find(Locator::Id("refresh"))
        .await
        .expect("the refresh button")
        .click()
        .await
        .expect("click refresh");
}

async fn fragment_text(b: &Browser) -> String {
    let v = b
        .client
        .execute(
            "var e = document.getElementById('idle-fragment'); return e ? e.textContent : null;",
            vec![],
        )
        .await
        .expect("read the fragment");
    v.as_str().unwrap_or_default().to_owned()
}

async fn back_to_the_page(demo: Demo, package: &str, major: &str) {
    let file = htmx_file(package);
    if !require_file(
        &file,
        &format!("htmx ({package})"),
        "run npm ci at the repository root",
    ) {
        return;
    }
    // No client script (REDIRECT_TO_LOGIN_IMMEDIATELY off): nothing but the
    // htmx request itself finds out that the session has expired.
    let config = Config::builder()
        .idle_time(2)
        .idle_message(IDLE_MESSAGE)
        .redirect_to_login_immediately(false)
        .login_url("/login")
        .passive_path("/static/")
        .build()
        .expect("config");
    let site = Site::on_with(demo, config, Csp::Off, Some(file)).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.login(&site).await;
    let page = "/?from=htmx";
    b.client.goto(&site.url(page)).await.expect("open the page");
    let version = until(Duration::from_secs(5), || async {
        let v: Json = b
            .client
            .execute(
                "return window.htmx && htmx.version ? String(htmx.version) : null;",
                vec![],
            )
            .await
            .ok()?;
        v.as_str().map(str::to_owned)
    })
    .await
    .unwrap_or_else(|| panic!("{package}: htmx did not load"));
    println!("{package}: htmx {version} on {page}");
    assert!(version.starts_with(major), "{package}: htmx {version}");

    // Signed in: the button swaps the fragment in (htmx may still be
    // initialising right after load: click again until it answers).
    let swapped = until(Duration::from_secs(5), || async {
        click_refresh(&b).await;
        until(Duration::from_millis(500), || async {
            let text = fragment_text(&b).await;
            text.starts_with("Checked by htmx").then_some(text)
        })
        .await
    })
    .await;
    let swapped = swapped.unwrap_or_else(|| panic!("{package}: the fragment never came"));
    println!("{package}: signed in, the fragment says {swapped:?}");
    let last = site
        .log
        .last_activity_before(Instant::now())
        .expect("the htmx request");
    assert_eq!(last.path_only(), "/fragments/idle", "{last}");
    assert_eq!(last.header("hx-request"), Some("true"), "{last}");
    assert_eq!(last.status, 200, "{last}");

    // The session expires on the server; the page stays where it is.
    sleep_until(last.at + site.idle() + Duration::from_millis(300)).await;
    assert_eq!(b.path().await, page, "{package}: the page left by itself");
    let clicked = Instant::now();
    click_refresh(&b).await;
    let seen = b
        .wait_for_path("/login", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{package}: the window did not go to the login page"));
    let hits = site.log.since(clicked);
    println!(
        "{package}: click -> whole window on /login in {} ms\n{}",
        auto_logout_e2e::ms_between(clicked, seen),
        Recorder::dump(&hits, clicked)
    );
    let expected = "/login?next=%2F%3Ffrom%3Dhtmx";
    assert_eq!(
        b.path().await,
        expected,
        "{package}: next is the page's own path"
    );
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    let hx = hits
        .iter()
        .find(|h| h.path_only() == "/fragments/idle")
        .expect("the htmx request after expiry");
    assert_eq!(hx.header("hx-request"), Some("true"));
    let current = site.url(page);
    assert_eq!(hx.header("hx-current-url"), Some(current.as_str()));
    assert_eq!(hx.status, 200, "{hx}");
    assert_eq!(hx.hx_redirect.as_deref(), Some(expected), "{hx}");
    assert!(
        !hits.iter().any(|h| h.path_only() == "/fragments/idle"
            && h.status == 200
            && h.hx_redirect.is_none()),
        "{package}: a fragment was served after expiry"
    );

    // Signing in again returns to the page, not to the fragment.
    let form = b
        .client
        .form(Locator::Css("form[action='/login']"))
        .await
        .expect("the login form");
    form.set_by_name("username", "demo")
        .await
        .expect("username");
    form.set_by_name("password", "demo")
        .await
        .expect("password");
    form.submit().await.expect("submit");
    b.wait_for_path("/", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{package}: not back on the page"));
    assert_eq!(b.path().await, page, "{package}: back on the page itself");
    click_refresh(&b).await;
    let again = until(Duration::from_secs(3), || async {
        let text = fragment_text(&b).await;
        text.starts_with("Checked by htmx").then_some(text)
    })
    .await;
    assert!(
        again.is_some(),
        "{package}: the button works again after signing in"
    );

    // A spoofed HX-Current-URL (another host; `hx-headers` for htmx 4, the
    // `htmx:configRequest` event for htmx 2): the
    // window still goes to this site's login page, with the fallback `next`.
    let added = b
        .client
        .execute(
            "var e = document.createElement('button');
             e.id = 'spoof'; e.type = 'button'; e.textContent = 'spoof';
             e.setAttribute('hx-get', '/fragments/idle');
             e.setAttribute('hx-target', '#idle-fragment');
             e.setAttribute('hx-swap', 'outerHTML');
             e.setAttribute('hx-headers', JSON.stringify({ 'HX-Current-URL': 'http://evil.example/orders' }));
             // htmx 2 sets its own HX-Current-URL last: spoof it where htmx 2
             // lets a page change the headers.
             e.addEventListener('htmx:configRequest', function (ev) {
               ev.detail.headers['HX-Current-URL'] = 'http://evil.example/orders';
             });
             document.body.appendChild(e); htmx.process(e); return true;",
            vec![],
        )
        .await
        .expect("add the spoofing button");
    assert_eq!(added, Json::Bool(true));
    let last = site
        .log
        .last_activity_before(Instant::now())
        .expect("the refresh after signing in");
    sleep_until(last.at + site.idle() + Duration::from_millis(300)).await;
    let clicked = Instant::now();
    b.client
        .find(Locator::Id("spoof"))
        .await
        .expect("the spoofing button")
        .click()
        .await
        .expect("click spoof");
    b.wait_for_path("/login", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{package}: the spoofed action did not reach the login page"));
    let url = b.client.current_url().await.expect("URL");
    let own = url::Url::parse(&site.base).expect("the site's URL");
    assert_eq!(
        (url.host_str(), url.port()),
        (own.host_str(), own.port()),
        "{package}: left the site: {url}"
    );
    assert_eq!(b.path().await, "/login?next=%2Ffragments%2Fidle");
    let hits = site.log.since(clicked);
    let hx = hits
        .iter()
        .find(|h| h.path_only() == "/fragments/idle")
        .expect("the spoofed htmx request");
    let sent = hx.header("hx-current-url").unwrap_or_default();
    println!(
        "{package}: spoofed HX-Current-URL {sent:?} -> HX-Redirect {:?}",
        hx.hx_redirect
    );
    assert!(sent.contains("evil.example"), "{package}: {sent:?}");
    assert_eq!(
        hx.hx_redirect.as_deref(),
        Some("/login?next=%2Ffragments%2Fidle")
    );
    b.quit().await;
}

#[tokio::test]
async fn htmx2_expired_action_goes_to_login_for_the_page_and_back() {
    back_to_the_page(Demo::Axum, "htmx2", "2.").await;
}

#[tokio::test]
async fn htmx4_expired_action_goes_to_login_for_the_page_and_back() {
    back_to_the_page(Demo::Axum, "htmx4", "4.").await;
}

#[tokio::test]
async fn actix_htmx2_expired_action_goes_to_login_for_the_page_and_back() {
    back_to_the_page(Demo::Actix, "htmx2", "2.").await;
}

#[tokio::test]
async fn actix_htmx4_expired_action_goes_to_login_for_the_page_and_back() {
    back_to_the_page(Demo::Actix, "htmx4", "4.").await;
}
