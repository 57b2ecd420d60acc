//! Navigation cases: the back/forward cache, a page reached by POST, a URL
//! with a `#fragment`, and storage blocked.

use std::time::{Duration, Instant};

use auto_logout_e2e::flows::{self, MAX_DELAY_MS};
use auto_logout_e2e::{
    BLOCK_STORAGE, Browser, Csp, Demo, IDLE_MESSAGE, NO_BROADCAST_CHANNEL, Recorder, Site, config,
    ms_between, sleep_until, until,
};
use fantoccini::Locator;
use serde_json::Value as Json;

/// A signed-in page left for another page before its deadline, the session
/// ended meanwhile; back restores it from the back/forward cache (stale
/// content, its timers frozen): it must leave at once. The page is `/cached`,
/// whose handler chose `Cache-Control: private, no-cache` (the layer marks
/// other pages of a session `no-store`, which keeps them out of the cache).
async fn back_after(demo: Demo, end_session: &str) {
    let site = Site::on(demo, config(Some(3), Some(60), None), Csp::Off).await;
    let Some(b) = Browser::start().await else {
        return;
    };
    b.watch().await;
    b.login(&site).await;
    b.client
        .goto(&site.url("/cached"))
        .await
        .expect("open /cached");
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
    let ended = match end_session {
        "expiry" => {
            // IDLE_TIME after the user's last request (the click to /public).
            let last = site
                .log
                .last_activity_before(Instant::now())
                .expect("the page load of /public");
            let expired = last.at + site.idle();
            sleep_until(expired + Duration::from_millis(300)).await;
            expired
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
            .any(|(path, persisted)| path == "/cached" && *persisted),
        "bfcache after {end_session}: /cached was not restored from the back/forward cache, the test proves nothing: {:?}",
        w.pageshows
    );
    assert!(
        !hits
            .iter()
            .any(|h| h.path_only() == "/cached" && h.status == 200),
        "/cached was loaded again from the server instead of restored"
    );
    let took = ms_between(back_at, seen);
    assert!(took < MAX_DELAY_MS, "left {took} ms after back");
    assert!(ended <= seen);
    flows::assert_script_never_extended(&site.log.hits(), back_at);
    b.quit().await;
}

#[tokio::test]
async fn bfcache_restore_after_expiry_leaves_at_once() {
    back_after(Demo::Axum, "expiry").await;
}

#[tokio::test]
async fn bfcache_restore_after_sign_out_leaves_at_once() {
    back_after(Demo::Axum, "sign-out").await;
}

#[tokio::test]
async fn actix_bfcache_restore_after_expiry_leaves_at_once() {
    back_after(Demo::Actix, "expiry").await;
}

#[tokio::test]
async fn actix_bfcache_restore_after_sign_out_leaves_at_once() {
    back_after(Demo::Actix, "sign-out").await;
}

/// A page reached by POST: the logout navigates by GET (no resubmission prompt,
/// no second POST).
#[tokio::test]
async fn page_reached_by_post_leaves_by_get() {
    post_page_leaves_by_get(Demo::Axum).await;
}

#[tokio::test]
async fn actix_page_reached_by_post_leaves_by_get() {
    post_page_leaves_by_get(Demo::Actix).await;
}

async fn post_page_leaves_by_get(demo: Demo) {
    let site = Site::on(demo, config(Some(3), Some(60), None), Csp::Off).await;
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
    let quiet_from = std::time::Instant::now();
    flows::await_logout(&b, &site, "/login", "POST page").await;
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
            .any(|h| h.method == "GET" && h.path_only() == "/form" && h.at > quiet_from),
        "no GET /form after the user went quiet"
    );
    b.quit().await;
}

/// A URL with a `#fragment`: leaving must be a real navigation, not a jump
/// to the fragment.
#[tokio::test]
async fn url_with_fragment_leaves() {
    fragment_leaves(Demo::Axum).await;
}

#[tokio::test]
async fn actix_url_with_fragment_leaves() {
    fragment_leaves(Demo::Actix).await;
}

