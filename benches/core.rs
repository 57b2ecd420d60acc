//! Core costs per request: the decision, and the template context with its script
//! tag in each form. Each render is set against copying the same finished bytes
//! into the same buffer (the least any renderer can do), measured in the same run.
//!
//! `cargo bench --bench core`; the decision alone:
//! `cargo bench --bench core -- check_request`

use std::fmt::Write;
use std::hint::black_box;

use auto_logout::{Activity, Config, Nonce, Remaining, RequestOutcome, Stamps, Timestamp};
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

/// `Config::check_request` on a logged-in session, in its two cases: last
/// activity moved by at least `WRITE_RESOLUTION` (6 s here, 1 % of the idle
/// time), so new stamps are due for the store, and a request too soon after
/// the last write, so nothing is. Each case is checked before it is timed.
fn decide(c: &mut Criterion) {
    let config = config();
    let login = Timestamp::from_unix_millis(1_700_000_000_000);
    let last_activity = login.saturating_add_millis(10_000);
    let stored = Stamps::new(login, last_activity).unwrap().encode();
    let cases = [
        // 7 s after the stored last activity: the write is due.
        ("check_request/write-due", 7_000, true),
        // 0.5 s after it: the stored stamps stay as they are.
        ("check_request/no-write", 500, false),
    ];
    for (name, after_last, write_due) in cases {
        let now = last_activity.saturating_add_millis(after_last);
        match config.check_request(Some(&stored), now, Activity::Counts) {
            RequestOutcome::Active { write, .. } => {
                assert_eq!(write.is_some(), write_due, "{name}: {write:?}");
            }
            other => panic!("{name}: not active: {other:?}"),
        }
        c.bench_function(name, |b| {
            b.iter(|| {
                config.check_request(Some(black_box(&stored)), black_box(now), Activity::Counts)
            })
        });
    }
}

criterion_group!(benches, render, decide);
criterion_main!(benches);
