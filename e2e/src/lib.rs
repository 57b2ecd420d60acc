//! Browser tests for auto-logout: the demo site (`auto_logout_demos::axum_demo`)
//! served in-process on a loopback port, driven through Debian's headless
//! Chromium and chromedriver with fantoccini.
//!
//! - [`Browser`]: one chromedriver + Chromium with a fresh profile, killed and
//!   removed on drop (also when a test panics). Missing binaries: a loud
//!   `SKIPPED:` line, or a panic when `AUTO_LOGOUT_REQUIRE_E2E=1`.
//! - [`Site`]: the demo stack with a [`Recorder`] around it that keeps every
//!   request the browser sent, when it arrived, and whether it was the user's
//!   own activity (decided from the request's kind, not by the crate).
//!
//! Browsers run one at a time (a process-wide lock), so timing figures are not
//! disturbed by a second Chromium on a small machine.

pub mod flows;
pub mod lock;
pub mod sessions;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use auto_logout::Config;
use auto_logout_demos::actix_demo as actix_app;
use auto_logout_demos::axum_demo as app;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value as Json, json};
use tower_sessions::Session;

pub use app::Csp;

/// The Chromium binary (Debian's package), overridable with `AUTO_LOGOUT_CHROMIUM`.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("AUTO_LOGOUT_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), Into::into)
}

/// The chromedriver binary, overridable with `AUTO_LOGOUT_CHROMEDRIVER`.
pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("AUTO_LOGOUT_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), Into::into)
}

/// Chromium's flags: quiet on a machine without outside network, running as root.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--window-size=900,640",
];

/// The messages the tests configure, so each reason can be told apart on the login page.
pub const IDLE_MESSAGE: &str = "You were signed out after a period of inactivity.";
pub const SESSION_MESSAGE: &str = "Your session reached its time limit. Please sign in again.";

/// A configuration with short limits (whole seconds) and the messages above.
pub fn config(idle: Option<i64>, session: Option<i64>, warn: Option<i64>) -> Config {
    let mut b = Config::builder()
        .message(app::DEFAULT_MESSAGE)
        .idle_message(IDLE_MESSAGE)
        .session_message(SESSION_MESSAGE)
        .redirect_to_login_immediately(true)
        .passive_path("/static/");
    if let Some(idle) = idle {
        b = b.idle_time(idle);
    }
    if let Some(session) = session {
        b = b.session_time(session);
    }
    if let Some(warn) = warn {
        b = b.warn_before(warn);
    }
    b.build().expect("a valid test configuration")
}

// ---------------------------------------------------------------------------
// Waiting

/// Calls `f` every few milliseconds until it gives `Some`, for at most `timeout`.
pub async fn until<T, F, Fut>(timeout: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Milliseconds from `from` to `to`, negative when `to` is earlier.
pub fn ms_between(from: Instant, to: Instant) -> i64 {
    if to >= from {
        (to - from).as_millis() as i64
    } else {
        -((from - to).as_millis() as i64)
    }
}

/// Sleeps until `at` (returns at once when it has passed).
pub async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(at.into()).await;
}

// ---------------------------------------------------------------------------
// The server side: the demo stack and a recorder around it

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    /// When it reached the server (outside every layer).
    pub at: Instant,
    /// When the answer left the stack.
    pub done: Instant,
    pub method: Method,
    /// Path and query.
    pub path: String,
    pub headers: HeaderMap,
    pub status: u16,
    pub location: Option<String>,
    /// The answer's `Content-Security-Policy`.
    pub csp: Option<String>,
    /// The answer's `HX-Redirect`.
    pub hx_redirect: Option<String>,
    /// Was this the user's own activity (a page load or a page's `fetch`),
    /// by its kind? See [`Recorder`].
    pub counts: bool,
}

impl Hit {
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or(&self.path)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A request made by this harness (status probes, page-side activity).
    pub fn is_probe(&self) -> bool {
        self.header("x-e2e-probe").is_some()
    }

