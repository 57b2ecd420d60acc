//! The audit events of every session of a user, on both stacks: one
//! `session_revoked` (with `reason` and `how`) per session ended from
//! elsewhere, `sign_in_refused` (with `max`) under `refuse-new`, and the
//! `logout` event's `source` (`sweep` for a session the sweeper ended,
//! `request` for one a request found expired) — once per session, whoever
//! finds it first, and never again at the ended session's next request.
//! No event carries a session id, a cookie, a user id, a tag or a handle.
//!
//! The library is called through the site's `AutoLogout` handle (taken
//! from the layer or middleware as the demo builds it), and through two
//! test routes for what needs a request: a sign-in with a user and a tag,
//! and `log_out_other_sessions`.

use crate::support;

use crate::actix_support;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix_support::{ActixSite, app as actix_app, cookie_of};
use auto_logout::{Config, SessionIndexError, SignIn, UserSession};
use support::{Browser, Site, app};

use crate::server_log::{Event, Log, listen};

/// Signs the browser in as the form's `user`, tagged with its `tag`.
const SIGN_IN: &str = "/t/sessions/sign-in";
/// `log_out_other_sessions` of the browser's session: `ended=<n>`.
const OTHERS: &str = "/t/sessions/others";
/// Other users, named so that no event's own words contain them.
const ADA: &str = "ada-1815";
const EVE: &str = "eve-4711";
/// How many times a request races the sweeper.
const ROUNDS: usize = 30;

fn builder() -> auto_logout::ConfigBuilder {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(app::DEFAULT_MESSAGE)
        .revoked_message("Ended from another device.")
        .replaced_message("Signed in on another device.")
        .redirect_to_login_immediately(true)
        .login_url("/login")
        // Only the tests' own rounds.
        .sweep_interval("1h")
}

fn config() -> Config {
    builder().build().unwrap()
}

fn limit_config(policy: &str) -> Config {
    builder()
        .max_sessions_per_user(2)
        .session_limit_policy(policy)
        .build()
        .unwrap()
}

/// One stack's `AutoLogout` handle.
#[derive(Clone)]
enum Handle {
    Axum(auto_logout::axum::AutoLogout),
    Actix(auto_logout::actix::AutoLogout),
}

impl Handle {
    async fn sessions_of(&self, user: &str) -> Vec<UserSession> {
        match self {
            Handle::Axum(h) => h.sessions_of(user).await,
            Handle::Actix(h) => h.sessions_of(user).await,
        }
        .unwrap()
    }

    async fn revoke(&self, user: &str, handle: &str) -> bool {
        match self {
            Handle::Axum(h) => h.revoke(user, handle).await,
            Handle::Actix(h) => h.revoke(user, handle).await,
        }
        .unwrap()
    }

    async fn everywhere(&self, user: &str) -> usize {
        match self {
            Handle::Axum(h) => h.log_out_everywhere(user).await,
            Handle::Actix(h) => h.log_out_everywhere(user).await,
        }
        .unwrap()
    }

    async fn tagged(&self, tag: &str) -> usize {
        match self {
            Handle::Axum(h) => h.log_out_tagged(tag).await,
            Handle::Actix(h) => h.log_out_tagged(tag).await,
        }
        .unwrap()
    }

    async fn sweep(&self) -> usize {
        match self {
            Handle::Axum(h) => h.sweep().await,
            Handle::Actix(h) => h.sweep().await,
        }
        .unwrap()
    }
}

/// A site of one stack with its handle.
struct SessionsSite {
    site: support::Target,
    handle: Handle,
}

