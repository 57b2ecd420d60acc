//! The demo site (axum + MiniJinja + auto-logout): `examples/demo.rs` runs it
//! ([`run_from_env`]), and the tests build the same stack in-process, with their
//! own configuration, clock and session store, on a free port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auto_logout::axum::{
    AutoLogout, AutoLogoutContext, AutoLogoutLayer, AutoLogoutStore, RequireRecentLoginLayer,
    StoreErrorsLayer,
};
use auto_logout::{
    Config, GuardedStore, LoginError, ManualClock, Nonce, SessionIndexError, SessionLimits, SignIn,
    engine,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_messages::{Messages, MessagesManagerLayer};
use minijinja::{Environment, Value, context};
use serde_json::{Map, Value as Json};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Session, SessionManagerLayer, SessionStore};

use crate::sessions::{self, SessionRow, Sweeper};

/// The one user of the demo.
pub const USERNAME: &str = "demo";
/// Their password.
pub const PASSWORD: &str = "demo";
/// Where the demo keeps the signed-in user in the session.
pub const USER_KEY: &str = "user";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "id";

/// The defaults of SPEC §6: short enough to watch it work.
pub const DEFAULT_IDLE_TIME: i64 = 60;
pub const DEFAULT_SESSION_TIME: i64 = 300;
pub const DEFAULT_WARN_BEFORE: i64 = 20;
pub const DEFAULT_MESSAGE: &str = "The session has expired. Please login again to continue.";
/// The message after the user signed this session out from another one
/// ("Your sessions"), or an administrator signed them out everywhere.
pub const DEFAULT_REVOKED_MESSAGE: &str = "You were signed out from another session.";
/// The message after a newer sign-in took this session's place
/// (`MAX_SESSIONS_PER_USER`, `evict-oldest`).
pub const DEFAULT_REPLACED_MESSAGE: &str =
    "You were signed out because you signed in on another device.";
/// The absolute limit of a session signed in with "Keep me signed in"
/// (`DEMO_REMEMBER_SESSION_TIME`): a working day.
pub const DEFAULT_REMEMBER_SESSION_TIME: std::time::Duration =
    std::time::Duration::from_secs(8 * 60 * 60);

/// How the page carries the script, and the `Content-Security-Policy` it sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Csp {
    /// No CSP header; the script inline (the default).
    #[default]
    Off,
    /// `script-src 'self'; style-src 'self'`, the script as a file served by the layer.
    Strict,
    /// The script inline with a per-response nonce.
    Nonce,
}

/// Everything that makes one demo instance.
#[derive(Clone, Debug)]
pub struct Settings {
    pub config: Config,
    /// `None`: the system clock.
    pub clock: Option<ManualClock>,
    pub csp: Csp,
    /// `false` runs the same site without the auto-logout layer (for measuring it).
    pub auto_logout: bool,
    /// The htmx file behind the home page's refresh button, served as
    /// `/static/htmx.js`; `None`: the page without the button.
    pub htmx: Option<std::path::PathBuf>,
    /// The absolute limit of a session signed in with "Keep me signed in"
    /// (`remember=on`); `None`: the checkbox changes nothing.
    pub remember_session_time: Option<std::time::Duration>,
    /// Changes to the auto-logout layer or middleware (tests add a logout hook
    /// or a signed-in key here).
    pub customize: Customize,
}

impl Settings {
    /// The demo with this configuration, the system clock, no CSP. "Keep me
    /// signed in" gives the longest absolute limit the configuration allows
    /// (`MAX_SESSION_TIME`), at most [`DEFAULT_REMEMBER_SESSION_TIME`].
    pub fn new(config: Config) -> Self {
        let remember_session_time = config
            .max_session_time()
            .map(|maximum| maximum.min(DEFAULT_REMEMBER_SESSION_TIME));
        Settings {
            config,
            clock: None,
            csp: Csp::Off,
            auto_logout: true,
            htmx: default_htmx(),
            remember_session_time,
            customize: Customize::default(),
        }
    }

