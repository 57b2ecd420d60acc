//! The demo site on actix-web + Tera 2 + auto-logout: `examples/actix_demo.rs`
//! runs it ([`run_from_env`]), and the tests build the same stack with their own
//! configuration, clock and session store, on a free port.
//!
//! It is the axum demo's site ([`crate::axum_demo`]) for a client: the same
//! routes, status codes, redirects, messages, endpoints and page elements —
//! the pages are rendered from the same templates, by Tera 2 instead of
//! MiniJinja — and it reads the environment through the same
//! [`Settings::from_env`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_session::storage::{
    LoadError, RedisSessionStore, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_session::{Session, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{Key, SameSite, time::Duration};
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Condition;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use actix_web_flash_messages::storage::CookieMessageStore;
use actix_web_flash_messages::{FlashMessage, FlashMessagesFramework, IncomingFlashMessages};
use auto_logout::actix::{
    AutoLogout, AutoLogoutContext, AutoLogoutMiddleware, AutoLogoutStore, KeepUnread,
    RequireRecentLogin, StoreErrors,
};
use auto_logout::{GuardedStore, LoginError, Nonce, SessionIndexError, SignIn, engine};
use tera::{Context, Tera};

use crate::axum_demo::is_demo_password;
pub use crate::axum_demo::{
    Csp, PASSWORD, RECENT_LOGIN, ReauthenticateForm, SESSION_COOKIE, Settings, USER_KEY, USERNAME,
};
use crate::axum_demo::{LoginForm, NextQuery, PageQuery, countdowns_on, safe_next, warning_texts};
use crate::sessions::{self, SessionRow, Sweeper};

/// How long a call of the session store may take before the request gets `503`.
pub const STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The flash-message cookie's name (the axum demo keeps messages in the session).
pub const FLASH_COOKIE: &str = "_flash";

/// Whether the session and flash cookies are `Secure`: not, as the demo serves
/// plain http (as the axum demo's session cookie). Behind https, `true` for both.
pub const COOKIE_SECURE: bool = false;

#[derive(Clone)]
struct AppState {
    templates: Arc<Tera>,
    csp: Csp,
    nonces: Arc<NonceSource>,
    htmx: Option<Arc<std::path::PathBuf>>,
    remember_session_time: Option<std::time::Duration>,
    /// Stops this app's sweeper when the app is dropped.
    _sweeper: Option<Arc<Sweeper>>,
}

fn templates() -> Tera {
    let mut tera = Tera::new();
    tera.add_raw_templates([
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
    ])
    .expect("the demo's templates parse with Tera 2");
    // `seconds_until_*` and `redirect_to_login_immediately` for every page.
    auto_logout::tera::register(&mut tera);
    tera
}

/// Everything one instance needs besides its settings.
#[derive(Clone)]
pub struct Stack<G, T = G> {
    /// The session store that keeps a logout final: a store wrapped in
    /// `AutoLogoutStore`, or the crate's `RedisStore`.
    pub store: G,
    /// The store `SessionMiddleware` is given: `store` itself (tests give it
    /// one that bypasses the wrapper, to show what the wrapper prevents).
    pub sessions: T,
    /// Signs and encrypts the session and flash cookies; instances that share
    /// a Redis must share it.
    pub key: Key,
}

impl<G: Clone> Stack<G> {
    /// The demo's stack: `SessionMiddleware` over `store`.
    pub fn new(store: G, key: Key) -> Self {
        Stack {
            sessions: store.clone(),
            store,
            key,
        }
    }
}

/// The demo's app over `store`: routes, then auto-logout, flash messages,
/// sessions and the store-error answer, outermost last. `extra` adds routes
/// behind the same middleware (tests add routes there).
pub fn app<G, T, F>(
    settings: Settings,
    stack: Stack<G, T>,
    extra: F,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
>
where
    G: GuardedStore + Clone + 'static,
    T: SessionStore + Clone + 'static,
    F: FnOnce(&mut web::ServiceConfig),
{
    // The lock dialog's and "Sign in again"'s password: the signed-in user's.
    let mut auto_logout = AutoLogoutMiddleware::new(settings.config.clone(), &stack.store)
        .on_unlock(|attempt: auto_logout::actix::UnlockAttempt| async move {
            let user = attempt.session.get::<String>(USER_KEY)?;
            Ok::<_, actix_session::SessionGetError>(crate::axum_demo::is_demo_password(
                user.as_deref(),
                &attempt.password,
            ))
        });
    if let Some(clock) = &settings.clock {
        auto_logout = auto_logout.with_clock(clock.clone());
    }
    if let Some(customize) = &settings.customize.actix {
        auto_logout = customize(auto_logout);
    }
    let state = AppState {
        templates: Arc::new(templates()),
        csp: settings.csp,
        nonces: Arc::new(NonceSource::default()),
        htmx: settings.htmx.clone().map(Arc::new),
        remember_session_time: settings.remember_session_time,
        // The sweeper ends the sessions nobody came back to (and takes them
        // out of "Your sessions"). actix-web builds one app per worker, on
        // the worker's runtime: one sweeper per worker (two), on the same
        // index, which the sweeper allows; each stops with its worker.
        _sweeper: settings
            .auto_logout
            .then(|| {
                Sweeper::spawn(
                    settings.config.sweep_interval(),
                    auto_logout.handle().sweeper(),
                )
            })
            .flatten()
            .map(Arc::new),
    };
    // Messages in a signed cookie (the session store of actix-web-flash-messages
    // is built on actix-session 0.10 and drops them under 0.11), kept until a
    // page reads them, and `Secure` exactly when the session cookie is: the
    // demo serves plain http, where a client that honours `Secure` would
    // never send the message back.
    let flash = FlashMessagesFramework::builder(
        KeepUnread::new(
            CookieMessageStore::builder(stack.key.clone())
                .cookie_name(FLASH_COOKIE.to_owned())
                .build(),
        )
        .cookie_secure(COOKIE_SECURE),
    )
    .build();
    let sessions = SessionMiddleware::builder(stack.sessions, stack.key)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_secure(COOKIE_SECURE)
        .cookie_same_site(SameSite::Lax)
        .build();
    App::new()
        .app_data(web::Data::new(state))
        // Pages answer HEAD as well as GET, as axum's `get` routes do.
        .route("/", get_or_head().to(home))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout))
        .route("/public", get_or_head().to(public))
        .route("/static/demo.css", web::get().to(css))
        .route("/static/demo.js", web::get().to(js))
        .route("/static/htmx.js", web::get().to(htmx_js))
        .route("/fragments/idle", web::get().to(idle_fragment))
        .route("/reauthenticate", web::get().to(reauthenticate_form))
        .route("/reauthenticate", web::post().to(reauthenticate_submit))
        // "Sudo mode": the account page needs a sign-in or a confirmation of
        // the password within RECENT_LOGIN (the guard needs the auto-logout
        // middleware: without it the page is not there).
        .service(
            web::resource("/account")
                .wrap(Condition::new(
                    settings.auto_logout,
                    RequireRecentLogin::new(RECENT_LOGIN, "/reauthenticate"),
                ))
                .route(web::get().to(account)),
        )
        // "Your sessions" and the administrator's "sign out everywhere" (the
        // index of sessions is the middleware's: without it the pages are not
        // there).
        .configure(|cfg| {
            if settings.auto_logout {
                cfg.route("/sessions", get_or_head().to(sessions_page))
                    .route("/sessions/others/logout", web::post().to(sign_out_others))
                    .route("/sessions/{handle}/logout", web::post().to(sign_out_one))
                    .route("/admin/users/{user}/logout", web::post().to(sign_out_user));
            }
        })
        .configure(extra)
        .wrap(Condition::new(settings.auto_logout, auto_logout))
        .wrap(flash)
        .wrap(sessions)
        .wrap(StoreErrors)
}

