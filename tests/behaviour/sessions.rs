//! Every session of a user over HTTP, on both stacks: several browsers
//! (each its own cookie jar) signed in as one user, and what acts across
//! them — revoke one, sign out the others, sign out everywhere, a
//! back-channel logout by tag, `MAX_SESSIONS_PER_USER` under both
//! policies, the sweeper, and the races of a sign-in or a slow request
//! with a revocation, and of a request with the sweeper.
//!
//! The library's calls are made by test-only routes each stack file adds
//! ([`SIGN_IN`], [`OWN`], [`LIST`], ...) through the `AutoLogout`
//! extractor; their answers are made here ([`listing`], [`ended`], ...),
//! so both stacks answer alike. A route that acts on no session is asked by
//! a browser without cookies (an administrator's page). The logout hook of
//! the sites counts its calls ([`HookCalls`]): a session ended while nobody
//! was there (revoked, replaced, swept) never runs it at its next request.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auto_logout::{Config, LoginError, SessionIndexError, UserSession};
use serde_json::{Value, json};

use super::{STATUS, Target};
use crate::support::app::{DEFAULT_MESSAGE, SESSION_COOKIE};
use crate::support::{Browser, Page};

/// `POST` (form `user`, optional `tag`): `AutoLogout::sign_in` of this
/// browser's session; answered by [`signed_in`].
pub const SIGN_IN: &str = "/t/sessions/sign-in";
/// `GET`: `own_sessions` of this browser's session ([`listing`]).
pub const OWN: &str = "/t/sessions/own";
/// `POST` (form `user`): `sessions_of` ([`listing`]).
pub const LIST: &str = "/t/sessions/list";
/// `POST` (form `user`, `handle`): `revoke` ([`revoked`]).
pub const REVOKE: &str = "/t/sessions/revoke";
/// `POST`: `log_out_other_sessions` of this browser's session ([`ended`]).
pub const OTHERS: &str = "/t/sessions/others";
/// `POST` (form `user`): `log_out_everywhere` ([`ended`]).
pub const EVERYWHERE: &str = "/t/sessions/everywhere";
/// `POST` (form `tag`): `log_out_tagged` ([`ended`]).
pub const TAGGED: &str = "/t/sessions/tagged";
/// `POST`: `sweep`, one round of the sweeper at the site's clock ([`ended`]).
pub const SWEEP: &str = "/t/sessions/sweep";

/// `REVOKED_MESSAGE` of [`sessions_config`].
pub const REVOKED_MESSAGE: &str = "Your session was ended from another device.";
/// `REPLACED_MESSAGE` of [`sessions_config`].
pub const REPLACED_MESSAGE: &str = "You signed in on another device, so this session ended.";
/// The user the demos' login signs in.
pub const DEMO: &str = "demo";
/// The crate's answer to a page of a session that ended (`LOGIN_URL`).
const TO_LOGIN: &str = "/login?next=%2F";
/// How many rounds each race runs.
pub const ROUNDS: usize = 40;

/// How many times the site's logout hook ran.
pub type HookCalls = Arc<AtomicUsize>;

/// Idle 60 s, absolute 300 s, `LOGIN_URL`, a message for each reason,
/// `SWEEP_INTERVAL` an hour.
pub fn sessions_config() -> Config {
    builder().build().unwrap()
}

fn builder() -> auto_logout::ConfigBuilder {
    Config::builder()
        .idle_time(60)
        .session_time(300)
        .message(DEFAULT_MESSAGE)
        .revoked_message(REVOKED_MESSAGE)
        .replaced_message(REPLACED_MESSAGE)
        .redirect_to_login_immediately(true)
        .login_url("/login")
        // Only the scenarios' own rounds: a sweeper the site may run in the
        // background waits an hour after its first round.
        .sweep_interval("1h")
}

