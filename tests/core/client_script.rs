//! The client script, checked with Node: `node --check` on the shipped build and the
//! behaviour tests under `tests/js/` (Node's built-in test runner, no npm packages).
//!
//! Without `node` on PATH those tests say so loudly and pass, unless
//! `AUTO_LOGOUT_REQUIRE_E2E=1`, when they fail.
//!
//! One test needs no Node: the committed build `assets/auto-logout.min.js` names in its
//! first line the SHA-256 of the source it was made from, and the test compares it with
//! the SHA-256 of `assets/auto-logout.js` as committed, so a source edited without
//! `npm run build` fails here. Where `npm ci` has installed the pinned minifier, another
//! test rebuilds into a temporary file (`bash assets/build.sh --check`) and compares.

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
    for file in ["assets/auto-logout.js", "assets/auto-logout.min.js"] {
        let out = node(&["--check", file]).expect("node vanished");
        show(&format!("node --check {file}"), &out);
        assert!(out.status.success(), "{file} does not parse");
    }
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

#[test]
fn committed_build_is_what_the_pinned_minifier_makes() {
    // `npm ci` installs the minifier pinned in package-lock.json; CI runs it first.
    if !manifest_dir().join("node_modules/.bin/terser").exists() {
        if require_e2e() {
            panic!(
                "node_modules/.bin/terser not found (run `npm ci`) and AUTO_LOGOUT_REQUIRE_E2E=1"
            );
        }
        let banner = "\n*** SKIPPED: node_modules/.bin/terser not found (run `npm ci`); the committed \
                      build was NOT rebuilt and compared (set AUTO_LOGOUT_REQUIRE_E2E=1 to make this \
                      a failure) ***\n";
        let _ = std::io::stderr().write_all(banner.as_bytes());
        return;
    }
    let out = Command::new("bash")
        .args(["assets/build.sh", "--check"])
        .current_dir(manifest_dir())
        .output()
        .expect("bash runs");
    show("bash assets/build.sh --check", &out);
    assert!(
        out.status.success(),
        "assets/auto-logout.min.js differs from a fresh build (output above)"
    );
}

#[test]
fn committed_build_is_made_from_the_committed_source() {
    let source = std::fs::read(manifest_dir().join("assets/auto-logout.js")).expect("source");
    let build =
        std::fs::read_to_string(manifest_dir().join("assets/auto-logout.min.js")).expect("build");
    assert_eq!(
        build,
        auto_logout::assets::SCRIPT,
        "the crate embeds the committed build"
    );
    let banner = build.lines().next().unwrap_or_default();
    let expected = format!(
        "/*! auto-logout | source sha256:{} */",
        hex(&sha256(&source))
    );
    assert_eq!(
        banner, expected,
        "assets/auto-logout.min.js is stale: it was not built from the current \
         assets/auto-logout.js. Run `npm ci && npm run build` and commit the result."
    );
}

#[test]
fn sha256_matches_the_standard_vectors() {
    // FIPS 180-2 examples, so the staleness test above cannot pass by a broken hash.
    assert_eq!(
        hex(&sha256(b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(&sha256(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        )),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(
        hex(&sha256(&[b'a'; 1000])),
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4), small and slow, for one test: no dependency needed for it.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(value);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}
