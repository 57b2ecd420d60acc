//! `LOCK_AFTER` and the password endpoints over HTTP, on both stacks: a
//! locked session refuses every kind of request but `status`, passive ones
//! and the login page; the lock dialog's password (the demos' `on_unlock`
//! accepts the signed-in user's, `demo`) unlocks it, wrong ones are counted
//! and end the session at `UNLOCK_ATTEMPTS`; "Sign in again" restarts both
//! clocks.

use auto_logout::Config;

use super::Step::*;
use super::*;

/// `POST unlock` with the script's header and this form.
const fn unlock(form: &'static [(&'static str, &'static str)]) -> Req {
    post(UNLOCK).with(&[("x-auto-logout", "1")]).form(form)
}

/// `POST reauthenticate` with the script's header and this form.
const fn reauthenticate(form: &'static [(&'static str, &'static str)]) -> Req {
    post(REAUTHENTICATE)
        .with(&[("x-auto-logout", "1")])
        .form(form)
}

/// The `unlock` endpoint.
pub const UNLOCK: &str = "/auto-logout/unlock";
/// The `reauthenticate` endpoint.
pub const REAUTHENTICATE: &str = "/auto-logout/reauthenticate";
/// The message after too many wrong passwords.
pub const UNLOCK_FAILED: &str = "Too many wrong passwords: you were signed out.";

const RIGHT: &[(&str, &str)] = &[("password", "demo")];
const WRONG: &[(&str, &str)] = &[("password", "nope")];
const LOCKED: &str = r#"{"error": "session_locked"}"#;
const LOCKED_STATUS: &[(&str, &str)] = &[("active", "true"), ("locked", "true")];
const UNLOCKED_STATUS: &[(&str, &str)] = &[("active", "true"), ("locked", "false")];
const NO_STORE: &[(&str, Option<&str>)] = &[("cache-control", Some("no-store"))];
/// The app's own guard, for a session that is gone.
const TO_LOGIN: Expect = see_other("/login?next=/");
/// The crate's answer to a page of a session that expired (`LOGIN_URL`).
const EXPIRED_TO_LOGIN: Expect = see_other("/login?next=%2F");

/// Idle 60 s, locked after 20 s, absolute 300 s, three tries.
pub fn lock_config() -> Config {
    Config::builder()
        .idle_time(60)
        .lock_after(20)
        .session_time(300)
        .unlock_attempts(3)
        .message(crate::support::app::DEFAULT_MESSAGE)
        .unlock_failed_message(UNLOCK_FAILED)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .passive_path("/static/")
        .build()
        .unwrap()
}

/// Idle 60 s, absolute 100 s, no lock: "Sign in again" before the absolute limit.
pub fn reauthenticate_config() -> Config {
    Config::builder()
        .idle_time(60)
        .session_time(100)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        .build()
        .unwrap()
}

/// Every kind of request of a locked session, answered.
pub const A_LOCKED_SESSION_REFUSES_EVERY_KIND_OF_REQUEST: Scenario = Scenario {
    config: lock_config,
    steps: &[
        Login(0),
        Advance(19_999),
        Request(0, get(STATUS), answer(200).fields(UNLOCKED_STATUS)),
        Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
        Advance(20_000),
        Request(0, get(STATUS), answer(200).fields(LOCKED_STATUS)),
        // A page: the lock page, nothing of the page asked for.
        Request(
            0,
            get("/"),
            answer(423)
                .contains(&["Session locked"])
                .lacks(&["Hello, demo", "idle-left"])
                .headers(NO_STORE),
        ),
        Request(
            0,
            get("/").with(&[("sec-fetch-mode", "cors")]),
            answer(423).json(LOCKED).headers(NO_STORE),
        ),
        Request(
            0,
            get("/fragments/idle").with(&[("hx-request", "true")]),
            answer(423).json(LOCKED).headers(&[
                ("hx-trigger", Some("auto-logout-locked")),
                ("hx-reswap", Some("none")),
            ]),
        ),
        Request(0, KEEP_ALIVE, answer(423).json(LOCKED)),
        Request(0, post("/logout"), answer(423)),
        // What goes on: passive requests and the login page.
        Request(0, get("/static/demo.css"), answer(200)),
        Request(0, get("/login"), answer(200)),
        // None of it counted: still locked, and IDLE_TIME still ends it.
        Advance(40_000),
        Request(0, get(STATUS), answer(200).fields(LOCKED_STATUS)),
        Request(0, get("/"), answer(423)),
        Advance(1),
        Request(0, get("/"), EXPIRED_TO_LOGIN),
        Request(
            0,
            get("/login"),
            answer(200).messages(&[crate::support::app::DEFAULT_MESSAGE]),
        ),
    ],
};