/// [`sessions_config`] with `MAX_SESSIONS_PER_USER = 2` under `policy`.
pub fn limit_config(policy: &str) -> Config {
    builder()
        .max_sessions_per_user(2)
        .session_limit_policy(policy)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// The test routes' answers, the same on both stacks

/// The answer of a route: status and JSON text.
pub type Answer = (u16, String);

fn failed(error: impl Display) -> Answer {
    (500, json!({ "error": error.to_string() }).to_string())
}

/// [`OWN`] and [`LIST`]: each session's handle, tag, client and whether
/// it is the asking one's.
pub fn listing(result: Result<Vec<UserSession>, SessionIndexError>) -> Answer {
    match result {
        Ok(sessions) => {
            let listed: Vec<Value> = sessions
                .iter()
                .map(|s| {
                    json!({
                        "handle": s.handle,
                        "tag": s.tag,
                        "client": s.client,
                        "current": s.current,
                        "login_at": s.login_at.as_unix_millis(),
                    })
                })
                .collect();
            (200, Value::Array(listed).to_string())
        }
        Err(SessionIndexError::NotSignedIn) => (409, json!({"error": "not_signed_in"}).to_string()),
        Err(error) => failed(error),
    }
}

/// [`OTHERS`], [`EVERYWHERE`], [`TAGGED`], [`SWEEP`]: how many ended.
pub fn ended(result: Result<usize, SessionIndexError>) -> Answer {
    match result {
        Ok(count) => (200, json!({ "ended": count }).to_string()),
        Err(SessionIndexError::NotSignedIn) => (409, json!({"error": "not_signed_in"}).to_string()),
        Err(error) => failed(error),
    }
}

/// [`REVOKE`]: whether the call ended a session.
pub fn revoked(result: Result<bool, SessionIndexError>) -> Answer {
    match result {
        Ok(revoked) => (200, json!({ "revoked": revoked }).to_string()),
        Err(error) => failed(error),
    }
}

/// [`SIGN_IN`]: signed in, or refused with the limit; the route writes the
/// demo's user key only when this says `true`.
pub fn signed_in<E: Display>(result: Result<(), LoginError<E>>) -> (bool, Answer) {
    match result {
        Ok(()) => (true, (200, json!({ "signed_in": true }).to_string())),
        Err(LoginError::TooManySessions { max }) => (
            false,
            (409, json!({ "too_many_sessions": max }).to_string()),
        ),
        Err(error) => (false, failed(error)),
    }
}

/// The form fields of a test route.
pub type Form = HashMap<String, String>;

/// The form's `name`, or empty.
pub fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------------
// The scenarios' tools

/// One listed session, as [`listing`] answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub handle: String,
    pub tag: Option<String>,
    pub current: bool,
}

fn parse_listing(what: &str, page: &Page) -> Vec<Listed> {
    assert_eq!(page.status, 200, "{what}: {page:?}");
    page.json()
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list: {}", page.body))
        .iter()
        .map(|s| Listed {
            handle: s["handle"].as_str().unwrap().to_owned(),
            tag: s["tag"].as_str().map(str::to_owned),
            current: s["current"].as_bool().unwrap(),
        })
        .collect()
}

/// The site, a browser without cookies that calls the routes acting on no
/// session, and the hook's count.
struct Sessions {
    site: Target,
    admin: Browser,
    hooks: HookCalls,
}

impl Sessions {
    async fn start(start: &impl AsyncFn(Config, HookCalls) -> Target, config: Config) -> Self {
        let hooks = HookCalls::default();
        let site = start(config, hooks.clone()).await;
        let admin = site.browser();
        Sessions { site, admin, hooks }
    }

    fn what(&self, step: &str) -> String {
        format!("{}: {step}", self.site.framework)
    }

    fn hook_calls(&self) -> usize {
        self.hooks.load(Ordering::SeqCst)
    }

    /// A new browser signed in through the demo's login (user `demo`).
    async fn demo_browser(&self) -> Browser {
        let b = self.site.browser();
        b.login().await;
        b
    }

    /// A new browser signed in through [`SIGN_IN`] as `user`, with `tag`.
    async fn browser_of(&self, user: &str, tag: Option<&str>) -> Browser {
        let b = self.site.browser();
        let page = sign_in(&b, user, tag).await;
        assert_eq!(page.status, 200, "{}", self.what(&format!("{page:?}")));
        b
    }