    /// Reads the environment through `var`:
    /// `AUTO_LOGOUT_<KEY>` for every configuration key (`IDLE_TIME`,
    /// `SESSION_TIME`, `WARN_BEFORE`, `MESSAGE`, `REDIRECT_TO_LOGIN_IMMEDIATELY`,
    /// `REVOKED_MESSAGE`, `REPLACED_MESSAGE`, and the others, e.g. `LOGIN_URL`,
    /// `IDLE_MESSAGE`, `MAX_SESSIONS_PER_USER`, `SESSION_LIMIT_POLICY`,
    /// `SWEEP_INTERVAL`, `PASSIVE_PATHS` as a comma-separated list), `DEMO_CSP` (`strict`, `nonce` or `off`),
    /// `DEMO_AUTO_LOGOUT` (`off` to leave the layer out) and
    /// `DEMO_REMEMBER_SESSION_TIME` (the absolute limit of a session signed in
    /// with "Keep me signed in", default 8 h; `MAX_SESSION_TIME` is set to
    /// allow it unless `AUTO_LOGOUT_MAX_SESSION_TIME` is given). An empty
    /// value unsets a key.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let remember = remember_session_time(&var)?;
        let mut map = Map::new();
        map.insert("IDLE_TIME".into(), DEFAULT_IDLE_TIME.into());
        map.insert("SESSION_TIME".into(), DEFAULT_SESSION_TIME.into());
        map.insert("MESSAGE".into(), DEFAULT_MESSAGE.into());
        map.insert("REDIRECT_TO_LOGIN_IMMEDIATELY".into(), true.into());
        map.insert("PASSIVE_PATHS".into(), Json::from(vec!["/static/"]));
        for key in [
            "IDLE_TIME",
            "SESSION_TIME",
            "MESSAGE",
            "IDLE_MESSAGE",
            "SESSION_MESSAGE",
            "REDIRECT_TO_LOGIN_IMMEDIATELY",
            "WARN_BEFORE",
            "LOGIN_URL",
            "PASSIVE_PATHS",
            "WRITE_RESOLUTION",
            "ENDPOINT_PREFIX",
            "WARN_TITLE",
            "WARN_IDLE_TEXT",
            "WARN_SESSION_TEXT",
            "WARN_STAY_LABEL",
            "WARN_CLASS",
            "CLIENT_ACTIVITY",
            "WARN_STYLESHEET",
            "MAX_IDLE_TIME",
            "MAX_SESSION_TIME",
            "LOCK_AFTER",
            "UNLOCK_ATTEMPTS",
            "UNLOCK_FAILED_MESSAGE",
            "SIGN_IN_AGAIN",
            "TITLE_COUNTDOWN",
            "LOGOUT_ON_TABS_CLOSED",
            "TABS_CLOSED_MESSAGE",
            "REVOKED_MESSAGE",
            "REPLACED_MESSAGE",
            "MAX_SESSIONS_PER_USER",
            "SESSION_LIMIT_POLICY",
            "SWEEP_INTERVAL",
        ] {
            let Some(raw) = var(&format!("AUTO_LOGOUT_{key}")) else {
                continue;
            };
            let raw = raw.trim();
            if raw.is_empty() {
                map.remove(key);
                continue;
            }
            let value = match key {
                "REDIRECT_TO_LOGIN_IMMEDIATELY"
                | "CLIENT_ACTIVITY"
                | "WARN_STYLESHEET"
                | "SIGN_IN_AGAIN"
                | "TITLE_COUNTDOWN" => {
                    match raw.to_ascii_lowercase().as_str() {
                        "1" | "true" | "yes" | "on" => Json::Bool(true),
                        "0" | "false" | "no" | "off" => Json::Bool(false),
                        _ => Json::String(raw.to_owned()), // the config error names it
                    }
                }
                "PASSIVE_PATHS" => raw
                    .split(',')
                    .map(|p| Json::String(p.trim().to_owned()))
                    .collect(),
                _ => match raw.parse::<i64>() {
                    Ok(n) if key.ends_with("_TIME") || key.ends_with("_BEFORE") => n.into(),
                    Ok(n)
                        if matches!(
                            key,
                            "WRITE_RESOLUTION"
                                | "LOCK_AFTER"
                                | "LOGOUT_ON_TABS_CLOSED"
                                | "SWEEP_INTERVAL"
                        ) =>
                    {
                        n.into()
                    }
                    Ok(n) if matches!(key, "UNLOCK_ATTEMPTS" | "MAX_SESSIONS_PER_USER") => n.into(),
                    _ => Json::String(raw.to_owned()),
                },
            };
            map.insert(key.to_owned(), value);
        }
        // "Keep me signed in" is allowed up to its own limit: MAX_SESSION_TIME
        // is that limit when it is longer than SESSION_TIME (or SESSION_TIME is
        // off), unless it was given.
        if !map.contains_key("MAX_SESSION_TIME") {
            let probe = probe_config(&map)?;
            if probe.has_limit() && probe.session_time().is_none_or(|limit| remember > limit) {
                map.insert(
                    "MAX_SESSION_TIME".into(),
                    format!("{}ms", remember.as_millis()).into(),
                );
            }
        }
        // The default warning only where it fits: with the script on, and
        // shorter than both limits (an explicit WARN_BEFORE is validated as given).
        if var("AUTO_LOGOUT_WARN_BEFORE").is_none() {
            let probe = probe_config(&map)?;
            let warn = std::time::Duration::from_secs(DEFAULT_WARN_BEFORE as u64);
            let fits = |limit: Option<std::time::Duration>| limit.is_none_or(|l| warn < l);
            if probe.redirect_to_login_immediately()
                && fits(probe.idle_time())
                && fits(probe.session_time())
            {
                map.insert("WARN_BEFORE".into(), DEFAULT_WARN_BEFORE.into());
            }
        }
        // The messages after a sign-out from elsewhere, where a limit allows
        // messages (an explicit one is validated as given).
        for (key, default) in [
            ("REVOKED_MESSAGE", DEFAULT_REVOKED_MESSAGE),
            ("REPLACED_MESSAGE", DEFAULT_REPLACED_MESSAGE),
        ] {
            if var(&format!("AUTO_LOGOUT_{key}")).is_none() && probe_config(&map)?.has_limit() {
                map.insert(key.into(), default.into());
            }
        }
        let config = Config::from_value(Json::Object(map)).map_err(|e| e.to_string())?;
        let csp = match var("DEMO_CSP").as_deref().map(str::trim) {
            None | Some("") | Some("off") => Csp::Off,
            Some("strict") => Csp::Strict,
            Some("nonce") => Csp::Nonce,
            Some(other) => {
                return Err(format!(
                    "DEMO_CSP = {other:?} is not allowed: expected strict, nonce or off"
                ));
            }
        };
        let auto_logout = match var("DEMO_AUTO_LOGOUT").as_deref().map(str::trim) {
            None | Some("") | Some("on") | Some("1") | Some("true") => true,
            Some("off") | Some("0") | Some("false") => false,
            Some(other) => {
                return Err(format!(
                    "DEMO_AUTO_LOGOUT = {other:?} is not allowed: expected on or off"
                ));
            }
        };
        let remember_session_time = config
            .max_session_time()
            .map(|maximum| maximum.min(remember));
        Ok(Settings {
            config,
            clock: None,
            csp,
            auto_logout,
            remember_session_time,
            // DEMO_HTMX: the htmx file to serve (empty: none).
            htmx: match var("DEMO_HTMX") {
                None => default_htmx(),
                Some(path) if path.trim().is_empty() => None,
                Some(path) => Some(path.trim().into()),
            },
            customize: Customize::default(),
        })
    }
}

