//! The shared behaviour scenarios (`behaviour/`) on the axum demo
//! (tower-sessions, axum-messages, MiniJinja) over real HTTP with an
//! injected clock; `actix_behaviour.rs` runs the same on actix-web.

use crate::behaviour;
use crate::support;

use std::sync::Arc;

use async_trait::async_trait;
use auto_logout::{Config, ManualClock};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use behaviour::hook::{Call, HookLog};
use behaviour::signed_in;
use behaviour::{Gate, OWN_CACHING, OWN_POLICY, SLOW, Target};
use support::{CountingStore, FaultSwitch, StoreCall, T0, app};
use tower_sessions::session::{Id, Record};
use tower_sessions::{Session, SessionStore, session_store};

/// The counting store, with a fault switch.
#[derive(Clone, Debug, Default)]
struct Flaky {
    inner: CountingStore,
    fault: FaultSwitch,
}

impl Flaky {
    async fn before(&self, call: StoreCall) -> session_store::Result<()> {
        self.fault
            .before(call)
            .await
            .map_err(|why| session_store::Error::Backend(why.into()))
    }
}

#[async_trait]
impl SessionStore for Flaky {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.before(StoreCall::Write).await?;
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.before(StoreCall::Write).await?;
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.before(StoreCall::Read).await?;
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.before(StoreCall::Delete).await?;
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

/// The demo with `config`, the suite's pages and `more` routes behind the
/// same layers, its settings changed by `change`, over a counting store with
/// an outage switch.
async fn launch(config: Config, more: Router, change: impl FnOnce(&mut app::Settings)) -> Target {
    let gate = Arc::new(Gate::default());
    let extra = Router::new()
        .route(SLOW, get(slow))
        .with_state(gate.clone())
        .route(OWN_CACHING, get(own_caching))
        .route(
            behaviour::limits::STAMPS,
            get(read_stamps).post(write_stamps),
        )
        .merge(more);
    let clock = ManualClock::new(T0);
    let store = Flaky::default();
    let mut settings = app::Settings::new(config);
    settings.clock = Some(clock.clone());
    change(&mut settings);
    let guarded = auto_logout::axum::AutoLogoutStore::new(store.clone())
        .with_timeout(behaviour::STORE_TIMEOUT);
    let router = app::guarded_router_with(&settings, guarded, extra);
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    let counts = store.inner.clone();
    let switch = store.fault.clone();
    Target::new(
        addr,
        clock,
        "axum",
        gate,
        move || counts.creates() + counts.total_saves(),
        move |fault| switch.set(fault),
        (),
    )
}

async fn start(config: Config) -> Target {
    launch(config, Router::new(), |_| {}).await
}

crate::behaviour_tests! { start = start, hooked = start_hooked, keyed = start_keyed }

/// [`start`] with the auto-logout layer changed by `customize`, and the
/// forgetful login page of `behaviour::signed_in`.
async fn start_custom(
    config: Config,
    customize: impl Fn(auto_logout::axum::AutoLogoutLayer) -> auto_logout::axum::AutoLogoutLayer
    + Send
    + Sync
    + 'static,
) -> Target {
    let more = Router::new()
        .route(
            signed_in::FORGETFUL_LOGIN,
            axum::routing::post(forgetful_login),
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
    launch(config, more, |settings| {
        settings.customize.axum = Some(Arc::new(customize));
    })
    .await
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
        let limit = log.limit();
        layer
            .logout_hook_timeout(limit)
            .on_logout(move |event: auto_logout::axum::LogoutEvent| {
                let log = log.clone();
                async move {
                    use axum::response::IntoResponse;
                    let user = event.session().get::<String>(app::USER_KEY).await.unwrap();
                    let (reason, path) = (event.reason().as_str(), event.uri().path());
                    let call = Call::new(reason, user, event.method(), path);
                    log.answer(
                        call,
                        |to| axum::response::Redirect::to(to).into_response(),
                        |body| body.into_response(),
                    )
                    .await
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
