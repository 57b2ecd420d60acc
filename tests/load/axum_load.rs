//! Load: two thousand concurrent sessions through the demo stack over loopback,
//! bounded in count and time. No request fails, no session is logged out early,
//! and none is kept past its limit (the clock is injected, so "past its limit"
//! is exact, not a matter of sleeping).
//!
//! Then the same demo stack, on tower-sessions' `MemoryStore` and on a real
//! `redis-server`, under load against a model of the truth (`load_model`):
//! thousands of sessions on random schedules, every answer compared with what
//! the model says it must be. The default run is CI's short one;
//! `AUTO_LOGOUT_LOAD_SESSIONS` and `AUTO_LOGOUT_LOAD_MINUTES` make it longer
//! (BENCHMARKS.md, "Load against a model of the truth").

use crate::load_model;
use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auto_logout::Config;
use support::watched::Counted;
use support::{Browser, Site};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const SESSIONS: usize = 2000;
/// Requests in flight at once.
const CONCURRENCY: usize = 64;

/// Requests sent by `for_all`, for the summary line.
static REQUESTS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` for every browser, `CONCURRENCY` at a time, and returns the results
/// in the browsers' order. A panic in any request (e.g. a 5xx) fails the test.
async fn for_all<T, F, Fut>(browsers: &[Browser], f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Browser) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    REQUESTS.fetch_add(browsers.len(), Ordering::Relaxed);
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (i, b) in browsers.iter().enumerate() {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let fut = f(b.clone());
        tasks.spawn(async move {
            let out = fut.await;
            drop(permit);
            (i, out)
        });
    }
    let mut out: Vec<Option<T>> = (0..browsers.len()).map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        let (i, value) = done.expect("a request task failed");
        out[i] = Some(value);
    }
    out.into_iter().map(Option::unwrap).collect()
}

#[test]
fn two_thousand_sessions_none_early_none_late_no_errors() {
    // Not at the same time as the runs against the model (two cores).
    let _one = load_model::one_at_a_time();
    load_model::runtime().block_on(two_thousand_sessions());
}

async fn two_thousand_sessions() {
    let started = Instant::now();
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message("bye")
        .build()
        .unwrap();
    let site = Site::start(config).await;
    let browsers: Vec<Browser> = (0..SESSIONS).map(|_| site.browser()).collect();

    // Everyone signs in at T0.
    for_all(&browsers, |b| async move {
        b.login().await;
    })
    .await;

    // +30 s: every session views a page (activity): all still signed in.
    site.advance(30_000);
    let signed_in = for_all(&browsers, |b| async move { b.signed_in().await }).await;
    assert!(signed_in.iter().all(|&s| s), "logged out early at +30 s");

    // From here on only the even half keeps making requests.
    site.advance(40_000); // +70 s: odd half idle since +30 s (40 s), fine.
    let even: Vec<Browser> = browsers.iter().step_by(2).cloned().collect();
    let odd: Vec<Browser> = browsers.iter().skip(1).step_by(2).cloned().collect();
    let still = for_all(&even, |b| async move { b.signed_in().await }).await;
    assert!(
        still.iter().all(|&s| s),
        "active sessions logged out early at +70 s"
    );

    // +90 s: the odd half has been idle for exactly 60 s: strict `< 0`, still in.
    site.advance(20_000);
    let boundary = for_all(&odd, |b| async move {
        b.get_with("/auto-logout/status", &[]).await.json()["active"] == true
    })
    .await;
    assert!(
        boundary.iter().all(|&s| s),
        "logged out at exactly IDLE_TIME"
    );

    // +90.001 s: one millisecond past the idle limit, every odd session is out;
    // the even half (active at +70 s) is in.
    site.advance(1);
    let odd_in = for_all(&odd, |b| async move { b.signed_in().await }).await;
    assert!(
        odd_in.iter().all(|&s| !s),
        "idle sessions kept past IDLE_TIME"
    );
    let even_in = for_all(&even, |b| async move { b.signed_in().await }).await;
    assert!(
        even_in.iter().all(|&s| s),
        "active sessions logged out early at +90 s"
    );

    // Keep the even half busy up to the absolute limit: at +300 s still in,
    // one millisecond later out, activity or not.
    // Requests every 50 s keep the idle limit from ending: +140, +190, +240, +290 s.
    for _ in 0..4 {
        site.advance(50_000);
        let busy = for_all(&even, |b| async move { b.signed_in().await }).await;
        assert!(
            busy.iter().all(|&s| s),
            "busy sessions logged out before SESSION_TIME"
        );
    }
    site.advance(9_999); // exactly +300 s since login
    let at_limit = for_all(&even, |b| async move {
        b.get_with("/auto-logout/status", &[]).await.json()["active"] == true
    })
    .await;
    assert!(
        at_limit.iter().all(|&s| s),
        "logged out at exactly SESSION_TIME"
    );
    site.advance(1);
    let past = for_all(&even, |b| async move { b.signed_in().await }).await;
    assert!(past.iter().all(|&s| !s), "sessions kept past SESSION_TIME");

    let took = started.elapsed();
    eprintln!(
        "load: {SESSIONS} sessions, {} requests, {CONCURRENCY} in flight, {took:?}",
        REQUESTS.load(Ordering::Relaxed)
    );
    assert!(took < Duration::from_secs(300), "bounded in time");
}

/// The axum demo over `store` (its writes counted), with a manual clock.
async fn axum_target<S>(store: Counted<S>) -> load_model::Target
where
    S: tower_sessions::SessionStore + Clone,
{
    let clock = auto_logout::ManualClock::new(support::T0);
    let writes = store.writes();
    let settings = support::settings_on(load_model::config(), &clock);
    let router = support::app::router(&settings, store);
    let addr = support::app::spawn(router, "127.0.0.1:0").await.unwrap();
    load_model::Target {
        addr,
        clock,
        writes,
    }
}

/// The axum demo over a store that keeps a logout final by itself (the
/// crate's `RedisStore`, its writes counted), with a manual clock.
async fn guarded_axum_target<S>(store: Counted<S>) -> load_model::Target
where
    S: tower_sessions::SessionStore + auto_logout::GuardedStore + Clone,
{
    let clock = auto_logout::ManualClock::new(support::T0);
    let writes = store.writes();
    let settings = support::settings_on(load_model::config(), &clock);
    let addr = support::serve_guarded(&settings, store).await;
    load_model::Target {
        addr,
        clock,
        writes,
    }
}

#[test]
fn axum_memory_store_under_load_agrees_with_the_model() {
    load_model::check_run(async {
        let store = Counted::new(tower_sessions::MemoryStore::default());
        let target = axum_target(store).await;
        load_model::run("axum", "MemoryStore", target, load_model::Plan::from_env()).await
    });
}

#[test]
fn axum_redis_store_under_load_agrees_with_the_model() {
    load_model::check_run_on_redis("tests/load/axum_load.rs (axum + Redis)", async |url| {
        let redis = support::app::redis_store(&url)
            .await
            .expect("connects to redis");
        let target = axum_target(Counted::new(redis)).await;
        load_model::run("axum", "Redis", target, load_model::Plan::from_env()).await
    });
}

#[test]
fn axum_crate_redis_store_under_load_agrees_with_the_model() {
    load_model::check_run_on_redis("tests/load/axum_load.rs (axum + RedisStore)", async |url| {
        let redis = auto_logout::redis::RedisStore::connect(&url)
            .await
            .expect("connects to redis");
        let target = guarded_axum_target(Counted::new(redis)).await;
        load_model::run("axum", "RedisStore", target, load_model::Plan::from_env()).await
    });
}
