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

use actix_session::storage::{RedisSessionStore, SessionStore};
use actix_support::{ActixSite, app};
use auto_logout::actix::AutoLogoutStore;
use load_model::{ActixCounting, Plan, Report, Target};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the plan against the actix demo over `store` (its writes counted).
async fn drive<S>(store: ActixCounting<S>, name: &str, timeout: bool) -> Report
where
    S: SessionStore + Clone + Send + Sync + 'static,
{
    let writes = store.writes.clone();
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
    let _one = load_model::one_at_a_time();
    let report = runtime().block_on(drive(
        ActixCounting::new(app::MemoryStore::default()),
        "demo MemoryStore",
        false,
    ));
    report.print();
    report.assert_truthful();
}

/// actix-session's `RedisSessionStore` over the demo's pool (broken
/// connections replaced, time limits), as `app::redis_store` builds it, but
/// with the writes counted under the wrapper.
async fn redis_store(url: &str) -> RedisSessionStore {
    use deadpool_redis::{Config as PoolConfig, Runtime, Timeouts};
    let mut config = PoolConfig::from_url(url);
    let mut pool = config.get_pool_config();
    pool.timeouts = Timeouts {
        wait: Some(app::STORE_TIMEOUT),
        create: Some(app::STORE_TIMEOUT),
        recycle: Some(app::STORE_TIMEOUT),
    };
    config.pool = Some(pool);
    let pool = config.create_pool(Some(Runtime::Tokio1)).unwrap();
    RedisSessionStore::new_pooled(pool)
        .await
        .expect("connects to redis")
}

#[test]
fn actix_redis_store_under_load_agrees_with_the_model() {
    let _one = load_model::one_at_a_time();
    let Some(redis) = support::RedisServer::start("tests/load/actix_load.rs (actix + Redis)")
    else {
        return;
    };
    let mut report = runtime().block_on(async {
        let store = ActixCounting::new(redis_store(&redis.url()).await);
        drive(store, "Redis", true).await
    });
    report.store_memory = load_model::redis_peak_memory(redis.port);
    report.print();
    report.assert_truthful();
}

/// The actix demo over the crate's `RedisStore` (counted), on its own
/// thread with its own actix system, as `ActixSite` runs the others.
fn crate_redis_site(
    store: ActixCounting<auto_logout::redis::RedisStore>,
) -> (
    std::net::SocketAddr,
    auto_logout::ManualClock,
    actix_web::rt::System,
) {
    let clock = auto_logout::ManualClock::new(support::T0);
    let mut settings = app::Settings::new(load_model::config());
    settings.clock = Some(clock.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let stack = app::Stack::new(store, actix_web::cookie::Key::generate());
            let (server, addr) = app::serve(settings, stack, listener, app::no_routes).unwrap();
            tx.send((addr, actix_web::rt::System::current())).unwrap();
            let _ = server.await;
        });
    });
    let (addr, system) = rx.recv().expect("the actix site starts");
    (addr, clock, system)
}

#[test]
fn actix_crate_redis_store_under_load_agrees_with_the_model() {
    let _one = load_model::one_at_a_time();
    let Some(redis) = support::RedisServer::start("tests/load/actix_load.rs (actix + RedisStore)")
    else {
        return;
    };
    let mut report = runtime().block_on(async {
        let store = auto_logout::redis::RedisStore::connect(&redis.url())
            .await
            .expect("connects to redis");
        let store = ActixCounting::new(store);
        let writes = store.writes.clone();
        let (addr, clock, system) = crate_redis_site(store);
        let target = Target {
            addr,
            clock,
            writes,
        };
        let report = load_model::run("actix-web", "RedisStore", target, Plan::from_env()).await;
        system.stop();
        report
    });
    report.store_memory = load_model::redis_peak_memory(redis.port);
    report.print();
    report.assert_truthful();
}
