//! Every session of a user, on the crate's `RedisStore`, against a real
//! `redis-server` (standalone, and a three-master Redis Cluster), with two
//! instances of each demo (axum and actix-web, each with its own store
//! client, as two processes have) and the `AutoLogout` handle of each:
//!
//! - revoke one, the others, everywhere, by tag on instance A: the
//!   browser's next request on instance B is signed out (reason `revoked`),
//!   the other sessions are untouched, and `sessions_of` lists exactly the
//!   live ones, pruning entries of sessions that are gone;
//! - `log_out_everywhere` on A racing many browsers' writing requests on B:
//!   no session survives, no record with data is left, no `5xx`;
//! - the sweeper on both instances at once, also racing a request at the
//!   deadline: each session's `logout` event exactly once in total;
//! - a sign-in on B racing revocations on A: the new session is revoked, or
//!   live and listed, never live and unlisted;
//! - round trips (`MONITOR`): a request costs what it did before the index;
//!   what a sign-in and a `log_out_everywhere` of ten sessions cost;
//! - `log_out_everywhere` against a hung Redis fails within the command
//!   timeout;
//! - `MAX_SESSIONS_PER_USER = 2` through the demo's `/login`, alternating
//!   instances: `evict-oldest` tells the oldest browser `replaced` on the
//!   other instance and lists the two newest; `refuse-new` answers 409 and
//!   writes nothing, and after a `/logout` a new sign-in goes through.
//!
//! Without `redis-server` and `redis-cli` the tests say so loudly and pass,
//! unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when they fail.
//! `AUTO_LOGOUT_RACE_TRIALS` scales the raced rounds (default 500: 100
//! rounds of the sign-in race per stack and deployment).

use crate::actix_support;
use crate::support;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use auto_logout::redis::RedisStore;
use auto_logout::redis::fred::interfaces::{ClientLike, HashesInterface, KeysInterface};
use auto_logout::redis::fred::types::CustomCommand;
use auto_logout::{Clock, Config, ManualClock, SessionIndexError, SignIn, Timestamp, UserSession};
use serde_json::Value;
use support::app::{DEFAULT_MESSAGE, SESSION_COOKIE, USER_KEY};
use support::skip_loudly;
use tracing::instrument::WithSubscriber;

const IDLE_MS: i64 = 60_000;

/// The key prefix of every record and index key.
const PREFIX: &str = "auto-logout:session:";

fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

/// The rounds of the sign-in race per stack and deployment.
fn sign_in_rounds() -> usize {
    std::env::var("AUTO_LOGOUT_RACE_TRIALS")
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .unwrap_or(500)
        .div_ceil(5)
}

/// Now on the system clock (the records' own expiry is on it, so the
/// manual clocks start there).
fn system_now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Timestamp::from_unix_millis(millis)
}

