//! Per-session limits on both stacks: "Keep me signed in" (`remember=on`)
//! gives a session the absolute limit the demo allows (`MAX_SESSION_TIME`,
//! here one hour) and the configured idle limit; a session signed in without
//! it keeps the configured limits; the limits are stored with the stamps
//! (version 2), version 1 stamps in the store still work, and a forged
//! limit never grants more than the maximum.

use super::*;

/// A page each test file adds: `GET` answers the session's stored stamps as
/// they are, `POST` (form field `value`) stores `value` in their place, as a
/// store written by an older version (or by a forger) would hold it.
pub const STAMPS: &str = "/stamps";

/// Idle 60 s, absolute 300 s, and "Keep me signed in" up to an hour.
pub fn remember_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .max_session_time("1h")
        .message(DEFAULT_MESSAGE)
        .redirect_to_login_immediately(true)
        .build()
        .unwrap()
}

/// Signing in with "Keep me signed in" checked.
pub const REMEMBER: Req = post("/login").form(&[
    ("username", "demo"),
    ("password", "demo"),
    ("next", "/"),
    ("remember", "on"),
]);

/// A remembered session (browser 0) outlives the configured `SESSION_TIME`
/// and ends 1 ms after its own hour, not before; one signed in beside it
/// without the checkbox (browser 1) ends 1 ms after the configured 300 s.
/// The pages, the script tag and `status` state each session's own limits.
pub const REMEMBERED_SESSION_OUTLIVES_THE_CONFIGURED_LIMIT: Scenario = Scenario {
    config: remember_config,
    steps: &[
        Request(0, REMEMBER, see_other("/")),
        Login(1),
        Request(
            0,
            get("/"),
            answer(200).contains(&[
                r#"id="idle-left" data-seconds="60" data-on="true""#,
                r#"id="session-left" data-seconds="3600" data-on="true""#,
                r#" data-idle-ms="60000" data-session-ms="3600000" data-idle-limit-ms="60000" data-session-limit-ms="3600000""#,
            ]),
        ),
        Request(
            1,
            get("/"),
            answer(200).contains(&[
                r#"id="session-left" data-seconds="300""#,
                r#" data-session-ms="300000" data-idle-limit-ms="60000" data-session-limit-ms="300000""#,
            ]),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "60000"),
                ("session_ms", "3600000"),
                ("seconds_until_session_end", "3600"),
            ]),
        ),
        Request(
            1,
            get(STATUS),
            answer(200).fields(&[("session_ms", "300000")]),
        ),
        // Both busy until 1 ms before the configured 300 s.
        Repeat(
            5,
            &[
                Advance(59_000),
                Request(0, get("/"), answer(200)),
                Request(1, get("/"), answer(200)),
            ],
        ),
        Advance(4_999),
        Request(1, get("/"), answer(200)),
        Request(0, get("/"), answer(200)),
        // 1 ms past the configured 300 s: only the plain session ends.
        Advance(2),
        Request(1, get("/"), TO_LOGIN),
        Request(1, get("/login"), answer(200).messages(EXPIRED)),
        Request(
            0,
            get("/"),
            answer(200).contains(&[r#"id="session-left" data-seconds="3300""#]),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("session_ms", "3299999"),
                ("seconds_until_session_end", "3300"),
            ]),
        ),
        // Busy (a page every 50 s) until 1 ms before its hour...
        Repeat(65, &[Advance(50_000), Request(0, get("/"), answer(200))]),
        Advance(49_998),
        Request(
            0,
            get("/"),
            answer(200).contains(&[r#"id="session-left" data-seconds="1""#]),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("session_ms", "1")]),
        ),
        // ...and out 1 ms after it, activity or not.
        Advance(2),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
    ],
};

/// A remembered session still ends after the configured idle time: 60 s
/// without a request is still in, 1 ms more is out.
pub const REMEMBERED_SESSION_KEEPS_THE_CONFIGURED_IDLE_LIMIT: Scenario = Scenario {
    config: remember_config,
    steps: &[
        Request(0, REMEMBER, see_other("/")),
        Advance(60_000),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(0, get("/"), TO_LOGIN),
    ],
};

/// What the stores hold: version 1 stamps for a plain sign-in (as before
/// this version), version 2 with the absolute limit for a remembered one.
pub const THE_STAMPS_CARRY_THE_LIMITS: Scenario = Scenario {
    config: remember_config,
    steps: &[
        Login(0),
        Request(
            0,
            get(STAMPS),
            answer(200).body("1.1767225600000.1767225600000"),
        ),
        Request(1, REMEMBER, see_other("/")),
        Request(
            1,
            get(STAMPS),
            answer(200).body("2.1767225600000.1767225600000..3600000"),
        ),
    ],
};