/// Wrong, then right: the idle clock restarts at the unlock, the absolute
/// one goes on, the session's data is kept.
pub const THE_RIGHT_PASSWORD_UNLOCKS: Scenario = Scenario {
    config: lock_config,
    steps: &[
        Login(0),
        Advance(20_000),
        Request(
            0,
            unlock(WRONG),
            answer(401).fields(&[("error", r#""wrong_password""#), ("attempts_left", "2")]),
        ),
        // Without the script's header (a cross-site form) or a password.
        Request(0, post(UNLOCK).form(RIGHT), answer(403)),
        Request(
            0,
            unlock(&[("user", "demo")]),
            answer(400).fields(&[("error", r#""password_missing""#)]),
        ),
        Request(0, get(STATUS), answer(200).fields(LOCKED_STATUS)),
        Request(
            0,
            unlock(RIGHT),
            answer(200).fields(&[
                ("active", "true"),
                ("locked", "false"),
                ("idle_ms", "60000"),
                ("session_ms", "280000"),
            ]),
        ),
        // Counted from the unlock, not from the request before the lock.
        Advance(19_999),
        Request(0, get(STATUS), answer(200).fields(UNLOCKED_STATUS)),
        Advance(1),
        Request(0, get(STATUS), answer(200).fields(LOCKED_STATUS)),
        Request(0, unlock(RIGHT), answer(200).fields(UNLOCKED_STATUS)),
        Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
    ],
};

/// `UNLOCK_ATTEMPTS` wrong passwords in one lock end the session with its
/// own reason and message; a right one in between starts the count again.
pub const TOO_MANY_WRONG_PASSWORDS_END_THE_SESSION: Scenario = Scenario {
    config: lock_config,
    steps: &[
        Login(0),
        Advance(20_000),
        Request(
            0,
            unlock(WRONG),
            answer(401).fields(&[("attempts_left", "2")]),
        ),
        Request(
            0,
            unlock(WRONG),
            answer(401).fields(&[("attempts_left", "1")]),
        ),
        Request(0, unlock(RIGHT), answer(200).fields(UNLOCKED_STATUS)),
        Advance(20_000),
        // A new lock: three tries again.
        Request(
            0,
            unlock(WRONG),
            answer(401).fields(&[("attempts_left", "2")]),
        ),
        Request(
            0,
            unlock(WRONG),
            answer(401).fields(&[("attempts_left", "1")]),
        ),
        Request(
            0,
            unlock(WRONG),
            answer(200).json(r#"{"active": false, "reason": "unlock_failed"}"#),
        ),
        Request(0, get("/"), TO_LOGIN),
        Request(0, get("/login"), answer(200).messages(&[UNLOCK_FAILED])),
        Request(0, unlock(RIGHT), answer(200).fields(&[("active", "false")])),
    ],
};

/// "Sign in again" before the absolute limit: both clocks start again, so
/// the session outlives the limit it had.
pub const SIGNING_IN_AGAIN_RESTARTS_BOTH_CLOCKS: Scenario = Scenario {
    config: reauthenticate_config,
    steps: &[
        Login(0),
        Repeat(6, &[Advance(15_000), Request(0, get("/"), answer(200))]),
        Request(
            0,
            reauthenticate(WRONG),
            answer(401).fields(&[("error", r#""wrong_password""#)]),
        ),
        // 90 s after the sign-in: 10 s of the absolute limit left.
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("session_ms", "10000")]),
        ),
        Request(
            0,
            reauthenticate(RIGHT),
            answer(200).fields(&[
                ("active", "true"),
                ("idle_ms", "60000"),
                ("session_ms", "100000"),
            ]),
        ),
        // Beyond the old limit (100 s after the sign-in), still signed in.
        Repeat(
            4,
            &[
                Advance(15_000),
                Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
            ],
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("session_ms", "40000")]),
        ),
        Advance(40_001),
        Request(0, get("/"), EXPIRED_TO_LOGIN),
    ],
};

/// A right password gives the session a new id and keeps its data; the old
/// id signs nobody in.
pub async fn the_session_id_changes_and_the_data_stays(start: impl AsyncFn(Config) -> Target) {
    use crate::support::app::SESSION_COOKIE;
    let site = start(lock_config()).await;
    let browser = site.browser();
    browser.login().await;
    let before = browser.cookie(SESSION_COOKIE).expect("a session cookie");
    site.advance(20_000);
    let answer = browser
        .send(
            browser
                .client
                .post(browser.url(UNLOCK))
                .header("x-auto-logout", "1")
                .form(RIGHT),
        )
        .await;
    assert_eq!(answer.status, 200, "{}: {answer:?}", site.framework);
    let after = browser.cookie(SESSION_COOKIE).expect("a session cookie");
    assert_ne!(before, after, "{}: the id was not renewed", site.framework);
    let page = browser.get("/").await;
    assert_eq!(page.status, 200, "{}: {page:?}", site.framework);
    assert!(
        page.body.contains("Hello, demo"),
        "{}: data lost",
        site.framework
    );
    let old = crate::support::Browser::with_cookie(site.addr, SESSION_COOKIE, &before);
    assert!(
        !old.signed_in().await,
        "{}: the old id still signs in",
        site.framework
    );
}

/// The message after the last tab was closed.
pub const TABS_CLOSED: &str = "All tabs were closed: you were signed out.";

/// A presence lease of 2 minutes; idle 10 minutes, absolute 1 hour.
pub fn presence_config() -> Config {
    Config::builder()
        .idle_time(600)
        .session_time(3_600)
        .logout_on_tabs_closed("2m")
        .message(crate::support::app::DEFAULT_MESSAGE)
        .tabs_closed_message(TABS_CLOSED)
        .redirect_to_login_immediately(true)
        .passive_path("/static/")
        .build()
        .unwrap()
}

/// `LOGOUT_ON_TABS_CLOSED`: the script's passive status requests (an open
/// tab) and page loads keep the session beyond the lease; none for longer
/// than the lease ends it at its next request, with its own reason and
/// message.
pub const THE_LAST_TAB_CLOSED_ENDS_THE_SESSION: Scenario = Scenario {
    config: presence_config,
    steps: &[
        Login(0),
        // An open tab: a passive status request every quarter of the lease.
        Repeat(
            5,
            &[
                Advance(30_000),
                Request(0, get(STATUS), answer(200).fields(&[("active", "true")])),
            ],
        ),
        // Page loads (a reload, a navigation) renew it too.
        Repeat(
            3,
            &[
                Advance(100_000),
                Request(0, get("/"), answer(200).contains(&["Hello, demo"])),
            ],
        ),
        // Exactly the lease since the last renewal: still held.
        Advance(120_000),
        Request(0, get(STATUS), answer(200).fields(&[("active", "true")])),
        // Then no tab for longer than the lease.
        Advance(120_001),
        Request(
            0,
            get(STATUS),
            answer(200).json(r#"{"active": false, "reason": "closed"}"#),
        ),
        Request(0, get("/login"), answer(200).messages(&[TABS_CLOSED])),
        Request(0, get("/"), TO_LOGIN),
    ],
};

/// The demos' account page needs a sign-in, or a confirmation of the
/// password, within two minutes (`RequireRecentLogin`): each kind of request
/// is sent to confirm, and confirming (`AutoLogout::reauthenticated`)
/// restarts both clocks.
pub const SENSITIVE_PAGES_NEED_A_RECENT_SIGN_IN: Scenario = Scenario {
    config: login_url_config,
    steps: &[
        Login(0),
        Request(
            0,
            get("/account"),
            answer(200).contains(&["Account settings"]),
        ),
        Repeat(3, &[Advance(45_000), Request(0, get("/"), answer(200))]),
        Request(
            0,
            get("/account"),
            see_other("/reauthenticate?next=%2Faccount"),
        ),
        Request(
            0,
            get("/account").with(&[("sec-fetch-mode", "cors")]),
            answer(401).fields(&[
                ("error", r#""reauthentication_required""#),
                ("reauthenticate", r#""/reauthenticate?next=%2Faccount""#),
            ]),
        ),
        Request(
            0,
            get("/account").with(&[("hx-request", "true")]),
            answer(200).headers(&[("hx-redirect", Some("/reauthenticate?next=%2Faccount"))]),
        ),
        Request(
            0,
            get("/reauthenticate?next=/account"),
            answer(200).contains(&["Confirm it is you"]),
        ),
        Request(
            0,
            post("/reauthenticate").form(&[("password", "nope"), ("next", "/account")]),
            answer(401).contains(&["Wrong password."]),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("session_ms", "165000")]),
        ),
        Request(
            0,
            post("/reauthenticate").form(&[("password", "demo"), ("next", "/account")]),
            see_other("/account"),
        ),
        Request(
            0,
            get("/account"),
            answer(200).contains(&["Account settings"]),
        ),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("session_ms", "300000")]),
        ),
    ],
};

/// A right password restarts only the idle clock: the absolute limit still
/// ends a session that is unlocked again and again, and a locked one.
pub const THE_ABSOLUTE_LIMIT_ENDS_A_LOCKED_SESSION: Scenario = Scenario {
    config: lock_config,
    steps: &[
        Login(0),
        Repeat(
            14,
            &[
                Advance(20_000),
                Request(0, get(STATUS), answer(200).fields(LOCKED_STATUS)),
                Request(0, unlock(RIGHT), answer(200).fields(UNLOCKED_STATUS)),
            ],
        ),
        Advance(20_000),
        Request(
            0,
            get(STATUS),
            answer(200).fields(&[("locked", "true"), ("session_ms", "0")]),
        ),
        Advance(1),
        Request(
            0,
            get(STATUS),
            answer(200).json(r#"{"active": false, "reason": "session"}"#),
        ),
        Request(0, unlock(RIGHT), answer(200).fields(&[("active", "false")])),
    ],
};
