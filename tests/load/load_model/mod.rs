//! Load against a model of the truth, shared by `tests/load/axum_load.rs` (axum) and
//! `tests/load/actix_load.rs` (actix-web).
//!
//! Thousands of sessions talk to a demo stack on loopback, each following its
//! own random schedule (seeded) of sign-ins, page loads, passive status polls,
//! keepalives, sign-outs and silences. All of them see one [`ManualClock`],
//! which the generator moves forward in steps; inside a step the clock stands
//! still and every session makes at most one request, so the time of every
//! request is known exactly.
//!
//! A reference model, written here without calling the crate, says for every
//! request whether the session must be alive, must be dead, or may be either:
//! a session is alive iff it is signed in, not signed out, `now − last
//! counting request ≤ IDLE_TIME` and `now − sign-in ≤ SESSION_TIME`. SPEC §3
//! lets an idle logout come up to 1 % of `IDLE_TIME` early (coalesced writes),
//! so "must be alive" needs `now − last counting request ≤ 0.99 × IDLE_TIME`,
//! and "must be dead" is `> IDLE_TIME`; in between both answers are right,
//! and a logout there is counted as early within the bound.
//!
//! The answer compared is what a client sees: `GET /` → `200` (signed in) or
//! `303` to `/login`; `GET /auto-logout/status` and `POST
//! /auto-logout/keepalive` → their JSON `active` (or `401`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auto_logout::ManualClock;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The limits every run uses (simulated time).
pub const IDLE_MS: u64 = 60_000;
/// See [`IDLE_MS`].
pub const SESSION_MS: u64 = 300_000;

/// How big a run is.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Independent clients (cookie jars), each with its own schedule.
    pub sessions: usize,
    /// Simulated time the run covers.
    pub minutes: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Seed of every schedule.
    pub seed: u64,
}

impl Plan {
    /// The short run CI makes (1,000 sessions for 6 simulated minutes in an
    /// unoptimised build, 2,000 for 12 in release), unless `AUTO_LOGOUT_LOAD_SESSIONS`,
    /// `AUTO_LOGOUT_LOAD_MINUTES`, `AUTO_LOGOUT_LOAD_CONCURRENCY` or
    /// `AUTO_LOGOUT_LOAD_SEED` say otherwise.
    pub fn from_env() -> Plan {
        fn var(name: &str, default: u64) -> u64 {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v:?}: expected a whole number")),
                Err(_) => default,
            }
        }
        // An unoptimised build (plain `cargo test`) is about twenty times
        // slower: its default run is smaller, still past SESSION_TIME.
        let (sessions, minutes) = if cfg!(debug_assertions) {
            (1000, 6)
        } else {
            (2000, 12)
        };
        Plan {
            sessions: var("AUTO_LOGOUT_LOAD_SESSIONS", sessions) as usize,
            minutes: var("AUTO_LOGOUT_LOAD_MINUTES", minutes),
            concurrency: var("AUTO_LOGOUT_LOAD_CONCURRENCY", 64) as usize,
            seed: var("AUTO_LOGOUT_LOAD_SEED", 11),
        }
    }
}

/// What the generator needs of a running stack.
pub struct Target {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    /// Store writes so far.
    pub writes: Arc<AtomicUsize>,
}

/// SplitMix64: small, seeded, and not the crate's.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Uniform in `0..100`.
    pub fn percent(&mut self) -> u64 {
        self.next_u64() % 100
    }
}

/// What a session does when its turn comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `POST /login` as demo/demo.
    SignIn,
    /// `GET /`: counts as activity.
    Page,
    /// `GET /auto-logout/status`: passive.
    Poll,
    /// `POST /auto-logout/keepalive` with `X-Auto-Logout: 1`: counts.
    Keepalive,
    /// `POST /logout`.
    SignOut,
}

impl Action {
    fn counts(self) -> bool {
        matches!(self, Action::Page | Action::Keepalive)
    }
}

/// What the model says about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    MustBeAlive,
    /// Idle for more than 0.99 × `IDLE_TIME` but not more than `IDLE_TIME`.
    Either,
    MustBeDead,
}

/// The truth about one session, kept from the requests it made and the
/// answers it got.
#[derive(Clone, Copy, Debug, Default)]
pub struct Truth {
    /// `(sign-in time, last counting request)` while signed in.
    pub signed_in: Option<(u64, u64)>,
}