    async fn admin_post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let page = self.admin.post_form(path, form).await;
        assert_eq!(
            page.status,
            200,
            "{}",
            self.what(&format!("{path}: {page:?}"))
        );
        page.json()
    }

    async fn list(&self, user: &str) -> Vec<Listed> {
        let page = self.admin.post_form(LIST, &[("user", user)]).await;
        parse_listing(&self.what("sessions_of"), &page)
    }

    async fn handles(&self, user: &str) -> Vec<String> {
        let mut handles: Vec<String> = self
            .list(user)
            .await
            .into_iter()
            .map(|s| s.handle)
            .collect();
        handles.sort();
        handles
    }

    async fn revoke(&self, user: &str, handle: &str) -> bool {
        let answer = self
            .admin_post(REVOKE, &[("user", user), ("handle", handle)])
            .await;
        answer["revoked"].as_bool().unwrap()
    }

    async fn everywhere(&self, user: &str) -> u64 {
        self.admin_post(EVERYWHERE, &[("user", user)]).await["ended"]
            .as_u64()
            .unwrap()
    }

    async fn tagged(&self, tag: &str) -> u64 {
        self.admin_post(TAGGED, &[("tag", tag)]).await["ended"]
            .as_u64()
            .unwrap()
    }

    async fn sweep(&self) -> u64 {
        self.admin_post(SWEEP, &[]).await["ended"].as_u64().unwrap()
    }

    /// The handle of `b`'s own session, from `own_sessions`.
    async fn handle_of(&self, b: &Browser) -> String {
        let own = parse_listing(&self.what("own_sessions"), &b.get(OWN).await);
        let current: Vec<&Listed> = own.iter().filter(|s| s.current).collect();
        assert_eq!(current.len(), 1, "{}", self.what(&format!("{own:?}")));
        current[0].handle.clone()
    }

    /// `b`'s next page is the demo's signed-in page.
    async fn assert_live(&self, b: &Browser, step: &str) {
        let page = b.get("/").await;
        assert_eq!(
            page.status,
            200,
            "{}",
            self.what(&format!("{step}: {page:?}"))
        );
    }

    /// `b`'s next page is the crate's answer to a session that ended, and
    /// the login page then shows `message`.
    async fn assert_ended_with(&self, b: &Browser, message: &str, step: &str) {
        let page = b.get("/").await;
        assert_eq!(
            page.status,
            303,
            "{}",
            self.what(&format!("{step}: {page:?}"))
        );
        assert_eq!(page.location(), Some(TO_LOGIN), "{}", self.what(step));
        let login = b.get("/login").await;
        assert_eq!(login.status, 200, "{}", self.what(step));
        assert_eq!(login.messages(), [message], "{}", self.what(step));
        // Signed out for good.
        let again = b.get(STATUS).await;
        assert_eq!(again.json()["active"], json!(false), "{}", self.what(step));
        assert_eq!(again.json()["reason"], Value::Null, "{}", self.what(step));
    }

    /// `b`'s status request tells why its session ended.
    async fn assert_status_reason(&self, b: &Browser, reason: &str, step: &str) {
        let page = b.get(STATUS).await;
        assert_eq!(page.status, 200, "{}", self.what(step));
        let status = page.json();
        assert_eq!(status["active"], json!(false), "{}", self.what(step));
        assert_eq!(status["reason"], json!(reason), "{}", self.what(step));
    }
}

async fn sign_in(b: &Browser, user: &str, tag: Option<&str>) -> Page {
    let mut form = vec![("user", user)];
    if let Some(tag) = tag {
        form.push(("tag", tag));
    }
    b.post_form(SIGN_IN, &form).await
}

fn sorted(mut handles: Vec<String>) -> Vec<String> {
    handles.sort();
    handles
}

// ---------------------------------------------------------------------------
// The behaviours

