//! Real `redis-server`s (started on free loopback ports): two instances of each
//! demo sharing one server through the frameworks' own Redis stores, with the
//! server killed and started again, and the crate's `RedisStore`, standalone
//! and as a Redis Cluster. Without `redis-server` the tests say so loudly and
//! pass, unless `AUTO_LOGOUT_REQUIRE_E2E=1`.
//!
//! `cargo test --all-features --test redis -- MODULE::` runs one module,
//! e.g. `-- redis_store::`.

#[path = "../support/mod.rs"]
mod support;

#[path = "../actix_support/mod.rs"]
mod actix_support;

mod actix_redis;
mod axum_redis;
mod redis_store;
mod sessions;