impl SessionsSite {
    fn framework(&self) -> &'static str {
        self.site.framework
    }

    /// A new browser signed in through the demo's login (user `demo`).
    async fn demo_browser(&self) -> Browser {
        let b = self.site.browser();
        b.login().await;
        b
    }

    /// A new browser signed in through [`SIGN_IN`]; the answer's status.
    async fn sign_in(&self, b: &Browser, user: &str, tag: Option<&str>) -> u16 {
        let mut form = vec![("user", user)];
        form.extend(tag.map(|tag| ("tag", tag)));
        b.post_form(SIGN_IN, &form).await.status
    }

    /// What must never reach the log once these browsers signed in.
    fn cookies(&self, browsers: &[&Browser]) -> Vec<String> {
        browsers
            .iter()
            .flat_map(|b| {
                let mut secrets: Vec<String> =
                    cookie_of(b, app::SESSION_COOKIE).into_iter().collect();
                secrets.extend(b.session_id().map(|id| id.to_string()));
                secrets
            })
            .collect()
    }
}

/// The answer of [`SIGN_IN`] for `result`: `200`, `409` when refused.
fn signed_in<E>(result: &Result<(), auto_logout::LoginError<E>>) -> u16 {
    match result {
        Ok(()) => 200,
        Err(auto_logout::LoginError::TooManySessions { .. }) => 409,
        Err(_) => 500,
    }
}

fn ended_text(result: Result<usize, SessionIndexError>) -> (u16, String) {
    match result {
        Ok(count) => (200, format!("ended={count}")),
        Err(error) => (500, error.to_string()),
    }
}

/// The axum demo with the test routes; its handle.
async fn axum_site(config: Config) -> SessionsSite {
    use auto_logout::axum::AutoLogout;
    use axum::Form;
    use axum::routing::post;
    use tower_sessions::Session;

    let extra =
        axum::Router::new()
            .route(
                SIGN_IN,
                post(
                    |al: AutoLogout,
                     session: Session,
                     Form(form): Form<HashMap<String, String>>| async move {
                        let user = form["user"].clone();
                        let mut sign_in = SignIn::user(user.clone());
                        if let Some(tag) = form.get("tag") {
                            sign_in = sign_in.tag(tag);
                        }
                        let result = al.sign_in(&session, sign_in).await;
                        if result.is_ok() {
                            session.insert(app::USER_KEY, user).await.unwrap();
                        }
                        axum::http::StatusCode::from_u16(signed_in(&result)).unwrap()
                    },
                ),
            )
            .route(
                OTHERS,
                post(|al: AutoLogout, session: Session| async move {
                    let (status, body) = ended_text(al.log_out_other_sessions(&session).await);
                    (axum::http::StatusCode::from_u16(status).unwrap(), body)
                }),
            );
    let slot = Arc::new(OnceLock::new());
    let taken = slot.clone();
    let site = Site::start_custom(config, extra, move |settings| {
        settings.customize.axum = Some(Arc::new(move |layer| {
            let _ = taken.set(layer.handle());
            layer
        }));
    })
    .await;
    let handle = Handle::Axum(slot.get().expect("the layer was built").clone());
    SessionsSite {
        site: support::Target::new(site.addr, site.clock.clone(), "axum", site),
        handle,
    }
}

