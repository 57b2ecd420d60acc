//! The idle-time promise over real HTTP on loopback, with an injected clock:
//! an idle logout never comes earlier than `IDLE_TIME` after the user's last
//! activity-counting request by more than 1 % of `IDLE_TIME`, and never later;
//! and what it costs in store writes.
//!
//! Every bound is measured from the instant of the user's own last request,
//! never from the deadline the server reports. On both stacks: each check
//! is given the stack's `start`.

use super::*;

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;

fn idle_config(idle_ms: u64) -> Config {
    Config::builder()
        .idle_time(Duration::from_millis(idle_ms))
        .build()
        .unwrap()
}

/// `true` when the passive `status` endpoint says the session is active. A
/// passive request never counts as activity, so it probes without moving the
/// user's last request.
async fn active_by_status(b: &Browser) -> bool {
    let status = b.get(STATUS).await.json();
    status["active"]
        .as_bool()
        .unwrap_or_else(|| panic!("status without `active`: {status}"))
}

/// 1 % of `IDLE_TIME`, in this test's own arithmetic (whole ms, at least 1).
fn one_percent(idle_ms: u64) -> u64 {
    (idle_ms / 100).max(1)
}

/// Signs in, sends a page after each gap (each must be served), then probes:
/// still signed in 1 ms before `0.99 x IDLE_TIME` after the last page (the
/// earliest the promise allows a logout), logged out 1 ms after `IDLE_TIME`
/// after it (the latest).
async fn logout_window(start: &impl AsyncFn(Config) -> Target, idle_ms: u64, gaps: &[u64]) {
    let site = start(idle_config(idle_ms)).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    for &gap in gaps {
        site.advance(gap);
        assert!(
            b.signed_in().await,
            "{framework}: IDLE_TIME {idle_ms} ms, gaps {gaps:?}: a page {gap} ms after the previous request \
             was refused"
        );
    }
    // The clock now stands at the instant of the user's last request.
    let earliest_allowed = idle_ms - one_percent(idle_ms);
    site.advance(earliest_allowed - 1);
    assert!(
        active_by_status(&b).await,
        "{framework}: IDLE_TIME {idle_ms} ms, gaps {gaps:?}: logged out {} ms after the last request, \
         earlier than IDLE_TIME by more than 1 %",
        earliest_allowed - 1
    );
    site.advance(idle_ms + 1 - (earliest_allowed - 1));
    assert!(
        !b.signed_in().await,
        "{framework}: IDLE_TIME {idle_ms} ms, gaps {gaps:?}: still signed in {} ms after the last request",
        idle_ms + 1
    );
}

/// Schedules that end on a request the write coalescing may skip: `g` is just
/// under 1 % of `IDLE_TIME`, so after a written request the next one `g`
/// later is the latest that can go unwritten (the largest lag there is).
fn schedules(idle_ms: u64) -> Vec<Vec<u64>> {
    let g = one_percent(idle_ms).saturating_sub(1).max(1);
    let longest = idle_ms * 99 / 100;
    vec![
        vec![g, g, g],
        vec![g; 7],
        vec![1],
        vec![999.min(longest)],
        vec![999.min(longest), 1],
        vec![longest, g, longest],
        vec![longest, longest, longest, 1],
    ]
}

pub async fn ten_requests_half_a_second_apart_at_idle_one_second_are_never_logged_out(
    start: impl AsyncFn(Config) -> Target,
) {
    let site = start(idle_config(SECOND)).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    // The page the sign-in redirects to, 1 ms later; then ten pages 0.5 s apart.
    site.advance(1);
    assert!(b.signed_in().await);
    let mut answers = Vec::new();
    for _ in 0..10 {
        site.advance(500);
        answers.push(b.get("/").await.status);
    }
    assert_eq!(
        answers, [200; 10],
        "{framework}: a user active every 0.5 s was logged out"
    );
    // And the logout after the tenth request comes on time: not before 990 ms,
    // by 1,001 ms.
    site.advance(989);
    assert!(
        active_by_status(&b).await,
        "{framework}: logged out 989 ms after the last page"
    );
    site.advance(12);
    assert!(
        !b.signed_in().await,
        "{framework}: still signed in 1,001 ms after the last page"
    );
}

pub async fn sign_in_a_page_999_ms_later_and_59_002_s_after_that_still_signed_in_at_idle_60_s(
    start: impl AsyncFn(Config) -> Target,
) {
    let site = start(idle_config(MINUTE)).await;
    let framework = site.framework;
    let b = site.browser();
    b.login().await;
    site.advance(999);
    assert!(b.signed_in().await);
    site.advance(59_002);
    assert!(
        b.signed_in().await,
        "{framework}: logged out 59.002 s after a page, 60.001 s after signing in"
    );
    site.advance(60_001);
    assert!(
        !b.signed_in().await,
        "{framework}: still signed in 60.001 s after the last page"
    );
}

pub async fn requests_every_99_percent_of_idle_time_are_never_logged_out(
    start: impl AsyncFn(Config) -> Target,
) {
    for idle_ms in [SECOND, MINUTE, 15 * MINUTE] {
        let site = start(idle_config(idle_ms)).await;
        let b = site.browser();
        b.login().await;
        site.advance(one_percent(idle_ms) - 1); // a page the coalescing may skip
        assert!(b.signed_in().await);
        for i in 0..5 {
            site.advance(idle_ms * 99 / 100);
            assert!(
                b.signed_in().await,
                "{}: IDLE_TIME {idle_ms} ms: request {i} at 0.99 x IDLE_TIME after the previous \
                 one was refused",
                site.framework
            );
        }
    }
}

/// [`logout_window`] for each of [`schedules`] at `IDLE_TIME` `idle_ms`.
pub async fn the_logout_window(start: impl AsyncFn(Config) -> Target, idle_ms: u64) {
    for gaps in schedules(idle_ms) {
        logout_window(&start, idle_ms, &gaps).await;
    }
}

/// Store writes of one signed-in session over one minute of injected time,
/// with a request every 100 ms (the only session: every write is its own).
async fn writes_per_minute(site: &Target) -> usize {
    let b = site.browser();
    b.login().await;
    let before = (site.writes)();
    for _ in 0..600 {
        site.advance(100);
        assert_eq!(b.get("/").await.status, 200, "{}", site.framework);
    }
    (site.writes)() - before
}

pub async fn store_writes_per_session_per_minute_at_idle_60_s_and_15_min(
    start: impl AsyncFn(Config) -> Target,
) {
    for idle_ms in [MINUTE, 15 * MINUTE] {
        let site = start(idle_config(idle_ms)).await;
        let writes = writes_per_minute(&site).await;
        let resolution = one_percent(idle_ms);
        // At most one write per 1 % of IDLE_TIME...
        let most = (MINUTE / resolution) as usize;
        // ...and at least one per 1 % of IDLE_TIME plus the 100 ms between
        // requests, or a request would go unrecorded for longer than 1 %.
        let least = (MINUTE / (resolution + 100)) as usize;
        println!(
            "{}: IDLE_TIME {} s: {writes} store writes per session per minute \
             (600 requests, one every 100 ms; bound {least}..={most})",
            site.framework,
            idle_ms / SECOND
        );
        assert!(
            (least..=most).contains(&writes),
            "{}: IDLE_TIME {idle_ms} ms: {writes} writes in a minute, expected {least}..={most}",
            site.framework
        );
    }
}
