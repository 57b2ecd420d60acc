//! The audit events (feature `tracing`) as a production log receives them:
//! real requests through the axum demo (tower-sessions) and the actix demo
//! (actix-session) with an injected clock, every event recorded by a
//! subscriber installed for this test binary, both as fields and as the text
//! `tracing_subscriber::fmt` writes.
//!
//! The sites run on server tasks and worker threads a per-thread subscriber
//! would not see, so the subscriber is global and the tests take turns
//! ([`listen`], shared with the mistakes' tests): each one sees only the
//! events of its own requests.

use crate::support;

use crate::actix_support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_support::{ActixSite, app as actix_app, cookie_of};
use async_trait::async_trait;
use auto_logout::actix::AutoLogoutStore as ActixStore;
use auto_logout::{Config, ManualClock, Stamps};
use support::{Browser, CountingStore, Site, T0, app};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use crate::server_log::{Event, Log, listen};

// ---------------------------------------------------------------------------
// Configuration and stores

fn config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(app::DEFAULT_MESSAGE)
        .build()
        .unwrap()
}

/// The secret a failing store puts in its error texts beside the session id,
/// as a backend's message might quote session data.
const USER_DATA: &str = "alice@example.com";

/// Which store calls fail, and how their error texts read.
#[derive(Clone, Debug, Default)]
struct Outage(Arc<Mutex<HashSet<&'static str>>>);

impl Outage {
    fn set(&self, calls: &[&'static str]) {
        *self.0.lock().unwrap() = calls.iter().copied().collect();
    }

    fn failing(&self, call: &str) -> bool {
        self.0.lock().unwrap().contains(call)
    }
}

/// A tower-sessions store whose failing calls quote the session id in their
/// text, and whose decoding failure quotes session data.
#[derive(Clone, Debug, Default)]
struct LeakyStore {
    inner: CountingStore,
    outage: Outage,
}

impl LeakyStore {
    fn fail(&self, call: &'static str, id: &Id) -> session_store::Result<()> {
        if !self.outage.failing(call) {
            return Ok(());
        }
        if self.outage.failing("decode") {
            return Err(session_store::Error::Decode(format!(
                "invalid type: string \"{USER_DATA}\", expected a map"
            )));
        }
        Err(session_store::Error::Backend(format!(
            "connection refused while the {call} of session:{id} was under way"
        )))
    }
}

#[async_trait]
impl tower_sessions::SessionStore for LeakyStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.fail("create", &record.id)?;
        self.inner.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.fail("save", &record.id)?;
        self.inner.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.fail("load", id)?;
        self.inner.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.fail("delete", id)?;
        self.inner.delete(id).await
    }
}

/// The axum demo over a [`LeakyStore`] with a manual clock.
async fn leaky_axum_site(config: Config) -> (std::net::SocketAddr, ManualClock, LeakyStore) {
    let clock = ManualClock::new(T0);
    let store = LeakyStore::default();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    let router = app::router_with(&settings, store.clone(), axum::Router::new());
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    (addr, clock, store)
}

/// An actix-session store whose failing calls quote the session key in
/// their text, and whose decoding failure quotes session data.
#[derive(Clone, Default)]
struct LeakyActixStore {
    inner: actix_app::MemoryStore,
    outage: Outage,
    /// Every session key the wrapped store handed out.
    keys: Arc<Mutex<Vec<String>>>,
}

impl LeakyActixStore {
    fn keys(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }

    fn note(&self, key: &SessionKey) {
        self.keys.lock().unwrap().push(key.as_ref().to_owned());
    }

    fn fail(&self, call: &'static str, key: &str) -> Option<anyhow::Error> {
        self.outage.failing(call).then(|| {
            anyhow::anyhow!("connection refused while the {call} of session:{key} was under way")
        })
    }
}

type State = HashMap<String, String>;
type TtlDuration = actix_web::cookie::time::Duration;

