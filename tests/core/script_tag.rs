//! The script tag: its attributes round-trip every text, hostile values cannot
//! break out, the inline form embeds the asset, and the embedded script and the
//! template variables are valid JavaScript (checked by `node --check`).

use std::io::Write as _;
use std::process::Command;

use auto_logout::{Config, Nonce, Remaining, TemplateContext, WarningTexts, assets};

const HOSTILE: &str =
    "</script><script>alert(1)</script><!-- \"quoted\" 'single' \u{2028}\u{2029} & done";

/// `node --check` on `code`; skips loudly without node unless e2e is required.
fn node_check(name: &str, code: &str) {
    let node_found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !node_found {
        if std::env::var("AUTO_LOGOUT_REQUIRE_E2E").as_deref() == Ok("1") {
            panic!("node is required (AUTO_LOGOUT_REQUIRE_E2E=1) but was not found");
        }
        // Straight to the process's stderr: the test harness captures
        // `eprintln!` of passing tests, and a skip must be seen.
        let banner = format!(
            "\n*** SKIPPED: node not found; `node --check` of {name} NOT run \
             (install Node.js, or set AUTO_LOGOUT_REQUIRE_E2E=1 to make this fail) ***\n\n"
        );
        let _ = std::io::stderr().write_all(banner.as_bytes());
        return;
    }
    let dir = std::env::temp_dir().join(format!("auto-logout-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.js"));
    std::fs::write(&file, code).unwrap();
    let out = Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "node --check {name} failed:\n{}\n--- code ---\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&file);
}

/// Splits `<script a="b" c>BODY</script>` into its attributes (unescaped) and body.
fn parse_tag(tag: &str) -> (Vec<(String, Option<String>)>, &str) {
    let rest = tag.strip_prefix("<script").expect("starts with <script");
    let end_of_start = rest.find('>').expect("start tag closes");
    let (attrs_text, after) = rest.split_at(end_of_start);
    let body = after[1..]
        .strip_suffix("</script>")
        .expect("ends with </script>");
    let mut attrs = Vec::new();
    let mut s = attrs_text;
    while let Some(stripped) = s.strip_prefix(' ') {
        let name_end = stripped.find(['=', ' ']).unwrap_or(stripped.len());
        let name = &stripped[..name_end];
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "attribute name {name:?}"
        );
        let after_name = &stripped[name_end..];
        if let Some(value_part) = after_name.strip_prefix("=\"") {
            let close = value_part.find('"').expect("attribute value closes");
            let raw = &value_part[..close];
            assert!(!raw.contains(['<', '>', '\'']), "unescaped in {raw:?}");
            let value = raw
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            attrs.push((name.to_owned(), Some(value)));
            s = &value_part[close + 1..];
        } else {
            attrs.push((name.to_owned(), None));
            s = after_name;
        }
    }
    assert!(s.is_empty(), "unparsed start tag rest {s:?}");
    (attrs, body)
}

fn attr<'a>(attrs: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_deref())
}

fn hostile_config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .warn_before(60)
        .redirect_to_login_immediately(true)
        .message(HOSTILE)
        .login_url("/login?x=\"></script><!--'&y=z")
        .warning_texts(WarningTexts {
            title: Some(HOSTILE.into()),
            idle_text: Some(HOSTILE.into()),
            session_text: Some(HOSTILE.into()),
            stay_label: Some(HOSTILE.into()),
            class: Some("my-warning".into()),
        })
        .build()
        .unwrap()
}

#[test]
fn hostile_texts_round_trip_through_attributes_and_never_break_out() {
    let config = hostile_config();
    let remaining = Remaining::new(Some(599_000), Some(3_599_000));
    let nonce = Nonce::new("abc123+/=").unwrap();
    for (name, ctx) in [
        ("inline", config.context(remaining)),
        (
            "inline-endpoints",
            config.context(remaining).with_endpoints(),
        ),
        ("inline-nonce", config.context(remaining).with_nonce(nonce)),
        ("external", config.context(remaining).external()),
        (
            "external-nonce",
            config.context(remaining).external().with_nonce(nonce),
        ),
    ] {
        let tag = ctx.redirect_to_login_immediately().to_string();
        let lower = tag.to_ascii_lowercase();
        assert_eq!(lower.matches("</script").count(), 1, "{name}: one end tag");
        assert_eq!(lower.matches("<script").count(), 1, "{name}: one start tag");
        assert!(!lower.contains("<!--"), "{name}: no comment opener");
        let (attrs, body) = parse_tag(&tag);
        assert_eq!(attrs[0], ("data-auto-logout".to_owned(), None));
        assert_eq!(attr(&attrs, "data-idle-ms"), Some("599000"));
        assert_eq!(attr(&attrs, "data-session-ms"), Some("3599000"));
        assert_eq!(attr(&attrs, "data-warn-ms"), Some("60000"));
        assert_eq!(
            attr(&attrs, "data-login-url"),
            Some("/login?x=\"></script><!--'&y=z")
        );
        for text in [
            "data-warn-title",
            "data-warn-idle-text",
            "data-warn-session-text",
            "data-warn-stay-label",
        ] {
            assert_eq!(attr(&attrs, text), Some(HOSTILE), "{name}: {text}");
        }
        assert_eq!(attr(&attrs, "data-warn-class"), Some("my-warning"));
        // No hostile text appears raw anywhere in the tag.
        assert!(!tag.contains(HOSTILE), "{name}");
        let nonce_expected = name.ends_with("nonce").then_some("abc123+/=");
        assert_eq!(attr(&attrs, "nonce"), nonce_expected, "{name}");
        if name.starts_with("external") {
            assert_eq!(body, "", "{name}: external tag has no body");
            let src = attr(&attrs, "src").unwrap();
            assert_eq!(src, format!("/auto-logout/{}", assets::script_file_name()));
            assert_eq!(attr(&attrs, "data-status-url"), Some("/auto-logout/status"));
        } else {
            assert_eq!(body, assets::SCRIPT, "{name}: inline body is the asset");
            assert_eq!(attr(&attrs, "src"), None);
            let endpoints = name == "inline-endpoints";
            assert_eq!(
                attr(&attrs, "data-status-url").is_some(),
                endpoints,
                "{name}: status only when an integration serves it"
            );
            assert_eq!(
                attr(&attrs, "data-keepalive-url"),
                endpoints.then_some("/auto-logout/keepalive")
            );
        }
    }
}

