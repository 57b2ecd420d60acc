//! Property tests over random stamps, clocks, configurations and request
//! schedules: the idle-time promise against a reference model, no panic,
//! remaining never negative, expiry monotone in time, stamps never move back.

use std::time::Duration;

use auto_logout::{
    Activity, Config, Decision, ExpiryReason, Remaining, RequestOutcome, Stamps, TemplateContext,
    Timestamp,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Ten years in ms: the longest time a configuration accepts.
const SPAN: i64 = 10 * 365 * 24 * 3600 * 1000;
/// One day in ms.
const DAY: i64 = 24 * 3600 * 1000;
/// 2023-11-14T22:13:20Z: where logins happen in these tests.
const EPOCH: i64 = 1_700_000_000_000;

/// 2,000 cases a property, and the failures proptest keeps in
/// `properties.proptest-regressions` beside this file (by default it would
/// keep them apart from the file in a binary with a `main.rs`).
fn cases() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(2000)
    }
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

/// A value between `lo` and `hi` (both > 0) whose logarithm is uniform:
/// milliseconds are as likely as years.
fn log_scale(lo: i64, hi: i64, u: f64) -> i64 {
    let (lo_f, hi_f) = (lo as f64, hi as f64);
    ((lo_f * (hi_f / lo_f).powf(u)).round() as i64).clamp(lo, hi)
}

fn log_uniform(lo: i64, hi: i64) -> impl Strategy<Value = i64> + Clone {
    (0.0f64..=1.0).prop_map(move |u| log_scale(lo, hi, u))
}

/// A limit in ms: off, a second to ten years, or below a second (down to
/// 1 ms, where `IDLE_TIME` equals the smallest resolution).
fn limit_strategy() -> impl Strategy<Value = Option<i64>> + Clone {
    prop_oneof![
        2 => Just(None),
        6 => log_uniform(1_000, SPAN).prop_map(Some),
        1 => log_uniform(1, 1_000).prop_map(Some),
        1 => Just(Some(1)),
    ]
}

fn config_strategy() -> impl Strategy<Value = Config> {
    (
        limit_strategy(),
        limit_strategy(),
        proptest::option::of(log_uniform(1, 3_600_000)),
        any::<bool>(),
    )
        .prop_map(|(idle, session, resolution, script)| {
            let mut b = Config::builder();
            if let Some(i) = idle {
                b = b.idle_time(Duration::from_millis(i as u64));
            }
            if let Some(s) = session {
                b = b.session_time(Duration::from_millis(s as u64));
            }
            if let Some(r) = resolution {
                // The configuration allows at most 1 % of IDLE_TIME (at least
                // 1 ms); without an idle limit any resolution, even one longer
                // than SESSION_TIME.
                let r = idle.map_or(r, |i| r.min((i / 100).max(1)));
                b = b.write_resolution(Duration::from_millis(r as u64));
            }
            if script && (idle.is_some() || session.is_some()) {
                b = b.redirect_to_login_immediately(true);
            }
            b.build().expect("generated configs are valid")
        })
}

/// The longest configured limit in ms (10 s when none is), for drawing `now`.
fn longest_limit(config: &Config) -> i64 {
    [config.idle_time(), config.session_time()]
        .into_iter()
        .flatten()
        .map(|d| d.as_millis() as i64)
        .max()
        .unwrap_or(10_000)
}

// ---- the idle-time promise, against a reference model -------------------------

/// One request of a schedule, drawn before it is run. Its instant is resolved
/// against the reference model's own state, never the crate's.
#[derive(Clone, Copy, Debug)]
struct Step {
    kind: u8,
    u: f64,
    counts: bool,
}

/// What the runs saw, over every schedule.
#[derive(Debug, Default)]
struct Tally {
    sessions: u64,
    requests: u64,
    /// Logged out while the model says alive.
    early: u64,
    /// The largest `last counting request + IDLE_TIME - logout instant`.
    max_early_ms: i64,
    /// The IDLE_TIME of that largest case.
    max_early_idle_ms: i64,
    /// The largest early amount as a fraction of its IDLE_TIME.
    max_early_fraction: f64,
    /// Still served while the model says expired.
    late: u64,
    /// Logged out when the model says so too.
    on_time: u64,
    /// Early logouts beyond 1 % of IDLE_TIME.
    beyond_bound: u64,
}

