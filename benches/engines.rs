//! What each template-engine integration adds to a render: a small realistic
//! page rendered with the auto-logout values (the two `var` lines and the
//! script tag, inline or external) against the same page without them, per
//! engine, with the core's own context + tag render measured in the same run.
//!
//! `cargo bench --bench engines -- --warm-up-time 1 --measurement-time 2`
//!
//! Each iteration builds the render context from scratch (the app's values
//! and, in the "with" runs, the per-request auto-logout call), as a request
//! handler does, so "with − without" is the whole cost of the integration.

use std::fmt::Write;
use std::hint::black_box;

use askama::Template;
use auto_logout::askama::AutoLogoutTemplate;
use auto_logout::{Config, Remaining, TemplateContext};
use criterion::{Criterion, criterion_group, criterion_main};

const HEAD: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<nav>{% for link in nav %}<a href="/{{ link }}">{{ link }}</a> {% endfor %}</nav>
<ul class="messages">{% for message in messages %}<li class="message">{{ message }}</li>{% endfor %}</ul>
<p>Signed in as {{ user }}.</p>
<table>{% for order in orders %}<tr><td>{{ order }}</td></tr>{% endfor %}</table>
"#;
const AUTO_LOGOUT: &str = r#"<script>
var sessionEnd = {{ seconds_until_session_end }};
var idleEnd = {{ seconds_until_idle_end }};
</script>
{{ redirect_to_login_immediately }}
"#;
const AUTO_LOGOUT_TERA1: &str = r#"<script>
var sessionEnd = {{ seconds_until_session_end }};
var idleEnd = {{ seconds_until_idle_end }};
</script>
{{ redirect_to_login_immediately | safe }}
"#;
const TAIL: &str = "</body>\n</html>\n";

/// The app's own values: a title, a user, one flash message, a navigation
/// bar and a list of ten orders.
struct App {
    title: String,
    user: String,
    messages: Vec<String>,
    nav: Vec<String>,
    orders: Vec<String>,
}

fn app() -> App {
    App {
        title: "Orders – Example Shop".to_owned(),
        user: "ada@example.com".to_owned(),
        messages: vec!["Your order #1041 has shipped.".to_owned()],
        nav: ["home", "orders", "invoices", "account", "help"]
            .map(str::to_owned)
            .to_vec(),
        orders: (1032..1042)
            .map(|n| format!("#{n} – 2 items – 48.90 EUR – shipped"))
            .collect(),
    }
}

fn config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3600)
        .message("The session has expired. Please login again to continue.")
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

type Form = for<'a> fn(TemplateContext<'a>) -> TemplateContext<'a>;
/// The inline tag with the framework endpoints (the script text embedded,
/// about 9 KB), and the external tag (`<script src=...>`, for a strict CSP).
const FORMS: [(&str, Form); 2] = [
    ("inline", |c| c.with_endpoints()),
    ("external", |c| c.external()),
];

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<nav>{% for link in nav %}<a href="/{{ link }}">{{ link }}</a> {% endfor %}</nav>
<ul class="messages">{% for message in messages %}<li class="message">{{ message }}</li>{% endfor %}</ul>
<p>Signed in as {{ user }}.</p>
<table>{% for order in orders %}<tr><td>{{ order }}</td></tr>{% endfor %}</table>
<script>
var sessionEnd = {{ seconds_until_session_end() }};
var idleEnd = {{ seconds_until_idle_end() }};
</script>
{{ redirect_to_login_immediately() }}
</body>
</html>
"#
)]
struct AskamaWith<'a> {
    title: &'a str,
    user: &'a str,
    messages: &'a [String],
    nav: &'a [String],
    orders: &'a [String],
    auto_logout: TemplateContext<'a>,
}

impl AutoLogoutTemplate for AskamaWith<'_> {
    fn auto_logout(&self) -> TemplateContext<'_> {
        self.auto_logout
    }
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<nav>{% for link in nav %}<a href="/{{ link }}">{{ link }}</a> {% endfor %}</nav>
<ul class="messages">{% for message in messages %}<li class="message">{{ message }}</li>{% endfor %}</ul>
<p>Signed in as {{ user }}.</p>
<table>{% for order in orders %}<tr><td>{{ order }}</td></tr>{% endfor %}</table>
</body>
</html>
"#
)]
struct AskamaWithout<'a> {
    title: &'a str,
    user: &'a str,
    messages: &'a [String],
    nav: &'a [String],
    orders: &'a [String],
}

