//! Stored stamps and the per-request decision on arbitrary strings, clocks and activity.
//!
//! Never a panic; a stored string that decodes re-encodes to the same string
//! (one spelling per value); the remaining time is never negative nor above
//! its limit; and the outcome agrees with a model of the decision computed in
//! 128-bit integers, where nothing can overflow. Activity an arbitrary age
//! ago (`Activity::Earlier`, a keepalive's input age) is written at exactly
//! `now - age` or not at all: last activity never moves back nor beyond now,
//! and the request never gets more time than the same request without an age. The save rule
//! (`save_rule::decide`) never lets a write re-create a record or move a
//! login's last activity backwards.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use auto_logout::FUTURE_TOLERANCE_MILLIS;
use auto_logout::engine::save_rule::{self, InStore, SaveAction};
use auto_logout::{Activity, Config, ExpiryReason, RequestOutcome, Stamps, Timestamp};
use libfuzzer_sys::fuzz_target;

/// Ten years, the longest limit the configuration accepts.
const MAX_LIMIT_MILLIS: u64 = 10 * 365 * 24 * 60 * 60 * 1000;

#[derive(Arbitrary, Debug)]
struct Input {
    idle: Option<u64>,
    session: Option<u64>,
    write_resolution: Option<u64>,
    /// `now`: a base instant plus a step, so it often falls near the stamps.
    now_near: Near,
    step: i32,
    scale: u8,
    activity: Act,
    /// What the session store holds when a record with `stored` is saved.
    in_store: Theirs,
    stored: Stored,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Act {
    Counts,
    Passive,
    /// A keepalive for input this many milliseconds ago.
    Earlier(u32),
    /// An age near the stored last activity: `now - last` plus this (often
    /// negative, so the instant is just after it; saturated to a `u32`).
    NearLast(i16),
}

#[derive(Arbitrary, Debug)]
enum Theirs {
    Gone,
    NoStamps,
    /// Our stamps with both instants moved.
    Shifted(i32, i32),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Near {
    Login,
    LastActivity,
    Anywhere(i64),
}

#[derive(Arbitrary, Debug)]
enum Stored {
    /// Two instants in the encoded form, valid or not.
    Pair(i64, i64),
    /// A valid pair, with one of its numbers spelled another way.
    Respelled(i64, i64, Respell),
    /// Anything at all.
    Text(String),
    /// Two instants and the session's own limits (version 2), valid or not.
    Limited(i64, i64, Option<i64>, Option<i64>),
}

#[derive(Arbitrary, Debug)]
enum Respell {
    LeadingZero,
    Plus,
    Space,
    Version(u8),
    Trailing(char),
}

fn limit(millis: Option<u64>) -> Option<Duration> {
    millis.map(|m| Duration::from_millis(m % MAX_LIMIT_MILLIS + 1))
}

fuzz_target!(|input: Input| {
    let stored = match &input.stored {
        Stored::Pair(login, last) => format!("1.{login}.{last}"),
        Stored::Respelled(login, last, how) => match how {
            Respell::LeadingZero => format!("1.0{login}.{last}"),
            Respell::Plus => format!("1.+{login}.{last}"),
            Respell::Space => format!("1.{login} .{last}"),
            Respell::Version(v) => format!("{v}.{login}.{last}"),
            Respell::Trailing(c) => format!("1.{login}.{last}{c}"),
        },
        Stored::Text(s) => s.clone(),
        Stored::Limited(login, last, idle, session) => format!(
            "2.{login}.{last}.{}.{}",
            idle.map(|m| m.to_string()).unwrap_or_default(),
            session.map(|m| m.to_string()).unwrap_or_default()
        ),
    };

    // Decoding: refused, or read back exactly as written.
    let decoded = Stamps::decode(&stored);
    if let Ok(stamps) = decoded {
        assert_eq!(stamps.encode(), stored, "decode accepted another spelling");
        assert!(stamps.last_activity_at() >= stamps.login_at());
        assert_eq!(Stamps::decode(&stamps.encode()), Ok(stamps));
    }

    save_rule_holds(&stored, decoded, &input.in_store);

    let mut builder = Config::builder();
    let idle = limit(input.idle);
    let session = limit(input.session);
    if let Some(d) = idle {
        builder = builder.idle_time(d);
    }
    if let Some(d) = session {
        builder = builder.session_time(d);
    }
    if let Some(r) = input.write_resolution {
        // Mostly within the allowed range (up to 1 % of IDLE_TIME), sometimes above it.
        let idle_ms = idle.map_or(100_000, |d| d.as_millis() as u64);
        let millis = (idle_ms / 100).max(1) * (r % 110) / 100;
        builder = builder.write_resolution(Duration::from_millis(millis));
    }
    let Ok(config) = builder.build() else {
        return;
    };

    let base = match (&input.now_near, decoded) {
        (Near::Login, Ok(s)) => s.login_at().as_unix_millis(),
        (Near::LastActivity, Ok(s)) => s.last_activity_at().as_unix_millis(),
        (Near::Anywhere(t), _) => *t,
        _ => 1_767_225_600_000,
    };
    let step = i64::from(input.step) * [1, 1_000, 60_000][usize::from(input.scale % 3)];
    let now = Timestamp::from_unix_millis(base.saturating_add(step));
    let activity = match input.activity {
        Act::Counts => Activity::Counts,
        Act::Passive => Activity::Passive,
        Act::Earlier(millis_ago) => Activity::Earlier { millis_ago },
        Act::NearLast(delta) => {
            let last = decoded.map_or(base, |s| s.last_activity_at().as_unix_millis());
            let age = i128::from(now.as_unix_millis()) - i128::from(last) + i128::from(delta);
            Activity::Earlier {
                millis_ago: age.clamp(0, i128::from(u32::MAX)) as u32,
            }
        }
    };
    // The instant the request says the user was active at.
    let active_at = match activity {
        Activity::Earlier { millis_ago } => {
            Some(i128::from(now.as_unix_millis()) - i128::from(millis_ago))
        }
        Activity::Counts => Some(i128::from(now.as_unix_millis())),
        Activity::Passive => None,
    };

    assert_eq!(
        config.check_request(None, now, activity),
        RequestOutcome::Untracked
    );
    let outcome = config.check_request(Some(&stored), now, activity);
    // The same request without an age, for comparison.
    let plain = config.check_request(Some(&stored), now, Activity::Counts);
    if !config.has_limit() {
        assert_eq!(outcome, RequestOutcome::Untracked, "no limit, yet tracked");
        return;
    }
    let idle_limit = config.idle_time().map(|d| d.as_millis() as i128);
    let session_limit = config.session_time().map(|d| d.as_millis() as i128);
    let now = i128::from(now.as_unix_millis());

    let Ok(stamps) = decoded else {
        assert_eq!(outcome, RequestOutcome::Expired(ExpiryReason::Invalid));
        return;
    };
    let login = i128::from(stamps.login_at().as_unix_millis());
    let last = i128::from(stamps.last_activity_at().as_unix_millis());
    // A session's own limits (stamps version 2) replace the configured ones,
    // each read as at most its maximum (here the configured limit: no
    // MAX_* key is set), and never as more than ten years.
    let ten_years = i128::from(MAX_LIMIT_MILLIS as i64);
    let own =
        |stored: Option<i64>, maximum: Option<Duration>, configured: Option<i128>| match stored {
            Some(stored) => Some(
                i128::from(stored)
                    .min(maximum.map_or(ten_years, |m| m.as_millis() as i128))
                    .min(ten_years),
            ),
            None => configured,
        };
    let idle_limit = own(
        stamps.idle_limit_millis(),
        config.max_idle_time(),
        idle_limit,
    );
    let session_limit = own(
        stamps.session_limit_millis(),
        config.max_session_time(),
        session_limit,
    );

    // The model.
    let future = now + i128::from(FUTURE_TOLERANCE_MILLIS);
    let expected_expiry = if login > future || last > future {
        Some(ExpiryReason::Invalid)
    } else {
        let over =
            |start: i128, limit: Option<i128>| limit.map(|l| l - (now - start)).filter(|r| *r < 0);
        match (over(last, idle_limit), over(login, session_limit)) {
            (None, None) => None,
            (Some(i), Some(s)) if i < s => Some(ExpiryReason::Idle),
            (Some(_), None) => Some(ExpiryReason::Idle),
            (_, Some(_)) => Some(ExpiryReason::Session),
        }
    };

    match outcome {
        RequestOutcome::Untracked => panic!("tracked stamps gave Untracked"),
        RequestOutcome::Locked { .. } => panic!("locked without LOCK_AFTER"),
        RequestOutcome::Expired(reason) => {
            assert_eq!(Some(reason), expected_expiry, "{stored} at {now}");
            assert_eq!(plain, outcome, "the activity changed the decision");
        }
        RequestOutcome::Active { remaining, write } => {
            assert_eq!(expected_expiry, None, "{stored} at {now}: active");
            let moved = write.is_some();
            let RequestOutcome::Active {
                remaining: plain_remaining,
                write: plain_write,
            } = plain
            else {
                panic!("{stored} at {now}: active with {activity:?}, {plain:?} without");
            };
            if let Activity::Earlier { millis_ago } = activity {
                // An age never gives more than the same request without one.
                assert!(
                    remaining.idle_millis() <= plain_remaining.idle_millis(),
                    "{stored} at {now}: age {millis_ago} gave {remaining:?} over {plain_remaining:?}"
                );
                assert!(
                    !moved || plain_write.is_some(),
                    "wrote for the input, not for a request now"
                );
                assert_eq!(remaining.session_millis(), plain_remaining.session_millis());
                if idle_limit.is_some_and(|l| i128::from(millis_ago) >= l) {
                    assert!(!moved, "age {millis_ago} at or beyond the idle limit wrote");
                }
            }
            if let Some(w) = write {
                let at = active_at.expect("a passive request wrote");
                assert_eq!(w.login_at(), stamps.login_at());
                assert_eq!(w.idle_limit_millis(), stamps.idle_limit_millis());
                assert_eq!(w.session_limit_millis(), stamps.session_limit_millis());
                let written = i128::from(w.last_activity_at().as_unix_millis());
                assert_eq!(written, at, "not the user's instant");
                assert!(written <= now, "last activity beyond now");
                assert!(
                    w.last_activity_at() > stamps.last_activity_at(),
                    "moved back"
                );
                // The session's own idle limit sets a resolution of 1 % of it
                // (or the given one, if finer): at least the smaller of the two.
                let mut resolution = config.write_resolution().as_millis() as i128;
                if let (Some(_), Some(idle)) = (stamps.idle_limit_millis(), idle_limit) {
                    resolution = resolution.min((idle / 100).max(1));
                }
                assert!(
                    at - last >= resolution.max(1),
                    "wrote within the resolution"
                );
            }
            let last = match (moved, active_at) {
                (true, Some(at)) => at,
                _ => last,
            };
            for (name, got, limit, start) in [
                ("idle", remaining.idle_millis(), idle_limit, last),
                ("session", remaining.session_millis(), session_limit, login),
            ] {
                assert_eq!(got.is_some(), limit.is_some(), "{name}");
                if let (Some(got), Some(limit)) = (got, limit) {
                    let got = i128::from(got);
                    assert!(
                        (0..=limit).contains(&got),
                        "{name} remaining {got} of {limit}"
                    );
                    assert_eq!(got, (limit - (now - start)).min(limit), "{name}");
                }
            }
        }
    }
});

/// The save rule for a record whose stamps are `ours`, over what the store holds.
fn save_rule_holds(ours: &str, mine: Result<Stamps, auto_logout::StampError>, theirs: &Theirs) {
    let text = match (theirs, mine) {
        (Theirs::Shifted(a, b), Ok(m)) => Some(format!(
            "1.{}.{}",
            m.login_at().as_unix_millis().saturating_add(i64::from(*a)),
            m.last_activity_at()
                .as_unix_millis()
                .saturating_add(i64::from(*b))
        )),
        (Theirs::Text(t), _) => Some(t.clone()),
        _ => None,
    };
    let in_store = match theirs {
        Theirs::Gone => InStore::Gone,
        Theirs::NoStamps => InStore::Stamps(None),
        _ => InStore::Stamps(text.as_deref()),
    };
    assert_eq!(save_rule::decide(None, InStore::Gone), SaveAction::Drop);
    let action = save_rule::decide(Some(ours), in_store);
    if in_store == InStore::Gone {
        assert_eq!(action, SaveAction::Drop, "a save re-created a record");
    }
    let stored = text.as_deref().map(Stamps::decode);
    match action {
        SaveAction::Drop => {}
        SaveAction::WriteStamps(w) => {
            let (Ok(m), Some(Ok(t))) = (mine, stored) else {
                panic!("WriteStamps({w:?}) without two readable stamps");
            };
            assert_eq!(w, t, "writes the stored stamps");
            assert_eq!(w.login_at(), m.login_at(), "the same login only");
            assert!(w.last_activity_at() > m.last_activity_at());
        }
        SaveAction::Write => match (mine, stored) {
            // Our stamps replace the store's: never an earlier login, never
            // an earlier last activity of the same login, never unreadable
            // over a login.
            (Ok(m), Some(Ok(t))) => {
                assert!(
                    m.login_at() >= t.login_at(),
                    "an earlier login overwrote a later one"
                );
                if m.login_at() == t.login_at() {
                    assert!(
                        m.last_activity_at() >= t.last_activity_at(),
                        "activity moved back"
                    );
                }
            }
            (Err(_), Some(_)) => {
                assert_eq!(text.as_deref(), Some(ours), "unreadable over a record")
            }
            (Err(_), None) => panic!("unreadable stamps written where the store had none"),
            (Ok(_), Some(Err(_))) => panic!("a login written over unreadable stamps"),
            (Ok(_), None) => {}
        },
    }
}
