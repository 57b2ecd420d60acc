//! A login handler that forgets `AutoLogout::login`, on both stacks: with
//! `signed_in_key` the integration starts the clocks itself; without it, it
//! says so, once.
//!
//! Each test file adds [`FORGETFUL_LOGIN`] to its demo and starts the site
//! with or without the signed-in key (the demo's `user`).

use auto_logout::Config;

use super::*;

/// A page each test file adds: `POST` signs the demo user in the way an app
/// that forgot the login call does (the user into the session, a new session
/// id) and answers `303` to `/`.
pub const FORGETFUL_LOGIN: &str = "/forgetful-login";

const FORGET: Req = post(FORGETFUL_LOGIN);
/// A page each test file adds: `POST` removes the stamps from the session
/// and keeps everything else, as a session signed in before the integration
/// was installed has it.
pub const DROP_STAMPS: &str = "/drop-stamps";
/// The same, flashing [`WELCOME`] as well: a flash message in the session
/// does not hide the signed-in user from the warning.
const FORGET_WITH_WELCOME: Req = post("/forgetful-login?welcome=1");
/// What [`FORGET_WITH_WELCOME`] flashes.
pub const WELCOME: &str = "Welcome back.";

/// With the key, the clocks start at the login request that forgot the call:
/// logged out `IDLE_TIME` after the user's last request, not 1 ms earlier.
const KEY_STARTS_THE_CLOCKS: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Request(0, FORGET, see_other("/")),
        Advance(5_000),
        // The first page after the login is tracked already.
        Request(
            0,
            get("/"),
            answer(200)
                .contains(&[
                    "Hello, demo",
                    r#"id="idle-left" data-seconds="60""#,
                    "<script data-auto-logout",
                ])
                .headers(NO_STORE),
        ),
        Advance(60_000),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("idle_ms", "0")]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// The absolute limit counts from the forgetful login too.
const KEY_STARTS_THE_ABSOLUTE_LIMIT: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Request(0, FORGET, see_other("/")),
        Repeat(10, &[Advance(30_000), Request(0, get("/"), answer(200))]),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("active", "true"), ("session_ms", "0")]),
        ),
        Advance(1),
        Request(0, get("/"), see_other("/login?next=%2F")),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// A session that holds the key but no stamps when a request begins (signed
/// in before the integration was installed): its clocks start with that
/// request.
const KEY_STARTS_THE_CLOCKS_OF_AN_OLDER_LOGIN: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Request(0, FORGET, see_other("/")),
        Advance(30_000),
        Request(0, post(DROP_STAMPS), answer(200)),
        Advance(30_000),
        // The first request after: the clocks start now, a minute after login.
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "60000"),
                ("session_ms", "300000"),
            ]),
        ),
        Advance(60_000),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "0"),
                ("session_ms", "240000"),
            ]),
        ),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(0, get("/"), TO_LOGIN),
    ],
};

/// With the key, a login that forgot the call is logged out after
/// `IDLE_TIME` (both sides of the bound) and after `SESSION_TIME`, a session
/// that holds the key without stamps is tracked from its next request, and a
/// real login call works as before.
pub async fn the_key_starts_the_clocks(
    start: impl AsyncFn(Config, Option<&'static str>) -> Target,
) {
    let key = Some(crate::support::app::USER_KEY);
    run(async |c| start(c, key).await, &KEY_STARTS_THE_CLOCKS).await;
    run(
        async |c| start(c, key).await,
        &KEY_STARTS_THE_ABSOLUTE_LIMIT,
    )
    .await;
    run(
        async |c| start(c, key).await,
        &KEY_STARTS_THE_CLOCKS_OF_AN_OLDER_LOGIN,
    )
    .await;
    run(
        async |c| start(c, key).await,
        &IDLE_EXPIRY_SHOWS_THE_MESSAGE_ONCE,
    )
    .await;
}

/// Without the key, nothing starts the clocks: the session is never logged
/// out, which is what the warning is about.
const WITHOUT_THE_KEY: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Request(0, FORGET_WITH_WELCOME, see_other("/")),
        Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
        Advance(10 * 60_000),
        Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
        Request(0, get(STATUS), answer(200).json(INACTIVE)),
        Request(0, FORGET, see_other("/")),
    ],
};

/// With a real login call on the same site first, a later forgetful login
/// is not reported: the app does start clocks.
const LOGIN_CALLED_FIRST: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Request(1, FORGET, see_other("/")),
        Request(1, get("/"), answer(200)),
    ],
};

/// Without the key, the first request that ends with a signed-in session
/// but no clocks makes the integration warn, and only that one; an app that
/// calls `AutoLogout::login` gets no warning. (One test: the count is the
/// process's.)
pub async fn without_the_key_it_warns_once(
    start: impl AsyncFn(Config, Option<&'static str>) -> Target,
) {
    let before = auto_logout::clocks_never_started_calls();
    run(async |c| start(c, None).await, &LOGIN_CALLED_FIRST).await;
    assert_eq!(auto_logout::clocks_never_started_calls() - before, 0);
    run(async |c| start(c, None).await, &WITHOUT_THE_KEY).await;
    assert_eq!(auto_logout::clocks_never_started_calls() - before, 1);
}