impl SessionStore for LeakyActixStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        if self.outage.failing("decode") {
            return Err(LoadError::Deserialization(anyhow::anyhow!(
                "invalid type: string \"{USER_DATA}\", expected a map"
            )));
        }
        match self.fail("load", key.as_ref()) {
            Some(error) => Err(LoadError::Other(error)),
            None => self.inner.load(key).await,
        }
    }

    async fn save(&self, state: State, ttl: &TtlDuration) -> Result<SessionKey, SaveError> {
        match self.fail("create", "new") {
            Some(error) => Err(SaveError::Other(error)),
            None => {
                let key = self.inner.save(state, ttl).await?;
                self.note(&key);
                Ok(key)
            }
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &TtlDuration,
    ) -> Result<SessionKey, UpdateError> {
        match self.fail("save", key.as_ref()) {
            Some(error) => Err(UpdateError::Other(error)),
            None => {
                let key = self.inner.update(key, state, ttl).await?;
                self.note(&key);
                Ok(key)
            }
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &TtlDuration) -> anyhow::Result<()> {
        match self.fail("save", key.as_ref()) {
            Some(error) => Err(error),
            None => self.inner.update_ttl(key, ttl).await,
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        match self.fail("delete", key.as_ref()) {
            Some(error) => Err(error),
            None => self.inner.delete(key).await,
        }
    }
}

// ---------------------------------------------------------------------------
// Checks shared by both frameworks

/// The one `logout` event of the log: info level, this reason and these ages
/// (`None`: the field is absent).
fn assert_one_logout(
    log: &Log,
    reason: &str,
    idle_age_ms: Option<i64>,
    session_age_ms: Option<i64>,
) {
    let logouts = log.named("logout");
    assert_eq!(logouts.len(), 1, "one logout event: {:#?}", log.audit());
    let event = &logouts[0];
    assert_eq!(event.level, tracing::Level::INFO, "{event:?}");
    assert_eq!(event.field("reason"), Some(reason), "{event:?}");
    let idle = idle_age_ms.map(|ms| ms.to_string());
    let session = session_age_ms.map(|ms| ms.to_string());
    assert_eq!(event.field("idle_age_ms"), idle.as_deref(), "{event:?}");
    assert_eq!(
        event.field("session_age_ms"),
        session.as_deref(),
        "{event:?}"
    );
    // The line a production log shows.
    let text = log.text();
    let line = text
        .lines()
        .find(|line| line.contains("automatic logout"))
        .unwrap_or_else(|| panic!("no logout line in:\n{text}"));
    assert!(
        line.contains(" INFO ") && line.contains("auto_logout:"),
        "{line}"
    );
    assert!(line.contains(&format!("reason=\"{reason}\"")), "{line}");
}

/// The warn events named `name`, at least one.
fn warnings(log: &Log, name: &str) -> Vec<Event> {
    let found = log.named(name);
    assert!(!found.is_empty(), "no {name} event: {:#?}", log.audit());
    for event in &found {
        assert_eq!(event.level, tracing::Level::WARN, "{event:?}");
    }
    found
}

/// A keepalive `POST` with or without its header.
async fn keepalive(b: &Browser, with_header: bool) -> u16 {
    let mut request = b.client.post(b.url("/auto-logout/keepalive"));
    if with_header {
        request = request.header("x-auto-logout", "1");
    }
    b.send(request).await.status
}

// ---------------------------------------------------------------------------
// The checks, written once, and each stack's site for them

/// A change of a stored session under way.
type Tampering = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What must never reach the log, for a signed-in browser.
type Secrets = Box<dyn Fn(&Browser) -> Vec<String>>;
/// Changes a browser's stored session.
type Tamper = Box<dyn Fn(&Browser, serde_json::Value) -> Tampering>;

/// One stack's demo site with a manual clock, as the audit checks need it.
struct AuditSite {
    site: support::Target,
    /// What must never reach the log once `b` has signed in: its session id
    /// or keys, its cookie, the user's data.
    secrets: Secrets,
    /// Puts this JSON value under the stamps' key of `b`'s stored session.
    tamper: Tamper,
}

/// The axum demo over a counting store.
async fn axum_site() -> AuditSite {
    axum_site_with(config()).await
}

/// [`axum_site`] with `config`.
async fn axum_site_with(config: Config) -> AuditSite {
    let site = Site::start(config).await;
    let store = site.store.clone();
    let target = support::Target::new(site.addr, site.clock.clone(), "axum", site);
    AuditSite {
        site: target,
        secrets: Box::new(|b| {
            vec![
                b.session_id().unwrap().to_string(),
                app::USERNAME.to_owned(),
            ]
        }),
        tamper: Box::new(move |b, value| {
            let (store, id) = (store.clone(), b.session_id().unwrap());
            Box::pin(async move { store.tamper(id, Stamps::SESSION_KEY, value).await })
        }),
    }
}

/// The actix demo over a [`LeakyActixStore`] that has not failed yet.
async fn actix_audit_site() -> AuditSite {
    actix_audit_site_with(config()).await
}

/// [`actix_audit_site`] with `config`.
async fn actix_audit_site_with(config: Config) -> AuditSite {
    let (site, store) = actix_site_with(config);
    let target = support::Target::new(site.addr, site.clock.clone(), "actix", site);
    let tampered = store.clone();
    AuditSite {
        site: target,
        secrets: Box::new(move |b| {
            let mut secrets = actix_secrets(b, &store);
            secrets.push(app::USERNAME.to_owned());
            secrets
        }),
        tamper: Box::new(move |_, value| {
            tampered
                .inner
                .tamper(Stamps::SESSION_KEY, &value.to_string());
            Box::pin(async {})
        }),
    }
}

/// Requests within the limits log nothing; 60.001 s after the last request
/// the logout is logged once, for inactivity, with both ages.
async fn idle_logout_is_logged(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let site = &audit.site;
    let b = site.browser();
    b.login().await;
    site.advance(30_000);
    assert!(b.signed_in().await);
    assert!(
        log.audit().is_empty(),
        "{}: {:#?}",
        site.framework,
        log.audit()
    );

    site.advance(60_001);
    assert!(!b.signed_in().await);
    assert_one_logout(&log, "idle", Some(60_001), Some(90_001));
    log.assert_free_of(&strs(&(audit.secrets)(&b)));
}

/// A request every 50 s keeps the idle limit away; the fifth minute ends it.
async fn absolute_logout_is_logged(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let site = &audit.site;
    let b = site.browser();
    b.login().await;
    for _ in 0..6 {
        site.advance(50_000);
        assert!(b.signed_in().await);
    }
    site.advance(1);
    assert!(!b.signed_in().await);
    assert_one_logout(&log, "session", Some(1), Some(300_001));
    log.assert_free_of(&strs(&(audit.secrets)(&b)));
}

/// A keepalive without its header: refused (`403`) with a warning, no logout.
async fn refused_keepalive_is_a_warning(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let b = audit.site.browser();
    b.login().await;
    assert_eq!(keepalive(&b, true).await, 200);
    assert!(log.audit().is_empty(), "{:#?}", log.audit());
    assert_eq!(keepalive(&b, false).await, 403);
    let refused = warnings(&log, "keepalive_refused");
    assert_eq!(refused.len(), 1);
    assert!(refused[0].field("why").unwrap().contains("X-Auto-Logout"));
    assert!(log.named("logout").is_empty());
}

/// Stamps that cannot be read (text that is not stamps, a value of another
/// type): refused with a warning that quotes neither, logged out as
/// `invalid`, without ages.
async fn corrupt_stamps_are_logged_out_as_invalid(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let b = audit.site.browser();
    for corrupt in [serde_json::json!("1.garbage"), serde_json::json!(12)] {
        log.clear();
        b.login().await;
        (audit.tamper)(&b, corrupt.clone()).await;
        assert!(!b.signed_in().await, "{corrupt}");
        let refused = warnings(&log, "stamps_refused");
        assert_eq!(refused.len(), 1, "{corrupt}");
        assert!(
            refused[0].field("error").unwrap().contains("format"),
            "{refused:?}"
        );
        assert_one_logout(&log, "invalid", None, None);
        let mut secrets = (audit.secrets)(&b);
        secrets.push("1.garbage".to_owned());
        log.assert_free_of(&strs(&secrets));
    }
}

/// Well-formed stamps an hour ahead: forged, not corrupt — no warning, and
/// the logout carries the negative ages.
async fn future_dated_stamps_are_logged_with_negative_ages(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let b = audit.site.browser();
    b.login().await;
    let ahead = Stamps::at_login(T0.saturating_add_millis(3_600_000)).encode();
    (audit.tamper)(&b, serde_json::json!(ahead)).await;
    assert!(!b.signed_in().await);
    assert!(log.named("stamps_refused").is_empty(), "{:#?}", log.audit());
    assert_one_logout(&log, "invalid", Some(-3_600_000), Some(-3_600_000));
}

/// Idle 60 s, locked after 20 s, absolute 300 s, two tries.
fn lock_config() -> Config {
    Config::builder()
        .idle_time(60)
        .lock_after(20)
        .session_time(300)
        .unlock_attempts(2)
        .message(app::DEFAULT_MESSAGE)
        .build()
        .unwrap()
}

/// A 2-minute presence lease; idle 10 minutes, absolute 1 hour.
fn presence_config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3_600)
        .logout_on_tabs_closed("2m")
        .redirect_to_login_immediately(true)
        .message(app::DEFAULT_MESSAGE)
        .build()
        .unwrap()
}