    /// A request made by the auto-logout script: it marks every request with
    /// `X-Auto-Logout-Passive: 1` (status) or `X-Auto-Logout: 1` (keepalive).
    pub fn is_script(&self) -> bool {
        !self.is_probe()
            && (self.header("x-auto-logout-passive").is_some()
                || self.header("x-auto-logout").is_some())
    }

    pub fn is_keepalive(&self) -> bool {
        self.method == Method::POST && self.path_only().ends_with("/keepalive")
    }

    pub fn is_status(&self) -> bool {
        self.path_only().ends_with("/status")
    }
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {}{}{}{}",
            self.method,
            self.path,
            self.status,
            self.location
                .as_deref()
                .map(|l| format!(" (to {l})"))
                .unwrap_or_default(),
            if self.counts {
                " [activity]"
            } else {
                " [passive]"
            },
            if self.is_script() {
                " [script]"
            } else if self.is_probe() {
                " [probe]"
            } else {
                ""
            },
        )
    }
}

/// Keeps every request that reaches the site, with its arrival time and
/// whether it was the user's own activity. That is decided from the request's
/// kind, as the browser sent it, written here independently of the crate's
/// rules (which are what the tests check): a `GET` or `POST` that loads a
/// document (`Sec-Fetch-Dest: document`, `iframe`, `frame`) or comes from a
/// page's script (`empty`: `fetch`, XHR, htmx), unless the auto-logout
/// script marked it passive (`X-Auto-Logout-Passive: 1`), it is a prefetch,
/// it asks `status`, or it is under `/static/` (the tests' `PASSIVE_PATHS`).
/// Images, styles, scripts and other subresources are never the user's.
#[derive(Clone)]
pub struct Recorder {
    hits: Arc<Mutex<Vec<Hit>>>,
    config: Config,
}

impl Recorder {
    fn new(config: Config) -> Self {
        Recorder {
            hits: Arc::default(),
            config,
        }
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        let mut hits = self.hits.lock().unwrap().clone();
        hits.sort_by_key(|h| h.at);
        hits
    }

    /// Requests that arrived at or after `from`.
    pub fn since(&self, from: Instant) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.at >= from).collect()
    }

    /// A printable log of `hits` relative to `origin`.
    pub fn dump(hits: &[Hit], origin: Instant) -> String {
        hits.iter()
            .map(|h| format!("  {:>+7} ms  {h}\n", ms_between(origin, h.at)))
            .collect()
    }

    fn counts(&self, method: &Method, path: &str, headers: &HeaderMap) -> bool {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let dest = header("sec-fetch-dest").unwrap_or("document");
        let prefetch = header("sec-purpose")
            .or(header("purpose"))
            .is_some_and(|v| v.contains("prefetch") || v.contains("prerender"));
        (*method == Method::GET || *method == Method::POST)
            && matches!(dest, "document" | "iframe" | "frame" | "empty")
            && header("x-auto-logout-passive").map(str::trim) != Some("1")
            && !prefetch
            && path != format!("{}status", self.config.endpoint_prefix())
            && !path.starts_with("/static/")
    }

    /// The last request before `before` that was the user's own activity.
    pub fn last_activity_before(&self, before: Instant) -> Option<Hit> {
        self.hits()
            .into_iter()
            .rev()
            .find(|h| h.counts && h.at < before)
    }
}

async fn record(State(rec): State<Recorder>, req: Request, next: Next) -> Response {
    let at = Instant::now();
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let headers = req.headers().clone();
    let counts = rec.counts(&method, req.uri().path(), &headers);
    let res = next.run(req).await;
    let hit = Hit {
        at,
        done: Instant::now(),
        method,
        path,
        headers,
        status: res.status().as_u16(),
        location: res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        csp: res
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        hx_redirect: res
            .headers()
            .get("hx-redirect")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        counts,
    };
    rec.hits.lock().unwrap().push(hit);
    res
}

/// Which demo a browser flow runs on: every flow of `flows` runs on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// axum, tower-sessions, axum-messages, MiniJinja ([`Site::start`]).
    Axum,
    /// actix-web, actix-session, Tera ([`Site::start_actix`]).
    Actix,
}

