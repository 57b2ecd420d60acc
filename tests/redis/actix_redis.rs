//! Two instances of the actix demo sharing one real `redis-server` (started
//! here on a free loopback port) through actix-session's `RedisSessionStore`:
//! activity on one is honoured by the other, a logout or an expiry seen by one
//! is final on both; and when the server is killed (`kill -9`) and started
//! again with its data, every request meanwhile gets a quick `503`, and both
//! instances serve the sessions again without a restart, no logout undone.
//!
//! Without `redis-server` on the PATH the test says so loudly and passes,
//! unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when it fails.

use crate::support;

use crate::actix_support;

use std::time::{Duration, Instant};

use actix_session::storage::RedisSessionStore;
use actix_support::{ActixSite, app, cookie_of, with_cookie};
use actix_web::cookie::Key;
use auto_logout::{Config, ManualClock, engine};
use support::app::DEFAULT_MESSAGE;
use support::{Browser, Page, RedisServer, T0};

type Store = RedisSessionStore;

fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

/// Two instances on one Redis, with one clock and one cookie key.
async fn two_instances(url: &str) -> (ActixSite<Store>, ActixSite<Store>, ManualClock) {
    let clock = ManualClock::new(T0);
    let key = Key::generate();
    let mut sites = Vec::new();
    for _ in 0..2 {
        // As the demo's: pooled, with time limits.
        let store = app::redis_store(url).await.expect("connects to redis");
        sites.push(ActixSite::start_shared(
            config(),
            store,
            clock.clone(),
            key.clone(),
        ));
    }
    let b = sites.pop().unwrap();
    let a = sites.pop().unwrap();
    (a, b, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_one_redis() {
    let Some(redis) = RedisServer::start("tests/redis/actix_redis.rs") else {
        return;
    };
    let (site_a, site_b, clock) = two_instances(&redis.url()).await;
    let a = site_a.browser();
    let b = a.at(site_b.addr); // the same browser, load-balanced to the other instance
    let advance = |ms: u64| clock.advance(Duration::from_millis(ms));

    a.login().await;
    assert!(b.signed_in().await);

    // Activity only on A keeps the session alive on B, well past IDLE_TIME.
    for _ in 0..4 {
        advance(40_000);
        assert!(a.signed_in().await);
    }
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], true, "{status}");
    assert_eq!(status["idle_ms"], 60_000, "A's activity is B's: {status}");
    advance(50_000);
    assert!(b.signed_in().await);
    let status = a.get("/auto-logout/status").await.json();
    assert_eq!(status["idle_ms"], 60_000, "{status}");

    // Expiry seen by B is final on A.
    advance(60_001);
    assert_eq!(b.get("/").await.status, 303);
    assert!(!a.signed_in().await);
    assert_eq!(
        a.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
    assert!(b.get("/login").await.messages().is_empty(), "shown once");

    // A logout on A is final on B.
    b.login().await;
    assert!(a.signed_in().await);
    assert_eq!(a.post_form("/logout", &[]).await.status, 303);
    assert!(!b.signed_in().await);
    assert!(!a.signed_in().await);

    // The absolute limit holds across instances under constant activity.
    a.login().await;
    for i in 0..10 {
        advance(30_000);
        let on = if i % 2 == 0 { &a } else { &b };
        assert!(on.signed_in().await, "{i}");
    }
    advance(1);
    assert!(!a.signed_in().await, "300.001 s after login");
    assert!(!b.signed_in().await);
}

/// How long a request may take while Redis is down.
const ANSWER_BOUND: Duration = Duration::from_secs(5);
/// How long both instances may take to serve again after Redis is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(15);

async fn timed_get(b: &Browser, path: &str) -> (Page, Duration) {
    let started = Instant::now();
    let page = tokio::time::timeout(Duration::from_secs(10), b.get(path))
        .await
        .unwrap_or_else(|_| panic!("GET {path}: no answer in 10 s"));
    (page, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_answers_503_fast_and_heals_without_a_restart() {
    let Some(mut redis) = RedisServer::start_persistent("tests/redis/actix_redis.rs (outage)")
    else {
        return;
    };
    let (site_a, site_b, _clock) = two_instances(&redis.url()).await;
    let (a_addr, b_addr) = (site_a.addr, site_b.addr);
    let user = site_a.browser();
    user.login().await;
    assert!(user.at(b_addr).signed_in().await);

    // A logout made before the outage, on B, of a session signed in on A.
    let leaver = site_a.browser();
    leaver.login().await;
    let gone = cookie_of(&leaver, app::SESSION_COOKIE).expect("a session cookie");
    assert_eq!(
        leaver.at(b_addr).post_form("/logout", &[]).await.status,
        303
    );
    for addr in [a_addr, b_addr] {
        assert!(
            !with_cookie(addr, app::SESSION_COOKIE, &gone)
                .signed_in()
                .await
        );
    }

    redis.kill_9();
    let down_at = Instant::now();
    let mut slowest = Duration::ZERO;
    for round in 0..3 {
        for addr in [a_addr, b_addr] {
            let signed_in = user.at(addr);
            let old_cookie = with_cookie(addr, app::SESSION_COOKIE, &gone);
            for (who, b, path) in [
                ("user", &signed_in, "/"),
                ("user", &signed_in, "/public"),
                ("user", &signed_in, "/auto-logout/status"),
                ("logged out", &old_cookie, "/"),
            ] {
                let (page, took) = timed_get(b, path).await;
                assert!(
                    took < ANSWER_BOUND,
                    "round {round}, {addr}, {who} GET {path}: {took:?} while Redis is down"
                );
                assert_eq!(
                    page.status, 503,
                    "round {round}, {addr}, {who} GET {path}: {page:?}"
                );
                assert_eq!(page.body, engine::STORE_FAILED);
                slowest = slowest.max(took);
            }
        }
    }
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "actix redis outage: 24 requests in {:?}, slowest answer {slowest:?}, all 503",
            down_at.elapsed()
        );
    }

    redis.restart();
    let back_at = Instant::now();
    let mut served = [false, false];
    while served != [true, true] {
        assert!(
            back_at.elapsed() < RECOVERY_BOUND,
            "not served again {RECOVERY_BOUND:?} after Redis came back: {served:?}"
        );
        for (i, addr) in [a_addr, b_addr].into_iter().enumerate() {
            let (page, _) = timed_get(&user.at(addr), "/").await;
            served[i] = page.status == 200;
        }
        if served != [true, true] {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Nothing undone: the logged-out session stays out on both.
    for addr in [a_addr, b_addr] {
        assert!(
            !with_cookie(addr, app::SESSION_COOKIE, &gone)
                .signed_in()
                .await
        );
    }
}
