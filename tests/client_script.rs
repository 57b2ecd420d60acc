//! The client script, checked with Node: `node --check` on the shipped asset and the
//! behaviour tests under `tests/js/` (Node's built-in test runner, no npm packages).
//!
//! Without `node` on PATH the test says so loudly and passes, unless
//! `AUTO_LOGOUT_REQUIRE_E2E=1`, when it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `None` when node cannot be started at all.
fn node(args: &[&str]) -> Option<Output> {
    match Command::new("node")
        .args(args)
        .current_dir(manifest_dir())
        .output()
    {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("could not run node: {e}"),
    }
}

fn require_e2e() -> bool {
    std::env::var("AUTO_LOGOUT_REQUIRE_E2E").is_ok_and(|v| v == "1")
}

fn node_or_skip() -> bool {
    if node(&["--version"]).is_some() {
        return true;
    }
    if require_e2e() {
        panic!("node not found on PATH and AUTO_LOGOUT_REQUIRE_E2E=1");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing tests.
    let banner = "\n*** SKIPPED: node not found on PATH; assets/auto-logout.js NOT tested \
                  (set AUTO_LOGOUT_REQUIRE_E2E=1 to make this a failure) ***\n";
    let _ = std::io::stderr().write_all(banner.as_bytes());
    false
}

fn show(what: &str, out: &Output) {
    println!("---- {what}: {} ----", out.status);
    println!("{}", String::from_utf8_lossy(&out.stdout));
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn client_script_parses() {
    if !node_or_skip() {
        return;
    }
    let out = node(&["--check", "assets/auto-logout.js"]).expect("node vanished");
    show("node --check assets/auto-logout.js", &out);
    assert!(out.status.success(), "assets/auto-logout.js does not parse");
}

#[test]
fn client_script_behaviour() {
    if !node_or_skip() {
        return;
    }
    // Name the test files explicitly: how `node --test <dir>` treats a directory
    // differs between Node versions, a list of files works on all of them.
    let dir: PathBuf = manifest_dir().join("tests/js");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/js exists")
        .map(|e| {
            e.expect("readable dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("tests/js/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.test.mjs files in tests/js");
    let mut args = vec!["--test"];
    args.extend(files.iter().map(String::as_str));
    let out = node(&args).expect("node vanished");
    show(&format!("node --test {}", files.join(" ")), &out);
    assert!(
        out.status.success(),
        "client script tests failed (output above)"
    );
}