impl Demo {
    /// Both demos, axum first.
    pub const BOTH: [Demo; 2] = [Demo::Axum, Demo::Actix];

    /// `axum` or `actix`, for labels.
    pub fn name(self) -> &'static str {
        match self {
            Demo::Axum => "axum",
            Demo::Actix => "actix",
        }
    }
}

/// The demo site on a free loopback port, with a recorder around it.
pub struct Site {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub log: Recorder,
    pub config: Config,
}

impl Site {
    /// Serves the demo with `config` and `csp`, the system clock, an in-memory
    /// session store, and the extra pages of [`extra_routes`].
    pub async fn start(config: Config, csp: Csp) -> Site {
        Site::start_with(config, csp, app::default_htmx()).await
    }

    /// The `demo` with `config` and `csp`: [`Site::start`] or [`Site::start_actix`].
    pub async fn on(demo: Demo, config: Config, csp: Csp) -> Site {
        match demo {
            Demo::Axum => Site::start(config, csp).await,
            Demo::Actix => Site::start_actix(config, csp).await,
        }
    }

    /// The `demo` with these `settings`: [`Site::start_settings`] or
    /// [`Site::start_actix_settings`].
    pub async fn on_settings(demo: Demo, settings: app::Settings) -> Site {
        match demo {
            Demo::Axum => Site::start_settings(settings).await,
            Demo::Actix => Site::start_actix_settings(settings).await,
        }
    }

    /// [`Site::on`] with the home page's htmx button on `htmx`.
    pub async fn on_with(demo: Demo, config: Config, csp: Csp, htmx: Option<PathBuf>) -> Site {
        match demo {
            Demo::Axum => Site::start_with(config, csp, htmx).await,
            Demo::Actix => Site::start_actix_with(config, csp, htmx).await,
        }
    }

    /// [`Site::start`] with the home page's htmx button on `htmx` (served as
    /// `/static/htmx.js`; `None`: no button).
    pub async fn start_with(config: Config, csp: Csp, htmx: Option<PathBuf>) -> Site {
        let mut settings = app::Settings::new(config);
        settings.csp = csp;
        settings.htmx = htmx;
        Site::start_settings(settings).await
    }

    /// The axum demo with these `settings` (a logout hook in
    /// `settings.customize`, say).
    pub async fn start_settings(settings: app::Settings) -> Site {
        let config = settings.config.clone();
        let log = Recorder::new(config.clone());
        let router = app::router_with(
            &settings,
            tower_sessions::MemoryStore::default(),
            extra_routes(),
        )
        .layer(axum::middleware::from_fn_with_state(log.clone(), record));
        let addr = app::spawn(router, "127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        Site {
            base: format!("http://{addr}"),
            log,
            config,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn idle(&self) -> Duration {
        self.config.idle_time().expect("idle time configured")
    }

    pub fn session(&self) -> Duration {
        self.config.session_time().expect("session time configured")
    }

    pub fn warn(&self) -> Duration {
        self.config.warn_before().expect("warning configured")
    }
}

/// Pages the demo does not have, behind the same layers: `GET /form` (signed
/// in: a form that posts to itself), `POST /form` (a page reached by POST,
/// carrying the script) and `GET /cached` (signed in, with the script and a
/// link to `/public`, whose handler sets its own `Cache-Control: private,
/// no-cache`, so the browser may keep it in the back/forward cache).
pub fn extra_routes() -> Router {
    Router::new()
        .route("/form", get(form_page).post(form_posted))
        .route("/cached", get(cached_page))
}

async fn cached_page(
    session: Session,
    ctx: Option<auto_logout::axum::AutoLogoutContext>,
) -> Response {
    if !signed_in(&session).await {
        return Redirect::to("/login?next=/cached").into_response();
    }
    let mut res = plain_page("Cached", CACHED_BODY, &script_of(ctx));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-cache"),
    );
    res
}

async fn signed_in(session: &Session) -> bool {
    matches!(session.get::<String>(app::USER_KEY).await, Ok(Some(_)))
}

fn plain_page(title: &str, body: &str, script: &str) -> Response {
    Html(plain_html(title, body, script)).into_response()
}

/// The extra pages' HTML, the same on both demos.
fn plain_html(title: &str, body: &str, script: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/static/demo.css\"></head><body><main>{body}</main>{script}</body></html>"
    )
}