impl Truth {
    /// Whether a request at `now` must find the session alive.
    pub fn verdict(&self, now: u64) -> Verdict {
        let Some((login, last)) = self.signed_in else {
            return Verdict::MustBeDead;
        };
        let idle = now - last;
        if now - login > SESSION_MS || idle > IDLE_MS {
            Verdict::MustBeDead
        } else if idle * 100 > IDLE_MS * 99 {
            Verdict::Either
        } else {
            Verdict::MustBeAlive
        }
    }
}

/// One client: its cookies, schedule and truth.
struct Session {
    cookies: HashMap<String, String>,
    rng: Rng,
    next_at: u64,
    truth: Truth,
}

impl Session {
    /// The time until this session's next request: mostly busy, often near
    /// the idle limit (both sides of the 1 % band), sometimes long silences.
    fn gap(&mut self) -> u64 {
        match self.rng.percent() {
            // Bursts shorter than the write resolution: activity the store
            // does not see until the next write, so the silence after it
            // tests the coalescing against the promise.
            0..=9 => self.rng.range(1, 700),
            10..=54 => self.rng.range(700, 10_000),
            55..=69 => self.rng.range(10_000, 58_000),
            70..=89 => self.rng.range(58_500, 61_000),
            _ => self.rng.range(61_000, 400_000),
        }
    }

    fn action(&mut self) -> Action {
        if self.truth.signed_in.is_none() {
            // Signed out: mostly sign in again, sometimes look at a page first.
            return match self.rng.percent() {
                0..=79 => Action::SignIn,
                80..=89 => Action::Page,
                _ => Action::Poll,
            };
        }
        match self.rng.percent() {
            0..=39 => Action::Page,
            40..=69 => Action::Poll,
            70..=94 => Action::Keepalive,
            _ => Action::SignOut,
        }
    }

    fn cookie_header(&self) -> String {
        let mut pairs: Vec<_> = self.cookies.iter().collect();
        pairs.sort();
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Applies `Set-Cookie` headers as a browser would (a `Max-Age=0` or an
    /// empty value removes the cookie).
    fn take_cookies(&mut self, headers: &reqwest::header::HeaderMap) {
        for value in headers.get_all(reqwest::header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
                continue;
            };
            let removed =
                value.is_empty() || parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

/// What the server said about the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Alive,
    /// Signed out, and the reason the JSON gave (`GET /` gives none).
    Dead(Said),
    /// Sign-in or sign-out done (their answers say nothing about liveness).
    Done,
    /// An answer the generator did not expect (its status).
    Unexpected(u16),
}

/// The reason a status or keepalive answer gave for a signed-out session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Said {
    Idle,
    Session,
    /// Another text.
    Other,
    /// `null` or no reason.
    Nothing,
    /// A page load, which gives no reason.
    NotAsked,
}

/// The figures of one run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub stack: String,
    pub store: String,
    /// The seed of the schedules and the requests in flight at once.
    pub seed: u64,
    pub concurrency: usize,
    pub sessions: usize,
    pub sign_ins: usize,
    pub requests: usize,
    /// Requests the model had a verdict for (page loads, polls, keepalives).
    pub checked: usize,
    pub server_errors: usize,
    pub unexpected: usize,
    /// Logged out although the model says "must be alive".
    pub early_beyond_bound: usize,
    /// Logged out in the 1 % band SPEC §3 allows.
    pub early_within_bound: usize,
    /// Checked requests that fell in that band (either answer is right).
    pub in_band: usize,
    /// Found alive although the model says "must be dead".
    pub late: usize,
    /// Expiries whose reported reason (`idle` / `session`) was judged, and
    /// how many of them named the wrong limit.
    pub reasons_checked: usize,
    pub wrong_reasons: usize,
    /// The store server's own peak memory, where it has one (Redis).
    pub store_memory: Option<String>,
    /// The most sessions signed in at one time (by the model).
    pub peak_signed_in: usize,
    /// Idle or session expiries the server reported where the model said so.
    pub expiries_seen: usize,
    /// Of those, the ones where `SESSION_TIME` had run out.
    pub session_expiries_seen: usize,
    pub store_writes: usize,
    pub simulated_minutes: f64,
    pub wall: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub peak_rss_kib: u64,
    /// The first few disagreements, for the failure message.
    pub examples: Vec<String>,
}

impl Report {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }

    /// Store writes per session per simulated minute.
    pub fn writes_per_session_minute(&self) -> f64 {
        self.store_writes as f64 / (self.sessions as f64 * self.simulated_minutes)
    }

    /// The one-line summary the tests print (as a Markdown table row).
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} / {} | {} | {} | {} | {} | {} / {} | {} | {} ({} session) | {:.0} req/s | {:.2} ms | {:.2} ms | {:.2} | {:.3} | {} MiB | {:.1} s |",
            self.stack,
            self.store,
            self.sessions,
            self.peak_signed_in,
            self.sign_ins,
            self.requests,
            self.server_errors,
            self.early_beyond_bound,
            self.early_within_bound,
            self.in_band,
            self.late,
            self.expiries_seen,
            self.session_expiries_seen,
            self.throughput(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.writes_per_session_minute(),
            self.store_writes as f64 / self.requests as f64,
            self.peak_rss_kib / 1024,
            self.wall.as_secs_f64(),
        )
    }

    /// The header of [`Report::row`].
    pub fn header() -> &'static str {
        "| stack | store | clients / most signed in at once | sign-ins | requests | 5xx | early beyond 1 % | early within 1 % / requests in the band | late | expiries seen (of them SESSION_TIME) | throughput | p50 | p99 | writes / session / min | writes / request | peak RSS | wall |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    }

    /// Writes the summary straight to the process's stderr (the harness
    /// keeps `eprintln!` of a passing test to itself).
    pub fn print(&self) {
        use std::io::Write;
        let text = format!(
            "\nload against the model, {} + {}: {:.1} simulated minutes, seed {}, {} in flight; \
             expiry reasons judged {}, wrong {}{}\n{}\n{}\n\n",
            self.stack,
            self.store,
            self.simulated_minutes,
            self.seed,
            self.concurrency,
            self.reasons_checked,
            self.wrong_reasons,
            self.store_memory
                .as_ref()
                .map(|m| format!("; redis-server used_memory_peak {m}"))
                .unwrap_or_default(),
            Report::header(),
            self.row()
        );
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    /// The CI assertions: no 5xx, nothing unexpected, no early logout beyond
    /// the §3 bound, no late one, and the run did something.
    pub fn assert_truthful(&self) {
        let detail = self.examples.join("\n");
        assert_eq!(self.server_errors, 0, "5xx answers\n{detail}");
        assert_eq!(self.unexpected, 0, "unexpected answers\n{detail}");
        assert_eq!(
            self.early_beyond_bound, 0,
            "logged out earlier than SPEC §3 allows\n{detail}"
        );
        assert_eq!(self.late, 0, "kept past a limit\n{detail}");
        assert_eq!(self.wrong_reasons, 0, "the wrong limit named\n{detail}");
        assert!(
            self.session_expiries_seen > 0
                && self.expiries_seen > self.session_expiries_seen
                && self.in_band > 0
                && self.reasons_checked > 0
                && self.checked > self.sessions,
            "the run exercised nothing: {self:?}"
        );
    }
}

/// Resets the process's peak resident size (Linux `clear_refs` 5), so the
/// run's own peak is measured; `false` where that is not possible.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` of this process in KiB (0 where unknown).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// One request and how the server answered it.
async fn send(
    client: &reqwest::Client,
    base: &str,
    action: Action,
    cookie: String,
) -> (Seen, reqwest::header::HeaderMap, Duration) {
    let started = Instant::now();
    let req = match action {
        Action::SignIn => client.post(format!("{base}/login")).form(&[
            ("username", "demo"),
            ("password", "demo"),
            ("next", "/"),
        ]),
        Action::Page => client.get(format!("{base}/")),
        Action::Poll => client.get(format!("{base}/auto-logout/status")),
        Action::Keepalive => client
            .post(format!("{base}/auto-logout/keepalive"))
            .header("x-auto-logout", "1"),
        Action::SignOut => client.post(format!("{base}/logout")),
    };
    let req = if cookie.is_empty() {
        req
    } else {
        req.header(reqwest::header::COOKIE, cookie)
    };
    let res = match req.send().await {
        Ok(res) => res,
        Err(err) => panic!("{action:?} failed: {err}"),
    };
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res.text().await.unwrap_or_default();
    let took = started.elapsed();
    let json = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default();
    let said = match json["reason"].as_str() {
        Some("idle") => Said::Idle,
        Some("session") => Said::Session,
        Some(_) => Said::Other,
        None => Said::Nothing,
    };
    let seen = match (action, status) {
        (_, 500..) => Seen::Unexpected(status),
        (Action::SignIn, 303) if location == "/" => Seen::Done,
        (Action::SignOut, 303) => Seen::Done,
        (Action::Page, 200) => Seen::Alive,
        (Action::Page, 303) if location.starts_with("/login") => Seen::Dead(Said::NotAsked),
        (Action::Poll | Action::Keepalive, 200) => match json["active"].as_bool() {
            Some(true) => Seen::Alive,
            Some(false) => Seen::Dead(said),
            None => Seen::Unexpected(status),
        },
        (Action::Keepalive, 401) => Seen::Dead(said),
        _ => Seen::Unexpected(status),
    };
    (seen, headers, took)
}

