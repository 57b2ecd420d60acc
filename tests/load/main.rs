//! Load: thousands of sessions through each demo stack (axum, actix-web) on
//! each store, every answer compared with a model of the truth
//! ([`load_model`]). One run at a time.
//!
//! `cargo test --all-features --test load -- MODULE::` runs one stack,
//! e.g. `-- actix_load::`.

#[path = "../support/mod.rs"]
mod support;

#[path = "../actix_support/mod.rs"]
mod actix_support;

mod load_model;

mod actix_load;
mod axum_load;