/// The body of `GET /form`.
const FORM_BODY: &str = "<h1>Form</h1><form method=\"post\" action=\"/form\"><input name=\"note\" value=\"draft\">\
         <button id=\"send\" type=\"submit\">Send</button></form>";
/// The body of `GET /cached`.
const CACHED_BODY: &str = "<h1>Cached</h1><p><a href=\"/public\">public page</a></p>";

/// The body of `POST /form`: the note, letters and digits only.
fn saved_body(note: &str) -> String {
    let note: String = note.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("<h1 id=\"saved\">Saved: {note}</h1>")
}

/// The script tag an extra page carries, when the middleware gave a context.
fn script_of(ctx: Option<auto_logout::axum::AutoLogoutContext>) -> String {
    ctx.map_or_else(String::new, |c| {
        c.context().redirect_to_login_immediately().to_string()
    })
}

async fn form_page(
    session: Session,
    ctx: Option<auto_logout::axum::AutoLogoutContext>,
) -> Response {
    if !signed_in(&session).await {
        return Redirect::to("/login?next=/form").into_response();
    }
    plain_page("Form", FORM_BODY, &script_of(ctx))
}

#[derive(serde::Deserialize)]
struct Note {
    note: String,
}

async fn form_posted(
    session: Session,
    ctx: Option<auto_logout::axum::AutoLogoutContext>,
    Form(note): Form<Note>,
) -> Response {
    if !signed_in(&session).await {
        return Redirect::to("/login?next=/form").into_response();
    }
    plain_page("Saved", &saved_body(&note.note), &script_of(ctx))
}

/// [`extra_routes`] on the actix demo: the same pages, the same HTML.
pub fn actix_extra_routes(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.route("/form", web::get().to(actix_form_page))
        .route("/form", web::post().to(actix_form_posted))
        .route("/cached", web::get().to(actix_cached_page));
}

fn actix_signed_in(session: &actix_session::Session) -> bool {
    matches!(session.get::<String>(app::USER_KEY), Ok(Some(_)))
}

fn actix_page(
    title: &str,
    body: &str,
    ctx: Option<auto_logout::actix::AutoLogoutContext>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(plain_html(title, body, &script_of(ctx)))
}

fn actix_to_login(next: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header(("location", format!("/login?next={next}")))
        .finish()
}

async fn actix_cached_page(
    session: actix_session::Session,
    ctx: Option<auto_logout::actix::AutoLogoutContext>,
) -> actix_web::HttpResponse {
    if !actix_signed_in(&session) {
        return actix_to_login("/cached");
    }
    let mut res = actix_page("Cached", CACHED_BODY, ctx);
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, no-cache"),
    );
    res
}

async fn actix_form_page(
    session: actix_session::Session,
    ctx: Option<auto_logout::actix::AutoLogoutContext>,
) -> actix_web::HttpResponse {
    if !actix_signed_in(&session) {
        return actix_to_login("/form");
    }
    actix_page("Form", FORM_BODY, ctx)
}

async fn actix_form_posted(
    session: actix_session::Session,
    ctx: Option<auto_logout::actix::AutoLogoutContext>,
    note: actix_web::web::Form<Note>,
) -> actix_web::HttpResponse {
    if !actix_signed_in(&session) {
        return actix_to_login("/form");
    }
    actix_page("Saved", &saved_body(&note.note), ctx)
}

// ---------------------------------------------------------------------------
// The browser

