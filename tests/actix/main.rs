//! The actix-web integration over real HTTP on loopback: the middleware,
//! actix-identity, the behaviour suite, the security review and user activity
//! on the actix demo; the actix demo against the axum demo (parity), and the
//! corners both demos share (gaps).
//!
//! `cargo test --all-features --test actix -- MODULE::` runs one module,
//! e.g. `-- actix_security::`.

#[path = "../support/mod.rs"]
mod support;

#[path = "../actix_support/mod.rs"]
mod actix_support;

#[path = "../behaviour/mod.rs"]
mod behaviour;
#[path = "../security_checks/mod.rs"]
mod security_checks;
#[path = "../user_activity_checks/mod.rs"]
mod user_activity_checks;

mod actix_behaviour;
mod actix_demo_parity;
mod actix_identity;
mod actix_middleware;
mod actix_security;
mod actix_user_activity;
mod gaps;