/// `POST <prefix>path` with the script's header and `password`.
async fn password(b: &Browser, path: &str, password: &str) -> u16 {
    let request = b
        .client
        .post(b.url(&format!("/auto-logout/{path}")))
        .header("x-auto-logout", "1")
        .form(&[("password", password)]);
    b.send(request).await.status
}

/// A wrong password that is logged: never the password itself.
const WRONG: &str = "hunter2-not-it";

/// The lock's events: a refused request, a wrong password (with the count),
/// the unlock, a re-authentication, and at `UNLOCK_ATTEMPTS` the logout
/// (`unlock_failed`, with its ages). No password reaches the log.
async fn lock_events_are_logged(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let site = &audit.site;
    let b = site.browser();
    b.login().await;
    site.advance(20_000);
    assert_eq!(b.get("/").await.status, 423, "{}", site.framework);
    assert_eq!(log.named("locked_request").len(), 1, "{:#?}", log.audit());
    assert_eq!(password(&b, "unlock", WRONG).await, 401);
    let refused = warnings(&log, "unlock_refused");
    assert_eq!(refused.len(), 1, "{:#?}", log.audit());
    assert_eq!(refused[0].field("failures"), Some("1"));
    assert_eq!(refused[0].field("allowed"), Some("2"));
    assert_eq!(password(&b, "unlock", app::PASSWORD).await, 200);
    assert_eq!(log.named("unlocked").len(), 1, "{:#?}", log.audit());
    assert_eq!(password(&b, "reauthenticate", app::PASSWORD).await, 200);
    assert_eq!(log.named("reauthenticated").len(), 1, "{:#?}", log.audit());
    assert!(log.named("logout").is_empty(), "{:#?}", log.audit());
    site.advance(20_000);
    assert_eq!(password(&b, "unlock", WRONG).await, 401);
    assert_eq!(password(&b, "unlock", WRONG).await, 200);
    assert_eq!(warnings(&log, "unlock_refused").len(), 3);
    assert_one_logout(&log, "unlock_failed", Some(20_000), Some(20_000));
    let mut secrets = (audit.secrets)(&b);
    secrets.push(WRONG.to_owned());
    log.assert_free_of(&strs(&secrets));
}