/// A chromedriver command under `/session/{id}/` that fantoccini has no method for.
#[derive(Debug)]
struct SessionCommand {
    path: &'static str,
    body: Json,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Kills chromedriver and everything it started (its process group), then
/// removes the profile directory: runs on drop, so also when a test panics.
struct Guard {
    driver: Option<Child>,
    dir: PathBuf,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            // chromedriver leads its own process group, and Chromium runs in it:
            // kill exactly that group (a negative id names a group).
            if let Ok(pgid) = libc::pid_t::try_from(driver.id())
                && pgid > 1
            {
                // SAFETY: kill(2) with a negative id signals only that process group.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

static ONE_AT_A_TIME: LazyLock<Arc<tokio::sync::Mutex<()>>> = LazyLock::new(Arc::default);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// What a test does when the browser binaries are missing.
fn skip_or_fail(what: &str) {
    skip_or_fail_with(what, "Debian: apt-get install chromium chromium-driver");
}

/// `true` when `file` exists. Otherwise a loud `SKIPPED:` line naming `what`
/// and `install` (how to get it) and `false`, or a panic when
/// `AUTO_LOGOUT_REQUIRE_E2E=1`.
pub fn require_file(file: &Path, what: &str, install: &str) -> bool {
    if file.is_file() {
        return true;
    }
    skip_or_fail_with(&format!("{what} ({})", file.display()), install);
    false
}

fn skip_or_fail_with(what: &str, install: &str) {
    let msg = format!(
        "SKIPPED: browser test needs {what} ({install}); \
         set AUTO_LOGOUT_REQUIRE_E2E=1 to make this a failure"
    );
    if std::env::var("AUTO_LOGOUT_REQUIRE_E2E").is_ok_and(|v| v.trim() == "1") {
        panic!("AUTO_LOGOUT_REQUIRE_E2E=1 but {what} is missing");
    }
    // Straight to the process's stderr: the test harness captures
    // `eprintln!` of passing tests, and a skip must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "\n*** {msg} ***\n");
}

/// A headless Chromium driven through chromedriver.
pub struct Browser {
    pub client: Client,
    // Field order: the client's connection goes first, then the processes.
    guard: Guard,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Browser {
    /// Starts chromedriver and Chromium with a fresh profile. `None` (after
    /// a loud `SKIPPED:` line) when a binary is missing; panics instead when
    /// `AUTO_LOGOUT_REQUIRE_E2E=1`.
    pub async fn start() -> Option<Browser> {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] with extra Chromium flags.
    pub async fn start_with(extra_args: &[&str]) -> Option<Browser> {
        let chromium = chromium_path();
        let driver_bin = chromedriver_path();
        for bin in [&chromium, &driver_bin] {
            if !bin.exists() {
                skip_or_fail(&bin.display().to_string());
                return None;
            }
        }
        let turn = ONE_AT_A_TIME.clone().lock_owned().await;
        let dir = std::env::temp_dir().join(format!(
            "auto-logout-e2e-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("create the profile directory");
        let port = free_port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(&driver_bin)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start chromedriver")
        };
        let guard = Guard {
            driver: Some(driver),
            dir,
        };
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| (*s).to_owned()).collect();
        args.extend(extra_args.iter().map(|s| (*s).to_owned()));
        args.push(format!(
            "--user-data-dir={}",
            guard.dir.join("profile").display()
        ));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium.display().to_string(), "args": args }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let wd = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&wd)
                .await
            {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("chromedriver on port {port} did not answer: {err}"),
            }
        };
        Some(Browser {
            client,
            guard,
            _turn: turn,
        })
    }

    /// Ends the WebDriver session (Chromium quits); the guard does the rest.
    pub async fn quit(self) {
        let Browser {
            client,
            guard,
            _turn,
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        drop(guard);
    }

    /// The profile directory (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.guard.dir
    }

    /// A Chrome DevTools Protocol command on the current window, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Json) -> Json {
        self.client
            .issue_cmd(SessionCommand {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// Runs `source` in every document of the current window before its own
    /// scripts (and outside the page's CSP).
    pub async fn on_new_document(&self, source: &str) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": source }),
        )
        .await;
    }

    /// Installs [`WATCH`] in the current window: CSP violations and
    /// auto-logout events, kept across navigations of that window.
    pub async fn watch(&self) {
        self.on_new_document(WATCH).await;
    }