/// A name no other test run uses: users and tags of one check.
fn unique(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

// ---------------------------------------------------------------------------
// Redis: one server, or a three-master Cluster, whose processes the test
// owns (to hang them with SIGSTOP).

struct Redis {
    nodes: Vec<std::process::Child>,
    ports: Vec<u16>,
    dir: std::path::PathBuf,
    cluster: bool,
}

fn found(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Redis {
    /// Both deployments, standalone first; `None`, said loudly, without
    /// `redis-server` and `redis-cli`.
    fn both(test: &str) -> Option<[Redis; 2]> {
        if !found("redis-server") || !found("redis-cli") {
            skip_loudly(test, "redis-server or redis-cli not found on PATH");
            return None;
        }
        Some([Redis::start(false), Redis::start(true)])
    }

    fn start(cluster: bool) -> Redis {
        let count = if cluster { 3 } else { 1 };
        let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
        let dir = std::env::temp_dir().join(format!(
            "auto-logout-sessions-{}-{}",
            std::process::id(),
            ports[0]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let nodes = ports
            .iter()
            .map(|port| {
                let mut command = std::process::Command::new("redis-server");
                command
                    .args(["--port", &port.to_string()])
                    .args(["--bind", "127.0.0.1"])
                    .args(["--save", "", "--appendonly", "no"])
                    .arg("--dir")
                    .arg(&dir);
                if cluster {
                    command
                        .args(["--cluster-enabled", "yes"])
                        .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                        .args(["--cluster-node-timeout", "15000"]);
                }
                command
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("redis-server starts")
            })
            .collect();
        let redis = Redis {
            nodes,
            ports,
            dir,
            cluster,
        };
        for port in &redis.ports {
            wait_for_port(*port);
        }
        if cluster {
            let addresses: Vec<String> = redis
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
            let deadline = Instant::now() + Duration::from_secs(20);
            while !redis.ports.iter().all(|port| {
                std::process::Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .is_ok_and(|out| {
                        String::from_utf8_lossy(&out.stdout).contains("cluster_state:ok")
                    })
            }) {
                assert!(Instant::now() < deadline, "the cluster never became ok");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        redis
    }

    fn url(&self) -> String {
        if self.cluster {
            format!("redis-cluster://127.0.0.1:{}", self.ports[0])
        } else {
            format!("redis://127.0.0.1:{}", self.ports[0])
        }
    }

    fn name(&self) -> &'static str {
        if self.cluster {
            "Redis Cluster"
        } else {
            "standalone Redis"
        }
    }

    /// `kill <signal>` to every node.
    fn signal_all(&self, signal: &str) {
        for node in &self.nodes {
            let pid = node.id().to_string();
            let status = std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap();
            assert!(status.success(), "kill {signal} {pid}");
        }
    }

    /// A client of each node by itself (a Cluster node answers for the keys
    /// of its own slots): every key is on exactly one of them.
    async fn node_clients(&self) -> Vec<RedisStore> {
        let mut clients = Vec::new();
        for port in &self.ports {
            clients.push(
                RedisStore::connect(&format!("redis://127.0.0.1:{port}"))
                    .await
                    .expect("connects to a node"),
            );
        }
        clients
    }

    /// The session records (not the index keys) that still hold data, with
    /// their owner field: what a revocation must not leave behind.
    async fn records_with_data(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for node in self.node_clients().await {
            let client = node.pool().next();
            let keys: Vec<String> = client
                .custom(
                    CustomCommand::new_static("KEYS", None, false),
                    vec![format!("{PREFIX}*")],
                )
                .await
                .unwrap();
            for key in keys.into_iter().filter(|key| !key.contains('~')) {
                let fields: Vec<Option<String>> = client.hmget(&key, vec!["d", "u"]).await.unwrap();
                if fields[0].is_some() {
                    out.push((key, fields[1].clone()));
                }
            }
            let _ = node.pool().quit().await;
        }
        out
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            // A node a failed check left stopped is let go first.
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &node.id().to_string()])
                .status();
            let _ = node.kill();
            let _ = node.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------
// The audit events, recorded by a subscriber of the test's own (never a
// global one: the other tests of this binary log too). Each sweep call runs
// with it, and so does every request of the axum instances (the actix
// workers run on threads of their own: their request-path logouts are
// counted through the logout hook, which runs exactly when that event is
// written).

#[derive(Clone, Default)]
struct Audit(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

impl Audit {
    fn dispatch(&self) -> tracing::Dispatch {
        tracing::Dispatch::new(Recorder(self.clone()))
    }

    /// The `logout` events recorded, by `source`.
    fn logouts(&self, source: &str) -> Vec<BTreeMap<String, String>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| {
                event.get("event").map(String::as_str) == Some("logout")
                    && event.get("source").map(String::as_str) == Some(source)
            })
            .cloned()
            .collect()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

struct Recorder(Audit);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "auto_logout"
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        (self.0).0.lock().unwrap().push(fields);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

// ---------------------------------------------------------------------------
// Two instances of a demo, each with its own store client, clock and handle.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stack {
    Axum,
    Actix,
}

#[derive(Clone)]
enum Handle {
    Axum(auto_logout::axum::AutoLogout),
    Actix(auto_logout::actix::AutoLogout),
}

macro_rules! on_handle {
    ($handle:expr, $h:ident => $call:expr) => {
        match $handle {
            Handle::Axum($h) => $call,
            Handle::Actix($h) => $call,
        }
    };
}

impl Handle {
    async fn log_out_everywhere(&self, user: &str) -> Result<usize, SessionIndexError> {
        on_handle!(self, h => h.log_out_everywhere(user).await)
    }

    async fn sessions_of(&self, user: &str) -> Result<Vec<UserSession>, SessionIndexError> {
        on_handle!(self, h => h.sessions_of(user).await)
    }

    async fn revoke(&self, user: &str, handle: &str) -> Result<bool, SessionIndexError> {
        on_handle!(self, h => h.revoke(user, handle).await)
    }

    async fn log_out_tagged(&self, tag: &str) -> Result<usize, SessionIndexError> {
        on_handle!(self, h => h.log_out_tagged(tag).await)
    }

    async fn sweep(&self) -> Result<usize, SessionIndexError> {
        on_handle!(self, h => h.sweep().await)
    }

    /// The handles `sessions_of` lists for `user`.
    async fn handles_of(&self, user: &str) -> Vec<String> {
        let mut handles: Vec<String> = self
            .sessions_of(user)
            .await
            .expect("sessions_of answers")
            .into_iter()
            .map(|session| session.handle)
            .collect();
        handles.sort();
        handles
    }
}

struct Instance {
    addr: SocketAddr,
    clock: ManualClock,
    handle: Handle,
}

/// Two instances of `stack` over `redis`, and what they record: the users
/// whose sessions the logout hook saw (on either instance), and the audit.
struct Pair {
    what: String,
    a: Instance,
    b: Instance,
    hooks: Arc<Mutex<Vec<String>>>,
    audit: Audit,
}

impl Pair {
    async fn start(stack: Stack, redis: &Redis) -> Pair {
        Pair::start_with(stack, redis, config()).await
    }

    /// Two instances with `config` (both the same, as one deployment has).
    async fn start_with(stack: Stack, redis: &Redis, config: Config) -> Pair {
        let key = actix_web::cookie::Key::generate();
        let hooks: Arc<Mutex<Vec<String>>> = Arc::default();
        let audit = Audit::default();
        let url = redis.url();
        let a = instance(stack, &url, &key, &hooks, &audit, config.clone()).await;
        let b = instance(stack, &url, &key, &hooks, &audit, config).await;
        Pair {
            what: format!("{stack:?} on {}", redis.name()),
            a,
            b,
            hooks,
            audit,
        }
    }

    fn set_clocks(&self, at: Timestamp) {
        self.a.clock.set(at);
        self.b.clock.set(at);
    }

    fn hook_calls(&self) -> Vec<String> {
        self.hooks.lock().unwrap().clone()
    }
}

async fn instance(
    stack: Stack,
    url: &str,
    key: &actix_web::cookie::Key,
    hooks: &Arc<Mutex<Vec<String>>>,
    audit: &Audit,
    config: Config,
) -> Instance {
    let store = RedisStore::connect(url).await.expect("connects to redis");
    let clock = ManualClock::new(system_now());
    let mut settings = support::settings_on(config, &clock);
    let slot: Arc<OnceLock<Handle>> = Arc::default();
    let addr = match stack {
        Stack::Axum => {
            let (slot, hooks) = (slot.clone(), hooks.clone());
            settings.customize.axum = Some(Arc::new(move |layer| {
                let hooks = hooks.clone();
                let layer = layer.on_logout(move |event| {
                    let (hooks, session) = (hooks.clone(), event.session().clone());
                    async move {
                        let user: Option<String> = session.get(USER_KEY).await.ok().flatten();
                        hooks.lock().unwrap().push(user.unwrap_or_default());
                        Ok::<_, Infallible>(None)
                    }
                });
                let _ = slot.set(Handle::Axum(layer.handle()));
                layer
            }));
            let router = support::app::guarded_router_with(&settings, store, axum_routes());
            // Every request with the test's subscriber, outermost.
            let dispatch = audit.dispatch();
            let router = router.layer(tower::util::MapFutureLayer::new(move |future| {
                WithSubscriber::with_subscriber(future, dispatch.clone())
            }));
            support::app::spawn(router, "127.0.0.1:0").await.unwrap()
        }
        Stack::Actix => {
            let (slot, hooks) = (slot.clone(), hooks.clone());
            settings.customize.actix = Some(Arc::new(move |middleware| {
                let hooks = hooks.clone();
                let middleware = middleware.on_logout(move |event| {
                    let user: Option<String> = event.session().get(USER_KEY).ok().flatten();
                    hooks.lock().unwrap().push(user.unwrap_or_default());
                    async { Ok::<_, Infallible>(None) }
                });
                let _ = slot.set(Handle::Actix(middleware.handle()));
                middleware
            }));
            let stack = actix_support::app::Stack::new(store, key.clone());
            actix_support::spawn(settings, stack, actix_routes).0
        }
    };
    // The actix workers build their apps on their own threads.
    let deadline = Instant::now() + Duration::from_secs(10);
    let handle = loop {
        if let Some(handle) = slot.get() {
            break handle.clone();
        }
        assert!(Instant::now() < deadline, "{stack:?}: no handle");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    Instance {
        addr,
        clock,
        handle,
    }
}

/// Who signs in through the test's own sign-in route.
#[derive(serde::Deserialize)]
struct Who {
    user: String,
    tag: Option<String>,
}

fn sign_in_of(who: &Who) -> SignIn {
    let sign_in = SignIn::user(who.user.clone());
    match &who.tag {
        Some(tag) => sign_in.tag(tag.clone()),
        None => sign_in,
    }
}

/// `POST /t/sign-in?user=..&tag=..` (`AutoLogout::sign_in`) and `POST
/// /t/others` (`log_out_other_sessions`), behind the demo's layers.
fn axum_routes() -> axum::Router {
    use axum::extract::Query;
    use axum::http::StatusCode;
    async fn sign_in(
        auto_logout: auto_logout::axum::AutoLogout,
        session: tower_sessions::Session,
        Query(who): Query<Who>,
    ) -> (StatusCode, String) {
        if let Err(error) = session.insert(USER_KEY, &who.user).await {
            return (StatusCode::SERVICE_UNAVAILABLE, error.to_string());
        }
        match auto_logout.sign_in(&session, sign_in_of(&who)).await {
            Ok(()) => (StatusCode::OK, "signed in".to_owned()),
            Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
        }
    }
    async fn others(
        auto_logout: auto_logout::axum::AutoLogout,
        session: tower_sessions::Session,
    ) -> (StatusCode, String) {
        match auto_logout.log_out_other_sessions(&session).await {
            Ok(ended) => (StatusCode::OK, ended.to_string()),
            Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
        }
    }
    axum::Router::new()
        .route("/t/sign-in", axum::routing::post(sign_in))
        .route("/t/others", axum::routing::post(others))
}

fn actix_routes(config: &mut actix_web::web::ServiceConfig) {
    use actix_web::{HttpResponse, web};
    async fn sign_in(
        auto_logout: auto_logout::actix::AutoLogout,
        session: actix_session::Session,
        who: web::Query<Who>,
    ) -> HttpResponse {
        if let Err(error) = session.insert(USER_KEY, &who.user) {
            return HttpResponse::ServiceUnavailable().body(error.to_string());
        }
        match auto_logout.sign_in(&session, sign_in_of(&who)).await {
            Ok(()) => HttpResponse::Ok().body("signed in"),
            Err(error) => HttpResponse::ServiceUnavailable().body(error.to_string()),
        }
    }
    async fn others(
        auto_logout: auto_logout::actix::AutoLogout,
        session: actix_session::Session,
    ) -> HttpResponse {
        match auto_logout.log_out_other_sessions(&session).await {
            Ok(ended) => HttpResponse::Ok().body(ended.to_string()),
            Err(error) => HttpResponse::ServiceUnavailable().body(error.to_string()),
        }
    }
    config
        .route("/t/sign-in", web::post().to(sign_in))
        .route("/t/others", web::post().to(others));
}

// ---------------------------------------------------------------------------
// A browser's requests, cookies sent by hand.

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: String,
}

async fn send(req: reqwest::RequestBuilder, cookie: &str) -> Answer {
    let res = req
        .header("cookie", cookie)
        .send()
        .await
        .expect("the instance answers");
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
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
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        location,
        cookies,
        body,
    }
}

fn session_cookie(cookies: &[String]) -> Option<String> {
    cookies
        .iter()
        .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
        .cloned()
}

/// Signs `user` in (tagged `tag`) on `addr` through `AutoLogout::sign_in`:
/// the session cookie.
async fn sign_in(
    http: &reqwest::Client,
    addr: SocketAddr,
    user: &str,
    tag: Option<&str>,
) -> String {
    // Names of the tests' own making: letters, digits and dashes.
    let query = match tag {
        Some(tag) => format!("user={user}&tag={tag}"),
        None => format!("user={user}"),
    };
    let answer = send(http.post(format!("http://{addr}/t/sign-in?{query}")), "").await;
    assert_eq!(answer.status, 200, "signed in: {}", answer.body);
    session_cookie(&answer.cookies).expect("a session cookie")
}

/// The demo's own `POST /login` (user `demo`).
async fn demo_login(http: &reqwest::Client, addr: SocketAddr) -> Answer {
    send(
        http.post(format!("http://{addr}/login"))
            .form(&[("username", "demo"), ("password", "demo")]),
        "",
    )
    .await
}

async fn get_home(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Answer {
    send(http.get(format!("http://{addr}/")), cookie).await
}

/// The status endpoint's answer (passive: no activity).
async fn status(http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Value {
    let answer = send(
        http.get(format!("http://{addr}/auto-logout/status")),
        cookie,
    )
    .await;
    assert_eq!(answer.status, 200, "status answers 200: {}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// The browser is told its session was revoked (status), and its next page
/// is the login page.
async fn assert_revoked(http: &reqwest::Client, addr: SocketAddr, cookie: &str, what: &str) {
    let said = status(http, addr, cookie).await;
    assert_eq!(
        (said["active"].clone(), said["reason"].clone()),
        (Value::Bool(false), Value::from("revoked")),
        "{what}: {said}"
    );
    assert_signed_out(http, addr, cookie, what).await;
}

async fn assert_signed_out(http: &reqwest::Client, addr: SocketAddr, cookie: &str, what: &str) {
    let home = get_home(http, addr, cookie).await;
    assert_eq!(home.status, 303, "{what}: signed out");
    assert!(
        home.location.as_deref().unwrap_or("").starts_with("/login"),
        "{what}: to the login page, not {:?}",
        home.location
    );
}

async fn assert_live(http: &reqwest::Client, addr: SocketAddr, cookie: &str, what: &str) {
    let home = get_home(http, addr, cookie).await;
    assert_eq!(home.status, 200, "{what}: still signed in");
}

/// Signs `user` in on `on` and finds the new session's handle through
/// `sessions_of` (the one handle that was not listed before).
async fn sign_in_listed(
    http: &reqwest::Client,
    on: &Instance,
    user: &str,
    tag: Option<&str>,
) -> (String, String) {
    let before = on.handle.handles_of(user).await;
    let cookie = sign_in(http, on.addr, user, tag).await;
    let after = on.handle.handles_of(user).await;
    let new: Vec<&String> = after.iter().filter(|h| !before.contains(h)).collect();
    assert_eq!(
        new.len(),
        1,
        "one new session listed: {before:?} → {after:?}"
    );
    (cookie, new[0].clone())
}

// ---------------------------------------------------------------------------
// 1. Revoke one, the others, everywhere, by tag, across two instances.

async fn revocations(redis: &Redis, stack: Stack) {
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let (a, b) = (&pair.a, &pair.b);
    let http = client();
    let user = unique("ada");
    let other = unique("bob");
    let (t2, t3) = (unique("sid"), unique("sid"));

    let (c1, h1) = sign_in_listed(&http, a, &user, Some(&unique("sid"))).await;
    let (c2, _) = sign_in_listed(&http, a, &user, Some(&t2)).await;
    let (c3, _) = sign_in_listed(&http, b, &user, Some(&t2)).await;
    let (c4, h4) = sign_in_listed(&http, a, &user, None).await;
    let (o1, ho1) = sign_in_listed(&http, b, &other, Some(&t3)).await;
    assert_eq!(
        b.handle.handles_of(&user).await.len(),
        4,
        "{what}: four listed on B"
    );

    // Listed with what the listing promises.
    let listed = a.handle.sessions_of(&user).await.unwrap();
    assert!(listed.windows(2).all(|w| w[0].login_at <= w[1].login_at));
    assert!(
        listed
            .iter()
            .all(|s| !s.current && s.idle_ends_at.is_some())
    );
    assert_eq!(
        listed
            .iter()
            .filter(|s| s.tag.as_deref() == Some(t2.as_str()))
            .count(),
        2
    );

    // Stale entries: one session signed out through the demo's /logout on B,
    // another whose record Redis dropped (as its time to live does).
    let (c5, h5) = sign_in_listed(&http, a, &user, None).await;
    let out = send(http.post(format!("http://{}/logout", b.addr)), &c5).await;
    assert_eq!(out.status, 303, "{what}: /logout");
    assert!(!a.handle.handles_of(&user).await.contains(&h5));
    let (c6, h6) = sign_in_listed(&http, a, &user, None).await;
    let probe = RedisStore::connect(&redis.url()).await.unwrap();
    let user_key = format!("{PREFIX}~user:{user}");
    let id6: String = probe.pool().next().hget(&user_key, &h6).await.unwrap();
    let _: i64 = probe
        .pool()
        .next()
        .del(format!("{PREFIX}{id6}"))
        .await
        .unwrap();
    assert_eq!(
        probe.pool().next().hlen::<i64, _>(&user_key).await.unwrap(),
        5
    );
    assert!(
        !b.handle.handles_of(&user).await.contains(&h6),
        "{what}: gone, not listed"
    );
    assert_eq!(
        probe.pool().next().hlen::<i64, _>(&user_key).await.unwrap(),
        4,
        "{what}: the dropped record's entry pruned by sessions_of"
    );
    assert_signed_out(&http, b.addr, &c6, &what).await;

    // One: revoked on A, told on B; the others untouched.
    assert!(a.handle.revoke(&user, &h1).await.unwrap(), "{what}: revoke");
    assert!(!a.handle.revoke(&user, &h1).await.unwrap(), "{what}: once");
    assert!(
        !a.handle.revoke(&user, &ho1).await.unwrap(),
        "{what}: another user's handle reaches nothing"
    );
    assert_revoked(&http, b.addr, &c1, &format!("{what}, revoked one")).await;
    for cookie in [&c2, &c3, &c4] {
        assert_live(&http, b.addr, cookie, &what).await;
    }
    assert_eq!(b.handle.handles_of(&user).await.len(), 3);

    // By tag: the two tagged t2, on either instance.
    assert_eq!(
        a.handle.log_out_tagged(&t2).await.unwrap(),
        2,
        "{what}: tagged"
    );
    assert_eq!(
        a.handle.log_out_tagged(&t2).await.unwrap(),
        0,
        "{what}: once"
    );
    assert_revoked(&http, b.addr, &c2, &format!("{what}, by tag")).await;
    assert_revoked(&http, a.addr, &c3, &format!("{what}, by tag")).await;
    assert_live(&http, b.addr, &c4, &what).await;
    assert_eq!(b.handle.handles_of(&user).await, vec![h4.clone()]);

    // The others: from c4's request on B, c7 (signed in on A) ends.
    let (c7, _) = sign_in_listed(&http, a, &user, None).await;
    let others = send(http.post(format!("http://{}/t/others", b.addr)), &c4).await;
    assert_eq!(
        (others.status, others.body.as_str()),
        (200, "1"),
        "{what}: others"
    );
    assert_revoked(&http, a.addr, &c7, &format!("{what}, the others")).await;
    assert_live(&http, a.addr, &c4, &what).await;
    assert_eq!(a.handle.handles_of(&user).await, vec![h4.clone()]);

    // Everywhere: c4, c8, c9; the other user untouched.
    let (c8, _) = sign_in_listed(&http, b, &user, None).await;
    let (c9, _) = sign_in_listed(&http, a, &user, None).await;
    assert_eq!(
        a.handle.log_out_everywhere(&user).await.unwrap(),
        3,
        "{what}: everywhere"
    );
    assert_eq!(a.handle.log_out_everywhere(&user).await.unwrap(), 0);
    for cookie in [&c4, &c8, &c9] {
        assert_revoked(&http, b.addr, cookie, &format!("{what}, everywhere")).await;
    }
    assert!(b.handle.sessions_of(&user).await.unwrap().is_empty());
    assert_eq!(b.handle.handles_of(&other).await, vec![ho1]);
    assert_live(&http, a.addr, &o1, &what).await;
    // None of these revocations is an automatic logout: no hook call.
    assert!(
        pair.hook_calls().is_empty(),
        "{what}: {:?}",
        pair.hook_calls()
    );
    eprintln!(
        "{what}: revoke one / by tag / the others / everywhere on one instance, told on the \
         other (reason revoked); the others untouched; /logout and a dropped record pruned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revoking_one_the_others_everywhere_or_by_tag_reaches_the_other_instance() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            revocations(redis, stack).await;
        }
    }
}

// ---------------------------------------------------------------------------
// 2. log_out_everywhere on A racing many browsers' writing requests on B.

async fn everywhere_racing_activity(redis: &Redis, stack: Stack) {
    const BROWSERS: usize = 20;
    const ROUNDS: usize = 5;
    const WAVES: usize = 3;
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let http = client();
    let mut now = system_now();
    let (mut answers, mut server_errors) = (BTreeMap::<u16, usize>::new(), 0);
    for round in 0..ROUNDS {
        let user = unique("many");
        pair.set_clocks(now);
        let mut cookies = Vec::new();
        for _ in 0..BROWSERS {
            cookies.push(sign_in(&http, pair.a.addr, &user, None).await);
        }
        assert_eq!(pair.b.handle.handles_of(&user).await.len(), BROWSERS);
        let traffic = async {
            let mut statuses = Vec::new();
            for _ in 0..WAVES {
                // Past the write resolution: every request writes its activity.
                pair.b.clock.advance(Duration::from_secs(2));
                let wave = cookies
                    .iter()
                    .map(|cookie| get_home(&http, pair.b.addr, cookie));
                statuses.extend(
                    futures_util::future::join_all(wave)
                        .await
                        .into_iter()
                        .map(|answer| answer.status),
                );
            }
            statuses
        };
        let (ended, statuses) = tokio::join!(pair.a.handle.log_out_everywhere(&user), traffic);
        assert_eq!(
            ended.unwrap(),
            BROWSERS,
            "{what}, round {round}: all ended once"
        );
        for status in statuses {
            *answers.entry(status).or_default() += 1;
            server_errors += usize::from(status >= 500);
        }
        pair.a.clock.set(pair.b.clock.now());
        for cookie in &cookies {
            for addr in [pair.b.addr, pair.a.addr] {
                assert_signed_out(&http, addr, cookie, &format!("{what}, round {round}")).await;
            }
        }
        assert!(pair.a.handle.sessions_of(&user).await.unwrap().is_empty());
        let left: Vec<_> = redis
            .records_with_data()
            .await
            .into_iter()
            .filter(|(_, owner)| owner.as_deref().is_some_and(|o| o.contains(&user)))
            .collect();
        assert!(
            left.is_empty(),
            "{what}, round {round}: records with data: {left:?}"
        );
        now = now.saturating_add_millis(IDLE_MS * 10);
    }
    eprintln!(
        "{what}: {ROUNDS} rounds of log_out_everywhere racing {BROWSERS} browsers × {WAVES} \
         writing requests: every session ended, 0 back, no record with data; answers {answers:?}"
    );
    assert_eq!(
        server_errors, 0,
        "{what}: racing answers were 5xx: {answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_out_everywhere_racing_activity_on_another_instance_leaves_no_session() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            everywhere_racing_activity(redis, stack).await;
        }
    }
}

// ---------------------------------------------------------------------------
// 3. The sweeper, on two instances at once: each session's logout once.

async fn sweepers(redis: &Redis, stack: Stack) {
    const SESSIONS: i64 = 10;
    const ROUNDS: usize = 6;
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let http = client();
    let mut t = system_now();
    let (mut by_sweep, mut by_request, mut raced) = (0, 0, 0);
    for round in 0..ROUNDS {
        // Even rounds: the two sweepers alone; odd: also every browser's
        // request on B at the deadline.
        let with_requests = round % 2 == 1;
        pair.audit.clear();
        pair.hooks.lock().unwrap().clear();
        // Session i signs in at t + 10 i ms, as user <round>-i: its logout
        // event is known by its session age, its hook call by its user.
        let prefix = unique("idle");
        let mut cookies = Vec::new();
        for i in 0..SESSIONS {
            pair.a.clock.set(t.saturating_add_millis(10 * i));
            let user = format!("{prefix}-{i}");
            cookies.push(sign_in(&http, pair.a.addr, &user, None).await);
        }
        // Every session idle past its deadline (the last one by 1 ms).
        let now = t.saturating_add_millis(10 * (SESSIONS - 1) + IDLE_MS + 1);
        pair.set_clocks(now);
        let requests = async {
            if with_requests {
                let all = cookies
                    .iter()
                    .map(|cookie| get_home(&http, pair.b.addr, cookie));
                futures_util::future::join_all(all).await
            } else {
                Vec::new()
            }
        };
        let dispatch = pair.audit.dispatch();
        let (on_a, on_b, answers) = tokio::join!(
            pair.a.handle.sweep().with_subscriber(dispatch.clone()),
            pair.b.handle.sweep().with_subscriber(dispatch.clone()),
            requests
        );
        let swept = on_a.unwrap() + on_b.unwrap();
        for answer in &answers {
            assert_eq!(
                answer.status, 303,
                "{what}: the request at the deadline is signed out"
            );
        }
        let sweep_events = pair.audit.logouts("sweep");
        let request_events = pair.audit.logouts("request");
        let hooks = pair.hook_calls();
        assert_eq!(
            sweep_events.len(),
            swept,
            "{what}: one event per session swept"
        );
        // Each session: exactly one logout, by a sweeper or by its request.
        let mut per_session: HashMap<i64, usize> = HashMap::new();
        for event in &sweep_events {
            assert_eq!(event.get("reason").map(String::as_str), Some("idle"));
            let age: i64 = event["session_age_ms"].parse().unwrap();
            *per_session
                .entry((now.as_unix_millis() - t.as_unix_millis() - age) / 10)
                .or_default() += 1;
        }
        for user in &hooks {
            let i: i64 = user
                .strip_prefix(&format!("{prefix}-"))
                .and_then(|i| i.parse().ok())
                .unwrap_or_else(|| panic!("{what}: a hook call for {user:?}"));
            *per_session.entry(i).or_default() += 1;
        }
        if stack == Stack::Axum {
            // The request-path audit events are recorded on axum: one per hook call.
            assert_eq!(
                request_events.len(),
                hooks.len(),
                "{what}: {request_events:?}"
            );
        }
        for i in 0..SESSIONS {
            assert_eq!(
                per_session.get(&i).copied().unwrap_or(0),
                1,
                "{what}, round {round}: session {i}'s logout events {per_session:?}"
            );
        }
        assert_eq!(per_session.len(), SESSIONS as usize);
        by_sweep += swept;
        by_request += hooks.len();
        raced += usize::from(with_requests);
        // Ended for good: signed out on both, and nothing left to sweep.
        for cookie in &cookies {
            for addr in [pair.a.addr, pair.b.addr] {
                assert_signed_out(&http, addr, cookie, &what).await;
            }
        }
        assert_eq!(pair.a.handle.sweep().await.unwrap(), 0);
        assert_eq!(
            pair.hook_calls().len(),
            hooks.len(),
            "{what}: no hook call afterwards"
        );
        t = now.saturating_add_millis(IDLE_MS * 10);
    }
    eprintln!(
        "{what}: {ROUNDS} rounds of {SESSIONS} idle sessions, two sweepers at once ({raced} rounds \
         racing every browser's request at the deadline): {by_sweep} logout events from the \
         sweepers, {by_request} from requests (hook calls), exactly one per session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sweepers_and_requests_end_each_idle_session_exactly_once() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            sweepers(redis, stack).await;
        }
    }
}

// ---------------------------------------------------------------------------
// 4. A sign-in on B racing revocations on A.

async fn sign_in_racing_revocation(redis: &Redis, stack: Stack) {
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let http = client();
    let rounds = sign_in_rounds();
    let (mut revoked, mut listed, mut unlisted, mut survived, mut revocations) = (0, 0, 0, 0, 0);
    for round in 0..rounds {
        let user = unique("race");
        pair.set_clocks(system_now());
        // A revokes again and again until B's sign-in has answered.
        let done = AtomicBool::new(false);
        let login = async {
            let cookie = sign_in(&http, pair.b.addr, &user, None).await;
            done.store(true, Ordering::SeqCst);
            cookie
        };
        let revoking = async {
            let mut ended = 0;
            let mut calls = 0;
            while !done.load(Ordering::SeqCst) {
                ended += pair.a.handle.log_out_everywhere(&user).await.unwrap();
                calls += 1;
            }
            (ended, calls)
        };
        let (cookie, (ended, calls)) = tokio::join!(login, revoking);
        revocations += calls;
        let live = status(&http, pair.b.addr, &cookie).await["active"] == Value::Bool(true);
        let handles = pair.a.handle.handles_of(&user).await;
        match (live, handles.len()) {
            (false, _) => {
                assert_eq!(ended, 1, "{what}, round {round}: not live, so revoked");
                revoked += 1;
            }
            (true, 1) => listed += 1,
            (true, n) => {
                unlisted += 1;
                eprintln!("{what}, round {round}: live with {n} sessions listed");
            }
        }
        // A later revocation reaches it: the session ends.
        pair.a.handle.log_out_everywhere(&user).await.unwrap();
        if live && status(&http, pair.b.addr, &cookie).await["active"] == Value::Bool(true) {
            survived += 1;
            eprintln!("{what}, round {round}: survived log_out_everywhere");
        }
    }
    eprintln!(
        "{what}: {rounds} sign-ins on B racing {revocations} log_out_everywhere calls on A: \
         {revoked} revoked, {listed} live and listed, {unlisted} live and unlisted, {survived} \
         survived a later log_out_everywhere"
    );
    assert_eq!(unlisted, 0, "{what}: a live session was not listed");
    assert_eq!(survived, 0, "{what}: a session survived log_out_everywhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_racing_a_revocation_is_revoked_or_listed_never_live_and_unlisted() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            sign_in_racing_revocation(redis, stack).await;
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Round trips, as `redis-cli monitor` sees them.

/// The commands clients send, as `redis-cli monitor` sees them (commands a
/// script runs inside Redis are left out: they are no round trips).
struct Monitor {
    child: std::process::Child,
    file: std::path::PathBuf,
    port: u16,
}

impl Monitor {
    fn start(port: u16) -> Monitor {
        let file = std::env::temp_dir().join(format!(
            "auto-logout-sessions-monitor-{}-{port}",
            std::process::id()
        ));
        let child = std::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "monitor"])
            .stdout(std::fs::File::create(&file).unwrap())
            .spawn()
            .expect("redis-cli runs");
        let monitor = Monitor { child, file, port };
        monitor.wait_for("OK");
        monitor
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .contains(text)
        {
            assert!(Instant::now() < deadline, "monitor never saw {text}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The commands seen since the start, by name, counted.
    fn stop(mut self) -> BTreeMap<String, usize> {
        let marker = format!("auto-logout-marker-{}", self.port);
        let _ = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "echo", &marker])
            .output();
        self.wait_for(&marker);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let _ = std::fs::remove_file(&self.file);
        let mut counted = BTreeMap::new();
        for name in text
            .lines()
            .filter(|line| !line.contains(" lua]") && !line.contains(&marker))
            .filter_map(|line| line.split("] \"").nth(1))
            .filter_map(|rest| rest.split('"').next())
        {
            *counted.entry(name.to_uppercase()).or_default() += 1;
        }
        counted
    }
}

fn counted(commands: &[(&str, usize)]) -> BTreeMap<String, usize> {
    commands
        .iter()
        .map(|(name, count)| ((*name).to_owned(), *count))
        .collect()
}

async fn round_trips(redis: &Redis, stack: Stack) {
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let (a, port) = (&pair.a, redis.ports[0]);
    let http = client();
    // The scripts loaded first (a server that has not seen them yet answers
    // NOSCRIPT once, then SCRIPT LOAD and the EVALSHA again): a sign-in,
    // and the revocation of that session, which run both scripts.
    let warm_up = unique("warm");
    sign_in(&http, a.addr, &warm_up, None).await;
    assert_eq!(a.handle.log_out_everywhere(&warm_up).await.unwrap(), 1);

    // The demo's /login (no cookie yet): the index's HSET (user) and ZADD
    // (sweeper), sent together before the create's EVALSHA
    // (`RedisStore::create_record` → `index_session`, then `run_script("c")`).
    // On axum one EVALSHA more, before them: `Session::cycle_id` deletes the
    // id it replaces (index.lua 'e' on the new visitor's id, which has no
    // record yet); actix-session's `renew` of a new session deletes nothing.
    let cycled = usize::from(stack == Stack::Axum);
    let monitor = Monitor::start(port);
    let login = demo_login(&http, a.addr).await;
    let demo_sign_in = monitor.stop();
    assert_eq!(login.status, 303);
    let cookie = session_cookie(&login.cookies).expect("a cookie");
    assert_eq!(
        demo_sign_in,
        counted(&[("EVALSHA", 1 + cycled), ("HSET", 1), ("ZADD", 1)]),
        "{what}: the demo's sign-in"
    );
    // A tagged sign-in: SADD to the tag's set too.
    let monitor = Monitor::start(port);
    let _tagged = sign_in(&http, a.addr, &unique("tagged"), Some("sid-1")).await;
    let tagged_sign_in = monitor.stop();
    assert_eq!(
        tagged_sign_in,
        counted(&[
            ("EVALSHA", 1 + cycled),
            ("HSET", 1),
            ("SADD", 1),
            ("ZADD", 1)
        ]),
        "{what}: a tagged sign-in"
    );

    // A request of an indexed session costs what it did before the index:
    // HMGET (load) and EVALSHA (save) when a write is due, HMGET otherwise.
    a.clock.advance(Duration::from_secs(30));
    let monitor = Monitor::start(port);
    assert_eq!(get_home(&http, a.addr, &cookie).await.status, 200);
    let writing = monitor.stop();
    assert_eq!(
        writing,
        counted(&[("EVALSHA", 1), ("HMGET", 1)]),
        "{what}: a writing request"
    );
    let monitor = Monitor::start(port);
    assert_eq!(get_home(&http, a.addr, &cookie).await.status, 200);
    let reading = monitor.stop();
    assert_eq!(
        reading,
        counted(&[("HMGET", 1)]),
        "{what}: a reading request"
    );

    // log_out_everywhere of ten sessions: HGETALL of the user's hash, an
    // HMGET of each record (`live`), then for each session the EVALSHA that
    // ends it (index.lua 'x') and `unindex`'s HDEL (user) and ZREM (sweeper):
    // 1 + 10 + 3 × 10 = 41.
    let user = unique("ten");
    for _ in 0..10 {
        sign_in(&http, a.addr, &user, None).await;
    }
    let monitor = Monitor::start(port);
    assert_eq!(a.handle.log_out_everywhere(&user).await.unwrap(), 10);
    let everywhere = monitor.stop();
    assert_eq!(
        everywhere,
        counted(&[
            ("EVALSHA", 10),
            ("HDEL", 10),
            ("HGETALL", 1),
            ("HMGET", 10),
            ("ZREM", 10)
        ]),
        "{what}: log_out_everywhere of ten sessions"
    );
    let total: usize = everywhere.values().sum();
    eprintln!(
        "{what}: round trips: demo sign-in {demo_sign_in:?}, tagged sign-in {tagged_sign_in:?}, \
         writing request {writing:?}, reading request {reading:?}, log_out_everywhere of 10 \
         sessions {total} commands {everywhere:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_costs_what_it_did_and_a_sign_in_and_a_revocation_cost_this_many_commands() {
    if !found("redis-server") || !found("redis-cli") {
        skip_loudly(
            "tests/redis/sessions.rs",
            "redis-server or redis-cli not found on PATH",
        );
        return;
    }
    let redis = Redis::start(false);
    for stack in [Stack::Axum, Stack::Actix] {
        round_trips(&redis, stack).await;
    }
}

// ---------------------------------------------------------------------------
// 6. A hung Redis: log_out_everywhere fails within the command timeout.

async fn hung(redis: &Redis, stack: Stack) {
    let pair = Pair::start(stack, redis).await;
    let what = pair.what.clone();
    let http = client();
    let user = unique("hung");
    let cookie = sign_in(&http, pair.a.addr, &user, None).await;
    redis.signal_all("-STOP");
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        pair.a.handle.log_out_everywhere(&user),
    )
    .await;
    let waited = started.elapsed();
    redis.signal_all("-CONT");
    let result = result.unwrap_or_else(|_| panic!("{what}: log_out_everywhere hung for 10 s"));
    assert!(
        matches!(result, Err(SessionIndexError::Store(_))),
        "{what}: {result:?}"
    );
    assert!(
        waited >= Duration::from_millis(1_500) && waited < Duration::from_millis(3_000),
        "{what}: failed after {waited:?} (command timeout 2 s)"
    );
    // Back: the revocation goes through, with no restart.
    let resumed = Instant::now();
    let ended = loop {
        match pair.a.handle.log_out_everywhere(&user).await {
            Ok(ended) => break ended,
            Err(error) => {
                assert!(
                    resumed.elapsed() < Duration::from_secs(10),
                    "{what}: still failing 10 s after SIGCONT: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(ended, 1, "{what}: revoked once Redis answers");
    assert_revoked(&http, pair.b.addr, &cookie, &what).await;
    eprintln!(
        "{what}: log_out_everywhere against a hung Redis (SIGSTOP) failed after {} ms with \
         {result:?}; after SIGCONT it went through in {} ms",
        waited.as_millis(),
        resumed.elapsed().as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_out_everywhere_against_a_hung_redis_fails_within_the_command_timeout() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            hung(redis, stack).await;
        }
    }
}

// ---------------------------------------------------------------------------
// 7. MAX_SESSIONS_PER_USER = 2 across two instances, through the demo's
// own /login and /logout (user `demo`).

const MAX_SESSIONS: i64 = 2;

fn limited(policy: &str) -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .max_sessions_per_user(MAX_SESSIONS)
        .session_limit_policy(policy)
        .build()
        .unwrap()
}

/// Every answer of a scenario, by status.
#[derive(Default)]
struct Tally(Mutex<BTreeMap<u16, usize>>);

impl Tally {
    async fn send(&self, req: reqwest::RequestBuilder, cookie: &str) -> Answer {
        let answer = send(req, cookie).await;
        *self.0.lock().unwrap().entry(answer.status).or_default() += 1;
        answer
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }

    fn server_errors(&self) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(status, _)| **status >= 500)
            .map(|(_, count)| count)
            .sum()
    }

    fn counted(&self) -> BTreeMap<u16, usize> {
        self.0.lock().unwrap().clone()
    }

    async fn login(&self, http: &reqwest::Client, addr: SocketAddr) -> Answer {
        self.send(
            http.post(format!("http://{addr}/login"))
                .form(&[("username", "demo"), ("password", "demo")]),
            "",
        )
        .await
    }

    async fn status(&self, http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Value {
        let answer = self
            .send(
                http.get(format!("http://{addr}/auto-logout/status")),
                cookie,
            )
            .await;
        assert_eq!(answer.status, 200, "status answers 200: {}", answer.body);
        serde_json::from_str(&answer.body).unwrap()
    }

    async fn home(&self, http: &reqwest::Client, addr: SocketAddr, cookie: &str) -> Answer {
        self.send(http.get(format!("http://{addr}/")), cookie).await
    }

    /// The demo's `/login` on `on`, accepted: the cookie, and the new
    /// session's handle (the one `sessions_of` did not list before).
    async fn signed_in(
        &self,
        http: &reqwest::Client,
        on: &Instance,
        what: &str,
    ) -> (String, String) {
        let before = on.handle.handles_of("demo").await;
        let login = self.login(http, on.addr).await;
        assert_eq!(login.status, 303, "{what}: signed in: {}", login.body);
        let cookie = session_cookie(&login.cookies).expect("a session cookie");
        let after = on.handle.handles_of("demo").await;
        let new: Vec<&String> = after.iter().filter(|h| !before.contains(h)).collect();
        assert_eq!(
            new.len(),
            1,
            "{what}: one new session: {before:?} → {after:?}"
        );
        (cookie, new[0].clone())
    }

    /// Live: the status says active, and the home page answers 200.
    async fn assert_live(
        &self,
        http: &reqwest::Client,
        addr: SocketAddr,
        cookie: &str,
        what: &str,
    ) {
        let said = self.status(http, addr, cookie).await;
        assert_eq!(said["active"], Value::Bool(true), "{what}: live: {said}");
        let home = self.home(http, addr, cookie).await;
        assert_eq!(home.status, 200, "{what}: still signed in");
    }

    /// Signed out: the home page is a 303 to the login page.
    async fn assert_signed_out(
        &self,
        http: &reqwest::Client,
        addr: SocketAddr,
        cookie: &str,
        what: &str,
    ) {
        let home = self.home(http, addr, cookie).await;
        assert_eq!(home.status, 303, "{what}: signed out");
        assert!(
            home.location.as_deref().unwrap_or("").starts_with("/login"),
            "{what}: to the login page, not {:?}",
            home.location
        );
    }
}

/// Ends every `demo` session a scenario before left (all run on one Redis).
async fn no_demo_sessions(pair: &Pair) {
    pair.a.handle.log_out_everywhere("demo").await.unwrap();
    assert!(pair.b.handle.sessions_of("demo").await.unwrap().is_empty());
}

/// `evict-oldest`: three browsers sign in as `demo` on A, B, A; the first is
/// told `replaced` on B, the two newest are live and listed.
async fn evict_oldest(redis: &Redis, stack: Stack, tally: &Tally) {
    let pair = Pair::start_with(stack, redis, limited("evict-oldest")).await;
    let what = format!("{}, evict-oldest", pair.what);
    let http = client();
    no_demo_sessions(&pair).await;
    let t = system_now();
    let mut cookies = Vec::new();
    let mut handles = Vec::new();
    for (i, on) in [&pair.a, &pair.b, &pair.a].into_iter().enumerate() {
        // One second apart: the sign-ins' order is their login time's.
        pair.set_clocks(t.saturating_add_millis(1_000 * i as i64));
        let (cookie, handle) = tally
            .signed_in(&http, on, &format!("{what}, browser {}", i + 1))
            .await;
        cookies.push(cookie);
        handles.push(handle);
    }
    // The first browser, on the other instance (B): replaced.
    let said = tally.status(&http, pair.b.addr, &cookies[0]).await;
    assert_eq!(
        said,
        serde_json::json!({"active": false, "reason": "replaced"}),
        "{what}: the first browser"
    );
    tally
        .assert_signed_out(&http, pair.b.addr, &cookies[0], &what)
        .await;
    // The two newest: live on both instances, and exactly them listed.
    for cookie in &cookies[1..] {
        for addr in [pair.a.addr, pair.b.addr] {
            tally.assert_live(&http, addr, cookie, &what).await;
        }
    }
    let mut newest = handles[1..].to_vec();
    newest.sort();
    for on in [&pair.a, &pair.b] {
        assert_eq!(on.handle.handles_of("demo").await, newest, "{what}: listed");
    }
    assert_eq!(
        pair.a.handle.log_out_everywhere("demo").await.unwrap(),
        2,
        "{what}: two sessions to end"
    );
    eprintln!(
        "{what}: 3 sign-ins as demo on A, B, A: the first told replaced on B (status and a 303 \
         to login), the two newest live and listed"
    );
}

/// `refuse-new`: the third sign-in is refused (409, nothing written); after
/// one of the two signs out through /logout, a new sign-in goes through.
async fn refuse_new(redis: &Redis, stack: Stack, tally: &Tally) {
    let pair = Pair::start_with(stack, redis, limited("refuse-new")).await;
    let what = format!("{}, refuse-new", pair.what);
    let http = client();
    no_demo_sessions(&pair).await;
    let (c1, _h1) = tally.signed_in(&http, &pair.a, &what).await;
    let (c2, h2) = tally.signed_in(&http, &pair.b, &what).await;
    let mut records = redis.records_with_data().await;
    records.sort();

    let refused = tally.login(&http, pair.a.addr).await;
    assert_eq!(refused.status, 409, "{what}: refused: {}", refused.body);
    let cookie_sent = session_cookie(&refused.cookies).is_some();
    assert!(
        refused
            .body
            .contains(&format!("signed in on {MAX_SESSIONS} devices already")),
        "{what}: {}",
        refused.body
    );
    // Nothing written: no record, no listing, no cookie that signs in.
    let mut after = redis.records_with_data().await;
    after.sort();
    assert_eq!(after, records, "{what}: the refused sign-in wrote a record");
    assert_eq!(pair.b.handle.handles_of("demo").await.len(), 2, "{what}");
    if let Some(cookie) = session_cookie(&refused.cookies) {
        for addr in [pair.a.addr, pair.b.addr] {
            let said = tally.status(&http, addr, &cookie).await;
            assert_ne!(said["active"], Value::Bool(true), "{what}: {said}");
            tally.assert_signed_out(&http, addr, &cookie, &what).await;
        }
    }
    for cookie in [&c1, &c2] {
        tally.assert_live(&http, pair.b.addr, cookie, &what).await;
    }

    // The first signs out through the demo's /logout on B: room for one.
    let out = tally
        .send(http.post(format!("http://{}/logout", pair.b.addr)), &c1)
        .await;
    assert_eq!(out.status, 303, "{what}: /logout");
    tally
        .assert_signed_out(&http, pair.a.addr, &c1, &what)
        .await;
    assert_eq!(pair.a.handle.handles_of("demo").await, vec![h2.clone()]);
    let (c3, h3) = tally.signed_in(&http, &pair.a, &what).await;
    for cookie in [&c2, &c3] {
        tally.assert_live(&http, pair.b.addr, cookie, &what).await;
    }
    let mut listed = vec![h2, h3];
    listed.sort();
    assert_eq!(pair.b.handle.handles_of("demo").await, listed, "{what}");
    assert_eq!(pair.a.handle.log_out_everywhere("demo").await.unwrap(), 2);
    eprintln!(
        "{what}: 2 sign-ins as demo on A and B, the third on A refused (409, no record, no \
         listing, no cookie that signs in; a session cookie sent: {cookie_sent}); after /logout \
         on B a sign-in on A went through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_sessions_per_user_evicts_the_oldest_or_refuses_the_new_across_two_instances() {
    let Some(deployments) = Redis::both("tests/redis/sessions.rs") else {
        return;
    };
    let tally = Tally::default();
    for redis in &deployments {
        for stack in [Stack::Axum, Stack::Actix] {
            evict_oldest(redis, stack, &tally).await;
            refuse_new(redis, stack, &tally).await;
        }
    }
    eprintln!(
        "MAX_SESSIONS_PER_USER = {MAX_SESSIONS}, both policies, both stacks, standalone Redis and \
         Redis Cluster: {} answers {:?}",
        tally.total(),
        tally.counted()
    );
    assert_eq!(
        tally.server_errors(),
        0,
        "5xx answers: {:?}",
        tally.counted()
    );
}
