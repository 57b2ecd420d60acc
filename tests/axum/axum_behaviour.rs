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

// Every session of a user (`behaviour::sessions`): the test routes that
// call the library through the extractor, and a hook that counts its calls.

crate::sessions_tests! { start = start_sessions }

/// A test route's answer.
fn session_answer((status, body): behaviour::sessions::Answer) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

/// The demo with `behaviour::sessions`' routes and a logout hook that
/// counts its calls in `hooks`.
async fn start_sessions(config: Config, hooks: behaviour::sessions::HookCalls) -> Target {
    use auto_logout::axum::AutoLogout;
    use axum::Form;
    use axum::routing::post;
    use behaviour::sessions::{self as s, field};

    let more = Router::new()
        .route(
            s::SIGN_IN,
            post(
                |al: AutoLogout, session: Session, Form(form): Form<s::Form>| async move {
                    let user = field(&form, "user").to_owned();
                    let mut sign_in = auto_logout::SignIn::user(user.clone());
                    if let Some(tag) = form.get("tag") {
                        sign_in = sign_in.tag(tag);
                    }
                    let (ok, answer) = s::signed_in(al.sign_in(&session, sign_in).await);
                    if ok {
                        session.insert(app::USER_KEY, user).await.unwrap();
                    }
                    session_answer(answer)
                },
            ),
        )
        .route(
            s::OWN,
            get(|al: AutoLogout, session: Session| async move {
                session_answer(s::listing(al.own_sessions(&session).await))
            }),
        )
        .route(
            s::LIST,
            post(|al: AutoLogout, Form(form): Form<s::Form>| async move {
                session_answer(s::listing(al.sessions_of(field(&form, "user")).await))
            }),
        )
        .route(
            s::REVOKE,
            post(|al: AutoLogout, Form(form): Form<s::Form>| async move {
                let revoked = al
                    .revoke(field(&form, "user"), field(&form, "handle"))
                    .await;
                session_answer(s::revoked(revoked))
            }),
        )
        .route(
            s::OTHERS,
            post(|al: AutoLogout, session: Session| async move {
                session_answer(s::ended(al.log_out_other_sessions(&session).await))
            }),
        )
        .route(
            s::EVERYWHERE,
            post(|al: AutoLogout, Form(form): Form<s::Form>| async move {
                session_answer(s::ended(al.log_out_everywhere(field(&form, "user")).await))
            }),
        )
        .route(
            s::TAGGED,
            post(|al: AutoLogout, Form(form): Form<s::Form>| async move {
                session_answer(s::ended(al.log_out_tagged(field(&form, "tag")).await))
            }),
        )
        .route(
            s::SWEEP,
            post(|al: AutoLogout| async move { session_answer(s::ended(al.sweep().await)) }),
        );
    launch(config, more, move |settings| {
        settings.customize.axum = Some(Arc::new(move |layer| {
            let hooks = hooks.clone();
            layer.on_logout(move |_event: auto_logout::axum::LogoutEvent| {
                hooks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::future::ready(Ok::<_, std::convert::Infallible>(None))
            })
        }));
    })
    .await
}

/// A bare store whose armed `save` waits half-way (after the wrapper has
/// checked the session and read the stored record).
#[derive(Clone, Debug, Default)]
struct PausingStore {
    inner: tower_sessions::MemoryStore,
    pause: Arc<behaviour::sessions::WritePause>,
}

#[async_trait]
impl SessionStore for PausingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.pause.wait_if_armed().await;
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn sessions_a_revocation_inside_a_store_write_stays_final() {
    use behaviour::sessions as s;
    let bare = PausingStore::default();
    let store = auto_logout::axum::AutoLogoutStore::new(bare.clone());
    let handle = auto_logout::axum::AutoLogoutLayer::new(s::sessions_config(), &store).handle();
    s::a_revocation_inside_a_store_write_stays_final(
        "axum",
        &bare.pause,
        async |round| {
            let mut record = Record {
                id: Id::default(),
                data: Default::default(),
                expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            };
            record.data.insert(
                auto_logout::Stamps::SESSION_KEY.to_owned(),
                auto_logout::Stamps::at_login(support::T0).encode().into(),
            );
            record.data.insert(
                s::OWNER_KEY.to_owned(),
                s::demo_owner(&format!("handle-{round}")),
            );
            store.create(&mut record).await.unwrap();
            record
        },
        async |record| store.save(record).await.unwrap(),
        async || handle.log_out_everywhere(s::DEMO).await.unwrap(),
        async || handle.sessions_of(s::DEMO).await.unwrap().len(),
        async |record| {
            let loaded = store.load(&record.id).await.unwrap()?;
            let stamps = loaded.data.get(auto_logout::Stamps::SESSION_KEY)?;
            stamps.as_str().map(str::to_owned)
        },
    )
    .await;
}