    /// What [`WATCH`] saw in this window so far.
    pub async fn watched(&self) -> Watched {
        let v = self
            .client
            .execute(
                "var s = window.__e2eStore; var j = s && s.getItem('__e2e'); return j ? JSON.parse(j) : (window.__e2e || null);",
                vec![],
            )
            .await
            .expect("read the watch record");
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Chromium's console log since the last call (needs `goog:loggingPrefs`).
    pub async fn console(&self) -> Vec<String> {
        let v = self
            .client
            .issue_cmd(SessionCommand {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .expect("read the browser log");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["level"].as_str().unwrap_or("?"),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Polls the URL until its path is `path`; the moment it was first seen.
    pub async fn wait_for_path(&self, path: &str, timeout: Duration) -> Option<Instant> {
        until(timeout, || async {
            let url = self.client.current_url().await.ok()?;
            (url.path() == path).then(Instant::now)
        })
        .await
    }

    /// Signs in as demo/demo through the login form; waits for `/`.
    pub async fn login(&self, site: &Site) {
        self.login_at(&site.base).await;
    }

    /// [`Browser::login`] on the site at `base` (`http://host:port`): the
    /// same site under another host name keeps cookies of its own.
    pub async fn login_at(&self, base: &str) {
        self.client
            .goto(&format!("{base}/login"))
            .await
            .expect("open /login");
        let form = self
            .client
            .form(Locator::Css("form[action='/login']"))
            .await
            .expect("the login form");
        form.set_by_name("username", app::USERNAME)
            .await
            .expect("username");
        form.set_by_name("password", app::PASSWORD)
            .await
            .expect("password");
        form.submit().await.expect("submit");
        self.wait_for_path("/", Duration::from_secs(10))
            .await
            .expect("signed in: on /");
    }

    /// Asks `status` from the page, passively (like the script, marked as a
    /// probe in the recording); what the server answered and when it was asked.
    pub async fn status(&self, site: &Site) -> Probe {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = N
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_string();
        let url = format!("{}status", site.config.endpoint_prefix());
        let text = self
            .client
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 fetch(arguments[0], { headers: { 'X-Auto-Logout-Passive': '1', 'X-E2E-Probe': arguments[1] },
                                       cache: 'no-store', credentials: 'same-origin' })
                   .then(function (r) { return r.text(); })
                   .then(done, function (e) { done('fetch failed: ' + e); });",
                vec![json!(url), json!(id)],
            )
            .await
            .expect("status probe");
        let text = text.as_str().unwrap_or_default().to_owned();
        let body: Json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status answer {text:?} is not JSON: {e}"));
        let hit = site
            .log
            .hits()
            .into_iter()
            .find(|h| h.header("x-e2e-probe") == Some(id.as_str()))
            .expect("the probe reached the server");
        Probe {
            at: hit.at,
            active: body["active"].as_bool().unwrap_or(false),
            locked: body["locked"].as_bool().unwrap_or(false),
            idle_ms: body["idle_ms"].as_u64(),
            session_ms: body["session_ms"].as_u64(),
            reason: body["reason"].as_str().map(str::to_owned),
        }
    }

    /// An activity-counting request from the page that does not navigate
    /// (what a single-page app's own `fetch` does).
    pub async fn activity(&self, site: &Site) {
        self.client
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 fetch(arguments[0], { headers: { 'X-E2E-Probe': 'activity' }, credentials: 'same-origin', redirect: 'manual' })
                   .then(function () { done(true); }, function () { done(false); });",
                vec![json!(site.url("/public"))],
            )
            .await
            .expect("page-side activity");
    }
}

/// A `status` answer and when the server got the request.
#[derive(Clone, Debug)]
pub struct Probe {
    pub at: Instant,
    pub active: bool,
    /// `LOCK_AFTER`: the session is locked.
    pub locked: bool,
    pub idle_ms: Option<u64>,
    pub session_ms: Option<u64>,
    pub reason: Option<String>,
}

impl Probe {
    /// The server's idle deadline: the request's arrival plus what remained.
    pub fn idle_deadline(&self) -> Option<Instant> {
        self.idle_ms.map(|ms| self.at + Duration::from_millis(ms))
    }

    /// The server's absolute deadline.
    pub fn session_deadline(&self) -> Option<Instant> {
        self.session_ms
            .map(|ms| self.at + Duration::from_millis(ms))
    }

    /// The earlier of both.
    pub fn deadline(&self) -> Instant {
        match (self.idle_deadline(), self.session_deadline()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => panic!("no deadline: {self:?}"),
        }
    }
}

/// One auto-logout DOM event seen by [`WATCH`].
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SeenEvent {
    pub name: String,
    pub reason: Option<String>,
    pub path: String,
    /// `Date.now()` in the page.
    pub at: f64,
    /// `detail.idleAt` when it fired.
    #[serde(rename = "idleAt")]
    pub idle_at: Option<f64>,
    /// `detail.sessionAt` when it fired.
    #[serde(rename = "sessionAt")]
    pub session_at: Option<f64>,
}

/// What [`WATCH`] recorded in one window.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Watched {
    /// `securitypolicyviolation` events: directive, blocked URI, source.
    #[serde(default)]
    pub csp: Vec<String>,
    #[serde(default)]
    pub events: Vec<SeenEvent>,
    /// `pageshow` events: path and `persisted` (restored from the back/forward cache).
    #[serde(default)]
    pub pageshows: Vec<(String, bool)>,
}

/// Installed before any page script (CDP `Page.addScriptToEvaluateOnNewDocument`):
/// records `securitypolicyviolation` events, the four auto-logout events and
/// `pageshow`, in the tab's `sessionStorage` (captured now, so a later script
/// that blocks storage for the page does not block this record).
pub const WATCH: &str = r#"(function () {
  var store = null;
  try { store = window.sessionStorage; } catch (e) {}
  Object.defineProperty(window, '__e2eStore', { value: store, enumerable: false });
  function load() {
    try { var j = store && store.getItem('__e2e'); if (j) return JSON.parse(j); } catch (e) {}
    return window.__e2e || { csp: [], events: [], pageshows: [] };
  }
  function save(rec) {
    window.__e2e = rec;
    try { if (store) store.setItem('__e2e', JSON.stringify(rec)); } catch (e) {}
  }
  save(load());
  window.addEventListener('securitypolicyviolation', function (e) {
    var rec = load();
    rec.csp.push(e.violatedDirective + ' blocked=' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber + ' on ' + location.pathname);
    save(rec);
  }, true);
  ['warning', 'extended', 'before-logout', 'logout'].forEach(function (name) {
    document.addEventListener('auto-logout:' + name, function (e) {
      var rec = load(), d = e.detail || {};
      rec.events.push({ name: name, reason: d.reason || null, path: location.pathname, at: Date.now(), idleAt: d.idleAt == null ? null : d.idleAt, sessionAt: d.sessionAt == null ? null : d.sessionAt });
      save(rec);
    }, true);
  });
  window.addEventListener('pageshow', function (e) {
    var rec = load();
    rec.pageshows.push([location.pathname, !!e.persisted]);
    save(rec);
  }, true);
})();"#;

