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
//! Besides criterion's usual figures, the `pair-*` benchmarks render the page
//! without and with the values alternately (in alternating order), timing
//! each, so both see the same machine state; the summary printed at the end gives the median added time
//! per render, and that time divided by the core's own render. Askama's
//! figure is its pair rendered into reused buffers (`askama/pair-*`): its
//! `render()` sizes a fresh `String` from the template's literal text, so that
//! pair (`askama-render/pair-*`, measured, not quoted) shows the sizing.

use std::cell::RefCell;
use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

use askama::Template;
use auto_logout::askama::AutoLogoutTemplate;
use auto_logout::{Config, Remaining, TemplateContext};
use criterion::Criterion;

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

/// Askama's `render()` pair, measured but left out of the summary table: its
/// difference is mostly the output buffer's sizing, not the values' work.
const SIZING_ARTEFACT: &str = "askama-render";

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

fn core(c: &mut Criterion, report: &mut Report) {
    let config = config();
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let mut group = c.benchmark_group("core");
    let mut out = String::with_capacity(64 * 1024);
    for (name, form) in FORMS {
        // What every integration must do at least: the context, the two
        // numbers and the tag, written into a buffer.
        let mut render = || {
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
        };
        group.bench_function(name, |b| b.iter(&mut render));
        let samples = timed(&mut group, &format!("{name}/timed"), &mut render);
        report.core.push((name, median(&samples)));
    }
    group.finish();

    // The per-request call of each integration alone, without a render: the
    // core's work plus turning the values into the engine's own values.
    let mut group = c.benchmark_group("glue");
    let mut tera2_ctx = tera::Context::new();
    let mut tera1_ctx = tera1::Context::new();
    for (name, form) in FORMS {
        let values = || form(config.context(black_box(remaining)));
        let mut calls: Vec<Call<'_>> = vec![
            (
                "tera::insert",
                Box::new(|| {
                    auto_logout::tera::insert(&mut tera2_ctx, &values());
                    tera2_ctx.contains_key("title") as usize
                }),
            ),
            (
                "tera1::insert",
                Box::new(|| {
                    auto_logout::tera1::insert(&mut tera1_ctx, &values());
                    tera1_ctx.contains_key("title") as usize
                }),
            ),
            (
                "minijinja::values",
                Box::new(|| auto_logout::minijinja::values(&values()).is_true() as usize),
            ),
            (
                "minijinja::script_tag",
                // `is_true`, not `len`: a string's length counts its characters.
                Box::new(|| auto_logout::minijinja::script_tag(&values()).is_true() as usize),
            ),
        ];
        for (call, f) in &mut calls {
            let samples = timed(&mut group, &format!("{call}/{name}"), f);
            report.glue.push((call, name, median(&samples)));
        }
    }
    group.finish();
}

/// An integration's per-request call, by name.
type Call<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);

/// A way to render the page with the values, in a given tag form.
type With<'a> = (&'static str, Box<dyn FnMut(Form) -> usize + 'a>);

/// Benchmarks one engine: the page without the values, with them in each
/// form (and each way of passing them), and each of those paired with the
/// page without (rendered alternately, so both see the same machine state),
/// which gives the added time.
fn engine(
    c: &mut Criterion,
    report: &mut Report,
    engine: &'static str,
    mut without: impl FnMut() -> usize,
    mut withs: Vec<With<'_>>,
) {
    let mut group = c.benchmark_group(engine);
    group.bench_function("without", |b| b.iter(&mut without));
    for (variant, with) in &mut withs {
        for (name, form) in FORMS {
            let id = format!(
                "with-{name}{}{variant}",
                if variant.is_empty() { "" } else { "-" }
            );
            group.bench_function(id, |b| b.iter(|| with(form)));
        }
    }
    for (variant, with) in &mut withs {
        for (name, form) in FORMS {
            let samples = RefCell::new(Vec::new());
            let id = format!(
                "pair-{name}{}{variant}",
                if variant.is_empty() { "" } else { "-" }
            );
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let (mut t_without, mut t_with) = (Duration::ZERO, Duration::ZERO);
                    let start = Instant::now();
                    for i in 0..iters {
                        // Alternate the order (without, with / with, without)
                        // so neither render always runs first.
                        let t0 = Instant::now();
                        if i % 2 == 0 {
                            black_box(without());
                        } else {
                            black_box(with(form));
                        }
                        let t1 = Instant::now();
                        if i % 2 == 0 {
                            black_box(with(form));
                        } else {
                            black_box(without());
                        }
                        let t2 = Instant::now();
                        let (first, second) = (t1 - t0, t2 - t1);
                        if i % 2 == 0 {
                            t_without += first;
                            t_with += second;
                        } else {
                            t_with += first;
                            t_without += second;
                        }
                    }
                    let elapsed = start.elapsed();
                    let per = |d: Duration| d.as_nanos() as f64 / iters as f64;
                    samples.borrow_mut().push((per(t_without), per(t_with)));
                    elapsed
                })
            });
            let samples = samples.into_inner();
            report.engines.push(Row {
                engine,
                variant,
                form: name,
                without_ns: median(&samples.iter().map(|s| s.0).collect::<Vec<_>>()),
                with_ns: median(&samples.iter().map(|s| s.1).collect::<Vec<_>>()),
                added_ns: median(&samples.iter().map(|s| s.1 - s.0).collect::<Vec<_>>()),
            });
        }
    }
    group.finish();
}