/// Starts the demo on `listener` (bind `127.0.0.1:0` for a free port) and
/// returns the running server (await it, or spawn it) and its address.
pub fn serve<G, T, F>(
    settings: Settings,
    stack: Stack<G, T>,
    listener: std::net::TcpListener,
    extra: F,
) -> std::io::Result<(Server, SocketAddr)>
where
    G: GuardedStore + Clone + Send + 'static,
    T: SessionStore + Clone + Send + 'static,
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let addr = listener.local_addr()?;
    let server = HttpServer::new(move || app(settings.clone(), stack.clone(), extra.clone()))
        .workers(2)
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(1)
        .run();
    Ok((server, addr))
}

/// actix-session's Redis store for `url` (`redis://host:port`), over a
/// connection pool that replaces broken connections (so service resumes when
/// Redis is back) and gives up on a connection after [`STORE_TIMEOUT`],
/// wrapped in `AutoLogoutStore` with the same limit per call: a Redis that is
/// down or hung gets `503`s within seconds, never a hang.
pub async fn redis_store(url: &str) -> anyhow::Result<AutoLogoutStore<RedisSessionStore>> {
    let store = redis_session_store(url).await?;
    Ok(AutoLogoutStore::new(store).with_timeout(STORE_TIMEOUT))
}