/// The configuration of `map` without the keys that need `WARN_BEFORE`, for
/// choosing the defaults that depend on the limits (the full map is checked
/// after them).
fn probe_config(map: &Map<String, Json>) -> Result<Config, String> {
    let mut map = map.clone();
    for needs_the_warning in ["SIGN_IN_AGAIN", "TITLE_COUNTDOWN"] {
        map.remove(needs_the_warning);
    }
    Config::from_value(Json::Object(map)).map_err(|e| e.to_string())
}

/// `DEMO_REMEMBER_SESSION_TIME` read through `var`, in the human forms of the
/// configuration's times (`8h`, `30m`, `90s`, whole seconds), default 8 h.
pub fn remember_session_time(
    var: impl Fn(&str) -> Option<String>,
) -> Result<std::time::Duration, String> {
    const NAME: &str = "DEMO_REMEMBER_SESSION_TIME";
    let Some(raw) = var(NAME).filter(|raw| !raw.trim().is_empty()) else {
        return Ok(DEFAULT_REMEMBER_SESSION_TIME);
    };
    let raw = raw.trim();
    // Read as the configuration reads a time, so the same forms work and a
    // refusal says what is allowed.
    let value = match raw.parse::<i64>() {
        Ok(seconds) => Json::from(seconds),
        Err(_) => Json::String(raw.to_owned()),
    };
    let mut probe = Map::new();
    probe.insert("SESSION_TIME".into(), value);
    Config::from_value(Json::Object(probe))
        .map(|config| {
            config
                .session_time()
                .unwrap_or(DEFAULT_REMEMBER_SESSION_TIME)
        })
        .map_err(|e| e.to_string().replacen("SESSION_TIME", NAME, 1))
}

/// Whether the page's idle and absolute countdowns are on: the limits in
/// force for this session (its own, or the configured ones).
pub fn countdowns_on(ctx: &AutoLogoutContext) -> (bool, bool) {
    match ctx.remaining() {
        Some(remaining) => (
            remaining.idle_millis().is_some(),
            remaining.session_millis().is_some(),
        ),
        None => (
            ctx.config().idle_time().is_some(),
            ctx.config().session_time().is_some(),
        ),
    }
}

#[derive(Clone)]
struct AppState {
    templates: Arc<Environment<'static>>,
    csp: Csp,
    nonces: Arc<NonceSource>,
    htmx: Option<Arc<std::path::PathBuf>>,
    remember_session_time: Option<std::time::Duration>,
    /// Stops the app's sweeper when the last copy of the app is dropped.
    _sweeper: Option<Arc<Sweeper>>,
}

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("home.html", include_str!("../templates/home.html")),
        ("public.html", include_str!("../templates/public.html")),
        ("account.html", include_str!("../templates/account.html")),
        (
            "reauthenticate.html",
            include_str!("../templates/reauthenticate.html"),
        ),
        ("sessions.html", include_str!("../templates/sessions.html")),
    ] {
        env.add_template(name, source)
            .expect("the demo's templates parse");
    }
    // `seconds_until_*` and `redirect_to_login_immediately` for every page.
    auto_logout::minijinja::register(&mut env);
    env
}

/// The demo's routes with their layers, over `store`.
pub fn router<S: SessionStore + Clone>(settings: &Settings, store: S) -> Router {
    router_with(settings, store, Router::new())
}

/// [`router`] with `extra` routes behind the same layers (tests add routes here).
///
/// `store` is wrapped in an [`AutoLogoutStore`] here, so that a logout stays
/// final; the session layer and the auto-logout layer share that wrapper.
pub fn router_with<S: SessionStore + Clone>(
    settings: &Settings,
    store: S,
    extra: Router,
) -> Router {
    guarded_router_with(settings, AutoLogoutStore::new(store), extra)
}