/// The presence lease's logout (`closed`), with its ages.
async fn closed_logout_is_logged(audit: AuditSite) {
    let (_turn, log) = listen().await;
    let site = &audit.site;
    let b = site.browser();
    b.login().await;
    site.advance(59_000);
    assert!(b.signed_in().await);
    // No request (no open tab) for longer than the lease.
    site.advance(120_001);
    assert!(!b.signed_in().await);
    assert_one_logout(&log, "closed", Some(120_001), Some(179_001));
}

#[tokio::test]
async fn axum_the_lock_is_logged() {
    lock_events_are_logged(axum_site_with(lock_config()).await).await;
}

#[tokio::test]
async fn actix_the_lock_is_logged() {
    lock_events_are_logged(actix_audit_site_with(lock_config()).await).await;
}

#[tokio::test]
async fn axum_the_last_tab_closed_is_logged() {
    closed_logout_is_logged(axum_site_with(presence_config()).await).await;
}

#[tokio::test]
async fn actix_the_last_tab_closed_is_logged() {
    closed_logout_is_logged(actix_audit_site_with(presence_config()).await).await;
}

/// Each check on both stacks: `name => check`.
macro_rules! on_both_stacks {
    ($($axum:ident, $actix:ident => $check:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $axum() {
            $check(axum_site().await).await;
        }

        #[tokio::test]
        async fn $actix() {
            $check(actix_audit_site().await).await;
        }
    )*};
}

on_both_stacks! {
    axum_an_idle_logout_is_logged_with_its_reason_and_ages,
    actix_an_idle_logout_is_logged_with_its_reason_and_ages => idle_logout_is_logged,
    axum_an_absolute_logout_is_logged_with_its_reason_and_ages,
    actix_an_absolute_logout_is_logged_with_its_reason_and_ages => absolute_logout_is_logged,
    axum_a_refused_keepalive_is_a_warning,
    actix_a_refused_keepalive_is_a_warning => refused_keepalive_is_a_warning,
    axum_corrupt_stamps_are_refused_and_logged_out_as_invalid,
    actix_corrupt_stamps_are_refused_and_logged_out_as_invalid =>
        corrupt_stamps_are_logged_out_as_invalid,
    axum_future_dated_stamps_are_logged_out_with_negative_ages,
    actix_future_dated_stamps_are_logged_out_with_negative_ages =>
        future_dated_stamps_are_logged_with_negative_ages,
}