/// The store inside [`redis_store`]'s wrapper: actix-session's Redis store
/// over the pool with time limits.
pub async fn redis_session_store(url: &str) -> anyhow::Result<RedisSessionStore> {
    use deadpool_redis::{Config as PoolConfig, Runtime, Timeouts};
    let mut config = PoolConfig::from_url(url);
    let mut pool = config.get_pool_config();
    pool.timeouts = Timeouts {
        wait: Some(STORE_TIMEOUT),
        create: Some(STORE_TIMEOUT),
        recycle: Some(STORE_TIMEOUT),
    };
    config.pool = Some(pool);
    let pool = config.create_pool(Some(Runtime::Tokio1))?;
    RedisSessionStore::new_pooled(pool).await
}

/// The cookie key every instance on this Redis uses: the first instance's
/// `candidate`, kept in Redis (`SET .. NX`, then read back), so that several
/// instances need no shared `DEMO_SECRET_KEY`.
pub async fn shared_cookie_key(
    store: &auto_logout::redis::RedisStore,
    candidate: &Key,
) -> anyhow::Result<Key> {
    use auto_logout::redis::fred::interfaces::KeysInterface;
    use auto_logout::redis::fred::types::SetOptions;
    const NAME: &str = "auto-logout-demo:cookie-key";
    let hex: String = candidate
        .master()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let client = store.pool().next();
    let _: Option<String> = client
        .set(NAME, hex, None, Some(SetOptions::NX), false)
        .await?;
    let kept: String = client.get(NAME).await?;
    let bytes = (0..kept.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(kept.get(at..at + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(Key::try_from(bytes.as_slice())?)
}

/// A route for `GET` and `HEAD`.
fn get_or_head() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// The routes a test adds nothing to.
pub fn no_routes(_: &mut web::ServiceConfig) {}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn render(state: &AppState, name: &str, ctx: &Context, nonce: Option<&str>) -> HttpResponse {
    match state.templates.render(name, ctx) {
        Ok(mut html) => {
            // MiniJinja drops a template's last newline, Tera keeps it: the
            // same bytes as the axum demo.
            if html.ends_with('\n') {
                html.pop();
            }
            let mut res = HttpResponse::Ok();
            res.content_type("text/html; charset=utf-8");
            let policy = match (state.csp, nonce) {
                (Csp::Off, _) => None,
                (Csp::Strict, _) | (Csp::Nonce, None) => {
                    Some("script-src 'self'; style-src 'self'".to_owned())
                }
                (Csp::Nonce, Some(n)) => {
                    Some(format!("script-src 'self' 'nonce-{n}'; style-src 'self'"))
                }
            };
            if let Some(policy) = policy {
                res.insert_header((header::CONTENT_SECURITY_POLICY, policy));
            }
            res.body(html)
        }
        Err(err) => HttpResponse::InternalServerError().body(format!("template error: {err}")),
    }
}

fn signed_in_user(session: &Session) -> Option<String> {
    session.get::<String>(USER_KEY).ok().flatten()
}

/// For `data-` attributes read by the page's script.
fn on(yes: bool) -> &'static str {
    if yes { "true" } else { "false" }
}

async fn home(
    state: web::Data<AppState>,
    session: Session,
    ctx: Option<AutoLogoutContext>,
    query: web::Query<PageQuery>,
) -> HttpResponse {
    let lang = if query.lang.as_deref() == Some("de") {
        "de"
    } else {
        "en"
    };
    let Some(user) = signed_in_user(&session) else {
        // The app's own login guard, as Django's @login_required.
        return see_other("/login?next=/");
    };
    let mut page = Context::new();
    page.insert("user", &user);
    page.insert("htmx", &state.htmx.is_some());
    page.insert("lang", lang);
    page.insert("bare", &query.bare.is_some());
    let Some(ctx) = ctx else {
        // Without the middleware: the globals `register` added give the anonymous values.
        page.insert("idle_on", on(false));
        page.insert("session_on", on(false));
        page.insert("sessions_link", &false);
        return render(&state, "home.html", &page, None);
    };
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
        (Csp::Strict, _) => ctx.external(),
        (Csp::Nonce, Some(Ok(nonce))) => ctx.with_nonce(nonce),
        _ => ctx.context(),
    };
    let values = values.with_texts(warning_texts(lang));
    let (idle_on, session_on) = countdowns_on(&ctx);
    page.insert("idle_on", on(idle_on));
    page.insert("session_on", on(session_on));
    page.insert("client_activity", &ctx.config().client_activity());
    page.insert("sessions_link", &true);
    auto_logout::tera::insert(&mut page, &values);
    render(&state, "home.html", &page, nonce.as_deref())
}

async fn login_form(
    state: web::Data<AppState>,
    messages: IncomingFlashMessages,
    ctx: Option<AutoLogoutContext>,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let mut messages: Vec<&str> = messages.iter().map(|m| m.content()).collect();
    // With LOGIN_URL, a session that expired on this very request (the login
    // page is exempt from the redirect) is not flashed: its message is for
    // this page.
    let expired_now = ctx
        .as_ref()
        .filter(|ctx| ctx.config().login_url().is_some())
        .and_then(|ctx| ctx.config().message_for(ctx.expired()?));
    messages.extend(expired_now);
    let mut page = Context::new();
    page.insert("messages", &messages);
    page.insert("next", safe_next(query.next.as_deref()));
    page.insert("username", "");
    page.insert("error", &false);
    // Right after a sign-out the page carries the signal that makes the
    // user's other tabs leave too (each asks the server first).
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    if let (Some(ctx), true) = (&ctx, query.signed_out.is_some()) {
        let values = ctx.config().signed_out_context();
        let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
            (Csp::Strict, _) => values.external(),
            (Csp::Nonce, Some(Ok(nonce))) => values.with_nonce(nonce),
            _ => values,
        };
        auto_logout::tera::insert(&mut page, &values);
    }
    render(&state, "login.html", &page, nonce.as_deref())
}

