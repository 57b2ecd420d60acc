//! The crate's own Redis store (`auto_logout::redis::RedisStore`) against a
//! real `redis-server` (started here on free loopback ports), standalone and
//! as a three-master Redis Cluster:
//!
//! - the save rule written in Lua is the save rule written in Rust
//!   (`save_rule::decide`), on random stored/ours pairs, unreadable and
//!   version-2 stamps included;
//! - a record's time to live follows its session (deadline plus grace);
//! - round trips (`INFO commandstats`): a request that writes is one load and
//!   one `EVALSHA`, one that does not is one load;
//! - two instances per stack (separate store clients, as two processes have)
//!   racing: a logout on A against activity on B, an idle expiry on A
//!   against activity on B, a stale request on B against a fresh sign-in on
//!   A — no session signed in again, no `5xx`, on both stacks, standalone
//!   and on the Cluster;
//! - the logout hook runs exactly once per logout when both instances find
//!   the session expired at once.
//!
//! Without `redis-server` (and `redis-cli` for the Cluster) the tests say so
//! loudly and pass, unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when they fail.
//! `AUTO_LOGOUT_RACE_TRIALS` sets the trials per race (default 500).

use crate::support;

use crate::actix_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auto_logout::engine::save_rule::{self, InStore, SaveAction};
use auto_logout::redis::RedisStore;
use auto_logout::redis::fred::interfaces::{ClientLike, KeysInterface};
use auto_logout::{Config, ManualClock, Stamps, Timestamp};
use serde_json::Value;
use support::app::{self as axum_app, DEFAULT_MESSAGE};
use support::watched::{Gate, Gated};
use support::{RedisServer, skip_loudly};
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

const IDLE_MS: i64 = 60_000;

fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

/// The number of trials per race.
fn trials() -> usize {
    std::env::var("AUTO_LOGOUT_RACE_TRIALS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(500)
}

/// Now on the system clock, as a timestamp (the record's own expiry is on
/// the system clock, so the tests' manual clocks start there).
fn system_now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Timestamp::from_unix_millis(millis)
}

// ---------------------------------------------------------------------------
// A three-master Redis Cluster on loopback.

