//! The shared behaviour scenarios (`behaviour/`) on the actix demo
//! (actix-session, actix-web-flash-messages, Tera 2) over real HTTP with an
//! injected clock: the same as `axum_behaviour.rs` runs on axum.

use crate::behaviour;

use crate::actix_support;

use std::sync::{Arc, OnceLock};

use actix_session::{Session, SessionExt};
use actix_support::{ActixSite, FlakyStore, app};
use actix_web::{HttpRequest, HttpResponse, web};
use auto_logout::Config;
use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore, LogoutEvent};
use behaviour::hook::{Call, HookLog};
use behaviour::signed_in;
use behaviour::{Gate, OWN_CACHING, OWN_POLICY, SLOW, Target};

fn routes(gate: Arc<Gate>) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    move |cfg: &mut web::ServiceConfig| {
        let gate = gate.clone();
        cfg.route(
            SLOW,
            web::get().to(move |req: HttpRequest| {
                let gate = gate.clone();
                async move {
                    let session: Session = req.get_session();
                    gate.entered.notify_one();
                    gate.release.notified().await;
                    session.insert("last_report", "weekly").unwrap();
                    HttpResponse::Ok().body("slow page")
                }
            }),
        );
        cfg.route(
            OWN_CACHING,
            web::get().to(|| async {
                HttpResponse::Ok()
                    .insert_header(("cache-control", OWN_POLICY))
                    .body("cached by choice")
            }),
        );
        // `behaviour::limits::STAMPS`: the stored stamps as they are, and
        // stored in their place.
        cfg.route(
            behaviour::limits::STAMPS,
            web::get().to(|req: HttpRequest| async move {
                let stored = req
                    .get_session()
                    .get::<String>(auto_logout::Stamps::SESSION_KEY);
                match stored {
                    Ok(Some(stored)) => stored,
                    other => format!("{other:?}"),
                }
            }),
        );
        cfg.route(
            behaviour::limits::STAMPS,
            web::post().to(
                |req: HttpRequest,
                 form: web::Form<std::collections::HashMap<String, String>>| async move {
                    req.get_session()
                        .insert(auto_logout::Stamps::SESSION_KEY, form["value"].clone())
                        .unwrap();
                    "written"
                },
            ),
        );
    }
}

/// The demo with `config`, the suite's pages and the routes `more` adds,
/// its settings changed by `change`, over a store with an outage switch.
fn launch<F>(config: Config, more: F, change: impl FnOnce(&mut app::Settings)) -> Target
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let gate = Arc::new(Gate::default());
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()))
        .with_timeout(behaviour::STORE_TIMEOUT);
    let routes = routes(gate.clone());
    let extra = move |cfg: &mut web::ServiceConfig| {
        routes(cfg);
        more(cfg);
    };
    let site = ActixSite::start_custom(config, store.clone(), extra, change);
    let (counts, switch) = (store.clone(), store);
    Target::new(
        site.addr,
        site.clock.clone(),
        "actix",
        gate,
        move || counts.inner().inner.writes(),
        move |fault| switch.inner().fault.set(fault),
        site,
    )
}

async fn start(config: Config) -> Target {
    launch(config, |_| {}, |_| {})
}

crate::behaviour_tests! { start = start, hooked = start_hooked, keyed = start_keyed }

/// [`start`] with the auto-logout middleware changed by `customize`, and the
/// forgetful login page of `behaviour::signed_in`. Every worker gets the one
/// middleware the first worker made, so what it counts is the site's.
async fn start_custom(
    config: Config,
    customize: impl Fn(AutoLogoutMiddleware) -> AutoLogoutMiddleware + Send + Sync + 'static,
) -> Target {
    let more = |cfg: &mut web::ServiceConfig| {
        cfg.route(
            signed_in::FORGETFUL_LOGIN,
            web::post().to(|session: Session, req: HttpRequest| async move {
                if req.query_string() == "welcome=1" {
                    actix_web_flash_messages::FlashMessage::info(signed_in::WELCOME).send();
                }
                session.insert(app::USER_KEY, app::USERNAME).unwrap();
                session.renew();
                HttpResponse::SeeOther()
                    .insert_header(("location", "/"))
                    .finish()
            }),
        );
        cfg.route(
            signed_in::DROP_STAMPS,
            web::post().to(|session: Session| async move {
                session.remove(auto_logout::Stamps::SESSION_KEY);
                "dropped"
            }),
        );
    };
    let one = Arc::new(OnceLock::<AutoLogoutMiddleware>::new());
    launch(config, more, move |settings| {
        settings.customize.actix = Some(Arc::new(move |middleware| {
            one.get_or_init(|| customize(middleware)).clone()
        }));
    })
}