/// The account page, behind [`RequireRecentLogin`].
async fn account(state: web::Data<AppState>) -> HttpResponse {
    let mut page = Context::new();
    page.insert("minutes", &(RECENT_LOGIN.as_secs() / 60));
    render(&state, "account.html", &page, None)
}

/// The page that confirms the password for the account page.
async fn reauthenticate_form(
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let mut page = Context::new();
    page.insert("minutes", &(RECENT_LOGIN.as_secs() / 60));
    page.insert("next", safe_next(query.next.as_deref()));
    render(&state, "reauthenticate.html", &page, None)
}

/// Checks the password, restarts both clocks (`AutoLogout::reauthenticated`)
/// and goes on to `next`.
async fn reauthenticate_submit(
    state: web::Data<AppState>,
    auto_logout: Option<AutoLogout>,
    session: Session,
    form: web::Form<ReauthenticateForm>,
) -> HttpResponse {
    let next = safe_next(form.next.as_deref()).to_owned();
    let user = session.get::<String>(USER_KEY).ok().flatten();
    if !is_demo_password(user.as_deref(), &form.password) {
        let mut page = Context::new();
        page.insert("minutes", &(RECENT_LOGIN.as_secs() / 60));
        page.insert("next", &next);
        page.insert("error", "Wrong password.");
        let mut res = render(&state, "reauthenticate.html", &page, None);
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        return res;
    }
    match auto_logout.map(|auto_logout| auto_logout.reauthenticated(&session)) {
        None | Some(Ok(true)) => see_other(&next),
        // Not signed in any more: sign in anew.
        Some(Ok(false)) => see_other(&engine::login_location("/login", &next)),
        Some(Err(err)) => HttpResponse::ServiceUnavailable().body(format!("session store: {err}")),
    }
}