/// [`router_with`] over a store that keeps a logout final by itself: the
/// crate's [`RedisStore`](auto_logout::redis::RedisStore) (or a store already
/// wrapped in [`AutoLogoutStore`]).
pub fn guarded_router_with<S: SessionStore + GuardedStore + Clone>(
    settings: &Settings,
    store: S,
    extra: Router,
) -> Router {
    // The lock dialog's and "Sign in again"'s password: the signed-in
    // user's (`demo`).
    let layer = settings.auto_logout.then(|| {
        let mut layer =
            AutoLogoutLayer::new(settings.config.clone(), &store).on_unlock(check_password);
        if let Some(clock) = &settings.clock {
            layer = layer.with_clock(clock.clone());
        }
        if let Some(customize) = &settings.customize.axum {
            layer = customize(layer);
        }
        layer
    });
    let state = AppState {
        templates: Arc::new(templates()),
        csp: settings.csp,
        nonces: Arc::new(NonceSource::default()),
        htmx: settings.htmx.clone().map(Arc::new),
        remember_session_time: settings.remember_session_time,
        // One sweeper per app: it ends the sessions nobody came back to
        // (and takes them out of "Your sessions").
        _sweeper: layer
            .as_ref()
            .and_then(|layer| {
                Sweeper::spawn(settings.config.sweep_interval(), layer.handle().sweeper())
            })
            .map(Arc::new),
    };
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route("/public", get(public))
        .route("/static/demo.css", get(css))
        .route("/static/demo.js", get(js))
        .route("/static/htmx.js", get(htmx_js))
        .route("/fragments/idle", get(idle_fragment))
        .route(
            "/reauthenticate",
            get(reauthenticate_form).post(reauthenticate_submit),
        );
    // "Sudo mode": the account page needs a sign-in or a confirmation of the
    // password within RECENT_LOGIN (the guard needs the auto-logout layer).
    let app = if settings.auto_logout {
        app.merge(Router::new().route("/account", get(account)).route_layer(
            RequireRecentLoginLayer::new(RECENT_LOGIN, "/reauthenticate"),
        ))
        // "Your sessions" and the administrator's "sign out everywhere" (the
        // index of sessions is the layer's: without it the pages are not there).
        .route("/sessions", get(sessions_page))
        .route("/sessions/others/logout", post(sign_out_others))
        .route("/sessions/{handle}/logout", post(sign_out_one))
        .route("/admin/users/{user}/logout", post(sign_out_user))
    } else {
        app
    };
    let app = app.with_state(state).merge(extra);
    // Each layer wraps the ones before it: messages innermost, then
    // auto-logout, then sessions. The auto-logout layer reads the session
    // first, so a store outage gets its 503.
    let app = app.layer(MessagesManagerLayer);
    let app = match layer {
        Some(layer) => app.layer(layer),
        None => app,
    };
    app.layer(
        SessionManagerLayer::new(store)
            .with_name(SESSION_COOKIE)
            .with_secure(false)
            .with_same_site(SameSite::Lax),
    )
    // Outermost: a session that cannot be written after the page answered
    // gets the crate's 503, not tower-sessions' empty 500.
    .layer(StoreErrorsLayer)
}

/// How recent a sign-in (or a confirmation of the password) the account page
/// needs.
pub const RECENT_LOGIN: std::time::Duration = std::time::Duration::from_secs(120);

/// The account page, behind [`RequireRecentLoginLayer`].
async fn account(State(state): State<AppState>) -> Response {
    render(
        &state,
        "account.html",
        context! { minutes => RECENT_LOGIN.as_secs() / 60 },
        None,
    )
}

/// The page that confirms the password for the account page.
async fn reauthenticate_form(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
) -> Response {
    render(
        &state,
        "reauthenticate.html",
        context! {
            minutes => RECENT_LOGIN.as_secs() / 60,
            next => safe_next(query.next.as_deref()),
        },
        None,
    )
}

/// The form of the demo's `/reauthenticate` page.
#[derive(serde::Deserialize)]
pub struct ReauthenticateForm {
    /// The password as typed.
    pub password: String,
    /// Where to go after it.
    pub next: Option<String>,
}

/// Checks the password, restarts both clocks (`AutoLogout::reauthenticated`)
/// and goes on to `next`.
async fn reauthenticate_submit(
    State(state): State<AppState>,
    auto_logout: Option<AutoLogout>,
    session: Session,
    Form(form): Form<ReauthenticateForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    let user: Option<String> = session.get(USER_KEY).await.ok().flatten();
    if !is_demo_password(user.as_deref(), &form.password) {
        let mut res = render(
            &state,
            "reauthenticate.html",
            context! {
                minutes => RECENT_LOGIN.as_secs() / 60,
                next => next,
                error => "Wrong password.",
            },
            None,
        );
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        return res;
    }
    match auto_logout.map(|auto_logout| async move { auto_logout.reauthenticated(&session).await })
    {
        None => Redirect::to(&next).into_response(),
        Some(reauthenticated) => match reauthenticated.await {
            Ok(true) => Redirect::to(&next).into_response(),
            // Not signed in any more: sign in anew.
            Ok(false) => Redirect::to(&engine::login_location("/login", &next)).into_response(),
            Err(err) => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("session store: {err}"),
            )
                .into_response(),
        },
    }
}

/// The demo's password check for the lock dialog and "Sign in again": the
/// session's user is the demo user and the password is theirs.
async fn check_password(
    attempt: auto_logout::axum::UnlockAttempt,
) -> Result<bool, tower_sessions::session::Error> {
    let user: Option<String> = attempt.session.get(USER_KEY).await?;
    Ok(is_demo_password(user.as_deref(), &attempt.password))
}

/// Whether `password` is the password of `user`, the demo's only user.
pub fn is_demo_password(user: Option<&str>, password: &str) -> bool {
    user == Some(USERNAME) && password == PASSWORD
}

