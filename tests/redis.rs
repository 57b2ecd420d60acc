//! Two instances of the demo app sharing one real `redis-server` (started here
//! on a free loopback port): activity on one is honoured by the other, and a
//! logout or an expiry seen by one is final on both.
//!
//! Without `redis-server` on the PATH the test says so loudly and passes,
//! unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when it fails.

mod support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auto_logout::{Config, ManualClock};
use support::app::{self, DEFAULT_MESSAGE};
use support::{Browser, T0};

/// Kills the server when the test ends, also on a panic.
struct RedisServer {
    child: Child,
    port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis() -> Option<RedisServer> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("AUTO_LOGOUT_REQUIRE_E2E").as_deref() == Ok("1") {
            panic!("redis-server not found, and AUTO_LOGOUT_REQUIRE_E2E=1 requires this test");
        }
        eprintln!(
            "\n*** SKIPPED tests/redis.rs: redis-server not found on PATH \
             (apt-get install redis-server; AUTO_LOGOUT_REQUIRE_E2E=1 makes this a failure) ***\n"
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let server = RedisServer { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "redis-server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(server)
}

/// One instance of the demo stack on Redis, on a free port.
async fn instance(redis_port: u16, clock: &ManualClock) -> SocketAddr {
    let config = Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    let store = app::redis_store(&format!("redis://127.0.0.1:{redis_port}"))
        .await
        .expect("connects to redis");
    app::spawn(app::router(&settings, store), "127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_one_redis() {
    let Some(redis) = start_redis() else { return };
    // Both instances read the same time, as two servers with synchronised clocks.
    let clock = ManualClock::new(T0);
    let a_addr = instance(redis.port, &clock).await;
    let b_addr = instance(redis.port, &clock).await;
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
