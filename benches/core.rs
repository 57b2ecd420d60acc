//! Core costs per request: the decision, and the template context with its script
//! tag in each form. Each render is set against copying the same finished bytes
//! into the same buffer (the least any renderer can do), measured in the same run.
//!
//! `cargo bench --bench core`

use std::fmt::Write;
use std::hint::black_box;

use auto_logout::{Activity, Config, Nonce, Remaining, Stamps, Timestamp};
use criterion::{Criterion, criterion_group, criterion_main};

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

fn render(c: &mut Criterion) {
    let config = config();
    let remaining = Remaining::new(Some(599_123), Some(3_012_456));
    let nonce = Nonce::new("dGhpcyBpcyBhIG5vbmNl").unwrap();
    let mut group = c.benchmark_group("context+tag");
    let mut out = String::with_capacity(64 * 1024);

    type Form = for<'a> fn(
        auto_logout::TemplateContext<'a>,
        Nonce<'static>,
    ) -> auto_logout::TemplateContext<'a>;
    let forms: [(&str, Form); 3] = [
        ("external", |ctx, _| ctx.external()),
        ("inline", |ctx, _| ctx.with_endpoints()),
        ("inline+nonce", |ctx, nonce| {
            ctx.with_endpoints().with_nonce(nonce)
        }),
    ];
    for (name, form) in forms {
        let finished = {
            let ctx = form(config.context(remaining), nonce);
            format!(
                "{} {} {}",
                ctx.seconds_until_idle_end(),
                ctx.seconds_until_session_end(),
                ctx.redirect_to_login_immediately()
            )
        };
        group.bench_function(format!("{name}/render"), |b| {
            b.iter(|| {
                out.clear();
                let ctx = form(config.context(black_box(remaining)), nonce);
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
        group.bench_function(format!("{name}/copy-baseline"), |b| {
            b.iter(|| {
                out.clear();
                out.push_str(black_box(&finished));
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn decide(c: &mut Criterion) {
    let config = config();
    let login = Timestamp::from_unix_millis(1_700_000_000_000);
    let stored = Stamps::new(login, login.saturating_add_millis(10_000))
        .unwrap()
        .encode();
    let now = login.saturating_add_millis(10_500);
    c.bench_function("check_request", |b| {
        b.iter(|| config.check_request(Some(black_box(&stored)), black_box(now), Activity::Counts))
    });
}

criterion_group!(benches, render, decide);
criterion_main!(benches);