/// Binds `addr` and serves `router` on a background task; returns the bound
/// address (use `127.0.0.1:0` for a free port).
pub async fn spawn(router: Router, addr: &str) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(local)
}

/// How long a Redis command (a session load, save or delete) may take before
/// the request gets an error answer instead of waiting.
pub const REDIS_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// A session store on Redis at `url` (`redis://host:port`), for several instances,
/// configured to survive an outage: every command gives up after
/// [`REDIS_COMMAND_TIMEOUT`] (so a request answers with an error instead of
/// hanging while Redis is down), and each connection of the pool reconnects
/// forever with exponential backoff (100 ms doubling up to 2 s), so service
/// resumes by itself when Redis is back.
pub async fn redis_store(
    url: &str,
) -> Result<
    tower_sessions_redis_store::RedisStore<tower_sessions_redis_store::fred::prelude::Pool>,
    tower_sessions_redis_store::fred::error::Error,
> {
    use std::time::Duration;
    use tower_sessions_redis_store::fred::prelude::{
        Builder, ClientLike, Config as RedisConfig, ReconnectPolicy,
    };
    use tower_sessions_redis_store::fred::types::config::UnresponsiveConfig;
    let pool = Builder::from_config(RedisConfig::from_url(url)?)
        .with_performance_config(|performance| {
            performance.default_command_timeout = REDIS_COMMAND_TIMEOUT;
        })
        .with_connection_config(|connection| {
            connection.connection_timeout = REDIS_COMMAND_TIMEOUT;
            connection.internal_command_timeout = REDIS_COMMAND_TIMEOUT;
            // A connection that stops answering is closed and reconnected.
            connection.unresponsive = UnresponsiveConfig {
                max_timeout: Some(REDIS_COMMAND_TIMEOUT),
                interval: Duration::from_millis(500),
            };
        })
        // max_attempts 0: never give up; delays from 100 ms, doubling, at most 2 s.
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
        .build_pool(4)?;
    pool.init().await?;
    Ok(tower_sessions_redis_store::RedisStore::new(pool))
}

/// The login page's query (both demos).
#[derive(serde::Deserialize)]
pub struct NextQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
    /// Set by the logout handler's redirect: the page tells the other tabs.
    pub signed_out: Option<String>,
}

/// The home page's options: `?lang=de` shows the warning in German, `?bare=1`
/// leaves the demo's stylesheet out (the warning's own stylesheet still comes).
#[derive(serde::Deserialize)]
pub struct PageQuery {
    /// `de` for German warning texts.
    pub lang: Option<String>,
    /// Set: no demo stylesheet.
    pub bare: Option<String>,
}

/// The warning's texts in the page's language (`None`: the configured ones).
pub fn warning_texts(lang: &str) -> auto_logout::PageTexts<'static> {
    match lang {
        "de" => auto_logout::PageTexts {
            title: Some("Ihre Sitzung endet bald"),
            idle_text: Some("Sie werden wegen Inaktivität abgemeldet."),
            session_text: Some("Ihre Sitzung erreicht ihr Zeitlimit."),
            stay_label: Some("Angemeldet bleiben"),
        },
        _ => auto_logout::PageTexts::default(),
    }
}

/// The sign-in form's fields (both demos).
#[derive(serde::Deserialize)]
pub struct LoginForm {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// Where to go after signing in.
    pub next: Option<String>,
    /// `on` for "Keep me signed in".
    pub remember: Option<String>,
}

impl LoginForm {
    /// The session's own limits: "Keep me signed in" checked gives the
    /// absolute limit `remember` (when the demo has one) and the configured
    /// idle limit; unchecked, the configured limits.
    pub fn limits(&self, remember: Option<std::time::Duration>) -> SessionLimits {
        match (self.remember.as_deref(), remember) {
            (Some("on"), Some(remember)) => SessionLimits::new().session_time(remember),
            _ => SessionLimits::new(),
        }
    }
}

/// `next` when it stays on this site, else `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    next.and_then(engine::safe_next).unwrap_or("/")
}

fn render(state: &AppState, name: &str, ctx: Value, nonce: Option<&str>) -> Response {
    match state
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => {
            let mut res = Html(html).into_response();
            let policy = match (state.csp, nonce) {
                (Csp::Off, _) => None,
                (Csp::Strict, _) | (Csp::Nonce, None) => {
                    Some("script-src 'self'; style-src 'self'".to_owned())
                }
                (Csp::Nonce, Some(n)) => {
                    Some(format!("script-src 'self' 'nonce-{n}'; style-src 'self'"))
                }
            };
            if let Some(value) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
                res.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, value);
            }
            res
        }
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("template error: {err}"),
        )
            .into_response(),
    }
}

async fn signed_in_user(session: &Session) -> Option<String> {
    session.get::<String>(USER_KEY).await.ok().flatten()
}

/// For `data-` attributes read by the page's script.
fn on(yes: bool) -> &'static str {
    if yes { "true" } else { "false" }
}