/// `revoke` with a handle from `sessions_of`: that browser's next page is
/// sent to the login page with `REVOKED_MESSAGE`, its status says
/// `revoked`, the others go on; a second revoke of the handle, or a handle
/// given with another user, ends nothing.
pub async fn revoking_one_session(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, sessions_config()).await;
    let mut demo = Vec::new();
    for _ in 0..4 {
        demo.push(s.demo_browser().await);
        s.site.advance(1_000);
    }
    let eve = s.browser_of("eve", None).await;
    let mut handles = Vec::new();
    for b in &demo {
        handles.push(s.handle_of(b).await);
    }
    let eve_handle = s.handle_of(&eve).await;
    assert_eq!(
        s.handles(DEMO).await,
        sorted(handles.clone()),
        "{}",
        s.what("listed")
    );
    assert_eq!(s.handles("eve").await, std::slice::from_ref(&eve_handle));

    // A handle never reaches another user's session.
    assert!(
        !s.revoke("eve", &handles[0]).await,
        "{}",
        s.what("cross-user")
    );
    assert!(
        !s.revoke(DEMO, &eve_handle).await,
        "{}",
        s.what("cross-user")
    );
    assert!(!s.revoke(DEMO, "not-a-handle").await);
    assert_eq!(s.list(DEMO).await.len(), 4);

    assert!(s.revoke(DEMO, &handles[0]).await, "{}", s.what("revoke 0"));
    assert!(s.revoke(DEMO, &handles[1]).await, "{}", s.what("revoke 1"));
    // Once.
    assert!(
        !s.revoke(DEMO, &handles[0]).await,
        "{}",
        s.what("revoke again")
    );
    assert_eq!(
        s.handles(DEMO).await,
        sorted(handles[2..].to_vec()),
        "{}",
        s.what("after revoke")
    );

    s.assert_ended_with(&demo[0], REVOKED_MESSAGE, "revoked, page")
        .await;
    s.assert_status_reason(&demo[1], "revoked", "revoked, status")
        .await;
    let page = demo[1].get("/").await;
    assert_eq!(page.status, 303, "{}", s.what("revoked after status"));
    s.assert_live(&demo[2], "untouched").await;
    s.assert_live(&demo[3], "untouched").await;
    s.assert_live(&eve, "other user").await;
    // Nothing revoked brings its session back; the handle is still spent.
    assert!(!s.revoke(DEMO, &handles[1]).await);
    assert_eq!(s.handles("eve").await, [eve_handle]);
    assert_eq!(s.hook_calls(), 0, "{}", s.what("no hook for a revocation"));
}

/// `log_out_other_sessions` from one browser: it stays signed in, every
/// other session of its user is revoked, another user's are untouched.
pub async fn signing_out_the_other_sessions(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, sessions_config()).await;
    let mut demo = Vec::new();
    for _ in 0..3 {
        demo.push(s.demo_browser().await);
    }
    let eve = s.browser_of("eve", None).await;
    let keeper = s.handle_of(&demo[1]).await;
    // A session signed in without `sign_in` has no user to act for.
    let anonymous = s.site.browser();
    let page = anonymous.post_form(OTHERS, &[]).await;
    assert_eq!(page.status, 409, "{}", s.what(&format!("{page:?}")));

    let page = demo[1].post_form(OTHERS, &[]).await;
    assert_eq!(page.status, 200, "{}", s.what(&format!("{page:?}")));
    assert_eq!(page.json()["ended"], json!(2), "{}", s.what("others"));
    let own = parse_listing(&s.what("own"), &demo[1].get(OWN).await);
    assert_eq!(
        own,
        [Listed {
            handle: keeper,
            tag: None,
            current: true
        }]
    );
    s.assert_live(&demo[1], "the caller").await;
    s.assert_ended_with(&demo[0], REVOKED_MESSAGE, "other 0")
        .await;
    s.assert_status_reason(&demo[2], "revoked", "other 2").await;
    s.assert_live(&eve, "other user").await;
    // Again: nothing left to end.
    let page = demo[1].post_form(OTHERS, &[]).await;
    assert_eq!(page.json()["ended"], json!(0), "{}", s.what("others again"));
    assert_eq!(s.hook_calls(), 0, "{}", s.what("no hook"));
}

/// `log_out_everywhere`: every session of the user ends, another user's
/// do not; and `log_out_tagged`: exactly the sessions signed in with that
/// tag, of any user, end — untagged ones and other tags go on.
pub async fn signing_out_everywhere_and_by_tag(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, sessions_config()).await;
    let demo = [s.demo_browser().await, s.demo_browser().await];
    let eve = s.browser_of("eve", None).await;
    assert_eq!(s.everywhere(DEMO).await, 2, "{}", s.what("everywhere"));
    assert!(s.list(DEMO).await.is_empty());
    assert_eq!(
        s.everywhere(DEMO).await,
        0,
        "{}",
        s.what("everywhere again")
    );
    s.assert_ended_with(&demo[0], REVOKED_MESSAGE, "everywhere 0")
        .await;
    s.assert_status_reason(&demo[1], "revoked", "everywhere 1")
        .await;
    s.assert_live(&eve, "other user").await;

    let sid1 = [
        s.browser_of("ada", Some("sid-1")).await,
        s.browser_of("bob", Some("sid-1")).await,
    ];
    let sid2 = s.browser_of("ada", Some("sid-2")).await;
    let untagged = s.browser_of("ada", None).await;
    assert_eq!(s.list("ada").await.len(), 3);
    assert_eq!(s.tagged("sid-0").await, 0, "{}", s.what("unknown tag"));
    assert_eq!(s.tagged("sid-1").await, 2, "{}", s.what("tagged"));
    assert_eq!(s.tagged("sid-1").await, 0, "{}", s.what("tagged again"));
    s.assert_ended_with(&sid1[0], REVOKED_MESSAGE, "tagged ada")
        .await;
    s.assert_status_reason(&sid1[1], "revoked", "tagged bob")
        .await;
    s.assert_live(&sid2, "another tag").await;
    s.assert_live(&untagged, "untagged").await;
    s.assert_live(&eve, "other user").await;
    let left: Vec<Option<String>> = s.list("ada").await.into_iter().map(|l| l.tag).collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&Some("sid-2".into())) && left.contains(&None));
    assert!(s.list("bob").await.is_empty());
    assert_eq!(s.hook_calls(), 0, "{}", s.what("no hook"));
}