#[test]
fn the_asset_and_every_inline_body_pass_node_check() {
    node_check("asset", assets::SCRIPT);
    let config = hostile_config();
    let tag = config
        .context(Remaining::new(Some(1), Some(2)))
        .redirect_to_login_immediately()
        .to_string();
    let (_, body) = parse_tag(&tag);
    node_check("inline-body", body);
}

#[test]
fn template_variables_are_valid_javascript_in_every_case() {
    let both = Config::builder()
        .idle_time(600)
        .session_time(3600)
        .build()
        .unwrap();
    let idle_only = Config::builder().idle_time(600).build().unwrap();
    let session_only = Config::builder().session_time(3600).build().unwrap();
    let nothing = Config::builder().build().unwrap();
    let r = Remaining::new(Some(599_999), Some(1));
    let cases = [
        ("both", both.context(r)),
        (
            "idle-only",
            idle_only.context(Remaining::new(Some(5), None)),
        ),
        (
            "session-only",
            session_only.context(Remaining::new(None, Some(5))),
        ),
        ("nothing", nothing.context(Remaining::default())),
        ("anonymous", TemplateContext::anonymous()),
        (
            "expired-clamped",
            both.context(Remaining::new(Some(-10), Some(-1))),
        ),
    ];
    let mut js = String::new();
    for (name, ctx) in cases {
        let line = format!(
            "var sessionEnd = {}; var idleEnd = {}; // {name}\n",
            ctx.seconds_until_session_end(),
            ctx.seconds_until_idle_end()
        );
        assert!(!line.contains("= ;") && !line.contains(','), "{line}");
        js.push_str("{ ");
        js.push_str(&line);
        js.push_str("}\n");
    }
    node_check("variables", &js);
}

#[test]
fn nothing_is_rendered_without_the_option_or_a_user() {
    let off = Config::builder().idle_time(600).build().unwrap();
    let ctx = off.context(Remaining::new(Some(1000), None));
    assert!(ctx.redirect_to_login_immediately().is_empty());
    assert_eq!(ctx.redirect_to_login_immediately().to_string(), "");
    assert_eq!(
        TemplateContext::anonymous()
            .redirect_to_login_immediately()
            .to_string(),
        ""
    );
    let on = Config::builder()
        .idle_time(600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let anonymous = on.context_for(&auto_logout::RequestOutcome::Untracked);
    assert_eq!(anonymous.redirect_to_login_immediately().to_string(), "");
    let expired = on.context_for(&auto_logout::RequestOutcome::Expired(
        auto_logout::ExpiryReason::Idle,
    ));
    assert_eq!(expired.seconds_until_idle_end(), 0);
}

#[test]
fn unconfigured_limit_has_no_attribute() {
    let c = Config::builder()
        .idle_time(600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let tag = c
        .context(Remaining::new(Some(600_000), None))
        .redirect_to_login_immediately()
        .to_string();
    let (attrs, _) = parse_tag(&tag);
    assert_eq!(attr(&attrs, "data-idle-ms"), Some("600000"));
    assert!(!attrs.iter().any(|(n, _)| n == "data-session-ms"));
    assert!(!attrs.iter().any(|(n, _)| n == "data-login-url"));
}

#[test]
fn serde_gives_the_three_django_names() {
    let c = Config::builder()
        .idle_time(600)
        .session_time(3600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let ctx = c
        .context(Remaining::new(Some(600_000), Some(3_600_000)))
        .external();
    let v = serde_json::to_value(ctx).unwrap();
    assert_eq!(v["seconds_until_idle_end"], 600);
    assert_eq!(v["seconds_until_session_end"], 3600);
    assert_eq!(
        v["redirect_to_login_immediately"],
        ctx.redirect_to_login_immediately().to_string()
    );
}
