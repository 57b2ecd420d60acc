//! The two demo sites of auto-logout, one for each framework integration, as
//! library modules: `examples/demo.rs` and `examples/actix_demo.rs` start them
//! (`cargo run --example demo`, `cargo run --example actix_demo`), and the
//! tests, browser tests and benches serve the same stacks in-process, with
//! their own configuration, clock and session store.
//!
//! - [`axum_demo`]: axum, tower-sessions, axum-messages, MiniJinja.
//! - [`actix_demo`]: actix-web, actix-session, actix-web-flash-messages,
//!   Tera 2; the same site for a client, from the same templates
//!   (`templates/`) and static files (`static/`), and the same [`Settings`](axum_demo::Settings).
//! - [`sessions`]: "Your sessions", the rows and messages both demos show.

pub mod actix_demo;
pub mod axum_demo;
pub mod sessions;