async fn home(
    State(state): State<AppState>,
    session: Session,
    ctx: Option<AutoLogoutContext>,
    Query(page): Query<PageQuery>,
) -> Response {
    let lang = if page.lang.as_deref() == Some("de") {
        "de"
    } else {
        "en"
    };
    let bare = page.bare.is_some();
    let Some(user) = signed_in_user(&session).await else {
        // The app's own login guard, as Django's @login_required.
        return Redirect::to("/login?next=/").into_response();
    };
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    let Some(ctx) = ctx else {
        // Without the layer: the globals `register` added give the anonymous values.
        return render(
            &state,
            "home.html",
            context! { user => user, idle_on => on(false), session_on => on(false), htmx => state.htmx.is_some(), lang => lang, bare => bare },
            None,
        );
    };
    let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
        (Csp::Strict, _) => ctx.external(),
        (Csp::Nonce, Some(Ok(nonce))) => ctx.with_nonce(nonce),
        _ => ctx.context(),
    };
    let values = values.with_texts(warning_texts(lang));
    let (idle_on, session_on) = countdowns_on(&ctx);
    render(
        &state,
        "home.html",
        context! {
            user => user,
            idle_on => on(idle_on),
            session_on => on(session_on),
            seconds_until_idle_end => values.seconds_until_idle_end(),
            seconds_until_session_end => values.seconds_until_session_end(),
            redirect_to_login_immediately => auto_logout::minijinja::script_tag(&values),
            htmx => state.htmx.is_some(),
            lang => lang,
            bare => bare,
            client_activity => ctx.config().client_activity(),
            sessions_link => true,
        },
        nonce.as_deref(),
    )
}

async fn login_form(
    State(state): State<AppState>,
    messages: Messages,
    Query(query): Query<NextQuery>,
    ctx: Option<AutoLogoutContext>,
) -> Response {
    let mut messages: Vec<String> = messages.map(|m| m.message).collect();
    // With LOGIN_URL, a session that expired on this very request is not
    // flashed: its message is for this page.
    let expired_now = ctx.as_ref().and_then(|ctx| ctx.expiry_message());
    messages.extend(expired_now.map(str::to_owned));
    // Right after a sign-out the page carries the signal that makes the
    // user's other tabs leave too (each asks the server first).
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    let signed_out = match (&ctx, query.signed_out.is_some()) {
        (Some(ctx), true) => {
            let values = ctx.config().signed_out_context();
            let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
                (Csp::Strict, _) => values.external(),
                (Csp::Nonce, Some(Ok(nonce))) => values.with_nonce(nonce),
                _ => values,
            };
            auto_logout::minijinja::script_tag(&values)
        }
        _ => Value::from(""),
    };
    render(
        &state,
        "login.html",
        context! {
            messages => messages,
            next => safe_next(query.next.as_deref()),
            username => "",
            redirect_to_login_immediately => signed_out,
        },
        nonce.as_deref(),
    )
}

async fn login_submit(
    State(state): State<AppState>,
    auto_logout: Option<AutoLogout>,
    session: Session,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    if form.username != USERNAME || form.password != PASSWORD {
        let mut res = render(
            &state,
            "login.html",
            context! {
                messages => Vec::<String>::new(),
                error => "Wrong username or password.",
                next => next,
                username => form.username,
            },
            None,
        );
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        return res;
    }
    let limits = form.limits(state.remember_session_time);
    let started = async {
        match auto_logout {
            // Starts this session's clocks (and cycles its id), with the
            // limits of "Keep me signed in" when it was checked.
            // Indexed under the user, for "Your sessions" and "sign out everywhere".
            Some(auto_logout) => {
                let user_agent = headers
                    .get(axum::http::header::USER_AGENT)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                let sign_in = SignIn::user(USERNAME).user_agent(user_agent);
                auto_logout
                    .sign_in_with_limits(&session, sign_in, &limits)
                    .await?
            }
            None => session.cycle_id().await.map_err(LoginError::Session)?,
        }
        // The user only once the sign-in was accepted: a refused one
        // (`refuse-new`) signs nobody in.
        session
            .insert(USER_KEY, USERNAME)
            .await
            .map_err(LoginError::Session)
    };
    match started.await {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(LoginError::TooManySessions { max }) => {
            let mut res = render(
                &state,
                "login.html",
                context! {
                    messages => Vec::<String>::new(),
                    error => too_many_sessions(max),
                    next => next,
                    username => form.username,
                },
                None,
            );
            *res.status_mut() = StatusCode::CONFLICT;
            res
        }
        Err(LoginError::Limits(err)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response()
        }
        Err(LoginError::Session(err)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("session store: {err}"),
        )
            .into_response(),
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response(),
    }
}

/// What the login page says when `SESSION_LIMIT_POLICY` is `refuse-new`
/// and the user is signed in `max` times already.
pub fn too_many_sessions(max: u32) -> String {
    format!(
        "You are signed in on {max} devices already, the most allowed. Sign out on one of them first."
    )
}

async fn logout(auto_logout: Option<AutoLogout>, session: Session, messages: Messages) -> Response {
    // An anonymous visitor (a cross-site form can send this): nothing to end,
    // and nothing is stored for them.
    match session.get::<String>(USER_KEY).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(err) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("session store: {err}"),
            )
                .into_response();
        }
    }
    // The record is deleted; what is stored next (the message) gets a new id.
    let ended = match auto_logout {
        Some(auto_logout) => auto_logout.logout(&session).await,
        None => match session.flush().await {
            Ok(()) => session.cycle_id().await,
            Err(err) => Err(err),
        },
    };
    if let Err(err) = ended {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("session store: {err}"),
        )
            .into_response();
    }
    let _ = messages.info("You have been signed out.");
    // The login page after a sign-out tells the user's other tabs.
    Redirect::to("/login?signed_out=1").into_response()
}

