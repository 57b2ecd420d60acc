//! The security review (SECURITY.md) on the actix demo stack (actix-session
//! 0.11, actix-web-flash-messages, Tera 2) over real HTTP on loopback, with
//! an injected clock: the same checks as `security.rs` runs on axum, from
//! `security_checks/`.

// The actix demo reads its settings through the axum demo's module, which
// the shared test helpers load too.
#![allow(clippy::duplicate_mod)]

mod security_checks;
mod support;

#[path = "actix_support/mod.rs"]
mod actix_support;

use actix_support::{ActixSite, FlakyStore, app};
use auto_logout::Config;
use auto_logout::actix::AutoLogoutStore;
use security_checks::{Target, django_config, login_url_config};
use support::app::Csp;

/// The actix demo with `config` and `csp`, as a check's target.
async fn start(config: Config, csp: Csp) -> Target {
    let site = ActixSite::start_custom(
        config,
        AutoLogoutStore::new(app::MemoryStore::default()),
        |_| {},
        // The actix demo has its own copy of the settings' types.
        |s| {
            s.csp = match csp {
                Csp::Off => app::Csp::Off,
                Csp::Strict => app::Csp::Strict,
                Csp::Nonce => app::Csp::Nonce,
            }
        },
    );
    Target::new(site.addr, site.clock.clone(), "actix", site)
}

async fn target(config: Config) -> Target {
    start(config, Csp::Off).await
}

#[tokio::test]
async fn login_form_next_never_leaves_the_site() {
    security_checks::login_form_next_stays_on_site(&target(django_config()).await).await;
}

#[tokio::test]
async fn expired_navigation_redirect_never_leaves_the_site() {
    security_checks::expired_redirect_stays_on_site(&target(login_url_config()).await).await;
}

#[tokio::test]
async fn expired_htmx_and_fetch_answers_never_leave_the_site() {
    security_checks::expired_htmx_and_fetch_stay_on_site(&target(login_url_config()).await).await;
}

#[tokio::test]
async fn keepalive_refuses_cross_site_requests_and_they_never_count() {
    security_checks::keepalive_refuses_cross_site_requests(&target(django_config()).await).await;
}

#[tokio::test]
async fn hostile_configured_texts_stay_in_their_attributes() {
    security_checks::hostile_texts_stay_in_their_attributes(start).await;
}

#[tokio::test]
async fn hostile_messages_reach_the_login_page_as_text() {
    security_checks::hostile_messages_are_text(start).await;
}

#[tokio::test]
async fn login_cycles_the_session_id() {
    security_checks::login_cycles_the_session_id(&target(django_config()).await).await;
}

#[tokio::test]
async fn expiry_cycles_the_session_id() {
    security_checks::expiry_cycles_the_session_id(&target(django_config()).await).await;
}

#[tokio::test]
async fn replayed_cookies_are_anonymous_after_logout_and_expiry() {
    security_checks::replayed_cookies_are_anonymous(&target(django_config()).await).await;
    security_checks::replayed_cookies_are_anonymous(&target(login_url_config()).await).await;
}

#[tokio::test]
async fn answers_about_a_session_are_no_store() {
    security_checks::answers_about_a_session_are_no_store(&target(login_url_config()).await).await;
}

#[tokio::test]
async fn a_store_failure_is_no_store() {
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()));
    let site = ActixSite::start_with(login_url_config(), store.clone(), |_| {});
    let target = Target::new(site.addr, site.clock.clone(), "actix", ());
    security_checks::store_failure_is_no_store(&target, |on| store.inner().fail(on)).await;
    drop(site);
}

#[tokio::test]
async fn huge_and_non_utf8_header_values_never_fail() {
    security_checks::hostile_header_values_never_fail(&target(login_url_config()).await).await;
}
