//! What the server log says, on both stacks: the audit events (feature
//! `tracing`) and the setup mistakes. One global subscriber records them
//! ([`server_log`]); every test that serves a site takes its turn.
//!
//! `cargo test --all-features --test logs -- MODULE::` runs one module,
//! e.g. `-- mistakes::`.

#[path = "../support/mod.rs"]
mod support;

#[path = "../actix_support/mod.rs"]
mod actix_support;

mod server_log;

mod audit;
mod mistakes;
mod sessions;
