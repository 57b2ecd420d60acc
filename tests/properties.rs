//! Property tests over random stamps, clocks and configurations: no panic,
//! remaining never negative, expiry monotone in time, stamps never move back.

use auto_logout::{
    Activity, Config, Decision, Remaining, RequestOutcome, Stamps, TemplateContext, Timestamp,
};
use proptest::prelude::*;

/// Up to 10 years in ms, around a recent epoch, so the space covers both
/// realistic and extreme values.
const SPAN: i64 = 10 * 365 * 24 * 3600 * 1000;

fn config_strategy() -> impl Strategy<Value = Config> {
    (
        proptest::option::of(1i64..=SPAN / 1000),
        proptest::option::of(1i64..=SPAN / 1000),
        1i64..=10_000,
        any::<bool>(),
    )
        .prop_map(|(idle, session, resolution_ms, script)| {
            let mut b = Config::builder();
            if let Some(i) = idle {
                // At most 1 % of IDLE_TIME, as the configuration requires.
                b = b.idle_time(i).write_resolution(format!("{}ms", resolution_ms.min(i * 10)));
            } else {
                b = b.write_resolution(format!("{resolution_ms}ms"));
            }
            if let Some(s) = session {
                b = b.session_time(s);
            }
            if script && (idle.is_some() || session.is_some()) {
                b = b.redirect_to_login_immediately(true);
            }
            b.build().expect("generated configs are valid")
        })
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_never_panics(s in ".{0,80}") {
        let _ = Stamps::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_near_misses(a in any::<i64>(), b in any::<i64>(), v in 0u8..3, sep in "[.:,]") {
        let _ = Stamps::decode(&format!("{v}{sep}{a}{sep}{b}"));
    }

    #[test]
    fn encode_decode_round_trips(login in 0i64..i64::MAX / 2, extra in 0i64..SPAN) {
        let s = Stamps::new(t(login), t(login + extra)).unwrap();
        prop_assert_eq!(Stamps::decode(&s.encode()), Ok(s));
    }

    #[test]
    fn remaining_is_never_negative_and_never_above_the_limit(
        config in config_strategy(),
        login in any::<i64>(),
        idle_gap in any::<i64>(),
        now in any::<i64>(),
        stored in proptest::option::of(".{0,40}"),
    ) {
        let last = login.saturating_add(idle_gap.rem_euclid(SPAN));
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
    fn expiry_is_monotone_in_time(
        config in config_strategy(),
        login in 0i64..SPAN,
        gap in 0i64..SPAN,
        first in 0i64..2 * SPAN,
        later in 0i64..SPAN,
    ) {
        // Stamps not dated in the future of the first instant.
        let stamps = Stamps::new(t(login), t(login + gap)).unwrap();
        let first_now = (login + gap).max(first);
        let second_now = first_now + later;
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
        steps in proptest::collection::vec(0i64..2_000, 1..200),
    ) {
        // A burst of requests: count the writes the decision asks for.
        let login = 1_700_000_000_000i64;
        let mut stored = Stamps::at_login(t(login)).encode();
        let mut now = login;
        let mut writes = 0i64;
        for step in steps {
            now += step;
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
    fn template_numbers_are_plain_non_negative_integers(idle in any::<Option<i64>>(), session in any::<Option<i64>>()) {
        let config = Config::builder().idle_time(60).session_time(60).build().unwrap();
        for ctx in [config.context(Remaining::new(idle, session)), TemplateContext::anonymous()] {
            let text = format!("{} {}", ctx.seconds_until_idle_end(), ctx.seconds_until_session_end());
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || b == b' '));
        }
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
