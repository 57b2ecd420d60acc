//! The server log of this test binary: a global `tracing` subscriber that
//! records every event of the crate (target `auto_logout`) and axum-messages'
//! own errors, both as fields and as the text `tracing_subscriber::fmt`
//! writes.
//!
//! The sites run on server tasks and worker threads a per-thread subscriber
//! would not see, so the subscriber is global and the tests take turns
//! ([`listen`]): while a test holds its turn no other test of this binary
//! sends requests, and each one sees only the events of its own. A test
//! added to this binary that serves a site takes its turn too.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use auto_logout::engine::{Framework, Mistake};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Event {
    pub target: String,
    pub level: tracing::Level,
    pub fields: BTreeMap<String, String>,
}

impl Event {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The `event` field: which audit event this is.
    pub fn name(&self) -> &str {
        self.field("event").unwrap_or("")
    }
}

/// Everything the subscriber received: the events, and the text the `fmt`
/// layer wrote for them.
#[derive(Default)]
pub struct Log {
    events: Mutex<Vec<Event>>,
    text: Mutex<Vec<u8>>,
}

impl Log {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Every event of `target`.
    pub fn of(&self, target: &str) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|e| e.target == target)
            .collect()
    }

    /// The events of the target `auto_logout`.
    pub fn audit(&self) -> Vec<Event> {
        self.of("auto_logout")
    }

    /// The audit events named `name`.
    pub fn named(&self, name: &str) -> Vec<Event> {
        self.audit()
            .into_iter()
            .filter(|e| e.name() == name)
            .collect()
    }

    /// The crate's `setup_mistake` events.
    pub fn mistakes(&self) -> Vec<Event> {
        self.named("setup_mistake")
    }

    /// The text the `fmt` layer wrote.
    pub fn text(&self) -> String {
        String::from_utf8(self.text.lock().unwrap().clone()).unwrap()
    }

    pub fn clear(&self) {
        self.events.lock().unwrap().clear();
        self.text.lock().unwrap().clear();
    }

    /// Fails when any secret appears in a field or in the written text.
    pub fn assert_free_of(&self, secrets: &[&str]) {
        let text = self.text();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
            for event in self.events() {
                for value in event.fields.values() {
                    assert!(!value.contains(secret), "{secret:?} in {event:?}");
                }
            }
        }
    }

    /// Exactly one `setup_mistake` event, at error level, for `mistake` with
    /// `framework`'s fix; and its line in the written log.
    pub fn assert_one(&self, mistake: Mistake, framework: Framework) {
        let events = self.mistakes();
        assert_eq!(events.len(), 1, "{events:?}\n{}", self.text());
        let event = &events[0];
        assert_eq!(event.level, tracing::Level::ERROR);
        assert_eq!(event.field("mistake"), Some(mistake.name()));
        assert_eq!(event.field("message"), Some(mistake.fix(framework)));
        let line = format!(
            "ERROR auto_logout: {} event=\"setup_mistake\" mistake=\"{}\"\n",
            mistake.fix(framework),
            mistake.name()
        );
        assert!(self.text().contains(&line), "{}", self.text());
        self.clear();
    }

    /// No `setup_mistake` event.
    pub fn assert_none(&self) {
        let events = self.mistakes();
        assert!(events.is_empty(), "{events:?}");
    }
}

/// Records each event's target, level and fields.
struct Recorder(Arc<Log>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.events.lock().unwrap().push(Event {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
        });
    }
}

/// The `fmt` layer's writer: the shared buffer.
struct Text(Arc<Log>);

impl Write for Text {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.text.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of this test binary, installed on first use, and this test's
/// turn: while the guard lives no other test sends requests, and the log
/// starts empty.
pub async fn listen() -> (tokio::sync::MutexGuard<'static, ()>, Arc<Log>) {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    static LOG: OnceLock<Arc<Log>> = OnceLock::new();
    let turn = TURN.lock().await;
    let log = LOG
        .get_or_init(|| {
            let log = Arc::new(Log::default());
            let writer = log.clone();
            // The crate's events, and axum-messages' own errors: the session
            // crates log their own.
            let subscriber = tracing_subscriber::registry()
                .with(tracing_subscriber::EnvFilter::new(
                    "auto_logout=trace,axum_messages=error",
                ))
                .with(Recorder(log.clone()))
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(false)
                        .with_writer(move || Text(writer.clone())),
                );
            tracing::subscriber::set_global_default(subscriber).unwrap();
            log
        })
        .clone();
    log.clear();
    (turn, log)
}