/// The actix demo with the test routes; its handle.
async fn actix_site(config: Config) -> SessionsSite {
    use actix_session::Session;
    use actix_web::{HttpResponse, web};
    use auto_logout::actix::AutoLogout;

    let extra = |cfg: &mut web::ServiceConfig| {
        cfg.route(
            SIGN_IN,
            web::post().to(
                |al: AutoLogout, session: Session, form: web::Form<HashMap<String, String>>| async move {
                    let user = form["user"].clone();
                    let mut sign_in = SignIn::user(user.clone());
                    if let Some(tag) = form.get("tag") {
                        sign_in = sign_in.tag(tag);
                    }
                    let result = al.sign_in(&session, sign_in).await;
                    if result.is_ok() {
                        session.insert(app::USER_KEY, user).unwrap();
                    }
                    HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(signed_in(&result)).unwrap(),
                    )
                    .finish()
                },
            ),
        );
        cfg.route(
            OTHERS,
            web::post().to(|al: AutoLogout, session: Session| async move {
                let (status, body) = ended_text(al.log_out_other_sessions(&session).await);
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                    .body(body)
            }),
        );
    };
    let slot = Arc::new(OnceLock::new());
    let taken = slot.clone();
    let built = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = built.clone();
    let site = ActixSite::start_custom(
        config,
        auto_logout::actix::AutoLogoutStore::new(actix_app::MemoryStore::default()),
        extra,
        move |settings| {
            settings.customize.actix = Some(Arc::new(move |middleware| {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = taken.set(middleware.handle());
                middleware
            }));
        },
    );
    // The workers build their apps (each spawns the demo's sweeper, whose
    // first round runs at once) once the server runs: both, and a request
    // each, before a test's requests, so that no background round lands
    // inside a test.
    for _ in 0..500 {
        if built.load(std::sync::atomic::Ordering::SeqCst) >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let handle = slot.get().expect("the middleware was built").clone();
    for _ in 0..4 {
        assert_eq!(site.browser().get("/public").await.status, 200);
    }
    SessionsSite {
        site: support::Target::new(site.addr, site.clock.clone(), "actix", site),
        handle: Handle::Actix(handle),
    }
}

