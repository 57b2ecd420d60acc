//! `CLIENT_ACTIVITY`'s keepalive on both stacks: the client script sends it
//! when the warning is due, with `X-Auto-Logout-Input-Age`, how long ago the
//! user's last input was; the session then ends `IDLE_TIME` after that
//! input, not after the keepalive. The age can only make a session end
//! sooner: an age before the stored last activity records nothing, a value
//! that is not a plain number is ignored (the keepalive counts now, as one
//! without the header), and a keepalive another site made the browser send
//! stays passive.

use super::*;

/// A keepalive for input `$age` milliseconds ago.
macro_rules! input_ago {
    ($age:literal) => {
        post(KEEPALIVE).with(&[("x-auto-logout", "1"), ("x-auto-logout-input-age", $age)])
    };
}

/// The idle time left, `$millis`, as `status` and `keepalive` state it.
macro_rules! idle_left {
    ($millis:literal) => {
        answer(200).fields(&[("active", "true"), ("idle_ms", $millis)])
    };
}

/// A keepalive at 40 s for input at 25 s (15 s before): the idle time counts
/// from the input, so the session ends at 25 s + `IDLE_TIME` = 85 s; active
/// 1 ms before, logged out 1 ms after, with the idle message.
pub const A_KEEPALIVE_COUNTS_FROM_THE_INPUT: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Writes(1, 3),
        Advance(40_000),
        Request(
            0,
            input_ago!("15000"),
            idle_left!("45000").headers(NO_STORE),
        ),
        Writes(1, 1),
        Advance(44_999),
        Request(0, get(STATUS), idle_left!("1")),
        Advance(1),
        Request(0, get(STATUS), idle_left!("0")),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(EXPIRED)),
    ],
};

/// Age 0 is activity now, as a keepalive without the header: the whole
/// `IDLE_TIME` from the keepalive.
pub const AGE_ZERO_IS_NOW: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(30_000),
        Request(0, input_ago!("0"), idle_left!("60000")),
        Advance(60_000),
        Request(0, get(STATUS), idle_left!("0")),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// A page at 30 s is the last activity; at 50 s keepalives claim input
/// before it (40 s ago, or ages no input can have): nothing is recorded or
/// written, 40 s are left, and the session ends at 90 s. A keepalive another
/// site made the browser send is passive, age or not. A value that is not a
/// plain number is ignored (browser 1): the keepalive counts at 50 s, as one
/// without the header would, and no value gets more than that.
pub const FORGED_AGES_CANNOT_EXTEND: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Login(1),
        Advance(30_000),
        Request(0, get("/"), answer(200)),
        Request(1, get("/"), answer(200)),
        Advance(20_000),
        Writes(4, 8),
        Request(0, input_ago!("40000"), idle_left!("40000")),
        Request(0, input_ago!("20000"), idle_left!("40000")),
        Request(0, input_ago!("4294967295"), idle_left!("40000")),
        Request(0, input_ago!("4294967296"), idle_left!("40000")),
        Request(
            0,
            input_ago!("99999999999999999999999999"),
            idle_left!("40000"),
        ),
        Request(
            0,
            post(KEEPALIVE).with(&[
                ("x-auto-logout", "1"),
                ("x-auto-logout-input-age", "0"),
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-mode", "cors"),
            ]),
            idle_left!("40000"),
        ),
        Writes(0, 0),
        Request(1, input_ago!("-5000"), idle_left!("60000")),
        Request(1, input_ago!("1e9"), idle_left!("60000")),
        Request(1, input_ago!("1.5"), idle_left!("60000")),
        Request(1, input_ago!("+5"), idle_left!("60000")),
        Request(1, input_ago!("0x10"), idle_left!("60000")),
        Request(1, input_ago!("soon"), idle_left!("60000")),
        Writes(1, 1),
        Advance(40_000),
        Request(0, get(STATUS), idle_left!("0")),
        Request(1, get(STATUS), idle_left!("20000")),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
        Advance(19_999),
        Request(1, get(STATUS), idle_left!("0")),
        Advance(1),
        Request(1, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};

/// The write resolution (600 ms, 1 % of `IDLE_TIME`) applies to the
/// input's instant: 599 ms after the stored last activity is not written
/// (the logout comes at most that much before `IDLE_TIME` after the input,
/// within the promise), 600 ms is.
pub const THE_WRITE_RESOLUTION_APPLIES_TO_THE_INPUT: Scenario = Scenario {
    config: django_config,
    steps: &[
        Login(0),
        Advance(10_000),
        Request(0, get("/"), answer(200)),
        Advance(30_000),
        Writes(2, 4),
        Request(0, input_ago!("29401"), idle_left!("30000")),
        Writes(0, 0),
        Request(0, input_ago!("29400"), idle_left!("30600")),
        Writes(1, 1),
        Advance(30_600),
        Request(0, get(STATUS), idle_left!("0")),
        Advance(1),
        Request(0, get(STATUS), answer(200).json(IDLE_OUT)),
    ],
};
