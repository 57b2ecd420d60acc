//! Shared helpers of the axum tests: the demo app on a free port, a browser-like
//! HTTP client with a cookie jar, and a session store that counts its writes.
#![allow(dead_code)]

pub use auto_logout_demos::axum_demo as app;

pub mod watched;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use auto_logout::{Config, ManualClock, Stamps, Timestamp};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions::{MemoryStore, SessionStore};

/// 2026-01-01T00:00:00Z: where test clocks start.
pub const T0: Timestamp = Timestamp::from_unix_millis(1_767_225_600_000);

/// A [`MemoryStore`] that counts `save` and `create` calls per session id.
#[derive(Clone, Debug, Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    saves: Arc<Mutex<HashMap<Id, usize>>>,
    creates: Arc<Mutex<usize>>,
}

impl CountingStore {
    /// `save` calls for this session id so far.
    pub fn saves_of(&self, id: Id) -> usize {
        self.saves.lock().unwrap().get(&id).copied().unwrap_or(0)
    }

    /// `save` calls for every id so far.
    pub fn total_saves(&self) -> usize {
        self.saves.lock().unwrap().values().sum()
    }

    /// `create` calls so far.
    pub fn creates(&self) -> usize {
        *self.creates.lock().unwrap()
    }

    /// The record stored under `id`, if any.
    pub async fn record(&self, id: Id) -> Option<Record> {
        self.inner.load(&id).await.unwrap()
    }

    /// The stamps stored under `id`, as stored.
    pub async fn stored_stamps(&self, id: Id) -> Option<serde_json::Value> {
        self.record(id)
            .await
            .and_then(|r| r.data.get(Stamps::SESSION_KEY).cloned())
    }

    /// Replaces one value in the stored record (to simulate corruption).
    pub async fn tamper(&self, id: Id, key: &str, value: serde_json::Value) {
        let mut record = self.record(id).await.expect("a stored session");
        record.data.insert(key.to_owned(), value);
        self.inner.save(&record).await.unwrap();
    }
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        *self.creates.lock().unwrap() += 1;
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        *self.saves.lock().unwrap().entry(record.id).or_default() += 1;
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

/// A running demo app with a manual clock and a counting store.
pub struct Site {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub store: CountingStore,
}

impl Site {
    /// The demo app with `config`, on a free loopback port.
    pub async fn start(config: Config) -> Site {
        Site::start_with(config, axum::Router::new()).await
    }

    /// The demo app with `config` and `extra` routes behind the same layers.
    pub async fn start_with(config: Config, extra: axum::Router) -> Site {
        Site::start_custom(config, extra, |_| {}).await
    }