async fn fragment_leaves(demo: Demo) {
    let site = Site::on(demo, config(Some(3), Some(60), None), Csp::Off).await;
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
    let quiet_from = std::time::Instant::now();
    flows::await_logout(&b, &site, "/login", "fragment").await;
    assert_eq!(b.path().await, "/login?next=/");
    assert_eq!(b.messages().await, vec![IDLE_MESSAGE.to_owned()]);
    assert!(
        site.log
            .hits()
            .iter()
            .any(|h| h.method == "GET" && h.path_only() == "/" && h.at > quiet_from),
        "no GET / after the user went quiet"
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
async fn storage_blocked(demo: Demo, broadcast: bool) {
    let label = &if broadcast {
        format!("{} storage blocked", demo.name())
    } else {
        format!("{} storage blocked, no BroadcastChannel", demo.name())
    };
    let site = Site::on(demo, config(Some(3), Some(60), None), Csp::Off).await;
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
    let before_at = before["idleAt"]
        .as_f64()
        .expect("the second window's idleAt");
    let opened = site
        .log
        .last_activity_before(Instant::now())
        .expect("the second window's page load");
    // The user reloads the first window 1.2 s after opening the second (a
    // user action on a schedule): with a channel, the second window's
    // deadline moves by the time between both page loads; without, not at all.
    sleep_until(opened.at + Duration::from_millis(1200)).await;
    c.switch_to_window(first.clone()).await.expect("switch");
    c.refresh().await.expect("reload");
    let reload = site
        .log
        .last_activity_before(Instant::now())
        .expect("the reload");
    assert_eq!(reload.path_only(), "/", "{reload}");
    let expected = ms_between(opened.at, reload.at) as f64;
    // The reloaded page's own script has started (it would have sent its news).
    let reloaded = until(Duration::from_secs(3), || async {
        let d = deadlines(&b).await;
        d["idleAt"].as_f64().filter(|at| *at > before_at)
    })
    .await;
    assert!(
        reloaded.is_some(),
        "{label}: the reloaded page's script did not start"
    );
    c.switch_to_window(second.clone()).await.expect("switch");
    // Poll the second window: with a channel until it moved, else for 1 s.
    let started = Instant::now();
    let moved = until(Duration::from_secs(1), || async {
        let at = deadlines(&b).await["idleAt"].as_f64()?;
        (at != before_at).then_some(at - before_at)
    })
    .await;
    println!(
        "{label}: second window's idle deadline moved by {moved:?} ms after a reload in the first {expected:.0} ms after it opened (polled {} ms)",
        ms_between(started, Instant::now())
    );
    if broadcast {
        let moved = moved.unwrap_or_else(|| panic!("{label}: the windows are not in step"));
        // Each page computes its deadline when its script starts, so the two
        // loads' parse times add to the server's interval: within the 250 ms the
        // product promises for the browser (150 ms failed once at 158 ms on a
        // fully loaded 2-core machine, two Chromiums at once).
        assert!(
            (moved - expected).abs() < 250.0,
            "{label}: moved {moved:.0} ms, the page loads were {expected:.0} ms apart"
        );
    } else {
        assert_eq!(moved, None, "{label}: no channel, yet the deadline moved");
    }
    c.switch_to_window(first.clone()).await.expect("switch");
    let quiet_from = Instant::now();
    let give_up = quiet_from + site.idle() + Duration::from_secs(3);
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
    let hits = site.log.hits();
    // Both windows leave IDLE_TIME after the user's last request (the reload),
    // with a channel or without (the script asks the server before leaving).
    flows::check_windows_logout(&hits, site.idle(), quiet_from, &seen, label);
    flows::assert_script_never_extended(&hits, quiet_from);
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
    storage_blocked(Demo::Axum, true).await;
}

#[tokio::test]
async fn storage_and_broadcast_channel_missing() {
    storage_blocked(Demo::Axum, false).await;
}

#[tokio::test]
async fn actix_storage_blocked_tabs_stay_in_step() {
    storage_blocked(Demo::Actix, true).await;
}

#[tokio::test]
async fn actix_storage_and_broadcast_channel_missing() {
    storage_blocked(Demo::Actix, false).await;
}