async fn login_submit(
    state: web::Data<AppState>,
    auto_logout: Option<AutoLogout>,
    session: Session,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let next = safe_next(form.next.as_deref()).to_owned();
    if form.username != USERNAME || form.password != PASSWORD {
        let mut page = Context::new();
        page.insert("messages", &Vec::<String>::new());
        page.insert("error", "Wrong username or password.");
        page.insert("next", &next);
        page.insert("username", &form.username);
        let mut res = render(&state, "login.html", &page, None);
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        return res;
    }
    let limits = form.limits(state.remember_session_time);
    // Starts this session's clocks (and renews its key), with the limits of
    // "Keep me signed in" when it was checked; indexed under the user, for
    // "Your sessions" and "sign out everywhere".
    let started = match auto_logout {
        Some(auto_logout) => {
            let user_agent = req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            let sign_in = SignIn::user(USERNAME).user_agent(user_agent);
            auto_logout
                .sign_in_with_limits(&session, sign_in, &limits)
                .await
        }
        None => {
            session.renew();
            Ok(())
        }
    };
    // The user only once the sign-in was accepted: a refused one
    // (`refuse-new`) signs nobody in.
    let started = started.and_then(|()| {
        session
            .insert(USER_KEY, USERNAME)
            .map_err(LoginError::Session)
    });
    match started {
        Ok(()) => see_other(&next),
        Err(LoginError::TooManySessions { max }) => {
            let mut page = Context::new();
            page.insert("messages", &Vec::<String>::new());
            page.insert("error", &crate::axum_demo::too_many_sessions(max));
            page.insert("next", &next);
            page.insert("username", &form.username);
            let mut res = render(&state, "login.html", &page, None);
            *res.status_mut() = StatusCode::CONFLICT;
            res
        }
        Err(LoginError::Limits(err)) => HttpResponse::InternalServerError().body(err.to_string()),
        Err(LoginError::Session(err)) => {
            HttpResponse::ServiceUnavailable().body(format!("session store: {err}"))
        }
        Err(err) => HttpResponse::ServiceUnavailable().body(err.to_string()),
    }
}

async fn logout(auto_logout: Option<AutoLogout>, session: Session) -> HttpResponse {
    // An anonymous visitor (a cross-site form can send this): nothing to end,
    // and nothing is stored for them.
    match session.get::<String>(USER_KEY) {
        Ok(Some(_)) => {}
        Ok(None) => return see_other("/login"),
        Err(err) => {
            return HttpResponse::ServiceUnavailable().body(format!("session store: {err}"));
        }
    }
    // The record is deleted; what is stored next gets a new key.
    match auto_logout {
        Some(auto_logout) => auto_logout.logout(&session),
        None => {
            session.clear();
            session.renew();
        }
    }
    FlashMessage::info("You have been signed out.").send();
    // The login page after a sign-out tells the user's other tabs.
    see_other("/login?signed_out=1")
}

