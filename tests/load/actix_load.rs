//! Load against a model of the truth on the actix demo (actix-web,
//! actix-session, Tera): thousands of sessions on seeded random schedules of
//! sign-ins, page loads, status polls, keepalives, sign-outs and silences,
//! under one manual clock, every answer compared with the reference model in
//! `load_model` — on the demo's in-memory store and on a real `redis-server`
//! (started here on a free loopback port; without it the Redis run says so
//! loudly and passes, unless `AUTO_LOGOUT_REQUIRE_E2E=1`, when it fails).
//!
//! The default run is CI's short one; `AUTO_LOGOUT_LOAD_SESSIONS` and
//! `AUTO_LOGOUT_LOAD_MINUTES` make it longer (BENCHMARKS.md, "Load against a
//! model of the truth").

use crate::load_model;
use crate::support;

use crate::actix_support;

use actix_session::storage::SessionStore;
use actix_support::{ActixSite, app};
use auto_logout::actix::AutoLogoutStore;
use load_model::{Plan, Report, Target};
use support::watched::Counted;

/// Runs the plan against the actix demo over `store` (its writes counted).
async fn drive<S>(store: Counted<S>, name: &str, timeout: bool) -> Report
where
    S: SessionStore + Clone + Send + Sync + 'static,
{
    let writes = store.writes();
    let mut wrapped = AutoLogoutStore::new(store);
    if timeout {
        // As the demo's Redis store: a call gives up after STORE_TIMEOUT.
        wrapped = wrapped.with_timeout(app::STORE_TIMEOUT);
    }
    let site = ActixSite::start_with(load_model::config(), wrapped, app::no_routes);
    let target = Target {
        addr: site.addr,
        clock: site.clock.clone(),
        writes,
    };
    let report = load_model::run("actix-web", name, target, Plan::from_env()).await;
    drop(site);
    report
}

#[test]
fn actix_memory_store_under_load_agrees_with_the_model() {
    load_model::check_run(drive(
        Counted::new(app::MemoryStore::default()),
        "demo MemoryStore",
        false,
    ));
}

#[test]
fn actix_redis_store_under_load_agrees_with_the_model() {
    load_model::check_run_on_redis("tests/load/actix_load.rs (actix + Redis)", async |url| {
        let store = app::redis_session_store(&url)
            .await
            .expect("connects to redis");
        drive(Counted::new(store), "Redis", true).await
    });
}

#[test]
fn actix_crate_redis_store_under_load_agrees_with_the_model() {
    load_model::check_run_on_redis(
        "tests/load/actix_load.rs (actix + RedisStore)",
        async |url| {
            let store = auto_logout::redis::RedisStore::connect(&url)
                .await
                .expect("connects to redis");
            let store = Counted::new(store);
            let writes = store.writes();
            // On its own thread and actix system, as `ActixSite` runs the others.
            let clock = auto_logout::ManualClock::new(support::T0);
            let settings = support::settings_on(load_model::config(), &clock);
            let stack = app::Stack::new(store, actix_web::cookie::Key::generate());
            let (addr, system) = actix_support::spawn(settings, stack, app::no_routes);
            let target = Target {
                addr,
                clock,
                writes,
            };
            let report = load_model::run("actix-web", "RedisStore", target, Plan::from_env()).await;
            system.stop();
            report
        },
    );
}
