//! Activity the user did not make, on the axum demo over real HTTP with an
//! injected clock (SPEC §3, passive requests). The rows are in
//! `user_activity_checks/`, shared with the actix run.

use crate::support;
use crate::user_activity_checks;

use auto_logout::Config;
use support::Site;
use user_activity_checks::{self as checks, Target, config, fallback_config};

async fn target(config: Config) -> Target {
    let only_get = axum::Router::new().route(
        checks::ONLY_GET,
        axum::routing::get(|| async { "only GET" }),
    );
    let site = Site::start_with(config, only_get).await;
    Target::new(site.addr, site.clock.clone(), "axum", site)
}

#[tokio::test]
async fn cross_site_navigation_without_a_click_is_passive() {
    let site = target(config()).await;
    checks::check(&site, &checks::CROSS_SITE_NAVIGATION, false).await;
    checks::check(&site, &checks::SAME_SITE_NAVIGATION, false).await;
}

#[tokio::test]
async fn a_click_on_another_site_counts() {
    checks::check(&target(config()).await, &checks::CROSS_SITE_CLICK, true).await;
}

#[tokio::test]
async fn same_site_no_cors_fetch_is_passive() {
    checks::check(
        &target(config()).await,
        &checks::SAME_SITE_NO_CORS_FETCH,
        false,
    )
    .await;
}

#[tokio::test]
async fn same_origin_requests_count() {
    let site = target(config()).await;
    checks::check(&site, &checks::SAME_ORIGIN_FETCH, true).await;
    checks::check(&site, &checks::TYPED_URL, true).await;
}

#[tokio::test]
async fn requests_without_sec_fetch_headers_count() {
    checks::check(&target(config()).await, &checks::NO_SEC_FETCH_HEADERS, true).await;
}

#[tokio::test]
async fn error_answers_count_when_the_user_made_the_request() {
    let site = target(config()).await;
    checks::check(&site, &checks::CROSS_SITE_404, false).await;
    checks::check(&site, &checks::CROSS_SITE_405, false).await;
    checks::check(&site, &checks::SAME_ORIGIN_404, true).await;
    checks::check(&site, &checks::SAME_ORIGIN_405, true).await;
}

#[tokio::test]
async fn passive_requests_still_end_an_expired_session() {
    let site = target(config()).await;
    for row in [
        &checks::CROSS_SITE_NAVIGATION,
        &checks::SAME_SITE_NO_CORS_FETCH,
        &checks::CROSS_SITE_404,
    ] {
        checks::passive_request_after_expiry_ends_the_session(&site, row).await;
    }
}

#[tokio::test]
async fn with_activity_needs_user_false_every_row_counts() {
    let site = target(fallback_config()).await;
    for row in checks::ROWS {
        checks::check(&site, row, true).await;
    }
}