/// `MAX_SESSIONS_PER_USER = 2`, `evict-oldest`: each sign-in over the limit
/// ends the oldest session (reason `replaced`, `REPLACED_MESSAGE`), the
/// two newest go on.
pub async fn the_limit_evicts_the_oldest(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, limit_config("evict-oldest")).await;
    let mut demo = Vec::new();
    for _ in 0..4 {
        demo.push(s.demo_browser().await);
        s.site.advance(1_000);
    }
    // Each sign-in over the limit ended the oldest one then.
    assert_eq!(s.list(DEMO).await.len(), 2, "{}", s.what("two listed"));
    let newest = sorted(vec![
        s.handle_of(&demo[2]).await,
        s.handle_of(&demo[3]).await,
    ]);
    assert_eq!(s.handles(DEMO).await, newest);
    s.assert_status_reason(&demo[0], "replaced", "oldest").await;
    s.assert_ended_with(&demo[1], REPLACED_MESSAGE, "second oldest")
        .await;
    s.assert_live(&demo[2], "newer").await;
    s.assert_live(&demo[3], "newest").await;
    // Through the test route, with another user beside.
    let eve = [
        s.browser_of("eve", None).await,
        s.browser_of("eve", None).await,
    ];
    s.site.advance(1_000);
    let third = s.browser_of("eve", None).await;
    s.assert_ended_with(&eve[0], REPLACED_MESSAGE, "eve's oldest")
        .await;
    s.assert_live(&eve[1], "eve's second").await;
    s.assert_live(&third, "eve's third").await;
    s.assert_live(&demo[3], "demo untouched by eve").await;
    assert_eq!(s.hook_calls(), 0, "{}", s.what("no hook"));
}

/// `refuse-new`: the third sign-in gets `TooManySessions { max: 2 }`,
/// nothing is written, the first two go on; after one of them signs out,
/// there is room again.
pub async fn the_limit_refuses_a_new_sign_in(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, limit_config("refuse-new")).await;
    let first = s.browser_of(DEMO, None).await;
    let second = s.browser_of(DEMO, None).await;
    let writes = (s.site.writes)();
    let third = s.site.browser();
    for _ in 0..3 {
        let page = sign_in(&third, DEMO, None).await;
        assert_eq!(page.status, 409, "{}", s.what(&format!("{page:?}")));
        assert_eq!(page.json()["too_many_sessions"], json!(2));
    }
    assert_eq!(
        (s.site.writes)(),
        writes,
        "{}",
        s.what("a refusal writes nothing")
    );
    assert_eq!(
        third.cookie(SESSION_COOKIE),
        None,
        "{}",
        s.what("no cookie")
    );
    assert_eq!(third.get("/").await.status, 303, "{}", s.what("refused"));
    assert_eq!(s.list(DEMO).await.len(), 2);
    s.assert_live(&first, "first").await;
    s.assert_live(&second, "second").await;
    // Another user has room of their own.
    s.browser_of("eve", None).await;
    // A sign-out makes room.
    let page = first.post_form("/logout", &[]).await;
    assert_eq!(page.status, 303, "{}", s.what("logout"));
    assert_eq!(
        s.list(DEMO).await.len(),
        1,
        "{}",
        s.what("signed out, unlisted")
    );
    let page = sign_in(&third, DEMO, None).await;
    assert_eq!(
        page.status,
        200,
        "{}",
        s.what(&format!("room again: {page:?}"))
    );
    s.assert_live(&third, "third, later").await;
    s.assert_live(&second, "second").await;
}