/// The signed-in user, or the answer for a request without one: a
/// `POST` from an anonymous visitor goes to the sign-in page, and nothing is
/// done or stored for it. A form another site submits is such a visitor: the
/// session cookie is `SameSite=Lax`, so the browser leaves it out of a
/// cross-site `POST` (the protection of `POST /logout`, the same here).
async fn user_or_answer(session: &Session) -> Result<String, Response> {
    match session.get::<String>(USER_KEY).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(err) => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            format!("session store: {err}"),
        )
            .into_response()),
    }
}

/// The answer when the index of sessions failed.
fn index_failed(err: SessionIndexError) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response()
}

/// "Your sessions": every session of the signed-in user (`own_sessions`),
/// with when each started, was last used and ends, and a "Sign out" for each
/// but this one; "Sign out everywhere else" below.
async fn sessions_page(
    State(state): State<AppState>,
    auto_logout: AutoLogout,
    ctx: Option<AutoLogoutContext>,
    session: Session,
    messages: Messages,
) -> Response {
    let Some(user) = signed_in_user(&session).await else {
        // The app's own login guard, as on the home page.
        return Redirect::to("/login?next=/sessions").into_response();
    };
    let messages: Vec<String> = messages.map(|m| m.message).collect();
    let (rows, error) = match auto_logout.own_sessions(&session).await {
        Ok(listed) => (SessionRow::all(&listed, auto_logout.now()), None),
        Err(SessionIndexError::NotSignedIn) => (Vec::new(), Some(sessions::NOT_INDEXED)),
        Err(err) => return index_failed(err),
    };
    let others = rows.iter().any(|row| !row.current);
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    let script = ctx.map_or_else(
        || Value::from(""),
        |ctx| {
            let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
                (Csp::Strict, _) => ctx.external(),
                (Csp::Nonce, Some(Ok(nonce))) => ctx.with_nonce(nonce),
                _ => ctx.context(),
            };
            auto_logout::minijinja::script_tag(&values)
        },
    );
    render(
        &state,
        "sessions.html",
        context! {
            user => user,
            messages => messages,
            error => error,
            sessions => rows.into_iter().map(row_value).collect::<Vec<_>>(),
            others => others,
            redirect_to_login_immediately => script,
        },
        nonce.as_deref(),
    )
}

/// A row of "Your sessions" for MiniJinja (Tera takes the row as it is).
fn row_value(row: SessionRow) -> Value {
    let when = |when: sessions::When| {
        context! { iso => when.iso, text => when.text, relative => when.relative }
    };
    context! {
        handle => row.handle,
        current => row.current,
        client => row.client,
        signed_in => when(row.signed_in),
        last_activity => when(row.last_activity),
        idle_ends => row.idle_ends.map(when),
        session_ends => row.session_ends.map(when),
    }
}

/// "Sign out everywhere else": every other session of this user ends
/// (reason `revoked`: each one's next request, or its open page at its next
/// status check, goes to the sign-in page with `REVOKED_MESSAGE`).
async fn sign_out_others(
    auto_logout: AutoLogout,
    session: Session,
    messages: Messages,
) -> Response {
    if let Err(answer) = user_or_answer(&session).await {
        return answer;
    }
    let _ = match auto_logout.log_out_other_sessions(&session).await {
        Ok(ended) => messages.info(sessions::others_signed_out(ended)),
        Err(SessionIndexError::NotSignedIn) => messages.error(sessions::NOT_INDEXED),
        Err(err) => return index_failed(err),
    };
    Redirect::to("/sessions").into_response()
}

/// A session's "Sign out": the session of this user with this handle ends
/// (a handle never reaches another user's session).
async fn sign_out_one(
    auto_logout: AutoLogout,
    session: Session,
    messages: Messages,
    Path(handle): Path<String>,
) -> Response {
    let user = match user_or_answer(&session).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    match auto_logout.revoke(&user, &handle).await {
        Ok(ended) => {
            let _ = messages.info(sessions::one_signed_out(ended));
            Redirect::to("/sessions").into_response()
        }
        Err(err) => index_failed(err),
    }
}

/// The administrator's "sign out everywhere": every session of `user` ends.
/// In the demo the administrator is the signed-in `demo` user (its only
/// user), so it signs itself out too: its own session is then ended as by
/// "Sign out" and the browser goes to the sign-in page, which tells its
/// other tabs. For another user, back to "Your sessions".
async fn sign_out_user(
    auto_logout: AutoLogout,
    session: Session,
    messages: Messages,
    Path(user): Path<String>,
) -> Response {
    match user_or_answer(&session).await {
        Ok(admin) if admin == USERNAME => {}
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(answer) => return answer,
    }
    let ended = match auto_logout.log_out_everywhere(&user).await {
        Ok(ended) => ended,
        Err(err) => return index_failed(err),
    };
    if user != USERNAME {
        let _ = messages.info(sessions::user_signed_out(&user, ended));
        return Redirect::to("/sessions").into_response();
    }
    // This session was one of them: what is stored next (the message) gets
    // a new id.
    if let Err(err) = auto_logout.logout(&session).await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("session store: {err}"),
        )
            .into_response();
    }
    let _ = messages.info(sessions::user_signed_out(&user, ended));
    Redirect::to("/login?signed_out=1").into_response()
}