    /// [`Site::start_with`], with the demo's settings changed by `change`.
    pub async fn start_custom(
        config: Config,
        extra: axum::Router,
        change: impl FnOnce(&mut app::Settings),
    ) -> Site {
        let clock = ManualClock::new(T0);
        let store = CountingStore::default();
        let mut settings = app::Settings::new(config);
        settings.clock = Some(clock.clone());
        change(&mut settings);
        let router = app::router_with(&settings, store.clone(), extra);
        let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
        Site { addr, clock, store }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new browser: its own cookie jar, redirects not followed.
    pub fn browser(&self) -> Browser {
        Browser::new(self.addr)
    }

    pub fn advance(&self, millis: u64) {
        self.clock.advance(Duration::from_millis(millis));
    }
}

/// The demo's settings with `config`, on `clock`.
pub fn settings_on(config: Config, clock: &ManualClock) -> app::Settings {
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    settings
}

/// The axum demo with `settings` over a store that keeps a logout final by
/// itself (`guarded_router_with`: the crate's `RedisStore`, or one wrapped),
/// on a free loopback port.
pub async fn serve_guarded<S>(settings: &app::Settings, store: S) -> SocketAddr
where
    S: SessionStore + auto_logout::GuardedStore + Clone,
{
    let router = app::guarded_router_with(settings, store, axum::Router::new());
    app::spawn(router, "127.0.0.1:0").await.unwrap()
}

/// An HTTP client that keeps cookies like a browser and shows redirects as they are.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    base: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The texts of the elements with class `message`.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find(r#"class="message">"#) {
            rest = &rest[at + r#"class="message">"#.len()..];
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(rest[..end].to_owned());
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            jar,
            base: format!("http://{addr}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The same browser (same cookie jar) talking to another server on this host.
    pub fn at(&self, addr: SocketAddr) -> Browser {
        Browser {
            client: self.client.clone(),
            jar: self.jar.clone(),
            base: format!("http://{addr}"),
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.client.get(self.url(path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req).await
    }

    /// [`Browser::get_with`], timed from the moment it is sent to the end
    /// of the body; panics when no answer came within 10 s.
    pub async fn timed_get_with(&self, path: &str, headers: &[(&str, &str)]) -> (Page, Duration) {
        let started = std::time::Instant::now();
        let page = tokio::time::timeout(Duration::from_secs(10), self.get_with(path, headers))
            .await
            .unwrap_or_else(|_| panic!("GET {path}: no answer in 10 s"));
        (page, started.elapsed())
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.client.post(self.url(path)).form(form)).await
    }

    /// Signs in as demo/demo; panics unless it worked.
    pub async fn login(&self) -> Page {
        let page = self
            .post_form(
                "/login",
                &[("username", "demo"), ("password", "demo"), ("next", "/")],
            )
            .await;
        assert_eq!(page.status, 303, "login failed: {page:?}");
        page
    }

    /// `true` when `/` shows the signed-in page (not a redirect to login).
    pub async fn signed_in(&self) -> bool {
        let page = self.get("/").await;
        match page.status {
            200 => true,
            303 => false,
            other => panic!("GET / answered {other}: {page:?}"),
        }
    }

    /// The raw value of the cookie `name` in the jar, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }

    /// A new browser whose jar holds only the cookie `name=value`.
    pub fn with_cookie(addr: SocketAddr, name: &str, value: &str) -> Browser {
        let browser = Browser::new(addr);
        let url = browser.base.parse().unwrap();
        browser
            .jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
        browser
    }

    /// The session id in the jar, if any.
    pub fn session_id(&self) -> Option<Id> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == app::SESSION_COOKIE)
                .then(|| Id::from_str(value).ok())
                .flatten()
        })
    }
}

/// The stamps of a stored value, decoded.
pub fn decode(value: &serde_json::Value) -> Stamps {
    Stamps::decode(value.as_str().expect("stamps are a string")).unwrap()
}

/// Says loudly that a test is skipped, straight to the process's stderr (the
/// test harness would swallow `eprintln!` of a passing test); panics instead
/// when `AUTO_LOGOUT_REQUIRE_E2E=1`.
pub fn skip_loudly(test: &str, why: &str) {
    use std::io::Write;
    if std::env::var("AUTO_LOGOUT_REQUIRE_E2E").as_deref() == Ok("1") {
        panic!("{test}: {why}, and AUTO_LOGOUT_REQUIRE_E2E=1 requires this test");
    }
    let banner = format!(
        "\n*** SKIPPED {test}: {why} (apt-get install redis-server; \
         AUTO_LOGOUT_REQUIRE_E2E=1 makes this a failure) ***\n\n"
    );
    let _ = std::io::stderr().write_all(banner.as_bytes());
}

/// A real `redis-server` on a free loopback port, started by the test and
/// killed when dropped (also on a panic).
pub struct RedisServer {
    child: Option<std::process::Child>,
    pub port: u16,
    /// The data directory (append-only file), for a restart with the same data.
    dir: Option<std::path::PathBuf>,
}

impl RedisServer {
    /// An in-memory server (no persistence); `None`, said loudly, when
    /// `redis-server` is not installed.
    pub fn start(test: &str) -> Option<RedisServer> {
        RedisServer::launch(test, false)
    }

