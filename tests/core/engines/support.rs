//! Shared by the engine tests: the table of contexts, the four engines loaded
//! with the example pages, each engine's own escaping, and page inspection.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;

use auto_logout::askama::AutoLogoutTemplate;
use auto_logout::{Config, Nonce, Remaining, TemplateContext, WarningTexts};

/// Text that tries every way out of an HTML text node, an attribute, a
/// `<script>` element and a JavaScript string.
pub const HOSTILE: &str =
    "</script><script>alert(\"x\")</script><!-- '\u{2028}\u{2029}' & &amp; <b>";

/// A hostile `LOGIN_URL` that still is a same-origin path (no whitespace).
pub const HOSTILE_LOGIN_URL: &str = "/login?next=</script><!--\"'&x=<b>";

/// What the app puts into the page besides the auto-logout values.
pub struct App {
    pub title: String,
    pub user: String,
    pub messages: Vec<String>,
}

/// One row of the table: a configuration (none: anonymous), the time left,
/// and what the integration does to the context.
pub struct Case {
    pub name: &'static str,
    pub config: Option<Config>,
    pub remaining: Remaining,
    pub adjust: for<'a> fn(TemplateContext<'a>) -> TemplateContext<'a>,
    pub app: App,
    /// Texts that must never appear unescaped in the page.
    pub hostile: Vec<String>,
}

impl Case {
    pub fn context(&self) -> TemplateContext<'_> {
        let base = match &self.config {
            Some(config) => config.context(self.remaining),
            None => TemplateContext::anonymous(),
        };
        (self.adjust)(base)
    }
}