fn core(c: &mut Criterion) {
    let config = config();
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut group = c.benchmark_group("core");
    let mut out = String::with_capacity(64 * 1024);
    for (name, form) in FORMS {
        // What every integration must do at least: the context, the two
        // numbers and the tag, written into a buffer.
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                let ctx = form(config.context(black_box(remaining)));
                write!(
                    out,
                    "{} {} ",
                    ctx.seconds_until_idle_end(),
                    ctx.seconds_until_session_end()
                )
                .unwrap();
                ctx.redirect_to_login_immediately()
                    .write_to(&mut out)
                    .unwrap();
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn tera2(c: &mut Criterion) {
    let (config, app) = (config(), app());
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut tera = tera::Tera::new();
    auto_logout::tera::register(&mut tera);
    tera.add_raw_template("with.html", &format!("{HEAD}{AUTO_LOGOUT}{TAIL}"))
        .unwrap();
    tera.add_raw_template("without.html", &format!("{HEAD}{TAIL}"))
        .unwrap();
    let app_context = || {
        let mut ctx = tera::Context::new();
        ctx.insert("title", &app.title);
        ctx.insert("user", &app.user);
        ctx.insert("messages", &app.messages);
        ctx.insert("nav", &app.nav);
        ctx.insert("orders", &app.orders);
        ctx
    };
    let mut group = c.benchmark_group("tera2");
    group.bench_function("without", |b| {
        b.iter(|| black_box(tera.render("without.html", &app_context()).unwrap()))
    });
    for (name, form) in FORMS {
        group.bench_function(format!("with-{name}"), |b| {
            b.iter(|| {
                let mut ctx = app_context();
                let values = form(config.context(black_box(remaining)));
                auto_logout::tera::insert(&mut ctx, &values);
                black_box(tera.render("with.html", &ctx).unwrap())
            })
        });
    }
    group.finish();
}

fn tera1(c: &mut Criterion) {
    let (config, app) = (config(), app());
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut tera = tera1::Tera::default();
    tera.add_raw_template("with.html", &format!("{HEAD}{AUTO_LOGOUT_TERA1}{TAIL}"))
        .unwrap();
    tera.add_raw_template("without.html", &format!("{HEAD}{TAIL}"))
        .unwrap();
    let app_context = || {
        let mut ctx = tera1::Context::new();
        ctx.insert("title", &app.title);
        ctx.insert("user", &app.user);
        ctx.insert("messages", &app.messages);
        ctx.insert("nav", &app.nav);
        ctx.insert("orders", &app.orders);
        ctx
    };
    let mut group = c.benchmark_group("tera1");
    group.bench_function("without", |b| {
        b.iter(|| black_box(tera.render("without.html", &app_context()).unwrap()))
    });
    for (name, form) in FORMS {
        group.bench_function(format!("with-{name}"), |b| {
            b.iter(|| {
                let mut ctx = app_context();
                let values = form(config.context(black_box(remaining)));
                auto_logout::tera1::insert(&mut ctx, &values);
                black_box(tera.render("with.html", &ctx).unwrap())
            })
        });
    }
    group.finish();
}

fn minijinja(c: &mut Criterion) {
    let (config, app) = (config(), app());
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut env = minijinja::Environment::new();
    auto_logout::minijinja::register(&mut env);
    env.add_template_owned("with.html", format!("{HEAD}{AUTO_LOGOUT}{TAIL}"))
        .unwrap();
    env.add_template_owned("without.html", format!("{HEAD}{TAIL}"))
        .unwrap();
    let with = env.get_template("with.html").unwrap();
    let without = env.get_template("without.html").unwrap();
    let mut group = c.benchmark_group("minijinja");
    group.bench_function("without", |b| {
        b.iter(|| {
            black_box(
                without
                    .render(minijinja::context! {
                        title => app.title.clone(),
                        user => app.user.clone(),
                        messages => app.messages.clone(),
                        nav => app.nav.clone(),
                        orders => app.orders.clone(),
                    })
                    .unwrap(),
            )
        })
    });
    for (name, form) in FORMS {
        group.bench_function(format!("with-{name}"), |b| {
            b.iter(|| {
                let values = form(config.context(black_box(remaining)));
                black_box(
                    with.render(minijinja::context! {
                        title => app.title.clone(),
                        user => app.user.clone(),
                        messages => app.messages.clone(),
                        nav => app.nav.clone(),
                        orders => app.orders.clone(),
                        ..auto_logout::minijinja::values(&values),
                    })
                    .unwrap(),
                )
            })
        });
    }
    group.finish();
}

fn askama(c: &mut Criterion) {
    let (config, app) = (config(), app());
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut group = c.benchmark_group("askama");
    group.bench_function("without", |b| {
        b.iter(|| {
            let page = AskamaWithout {
                title: &app.title,
                user: &app.user,
                messages: &app.messages,
                nav: &app.nav,
                orders: &app.orders,
            };
            black_box(page.render().unwrap())
        })
    });
    for (name, form) in FORMS {
        group.bench_function(format!("with-{name}"), |b| {
            b.iter(|| {
                let page = AskamaWith {
                    title: &app.title,
                    user: &app.user,
                    messages: &app.messages,
                    nav: &app.nav,
                    orders: &app.orders,
                    auto_logout: form(config.context(black_box(remaining))),
                };
                black_box(page.render().unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, core, tera2, tera1, minijinja, askama);
criterion_main!(benches);
