//! The library on its own, no web server: configuration, properties of the
//! core rules, the script tag and the client script (Node), the template
//! engines, and what rendering and deciding allocate.
//!
//! `cargo test --all-features --test core -- MODULE::` runs one module,
//! e.g. `-- engines::`.

mod allocations;
mod client_script;
mod config;
mod counting_alloc;
mod engines;
mod properties;
mod script_tag;

// The allocation counts of `allocations` and `engines`: the allocator counts
// per thread, so the tests running beside a test on other threads do not
// change its count.
#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;