/// The signed-in user, or the answer for a request without one: a `POST`
/// from an anonymous visitor goes to the sign-in page, and nothing is done or
/// stored for it. A form another site submits is such a visitor: the session
/// cookie is `SameSite=Lax`, so the browser leaves it out of a cross-site
/// `POST` (the protection of `POST /logout`, the same here). The answer is
/// boxed: it is the rare path, and an `HttpResponse` is large.
fn user_or_answer(session: &Session) -> Result<String, Box<HttpResponse>> {
    match session.get::<String>(USER_KEY) {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Box::new(see_other("/login"))),
        Err(err) => Err(Box::new(
            HttpResponse::ServiceUnavailable().body(format!("session store: {err}")),
        )),
    }
}

/// The answer when the index of sessions failed.
fn index_failed(err: SessionIndexError) -> HttpResponse {
    HttpResponse::ServiceUnavailable().body(err.to_string())
}

/// "Your sessions": every session of the signed-in user (`own_sessions`),
/// with when each started, was last used and ends, and a "Sign out" for each
/// but this one; "Sign out everywhere else" below.
async fn sessions_page(
    state: web::Data<AppState>,
    auto_logout: AutoLogout,
    ctx: Option<AutoLogoutContext>,
    session: Session,
    messages: IncomingFlashMessages,
) -> HttpResponse {
    let Some(user) = signed_in_user(&session) else {
        // The app's own login guard, as on the home page.
        return see_other("/login?next=/sessions");
    };
    let messages: Vec<&str> = messages.iter().map(|m| m.content()).collect();
    let (rows, error) = match auto_logout.own_sessions(&session).await {
        Ok(listed) => (SessionRow::all(&listed, auto_logout.now()), None),
        Err(SessionIndexError::NotSignedIn) => (Vec::new(), Some(sessions::NOT_INDEXED)),
        Err(err) => return index_failed(err),
    };
    let mut page = Context::new();
    page.insert("user", &user);
    page.insert("messages", &messages);
    page.insert("error", &error);
    page.insert("others", &rows.iter().any(|row| !row.current));
    page.insert("sessions", &rows);
    let nonce = (state.csp == Csp::Nonce).then(|| state.nonces.next());
    if let Some(ctx) = ctx {
        let values = match (state.csp, nonce.as_deref().map(Nonce::new)) {
            (Csp::Strict, _) => ctx.external(),
            (Csp::Nonce, Some(Ok(nonce))) => ctx.with_nonce(nonce),
            _ => ctx.context(),
        };
        auto_logout::tera::insert(&mut page, &values);
    }
    render(&state, "sessions.html", &page, nonce.as_deref())
}

/// "Sign out everywhere else": every other session of this user ends
/// (reason `revoked`: each one's next request, or its open page at its next
/// status check, goes to the sign-in page with `REVOKED_MESSAGE`).
async fn sign_out_others(auto_logout: AutoLogout, session: Session) -> HttpResponse {
    if let Err(answer) = user_or_answer(&session) {
        return *answer;
    }
    match auto_logout.log_out_other_sessions(&session).await {
        Ok(ended) => FlashMessage::info(sessions::others_signed_out(ended)).send(),
        Err(SessionIndexError::NotSignedIn) => FlashMessage::error(sessions::NOT_INDEXED).send(),
        Err(err) => return index_failed(err),
    }
    see_other("/sessions")
}

/// A session's "Sign out": the session of this user with this handle ends
/// (a handle never reaches another user's session).
async fn sign_out_one(
    auto_logout: AutoLogout,
    session: Session,
    handle: web::Path<String>,
) -> HttpResponse {
    let user = match user_or_answer(&session) {
        Ok(user) => user,
        Err(answer) => return *answer,
    };
    match auto_logout.revoke(&user, &handle).await {
        Ok(ended) => {
            FlashMessage::info(sessions::one_signed_out(ended)).send();
            see_other("/sessions")
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
    user: web::Path<String>,
) -> HttpResponse {
    match user_or_answer(&session) {
        Ok(admin) if admin == USERNAME => {}
        Ok(_) => return HttpResponse::Forbidden().finish(),
        Err(answer) => return *answer,
    }
    let ended = match auto_logout.log_out_everywhere(&user).await {
        Ok(ended) => ended,
        Err(err) => return index_failed(err),
    };
    FlashMessage::info(sessions::user_signed_out(&user, ended)).send();
    if user.as_str() != USERNAME {
        return see_other("/sessions");
    }
    // This session was one of them.
    auto_logout.logout(&session);
    see_other("/login?signed_out=1")
}

async fn public(state: web::Data<AppState>) -> HttpResponse {
    render(&state, "public.html", &Context::new(), None)
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("../static/demo.css"))
}

async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../static/demo.js"))
}