// ---------------------------------------------------------------------------
// Store failures: the calls each session layer makes differ

#[tokio::test]
async fn axum_store_failures_are_warnings_without_session_ids_or_data() {
    let (_turn, log) = listen().await;
    let (addr, clock, store) = leaky_axum_site(config()).await;
    let b = Browser::new(addr);
    b.login().await;
    let id = b.session_id().unwrap().to_string();
    let outage = store.outage.clone();

    // The session cannot be read: 503, and a warning naming the call.
    outage.set(&["load"]);
    assert_eq!(b.get("/").await.status, 503);
    let failed = warnings(&log, "store_failed");
    assert_eq!(failed[0].field("operation"), Some("load"), "{failed:?}");
    let error = failed[0].field("error").unwrap();
    assert!(
        error.contains("connection refused") && error.contains("session:[session id]"),
        "{error}"
    );

    // Activity cannot be written (the wrapper reads, then writes).
    log.clear();
    outage.set(&["save"]);
    clock.advance(std::time::Duration::from_secs(5));
    let _ = b.get("/").await;
    let failed = warnings(&log, "store_failed");
    assert!(
        failed.iter().all(|e| e.field("operation") == Some("save")),
        "{failed:?}"
    );

    // A record that cannot be decoded: only what failed, not the decoder's
    // message, which quotes the record.
    log.clear();
    outage.set(&["load", "decode"]);
    let _ = b.get("/").await;
    let failed = warnings(&log, "store_failed");
    assert_eq!(
        failed[0].field("error"),
        Some("the stored session record could not be decoded")
    );
    // ...and the session it logs out is an automatic logout like any other.
    let logouts = log.named("logout");
    assert_eq!(logouts.len(), 1, "{logouts:#?}");
    assert_eq!(logouts[0].level, tracing::Level::INFO);
    assert_eq!(logouts[0].field("reason"), Some("invalid"));
    assert_eq!(logouts[0].field("idle_age_ms"), None, "no stamps were read");
    outage.set(&[]);
    log.assert_free_of(&[&id, USER_DATA]);
}

// ---------------------------------------------------------------------------
// actix-web

/// The actix demo over a [`LeakyActixStore`] with a manual clock.
fn actix_site() -> (ActixSite<LeakyActixStore>, LeakyActixStore) {
    actix_site_with(config())
}

/// [`actix_site`] with `config`.
fn actix_site_with(config: Config) -> (ActixSite<LeakyActixStore>, LeakyActixStore) {
    let leaky = LeakyActixStore::default();
    let site = ActixSite::start_with(config, ActixStore::new(leaky.clone()), actix_app::no_routes);
    (site, leaky)
}

/// The session cookie's value (the session key, encrypted) and every
/// session key the store has handed out: what must never reach the log.
fn actix_secrets(b: &Browser, store: &LeakyActixStore) -> Vec<String> {
    let mut secrets = store.keys();
    assert!(!secrets.is_empty(), "the store made a session key");
    secrets.extend(cookie_of(b, app::SESSION_COOKIE));
    secrets.push(USER_DATA.to_owned());
    secrets
}