fn same(ctx: TemplateContext<'_>) -> TemplateContext<'_> {
    ctx
}

fn nonce(ctx: TemplateContext<'_>) -> TemplateContext<'_> {
    // `+`, `/` and `=` would change under any second escaping.
    ctx.with_nonce(Nonce::new("rAnd0m+/=").unwrap())
}

fn external(ctx: TemplateContext<'_>) -> TemplateContext<'_> {
    ctx.external()
}

fn external_nonce(ctx: TemplateContext<'_>) -> TemplateContext<'_> {
    ctx.external()
        .with_nonce(Nonce::new("bm9uY2U-_x==").unwrap())
}

fn endpoints(ctx: TemplateContext<'_>) -> TemplateContext<'_> {
    ctx.with_endpoints()
}

fn app(user: &str, messages: &[&str]) -> App {
    App {
        title: "Orders – Example Shop".to_owned(),
        user: user.to_owned(),
        messages: messages.iter().map(|m| (*m).to_owned()).collect(),
    }
}

fn both() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

/// The shared table: every engine renders every row.
pub fn cases() -> Vec<Case> {
    let hostile_config = Config::builder()
        .idle_time("10m")
        .session_time("1h")
        .message(HOSTILE)
        .idle_message(format!("idle {HOSTILE}"))
        .warn_before(60)
        .login_url(HOSTILE_LOGIN_URL)
        .warning_texts(WarningTexts {
            title: Some(format!("title {HOSTILE}")),
            idle_text: Some(format!("idle text {HOSTILE}")),
            session_text: Some(format!("session text {HOSTILE}")),
            stay_label: Some(format!("stay {HOSTILE}")),
            class: Some("auto-logout-warning".to_owned()),
        })
        .redirect_to_login_immediately(true)
        .build()
        .unwrap();
    let hostile_message = hostile_config.message().unwrap().to_owned();
    let hostile_texts = vec![
        HOSTILE.to_owned(),
        HOSTILE_LOGIN_URL.to_owned(),
        "</script><script>".to_owned(),
        "alert(\"x\")".to_owned(),
        "<b>".to_owned(),
    ];
    let plain = || app("ada", &["Welcome back."]);
    vec![
        Case {
            name: "both limits",
            config: Some(both()),
            remaining: Remaining::new(Some(599_400), Some(3_000_001)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "idle only",
            config: Some(
                Config::builder()
                    .idle_time(900)
                    .redirect_to_login_immediately(true)
                    .build()
                    .unwrap(),
            ),
            remaining: Remaining::new(Some(1), None),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "session only",
            config: Some(
                Config::builder()
                    .session_time("8h")
                    .redirect_to_login_immediately(true)
                    .build()
                    .unwrap(),
            ),
            remaining: Remaining::new(None, Some(28_800_000)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "nothing configured",
            config: Some(Config::builder().build().unwrap()),
            remaining: Remaining::new(Some(5_000), Some(5_000)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "anonymous",
            config: None,
            remaining: Remaining::default(),
            adjust: same,
            app: app("", &[]),
            hostile: vec![],
        },
        Case {
            name: "script off",
            config: Some(
                Config::builder()
                    .idle_time(600)
                    .session_time(3600)
                    .build()
                    .unwrap(),
            ),
            remaining: Remaining::new(Some(600_000), Some(3_600_000)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "time is up",
            config: Some(both()),
            remaining: Remaining::new(Some(0), Some(-5)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "beyond 2^31 ms",
            config: Some(
                Config::builder()
                    .idle_time("30d")
                    .session_time("400d")
                    .redirect_to_login_immediately(true)
                    .build()
                    .unwrap(),
            ),
            remaining: Remaining::new(Some(2_592_000_000), Some(34_560_000_000)),
            adjust: same,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "nonce",
            config: Some(both()),
            remaining: Remaining::new(Some(600_000), Some(3_600_000)),
            adjust: nonce,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "with endpoints",
            config: Some(both()),
            remaining: Remaining::new(Some(600_000), Some(3_600_000)),
            adjust: endpoints,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "external form",
            config: Some(both()),
            remaining: Remaining::new(Some(600_000), Some(3_600_000)),
            adjust: external,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "external form with nonce",
            config: Some(both()),
            remaining: Remaining::new(Some(600_000), Some(3_600_000)),
            adjust: external_nonce,
            app: plain(),
            hostile: vec![],
        },
        Case {
            name: "hostile MESSAGE, LOGIN_URL and warning texts",
            config: Some(hostile_config.clone()),
            remaining: Remaining::new(Some(300_000), Some(1_800_000)),
            adjust: nonce,
            app: App {
                title: format!("title {HOSTILE}"),
                user: format!("user {HOSTILE}"),
                messages: vec![hostile_message.clone(), format!("second {HOSTILE}")],
            },
            hostile: hostile_texts.clone(),
        },
        Case {
            name: "hostile texts, external form",
            config: Some(hostile_config),
            remaining: Remaining::new(Some(300_000), Some(1_800_000)),
            adjust: external,
            app: App {
                title: "Orders".to_owned(),
                user: "ada".to_owned(),
                messages: vec![hostile_message],
            },
            hostile: hostile_texts,
        },
    ]
}

/// The four engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Tera2,
    Tera1,
    MiniJinja,
    Askama,
}

pub const ENGINES: [Engine; 4] = [
    Engine::Tera2,
    Engine::Tera1,
    Engine::MiniJinja,
    Engine::Askama,
];

/// The example page of each engine.
pub const TERA2_PAGE: &str = include_str!("../../../examples/templates/tera.html");
pub const TERA1_PAGE: &str = include_str!("../../../examples/templates/tera1.html");
pub const MINIJINJA_PAGE: &str = include_str!("../../../examples/templates/minijinja.html");

/// The askama example page (`examples/templates/askama.html`).
#[derive(askama::Template)]
#[template(path = "askama.html", config = "tests/core/engines/askama.toml")]
pub struct AskamaPage<'a> {
    pub title: &'a str,
    pub user: &'a str,
    pub messages: &'a [String],
    pub auto_logout: TemplateContext<'a>,
}

impl AutoLogoutTemplate for AskamaPage<'_> {
    fn auto_logout(&self) -> TemplateContext<'_> {
        self.auto_logout
    }
}

/// Tera 2, Tera 1 and MiniJinja with the example pages loaded (`.html` names:
/// autoescaping on) and the crate's registration done.
pub struct Engines {
    pub tera2: tera::Tera,
    pub tera1: tera1::Tera,
    pub minijinja: minijinja::Environment<'static>,
}

impl Engines {
    pub fn new() -> Self {
        let mut tera2 = tera::Tera::new();
        auto_logout::tera::register(&mut tera2);
        tera2.add_raw_template("page.html", TERA2_PAGE).unwrap();

        let mut tera1 = tera1::Tera::default();
        tera1.add_raw_template("page.html", TERA1_PAGE).unwrap();

        let mut minijinja = minijinja::Environment::new();
        auto_logout::minijinja::register(&mut minijinja);
        minijinja.add_template("page.html", MINIJINJA_PAGE).unwrap();

        Engines {
            tera2,
            tera1,
            minijinja,
        }
    }

    pub fn render(&self, engine: Engine, app: &App, values: &TemplateContext<'_>) -> String {
        match engine {
            Engine::Tera2 => {
                let mut ctx = tera::Context::new();
                ctx.insert("title", &app.title);
                ctx.insert("user", &app.user);
                ctx.insert("messages", &app.messages);
                auto_logout::tera::insert(&mut ctx, values);
                self.tera2.render("page.html", &ctx).unwrap()
            }
            Engine::Tera1 => {
                let mut ctx = tera1::Context::new();
                ctx.insert("title", &app.title);
                ctx.insert("user", &app.user);
                ctx.insert("messages", &app.messages);
                auto_logout::tera1::insert(&mut ctx, values);
                self.tera1.render("page.html", &ctx).unwrap()
            }
            Engine::MiniJinja => self
                .minijinja
                .get_template("page.html")
                .unwrap()
                .render(minijinja::context! {
                    title => app.title.clone(),
                    user => app.user.clone(),
                    messages => app.messages.clone(),
                    ..auto_logout::minijinja::values(values),
                })
                .unwrap(),
            Engine::Askama => askama::Template::render(&AskamaPage {
                title: &app.title,
                user: &app.user,
                messages: &app.messages,
                auto_logout: *values,
            })
            .unwrap(),
        }
    }
}

/// `text` as the engine's own autoescaping writes it.
pub fn escape(engine: Engine, text: &str) -> String {
    match engine {
        Engine::Tera2 => {
            let mut out = Vec::new();
            tera::escape_html(text, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        }
        Engine::Tera1 => tera1::escape_html(text),
        Engine::MiniJinja => minijinja::HtmlEscape(text).to_string(),
        Engine::Askama => askama::filters::escape(text, askama::filters::Html)
            .unwrap()
            .to_string(),
    }
}

/// A rendered page taken apart.
#[derive(Debug)]
pub struct Parts {
    /// The script tag as it appears in the page ("" when absent).
    pub tag: String,
    /// The `var ... = ...;` lines.
    pub var_lines: Vec<String>,
    /// The page with the tag and the app's (escaped) texts replaced by
    /// placeholders: equal across engines when nothing else differs.
    pub skeleton: String,
}

pub fn take_apart(engine: Engine, page: &str, app: &App) -> Parts {
    let tag = match page.find("<script data-auto-logout") {
        Some(start) => {
            let end = start
                + page[start..].find("</script>").expect("the tag is closed")
                + "</script>".len();
            page[start..end].to_owned()
        }
        None => String::new(),
    };
    let var_lines = page
        .lines()
        .filter(|line| line.starts_with("var "))
        .map(str::to_owned)
        .collect();
    let mut skeleton = if tag.is_empty() {
        page.to_owned()
    } else {
        page.replacen(&tag, "{tag}", 1)
    };
    let mut texts: Vec<(&str, &str)> = vec![("{title}", &app.title), ("{user}", &app.user)];
    for message in &app.messages {
        texts.push(("{message}", message));
    }
    for (placeholder, text) in texts {
        if !text.is_empty() {
            skeleton = skeleton.replacen(&escape(engine, text), placeholder, 1);
        }
    }
    Parts {
        tag,
        var_lines,
        skeleton: skeleton.trim_end_matches('\n').to_owned(),
    }
}

/// The lines the core's values must give.
pub fn expected_var_lines(values: &TemplateContext<'_>) -> Vec<String> {
    vec![
        format!("var sessionEnd = {};", values.seconds_until_session_end()),
        format!("var idleEnd = {};", values.seconds_until_idle_end()),
    ]
}

/// The Node.js binary: `$NODE`, else `node` on the `PATH`.
pub fn node_binary() -> String {
    std::env::var("NODE").unwrap_or_else(|_| "node".to_owned())
}

/// Whether [`node_binary`] runs.
pub fn node_available() -> bool {
    Command::new(node_binary())
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Collects JavaScript snippets and checks them all with one `node --check`.
#[derive(Default)]
pub struct JsCheck {
    source: String,
    snippets: usize,
}

impl JsCheck {
    /// Adds `lines` as one snippet in its own function scope.
    pub fn add(&mut self, label: &str, lines: &[String]) {
        let label = label.replace(['\n', '\r', '\u{2028}', '\u{2029}'], " ");
        writeln!(self.source, "// {label}\n(function () {{").unwrap();
        for line in lines {
            writeln!(self.source, "{line}").unwrap();
        }
        writeln!(self.source, "}})();").unwrap();
        self.snippets += 1;
    }

    /// Runs `node --check` on everything added and fails the test when node
    /// refuses it; skips loudly when node is missing, unless
    /// `AUTO_LOGOUT_REQUIRE_E2E=1`.
    pub fn run(self, what: &str) {
        if !node_or_skip(what) {
            return;
        }
        let snippets = self.snippets;
        if let Err(refusal) = self.check(what) {
            panic!("{refusal}");
        }
        eprintln!(
            "node --check: {} snippets of {what} are valid JavaScript",
            snippets
        );
    }

    /// `node --check` on everything added (node must be there: see
    /// [`node_or_skip`]): `Err` carries node's complaint and the source.
    pub fn check(self, what: &str) -> Result<(), String> {
        let dir = std::env::temp_dir().join(format!(
            "auto-logout-engines-{}-{}",
            std::process::id(),
            what.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vars.js");
        std::fs::write(&file, &self.source).unwrap();
        let out = Command::new(node_binary())
            .arg("--check")
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "node --check failed on {what}:\n{}\n--- source ---\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.source
            ))
        }
    }
}

/// Whether node is there to check `what`. Without it: a loud banner straight
/// to the process's stderr (the test harness captures `eprintln!` of passing
/// tests, and a skip must be seen) and `false`; a panic instead when
/// `AUTO_LOGOUT_REQUIRE_E2E=1`.
pub fn node_or_skip(what: &str) -> bool {
    if node_available() {
        return true;
    }
    let node = node_binary();
    if std::env::var("AUTO_LOGOUT_REQUIRE_E2E").is_ok_and(|v| v == "1") {
        panic!("`{node}` not found and AUTO_LOGOUT_REQUIRE_E2E=1: cannot check {what}");
    }
    let _ = std::io::stderr().write_all(
        format!(
            "\n*** SKIPPED: `{node}` not found; NOT checked with `node --check`: {what} \
             (install Node.js, or set AUTO_LOGOUT_REQUIRE_E2E=1 to make this fail) ***\n\n"
        )
        .as_bytes(),
    );
    false
}