/// The `session_revoked` events: info level, with `reason` and `how`.
fn revoked_events(log: &Log) -> Vec<(String, String)> {
    log.named("session_revoked")
        .iter()
        .map(|event| {
            assert_eq!(event.level, tracing::Level::INFO, "{event:?}");
            (
                event.field("reason").unwrap().to_owned(),
                event.field("how").unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(reason, how)| ((*reason).to_owned(), (*how).to_owned()))
        .collect()
}

/// `b`'s next page is sent to the login page: the crate's answer to a
/// session that ended, or the demo's own to a visitor not signed in.
async fn assert_ended(what: &str, b: &Browser) {
    let page = b.get("/").await;
    assert_eq!(page.status, 303, "{what}: {page:?}");
    let to = page.location().unwrap_or_default();
    assert!(to.starts_with("/login?next="), "{what}: {page:?}");
}

/// No `logout` event, and nothing but the events named `allowed`.
fn assert_only(log: &Log, what: &str, allowed: &[&str]) {
    for event in log.audit() {
        assert!(
            allowed.contains(&event.name()),
            "{what}: unexpected {event:?}"
        );
    }
}

/// One event per session ended, each `how` its call; the ended sessions'
/// next requests write no `logout` event; nothing personal in any event.
async fn revocations_are_logged_once_each(site: SessionsSite) {
    let (_turn, log) = listen().await;
    let what = site.framework();
    let demo = [
        site.demo_browser().await,
        site.demo_browser().await,
        site.demo_browser().await,
    ];
    let (tagged, eve) = (site.site.browser(), site.site.browser());
    assert_eq!(site.sign_in(&tagged, ADA, Some("sid-7f3a")).await, 200);
    assert_eq!(site.sign_in(&eve, EVE, None).await, 200);
    let mut secrets: Vec<String> = ["demo", ADA, EVE, "sid-7f3a"].map(str::to_owned).into();
    for user in ["demo", ADA, EVE] {
        secrets.extend(
            site.handle
                .sessions_of(user)
                .await
                .into_iter()
                .map(|s| s.handle),
        );
    }
    secrets.extend(site.cookies(&[&demo[0], &demo[1], &demo[2], &tagged, &eve]));
    assert!(log.audit().is_empty(), "{what}: {:#?}", log.audit());

    // One, by its handle (the oldest sign-in is listed first).
    let first = site.handle.sessions_of("demo").await[0].handle.clone();
    assert!(site.handle.revoke("demo", &first).await);
    assert!(!site.handle.revoke("demo", &first).await);
    assert_eq!(revoked_events(&log), pairs(&[("revoked", "one")]), "{what}");
    assert_ended(what, &demo[0]).await;
    // The others, from the second browser.
    let page = demo[1].post_form(OTHERS, &[]).await;
    assert_eq!(page.body, "ended=1", "{what}: {page:?}");
    assert_ended(what, &demo[2]).await;
    // By tag, then everywhere.
    assert_eq!(site.handle.tagged("sid-7f3a").await, 1);
    assert_eq!(site.handle.everywhere("demo").await, 1);
    assert_eq!(site.handle.everywhere("demo").await, 0);
    assert_ended(what, &tagged).await;
    assert_ended(what, &demo[1]).await;
    assert_eq!(
        revoked_events(&log),
        pairs(&[
            ("revoked", "one"),
            ("revoked", "others"),
            ("revoked", "tagged"),
            ("revoked", "everywhere"),
        ]),
        "{what}"
    );
    // Their next requests again: nothing more.
    for b in &demo {
        assert_ended(what, b).await;
    }
    assert!(eve.signed_in().await, "{what}");
    assert_only(&log, what, &["session_revoked"]);
    log.assert_free_of(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
}

/// `evict-oldest`: the evicted session's one event says `replaced` and
/// `limit`; `refuse-new`: a `sign_in_refused` warning with `max`, nothing
/// else.
async fn the_limit_is_logged(evict: SessionsSite, refuse: SessionsSite) {
    let (_turn, log) = listen().await;
    let what = evict.framework();
    let oldest = evict.demo_browser().await;
    evict.site.advance(1_000);
    let second = evict.demo_browser().await;
    evict.site.advance(1_000);
    let third = evict.demo_browser().await;
    assert_eq!(
        revoked_events(&log),
        pairs(&[("replaced", "limit")]),
        "{what}"
    );
    assert_ended(what, &oldest).await;
    assert!(
        second.signed_in().await && third.signed_in().await,
        "{what}"
    );
    assert_only(&log, what, &["session_revoked"]);
    let mut secrets = evict.cookies(&[&oldest, &second, &third]);

    log.clear();
    let b = [
        refuse.site.browser(),
        refuse.site.browser(),
        refuse.site.browser(),
    ];
    assert_eq!(refuse.sign_in(&b[0], ADA, None).await, 200);
    assert_eq!(refuse.sign_in(&b[1], ADA, None).await, 200);
    assert_eq!(refuse.sign_in(&b[2], ADA, None).await, 409);
    let refused: Vec<Event> = log.named("sign_in_refused");
    assert_eq!(refused.len(), 1, "{what}: {:#?}", log.audit());
    assert_eq!(refused[0].level, tracing::Level::WARN, "{refused:?}");
    assert_eq!(refused[0].field("max"), Some("2"), "{refused:?}");
    assert_only(&log, what, &["sign_in_refused"]);
    secrets.extend(refuse.cookies(&[&b[0], &b[1]]));
    secrets.push(ADA.to_owned());
    log.assert_free_of(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
}

/// The `logout` events, each with its `source`.
fn logouts(log: &Log) -> Vec<Event> {
    log.named("logout")
}

/// The sweeper's `logout`: `source = "sweep"`, the reason and both ages at
/// the round's now; its session's next request writes nothing. A session
/// a request finds expired: `source = "request"`.
async fn the_logout_says_who_found_it(site: SessionsSite) {
    let (_turn, log) = listen().await;
    let what = site.framework();
    let swept = site.demo_browser().await;
    let found = site.demo_browser().await;
    site.site.advance(30_000);
    assert!(found.signed_in().await, "{what}");
    site.site.advance(30_001);
    assert_eq!(site.handle.sweep().await, 1, "{what}");
    assert_eq!(site.handle.sweep().await, 0, "{what}");
    let events = logouts(&log);
    assert_eq!(events.len(), 1, "{what}: {:#?}", log.audit());
    let event = &events[0];
    assert_eq!(event.level, tracing::Level::INFO, "{event:?}");
    assert_eq!(event.field("source"), Some("sweep"), "{event:?}");
    assert_eq!(event.field("reason"), Some("idle"), "{event:?}");
    assert_eq!(event.field("idle_age_ms"), Some("60001"), "{event:?}");
    assert_eq!(event.field("session_age_ms"), Some("60001"), "{event:?}");
    assert!(
        log.text().contains("source=\"sweep\""),
        "{what}: {}",
        log.text()
    );
    assert_ended(what, &swept).await;
    assert_eq!(logouts(&log).len(), 1, "{what}: {:#?}", log.audit());

    site.site.advance(30_000);
    assert!(!found.signed_in().await, "{what}");
    let events = logouts(&log);
    assert_eq!(events.len(), 2, "{what}: {:#?}", log.audit());
    let event = &events[1];
    assert_eq!(event.field("source"), Some("request"), "{event:?}");
    assert_eq!(event.field("reason"), Some("idle"), "{event:?}");
    assert_eq!(event.field("idle_age_ms"), Some("60001"), "{event:?}");
    assert_eq!(event.field("session_age_ms"), Some("90001"), "{event:?}");
    assert_eq!(site.handle.sweep().await, 0, "{what}");
    assert_only(&log, what, &["logout"]);
    let mut secrets = site.cookies(&[&swept, &found]);
    secrets.push(app::USERNAME.to_owned());
    log.assert_free_of(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
}

/// A request and a sweep past the deadline at once, many rounds: exactly
/// one `logout` event per session, from whichever found it first.
async fn a_request_racing_the_sweeper_is_logged_once(site: SessionsSite) {
    let (_turn, log) = listen().await;
    let what = site.framework();
    let mut swept_total = 0;
    for round in 0..ROUNDS {
        let b = site.demo_browser().await;
        site.site.advance(60_001);
        let before = logouts(&log).len();
        let (page, swept) = tokio::join!(b.get("/"), site.handle.sweep());
        assert_eq!(page.status, 303, "{what}, round {round}: {page:?}");
        swept_total += swept;
        let events = logouts(&log);
        assert_eq!(
            events.len(),
            before + 1,
            "{what}, round {round}: {:#?}",
            &events[before..]
        );
        let source = events[before].field("source").unwrap().to_owned();
        let expected = if swept == 1 { "sweep" } else { "request" };
        assert_eq!(source, expected, "{what}, round {round}");
        // Its next request, and the next round of the sweeper: nothing more.
        assert_ended(what, &b).await;
        assert_eq!(site.handle.sweep().await, 0, "{what}, round {round}");
        assert_eq!(logouts(&log).len(), before + 1, "{what}, round {round}");
    }
    let by_sweep = logouts(&log)
        .iter()
        .filter(|e| e.field("source") == Some("sweep"))
        .count();
    assert_eq!(by_sweep, swept_total, "{what}");
    assert_only(&log, what, &["logout"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn axum_revocations_are_logged_once_each() {
    revocations_are_logged_once_each(axum_site(config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actix_revocations_are_logged_once_each() {
    revocations_are_logged_once_each(actix_site(config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn axum_the_limit_is_logged() {
    the_limit_is_logged(
        axum_site(limit_config("evict-oldest")).await,
        axum_site(limit_config("refuse-new")).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actix_the_limit_is_logged() {
    the_limit_is_logged(
        actix_site(limit_config("evict-oldest")).await,
        actix_site(limit_config("refuse-new")).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn axum_the_logout_says_who_found_it() {
    the_logout_says_who_found_it(axum_site(config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actix_the_logout_says_who_found_it() {
    the_logout_says_who_found_it(actix_site(config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn axum_a_request_racing_the_sweeper_is_logged_once() {
    a_request_racing_the_sweeper_is_logged_once(axum_site(config()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actix_a_request_racing_the_sweeper_is_logged_once() {
    a_request_racing_the_sweeper_is_logged_once(actix_site(config()).await).await;
}
