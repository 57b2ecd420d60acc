//! The security review (SECURITY.md) on the axum demo stack (tower-sessions,
//! axum-messages, MiniJinja) over real HTTP on loopback, with an injected
//! clock. The checks themselves are in `security_checks/`, shared with the
//! actix-web run in `actix_security.rs`.

use crate::security_checks;
use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use auto_logout::{Config, ManualClock, Nonce, Remaining};
use scraper::{Html, Selector};
use security_checks::{Target, login_url_config};
use support::app::{self, Csp};
use support::{Site, T0};

/// The axum demo with `config` and `csp`, as a check's target.
async fn start(config: Config, csp: Csp) -> Target {
    let site = Site::start_custom(config, axum::Router::new(), |s| s.csp = csp).await;
    Target::new(site.addr, site.clock.clone(), "axum", site)
}

crate::security_tests!(start);

/// A nonce is written into the tag as is, so only base64 text gets through
/// `Nonce::new`; the refusal names the value and what is allowed, and an
/// accepted nonce round-trips through an HTML parser.
#[test]
fn invalid_nonces_are_refused() {
    for bad in [
        "",
        "\"",
        "'",
        "abc\" onload=\"alert(1)",
        "abc'><script>alert(1)</script>",
        "abc def",
        "abc\tdef",
        "abc\ndef",
        "abc&amp;",
        "abc<",
        "abc>",
        "abc;",
        "abc%3D",
        "nonce\u{0}",
        "nonce\u{2028}",
        "é",
        "ＡＢＣ",
        &"a".repeat(257),
    ] {
        let err = Nonce::new(bad).expect_err(bad);
        let text = err.to_string();
        assert!(text.contains("nonce"), "{text}");
        assert!(text.contains("base64"), "{text}");
        assert!(
            text.contains(&format!("{:?}", bad.chars().take(64).collect::<String>())),
            "{text}"
        );
    }
    let config = Config::builder()
        .idle_time(60)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    for good in ["a", "rAnd0m+/=", "base64url-_", &"Z".repeat(256)] {
        let nonce = Nonce::new(good).unwrap();
        for external in [false, true] {
            let ctx = config.context(Remaining::new(Some(60_000), None));
            let ctx = if external { ctx.external() } else { ctx };
            let tag = ctx
                .with_nonce(nonce)
                .redirect_to_login_immediately()
                .to_string();
            let doc = Html::parse_document(&format!(
                "<!doctype html><head>{tag}</head><body><p id=after>x</p>"
            ));
            let scripts: Vec<_> = doc.select(&Selector::parse("script").unwrap()).collect();
            assert_eq!(scripts.len(), 1, "{tag}");
            assert_eq!(scripts[0].value().attr("nonce"), Some(good));
            assert_eq!(
                doc.select(&Selector::parse("body > p#after").unwrap())
                    .count(),
                1
            );
        }
    }
}

/// A tower-sessions store that fails every call while its switch is on.
#[derive(Clone, Debug, Default)]
struct Outage {
    inner: tower_sessions::MemoryStore,
    down: Arc<AtomicBool>,
}

impl Outage {
    fn check(&self) -> tower_sessions::session_store::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(tower_sessions::session_store::Error::Backend(
                "connection refused".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for Outage {
    async fn create(
        &self,
        record: &mut tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.create(record).await
    }
    async fn save(
        &self,
        record: &tower_sessions::session::Record,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.save(record).await
    }
    async fn load(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
        self.check()?;
        self.inner.load(id).await
    }
    async fn delete(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn a_store_failure_is_no_store() {
    let clock = ManualClock::new(T0);
    let store = Outage::default();
    let mut settings = app::Settings::new(login_url_config());
    settings.clock = Some(clock.clone());
    let router = app::router_with(&settings, store.clone(), axum::Router::new());
    let addr = app::spawn(router, "127.0.0.1:0").await.unwrap();
    let site = Target::new(addr, clock, "axum", ());
    security_checks::store_failure_is_no_store(&site, |on| store.down.store(on, Ordering::SeqCst))
        .await;
}

/// The off-site check itself tells an off-site location from an on-site one
/// (as a browser reads them), so the redirect tests above can fail.
#[test]
fn the_on_site_check_catches_off_site_locations() {
    let base = reqwest::Url::parse("http://127.0.0.1:3000/").unwrap();
    for off_site in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http://127.0.0.1:3001/",
        "/login?next=%2F%2Fevil.example%2F",
        "/login?next=%2F%5Cevil.example",
        "/login?next=https%3A%2F%2Fevil.example",
    ] {
        let caught = std::panic::catch_unwind(|| {
            security_checks::assert_on_site(&base, off_site, "probe");
        });
        assert!(caught.is_err(), "{off_site:?} passed as on-site");
    }
    for on_site in [
        "/",
        "/login?next=%2Fpublic%3Fa%3D1",
        "/%2F%2Fevil.example/",
        "/login?next=%2F%252F%252Fevil.example%2F",
    ] {
        security_checks::assert_on_site(&base, on_site, "probe");
    }
}
