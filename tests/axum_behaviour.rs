//! The shared behaviour scenarios (`behaviour/`) on the axum demo
//! (tower-sessions, axum-messages, MiniJinja) over real HTTP with an
//! injected clock; `actix_behaviour.rs` runs the same on actix-web.

mod behaviour;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use auto_logout::{Config, ManualClock};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use behaviour::hook::{Call, HOOK_ERROR, HOOK_PAGE, HookLog, IDP, Mode};
use behaviour::{Gate, OWN_CACHING, OWN_POLICY, SLOW, Target};
use behaviour::{hook, signed_in};
use support::{CountingStore, T0, app};
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionStore, session_store};

/// The counting store, with an outage switch.
#[derive(Clone, Debug, Default)]
struct Flaky {
    inner: CountingStore,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> session_store::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(session_store::Error::Backend("connection refused".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl SessionStore for Flaky {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.check()?;
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.check()?;
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.check()?;
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
}

async fn slow(State(gate): State<Arc<Gate>>, session: Session) -> &'static str {
    gate.entered.notify_one();
    gate.release.notified().await;
    session.insert("last_report", "weekly").await.unwrap();
    "slow page"
}

async fn own_caching() -> impl axum::response::IntoResponse {
    ([("cache-control", OWN_POLICY)], "cached by choice")
}

async fn start(config: Config) -> Target {
    let gate = Arc::new(Gate::default());
    let extra = Router::new()
        .route(SLOW, get(slow))
        .with_state(gate.clone())
        .route(OWN_CACHING, get(own_caching))
        .route(
            behaviour::limits::STAMPS,
            get(read_stamps).post(write_stamps),
        );
    let clock = ManualClock::new(T0);
    let store = Flaky::default();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    let router = app::router_with(&settings, store.clone(), extra);
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    let counts = store.inner.clone();
    let switch = store.down.clone();
    Target::new(
        addr,
        clock,
        "axum",
        gate,
        move || counts.creates() + counts.total_saves(),
        move |on| switch.store(on, Ordering::SeqCst),
        (),
    )
}

behaviour_tests! {start;
    sign_in_and_out => SIGN_IN_AND_OUT,
    anonymous_requests_are_untouched => ANONYMOUS_REQUESTS_ARE_UNTOUCHED,
    anonymous_login_page_sets_no_cookie => ANONYMOUS_LOGIN_PAGE_SETS_NO_COOKIE,
    anonymous_logout_creates_nothing => ANONYMOUS_LOGOUT_CREATES_NOTHING,
    idle_expiry_shows_the_message_once => IDLE_EXPIRY_SHOWS_THE_MESSAGE_ONCE,
    absolute_expiry_under_continuous_activity => ABSOLUTE_EXPIRY_UNDER_CONTINUOUS_ACTIVITY,
    each_limit_flashes_its_own_message => EACH_LIMIT_FLASHES_ITS_OWN_MESSAGE,
    expiry_is_strict_at_the_boundary => EXPIRY_IS_STRICT_AT_THE_BOUNDARY,
    writes_are_coalesced => WRITES_ARE_COALESCED,
    passive_requests_do_not_extend_idle => PASSIVE_REQUESTS_DO_NOT_EXTEND_IDLE,
    head_requests_are_passive => HEAD_REQUESTS_ARE_PASSIVE,
    keepalive_counts_only_with_its_header => KEEPALIVE_COUNTS_ONLY_WITH_ITS_HEADER,
    status_answers_for_every_kind_of_session => STATUS_ANSWERS_FOR_EVERY_KIND_OF_SESSION,
    script_and_stylesheet_files => SCRIPT_AND_STYLESHEET_FILES,
    login_url_answers_by_request_kind => LOGIN_URL_ANSWERS_BY_REQUEST_KIND,
    tracked_pages_are_no_store => TRACKED_PAGES_ARE_NO_STORE,
    store_error_is_503 => STORE_ERROR_IS_503,
    slow_request_over_a_logout => SLOW_REQUEST_OVER_A_LOGOUT,
    slow_request_over_an_expiry => SLOW_REQUEST_OVER_AN_EXPIRY,
    slow_request_never_moves_activity_back => SLOW_REQUEST_NEVER_MOVES_ACTIVITY_BACK,
}

/// [`start`] with the auto-logout layer changed by `customize`, and the
/// forgetful login page of `behaviour::signed_in`.
async fn start_custom(
    config: Config,
    customize: impl Fn(auto_logout::axum::AutoLogoutLayer) -> auto_logout::axum::AutoLogoutLayer
    + Send
    + Sync
    + 'static,
) -> Target {
    let gate = Arc::new(Gate::default());
    let extra = Router::new()
        .route(SLOW, get(slow))
        .with_state(gate.clone())
        .route(OWN_CACHING, get(own_caching))
        .route(
            behaviour::signed_in::FORGETFUL_LOGIN,
            axum::routing::post(forgetful_login),
        )
        .route(
            behaviour::limits::STAMPS,
            get(read_stamps).post(write_stamps),
        )
        .route(
            signed_in::DROP_STAMPS,
            axum::routing::post(|session: Session| async move {
                session
                    .remove_value(auto_logout::Stamps::SESSION_KEY)
                    .await
                    .unwrap();
                "dropped"
            }),
        );
    let clock = ManualClock::new(T0);
    let store = Flaky::default();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    settings.customize.axum = Some(Arc::new(customize));
    let router = app::router_with(&settings, store.clone(), extra);
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    let counts = store.inner.clone();
    let switch = store.down.clone();
    Target::new(
        addr,
        clock,
        "axum",
        gate,
        move || counts.creates() + counts.total_saves(),
        move |on| switch.store(on, Ordering::SeqCst),
        (),
    )
}

/// A login handler that forgets `AutoLogout::login` (and with `?welcome=1`
/// flashes a message too).
async fn forgetful_login(
    session: Session,
    messages: axum_messages::Messages,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> axum::response::Redirect {
    if query.as_deref() == Some("welcome=1") {
        let _ = messages.info(signed_in::WELCOME);
    }
    session.insert(app::USER_KEY, app::USERNAME).await.unwrap();
    session.cycle_id().await.unwrap();
    axum::response::Redirect::to("/")
}

/// The demo with a logout hook that records its calls in `log` and answers
/// as its mode says.
async fn start_hooked(config: Config, log: HookLog) -> Target {
    start_custom(config, move |layer| {
        let log = log.clone();
        layer.on_logout(move |event: auto_logout::axum::LogoutEvent| {
            let log = log.clone();
            async move {
                use axum::response::IntoResponse;
                let user = event.session().get::<String>(app::USER_KEY).await.unwrap();
                log.record(Call {
                    reason: event.reason().as_str().into(),
                    user,
                    method: event.method().to_string(),
                    path: event.uri().path().into(),
                });
                match log.mode() {
                    Mode::Nothing => Ok(None),
                    Mode::Redirect => Ok(Some(axum::response::Redirect::to(IDP).into_response())),
                    Mode::Page => Ok(Some(HOOK_PAGE.into_response())),
                    Mode::Fail => Err(HOOK_ERROR),
                    Mode::Panic => panic!("the logout hook panics"),
                }
            }
        })
    })
    .await
}

/// The demo with or without the signed-in key.
async fn start_keyed(config: Config, key: Option<&'static str>) -> Target {
    start_custom(config, move |layer| match key {
        Some(key) => layer.signed_in_key(key),
        None => layer,
    })
    .await
}

#[tokio::test]
async fn hook_sees_the_session_and_replaces_a_page() {
    hook::sees_the_session_and_replaces_a_page(start_hooked).await;
}

#[tokio::test]
async fn hook_runs_at_the_absolute_limit() {
    hook::runs_at_the_absolute_limit(start_hooked).await;
}

#[tokio::test]
async fn hook_reaches_the_script_fetch_and_htmx() {
    hook::reaches_the_script_fetch_and_htmx(start_hooked).await;
}

#[tokio::test]
async fn hook_runs_for_stamps_it_cannot_trust() {
    hook::runs_for_stamps_it_cannot_trust(start_hooked).await;
}

#[tokio::test]
async fn hook_page_is_not_given_to_the_script() {
    hook::a_page_is_not_given_to_the_script(start_hooked).await;
}

#[tokio::test]
async fn hook_error_still_logs_out() {
    hook::a_failing_hook_still_logs_out(start_hooked, Mode::Fail).await;
}

#[tokio::test]
async fn hook_panic_still_logs_out() {
    hook::a_failing_hook_still_logs_out(start_hooked, Mode::Panic).await;
}

#[tokio::test]
async fn hook_returning_none_changes_nothing() {
    hook::returning_none_changes_nothing(start_hooked).await;
}

#[tokio::test]
async fn signed_in_key_starts_the_clocks() {
    signed_in::the_key_starts_the_clocks(start_keyed).await;
}

#[tokio::test]
async fn signed_in_without_the_key_warns_once() {
    signed_in::without_the_key_it_warns_once(start_keyed).await;
}

/// `behaviour::limits::STAMPS`: the session's stored stamps, as they are.
async fn read_stamps(session: Session) -> String {
    match session.get_value(auto_logout::Stamps::SESSION_KEY).await {
        Ok(Some(serde_json::Value::String(stored))) => stored,
        other => format!("{other:?}"),
    }
}

/// `behaviour::limits::STAMPS`: stores the form's `value` as the stamps.
async fn write_stamps(
    session: Session,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> &'static str {
    let value = serde_json::Value::String(form["value"].clone());
    session
        .insert_value(auto_logout::Stamps::SESSION_KEY, value)
        .await
        .unwrap();
    "written"
}

#[tokio::test]
async fn remembered_session_outlives_the_configured_limit() {
    behaviour::run(
        start,
        &behaviour::limits::REMEMBERED_SESSION_OUTLIVES_THE_CONFIGURED_LIMIT,
    )
    .await;
}

#[tokio::test]
async fn remembered_session_keeps_the_configured_idle_limit() {
    behaviour::run(
        start,
        &behaviour::limits::REMEMBERED_SESSION_KEEPS_THE_CONFIGURED_IDLE_LIMIT,
    )
    .await;
}

#[tokio::test]
async fn the_stamps_carry_the_limits() {
    behaviour::run(start, &behaviour::limits::THE_STAMPS_CARRY_THE_LIMITS).await;
}

#[tokio::test]
async fn version_1_stamps_in_the_store_still_work() {
    behaviour::run(
        start,
        &behaviour::limits::VERSION_1_STAMPS_IN_THE_STORE_STILL_WORK,
    )
    .await;
}

#[tokio::test]
async fn a_forged_limit_grants_no_more_than_the_maximum() {
    behaviour::run(
        start,
        &behaviour::limits::A_FORGED_LIMIT_GRANTS_NO_MORE_THAN_THE_MAXIMUM,
    )
    .await;
}