/// Runs one session: login, then `steps`, through `Config::check_request`
/// only, feeding the stamps it asks to write back as the store would.
///
/// The reference model is the promise itself: the user is signed in at `now`
/// exactly when `now - last counting request <= IDLE_TIME` (strict expiry, as
/// Django), where the last counting request is the model's own record of the
/// requests sent, not the crate's stamps.
///
/// With `coarse_resolution`, the crate's writes are replaced by activity
/// recorded at that resolution: the old fixed 1 s, to show the model catches it.
fn run_session(idle_ms: i64, steps: &[Step], tally: &mut Tally, coarse_resolution: Option<i64>) {
    let config = Config::builder()
        .idle_time(Duration::from_millis(idle_ms as u64))
        .build()
        .expect("an idle time from 1 ms to 10 years is valid");
    // The bound of the promise, in this test's own arithmetic: 1 % of IDLE_TIME.
    let one_percent = idle_ms as f64 / 100.0;
    let slack = ((idle_ms / 100).max(1)) * 2; // how far the probes reach around the deadline

    tally.sessions += 1;
    let login = EPOCH;
    let mut stored = Stamps::at_login(t(login)).encode();
    let mut written_last = login;
    let mut model_last = login; // the user's last activity-counting request (or login)
    let mut now = login;
    for step in steps {
        now = match step.kind {
            // Soon after the previous request: activity the coalescing may skip.
            0 => now + (step.u * slack as f64) as i64,
            // Around the model's deadline: probes the earliest and latest logout.
            1 => now.max(model_last + idle_ms - 2 * slack + (step.u * 3.0 * slack as f64) as i64),
            // Anything up to one and a half idle times later.
            _ => now + (step.u * 1.5 * idle_ms as f64) as i64,
        };
        tally.requests += 1;
        let model_alive = now - model_last <= idle_ms;
        let activity = if step.counts {
            Activity::Counts
        } else {
            Activity::Passive
        };
        let outcome = config.check_request(Some(&stored), t(now), activity);
        let crate_alive = match outcome {
            RequestOutcome::Active { write, .. } => {
                if let Some(coarse) = coarse_resolution {
                    let mut stamps = Stamps::decode(&stored).unwrap();
                    if step.counts && stamps.record_activity(t(now), coarse) {
                        stored = stamps.encode();
                    }
                } else if let Some(stamps) = write {
                    assert_eq!(stamps.login_at(), t(login), "the login stamp never moves");
                    let last = stamps.last_activity_at().as_unix_millis();
                    assert!(last >= written_last, "last activity moved backwards");
                    assert_eq!(last, now, "a write records this request");
                    assert!(step.counts, "a passive request wrote the store");
                    written_last = last;
                    stored = stamps.encode();
                }
                true
            }
            RequestOutcome::Expired(reason) => {
                assert_eq!(reason, ExpiryReason::Idle, "only an idle limit is set");
                false
            }
            RequestOutcome::Locked { .. } => panic!("locked without LOCK_AFTER"),
            RequestOutcome::Untracked => panic!("a tracked session came back untracked"),
        };
        match (model_alive, crate_alive) {
            (true, true) => {
                if step.counts {
                    model_last = now;
                }
            }
            (true, false) => {
                let early = model_last + idle_ms - now;
                tally.early += 1;
                let fraction = early as f64 / idle_ms as f64;
                if fraction > tally.max_early_fraction {
                    tally.max_early_fraction = fraction;
                }
                if early > tally.max_early_ms {
                    tally.max_early_ms = early;
                    tally.max_early_idle_ms = idle_ms;
                }
                if early as f64 > one_percent {
                    tally.beyond_bound += 1;
                }
                return;
            }
            (false, true) => {
                tally.late += 1;
                return;
            }
            (false, false) => {
                tally.on_time += 1;
                return;
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for the fixed-seed batch.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `sessions` random schedules from a fixed seed, IDLE_TIME log-uniform
/// between the two bounds (ms).
fn batch(seed: u64, sessions: usize, idle_range: (i64, i64), coarse: Option<i64>) -> Tally {
    let mut rng = SplitMix(seed);
    let mut tally = Tally::default();
    for _ in 0..sessions {
        let idle_ms = log_scale(idle_range.0, idle_range.1, rng.unit());
        let len = 1 + (rng.unit() * 60.0) as usize;
        let steps: Vec<Step> = (0..len)
            .map(|_| {
                let r = rng.unit();
                Step {
                    kind: if r < 0.55 {
                        0
                    } else if r < 0.85 {
                        1
                    } else {
                        2
                    },
                    u: rng.unit(),
                    counts: rng.unit() < 0.8,
                }
            })
            .collect();
        run_session(idle_ms, &steps, &mut tally, coarse);
    }
    tally
}

#[test]
fn idle_promise_on_a_fixed_seed_batch_of_random_schedules() {
    let tally = batch(0x5EED_1D1E, 20_000, (1_000, DAY), None);
    let max_percent = tally.max_early_fraction * 100.0;
    let at_max_ms_percent = if tally.max_early_idle_ms > 0 {
        tally.max_early_ms as f64 * 100.0 / tally.max_early_idle_ms as f64
    } else {
        0.0
    };
    println!(
        "{} sessions, {} requests, {} logouts on time",
        tally.sessions, tally.requests, tally.on_time
    );
    println!(
        "early: {} (max {} ms = {:.3} % of IDLE_TIME {} ms; largest share {:.3} % of IDLE_TIME), \
         late: {}",
        tally.early,
        tally.max_early_ms,
        at_max_ms_percent,
        tally.max_early_idle_ms,
        max_percent,
        tally.late
    );
    // The batch must reach the cases it is about, or it proves nothing.
    assert!(tally.on_time > 1_000, "{tally:?}");
    assert!(
        tally.early > 100,
        "the schedules hardly probed coalesced activity: {tally:?}"
    );
    assert_eq!(tally.beyond_bound, 0, "early by more than 1 %: {tally:?}");
    assert!(tally.max_early_fraction <= 0.01, "{tally:?}");
    assert_eq!(tally.late, 0, "logged out later than IDLE_TIME: {tally:?}");
}

#[test]
fn the_model_catches_the_old_fixed_one_second_resolution() {
    // The same batch with activity coalesced at 1 s, as before the bound, at
    // IDLE_TIME 1 s to 60 s: the model must see logouts beyond 1 %, or the
    // promise test above could not fail.
    let tally = batch(0x5EED_1D1E, 2_000, (1_000, 60_000), Some(1_000));
    println!(
        "with a fixed 1 s resolution: early: {} ({} beyond 1 %, max {} ms = {:.1} % of IDLE_TIME {} ms), late: {}",
        tally.early,
        tally.beyond_bound,
        tally.max_early_ms,
        tally.max_early_ms as f64 * 100.0 / tally.max_early_idle_ms.max(1) as f64,
        tally.max_early_idle_ms,
        tally.late
    );
    assert!(tally.beyond_bound > 10, "{tally:?}");
    assert_eq!(tally.late, 0, "{tally:?}");
}

fn step_strategy() -> impl Strategy<Value = Step> {
    (
        prop_oneof![5 => Just(0u8), 3 => Just(1u8), 2 => Just(2u8)],
        0.0f64..1.0,
        proptest::bool::weighted(0.8),
    )
        .prop_map(|(kind, u, counts)| Step { kind, u, counts })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn idle_promise_holds_on_random_schedules(
        idle_ms in log_uniform(1_000, DAY),
        steps in proptest::collection::vec(step_strategy(), 1..60),
    ) {
        let mut tally = Tally::default();
        run_session(idle_ms, &steps, &mut tally, None);
        prop_assert_eq!(tally.late, 0, "{:?}", tally);
        prop_assert_eq!(tally.beyond_bound, 0, "{:?}", tally);
    }

    #[test]
    fn requests_at_most_99_percent_of_idle_time_apart_never_log_out(
        idle_ms in log_uniform(1_000, DAY),
        gaps in proptest::collection::vec((0.0f64..=1.0, proptest::bool::weighted(0.2), any::<bool>()), 1..80),
    ) {
        let config = Config::builder().idle_time(Duration::from_millis(idle_ms as u64)).build().unwrap();
        // The longest gap in whole ms that is at most 0.99 x IDLE_TIME.
        let longest = idle_ms * 99 / 100;
        let mut stored = Stamps::at_login(t(EPOCH)).encode();
        let mut last_counting = EPOCH;
        for (u, edge, passive_before) in gaps {
            let gap = if edge { longest } else { (u * longest as f64) as i64 };
            if passive_before {
                // A passive request in between changes nothing.
                let between = last_counting + gap / 2;
                let outcome = config.check_request(Some(&stored), t(between), Activity::Passive);
                prop_assert!(matches!(outcome, RequestOutcome::Active { write: None, .. }), "{:?}", outcome);
            }
            let now = last_counting + gap;
            match config.check_request(Some(&stored), t(now), Activity::Counts) {
                RequestOutcome::Active { write, .. } => {
                    if let Some(s) = write {
                        stored = s.encode();
                    }
                }
                other => prop_assert!(false, "logged out {} ms after the last request at IDLE_TIME {} ms: {:?}", gap, idle_ms, other),
            }
            last_counting = now;
        }
    }

    #[test]
    fn decode_never_panics(s in ".{0,80}") {
        let _ = Stamps::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_near_misses(a in any::<i64>(), b in any::<i64>(), v in 0u8..3, sep in "[.:,]") {
        let _ = Stamps::decode(&format!("{v}{sep}{a}{sep}{b}"));
    }

    #[test]
    fn what_decodes_is_exactly_what_encode_writes(
        s in prop_oneof![
            ".{0,48}",
            "[0-2]\\.[-+ 0]{0,2}[0-9]{0,20}\\.[-+ 0]{0,2}[0-9]{0,20}",
            "1\\.-?0*[0-9]{1,19}\\.-?0*[0-9]{1,19}",
            "1\\.0?[1-9][0-9]{0,5}\\.0?[1-9][0-9]{5,7}",
        ],
    ) {
        if let Ok(stamps) = Stamps::decode(&s) {
            prop_assert_eq!(stamps.encode(), s);
        }
    }

    #[test]
    fn encode_decode_round_trips(login in 0i64..i64::MAX / 2, extra in 0i64..SPAN) {
        let s = Stamps::new(t(login), t(login + extra)).unwrap();
        prop_assert_eq!(Stamps::decode(&s.encode()), Ok(s));
    }

    #[test]
    fn remaining_is_never_negative_and_never_above_the_limit(
        config in config_strategy(),
        login_offset in -SPAN..SPAN,
        now_share in -1.0f64..=2.0,
        last_share in 0.0f64..=1.0,
        future in proptest::option::of(0i64..20_000),
        stored in proptest::option::of(".{0,40}"),
    ) {
        // `now` from 10 s before login to twice the longest limit after it, so
        // active sessions (where the assertions bite) are common.
        let login = EPOCH + login_offset;
        let longest = longest_limit(&config);
        let offset = if now_share < 0.0 { (now_share * 10_000.0) as i64 } else { (now_share * longest as f64) as i64 };
        let now = login + offset;
        // Last activity between login and now, or slightly in the future (skew).
        let last = match future {
            Some(ahead) => now.max(login) + ahead,
            None => login + ((now - login).max(0) as f64 * last_share) as i64,
        };
        let encoded = Stamps::new(t(login), t(last)).map(|s| s.encode());
        for stored in [encoded.as_deref(), stored.as_deref()] {
            for activity in [Activity::Counts, Activity::Passive] {
                if let RequestOutcome::Active { remaining, .. } =
                    config.check_request(stored, t(now), activity)
                {
                    check_remaining(&config, remaining)?;
                    let ctx = config.context(remaining);
                    let _ = ctx.redirect_to_login_immediately().to_string();
                }
            }
        }
    }

    #[test]
    fn a_clock_that_steps_backwards_through_check_request(
        config in config_strategy(),
        steps in proptest::collection::vec((-1.0f64..=1.0, any::<bool>()), 1..60),
    ) {
        // Clocks of several instances, or one stepped back by NTP: `now` goes
        // back and forth by up to the longest limit; the written stamps are fed
        // back as the store would keep them.
        let longest = longest_limit(&config);
        let login = EPOCH;
        let mut stored = Stamps::at_login(t(login)).encode();
        let mut stamps = Stamps::at_login(t(login));
        let mut now = login;
        for (share, counts) in steps {
            now += (share * longest as f64 / 4.0) as i64;
            let activity = if counts { Activity::Counts } else { Activity::Passive };
            match config.check_request(Some(&stored), t(now), activity) {
                RequestOutcome::Active { remaining, write } => {
                    check_remaining(&config, remaining)?;
                    if let Some(written) = write {
                        prop_assert!(counts, "a passive request wrote the store");
                        prop_assert_eq!(written.login_at(), stamps.login_at());
                        prop_assert!(written.last_activity_at() > stamps.last_activity_at(), "moved backwards");
                        prop_assert!(
                            written.last_activity_at().millis_since(stamps.last_activity_at())
                                >= config.write_resolution().as_millis() as i64
                        );
                        stamps = written;
                        stored = written.encode();
                    }
                }
                // A logged-out session is flushed by the integration: the run ends.
                RequestOutcome::Expired(_) => break,
                RequestOutcome::Locked { .. } => prop_assert!(false, "locked without LOCK_AFTER"),
                RequestOutcome::Untracked => {
                    prop_assert!(!config.has_limit());
                    break;
                }
            }
        }
    }

    #[test]
    fn expiry_is_monotone_in_time(
        config in config_strategy(),
        login in 0i64..SPAN,
        gap_share in 0.0f64..=1.0,
        first_share in 0.0f64..=2.0,
        later_share in 0.0f64..=2.0,
    ) {
        let longest = longest_limit(&config);
        let gap = (gap_share * longest as f64) as i64;
        // Stamps not dated in the future of the first instant.
        let stamps = Stamps::new(t(login), t(login + gap)).unwrap();
        let first_now = login + gap + (first_share * longest as f64) as i64;
        let second_now = first_now + (later_share * longest as f64) as i64;
        if let Decision::Expired(reason) = config.decide(&stamps, t(first_now)) {
            prop_assert_eq!(config.decide(&stamps, t(second_now)), Decision::Expired(reason));
        }
        if let (Decision::Active(a), Decision::Active(b)) =
            (config.decide(&stamps, t(first_now)), config.decide(&stamps, t(second_now)))
        {
            prop_assert!(b.shortest_millis() <= a.shortest_millis());
        }
    }

    #[test]
    fn stamps_never_move_backwards(
        login in 0i64..SPAN,
        nows in proptest::collection::vec(0i64..2 * SPAN, 1..50),
        resolution in 1i64..10_000,
    ) {
        let mut stamps = Stamps::at_login(t(login));
        for now in nows {
            let before = stamps;
            let wrote = stamps.record_activity(t(now), resolution);
            prop_assert!(stamps.last_activity_at() >= before.last_activity_at());
            prop_assert_eq!(stamps.login_at(), before.login_at());
            if wrote {
                prop_assert!(stamps.last_activity_at().millis_since(before.last_activity_at()) >= resolution);
            } else {
                prop_assert_eq!(stamps, before);
            }
        }
    }

    #[test]
    fn writes_are_at_most_one_per_resolution(
        config in config_strategy(),
        steps in proptest::collection::vec(0.0f64..=0.02, 1..200),
    ) {
        // A burst of requests, steps of up to 2 % of the longest limit: count
        // the writes the decision asks for.
        let longest = longest_limit(&config);
        let login = EPOCH;
        let mut stored = Stamps::at_login(t(login)).encode();
        let mut now = login;
        let mut writes = 0i64;
        for step in steps {
            now += (step * longest as f64) as i64;
            match config.check_request(Some(&stored), t(now), Activity::Counts) {
                RequestOutcome::Active { write: Some(s), .. } => {
                    writes += 1;
                    stored = s.encode();
                }
                RequestOutcome::Active { write: None, .. } => {}
                _ => break,
            }
        }
        let resolution = config.write_resolution().as_millis() as i64;
        prop_assert!(writes <= (now - login) / resolution + 1);
    }

    #[test]
    fn template_numbers_are_the_seconds_left_rounded_up(idle in any::<Option<i64>>(), session in any::<Option<i64>>()) {
        // The numbers are `u64`s, so their text is digits whatever they are;
        // what can go wrong is their value. The model: whole seconds left,
        // rounded up (a live session never shows 0 before its last second),
        // 0 for time that has run out and for a limit that is not there.
        fn seconds(millis: Option<i64>) -> u64 {
            match millis {
                Some(ms) if ms > 0 => (ms as u128).div_ceil(1000) as u64,
                _ => 0,
            }
        }
        let config = Config::builder().idle_time(60).session_time(60).build().unwrap();
        let ctx = config.context(Remaining::new(idle, session));
        prop_assert_eq!(ctx.seconds_until_idle_end(), seconds(idle));
        prop_assert_eq!(ctx.seconds_until_session_end(), seconds(session));
        let anonymous = TemplateContext::anonymous();
        prop_assert_eq!((anonymous.seconds_until_idle_end(), anonymous.seconds_until_session_end()), (0, 0));
        // And what a template writes is those numbers, plain.
        let text = format!("{} {}", ctx.seconds_until_idle_end(), ctx.seconds_until_session_end());
        prop_assert_eq!(text, format!("{} {}", seconds(idle), seconds(session)));
    }

    #[test]
    fn config_decoder_never_panics(json in "\\{(\"[A-Za-z_]{1,30}\": ?(-?[0-9]{1,20}(\\.[0-9])?|true|null|\"[^\"\\\\]{0,20}\"|\\[\\]), ?){0,4}\\}") {
        let _ = Config::from_json(&json.replace(", }", "}").replace(",}", "}"));
    }
}

fn check_remaining(config: &Config, r: Remaining) -> Result<(), TestCaseError> {
    for (remaining, limit) in [
        (r.idle_millis(), config.idle_time()),
        (r.session_millis(), config.session_time()),
    ] {
        prop_assert_eq!(remaining.is_some(), limit.is_some());
        if let (Some(rem), Some(limit)) = (remaining, limit) {
            prop_assert!(rem >= 0);
            prop_assert!(rem <= limit.as_millis() as i64);
        }
    }
    Ok(())
}

// ---- per-session limits, against their own reference model ----------------------

/// How long after the login a request comes: a multiple of the shorter limit
/// in force, or that limit give or take a few milliseconds.
#[derive(Clone, Copy, Debug)]
enum Elapsed {
    Times(f64),
    AtTheLimit(i64),
}

/// A configuration with both limits and maximums above them, and one
/// session's own limits within the maximums (each may be left to the
/// configuration).
#[derive(Clone, Debug)]
struct LimitedSession {
    idle_ms: i64,
    session_ms: i64,
    max_idle_ms: i64,
    max_session_ms: i64,
    resolution_ms: Option<i64>,
    own_idle_ms: Option<i64>,
    own_session_ms: Option<i64>,
}

fn limited_session_strategy() -> impl Strategy<Value = LimitedSession> {
    (
        log_uniform(1_000, DAY),
        log_uniform(1_000, DAY),
        1.0f64..20.0,
        1.0f64..20.0,
        proptest::option::of(0.0f64..=1.0),
        proptest::option::of(0.0f64..=1.0),
        proptest::option::of(0.0f64..=1.0),
    )
        .prop_map(
            |(
                idle_ms,
                session_ms,
                idle_factor,
                session_factor,
                resolution,
                own_idle,
                own_session,
            )| {
                let max_idle_ms = (idle_ms as f64 * idle_factor) as i64;
                let max_session_ms = (session_ms as f64 * session_factor) as i64;
                LimitedSession {
                    idle_ms,
                    session_ms,
                    max_idle_ms,
                    max_session_ms,
                    // A given resolution may be at most 1 % of IDLE_TIME.
                    resolution_ms: resolution
                        .map(|u| (((idle_ms / 100).max(1) as f64 * u) as i64).max(1)),
                    // Anywhere from a second to the maximum, shorter or longer
                    // than the configured limit.
                    own_idle_ms: own_idle.map(|u| log_scale(1_000, max_idle_ms, u)),
                    own_session_ms: own_session.map(|u| log_scale(1_000, max_session_ms, u)),
                }
            },
        )
}

/// Runs one session signed in with its own limits through
/// `Config::login_stamps` and `Config::check_request`, feeding the writes
/// back as a store would. The model: the user is signed in at `now` exactly
/// when `now - last counting request <= idle` and `now - login <= session`,
/// `idle` and `session` being the session's own limits where it has them and
/// the configured ones elsewhere. Returns (early beyond 1 % of the session's
/// idle limit or early at all for the absolute limit, late, logouts on time).
fn run_limited_session(s: &LimitedSession, steps: &[Step]) -> (u64, u64, u64) {
    let mut builder = Config::builder()
        .idle_time(Duration::from_millis(s.idle_ms as u64))
        .session_time(Duration::from_millis(s.session_ms as u64))
        .max_idle_time(Duration::from_millis(s.max_idle_ms as u64))
        .max_session_time(Duration::from_millis(s.max_session_ms as u64));
    if let Some(r) = s.resolution_ms {
        builder = builder.write_resolution(Duration::from_millis(r as u64));
    }
    let config = builder.build().expect("valid by construction");
    let mut limits = auto_logout::SessionLimits::new();
    if let Some(idle) = s.own_idle_ms {
        limits = limits.idle_time(Duration::from_millis(idle as u64));
    }
    if let Some(session) = s.own_session_ms {
        limits = limits.session_time(Duration::from_millis(session as u64));
    }
    // The model's limits, from the drawn values alone.
    let idle = s.own_idle_ms.unwrap_or(s.idle_ms);
    let session = s.own_session_ms.unwrap_or(s.session_ms);
    let slack = (idle / 100).max(1) * 2;

    let login = EPOCH;
    let stamps = config
        .login_stamps(t(login), &limits)
        .expect("limits within the maximums are allowed");
    let mut stored = stamps.encode();
    let mut model_last = login;
    let mut now = login;
    for step in steps {
        let deadline = (model_last + idle).min(login + session);
        now = match step.kind {
            0 => now + (step.u * slack as f64) as i64,
            1 => now.max(deadline - 2 * slack + (step.u * 3.0 * slack as f64) as i64),
            _ => now + (step.u * 1.5 * idle.min(session) as f64) as i64,
        };
        let model_idle_ok = now - model_last <= idle;
        let model_session_ok = now - login <= session;
        let activity = if step.counts {
            Activity::Counts
        } else {
            Activity::Passive
        };
        match config.check_request(Some(&stored), t(now), activity) {
            RequestOutcome::Active { remaining, write } => {
                if !(model_idle_ok && model_session_ok) {
                    return (0, 1, 0);
                }
                // What the page and the script are told: the session's own limits.
                assert_eq!(remaining.idle_limit_millis(&config), Some(idle));
                assert_eq!(remaining.session_limit_millis(&config), Some(session));
                assert!(remaining.idle_millis().unwrap() <= idle);
                assert_eq!(remaining.session_millis(), Some(session - (now - login)));
                if let Some(w) = write {
                    assert_eq!(w.idle_limit_millis(), s.own_idle_ms, "limits kept");
                    assert_eq!(w.session_limit_millis(), s.own_session_ms, "limits kept");
                    stored = w.encode();
                }
                if step.counts {
                    model_last = now;
                }
            }
            RequestOutcome::Expired(reason) => {
                return match (model_idle_ok, model_session_ok, reason) {
                    (_, false, _) | (false, _, _) => (0, 0, 1),
                    // Early for inactivity: allowed within 1 % of the
                    // session's own idle limit.
                    (true, true, ExpiryReason::Idle)
                        if (model_last + idle - now) as f64 <= idle as f64 / 100.0 =>
                    {
                        (0, 0, 1)
                    }
                    _ => (1, 0, 0),
                };
            }
            RequestOutcome::Locked { .. } => panic!("locked without LOCK_AFTER"),
            RequestOutcome::Untracked => panic!("a tracked session came back untracked"),
        }
    }
    (0, 0, 0)
}

#[test]
fn per_session_limits_on_a_fixed_seed_batch_of_random_schedules() {
    let mut rng = SplitMix(0x11_3175);
    let (mut early, mut late, mut on_time, mut own) = (0, 0, 0, 0);
    for _ in 0..5_000 {
        let idle_ms = log_scale(1_000, DAY, rng.unit());
        let session_ms = log_scale(1_000, DAY, rng.unit());
        let max_idle_ms = (idle_ms as f64 * (1.0 + 19.0 * rng.unit())) as i64;
        let max_session_ms = (session_ms as f64 * (1.0 + 19.0 * rng.unit())) as i64;
        let session = LimitedSession {
            idle_ms,
            session_ms,
            max_idle_ms,
            max_session_ms,
            resolution_ms: None,
            own_idle_ms: (rng.unit() < 0.7).then(|| log_scale(1_000, max_idle_ms, rng.unit())),
            own_session_ms: (rng.unit() < 0.7)
                .then(|| log_scale(1_000, max_session_ms, rng.unit())),
        };
        if session.own_idle_ms.is_some() || session.own_session_ms.is_some() {
            own += 1;
        }
        let len = 1 + (rng.unit() * 60.0) as usize;
        let steps: Vec<Step> = (0..len)
            .map(|_| Step {
                kind: (rng.unit() * 3.0) as u8,
                u: rng.unit(),
                counts: rng.unit() < 0.8,
            })
            .collect();
        let (e, l, o) = run_limited_session(&session, &steps);
        early += e;
        late += l;
        on_time += o;
    }
    println!(
        "per-session limits: {own} sessions with their own, {on_time} logouts on time, early {early}, late {late}"
    );
    assert!(own > 3_000 && on_time > 1_000, "{own} {on_time}");
    assert_eq!(early, 0, "logged out early");
    assert_eq!(late, 0, "logged out late");
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn per_session_limits_are_never_early_beyond_one_percent_nor_late(
        session in limited_session_strategy(),
        steps in proptest::collection::vec(step_strategy(), 1..60),
    ) {
        let (early, late, _) = run_limited_session(&session, &steps);
        prop_assert_eq!(early, 0, "early: {:?}", session);
        prop_assert_eq!(late, 0, "late: {:?}", session);
    }

    /// A stored limit is honoured up to the configured maximum and no
    /// further: drawn around the maximum (a tenth of it to ten times it,
    /// log-uniform), the session is active exactly while the time since the
    /// login is within the limit in force, `min(own, maximum)` for each limit
    /// (the configured limit where the session has none of its own; the
    /// maximum is `MAX_IDLE_TIME`/`MAX_SESSION_TIME`, or the configured limit
    /// where none is set). The time drawn runs to three times the shorter
    /// limit in force, and often lands within 2 ms of it.
    #[test]
    fn stored_limits_never_grant_more_than_the_maximum(
        idle_ms in log_uniform(1_000, DAY),
        session_ms in log_uniform(1_000, DAY),
        idle_factor in proptest::option::of(1i64..10),
        session_factor in proptest::option::of(1i64..10),
        own_idle in proptest::option::of(-1.0f64..=1.0),
        own_session in proptest::option::of(-1.0f64..=1.0),
        elapsed in prop_oneof![
            (0.0f64..=3.0).prop_map(Elapsed::Times),
            (-2i64..=2).prop_map(Elapsed::AtTheLimit),
        ],
    ) {
        let mut builder = Config::builder()
            .idle_time(Duration::from_millis(idle_ms as u64))
            .session_time(Duration::from_millis(session_ms as u64));
        if let Some(factor) = idle_factor {
            builder = builder.max_idle_time(Duration::from_millis((idle_ms * factor) as u64));
        }
        if let Some(factor) = session_factor {
            builder = builder.max_session_time(Duration::from_millis((session_ms * factor) as u64));
        }
        let config = builder.build().unwrap();
        let max_idle = idle_ms * idle_factor.unwrap_or(1);
        let max_session = session_ms * session_factor.unwrap_or(1);
        // Around the maximum: 10^u times it, u in [-1, 1].
        let around = |max: i64, u: f64| ((max as f64 * 10f64.powf(u)) as i64).max(1);
        let own_idle = own_idle.map(|u| around(max_idle, u));
        let own_session = own_session.map(|u| around(max_session, u));
        let idle_limit = own_idle.unwrap_or(idle_ms).min(max_idle);
        let session_limit = own_session.unwrap_or(session_ms).min(max_session);
        let in_force = idle_limit.min(session_limit);
        let elapsed = match elapsed {
            Elapsed::Times(times) => (in_force as f64 * times) as i64,
            Elapsed::AtTheLimit(delta) => (in_force + delta).max(0),
        };

        let stamps = Stamps::at_login(t(EPOCH)).with_limits(own_idle, own_session).unwrap();
        let stored = stamps.encode();
        prop_assert_eq!(Stamps::decode(&stored), Ok(stamps));
        let now = t(EPOCH + elapsed);
        let within = elapsed <= idle_limit && elapsed <= session_limit;
        match config.check_request(Some(&stored), now, Activity::Passive) {
            RequestOutcome::Active { remaining, .. } => {
                prop_assert!(within, "active {} ms after the login, limits {} ms and {} ms", elapsed, idle_limit, session_limit);
                prop_assert!(remaining.idle_millis().unwrap() <= max_idle);
                prop_assert!(remaining.session_millis().unwrap() <= max_session);
                prop_assert_eq!(remaining.idle_limit_millis(&config), Some(idle_limit));
                prop_assert_eq!(remaining.session_limit_millis(&config), Some(session_limit));
            }
            RequestOutcome::Expired(_) => {
                prop_assert!(!within, "expired {} ms after the login, limits {} ms and {} ms", elapsed, idle_limit, session_limit);
            }
            RequestOutcome::Locked { .. } => prop_assert!(false, "locked without LOCK_AFTER"),
            RequestOutcome::Untracked => prop_assert!(false, "untracked"),
        }
    }

    #[test]
    fn version_2_stamps_round_trip_and_decode_only_their_own_spelling(
        login in 0i64..i64::MAX / 2,
        extra in 0i64..SPAN,
        own_idle in proptest::option::of(1i64..=i64::MAX),
        own_session in proptest::option::of(1i64..=i64::MAX),
        text in "2\\.[0-9]{1,14}\\.[0-9]{1,14}\\.0?[0-9]{0,20}\\.0?[0-9]{0,20}",
    ) {
        let s = Stamps::new(t(login), t(login + extra)).unwrap().with_limits(own_idle, own_session).unwrap();
        prop_assert_eq!(Stamps::decode(&s.encode()), Ok(s));
        if let Ok(decoded) = Stamps::decode(&text) {
            prop_assert_eq!(decoded.encode(), text);
        }
    }
}

// ---- keepalives that carry the input's age, against the reference model ----------

/// How a keepalive's input age is drawn, from the model's own state.
#[derive(Clone, Copy, Debug)]
enum AgeKind {
    /// 0: the input was at the request.
    Zero,
    /// Between the model's last activity and the request.
    SinceLast,
    /// Around the model's last activity (a few resolutions either side).
    NearLast,
    /// Before the model's last activity: the clamp must keep it from moving back.
    BeforeLast,
    /// At or beyond the session's idle limit.
    BeyondIdle,
    /// `u32::MAX`.
    Max,
    /// Any `u32` at all.
    Any,
}

/// What one request of a schedule with keepalives is.
#[derive(Clone, Copy, Debug)]
enum Act {
    Passive,
    Counts,
    /// A keepalive for input some time ago (drawn by the kind, with the `f64`).
    Input(AgeKind, f64),
}

/// One request of a schedule with keepalives; its instant is resolved as for
/// [`Step`], against the model's own state.
#[derive(Clone, Copy, Debug)]
struct AgedStep {
    kind: u8,
    u: f64,
    act: Act,
}

/// What the runs with keepalives saw.
#[derive(Debug, Default)]
struct AgeTally {
    idle: Tally,
    /// Keepalives with an input age.
    keepalives: u64,
    /// Of those: age 0, at or beyond the idle limit, or `u32::MAX`.
    hostile: u64,
    /// Of those: an input instant before the model's last activity.
    before_last: u64,
    /// Of those: the crate wrote the input's instant.
    age_writes: u64,
    /// Logged out early by the absolute limit (never allowed).
    session_early: u64,
    /// Active with more idle time left than the model gives.
    above_model: u64,
    /// Active with less idle time left than the model gives, by more than 1 %.
    below_model: u64,
}

/// A broken crate, simulated on the stored stamps, to show the model sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mutant {
    /// The input's instant is written even before the stored last activity.
    NoClampBack,
    /// The input's age is ignored: the keepalive writes as a request now.
    AgeIgnored,
}

/// Runs one session with its own limits (or the configured ones), through
/// `Config::login_stamps` and `Config::check_request` only, with requests
/// that may be keepalives carrying an input age (`Activity::Earlier`).
///
/// The model: the truth is the last instant the user was active, the latest
/// of the last counting request's instant and each keepalive's `now - age`,
/// never moved back (an instant before the truth leaves it where it is). The
/// user is signed in at `now` exactly when `now - truth <= idle` and
/// `now - login <= session`, `idle` and `session` being the session's limits
/// from the drawn values alone. The bound: an idle logout at most 1 % of
/// `idle` early, never late; the absolute limit never early.
fn run_aged_session(
    s: &LimitedSession,
    steps: &[AgedStep],
    tally: &mut AgeTally,
    mutant: Option<Mutant>,
) {
    let mut builder = Config::builder()
        .idle_time(Duration::from_millis(s.idle_ms as u64))
        .session_time(Duration::from_millis(s.session_ms as u64))
        .max_idle_time(Duration::from_millis(s.max_idle_ms as u64))
        .max_session_time(Duration::from_millis(s.max_session_ms as u64));
    if let Some(r) = s.resolution_ms {
        builder = builder.write_resolution(Duration::from_millis(r as u64));
    }
    let config = builder.build().expect("valid by construction");
    let mut limits = auto_logout::SessionLimits::new();
    if let Some(idle) = s.own_idle_ms {
        limits = limits.idle_time(Duration::from_millis(idle as u64));
    }
    if let Some(session) = s.own_session_ms {
        limits = limits.session_time(Duration::from_millis(session as u64));
    }
    let idle = s.own_idle_ms.unwrap_or(s.idle_ms);
    let session = s.own_session_ms.unwrap_or(s.session_ms);
    let one_percent = idle as f64 / 100.0;
    let slack = (idle / 100).max(1) * 2;

    tally.idle.sessions += 1;
    let login = EPOCH;
    let mut stored = config
        .login_stamps(t(login), &limits)
        .expect("limits within the maximums are allowed")
        .encode();
    let mut written_last = login;
    let mut truth = login;
    let mut now = login;
    for step in steps {
        let deadline = (truth + idle).min(login + session);
        now = match step.kind {
            0 => now + (step.u * slack as f64) as i64,
            1 => now.max(deadline - 2 * slack + (step.u * 3.0 * slack as f64) as i64),
            _ => now + (step.u * 1.5 * idle.min(session) as f64) as i64,
        };
        tally.idle.requests += 1;
        let since = now - truth;
        let as_age = |millis: i64| millis.clamp(0, i64::from(u32::MAX)) as u32;
        let age = match step.act {
            Act::Input(kind, v) => Some(match kind {
                AgeKind::Zero => 0,
                AgeKind::SinceLast => as_age((v * since as f64) as i64),
                AgeKind::NearLast => as_age(since + 2 * slack - (v * 4.0 * slack as f64) as i64),
                AgeKind::BeforeLast => as_age(since + 1 + (v * idle as f64) as i64),
                AgeKind::BeyondIdle => as_age(idle + (v * 2.0 * idle as f64) as i64),
                AgeKind::Max => u32::MAX,
                AgeKind::Any => (v * f64::from(u32::MAX)) as u32,
            }),
            _ => None,
        };
        let activity = match (step.act, age) {
            (Act::Passive, _) => Activity::Passive,
            (_, Some(millis_ago)) => Activity::Earlier { millis_ago },
            _ => Activity::Counts,
        };
        // The instant this request says the user was active at, if any.
        let input_at = match step.act {
            Act::Passive => None,
            _ => Some(now - i64::from(age.unwrap_or(0))),
        };
        if let Some(age) = age {
            tally.keepalives += 1;
            if age == 0 || i64::from(age) >= idle || age == u32::MAX {
                tally.hostile += 1;
            }
            if now - i64::from(age) < truth {
                tally.before_last += 1;
            }
        }
        let model_alive = now - truth <= idle && now - login <= session;
        // The same request without an age, for comparison.
        let plain = config.check_request(Some(&stored), t(now), Activity::Counts);
        let outcome = config.check_request(Some(&stored), t(now), activity);
        match outcome {
            RequestOutcome::Active { remaining, write } => {
                if !model_alive {
                    tally.idle.late += 1;
                    return;
                }
                let new_truth = input_at.map_or(truth, |at| at.max(truth));
                let RequestOutcome::Active {
                    remaining: plain_remaining,
                    write: plain_write,
                } = plain
                else {
                    panic!("active with {activity:?}, {plain:?} without an age");
                };
                if let Some(age) = age {
                    // An age never gives more than a plain request now.
                    assert!(
                        remaining.idle_millis() <= plain_remaining.idle_millis(),
                        "{remaining:?} with age {age} > {plain_remaining:?} without"
                    );
                    assert!(
                        write.is_none() || plain_write.is_some(),
                        "wrote for the input, not for a request now"
                    );
                    if i64::from(age) >= idle {
                        assert_eq!(write, None, "age {age} at or beyond IDLE_TIME {idle}");
                    }
                }
                // Never more idle time than the model gives, at most 1 % less.
                let left = remaining.idle_millis().expect("an idle limit is set");
                let model_left = new_truth + idle - now;
                if left > model_left {
                    tally.above_model += 1;
                }
                if (model_left - left) as f64 > one_percent {
                    tally.below_model += 1;
                }
                assert_eq!(remaining.idle_limit_millis(&config), Some(idle));
                let write = match (mutant, step.act) {
                    (Some(Mutant::NoClampBack), Act::Input(..)) => {
                        let old = Stamps::decode(&stored).expect("stored by this test");
                        let at = input_at.expect("a keepalive").max(login);
                        Stamps::new(t(login), t(at)).and_then(|s| {
                            s.with_limits(old.idle_limit_millis(), old.session_limit_millis())
                        })
                    }
                    (Some(Mutant::AgeIgnored), Act::Input(..)) => plain_write,
                    _ => {
                        if let Some(w) = write {
                            let last = w.last_activity_at().as_unix_millis();
                            assert_eq!(w.login_at(), t(login), "the login stamp never moves");
                            assert_eq!(w.idle_limit_millis(), s.own_idle_ms, "limits kept");
                            assert_eq!(w.session_limit_millis(), s.own_session_ms);
                            assert!(last > written_last, "last activity moved backwards");
                            assert!(last <= now, "last activity after now");
                            assert_eq!(Some(last), input_at, "writes the user's instant");
                            written_last = last;
                            if age.is_some() {
                                tally.age_writes += 1;
                            }
                        }
                        write
                    }
                };
                if let Some(w) = write {
                    stored = w.encode();
                }
                truth = new_truth;
            }
            RequestOutcome::Expired(reason) => {
                match (model_alive, reason) {
                    (false, _) => tally.idle.on_time += 1,
                    (true, ExpiryReason::Idle) => {
                        let early = truth + idle - now;
                        tally.idle.early += 1;
                        let fraction = early as f64 / idle as f64;
                        tally.idle.max_early_fraction = tally.idle.max_early_fraction.max(fraction);
                        if early > tally.idle.max_early_ms {
                            tally.idle.max_early_ms = early;
                            tally.idle.max_early_idle_ms = idle;
                        }
                        if early as f64 > one_percent {
                            tally.idle.beyond_bound += 1;
                        }
                    }
                    (true, _) => tally.session_early += 1,
                }
                return;
            }
            RequestOutcome::Locked { .. } => panic!("locked without LOCK_AFTER"),
            RequestOutcome::Untracked => panic!("a tracked session came back untracked"),
        }
    }
}

/// An age kind and its share from two uniform draws.
fn age_kind(r: f64) -> AgeKind {
    match (r * 100.0) as u32 {
        0..=9 => AgeKind::Zero,
        10..=39 => AgeKind::SinceLast,
        40..=59 => AgeKind::NearLast,
        60..=74 => AgeKind::BeforeLast,
        75..=84 => AgeKind::BeyondIdle,
        85..=89 => AgeKind::Max,
        _ => AgeKind::Any,
    }
}

/// `sessions` random schedules with keepalives from a fixed seed: IDLE_TIME
/// log-uniform from 1 s to a day, an absolute limit 2 to 40 times longer,
/// and half the sessions with their own (shorter) idle limit.
fn aged_batch(seed: u64, sessions: usize, mutant: Option<Mutant>) -> AgeTally {
    let mut rng = SplitMix(seed);
    let mut tally = AgeTally::default();
    for _ in 0..sessions {
        let idle_ms = log_scale(1_000, DAY, rng.unit());
        let session_ms = (idle_ms as f64 * (2.0 + 38.0 * rng.unit())) as i64;
        let max_idle_ms = (idle_ms as f64 * (1.0 + 19.0 * rng.unit())) as i64;
        let session = LimitedSession {
            idle_ms,
            session_ms,
            max_idle_ms,
            max_session_ms: session_ms,
            resolution_ms: (rng.unit() < 0.2)
                .then(|| (((idle_ms / 100).max(1) as f64 * rng.unit()) as i64).max(1)),
            own_idle_ms: (rng.unit() < 0.5).then(|| log_scale(1_000, max_idle_ms, rng.unit())),
            own_session_ms: None,
        };
        let len = 1 + (rng.unit() * 60.0) as usize;
        let steps: Vec<AgedStep> = (0..len)
            .map(|_| {
                let r = rng.unit();
                let kind = if r < 0.55 {
                    0
                } else if r < 0.85 {
                    1
                } else {
                    2
                };
                let u = rng.unit();
                let a = rng.unit();
                let act = if a < 0.15 {
                    Act::Passive
                } else if a < 0.5 {
                    Act::Counts
                } else {
                    Act::Input(age_kind(rng.unit()), rng.unit())
                };
                AgedStep { kind, u, act }
            })
            .collect();
        run_aged_session(&session, &steps, &mut tally, mutant);
    }
    tally
}

fn print_aged(what: &str, tally: &AgeTally) {
    let t = &tally.idle;
    println!(
        "{what}: {} sessions, {} requests, {} keepalives with an age ({} hostile: 0, at or beyond \
         the idle limit, u32::MAX; {} before the last activity; {} written), {} logouts on time",
        t.sessions,
        t.requests,
        tally.keepalives,
        tally.hostile,
        tally.before_last,
        tally.age_writes,
        t.on_time
    );
    println!(
        "{what}: early: {} (max {} ms = {:.3} % of the idle limit {} ms; {} beyond 1 %, {} by the \
         absolute limit), late: {}; idle time left above the model {}, below it by more than 1 % {}",
        t.early,
        t.max_early_ms,
        t.max_early_ms as f64 * 100.0 / t.max_early_idle_ms.max(1) as f64,
        t.max_early_idle_ms,
        t.beyond_bound,
        tally.session_early,
        t.late,
        tally.above_model,
        tally.below_model
    );
}

#[test]
fn input_ages_on_a_fixed_seed_batch_of_random_schedules() {
    let tally = aged_batch(0xA6E_1D1E, 20_000, None);
    print_aged("input ages", &tally);
    // The batch must reach the cases it is about, or it proves nothing.
    assert!(tally.idle.on_time > 1_000, "{tally:?}");
    assert!(tally.keepalives > 30_000, "{tally:?}");
    assert!(tally.hostile > 10_000, "{tally:?}");
    assert!(tally.before_last > 10_000, "{tally:?}");
    assert!(tally.age_writes > 5_000, "{tally:?}");
    assert!(tally.idle.early > 100, "{tally:?}");
    assert_eq!(
        tally.idle.beyond_bound, 0,
        "early by more than 1 %: {tally:?}"
    );
    assert_eq!(tally.session_early, 0, "{tally:?}");
    assert_eq!(tally.idle.late, 0, "logged out late: {tally:?}");
    assert_eq!(tally.above_model, 0, "{tally:?}");
    assert_eq!(tally.below_model, 0, "{tally:?}");
}

#[test]
fn the_model_catches_an_age_that_moves_activity_back_or_is_ignored() {
    // The same schedules with the crate's writes for keepalives replaced by a
    // broken rule: the model must see it, or the test above could not fail.
    for (mutant, seen) in [
        (Mutant::NoClampBack, "early beyond 1 %"),
        (Mutant::AgeIgnored, "late"),
    ] {
        let tally = aged_batch(0xA6E_1D1E, 2_000, Some(mutant));
        print_aged(&format!("{mutant:?}"), &tally);
        let caught = match mutant {
            Mutant::NoClampBack => tally.idle.beyond_bound + tally.below_model,
            Mutant::AgeIgnored => tally.idle.late + tally.above_model,
        };
        assert!(caught > 10, "{mutant:?} not {seen}: {tally:?}");
    }
}

fn aged_step_strategy() -> impl Strategy<Value = AgedStep> {
    (
        prop_oneof![5 => Just(0u8), 3 => Just(1u8), 2 => Just(2u8)],
        0.0f64..1.0,
        0.0f64..1.0,
        0.0f64..1.0,
        0.0f64..1.0,
    )
        .prop_map(|(kind, u, a, k, v)| AgedStep {
            kind,
            u,
            act: if a < 0.15 {
                Act::Passive
            } else if a < 0.5 {
                Act::Counts
            } else {
                Act::Input(age_kind(k), v)
            },
        })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn input_ages_are_never_early_beyond_one_percent_nor_late(
        session in limited_session_strategy(),
        steps in proptest::collection::vec(aged_step_strategy(), 1..60),
    ) {
        let mut tally = AgeTally::default();
        run_aged_session(&session, &steps, &mut tally, None);
        prop_assert_eq!(tally.idle.beyond_bound, 0, "{:?}", tally);
        prop_assert_eq!(tally.session_early, 0, "{:?}", tally);
        prop_assert_eq!(tally.idle.late, 0, "{:?}", tally);
        prop_assert_eq!(tally.above_model, 0, "{:?}", tally);
        prop_assert_eq!(tally.below_model, 0, "{:?}", tally);
    }
}