/// Installed before any page script: `localStorage` and `sessionStorage`
/// throw `SecurityError` on access, as when the user blocks site data.
pub const BLOCK_STORAGE: &str = r#"(function () {
  ['localStorage', 'sessionStorage'].forEach(function (name) {
    Object.defineProperty(window, name, {
      configurable: true,
      get: function () { throw new DOMException('storage is blocked (e2e)', 'SecurityError'); }
    });
  });
})();"#;

/// Installed before any page script: no `BroadcastChannel`, so tabs can only
/// talk through the `storage` event.
pub const NO_BROADCAST_CHANNEL: &str = r#"Object.defineProperty(window, 'BroadcastChannel', { configurable: true, value: undefined });"#;

/// Writes a screenshot: to `docs/<name>` of the repository when
/// `AUTO_LOGOUT_SCREENSHOT=1`, else into the temp dir. Returns the path.
pub fn save_screenshot(png: &[u8], name: &str) -> PathBuf {
    let path = if std::env::var("AUTO_LOGOUT_SCREENSHOT").is_ok_and(|v| v.trim() == "1") {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("docs")
            .join(name)
    } else {
        std::env::temp_dir().join(format!("auto-logout-{name}"))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the screenshot directory");
    }
    std::fs::write(&path, png).expect("write the screenshot");
    path
}