/// The demos' own login under `refuse-new`: refused with 409, and the
/// refused browser is not signed in (no user written without a session
/// that can end).
pub async fn the_demo_login_refused_signs_nobody_in(
    start: impl AsyncFn(Config, HookCalls) -> Target,
) {
    let s = Sessions::start(&start, limit_config("refuse-new")).await;
    let _first = s.demo_browser().await;
    let _second = s.demo_browser().await;
    let third = s.site.browser();
    let page = third
        .post_form(
            "/login",
            &[("username", "demo"), ("password", "demo"), ("next", "/")],
        )
        .await;
    assert_eq!(page.status, 409, "{}", s.what(&format!("{page:?}")));
    let home = third.get("/").await;
    assert_eq!(
        home.status,
        303,
        "{}",
        s.what(&format!("a refused sign-in is signed in: {home:?}"))
    );
    assert_eq!(s.list(DEMO).await.len(), 2);
}

/// The sweeper: a session left idle past `IDLE_TIME` is ended by one
/// round (once: the next round finds nothing), its next request is told
/// why and runs no hook; a session with activity before the round goes
/// on; one kept alive by a request every 59 s is never swept, until the
/// absolute limit ends it.
pub async fn the_sweeper_ends_idle_sessions_once(start: impl AsyncFn(Config, HookCalls) -> Target) {
    let s = Sessions::start(&start, sessions_config()).await;
    let idle = s.demo_browser().await;
    let busy = s.demo_browser().await;
    let steady = s.demo_browser().await;
    assert_eq!(s.sweep().await, 0, "{}", s.what("nothing due"));
    s.site.advance(30_000);
    s.assert_live(&busy, "busy").await;
    s.assert_live(&steady, "steady").await;
    // At the deadline itself: still active.
    s.site.advance(30_000);
    assert_eq!(s.sweep().await, 0, "{}", s.what("at the deadline"));
    s.site.advance(1);
    assert_eq!(s.sweep().await, 1, "{}", s.what("past the deadline"));
    assert_eq!(s.sweep().await, 0, "{}", s.what("once"));
    assert_eq!(s.list(DEMO).await.len(), 2, "{}", s.what("swept, unlisted"));
    s.assert_live(&busy, "busy, after the sweep").await;
    s.assert_live(&steady, "steady, after the sweep").await;
    s.assert_ended_with(&idle, DEFAULT_MESSAGE, "swept").await;
    assert_eq!(
        s.hook_calls(),
        0,
        "{}",
        s.what("no hook for a swept session")
    );
    // `busy` leaves by itself.
    assert_eq!(busy.post_form("/logout", &[]).await.status, 303);
    assert_eq!(
        s.list(DEMO).await.len(),
        1,
        "{}",
        s.what("signed out, unlisted")
    );
    // 60.001 s + 4 x 59 s = 296.001 s after the sign-in.
    for round in 0..4 {
        s.site.advance(59_000);
        assert_eq!(s.sweep().await, 0, "{}", s.what(&format!("round {round}")));
        s.assert_live(&steady, &format!("steady, round {round}"))
            .await;
    }
    s.site.advance(3_999);
    assert_eq!(s.sweep().await, 0, "{}", s.what("at the absolute limit"));
    s.site.advance(1);
    assert_eq!(s.sweep().await, 1, "{}", s.what("past the absolute limit"));
    s.assert_status_reason(&steady, "session", "steady").await;
    assert_eq!(
        s.hook_calls(),
        0,
        "{}",
        s.what("no hook for a swept session")
    );
}

