//! Store faults on both stacks, one kind of call at a time, over the store
//! wrapper with its time limit ([`STORE_TIMEOUT`]): a store that hangs is
//! given up at the limit with the integration's `503`; a store whose writes
//! fail answers no page as if saved, and the failed write does not count; a
//! store whose deletes fail never loses a logout — the sign-out and the
//! expiry answer `503` and hold once the store is back.
//!
//! A write the session layer makes after the application answered fails
//! outside the crate's middleware: `StoreErrorsLayer` (axum) and `StoreErrors`
//! (actix), wrapped outermost as the demos have them, make it the crate's
//! `503` on both stacks.

use std::time::Instant;

use super::*;

/// How much later than the store's limit a request given up may answer.
const MARGIN: Duration = Duration::from_secs(1);

/// `req` from `b`, with how long it took.
async fn timed(b: &Browser, req: Req) -> (Page, Duration) {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
    let mut request = b.client.request(method, b.url(req.path));
    for (name, value) in req.headers {
        request = request.header(*name, *value);
    }
    let started = Instant::now();
    let page = b.send(request).await;
    (page, started.elapsed())
}

/// The integration's `503` for a failing store: its body, never cached.
fn assert_store_failed(what: &str, page: &Page) {
    assert_eq!(page.status, 503, "{what}: {page:?}");
    assert_eq!(page.body, STORE_FAILED, "{what}");
    assert_eq!(page.header("cache-control"), Some("no-store"), "{what}");
}

/// Every kind of request of a signed-in browser over a store that never
/// answers: the `503` once the wrapper's limit is reached — not before (the
/// store was waited for), not much after. Once the store is back the same
/// session is served, and an expiry met during the hang still holds.
pub async fn a_hanging_store_is_given_up_at_the_limit(start: impl AsyncFn(Config) -> Target) {
    let site = start(django_config()).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    site.set_fault(Fault::Hangs);
    for req in [
        get("/"),
        get(STATUS),
        get("/login"),
        KEEP_ALIVE,
        post("/logout"),
    ] {
        let what = format!("{framework} hanging store, {} {}", req.method, req.path);
        let (page, took) = timed(&b, req).await;
        println!("{what}: {} in {took:?}", page.status);
        assert_store_failed(&what, &page);
        assert!(took >= STORE_TIMEOUT, "{what}: answered in {took:?}");
        assert!(
            took < STORE_TIMEOUT + MARGIN,
            "{what}: answered in {took:?}"
        );
    }
    site.set_fault(Fault::Works);
    assert!(
        b.signed_in().await,
        "{framework}: the hang signed the user out"
    );

    site.set_fault(Fault::Hangs);
    site.advance(60_001);
    let (page, took) = timed(&b, get("/")).await;
    assert_store_failed(&format!("{framework} hanging store, expired"), &page);
    assert!(
        took >= STORE_TIMEOUT && took < STORE_TIMEOUT + MARGIN,
        "{took:?}"
    );
    site.set_fault(Fault::Works);
    let page = b.get("/").await;
    assert_eq!(
        page.location(),
        Some("/login?next=/"),
        "{framework}: {page:?}"
    );
    assert_eq!(b.get("/login").await.messages(), EXPIRED, "{framework}");
}

/// Writes fail, reads work: a request that must record activity answers the
/// integration's `503` without the page (the `status` request, which writes
/// nothing, is served), and the write that failed did not count — once the
/// store is back the idle time still runs from the sign-in.
pub async fn failing_writes_serve_no_page_and_count_nothing(start: impl AsyncFn(Config) -> Target) {
    let site = start(django_config()).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    site.advance(2_000); // activity is now worth a write
    site.set_fault(Fault::WritesFail);
    for req in [get("/"), KEEP_ALIVE] {
        let what = format!("{framework} failing writes, {} {}", req.method, req.path);
        let (page, took) = timed(&b, req).await;
        assert_store_failed(&what, &page);
        assert!(took < MARGIN, "{what}: answered in {took:?}");
    }
    let status = b.get(STATUS).await;
    assert_eq!(status.status, 200, "{framework}: {status:?}");
    assert_eq!(status.json()["seconds_until_idle_end"], 58, "{framework}");

    site.set_fault(Fault::Works);
    let status = b.get(STATUS).await;
    assert_eq!(
        status.json()["seconds_until_idle_end"],
        58,
        "{framework}: a failed write counted as activity: {status:?}"
    );
    site.advance(58_001);
    let page = b.get("/").await;
    assert_eq!(
        page.location(),
        Some("/login?next=/"),
        "{framework}: {page:?}"
    );
    assert_eq!(b.get("/login").await.messages(), EXPIRED, "{framework}");
}

/// Deletes fail, the rest works: a sign-out that cannot delete the session
/// answers `503` and the user is still signed in (told, not fooled); an
/// expired session that cannot be deleted answers the integration's `503`,
/// never the page; once the store is back the expiry holds, with its
/// message once, and the old cookie is signed out.
pub async fn failing_deletes_never_lose_a_logout(start: impl AsyncFn(Config) -> Target) {
    let site = start(django_config()).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    site.set_fault(Fault::DeletesFail);
    let (page, _) = timed(&b, post("/logout")).await;
    assert_eq!(page.status, 503, "{framework} sign-out: {page:?}");
    assert_eq!(
        page.header("cache-control"),
        Some("no-store"),
        "{framework}"
    );
    site.set_fault(Fault::Works);
    assert!(b.signed_in().await, "{framework}: half signed out");

    site.set_fault(Fault::DeletesFail);
    site.advance(60_001);
    for req in [get("/"), get("/login"), KEEP_ALIVE] {
        let what = format!(
            "{framework} failing deletes, expired, {} {}",
            req.method, req.path
        );
        let (page, took) = timed(&b, req).await;
        assert_store_failed(&what, &page);
        assert!(took < MARGIN, "{what}: answered in {took:?}");
    }
    site.set_fault(Fault::Works);
    let page = b.get("/").await;
    assert_eq!(
        page.location(),
        Some("/login?next=/"),
        "{framework}: {page:?}"
    );
    assert_eq!(b.get("/login").await.messages(), EXPIRED, "{framework}");
    assert_eq!(
        b.get("/login").await.messages(),
        NONE,
        "{framework}: shown twice"
    );
    let status = b.get(STATUS).await;
    assert_eq!(status.json()["active"], false, "{framework}: {status:?}");
}
