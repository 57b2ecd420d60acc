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
