//! Two instances of the demo app sharing one real `redis-server` (started here
//! on a free loopback port): activity on one is honoured by the other, and a
//! logout or an expiry seen by one is final on both; and when the server is
//! killed (`kill -9`) and started again with its data, every request meanwhile
//! gets the layer's `503` within a few seconds, and both instances serve the
//! sessions again without a restart, with no logout undone.
//!
//! Without `redis-server` on the PATH the test says so loudly and passes,
//! unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when it fails.

use crate::support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use auto_logout::{Config, ManualClock};
use support::app::{self, DEFAULT_MESSAGE};
use support::{Browser, Page, RedisServer, T0};

/// One instance of the demo stack on Redis, on a free port.
async fn instance(redis_url: &str, clock: &ManualClock) -> SocketAddr {
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    let store = app::redis_store(redis_url)
        .await
        .expect("connects to redis");
    app::spawn(app::router(&settings, store), "127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_one_redis() {
    let Some(redis) = RedisServer::start("tests/redis/axum_redis.rs") else {
        return;
    };
    // Both instances read the same time, as two servers with synchronised clocks.
    let clock = ManualClock::new(T0);
    let a_addr = instance(&redis.url(), &clock).await;
    let b_addr = instance(&redis.url(), &clock).await;
    let a = Browser::new(a_addr);
    let b = a.at(b_addr); // the same browser (cookie jar), load-balanced to the other instance
    let advance = |ms: u64| clock.advance(Duration::from_millis(ms));

    // Logged in on A, known on B.
    a.login().await;
    assert!(b.signed_in().await);

    // Activity only on A keeps the session alive on B, well past IDLE_TIME.
    for _ in 0..4 {
        advance(40_000);
        assert!(a.signed_in().await);
    }
    let status = b.get("/auto-logout/status").await.json();
    assert_eq!(status["active"], true, "{status}");
    assert_eq!(
        status["idle_ms"], 60_000,
        "A's activity is B's too: {status}"
    );
    // ...and the other way round.
    advance(50_000);
    assert!(b.signed_in().await);
    let status = a.get("/auto-logout/status").await.json();
    assert_eq!(status["idle_ms"], 60_000, "{status}");

    // Expiry seen by B is final on A, and A shows the message B flashed.
    advance(60_001);
    assert_eq!(b.get("/").await.status, 303);
    assert!(!a.signed_in().await);
    assert_eq!(
        a.get("/login").await.messages(),
        vec![DEFAULT_MESSAGE.to_owned()]
    );
    assert!(
        b.get("/login").await.messages().is_empty(),
        "shown once, across instances"
    );

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
    drop(redis);
}

/// How long a request may take while Redis is down.
const ANSWER_BOUND: Duration = Duration::from_secs(5);
/// How long both instances may take to serve again after Redis is back.
const RECOVERY_BOUND: Duration = Duration::from_secs(15);

/// `GET path`, timed; a request without an answer after 10 s fails the test.
async fn timed_get(b: &Browser, path: &str) -> (Page, Duration) {
    let started = Instant::now();
    let page = tokio::time::timeout(Duration::from_secs(10), b.get(path))
        .await
        .unwrap_or_else(|_| panic!("GET {path}: no answer in 10 s"));
    (page, started.elapsed())
}

/// A browser with this session cookie only.
fn with_cookie(addr: SocketAddr, id: tower_sessions::session::Id) -> Browser {
    let b = Browser::new(addr);
    let url = format!("http://{addr}/").parse().unwrap();
    b.jar
        .add_cookie_str(&format!("{}={id}; Path=/", app::SESSION_COOKIE), &url);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_answers_fast_and_heals_without_a_restart() {
    let Some(mut redis) = RedisServer::start_persistent("tests/redis/axum_redis.rs (outage)")
    else {
        return;
    };
    let clock = ManualClock::new(T0);
    let a_addr = instance(&redis.url(), &clock).await;
    let b_addr = instance(&redis.url(), &clock).await;
    let user = Browser::new(a_addr);
    user.login().await;
    assert!(user.at(b_addr).signed_in().await);

    // A logout made before the outage, on B, of a session signed in on A.
    let leaver = Browser::new(a_addr);
    leaver.login().await;
    let gone = leaver.session_id().unwrap();
    assert_eq!(
        leaver.at(b_addr).post_form("/logout", &[]).await.status,
        303
    );
    for addr in [a_addr, b_addr] {
        assert!(!with_cookie(addr, gone).signed_in().await);
    }

    redis.kill_9();
    let down_at = Instant::now();
    // Two rounds of eight requests at once (each instance: the signed-in
    // user's pages and status, the logged-out cookie).
    let mut slowest = Duration::ZERO;
    let mut fastest = Duration::MAX;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..2 {
        let mut requests = Vec::new();
        for addr in [a_addr, b_addr] {
            for (who, b, path) in [
                ("user", user.at(addr), "/"),
                ("user", user.at(addr), "/public"),
                ("user", user.at(addr), "/auto-logout/status"),
                ("logged out", with_cookie(addr, gone), "/"),
            ] {
                requests.push(tokio::spawn(async move {
                    let (page, took) = timed_get(&b, path).await;
                    (format!("{addr}, {who} GET {path}"), page, took)
                }));
            }
        }
        for request in requests {
            let (what, page, took) = request.await.unwrap();
            assert!(
                took < ANSWER_BOUND,
                "round {round}, {what}: {took:?} while Redis is down"
            );
            // The auto-logout layer reads the session first: its own answer.
            assert_eq!(
                page.status, 503,
                "round {round}, {what}: {page:?} while Redis is down"
            );
            assert_eq!(page.body, "auto-logout: the session store failed");
            assert_eq!(page.header("cache-control"), Some("no-store"), "{what}");
            slowest = slowest.max(took);
            fastest = fastest.min(took);
            *statuses.entry(page.status).or_default() += 1;
        }
    }
    // Said on the process's stderr: the figures of this run.
    let down_for = down_at.elapsed();
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "redis outage: 16 requests in {down_for:?}, answers in {fastest:?}..{slowest:?}, \
             statuses {statuses:?}"
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
            if !served[i] {
                let (page, _) = timed_get(&user.at(addr), "/").await;
                served[i] = page.status == 200;
            }
        }
        if served != [true, true] {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let recovered_in = back_at.elapsed();
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "redis outage: both instances serve the session again {recovered_in:?} after the restart"
        );
    }

    // With its data: the session is the same one, and the logout made before
    // the outage is still final, on both instances.
    for addr in [a_addr, b_addr] {
        assert!(user.at(addr).signed_in().await, "{addr}");
        assert!(!with_cookie(addr, gone).signed_in().await, "{addr}");
    }
    // And the stores work both ways again: a logout on B is final on A.
    assert_eq!(user.at(b_addr).post_form("/logout", &[]).await.status, 303);
    assert!(!user.signed_in().await);
    drop(redis);
}
