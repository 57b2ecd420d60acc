//! The shared behaviour scenarios (`behaviour/`) on the actix demo
//! (actix-session, actix-web-flash-messages, Tera 2) over real HTTP with an
//! injected clock: the same as `axum_behaviour.rs` runs on axum.

// The actix demo reads its settings through the axum demo's module, which
// the shared test helpers load too.
#![allow(clippy::duplicate_mod)]

mod behaviour;
mod support;

#[path = "actix_support/mod.rs"]
mod actix_support;

use std::sync::{Arc, OnceLock};

use actix_session::{Session, SessionExt};
use actix_support::{ActixSite, FlakyStore, app};
use actix_web::{HttpRequest, HttpResponse, web};
use auto_logout::Config;
use auto_logout::actix::{AutoLogoutMiddleware, AutoLogoutStore, LogoutEvent};
use behaviour::hook::{Call, HOOK_ERROR, HOOK_PAGE, HookLog, IDP, Mode};
use behaviour::{Gate, OWN_CACHING, OWN_POLICY, SLOW, Target};
use behaviour::{hook, signed_in};

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

async fn start(config: Config) -> Target {
    let gate = Arc::new(Gate::default());
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()));
    let site = ActixSite::start_with(config, store.clone(), routes(gate.clone()));
    let (counts, switch) = (store.clone(), store);
    Target::new(
        site.addr,
        site.clock.clone(),
        "actix",
        gate,
        move || counts.inner().inner.writes(),
        move |on| switch.inner().fail(on),
        site,
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

/// [`start`] with the auto-logout middleware changed by `customize`, and the
/// forgetful login page of `behaviour::signed_in`. Every worker gets the one
/// middleware the first worker made, so what it counts is the site's.
async fn start_custom(
    config: Config,
    customize: impl Fn(AutoLogoutMiddleware) -> AutoLogoutMiddleware + Send + Sync + 'static,
) -> Target {
    let gate = Arc::new(Gate::default());
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()));
    let routes = routes(gate.clone());
    let extra = move |cfg: &mut web::ServiceConfig| {
        routes(cfg);
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
    let site = ActixSite::start_custom(config, store.clone(), extra, move |settings| {
        settings.customize.actix = Some(Arc::new(move |middleware| {
            one.get_or_init(|| customize(middleware)).clone()
        }));
    });
    let (counts, switch) = (store.clone(), store);
    Target::new(
        site.addr,
        site.clock.clone(),
        "actix",
        gate,
        move || counts.inner().inner.writes(),
        move |on| switch.inner().fail(on),
        site,
    )
}

/// The demo with a logout hook that records its calls in `log` and answers
/// as its mode says.
async fn start_hooked(config: Config, log: HookLog) -> Target {
    start_custom(config, move |middleware| {
        let log = log.clone();
        middleware.on_logout(move |event: LogoutEvent| {
            let log = log.clone();
            async move {
                let user = event.session().get::<String>(app::USER_KEY).unwrap();
                log.record(Call {
                    reason: event.reason().as_str().into(),
                    user,
                    method: event.method().to_string(),
                    path: event.uri().path().into(),
                });
                match log.mode() {
                    Mode::Nothing => Ok(None),
                    Mode::Redirect => Ok(Some(
                        HttpResponse::SeeOther()
                            .insert_header(("location", IDP))
                            .finish(),
                    )),
                    Mode::Page => Ok(Some(HttpResponse::Ok().body(HOOK_PAGE))),
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
    start_custom(config, move |middleware| match key {
        Some(key) => middleware.signed_in_key(key),
        None => middleware,
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