async fn htmx_js(state: web::Data<AppState>) -> HttpResponse {
    let Some(path) = state.htmx.as_deref() else {
        return HttpResponse::NotFound().finish();
    };
    let path = path.clone();
    match web::block(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(bytes),
        _ => HttpResponse::NotFound().finish(),
    }
}

/// The home page's htmx fragment. Signed out, it answers like the middleware
/// does for an expired request (the same core rule): htmx goes to the login
/// page with the page it was on (`HX-Current-URL`) as `next`.
async fn idle_fragment(
    req: HttpRequest,
    session: Session,
    ctx: Option<AutoLogoutContext>,
) -> HttpResponse {
    if signed_in_user(&session).is_none() {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let answer = engine::answer_expired(header);
        let path = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let login = engine::expired_login_location("/login", answer, path, header);
        return match answer {
            engine::Answer::Redirect => see_other(&login),
            engine::Answer::HtmxRedirect => HttpResponse::Ok()
                .insert_header(("hx-redirect", login))
                .finish(),
            engine::Answer::Unauthorized => HttpResponse::Unauthorized().finish(),
        };
    }
    let seconds = ctx.map_or(0, |c| c.context().seconds_until_idle_end());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<span id=\"idle-fragment\">Checked by htmx: idle logout in {seconds} s</span>"
        ))
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

type State = HashMap<String, String>;

/// An in-memory actix-session store (actix-session ships none). Like its
/// Redis store, `update` of a key that is gone saves the state under a new
/// key — which is why the demo wraps it in `AutoLogoutStore`. Counts its
/// writes, for the tests. TTLs are not enforced (a demo store).
#[derive(Clone, Default)]
pub struct MemoryStore {
    states: Arc<Mutex<HashMap<String, State>>>,
    keys: Arc<NonceSource>,
    writes: Arc<AtomicUsize>,
}

impl MemoryStore {
    /// Replaces `field` (a JSON text) in every stored state that has it (to
    /// simulate corruption).
    pub fn tamper(&self, field: &str, json: &str) {
        for state in self.states.lock().unwrap().values_mut() {
            if let Some(value) = state.get_mut(field) {
                *value = json.to_owned();
            }
        }
    }

    /// Every stored state.
    pub fn states(&self) -> Vec<State> {
        self.states.lock().unwrap().values().cloned().collect()
    }

    /// `save` and `update` calls that wrote a state, so far.
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    /// The state stored under `key`, if any.
    pub fn state(&self, key: &str) -> Option<State> {
        self.states.lock().unwrap().get(key).cloned()
    }

    /// How many states are stored.
    pub fn len(&self) -> usize {
        self.states.lock().unwrap().len()
    }

    /// `true` when no state is stored.
    pub fn is_empty(&self) -> bool {
        self.states.lock().unwrap().is_empty()
    }

    fn insert_new(&self, state: State) -> SessionKey {
        let key = format!("{}{}", self.keys.next(), self.keys.next());
        self.states.lock().unwrap().insert(key.clone(), state);
        self.writes.fetch_add(1, Ordering::SeqCst);
        SessionKey::try_from(key).expect("64 hex digits make a session key")
    }
}