/// Times `f` per call with the same timer reads as the pairs, so the core's
/// figure is on the same footing as the engines' added time.
fn timed(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: &str,
    mut f: impl FnMut() -> usize,
) -> Vec<f64> {
    let samples = RefCell::new(Vec::new());
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let start = Instant::now();
            for _ in 0..iters {
                let t0 = Instant::now();
                black_box(f());
                total += t0.elapsed();
            }
            samples
                .borrow_mut()
                .push(total.as_nanos() as f64 / iters as f64);
            start.elapsed()
        })
    });
    samples.into_inner()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

struct Row {
    engine: &'static str,
    variant: &'static str,
    form: &'static str,
    without_ns: f64,
    with_ns: f64,
    added_ns: f64,
}

#[derive(Default)]
struct Report {
    core: Vec<(&'static str, f64)>,
    glue: Vec<(&'static str, &'static str, f64)>,
    engines: Vec<Row>,
}

impl Report {
    fn print(&self) {
        println!("\nSummary (medians over criterion's samples; pairs rendered alternately):");
        for (form, ns) in &self.core {
            println!("  core context + tag, {form:<8} {ns:>9.0} ns per render");
        }
        for (call, form, ns) in &self.glue {
            println!("  {call:<22} {form:<8} {ns:>6.0} ns per call, no render");
        }
        println!(
            "  {:<16} {:<8} {:>12} {:>12} {:>10} {:>8} {:>14}",
            "engine", "tag", "without ns", "with ns", "added ns", "ratio", "added / core"
        );
        for row in self.engines.iter().filter(|r| r.engine != SIZING_ARTEFACT) {
            let core = self
                .core
                .iter()
                .find(|(form, _)| *form == row.form)
                .map_or(f64::NAN, |c| c.1);
            println!(
                "  {:<16} {:<8} {:>12.0} {:>12.0} {:>10.0} {:>8.3} {:>14.2}",
                if row.variant.is_empty() {
                    row.engine.to_owned()
                } else {
                    format!("{} ({})", row.engine, row.variant)
                },
                row.form,
                row.without_ns,
                row.with_ns,
                row.added_ns,
                row.with_ns / row.without_ns,
                row.added_ns / core
            );
        }
        for row in self.engines.iter().filter(|r| r.engine == SIZING_ARTEFACT) {
            println!(
                "  not quoted: askama `render()` {:<8} without {:.0} ns, with {:.0} ns \
                 (the output String's initial size differs; the `askama` rows above \
                 render into reused buffers)",
                row.form, row.without_ns, row.with_ns
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut report = Report::default();
    let (config, app) = (config(), app());
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let values = |form: Form| form(config.context(black_box(remaining)));

    core(&mut c, &mut report);

    // Tera 2
    let mut tera = tera::Tera::new();
    auto_logout::tera::register(&mut tera);
    tera.add_raw_template("with.html", &format!("{HEAD}{AUTO_LOGOUT}{TAIL}"))
        .unwrap();
    tera.add_raw_template("without.html", &format!("{HEAD}{TAIL}"))
        .unwrap();
    let tera_context = || {
        let mut ctx = tera::Context::new();
        ctx.insert("title", &app.title);
        ctx.insert("user", &app.user);
        ctx.insert("messages", &app.messages);
        ctx.insert("nav", &app.nav);
        ctx.insert("orders", &app.orders);
        ctx
    };
    engine(
        &mut c,
        &mut report,
        "tera2",
        || tera.render("without.html", &tera_context()).unwrap().len(),
        vec![(
            "",
            Box::new(|form| {
                let mut ctx = tera_context();
                auto_logout::tera::insert(&mut ctx, &values(form));
                tera.render("with.html", &ctx).unwrap().len()
            }),
        )],
    );

    // Tera 1
    let mut tera1 = tera1::Tera::default();
    tera1
        .add_raw_template("with.html", &format!("{HEAD}{AUTO_LOGOUT_TERA1}{TAIL}"))
        .unwrap();
    tera1
        .add_raw_template("without.html", &format!("{HEAD}{TAIL}"))
        .unwrap();
    let tera1_context = || {
        let mut ctx = tera1::Context::new();
        ctx.insert("title", &app.title);
        ctx.insert("user", &app.user);
        ctx.insert("messages", &app.messages);
        ctx.insert("nav", &app.nav);
        ctx.insert("orders", &app.orders);
        ctx
    };
    engine(
        &mut c,
        &mut report,
        "tera1",
        || {
            tera1
                .render("without.html", &tera1_context())
                .unwrap()
                .len()
        },
        vec![(
            "",
            Box::new(|form| {
                let mut ctx = tera1_context();
                auto_logout::tera1::insert(&mut ctx, &values(form));
                tera1.render("with.html", &ctx).unwrap().len()
            }),
        )],
    );

    // MiniJinja
    let mut env = minijinja::Environment::new();
    auto_logout::minijinja::register(&mut env);
    env.add_template_owned("with.html", format!("{HEAD}{AUTO_LOGOUT}{TAIL}"))
        .unwrap();
    env.add_template_owned("without.html", format!("{HEAD}{TAIL}"))
        .unwrap();
    let with_template = env.get_template("with.html").unwrap();
    let without_template = env.get_template("without.html").unwrap();
    engine(
        &mut c,
        &mut report,
        "minijinja",
        || {
            without_template
                .render(minijinja::context! {
                    title => app.title.clone(),
                    user => app.user.clone(),
                    messages => app.messages.clone(),
                    nav => app.nav.clone(),
                    orders => app.orders.clone(),
                })
                .unwrap()
                .len()
        },
        vec![
            (
                "merged",
                Box::new(|form| {
                    with_template
                        .render(minijinja::context! {
                            title => app.title.clone(),
                            user => app.user.clone(),
                            messages => app.messages.clone(),
                            nav => app.nav.clone(),
                            orders => app.orders.clone(),
                            ..auto_logout::minijinja::values(&values(form)),
                        })
                        .unwrap()
                        .len()
                }),
            ),
            (
                "keys",
                Box::new(|form| {
                    let values = values(form);
                    with_template
                        .render(minijinja::context! {
                            title => app.title.clone(),
                            user => app.user.clone(),
                            messages => app.messages.clone(),
                            nav => app.nav.clone(),
                            orders => app.orders.clone(),
                            seconds_until_idle_end => values.seconds_until_idle_end(),
                            seconds_until_session_end => values.seconds_until_session_end(),
                            redirect_to_login_immediately => auto_logout::minijinja::script_tag(&values),
                        })
                        .unwrap()
                        .len()
                }),
            ),
        ],
    );

    // Askama's `render()`: not quoted as the values' cost (see below).
    engine(
        &mut c,
        &mut report,
        SIZING_ARTEFACT,
        || {
            AskamaWithout {
                title: &app.title,
                user: &app.user,
                messages: &app.messages,
                nav: &app.nav,
                orders: &app.orders,
            }
            .render()
            .unwrap()
            .len()
        },
        vec![(
            "",
            Box::new(|form| {
                AskamaWith {
                    title: &app.title,
                    user: &app.user,
                    messages: &app.messages,
                    nav: &app.nav,
                    orders: &app.orders,
                    auto_logout: values(form),
                }
                .render()
                .unwrap()
                .len()
            }),
        )],
    );

    // Askama: `render()` sizes its output `String` from the template's
    // literal text, so the page with the values may start with a buffer big
    // enough where the page without them grows its own, and "with" can come
    // out faster than "without". Rendering each into its own reused buffer
    // leaves the work of the values alone: this is the figure quoted.
    let mut without_buffer = String::with_capacity(64 * 1024);
    let mut with_buffer = String::with_capacity(64 * 1024);
    engine(
        &mut c,
        &mut report,
        "askama",
        || {
            without_buffer.clear();
            AskamaWithout {
                title: &app.title,
                user: &app.user,
                messages: &app.messages,
                nav: &app.nav,
                orders: &app.orders,
            }
            .render_into(&mut without_buffer)
            .unwrap();
            without_buffer.len()
        },
        vec![(
            "",
            Box::new(|form| {
                with_buffer.clear();
                AskamaWith {
                    title: &app.title,
                    user: &app.user,
                    messages: &app.messages,
                    nav: &app.nav,
                    orders: &app.orders,
                    auto_logout: values(form),
                }
                .render_into(&mut with_buffer)
                .unwrap();
                with_buffer.len()
            }),
        )],
    );

    c.final_summary();
    report.print();
}