/// Version 1 stamps written into the store (as an older version wrote them)
/// over a remembered session's: the session goes on with the configured
/// limits, and ends 1 ms after the configured 300 s.
pub const VERSION_1_STAMPS_IN_THE_STORE_STILL_WORK: Scenario = Scenario {
    config: remember_config,
    steps: &[
        Request(0, REMEMBER, see_other("/")),
        Request(
            0,
            post(STAMPS).form(&[("value", "1.1767225600000.1767225600000")]),
            answer(200),
        ),
        Request(
            0,
            get(STAMPS),
            answer(200).body("1.1767225600000.1767225600000"),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "60000"),
                ("session_ms", "300000"),
            ]),
        ),
        Request(
            0,
            get("/"),
            answer(200).contains(&[
                r#"id="session-left" data-seconds="300""#,
                r#" data-idle-limit-ms="60000" data-session-limit-ms="300000""#,
            ]),
        ),
        Repeat(5, &[Advance(59_000), Request(0, get("/"), answer(200))]),
        Advance(5_000),
        Request(0, get("/"), answer(200)),
        Advance(1),
        Request(0, get("/"), TO_LOGIN),
    ],
};

/// Forged limits far above the maximums: the session gets the maximums
/// (idle 60 s, since `MAX_IDLE_TIME` defaults to `IDLE_TIME`; absolute one
/// hour), never more.
pub const A_FORGED_LIMIT_GRANTS_NO_MORE_THAN_THE_MAXIMUM: Scenario = Scenario {
    config: remember_config,
    steps: &[
        Login(0),
        Request(
            0,
            post(STAMPS).form(&[(
                "value",
                "2.1767225600000.1767225600000.9223372036854775807.9223372036854775807",
            )]),
            answer(200),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "60000"),
                ("session_ms", "3600000"),
            ]),
        ),
        Request(
            0,
            get("/"),
            answer(200)
                .contains(&[r#" data-idle-limit-ms="60000" data-session-limit-ms="3600000""#]),
        ),
        Advance(60_001),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// The demos' `DEMO_REMEMBER_SESSION_TIME`: the human forms, the default,
/// the `MAX_SESSION_TIME` it sets, and a clear refusal.
#[test]
fn the_demos_read_the_remember_limit_from_the_environment() {
    use crate::support::app::Settings;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    };
    let hours = |h: u64| Duration::from_secs(h * 3600);
    let defaults = Settings::from_env(env(&[])).unwrap();
    assert_eq!(defaults.remember_session_time, Some(hours(8)));
    assert_eq!(defaults.config.max_session_time(), Some(hours(8)));
    assert_eq!(
        defaults.config.session_time(),
        Some(Duration::from_secs(300))
    );
    for (raw, want) in [
        ("30m", Duration::from_secs(1800)),
        ("1h 30m", Duration::from_secs(5400)),
        ("7200", hours(2)),
    ] {
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(Box::new([("DEMO_REMEMBER_SESSION_TIME", raw)]));
        let settings = Settings::from_env(env(pairs)).unwrap();
        assert_eq!(settings.remember_session_time, Some(want), "{raw}");
        assert_eq!(settings.config.max_session_time(), Some(want), "{raw}");
    }
    // Shorter than SESSION_TIME: no maximum needed, the session is shorter.
    let short = Settings::from_env(env(&[("DEMO_REMEMBER_SESSION_TIME", "90s")])).unwrap();
    assert_eq!(short.remember_session_time, Some(Duration::from_secs(90)));
    assert_eq!(
        short.config.max_session_time(),
        Some(Duration::from_secs(300))
    );
    // An explicit maximum wins; the remembered limit stays within it.
    let capped = Settings::from_env(env(&[("AUTO_LOGOUT_MAX_SESSION_TIME", "2h")])).unwrap();
    assert_eq!(capped.config.max_session_time(), Some(hours(2)));
    assert_eq!(capped.remember_session_time, Some(hours(2)));
    let err = Settings::from_env(env(&[("DEMO_REMEMBER_SESSION_TIME", "soon")])).unwrap_err();
    assert!(
        err.starts_with("DEMO_REMEMBER_SESSION_TIME = \"soon\" is not allowed: expected"),
        "{err}"
    );
    let err = Settings::from_env(env(&[("DEMO_REMEMBER_SESSION_TIME", "0")])).unwrap_err();
    assert!(
        err.starts_with("DEMO_REMEMBER_SESSION_TIME = 0 is not allowed"),
        "{err}"
    );
}