/// Drives `target` through `plan` and compares every answer with the model.
pub async fn run(stack: &str, store: &str, target: Target, plan: Plan) -> Report {
    let mut report = Report {
        stack: stack.to_owned(),
        store: store.to_owned(),
        sessions: plan.sessions,
        seed: plan.seed,
        concurrency: plan.concurrency,
        ..Report::default()
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(plan.concurrency)
        .build()
        .unwrap();
    let base = format!("http://{}", target.addr);
    let mut sessions: Vec<Session> = (0..plan.sessions)
        .map(|i| {
            let mut rng = Rng::new(plan.seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
            // Everyone arrives within the first ten simulated seconds.
            let next_at = rng.range(0, 10_000);
            Session {
                cookies: HashMap::new(),
                rng,
                next_at,
                truth: Truth::default(),
            }
        })
        .collect();
    let mut steps = Rng::new(plan.seed.rotate_left(17) ^ 0x5EED);
    let end = plan.minutes * 60_000;
    let writes_before = target.writes.load(Ordering::SeqCst);
    let mut latencies: Vec<Duration> = Vec::new();
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    reset_peak_rss();
    let started = Instant::now();
    let mut now = 0u64;
    while now < end {
        // Mostly steps of up to 4 s; some short ones, so requests also land
        // close to each session's limits.
        let step = if steps.percent() < 70 {
            steps.range(1, 4_000)
        } else {
            steps.range(1, 250)
        };
        target.clock.advance(Duration::from_millis(step));
        now += step;
        let mut tasks = JoinSet::new();
        for (i, s) in sessions.iter_mut().enumerate() {
            if s.next_at > now {
                continue;
            }
            let action = s.action();
            let verdict = s.truth.verdict(now);
            let cookie = s.cookie_header();
            let permit = permits.clone().acquire_owned().await.unwrap();
            let client = client.clone();
            let base = base.clone();
            tasks.spawn(async move {
                let out = send(&client, &base, action, cookie).await;
                drop(permit);
                (i, action, verdict, out)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (i, action, verdict, (seen, headers, took)) = done.expect("a request task");
            report.requests += 1;
            latencies.push(took);
            let s = &mut sessions[i];
            s.take_cookies(&headers);
            judge(&mut report, s, i, now, action, verdict, seen);
            let gap = s.gap();
            s.next_at = now + gap;
        }
        let signed_in = sessions
            .iter()
            .filter(|s| s.truth.signed_in.is_some())
            .count();
        report.peak_signed_in = report.peak_signed_in.max(signed_in);
    }
    report.wall = started.elapsed();
    report.simulated_minutes = now as f64 / 60_000.0;
    report.store_writes = target.writes.load(Ordering::SeqCst) - writes_before;
    report.peak_rss_kib = peak_rss_kib();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    report.p50 = at(0.50);
    report.p99 = at(0.99);
    report
}

/// Compares one answer with the model, and brings the model up to date.
fn judge(
    report: &mut Report,
    s: &mut Session,
    i: usize,
    now: u64,
    action: Action,
    verdict: Verdict,
    seen: Seen,
) {
    let note = |report: &mut Report, what: &str| {
        if report.examples.len() < 10 {
            report.examples.push(format!(
                "{what}: session {i} at +{now} ms, {action:?}, model {verdict:?} {:?}, server {seen:?}",
                s.truth
            ));
        }
    };
    match seen {
        Seen::Unexpected(status) => {
            if status >= 500 {
                report.server_errors += 1;
            } else {
                report.unexpected += 1;
            }
            note(report, "unexpected answer");
        }
        Seen::Done => match action {
            Action::SignIn => {
                report.sign_ins += 1;
                s.truth.signed_in = Some((now, now));
            }
            _ => s.truth.signed_in = None,
        },
        Seen::Alive | Seen::Dead(_) => {
            report.checked += 1;
            let alive = seen == Seen::Alive;
            if verdict == Verdict::Either {
                report.in_band += 1;
            }
            match (verdict, alive) {
                (Verdict::MustBeAlive, false) => {
                    report.early_beyond_bound += 1;
                    note(report, "early");
                }
                (Verdict::Either, false) => report.early_within_bound += 1,
                (Verdict::MustBeDead, true) => {
                    report.late += 1;
                    note(report, "late");
                }
                (Verdict::MustBeDead, false) => {
                    if let Some((login, last)) = s.truth.signed_in {
                        report.expiries_seen += 1;
                        if now - login > SESSION_MS {
                            report.session_expiries_seen += 1;
                        }
                        // The reason is the limit that ran out first; the
                        // server's idle deadline may be up to 1 % early, so
                        // only deadlines further apart than that are judged.
                        let idle_end = last + IDLE_MS;
                        let session_end = login + SESSION_MS;
                        let expected = if idle_end < session_end {
                            Said::Idle
                        } else if session_end + IDLE_MS / 100 < idle_end {
                            Said::Session
                        } else {
                            Said::NotAsked
                        };
                        if let Seen::Dead(said) = seen
                            && said != Said::NotAsked
                            && expected != Said::NotAsked
                        {
                            report.reasons_checked += 1;
                            if said != expected {
                                report.wrong_reasons += 1;
                                note(report, "wrong reason");
                            }
                        }
                    }
                }
                _ => {}
            }
            if !alive {
                s.truth.signed_in = None;
            } else if action.counts()
                && let Some((_, last)) = &mut s.truth.signed_in
            {
                *last = now;
            }
        }
    }
}

/// The configuration of every run: the demo's limits and message.
pub fn config() -> auto_logout::Config {
    auto_logout::Config::builder()
        .idle_time(IDLE_MS / 1000)
        .session_time(SESSION_MS / 1000)
        .message("You were signed out.")
        .build()
        .unwrap()
}

/// Runs one configuration at a time in a test binary, so the runs do not
/// share the two cores and each peak memory figure is its own.
pub static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes [`ONE_AT_A_TIME`] (a run that failed before does not stop the next).
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A runtime with two workers, as every run has.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One run against the model, alone in the process ([`one_at_a_time`]), on
/// its own [`runtime`]: its report printed, then judged.
pub fn check_run(run: impl Future<Output = Report>) {
    let _one = one_at_a_time();
    let report = runtime().block_on(run);
    report.print();
    report.assert_truthful();
}

/// [`check_run`] over a `redis-server` started for the run (`test` names the run
/// in the notice when there is none: it says so loudly and passes, unless
/// `AUTO_LOGOUT_REQUIRE_E2E=1`): `run` gets its URL, and the report the
/// server's peak memory.
pub fn check_run_on_redis(test: &str, run: impl AsyncFnOnce(String) -> Report) {
    let _one = one_at_a_time();
    let Some(redis) = crate::support::RedisServer::start(test) else {
        return;
    };
    let mut report = runtime().block_on(run(redis.url()));
    report.store_memory = redis_peak_memory(redis.port);
    report.print();
    report.assert_truthful();
}

/// `used_memory_peak_human` of the Redis server on `port` (`INFO memory`,
/// spoken in plain RESP), if it answers.
pub fn redis_peak_memory(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    conn.write_all(b"INFO memory\r\n").ok()?;
    let mut text = String::new();
    let mut buf = [0u8; 8192];
    while !text.contains("used_memory_peak_human:") || !text.ends_with("\r\n") {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("used_memory_peak_human:"))
        .map(|v| v.trim().to_owned())
}