/// A request and a sweep at the same instant past the deadline, many
/// rounds: each session ends exactly once (the sweep ended it, or the
/// request's logout ran the hook, never both), and the request is told
/// the expiry either way.
pub async fn a_request_racing_the_sweeper_ends_the_session_once(
    start: impl AsyncFn(Config, HookCalls) -> Target,
) {
    let s = Sessions::start(&start, sessions_config()).await;
    let (mut by_sweep, mut by_request) = (0, 0);
    for round in 0..ROUNDS {
        let what = s.what(&format!("round {round}"));
        let b = s.demo_browser().await;
        s.site.advance(60_001);
        let hooks = s.hook_calls();
        let (page, swept) = tokio::join!(b.get("/"), s.sweep());
        assert_eq!(page.status, 303, "{what}: {page:?}");
        assert_eq!(page.location(), Some(TO_LOGIN), "{what}");
        let hooked = s.hook_calls() - hooks;
        assert_eq!(
            swept as usize + hooked,
            1,
            "{what}: swept {swept}, hook {hooked}"
        );
        if swept == 1 {
            by_sweep += 1;
        } else {
            by_request += 1;
        }
        let login = b.get("/login").await;
        assert_eq!(login.messages(), [DEFAULT_MESSAGE], "{what}");
        assert_eq!(s.sweep().await, 0, "{what}: nothing left");
        assert!(s.list(DEMO).await.is_empty(), "{what}");
    }
    eprintln!(
        "{}: {by_sweep} rounds won by the sweeper, {by_request} by the request",
        s.site.framework
    );
}

/// A sign-in and `log_out_everywhere` of its user at the same time, many
/// rounds: the new session ends revoked, or it is live and listed by
/// `sessions_of` — never live and unlisted.
pub async fn a_sign_in_racing_a_revocation_is_never_lost(
    start: impl AsyncFn(Config, HookCalls) -> Target,
) {
    let s = Sessions::start(&start, sessions_config()).await;
    let (mut revoked, mut live) = (0, 0);
    for round in 0..ROUNDS {
        let what = s.what(&format!("round {round}"));
        s.everywhere(DEMO).await;
        let b = s.site.browser();
        let login = b.post_form(
            "/login",
            &[("username", "demo"), ("password", "demo"), ("next", "/")],
        );
        let (page, _) = tokio::join!(login, s.everywhere(DEMO));
        assert_eq!(page.status, 303, "{what}: {page:?}");
        let home = b.get("/").await;
        match home.status {
            200 => {
                live += 1;
                let listed = s.handles(DEMO).await;
                let own = s.handle_of(&b).await;
                assert_eq!(listed, [own], "{what}: live and listed");
            }
            303 => {
                revoked += 1;
                assert_eq!(home.location(), Some(TO_LOGIN), "{what}");
                let login = b.get("/login").await;
                assert_eq!(login.messages(), [REVOKED_MESSAGE], "{what}");
                assert!(s.list(DEMO).await.is_empty(), "{what}");
            }
            other => panic!("{what}: {other}: {home:?}"),
        }
    }
    eprintln!(
        "{}: {revoked} sign-ins revoked, {live} live and listed",
        s.site.framework
    );
}

/// A slow request of a browser (its session loaded before) writes its
/// session after the session was revoked: the revocation stays final —
/// not listed, told at the next request, not revoked twice.
pub async fn a_slow_write_never_brings_a_revoked_session_back(
    start: impl AsyncFn(Config, HookCalls) -> Target,
) {
    let s = Sessions::start(&start, sessions_config()).await;
    for how in ["revoke", "everywhere", "others"] {
        let what = s.what(how);
        let slow_one = s.demo_browser().await;
        let other = s.demo_browser().await;
        let handle = s.handle_of(&slow_one).await;
        s.site.advance(2_000); // so the slow request also records activity
        let b = slow_one.clone();
        let slow = tokio::spawn(async move { b.get(super::SLOW).await });
        tokio::time::timeout(Duration::from_secs(10), s.site.gate.entered.notified())
            .await
            .unwrap_or_else(|_| panic!("{what}: the slow page did not start"));
        match how {
            "revoke" => assert!(s.revoke(DEMO, &handle).await, "{what}"),
            "everywhere" => assert_eq!(s.everywhere(DEMO).await, 2, "{what}"),
            _ => {
                let page = other.post_form(OTHERS, &[]).await;
                assert_eq!(page.json()["ended"], json!(1), "{what}: {page:?}");
            }
        }
        s.site.gate.release.notify_one();
        let page = slow.await.unwrap();
        assert_eq!(page.status, 200, "{what}: {page:?}");
        let listed = s.handles(DEMO).await;
        assert!(!listed.contains(&handle), "{what}: listed again");
        assert!(!s.revoke(DEMO, &handle).await, "{what}: revoked twice");
        s.assert_ended_with(&slow_one, REVOKED_MESSAGE, how).await;
        s.everywhere(DEMO).await;
    }
    assert_eq!(s.hook_calls(), 0, "{}", s.what("no hook"));
}