struct RedisCluster {
    nodes: Vec<std::process::Child>,
    ports: Vec<u16>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    fn start(test: &str) -> Option<RedisCluster> {
        let found = |program: &str| {
            std::process::Command::new(program)
                .arg("--version")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !found("redis-server") || !found("redis-cli") {
            skip_loudly(test, "redis-server or redis-cli not found on PATH");
            return None;
        }
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let dir = std::env::temp_dir().join(format!(
            "auto-logout-cluster-{}-{}",
            std::process::id(),
            ports[0]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let nodes = ports.iter().map(|port| spawn_node(*port, &dir)).collect();
        let cluster = RedisCluster { nodes, ports, dir };
        for port in &cluster.ports {
            wait_for_port(*port);
        }
        let addresses: Vec<String> = cluster
            .ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let created = std::process::Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("redis-cli runs");
        assert!(created.success(), "redis-cli --cluster create failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ok = cluster.ports.iter().all(|port| {
                std::process::Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .is_ok_and(|out| {
                        String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok")
                    })
            });
            if ok {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the cluster never became ok"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("redis-cluster://127.0.0.1:{}", self.ports[0])
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One Cluster node on `port`, its data (append-only, every write synced)
/// and its cluster configuration in `dir`, so a restart comes back with both.
fn spawn_node(port: u16, dir: &std::path::Path) -> std::process::Child {
    std::process::Command::new("redis-server")
        .args(["--port", &port.to_string()])
        .args(["--bind", "127.0.0.1"])
        .args(["--save", ""])
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .args(["--appendfilename", &format!("appendonly-{port}.aof")])
        .args(["--appenddirname", &format!("aof-{port}")])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
        // One master down for a few seconds is not failed over (there are
        // no replicas), and the others go on serving their slots.
        .args(["--cluster-node-timeout", "15000"])
        .args(["--cluster-require-full-coverage", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// The Lua rule is the Rust rule.

/// A small deterministic generator (xorshift64*), so a failure repeats.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A stamps text: readable (version 1 or 2) from a few logins and
/// activities, so equal logins are frequent, or unreadable.
fn stamps_text(draw: &mut Draw) -> String {
    let logins = [1_700_000_000_000_i64, 1_700_000_001_000, 1_700_000_002_000];
    let login = logins[draw.below(3) as usize];
    let last = login + [0, 500, 1_000, 7_000][draw.below(4) as usize];
    match draw.below(10) {
        0..=4 => Stamps::new(
            Timestamp::from_unix_millis(login),
            Timestamp::from_unix_millis(last),
        )
        .unwrap()
        .encode(),
        5..=6 => Stamps::new(
            Timestamp::from_unix_millis(login),
            Timestamp::from_unix_millis(last),
        )
        .unwrap()
        .with_limits(
            Some(30_000),
            [None, Some(3_600_000)][draw.below(2) as usize],
        )
        .unwrap()
        .encode(),
        _ => [
            "junk",
            "",
            "1.5",
            "2.1700000000000.1700000000000..",
            "1.01700000000000.1700000000000",
            "1.1700000002000.1700000001000",
            "3.1.1",
            "1.1700000000000.1700000000000 ",
        ][draw.below(8) as usize]
            .to_owned(),
    }
}

fn record(id: Id, marker: &str, stamps: Option<&str>) -> Record {
    let mut data = std::collections::HashMap::new();
    data.insert("marker".to_owned(), Value::String(marker.to_owned()));
    if let Some(stamps) = stamps {
        data.insert(
            Stamps::SESSION_KEY.to_owned(),
            Value::String(stamps.to_owned()),
        );
    }
    Record {
        id,
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lua_save_rule_is_the_rust_save_rule() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    let store = RedisStore::connect(&redis.url()).await.unwrap();
    let mut draw = Draw(0x5eed_2026_1207);
    let (mut drops, mut writes, mut merges) = (0, 0, 0);
    for case in 0..3_000 {
        // What the store holds: nothing, a record without stamps, or stamps.
        let stored: Option<Option<String>> = match draw.below(5) {
            0 => None,
            1 => Some(None),
            _ => Some(Some(stamps_text(&mut draw))),
        };
        let ours: Option<String> = match draw.below(6) {
            0 => None,
            // The very same text as stored, now and then.
            1 => stored.clone().flatten(),
            _ => Some(stamps_text(&mut draw)),
        };
        let mut id = Id::default();
        if let Some(stored) = &stored {
            let mut first = record(id, "stored", stored.as_deref());
            store.create(&mut first).await.unwrap();
            id = first.id;
        }
        store
            .save(&record(id, "ours", ours.as_deref()))
            .await
            .unwrap();
        let loaded = store.load(&id).await.unwrap();
        let marker = |r: &Record| r.data["marker"].as_str().unwrap().to_owned();
        let stamps = |r: &Record| {
            r.data
                .get(Stamps::SESSION_KEY)
                .map(|v| v.as_str().unwrap().to_owned())
        };
        let in_store = match &stored {
            None => InStore::Gone,
            Some(text) => InStore::Stamps(text.as_deref()),
        };
        let expected = save_rule::decide(ours.as_deref(), in_store);
        let context = format!("case {case}: stored {stored:?}, ours {ours:?}, rule {expected:?}");
        match expected {
            SaveAction::Drop => {
                drops += 1;
                match &stored {
                    None => assert!(loaded.is_none(), "re-created: {context}"),
                    Some(text) => {
                        let loaded = loaded.expect(&context);
                        assert_eq!(marker(&loaded), "stored", "{context}");
                        assert_eq!(stamps(&loaded), *text, "{context}");
                    }
                }
            }
            SaveAction::Write => {
                writes += 1;
                let loaded = loaded.expect(&context);
                assert_eq!(marker(&loaded), "ours", "{context}");
                assert_eq!(stamps(&loaded), ours, "{context}");
            }
            SaveAction::WriteStamps(theirs) => {
                merges += 1;
                let loaded = loaded.expect(&context);
                assert_eq!(marker(&loaded), "ours", "{context}");
                assert_eq!(stamps(&loaded), Some(theirs.encode()), "{context}");
            }
        }
    }
    eprintln!("save rule, Lua against Rust: {drops} dropped, {writes} written, {merges} merged");
    assert!(
        drops > 300 && writes > 300 && merges > 50,
        "every branch drawn"
    );
}

// ---------------------------------------------------------------------------
// The demos on the store.

/// A reqwest client without a cookie jar or redirects: each answer's
/// cookies are read and sent by hand, so no cookie is missed.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// One answer: its status and the cookies it set (name=value; removals left out).
struct Answer {
    status: u16,
    cookies: Vec<String>,
}

async fn send(req: reqwest::RequestBuilder, cookie: &str) -> Answer {
    let res = req
        .header("cookie", cookie)
        .send()
        .await
        .expect("the instance answers");
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(_, value)| !value.is_empty())
        })
        .map(str::to_owned)
        .collect();
    Answer {
        status: res.status().as_u16(),
        cookies,
    }
}

/// The session cookie among `cookies`, as a `Cookie` header.
fn session_cookie(cookies: &[String]) -> Option<String> {
    cookies
        .iter()
        .find(|pair| pair.starts_with(&format!("{}=", axum_app::SESSION_COOKIE)))
        .cloned()
}

async fn login(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Answer {
    send(
        http.post(format!("http://{addr}/login"))
            .form(&[("username", "demo"), ("password", "demo")]),
        cookie,
    )
    .await
}

async fn get_home(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Answer {
    send(http.get(format!("http://{addr}/")), cookie).await
}

async fn logout(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Answer {
    send(http.post(format!("http://{addr}/logout")), cookie).await
}

/// Whether `cookie` is signed in on `addr` (the protected page is served).
async fn signed_in(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> bool {
    let answer = get_home(http, addr, cookie).await;
    assert!(answer.status < 500, "a check answered {}", answer.status);
    answer.status == 200
}

/// The framework of an instance, and how to start one.
#[derive(Clone, Copy, Debug)]
enum Stack {
    Axum,
    Actix,
}

/// Calls of the logout hook, counted.
type HookCalls = Arc<AtomicUsize>;

/// One instance of `stack`'s demo over its own `RedisStore` client on `url`.
async fn instance(
    stack: Stack,
    url: &str,
    clock: &ManualClock,
    key: &actix_web::cookie::Key,
    hook: Option<HookCalls>,
) -> SocketAddr {
    let store = RedisStore::connect(url).await.expect("connects to redis");
    let mut settings = support::settings_on(config(), clock);
    match stack {
        Stack::Axum => {
            if let Some(calls) = hook {
                settings.customize.axum = Some(Arc::new(move |layer| {
                    let calls = calls.clone();
                    layer.on_logout(move |_event| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        async { Ok::<_, std::convert::Infallible>(None) }
                    })
                }));
            }
            support::serve_guarded(&settings, store).await
        }
        Stack::Actix => {
            if let Some(calls) = hook {
                settings.customize.actix = Some(Arc::new(move |middleware| {
                    let calls = calls.clone();
                    middleware.on_logout(move |_event| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        async { Ok::<_, std::convert::Infallible>(None) }
                    })
                }));
            }
            let stack = actix_support::app::Stack::new(store, key.clone());
            actix_support::spawn(settings, stack, actix_support::app::no_routes).0
        }
    }
}

/// Two instances of `stack` on `url`, each with its own clock.
async fn two_instances(
    stack: Stack,
    url: &str,
    hook: Option<HookCalls>,
) -> (SocketAddr, ManualClock, SocketAddr, ManualClock) {
    let key = actix_web::cookie::Key::generate();
    let clock_a = ManualClock::new(system_now());
    let clock_b = ManualClock::new(system_now());
    let a = instance(stack, url, &clock_a, &key, hook.clone()).await;
    let b = instance(stack, url, &clock_b, &key, hook).await;
    (a, clock_a, b, clock_b)
}

/// Every cookie of a trial: signed out on both instances.
async fn assert_all_signed_out(
    http: &reqwest::Client,
    addrs: [SocketAddr; 2],
    cookies: &[String],
    what: &str,
) -> usize {
    let mut back = 0;
    for cookie in cookies {
        for addr in addrs {
            if signed_in(http, addr, cookie).await {
                back += 1;
                eprintln!("{what}: {cookie} signed in again on {addr}");
            }
        }
    }
    back
}

/// The three races of the issue, `trials()` times each, on two instances
/// of `stack` over `url`; returns what it counted, and panics on any
/// session signed in again or any `5xx`.
async fn races(stack: Stack, url: &str, deployment: &str) {
    let (a, clock_a, b, clock_b) = two_instances(stack, url, None).await;
    let http = client();
    let trials = trials();
    let what = format!("{stack:?} on {deployment}");
    let (mut back, mut server_errors) = (0, 0);
    let (mut a_logged_out, mut b_wrote_first) = (0, 0);
    let step = |clock: &ManualClock, ms: u64| clock.advance(Duration::from_millis(ms));
    let set_both = |at: Timestamp| {
        clock_a.set(at);
        clock_b.set(at);
    };
    let mut now = system_now();

    // (a) A logout on A against activity on B.
    for _ in 0..trials {
        set_both(now);
        let signed = login(&http, a, "").await;
        let cookie = session_cookie(&signed.cookies).expect("a session cookie");
        // Past the write resolution: B's request records activity.
        step(&clock_a, 2_000);
        step(&clock_b, 2_000);
        let (out, busy) = tokio::join!(logout(&http, a, &cookie), get_home(&http, b, &cookie));
        server_errors += [&out, &busy].iter().filter(|x| x.status >= 500).count();
        let mut cookies = vec![cookie];
        cookies.extend(out.cookies);
        cookies.extend(busy.cookies);
        back += assert_all_signed_out(&http, [a, b], &cookies, &what).await;
        now = now.saturating_add_millis(10_000);
    }
    let logout_back = back;

    // (b) An idle expiry on A against activity on B (B's clock 1 s before
    // the deadline, A's 1 ms after it).
    for _ in 0..trials {
        set_both(now);
        let signed = login(&http, a, "").await;
        let cookie = session_cookie(&signed.cookies).expect("a session cookie");
        clock_a.set(now.saturating_add_millis(IDLE_MS + 1));
        clock_b.set(now.saturating_add_millis(IDLE_MS - 1_000));
        let (on_a, on_b) = tokio::join!(get_home(&http, a, &cookie), get_home(&http, b, &cookie));
        server_errors += [&on_a, &on_b].iter().filter(|x| x.status >= 500).count();
        // Checked where both clocks see B's activity as recent.
        set_both(now.saturating_add_millis(IDLE_MS - 500));
        if on_a.status == 200 {
            // A loaded after B's write: the session was active for A too.
            b_wrote_first += 1;
        } else {
            a_logged_out += 1;
            let mut cookies = vec![cookie];
            cookies.extend(on_a.cookies);
            cookies.extend(on_b.cookies);
            back += assert_all_signed_out(&http, [a, b], &cookies, &what).await;
        }
        now = now.saturating_add_millis(IDLE_MS * 3);
    }
    let expiry_back = back - logout_back;

    // (c) A stale request on B against a fresh sign-in on A, same browser.
    for _ in 0..trials {
        set_both(now);
        let signed = login(&http, a, "").await;
        let old = session_cookie(&signed.cookies).expect("a session cookie");
        step(&clock_a, 2_000);
        step(&clock_b, 2_000);
        let (fresh, stale) = tokio::join!(login(&http, a, &old), get_home(&http, b, &old));
        server_errors += [&fresh, &stale].iter().filter(|x| x.status >= 500).count();
        let new = session_cookie(&fresh.cookies).expect("the sign-in sets a new cookie");
        assert_ne!(new, old, "{what}: a sign-in renews the session id");
        assert!(
            signed_in(&http, a, &new).await,
            "{what}: the fresh sign-in holds"
        );
        let mut cookies = vec![old];
        cookies.extend(stale.cookies.into_iter().filter(|c| *c != new));
        back += assert_all_signed_out(&http, [a, b], &cookies, &what).await;
        now = now.saturating_add_millis(10_000);
    }
    let login_back = back - logout_back - expiry_back;

    eprintln!(
        "{what}: {trials} trials each; signed in again: logout {logout_back}, expiry {expiry_back}, \
         sign-in {login_back}; 5xx {server_errors}; expiry races: A logged out {a_logged_out}, \
         B's write first {b_wrote_first}"
    );
    assert_eq!(back, 0, "{what}: sessions signed in again");
    assert_eq!(server_errors, 0, "{what}: racing answers were 5xx");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_race_on_one_redis_without_a_session_coming_back() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    races(Stack::Axum, &redis.url(), "standalone Redis").await;
    races(Stack::Actix, &redis.url(), "standalone Redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_race_on_a_redis_cluster_without_a_session_coming_back() {
    let Some(cluster) = RedisCluster::start("tests/redis/redis_store.rs") else {
        return;
    };
    races(Stack::Axum, &cluster.url(), "Redis Cluster").await;
    races(Stack::Actix, &cluster.url(), "Redis Cluster").await;
}

/// Both instances find one session expired at the same moment: the hook
/// runs once per logout.
async fn hook_once(stack: Stack, url: &str) {
    let calls: HookCalls = Arc::default();
    let (a, clock_a, b, clock_b) = two_instances(stack, url, Some(calls.clone())).await;
    let http = client();
    let trials = trials() / 5;
    let mut now = system_now();
    for trial in 0..trials {
        clock_a.set(now);
        clock_b.set(now);
        let signed = login(&http, a, "").await;
        let cookie = session_cookie(&signed.cookies).expect("a session cookie");
        clock_a.set(now.saturating_add_millis(IDLE_MS + 1));
        clock_b.set(now.saturating_add_millis(IDLE_MS + 1));
        let (on_a, on_b) = tokio::join!(get_home(&http, a, &cookie), get_home(&http, b, &cookie));
        assert_eq!(
            (on_a.status, on_b.status),
            (303, 303),
            "{stack:?}: both logged out"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            trial + 1,
            "{stack:?}: the hook ran once for logout {trial}"
        );
        now = now.saturating_add_millis(IDLE_MS * 3);
    }
    eprintln!("{stack:?}: {trials} logouts found by two instances at once, {trials} hook calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_logout_hook_runs_once_per_logout_across_instances() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    hook_once(Stack::Axum, &redis.url()).await;
    hook_once(Stack::Actix, &redis.url()).await;
}

// ---------------------------------------------------------------------------
// Time to live and round trips.

/// The commands clients send to a server, as `redis-cli monitor` sees them
/// (commands a script runs inside Redis are not round trips, and left out).
struct Monitor {
    child: std::process::Child,
    file: std::path::PathBuf,
    port: u16,
}

impl Monitor {
    fn start(port: u16) -> Monitor {
        let file =
            std::env::temp_dir().join(format!("auto-logout-monitor-{}-{port}", std::process::id()));
        let child = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "monitor"])
            .stdout(std::fs::File::create(&file).unwrap())
            .spawn()
            .expect("redis-cli runs");
        let monitor = Monitor { child, file, port };
        // Attached once it has said OK.
        monitor.wait_for("OK");
        monitor
    }

    fn wait_for(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .contains(text)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "monitor never saw {text}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The commands seen since the start, by name, up to a marker sent last.
    fn stop(mut self) -> Vec<String> {
        let marker = format!("auto-logout-marker-{}", self.port);
        let _ = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "echo", &marker])
            .output();
        self.wait_for(&marker);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let _ = std::fs::remove_file(&self.file);
        text.lines()
            .filter(|line| !line.contains(" lua]") && !line.contains(&marker))
            .filter_map(|line| line.split("] \"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_uppercase)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_lives_until_its_deadline_plus_the_grace_and_a_request_costs_two_round_trips() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    let probe = RedisStore::connect(&redis.url()).await.unwrap();
    for stack in [Stack::Axum, Stack::Actix] {
        let (a, clock_a, _b, _clock_b) = two_instances(stack, &redis.url(), None).await;
        let http = client();
        let signed = login(&http, a, "").await;
        let cookie = session_cookie(&signed.cookies).expect("a session cookie");
        // The one record (the actix cookie is encrypted, so it is found by its prefix).
        let keys: Vec<String> = probe
            .pool()
            .next()
            .custom(
                auto_logout::redis::fred::types::CustomCommand::new_static("KEYS", None, false),
                vec!["auto-logout:session:*"],
            )
            .await
            .unwrap();
        // The index of the user's sessions lives beside them (`~user:`, `~sweep`).
        let keys: Vec<String> = keys.into_iter().filter(|key| !key.contains('~')).collect();
        assert_eq!(keys.len(), 1, "{stack:?}: one session record: {keys:?}");
        let key = keys[0].clone();
        // Idle 60 s is the first deadline; the default grace is one day.
        let ttl: i64 = probe.pool().next().pttl(&key).await.unwrap();
        let day = 24 * 3_600_000;
        assert!(
            ttl > day - 5_000 && ttl <= IDLE_MS + day,
            "{stack:?}: time to live {ttl} ms follows the idle deadline plus one day \
             (actix-session's own one-day time to live comes first)"
        );
        // A request that writes: one load and one script call, which also
        // moves the time to live with the activity (shortened here first, so
        // the move shows).
        let _: bool = probe
            .pool()
            .next()
            .pexpire(&key, 5_000, None)
            .await
            .unwrap();
        clock_a.advance(Duration::from_secs(30));
        let monitor = Monitor::start(redis.port);
        assert_eq!(get_home(&http, a, &cookie).await.status, 200);
        let wrote = monitor.stop();
        assert_eq!(
            wrote,
            ["HMGET", "EVALSHA"],
            "{stack:?}: a writing request's round trips"
        );
        let moved: i64 = probe.pool().next().pttl(&key).await.unwrap();
        assert!(
            moved > day - 5_000 && moved <= IDLE_MS + day,
            "{stack:?}: time to live {moved} ms moved with the activity"
        );
        // A request that does not write: one load.
        let monitor = Monitor::start(redis.port);
        assert_eq!(get_home(&http, a, &cookie).await.status, 200);
        let read = monitor.stop();
        assert_eq!(
            read,
            ["HMGET"],
            "{stack:?}: a reading request's round trips"
        );
        eprintln!(
            "{stack:?}: ttl {ttl} ms after login, {moved} ms after activity 30 s later; \
             round trips: writing {wrote:?} (hmget, evalsha), reading {read:?}"
        );
        // Clean slate for the next stack.
        let _: i64 = probe.pool().next().del(&key).await.unwrap();
    }
}

// ---------------------------------------------------------------------------
// Clocks across instances.

/// The status endpoint's answer on `addr` (passive: no activity).
async fn status(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Value {
    let res = http
        .get(format!("http://{addr}/auto-logout/status"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the instance answers");
    assert_eq!(res.status().as_u16(), 200, "status answers 200");
    res.json().await.unwrap()
}

/// Instance B's clock `skew_ms` ahead of A's (behind when negative). The
/// user's last activity is on A; B logs the session out `skew_ms` before
/// `IDLE_TIME` has passed in true time (after, when behind), never further
/// off than the skew plus 1 % of `IDLE_TIME`, and always for inactivity
/// (never refused as forged).
async fn skewed(stack: Stack, url: &str, skew_ms: i64) {
    let (a, clock_a, b, clock_b) = two_instances(stack, url, None).await;
    let http = client();
    let true_time = |t: Timestamp| {
        clock_a.set(t);
        clock_b.set(t.saturating_add_millis(skew_ms));
    };
    let start = system_now();
    true_time(start);
    let cookie = session_cookie(&login(&http, a, "").await.cookies).expect("a session cookie");
    // The user's last activity, on A, 10 s after the login.
    let last = start.saturating_add_millis(10_000);
    true_time(last);
    assert_eq!(get_home(&http, a, &cookie).await.status, 200);
    // B's logout instant in true time: the last instant B still sees the
    // session active, and the next millisecond.
    let logout_at = last.saturating_add_millis(IDLE_MS - skew_ms);
    let off_by =
        (logout_at.as_unix_millis() - last.saturating_add_millis(IDLE_MS).as_unix_millis()).abs();
    assert!(
        off_by <= skew_ms.abs() + IDLE_MS / 100,
        "{stack:?}: a skew of {skew_ms} ms moves the logout by {off_by} ms"
    );
    true_time(logout_at);
    let before = status(&http, b, &cookie).await;
    assert_eq!(
        before["active"], true,
        "{stack:?}, skew {skew_ms} ms: {before}"
    );
    true_time(logout_at.saturating_add_millis(1));
    let after = status(&http, b, &cookie).await;
    assert_eq!(
        after["active"], false,
        "{stack:?}, skew {skew_ms} ms: {after}"
    );
    assert_eq!(
        after["reason"], "idle",
        "{stack:?}, skew {skew_ms} ms: never invalid"
    );
    // Final on A too.
    assert!(!signed_in(&http, a, &cookie).await, "{stack:?}: final on A");
    eprintln!(
        "{stack:?}: B {skew_ms:+} ms: logged out {} ms after the last activity (IDLE_TIME {IDLE_MS} ms), reason idle",
        logout_at.as_unix_millis() + 1 - last.as_unix_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_four_seconds_apart_end_sessions_within_the_skew_and_never_as_forged() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    for stack in [Stack::Axum, Stack::Actix] {
        skewed(stack, &redis.url(), 4_000).await;
        skewed(stack, &redis.url(), -4_000).await;
    }
}

// ---------------------------------------------------------------------------
// Outages on the Cluster.

/// Signs in sessions on `addr` until every master holds at least one; their
/// cookies, each with the port of the master that holds its record.
async fn sessions_on_every_master(
    http: &reqwest::Client,
    addr: SocketAddr,
    cluster: &RedisCluster,
) -> Vec<(u16, String)> {
    // Records already there (an earlier stack's run) are not this run's.
    let mut known: std::collections::HashSet<String> = cluster
        .ports
        .iter()
        .flat_map(|port| cluster.keys_on(*port))
        .collect();
    let mut found: Vec<(u16, String)> = Vec::new();
    for _ in 0..200 {
        let cookie = session_cookie(&login(http, addr, "").await.cookies).expect("a cookie");
        // The new record is on exactly one master.
        let mut holder = None;
        for port in &cluster.ports {
            for key in cluster.keys_on(*port) {
                if known.insert(key) {
                    holder = Some(*port);
                }
            }
        }
        let port = holder.expect("the sign-in wrote a record");
        if !found.iter().any(|(p, _)| *p == port) {
            found.push((port, cookie));
        }
        if found.len() == cluster.ports.len() {
            break;
        }
    }
    assert_eq!(
        found.len(),
        cluster.ports.len(),
        "a session on every master"
    );
    found
}

impl RedisCluster {
    /// The session keys the master on `port` holds.
    fn keys_on(&self, port: u16) -> Vec<String> {
        let out = std::process::Command::new("redis-cli")
            .args([
                "-p",
                &port.to_string(),
                "--scan",
                "--pattern",
                "auto-logout:session:*",
            ])
            .output()
            .expect("redis-cli runs");
        // Session records only: the index of the users' sessions (`~user:`,
        // `~sweep`) lives under the same prefix.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|key| !key.contains('~'))
            .map(str::to_owned)
            .collect()
    }

    /// `kill -9` of the node on `port`: it dies at once, saving nothing.
    fn kill_9(&mut self, port: u16) {
        let at = self.ports.iter().position(|p| *p == port).unwrap();
        let _ = self.nodes[at].kill();
        let _ = self.nodes[at].wait();
    }

    /// The node on `port` started again with its data and configuration.
    fn restart(&mut self, port: u16) {
        let at = self.ports.iter().position(|p| *p == port).unwrap();
        self.nodes[at] = spawn_node(port, &self.dir);
        wait_for_port(port);
    }

    fn signal(&self, port: u16, signal: &str) {
        let at = self.ports.iter().position(|p| *p == port).unwrap();
        let pid = self.nodes[at].id().to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }
}

/// Answers for each cookie: (status, milliseconds taken).
async fn answers(
    http: &reqwest::Client,
    addr: SocketAddr,
    sessions: &[(u16, String)],
) -> Vec<(u16, u16, u128)> {
    let mut out = Vec::new();
    for (port, cookie) in sessions {
        let started = std::time::Instant::now();
        let status = get_home(http, addr, cookie).await.status;
        out.push((*port, status, started.elapsed().as_millis()));
    }
    out
}

async fn hung_master(stack: Stack, cluster: &RedisCluster) {
    let (a, _clock_a, b, _clock_b) = two_instances(stack, &cluster.url(), None).await;
    let http = client();
    let sessions = sessions_on_every_master(&http, a, cluster).await;
    let hung = sessions[0].0;
    cluster.signal(hung, "-STOP");
    let mut waits = Vec::new();
    for addr in [a, b] {
        for (port, status, millis) in answers(&http, addr, &sessions).await {
            if port == hung {
                waits.push(millis);
                assert_eq!(
                    status, 503,
                    "{stack:?}: a session on the hung master answers 503"
                );
                assert!(
                    (2_000..3_000).contains(&millis),
                    "{stack:?}: answered in {millis} ms (2 s timeout)"
                );
            } else {
                assert_eq!(
                    status, 200,
                    "{stack:?}: sessions on the other masters are served"
                );
            }
        }
    }
    cluster.signal(hung, "-CONT");
    let resumed = std::time::Instant::now();
    loop {
        let all = answers(&http, a, &sessions).await;
        let back = answers(&http, b, &sessions).await;
        if all.iter().chain(&back).all(|(_, status, _)| *status == 200) {
            break;
        }
        assert!(
            resumed.elapsed() < Duration::from_secs(3),
            "{stack:?}: not served again 3 s after SIGCONT: {all:?} {back:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "{stack:?}: one master hung (SIGSTOP): its sessions answered 503 after {waits:?} ms, \
         the others served; all served again {} ms after SIGCONT",
        resumed.elapsed().as_millis()
    );
}

/// One master killed (`kill -9`) and started again with its data: its
/// sessions answer 503 in seconds meanwhile, the others are served, and
/// afterwards every session is served again with no instance restarted; a
/// logout made before the outage is still final.
async fn killed_master(stack: Stack, cluster: &mut RedisCluster) {
    let (a, _clock_a, b, _clock_b) = two_instances(stack, &cluster.url(), None).await;
    let http = client();
    let mut sessions = sessions_on_every_master(&http, a, cluster).await;
    let down = sessions[0].0;
    // A second session on that master, signed out before the outage.
    let signed_out = loop {
        let before: std::collections::HashSet<String> = cluster.keys_on(down).into_iter().collect();
        let cookie = session_cookie(&login(&http, a, "").await.cookies).expect("a cookie");
        if cluster
            .keys_on(down)
            .iter()
            .any(|key| !before.contains(key))
        {
            assert_eq!(logout(&http, a, &cookie).await.status, 303);
            break cookie;
        }
    };
    cluster.kill_9(down);
    // Its sessions answer 503 in seconds. The others may too: the Cluster
    // client refreshes its view of the whole Cluster after losing a node, and
    // a request that cannot be served gets 503 (never a hang, never a page as
    // if signed in).
    let (mut waits, mut others_503) = (Vec::new(), 0);
    for addr in [a, b] {
        for (port, status, millis) in answers(&http, addr, &sessions).await {
            assert!(millis < 3_000, "{stack:?}: answered in {millis} ms");
            if port == down {
                waits.push(millis);
                assert_eq!(
                    status, 503,
                    "{stack:?}: a session on the dead master answers 503"
                );
            } else {
                assert!(matches!(status, 200 | 503), "{stack:?}: answered {status}");
                others_503 += usize::from(status == 503);
            }
        }
    }
    cluster.restart(down);
    let restarted = std::time::Instant::now();
    loop {
        let all = answers(&http, a, &sessions).await;
        let back = answers(&http, b, &sessions).await;
        if all.iter().chain(&back).all(|(_, status, _)| *status == 200) {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(15),
            "{stack:?}: not served again 15 s after the restart: {all:?} {back:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let healed = restarted.elapsed().as_millis();
    sessions.push((down, signed_out.clone()));
    for addr in [a, b] {
        assert!(
            !signed_in(&http, addr, &signed_out).await,
            "{stack:?}: a logout made before the outage stays final"
        );
    }
    eprintln!(
        "{stack:?}: one master killed (kill -9): its sessions answered 503 after {waits:?} ms, \
         {others_503} of the other masters' answers 503 too; after its restart every session \
         served again within {healed} ms, the logout made before the outage still final"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_or_killed_cluster_master_answers_503_in_seconds_and_heals_without_a_restart() {
    let Some(mut cluster) = RedisCluster::start("tests/redis/redis_store.rs") else {
        return;
    };
    hung_master(Stack::Axum, &cluster).await;
    hung_master(Stack::Actix, &cluster).await;
    killed_master(Stack::Axum, &mut cluster).await;
    killed_master(Stack::Actix, &mut cluster).await;
}

// ---------------------------------------------------------------------------
// The worst moment, held: B's save waits at a gate in its store while A logs
// the session out, then goes on.

/// An axum instance over `store`, its clock at `clock`.
async fn axum_over<S>(store: S, clock: &ManualClock) -> SocketAddr
where
    S: SessionStore + auto_logout::GuardedStore + Clone,
{
    support::serve_guarded(&support::settings_on(config(), clock), store).await
}

/// An actix instance over `store`, its clock at `clock`.
fn actix_over<S>(store: S, clock: &ManualClock, key: &actix_web::cookie::Key) -> SocketAddr
where
    S: actix_session::storage::SessionStore + auto_logout::GuardedStore + Clone + Send + 'static,
{
    let stack = actix_support::app::Stack::new(store, key.clone());
    let settings = support::settings_on(config(), clock);
    actix_support::spawn(settings, stack, actix_support::app::no_routes).0
}

/// B's activity write held at its gate while A logs out, then let go: the
/// session stays logged out on both instances, and B's answer is no 5xx.
async fn held_save(
    what: &str,
    a: SocketAddr,
    b: SocketAddr,
    gate: &Gate,
    clocks: [&ManualClock; 2],
) {
    let http = client();
    for clock in clocks {
        clock.set(system_now());
    }
    let cookie = session_cookie(&login(&http, a, "").await.cookies).expect("a session cookie");
    // Past the write resolution on B: its request writes.
    clocks[1].advance(Duration::from_secs(2));
    gate.armed.store(true, Ordering::SeqCst);
    let busy = {
        let (http, cookie) = (http.clone(), cookie.clone());
        tokio::spawn(async move { get_home(&http, b, &cookie).await })
    };
    tokio::time::timeout(Duration::from_secs(10), gate.reached.notified())
        .await
        .unwrap_or_else(|_| panic!("{what}: B's write never reached its gate"));
    assert_eq!(
        logout(&http, a, &cookie).await.status,
        303,
        "{what}: signed out on A"
    );
    gate.release.notify_one();
    let busy = busy.await.unwrap();
    assert!(busy.status < 500, "{what}: B answered {}", busy.status);
    let mut cookies = vec![cookie];
    cookies.extend(busy.cookies);
    let back = assert_all_signed_out(&http, [a, b], &cookies, what).await;
    assert_eq!(
        back, 0,
        "{what}: the session came back after B's held write"
    );
    eprintln!(
        "{what}: B's write held while A signed out: B answered {}, 0 signed in again",
        busy.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_held_while_another_instance_logs_out_never_brings_the_session_back() {
    let Some(redis) = RedisServer::start("tests/redis/redis_store.rs") else {
        return;
    };
    let url = redis.url();
    let key = actix_web::cookie::Key::generate();
    let (clock_a, clock_b) = (
        ManualClock::new(system_now()),
        ManualClock::new(system_now()),
    );

    // axum over tower-sessions-redis-store in the wrapper: its SET .. XX finds
    // the record gone; the wrapper takes that for the rule's drop, not a 500.
    let plain = || async { auxiliary_axum_store(&url).await };
    let a = axum_over(
        auto_logout::axum::AutoLogoutStore::new(plain().await),
        &clock_a,
    )
    .await;
    let gated = Gated::new(plain().await);
    let gate = gated.watch.clone();
    let b = axum_over(auto_logout::axum::AutoLogoutStore::new(gated), &clock_b).await;
    held_save(
        "axum, AutoLogoutStore<tower-sessions-redis-store>",
        a,
        b,
        &gate,
        [&clock_a, &clock_b],
    )
    .await;

    // axum over RedisStore: the script finds the record gone.
    let a = axum_over(RedisStore::connect(&url).await.unwrap(), &clock_a).await;
    let gated = Gated::new(RedisStore::connect(&url).await.unwrap());
    let gate = gated.watch.clone();
    let b = axum_over(gated, &clock_b).await;
    held_save("axum, RedisStore", a, b, &gate, [&clock_a, &clock_b]).await;

    // actix over RedisSessionStore in the wrapper: its update re-creates the
    // state under a fresh key; the wrapper deletes that key and keeps the old one.
    let old = || async {
        actix_session::storage::RedisSessionStore::new(url.as_str())
            .await
            .unwrap()
    };
    let a = actix_over(
        auto_logout::actix::AutoLogoutStore::new(old().await),
        &clock_a,
        &key,
    );
    let gated = Gated::new(old().await);
    let gate = gated.watch.clone();
    let b = actix_over(
        auto_logout::actix::AutoLogoutStore::new(gated),
        &clock_b,
        &key,
    );
    held_save(
        "actix, AutoLogoutStore<RedisSessionStore>",
        a,
        b,
        &gate,
        [&clock_a, &clock_b],
    )
    .await;

    // actix over RedisStore.
    let a = actix_over(RedisStore::connect(&url).await.unwrap(), &clock_a, &key);
    let gated = Gated::new(RedisStore::connect(&url).await.unwrap());
    let gate = gated.watch.clone();
    let b = actix_over(gated, &clock_b, &key);
    held_save("actix, RedisStore", a, b, &gate, [&clock_a, &clock_b]).await;
}

/// tower-sessions-redis-store over a fred pool, as the axum demo's
/// `redis_store` builds it.
async fn auxiliary_axum_store(
    url: &str,
) -> tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool> {
    axum_app::redis_store(url).await.expect("connects to redis")
}
