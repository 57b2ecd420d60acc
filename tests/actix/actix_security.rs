//! The security review (SECURITY.md) on the actix demo stack (actix-session
//! 0.11, actix-web-flash-messages, Tera 2) over real HTTP on loopback, with
//! an injected clock: the same checks as `security.rs` runs on axum, from
//! `security_checks/`.

use crate::security_checks;
use crate::support;

use crate::actix_support;

use actix_support::{ActixSite, FlakyStore, app};
use auto_logout::Config;
use auto_logout::actix::AutoLogoutStore;
use security_checks::{Target, login_url_config};
use support::app::Csp;

/// The actix demo with `config` and `csp`, as a check's target.
async fn start(config: Config, csp: Csp) -> Target {
    let site = ActixSite::start_custom(
        config,
        AutoLogoutStore::new(app::MemoryStore::default()),
        |_| {},
        |s| s.csp = csp,
    );
    Target::new(site.addr, site.clock.clone(), "actix", site)
}

crate::security_tests!(start);

#[tokio::test]
async fn a_store_failure_is_no_store() {
    let store = AutoLogoutStore::new(FlakyStore::new(app::MemoryStore::default()));
    let site = ActixSite::start_with(login_url_config(), store.clone(), |_| {});
    let target = Target::new(site.addr, site.clock.clone(), "actix", ());
    security_checks::store_failure_is_no_store(&target, |on| store.inner().fail(on)).await;
    drop(site);
}