    /// A server that writes every command to its append-only file before it
    /// answers (`appendfsync always`), so a `kill -9` loses nothing and
    /// [`RedisServer::restart`] comes back with the same data.
    pub fn start_persistent(test: &str) -> Option<RedisServer> {
        RedisServer::launch(test, true)
    }

    fn launch(test: &str, persistent: bool) -> Option<RedisServer> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            skip_loudly(test, "redis-server not found on PATH");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let dir = persistent.then(|| {
            let dir = std::env::temp_dir()
                .join(format!("auto-logout-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            dir
        });
        let mut server = RedisServer {
            child: None,
            port,
            dir,
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let mut command = std::process::Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""]);
        match &self.dir {
            Some(dir) => command
                .args(["--appendonly", "yes"])
                .args(["--appendfsync", "always"])
                .arg("--dir")
                .arg(dir),
            None => command.args(["--appendonly", "no"]),
        };
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `kill -9`: the server dies at once, without saving or closing anything.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL on Unix
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same data directory.
    pub fn restart(&mut self) {
        self.kill_9();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill_9();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A running demo site of either framework, kept alive as long as this
/// value: what the checks written once for both stacks (`security_checks`,
/// `user_activity_checks`, `behaviour`) are given.
pub struct Target {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    /// `axum` or `actix`, for failure messages.
    pub framework: &'static str,
    _site: Box<dyn std::any::Any>,
}

impl Target {
    /// `site` is whatever keeps the site running (dropped with this value).
    pub fn new(
        addr: SocketAddr,
        clock: ManualClock,
        framework: &'static str,
        site: impl std::any::Any,
    ) -> Self {
        Target {
            addr,
            clock,
            framework,
            _site: Box::new(site),
        }
    }

    /// A new browser: its own cookie jar, redirects not followed.
    pub fn browser(&self) -> Browser {
        Browser::new(self.addr)
    }

    /// Moves the site's clock `millis` milliseconds on.
    pub fn advance(&self, millis: u64) {
        self.clock.advance(Duration::from_millis(millis));
    }
}

/// What a test store does with each kind of call: the store faults of the
/// behaviour list (`behaviour::store_faults`), set while the site runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every call works.
    Works,
    /// Every call fails at once, as a store that lost its connection does.
    Fails,
    /// No call ever answers, as a store behind a dead TCP peer.
    Hangs,
    /// Reads and deletes work; writes (create, save, update) fail.
    WritesFail,
    /// Reads and writes work; deletes fail.
    DeletesFail,
}

/// The kinds of store call a [`Fault`] tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreCall {
    Read,
    Write,
    Delete,
}

/// A [`Fault`] shared between a test and the store it breaks.
#[derive(Clone, Debug, Default)]
pub struct FaultSwitch(Arc<std::sync::atomic::AtomicU8>);

impl FaultSwitch {
    const FAULTS: [Fault; 5] = [
        Fault::Works,
        Fault::Fails,
        Fault::Hangs,
        Fault::WritesFail,
        Fault::DeletesFail,
    ];

    /// From now on the store behaves as `fault` says.
    pub fn set(&self, fault: Fault) {
        let index = Self::FAULTS.iter().position(|f| *f == fault).unwrap();
        self.0
            .store(index as u8, std::sync::atomic::Ordering::SeqCst);
    }

    /// The fault in force.
    pub fn get(&self) -> Fault {
        Self::FAULTS[self.0.load(std::sync::atomic::Ordering::SeqCst) as usize]
    }

    /// Called by the store before a `call`: `Err` when the call must fail,
    /// never ready when it must hang.
    pub async fn before(&self, call: StoreCall) -> Result<(), &'static str> {
        match (self.get(), call) {
            (Fault::Hangs, _) => std::future::pending().await,
            (Fault::Fails, _)
            | (Fault::WritesFail, StoreCall::Write)
            | (Fault::DeletesFail, StoreCall::Delete) => Err("connection refused"),
            _ => Ok(()),
        }
    }
}