/// The session key the crate keeps a signed-in session's owner under, as
/// `sign_in` writes it (user `u`, handle `h`): what a record the tests
/// write straight through a store wrapper holds to be indexed.
pub const OWNER_KEY: &str = "_auto_logout_owner";

/// The owner of [`OWNER_KEY`] for user [`DEMO`] with `handle`, as JSON.
pub fn demo_owner(handle: &str) -> Value {
    json!({ "u": DEMO, "h": handle })
}

/// Where a bare store's write waits, once armed.
#[derive(Debug, Default)]
pub struct WritePause {
    armed: std::sync::atomic::AtomicBool,
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl WritePause {
    /// The bare store's next write waits.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// What the bare store's write does first: says it is there and waits
    /// to be released, when armed (once).
    pub async fn wait_if_armed(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.entered.notify_one();
            self.release.notified().await;
        }
    }
}

/// A revocation that lands while the store wrapper writes the session
/// (after it checked the session was not ended, before its write and the
/// index's update): the revocation stays final — the session is not
/// listed again, not revoked twice, and its next load says `revoked`.
///
/// Each stack gives its store wrapper over a bare store whose write waits
/// at `pause` once armed: `create` stores a signed-in session of [`DEMO`]
/// through the wrapper; `save` saves it again through the wrapper;
/// `everywhere` and `listed` are the handle's `log_out_everywhere` and
/// `sessions_of(DEMO).len()`; `loaded` is the stamps text a load of the
/// session through the wrapper finds.
pub async fn a_revocation_inside_a_store_write_stays_final<K>(
    framework: &str,
    pause: &WritePause,
    create: impl AsyncFn(usize) -> K,
    save: impl AsyncFn(&K),
    everywhere: impl AsyncFn() -> usize,
    listed: impl AsyncFn() -> usize,
    loaded: impl AsyncFn(&K) -> Option<String>,
) {
    for round in 0..10 {
        let what = format!("{framework}, round {round}");
        let key = create(round).await;
        assert_eq!(listed().await, 1, "{what}: indexed");
        pause.arm();
        let mut saving = std::pin::pin!(save(&key));
        tokio::select! {
            () = &mut saving => panic!("{what}: the save never reached the bare store's write"),
            () = pause.entered.notified() => {}
        }
        assert_eq!(everywhere().await, 1, "{what}: revoked while written");
        pause.release.notify_one();
        saving.await;
        assert_eq!(listed().await, 0, "{what}: the write listed it again");
        assert_eq!(everywhere().await, 0, "{what}: revoked twice");
        assert_eq!(loaded(&key).await.as_deref(), Some("x.revoked"), "{what}");
        // A later write of the same session brings nothing back either.
        save(&key).await;
        assert_eq!(listed().await, 0, "{what}: a late write listed it");
        assert_eq!(loaded(&key).await.as_deref(), Some("x.revoked"), "{what}");
    }
}

/// Runs the list on one stack: `start` builds the demo with the test
/// routes and a logout hook that counts its calls.
#[macro_export]
macro_rules! sessions_tests {
    (start = $start:ident $(,)?) => {
        $crate::sessions_tests! {@tests $start;
            sessions_revoking_one_session => revoking_one_session,
            sessions_signing_out_the_other_sessions => signing_out_the_other_sessions,
            sessions_signing_out_everywhere_and_by_tag => signing_out_everywhere_and_by_tag,
            sessions_the_limit_evicts_the_oldest => the_limit_evicts_the_oldest,
            sessions_the_limit_refuses_a_new_sign_in => the_limit_refuses_a_new_sign_in,
            sessions_the_demo_login_refused_signs_nobody_in =>
                the_demo_login_refused_signs_nobody_in,
            sessions_the_sweeper_ends_idle_sessions_once => the_sweeper_ends_idle_sessions_once,
            sessions_a_request_racing_the_sweeper_ends_the_session_once =>
                a_request_racing_the_sweeper_ends_the_session_once,
            sessions_a_sign_in_racing_a_revocation_is_never_lost =>
                a_sign_in_racing_a_revocation_is_never_lost,
            sessions_a_slow_write_never_brings_a_revoked_session_back =>
                a_slow_write_never_brings_a_revoked_session_back,
        }
    };
    (@tests $start:ident; $($(#[$attr:meta])* $test:ident => $function:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        $(#[$attr])*
        async fn $test() {
            behaviour::sessions::$function($start).await;
        }
    )*};
}
