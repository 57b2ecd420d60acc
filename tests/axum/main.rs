//! The axum integration over real HTTP on loopback: the layer, the demo, axum-login,
//! the behaviour suite (with the idle-time promise), the security review, user
//! activity and the logout races (the last over `MemoryStore` and a real `redis-server`).
//!
//! `cargo test --all-features --test axum -- MODULE::` runs one module,
//! e.g. `-- security::`.

#[path = "../support/mod.rs"]
mod support;

#[path = "../behaviour/mod.rs"]
mod behaviour;
#[path = "../security_checks/mod.rs"]
mod security_checks;
#[path = "../user_activity_checks/mod.rs"]
mod user_activity_checks;

mod axum_behaviour;
mod axum_demo;
mod axum_layer;
mod axum_login;
mod logout_races;
mod security;
mod user_activity;