/// The demo with a logout hook that records its calls in `log` and answers
/// as its mode says.
async fn start_hooked(config: Config, log: HookLog) -> Target {
    start_custom(config, move |middleware| {
        let log = log.clone();
        let limit = log.limit();
        middleware
            .logout_hook_timeout(limit)
            .on_logout(move |event: LogoutEvent| {
                let log = log.clone();
                async move {
                    let user = event.session().get::<String>(app::USER_KEY).unwrap();
                    let (reason, path) = (event.reason().as_str(), event.uri().path());
                    let call = Call::new(reason, user, event.method(), path);
                    log.answer(
                        call,
                        |to| {
                            HttpResponse::SeeOther()
                                .insert_header(("location", to))
                                .finish()
                        },
                        |body| HttpResponse::Ok().body(body),
                    )
                    .await
                }
            })
    })
    .await
}

/// The demo with or without the signed-in key.
async fn start_keyed(config: Config, key: Option<&'static str>) -> Target {
    start_custom(config, move |middleware| match key {
        Some(key) => middleware.signed_in_key(key),
        None => middleware,
    })
    .await
}

// Every session of a user (`behaviour::sessions`): the test routes that
// call the library through the extractor, and a hook that counts its calls.

crate::sessions_tests! { start = start_sessions }

/// A test route's answer.
fn session_answer((status, body): behaviour::sessions::Answer) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .body(body)
}

/// The demo with `behaviour::sessions`' routes and a logout hook that
/// counts its calls in `hooks`.
async fn start_sessions(config: Config, hooks: behaviour::sessions::HookCalls) -> Target {
    use auto_logout::actix::AutoLogout;
    use behaviour::sessions::{self as s, field};

    let more = |cfg: &mut web::ServiceConfig| {
        cfg.route(
            s::SIGN_IN,
            web::post().to(
                |al: AutoLogout, session: Session, form: web::Form<s::Form>| async move {
                    let user = field(&form, "user").to_owned();
                    let mut sign_in = auto_logout::SignIn::user(user.clone());
                    if let Some(tag) = form.get("tag") {
                        sign_in = sign_in.tag(tag);
                    }
                    let (ok, answer) = s::signed_in(al.sign_in(&session, sign_in).await);
                    if ok {
                        session.insert(app::USER_KEY, user).unwrap();
                    }
                    session_answer(answer)
                },
            ),
        );
        cfg.route(
            s::OWN,
            web::get().to(|al: AutoLogout, session: Session| async move {
                session_answer(s::listing(al.own_sessions(&session).await))
            }),
        );
        cfg.route(
            s::LIST,
            web::post().to(|al: AutoLogout, form: web::Form<s::Form>| async move {
                session_answer(s::listing(al.sessions_of(field(&form, "user")).await))
            }),
        );
        cfg.route(
            s::REVOKE,
            web::post().to(|al: AutoLogout, form: web::Form<s::Form>| async move {
                let revoked = al
                    .revoke(field(&form, "user"), field(&form, "handle"))
                    .await;
                session_answer(s::revoked(revoked))
            }),
        );
        cfg.route(
            s::OTHERS,
            web::post().to(|al: AutoLogout, session: Session| async move {
                session_answer(s::ended(al.log_out_other_sessions(&session).await))
            }),
        );
        cfg.route(
            s::EVERYWHERE,
            web::post().to(|al: AutoLogout, form: web::Form<s::Form>| async move {
                session_answer(s::ended(al.log_out_everywhere(field(&form, "user")).await))
            }),
        );
        cfg.route(
            s::TAGGED,
            web::post().to(|al: AutoLogout, form: web::Form<s::Form>| async move {
                session_answer(s::ended(al.log_out_tagged(field(&form, "tag")).await))
            }),
        );
        cfg.route(
            s::SWEEP,
            web::post()
                .to(|al: AutoLogout| async move { session_answer(s::ended(al.sweep().await)) }),
        );
    };
    let one = Arc::new(OnceLock::<AutoLogoutMiddleware>::new());
    let built = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = built.clone();
    let site = launch(config, more, move |settings| {
        settings.customize.actix = Some(Arc::new(move |middleware| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            one.get_or_init(|| {
                let hooks = hooks.clone();
                middleware.on_logout(move |_event: LogoutEvent| {
                    hooks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    std::future::ready(Ok::<_, std::convert::Infallible>(None))
                })
            })
            .clone()
        }));
    });
    settled(&site, &built).await;
    site
}