fn strs(secrets: &[String]) -> Vec<&str> {
    secrets.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn actix_store_failures_are_warnings_without_session_keys_or_data() {
    let (_turn, log) = listen().await;
    let (site, store) = actix_site();
    let b = site.browser();
    b.login().await;

    // The session cannot be read: 503, and a warning naming the call.
    store.outage.set(&["load"]);
    assert_eq!(b.get("/").await.status, 503);
    let failed = warnings(&log, "store_failed");
    assert_eq!(failed[0].field("operation"), Some("load"), "{failed:?}");
    let error = failed[0].field("error").unwrap();
    assert!(
        error.contains("connection refused") && error.contains("session:[session id]"),
        "{error}"
    );

    // Activity cannot be written.
    log.clear();
    store.outage.set(&["save"]);
    site.advance(5_000);
    let _ = b.get("/").await;
    let failed = warnings(&log, "store_failed");
    assert!(
        failed.iter().all(|e| e.field("operation") == Some("save")),
        "{failed:?}"
    );
    let error = failed[0].field("error").unwrap();
    assert!(error.contains("session:[session id]"), "{error}");

    // A state that cannot be read: only what failed, not the decoder's
    // message, which quotes the state.
    log.clear();
    store.outage.set(&["decode"]);
    let _ = b.get("/").await;
    let failed = warnings(&log, "store_failed");
    assert_eq!(
        failed[0].field("error"),
        Some("the stored session state could not be deserialized")
    );
    store.outage.set(&[]);
    log.assert_free_of(&strs(&actix_secrets(&b, &store)));
}

// ---------------------------------------------------------------------------
// The logout hook and a forgotten login call

/// What the failing hooks answer.
const PROVIDER_DOWN: &str = "the identity provider did not answer";

#[tokio::test]
async fn a_failing_logout_hook_is_a_warning_and_the_logout_still_logged() {
    let (_turn, log) = listen().await;
    // axum: a hook that fails.
    let site = Site::start_custom(config(), axum::Router::new(), |settings| {
        settings.customize.axum = Some(Arc::new(|layer| {
            layer.on_logout(|_event: auto_logout::axum::LogoutEvent| async {
                Err::<Option<axum::response::Response>, _>(PROVIDER_DOWN)
            })
        }));
    })
    .await;
    let b = site.browser();
    b.login().await;
    site.advance(60_001);
    assert!(!b.signed_in().await);
    assert_one_logout(&log, "idle", Some(60_001), Some(60_001));
    let failed = warnings(&log, "hook_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].field("reason"), Some("idle"));
    assert!(failed[0].field("error").unwrap().contains(PROVIDER_DOWN));

    // actix: the same.
    log.clear();
    let site = ActixSite::start_custom(
        config(),
        ActixStore::new(actix_app::MemoryStore::default()),
        actix_app::no_routes,
        |settings| {
            settings.customize.actix = Some(Arc::new(|middleware| {
                middleware.on_logout(|_event: auto_logout::actix::LogoutEvent| async {
                    Err::<Option<actix_web::HttpResponse>, _>(PROVIDER_DOWN)
                })
            }));
        },
    );
    let b = site.browser();
    b.login().await;
    for _ in 0..6 {
        site.advance(50_000);
        assert!(b.signed_in().await);
    }
    site.advance(1);
    assert!(!b.signed_in().await);
    assert_one_logout(&log, "session", Some(1), Some(300_001));
    let failed = warnings(&log, "hook_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].field("reason"), Some("session"));
    assert!(failed[0].field("error").unwrap().contains(PROVIDER_DOWN));
}

/// A login handler that forgets `AutoLogout::login`.
async fn forgetful_login(session: tower_sessions::Session) -> axum::response::Redirect {
    session.insert(app::USER_KEY, app::USERNAME).await.unwrap();
    session.cycle_id().await.unwrap();
    axum::response::Redirect::to("/")
}

/// The one test of this binary that forgets the login call: the warning is
/// once per process.
#[tokio::test]
async fn a_forgotten_login_call_is_a_warning_once_per_process() {
    let (_turn, log) = listen().await;
    assert_eq!(auto_logout::clocks_never_started_fired(), 0);
    let calls = auto_logout::clocks_never_started_calls();
    let extra = axum::Router::new().route("/forgetful-login", axum::routing::post(forgetful_login));
    let site = Site::start_with(config(), extra).await;
    let b = site.browser();
    let answer = b.post_form("/forgetful-login", &[]).await;
    assert_eq!(answer.status, 303);
    let id = b.session_id().unwrap().to_string();
    let warned = warnings(&log, "clocks_never_started");
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(!warned[0].field("detail").unwrap_or("").is_empty());
    assert_eq!(auto_logout::clocks_never_started_fired(), 1);
    assert_eq!(auto_logout::clocks_never_started_calls(), calls + 1);

    // Another site of the same process: counted, not said again.
    log.clear();
    let extra = axum::Router::new().route("/forgetful-login", axum::routing::post(forgetful_login));
    let site = Site::start_with(config(), extra).await;
    let b2 = site.browser();
    assert_eq!(b2.post_form("/forgetful-login", &[]).await.status, 303);
    assert_eq!(auto_logout::clocks_never_started_calls(), calls + 2);
    assert!(
        log.named("clocks_never_started").is_empty(),
        "{:#?}",
        log.audit()
    );
    log.assert_free_of(&[&id, app::USERNAME]);
}
