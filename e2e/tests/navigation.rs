//! Navigation cases: the back/forward cache, a page reached by POST, a URL
//! with a `#fragment`, and storage blocked.

use std::time::{Duration, Instant};

use auto_logout_e2e::flows::{self, MAX_DELAY_MS};
use auto_logout_e2e::{
    BLOCK_STORAGE, Browser, Csp, IDLE_MESSAGE, NO_BROADCAST_CHANNEL, Recorder, Site, config,
    ms_between, sleep_until,
};
use fantoccini::Locator;
use serde_json::Value as Json;

/// The `/` page left for another page before its deadline, the session ended
/// meanwhile; back restores it from the back/forward cache (stale content, its
/// timers frozen): it must leave at once.
async fn back_after(end_session: &str) {
    let site = Site::start(config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client
        .find(Locator::Css("a[href='/public']"))
        .await
        .expect("link to /public")
        .click()
        .await
        .expect("click");
    b.wait_for_path("/public", Duration::from_secs(5))
        .await
        .expect("on /public");
    let probe = b.status(&site).await;
    let ended = match end_session {
        "expiry" => {
            let deadline = probe.idle_deadline().expect("idle");
            sleep_until(deadline + Duration::from_millis(300)).await;
            deadline
        }
        _ => {
            // Signed out on this other page (the demo's POST /logout).
            let ok = b
                .client
                .execute_async(
                    "var done = arguments[arguments.length - 1];
                     fetch('/logout', { method: 'POST', credentials: 'same-origin' }).then(function (r) { done(r.ok); }, function () { done(false); });",
                    vec![],
                )
                .await
                .expect("sign out");
            assert_eq!(ok, Json::Bool(true));
            Instant::now()
        }
    };
    let back_at = Instant::now();
    b.client.back().await.expect("back");
    let seen = b.wait_for_path("/login", Duration::from_secs(4)).await;
    let hits = site.log.since(back_at);
    let w = b.watched().await;
    println!(
        "bfcache after {end_session}: pageshows {:?}; back -> on /login {:?} ms\n{}",
        w.pageshows,
        seen.map(|s| ms_between(back_at, s)),
        Recorder::dump(&hits, back_at)
    );
    let seen = seen.unwrap_or_else(|| {
        panic!(
            "bfcache after {end_session}: still on a page {:?} after back",
            w.pageshows.last()
        )
    });
    assert!(
        w.pageshows
            .iter()
            .any(|(path, persisted)| path == "/" && *persisted),
        "bfcache after {end_session}: / was not restored from the back/forward cache, the test proves nothing: {:?}",
        w.pageshows
    );
    assert!(
        !hits.iter().any(|h| h.path_only() == "/" && h.status == 200),
        "/ was loaded again from the server instead of restored"
    );
    let took = ms_between(back_at, seen);
    assert!(took < MAX_DELAY_MS, "left {took} ms after back");
    assert!(ended <= seen);
    flows::assert_script_never_extended(&site.log.hits(), back_at);
    b.quit().await;
}

#[tokio::test]
async fn bfcache_restore_after_expiry_leaves_at_once() {
    back_after("expiry").await;
}

#[tokio::test]
async fn bfcache_restore_after_sign_out_leaves_at_once() {
    back_after("sign-out").await;
}

/// A page reached by POST: the logout navigates by GET (no resubmission prompt,
/// no second POST).
#[tokio::test]
async fn page_reached_by_post_leaves_by_get() {
    let site = Site::start(config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client.goto(&site.url("/form")).await.expect("open /form");
    b.client
        .find(Locator::Id("send"))
        .await
        .expect("send button")
        .click()
        .await
        .expect("click");
    b.client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Id("saved"))
        .await
        .expect("the page answering the POST");
    assert_eq!(b.path().await, "/form");
    let probe = b.status(&site).await;
    let deadline = probe.idle_deadline().expect("idle");
    flows::await_logout(&b, &site, deadline, "/login", "POST page").await;
    assert_eq!(b.path().await, "/login?next=/form");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    let hits = site.log.hits();
    let posts = hits
        .iter()
        .filter(|h| h.method == "POST" && h.path_only() == "/form")
        .count();
    assert_eq!(posts, 1, "the form was posted again");
    assert!(
        hits.iter()
            .any(|h| h.method == "GET" && h.path_only() == "/form" && h.at > deadline),
        "no GET /form after the deadline"
    );
    b.quit().await;
}

/// A URL with a `#fragment`: leaving must be a real navigation, not a jump
/// to the fragment.
#[tokio::test]
async fn url_with_fragment_leaves() {
    let site = Site::start(config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client.goto(&site.url("/public")).await.expect("/public");
    b.client
        .goto(&site.url("/#countdowns"))
        .await
        .expect("/#countdowns");
    let url = b.client.current_url().await.expect("URL");
    assert_eq!((url.path(), url.fragment()), ("/", Some("countdowns")));
    let probe = b.status(&site).await;
    let deadline = probe.idle_deadline().expect("idle");
    flows::await_logout(&b, &site, deadline, "/login", "fragment").await;
    assert_eq!(b.path().await, "/login?next=/");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    assert!(
        site.log
            .hits()
            .iter()
            .any(|h| h.method == "GET" && h.path_only() == "/" && h.at > deadline),
        "no GET / after the deadline"
    );
    b.quit().await;
}

/// The script's view of the deadlines in the current window (browser clock, ms).
async fn deadlines(b: &Browser) -> Json {
    b.client
        .execute(
            "return window.autoLogout && window.autoLogout.deadlines ? window.autoLogout.deadlines() : null;",
            vec![],
        )
        .await
        .expect("deadlines")
}

/// Page-side checks: storage throws, the script is running.
async fn storage_is_blocked(b: &Browser) -> Json {
    b.client
        .execute(
            "var r = {};
             try { localStorage.getItem('x'); r.local = 'open'; } catch (e) { r.local = e.name; }
             try { sessionStorage.getItem('x'); r.session = 'open'; } catch (e) { r.session = e.name; }
             r.broadcast = typeof BroadcastChannel;
             r.script = typeof window.autoLogout;
             return r;",
            vec![],
        )
        .await
        .expect("inspect storage")
}

/// Installs the watcher, blocks storage and, unless `broadcast`, removes
/// `BroadcastChannel`, for every document of the current window.
async fn prepare(b: &Browser, broadcast: bool) {
    b.watch().await;
    b.on_new_document(BLOCK_STORAGE).await;
    if !broadcast {
        b.on_new_document(NO_BROADCAST_CHANNEL).await;
    }
}

/// Storage blocked (`localStorage`/`sessionStorage` throw `SecurityError`, as
/// when the user blocks site data; injected before any page script, since
/// blocking site data in Chromium would also block the session cookie).
/// With `BroadcastChannel`: two windows stay in step (a reload in one moves the
/// other's deadline) and both log out. Without it too: each window still logs
/// out by itself.
async fn storage_blocked(broadcast: bool) {
    let label = if broadcast {
        "storage blocked"
    } else {
        "storage blocked, no BroadcastChannel"
    };
    let site = Site::start(config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    let c = &b.client;
    prepare(&b, broadcast).await;
    b.login(&site).await;
    let first = c.window().await.expect("window");
    let second = c.new_window(false).await.expect("new window").handle;
    c.switch_to_window(second.clone()).await.expect("switch");
    prepare(&b, broadcast).await;
    c.goto(&site.url("/")).await.expect("open /");
    let state = storage_is_blocked(&b).await;
    println!("{label}: {state}");
    assert_eq!(state["local"], "SecurityError");
    assert_eq!(state["session"], "SecurityError");
    assert_eq!(state["script"], "object");
    assert_eq!(
        state["broadcast"],
        if broadcast { "function" } else { "undefined" }
    );
    let before = deadlines(&b).await;
    // A page load in the first window moves the second's deadline (broadcast)
    // or leaves it (no channel at all).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.switch_to_window(first.clone()).await.expect("switch");
    c.refresh().await.expect("reload");
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.switch_to_window(second.clone()).await.expect("switch");
    let after = deadlines(&b).await;
    let moved = after["idleAt"].as_f64().unwrap_or(0.0) - before["idleAt"].as_f64().unwrap_or(0.0);
    println!(
        "{label}: second window's idle deadline moved by {moved:.0} ms after a reload in the first"
    );
    if broadcast {
        assert!(moved > 900.0, "{label}: the windows are not in step");
    } else {
        assert!(
            moved.abs() < 1.0,
            "{label}: no channel, yet the deadline moved"
        );
    }
    c.switch_to_window(first.clone()).await.expect("switch");
    let probe = b.status(&site).await;
    let deadline = probe.idle_deadline().expect("idle");
    let give_up = deadline + Duration::from_secs(3);
    let windows = [first, second];
    let mut seen = [None, None];
    while seen.iter().any(Option::is_none) && Instant::now() < give_up {
        for (i, w) in windows.iter().enumerate() {
            if seen[i].is_none()
                && c.switch_to_window(w.clone()).await.is_ok()
                && c.current_url().await.is_ok_and(|u| u.path() == "/login")
            {
                seen[i] = Some(Instant::now());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delays: Vec<Option<i64>> = seen
        .iter()
        .map(|s| s.map(|s| ms_between(deadline, s)))
        .collect();
    let hits = site.log.hits();
    println!(
        "{label}: server deadline -> each window on /login (ms): {delays:?}\n{}",
        Recorder::dump(&site.log.since(probe.at), deadline)
    );
    for d in delays {
        let d = d.expect("every window reached /login");
        assert!((0..MAX_DELAY_MS).contains(&d), "{label}: {d} ms");
    }
    flows::assert_script_never_extended(&hits, deadline);
    for w in windows {
        c.switch_to_window(w).await.expect("switch");
        let errors: Vec<String> = b
            .console()
            .await
            .into_iter()
            .filter(|l| l.starts_with("SEVERE") && !l.contains("favicon.ico"))
            .collect();
        assert!(errors.is_empty(), "{label}: page errors {errors:?}");
    }
    b.quit().await;
}

#[tokio::test]
async fn storage_blocked_tabs_stay_in_step() {
    storage_blocked(true).await;
}

#[tokio::test]
async fn storage_and_broadcast_channel_missing() {
    storage_blocked(false).await;
}