/// Waits until both workers built their app (each spawns the demo's
/// sweeper, whose first round runs at once) and answered a request, so
/// that no first round of a background sweeper lands inside a scenario.
async fn settled(site: &Target, built: &std::sync::atomic::AtomicUsize) {
    for _ in 0..500 {
        if built.load(std::sync::atomic::Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        built.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the workers started"
    );
    for _ in 0..4 {
        assert_eq!(site.browser().get("/public").await.status, 200);
    }
}

/// A bare store whose armed `update` waits half-way (after the wrapper has
/// checked the session and read the stored state).
#[derive(Clone, Default)]
struct PausingStore {
    inner: app::MemoryStore,
    pause: Arc<behaviour::sessions::WritePause>,
}

type SessionState = std::collections::HashMap<String, String>;
type Ttl = actix_web::cookie::time::Duration;

impl actix_session::storage::SessionStore for PausingStore {
    async fn load(
        &self,
        key: &actix_session::storage::SessionKey,
    ) -> Result<Option<SessionState>, actix_session::storage::LoadError> {
        self.inner.load(key).await
    }
    async fn save(
        &self,
        state: SessionState,
        ttl: &Ttl,
    ) -> Result<actix_session::storage::SessionKey, actix_session::storage::SaveError> {
        self.inner.save(state, ttl).await
    }
    async fn update(
        &self,
        key: actix_session::storage::SessionKey,
        state: SessionState,
        ttl: &Ttl,
    ) -> Result<actix_session::storage::SessionKey, actix_session::storage::UpdateError> {
        self.pause.wait_if_armed().await;
        self.inner.update(key, state, ttl).await
    }
    async fn update_ttl(
        &self,
        key: &actix_session::storage::SessionKey,
        ttl: &Ttl,
    ) -> anyhow::Result<()> {
        self.inner.update_ttl(key, ttl).await
    }
    async fn delete(&self, key: &actix_session::storage::SessionKey) -> anyhow::Result<()> {
        self.inner.delete(key).await
    }
}

#[actix_web::test]
async fn sessions_a_revocation_inside_a_store_write_stays_final() {
    use actix_session::storage::{SessionKey, SessionStore};
    use behaviour::sessions as s;
    let bare = PausingStore::default();
    let store = AutoLogoutStore::new(bare.clone());
    let handle = AutoLogoutMiddleware::new(s::sessions_config(), &store).handle();
    let ttl = Ttl::hours(1);
    let state = |round: usize| {
        let stamps = auto_logout::Stamps::at_login(crate::support::T0).encode();
        SessionState::from([
            (
                auto_logout::Stamps::SESSION_KEY.to_owned(),
                serde_json::to_string(&stamps).unwrap(),
            ),
            (
                s::OWNER_KEY.to_owned(),
                s::demo_owner(&format!("handle-{round}")).to_string(),
            ),
        ])
    };
    let key_of = |key: &SessionKey| SessionKey::try_from(key.as_ref().to_owned()).unwrap();
    s::a_revocation_inside_a_store_write_stays_final(
        "actix",
        &bare.pause,
        async |round| store.save(state(round), &ttl).await.unwrap(),
        async |key| {
            store.update(key_of(key), state(0), &ttl).await.unwrap();
        },
        async || handle.log_out_everywhere(s::DEMO).await.unwrap(),
        async || handle.sessions_of(s::DEMO).await.unwrap().len(),
        async |key| {
            let loaded = store.load(key).await.unwrap()?;
            serde_json::from_str(loaded.get(auto_logout::Stamps::SESSION_KEY)?).ok()
        },
    )
    .await;
}