async fn public(State(state): State<AppState>) -> Response {
    render(&state, "public.html", context! {}, None)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/demo.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/demo.js"),
    )
}

/// CSP nonces for the demo: 128 bits from the standard library's randomly
/// keyed SipHash over a counter, as hex (a real app would use its CSPRNG).
#[derive(Default)]
struct NonceSource {
    counter: AtomicU64,
    keys: std::collections::hash_map::RandomState,
}

impl NonceSource {
    fn next(&self) -> String {
        use std::hash::BuildHasher;
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let a = self.keys.hash_one((n, 0u8));
        let b = self.keys.hash_one((n, 1u8));
        format!("{a:016x}{b:016x}")
    }
}

/// `node_modules/htmx2/dist/htmx.min.js` (what `npm ci` installs) in the
/// crate's directory or the nearest directory above it that has one.
pub fn default_htmx() -> Option<std::path::PathBuf> {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("node_modules/htmx2/dist/htmx.min.js"))
        .find(|file| file.is_file())
}

async fn htmx_js(State(state): State<AppState>) -> Response {
    let Some(path) = state.htmx.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = path.clone();
    match tokio::task::spawn_blocking(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The home page's htmx fragment. Signed out, it answers like the layer does
/// for an expired request (the same core rule): htmx goes to the login page
/// with the page it was on (`HX-Current-URL`) as `next`.
async fn idle_fragment(
    session: Session,
    ctx: Option<AutoLogoutContext>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if signed_in_user(&session).await.is_none() {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let answer = engine::answer_expired(header);
        let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
        let login = engine::expired_login_location("/login", answer, path, header);
        return match answer {
            engine::Answer::Redirect => Redirect::to(&login).into_response(),
            engine::Answer::HtmxRedirect => [("hx-redirect", login)].into_response(),
            engine::Answer::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
        };
    }
    let seconds = ctx.map_or(0, |c| c.context().seconds_until_idle_end());
    Html(format!(
        "<span id=\"idle-fragment\">Checked by htmx: idle logout in {seconds} s</span>"
    ))
    .into_response()
}

/// A change to the auto-logout layer (axum) or middleware (actix) before it
/// is installed; each demo applies its own.
#[derive(Clone, Default)]
pub struct Customize {
    pub axum: Option<Arc<dyn Fn(AutoLogoutLayer) -> AutoLogoutLayer + Send + Sync>>,
    pub actix: Option<
        Arc<
            dyn Fn(
                    auto_logout::actix::AutoLogoutMiddleware,
                ) -> auto_logout::actix::AutoLogoutMiddleware
                + Send
                + Sync,
        >,
    >,
}

impl std::fmt::Debug for Customize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customize")
            .field("axum", &self.axum.is_some())
            .field("actix", &self.actix.is_some())
            .finish()
    }
}

/// The log on stderr through `tracing`, filtered by `RUST_LOG` (`info` when
/// it is not set): the crate's audit events (target `auto_logout`) among
/// them, so each automatic logout shows up with its reason. Both demos
/// start it first.
pub fn start_logging() -> Result<(), String> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(spec.trim())
            .map_err(|err| format!("RUST_LOG={spec} is not a filter ({err}); try RUST_LOG=info"))?,
        _ => EnvFilter::new("info"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|err| err.to_string())
}

/// The demo as `cargo run --example demo` starts it: the settings from the
/// environment ([`Settings::from_env`], `DEMO_ADDR`, `REDIS_URL`), the log on
/// stderr ([`start_logging`]), served until Ctrl-C.
pub async fn run_from_env() -> std::process::ExitCode {
    if let Err(err) = start_logging() {
        eprintln!("demo: {err}");
        return std::process::ExitCode::from(2);
    }
    let settings = match Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("demo: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let (router, store) = match std::env::var("REDIS_URL") {
        // The crate's Redis store: `redis://host:port`, or `redis-cluster://host:port`.
        Ok(url) if !url.trim().is_empty() => {
            match auto_logout::redis::RedisStore::connect(url.trim()).await {
                Ok(store) => (
                    guarded_router_with(&settings, store, axum::Router::new()),
                    format!("Redis at {url}"),
                ),
                Err(err) => {
                    eprintln!("demo: cannot connect to REDIS_URL={url}: {err}");
                    return std::process::ExitCode::from(2);
                }
            }
        }
        _ => (
            router(&settings, tower_sessions::MemoryStore::default()),
            "memory".to_owned(),
        ),
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("demo: cannot listen on {addr}: {err} (set DEMO_ADDR)");
            return std::process::ExitCode::from(2);
        }
    };
    let c = &settings.config;
    let secs = |d: Option<std::time::Duration>| {
        d.map_or("off".to_owned(), |d| format!("{} s", d.as_secs()))
    };
    println!(
        "auto-logout demo on http://{addr}/ — sign in as demo / demo\n  idle {}, session {}, warning {}, redirect {}, sessions in {store}{}{}",
        secs(c.idle_time()),
        secs(c.session_time()),
        secs(c.warn_before()),
        if c.redirect_to_login_immediately() {
            "on"
        } else {
            "off"
        },
        match settings.csp {
            Csp::Off => "",
            Csp::Strict => ", CSP strict",
            Csp::Nonce => ", CSP nonce",
        },
        if settings.auto_logout {
            ""
        } else {
            ", auto-logout layer OFF"
        },
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(err) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("demo: {err}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