impl SessionStore for MemoryStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        Ok(self.state(session_key.as_ref()))
    }

    async fn save(&self, session_state: State, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        Ok(self.insert_new(session_state))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let mut states = self.states.lock().unwrap();
        if let Some(state) = states.get_mut(session_key.as_ref()) {
            *state = session_state;
            self.writes.fetch_add(1, Ordering::SeqCst);
            return Ok(session_key);
        }
        drop(states);
        // Gone meanwhile: as actix-session's Redis store, save it anew.
        Ok(self.insert_new(session_state))
    }

    async fn update_ttl(&self, _session_key: &SessionKey, _ttl: &Duration) -> anyhow::Result<()> {
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.states.lock().unwrap().remove(session_key.as_ref());
        Ok(())
    }
}

/// The demo as `cargo run --example actix_demo` starts it: the settings from
/// the environment ([`Settings::from_env`], `DEMO_ADDR`, `DEMO_SECRET_KEY`,
/// `REDIS_URL`), the log on stderr, served until Ctrl-C. Runs on an actix
/// system (`#[actix_web::main]`).
pub async fn run_from_env() -> std::process::ExitCode {
    // The axum demo's, shared.
    if let Err(err) = crate::axum_demo::start_logging() {
        eprintln!("actix_demo: {err}");
        return std::process::ExitCode::from(2);
    }
    let settings = match Settings::from_env(|name| std::env::var(name).ok()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("actix_demo: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let secret = std::env::var("DEMO_SECRET_KEY")
        .ok()
        .filter(|secret| !secret.trim().is_empty());
    let key = match &secret {
        Some(secret) => match Key::try_from(secret.trim().as_bytes()) {
            Ok(key) => key,
            Err(_) => {
                eprintln!(
                    "actix_demo: DEMO_SECRET_KEY is {} bytes; at least 64 are needed",
                    secret.trim().len()
                );
                return std::process::ExitCode::from(2);
            }
        },
        None => Key::generate(),
    };
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = match std::net::TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("actix_demo: cannot listen on {addr}: {err} (set DEMO_ADDR)");
            return std::process::ExitCode::from(2);
        }
    };
    let c = &settings.config;
    let secs = |d: Option<std::time::Duration>| {
        d.map_or("off".to_owned(), |d| format!("{} s", d.as_secs()))
    };
    let summary = format!(
        "idle {}, session {}, warning {}, redirect {}",
        secs(c.idle_time()),
        secs(c.session_time()),
        secs(c.warn_before()),
        if c.redirect_to_login_immediately() {
            "on"
        } else {
            "off"
        },
    );
    let extras = format!(
        "{}{}",
        match settings.csp {
            Csp::Off => "",
            Csp::Strict => ", CSP strict",
            Csp::Nonce => ", CSP nonce",
        },
        if settings.auto_logout {
            ""
        } else {
            ", auto-logout middleware OFF"
        },
    );
    let served = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let store = match auto_logout::redis::RedisStore::connect(url.trim()).await {
                Ok(store) => store,
                Err(err) => {
                    eprintln!("actix_demo: cannot connect to REDIS_URL={url}: {err}");
                    return std::process::ExitCode::from(2);
                }
            };
            // Without DEMO_SECRET_KEY, every instance on this Redis uses one key.
            let key = match secret {
                Some(_) => key,
                None => match shared_cookie_key(&store, &key).await {
                    Ok(key) => key,
                    Err(err) => {
                        eprintln!("actix_demo: cannot keep the cookie key in Redis: {err}");
                        return std::process::ExitCode::from(2);
                    }
                },
            };
            println!(
                "auto-logout actix demo on http://{addr}/ — sign in as demo / demo\n  {summary}, sessions in Redis at {url}{extras}"
            );
            let stack = Stack::new(store, key);
            serve(settings, stack, listener, no_routes)
        }
        _ => {
            println!(
                "auto-logout actix demo on http://{addr}/ — sign in as demo / demo\n  {summary}, sessions in memory{extras}"
            );
            let stack = Stack::new(AutoLogoutStore::new(MemoryStore::default()), key);
            serve(settings, stack, listener, no_routes)
        }
    };
    let server = match served {
        Ok((server, _)) => server,
        Err(err) => {
            eprintln!("actix_demo: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        handle.stop(true).await;
    });
    if let Err(err) = server.await {
        eprintln!("actix_demo: {err}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