// ---------------------------------------------------------------------------
// The actix demo (`auto_logout_demos::actix_demo`) under the same recorder

impl Site {
    /// Serves the actix demo (actix-web, actix-session, Tera) with `config`
    /// and `csp`, the system clock and an in-memory session store, on a free
    /// loopback port, with the [`Recorder`] around it as on axum. The server
    /// runs on its own thread and actix system until the test process ends.
    /// It has the demo's pages and [`actix_extra_routes`].
    pub async fn start_actix(config: Config, csp: Csp) -> Site {
        Site::start_actix_with(config, csp, app::default_htmx()).await
    }

    /// [`Site::start_actix`] with the home page's htmx button on `htmx`, as
    /// [`Site::start_with`].
    pub async fn start_actix_with(config: Config, csp: Csp, htmx: Option<PathBuf>) -> Site {
        let mut settings = actix_app::Settings::new(config);
        settings.csp = csp;
        settings.htmx = htmx;
        Site::start_actix_settings(settings).await
    }

    /// The actix demo with these `settings`, as [`Site::start_settings`].
    pub async fn start_actix_settings(settings: actix_app::Settings) -> Site {
        use actix_web::dev::Service;

        let config = settings.config.clone();
        let log = Recorder::new(config.clone());
        let rec = log.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let stack = actix_app::Stack::new(
                    auto_logout::actix::AutoLogoutStore::new(actix_app::MemoryStore::default()),
                    actix_web::cookie::Key::generate(),
                );
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
                let addr = listener.local_addr().expect("the bound address");
                let server = actix_web::HttpServer::new(move || {
                    let rec = rec.clone();
                    actix_app::app(settings.clone(), stack.clone(), actix_extra_routes).wrap_fn(
                        move |req, srv| {
                            let at = Instant::now();
                            let method = Method::from_bytes(req.method().as_str().as_bytes())
                                .expect("an HTTP method");
                            let path = req.uri().path_and_query().map_or_else(
                                || req.uri().path().to_owned(),
                                |pq| pq.as_str().to_owned(),
                            );
                            let headers = http_headers(req.headers());
                            let counts = rec.counts(&method, req.path(), &headers);
                            let answer = srv.call(req);
                            let rec = rec.clone();
                            async move {
                                let res = answer.await?;
                                let out = http_headers(res.headers());
                                let text = |name: &str| {
                                    out.get(name)
                                        .and_then(|v| v.to_str().ok())
                                        .map(str::to_owned)
                                };
                                let hit = Hit {
                                    at,
                                    done: Instant::now(),
                                    method,
                                    path,
                                    headers,
                                    status: res.status().as_u16(),
                                    location: text("location"),
                                    csp: text("content-security-policy"),
                                    hx_redirect: text("hx-redirect"),
                                    counts,
                                };
                                rec.hits.lock().unwrap().push(hit);
                                Ok(res)
                            }
                        },
                    )
                })
                .workers(2)
                .listen(listener)
                .expect("listen")
                .disable_signals()
                .run();
                tx.send(addr).expect("the test waits for the address");
                let _ = server.await;
            });
        });
        let addr = rx.recv().expect("the actix demo starts");
        Site {
            base: format!("http://{addr}"),
            log,
            config,
        }
    }
}

/// actix-web's headers as `http` 1 headers, for a [`Hit`].
fn http_headers(from: &actix_web::http::header::HeaderMap) -> HeaderMap {
    let mut to = HeaderMap::new();
    for (name, value) in from {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_str().as_bytes()),
            axum::http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            to.append(name, value);
        }
    }
    to
}
