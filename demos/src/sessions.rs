//! "Your sessions", written once for both demos: the rows of the page (the
//! signed-in user's sessions as `own_sessions` lists them, with their times
//! in words), and the texts of the messages flashed after signing sessions
//! out, and the app's sweeper. Each demo's handlers call the integration's `AutoLogout` and render
//! `templates/sessions.html` with these rows.
//!
//! ```
//! use auto_logout::Timestamp;
//! use auto_logout_demos::sessions::When;
//!
//! let now = Timestamp::from_unix_millis(1_796_700_000_000);
//! let then = When::of(Timestamp::from_unix_millis(1_796_699_700_000), now);
//! assert_eq!(then.iso, "2026-12-08T03:15:00Z");
//! assert_eq!(then.text, "2026-12-08 03:15:00 UTC");
//! assert_eq!(then.relative, "5 min ago");
//! ```

use auto_logout::{Timestamp, UserSession};

/// One session as the page shows it. Never its id: the handle (for the
/// "Sign out" form's URL) is not the session id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SessionRow {
    /// For `POST /sessions/<handle>/logout`.
    pub handle: String,
    /// The session of the page's own request.
    pub current: bool,
    /// The browser and system, as described at sign-in.
    pub client: String,
    pub signed_in: When,
    pub last_activity: When,
    /// When the idle limit ends it if nothing happens (`None`: no idle limit).
    pub idle_ends: Option<When>,
    /// When the absolute limit ends it (`None`: no absolute limit).
    pub session_ends: Option<When>,
}

impl SessionRow {
    /// The rows of `sessions` (oldest first, as listed) at `now`.
    pub fn all(sessions: &[UserSession], now: Timestamp) -> Vec<SessionRow> {
        sessions
            .iter()
            .map(|session| SessionRow {
                handle: session.handle.clone(),
                current: session.current,
                client: session
                    .client
                    .clone()
                    .unwrap_or_else(|| "Unknown browser".to_owned()),
                signed_in: When::of(session.login_at, now),
                last_activity: When::of(session.last_activity_at, now),
                idle_ends: session.idle_ends_at.map(|at| When::of(at, now)),
                session_ends: session.session_ends_at.map(|at| When::of(at, now)),
            })
            .collect()
    }
}

/// An instant in words: for `<time datetime="{{ iso }}">{{ text }}</time>
/// ({{ relative }})`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct When {
    /// ISO 8601 in UTC, whole seconds: `2026-12-08T03:15:00Z`.
    pub iso: String,
    /// `2026-12-08 04:35:00 UTC`.
    pub text: String,
    /// From `now`: `just now`, `5 min ago`, `in 1 h 20 min`.
    pub relative: String,
}

impl When {
    /// `at` in words, seen at `now`.
    pub fn of(at: Timestamp, now: Timestamp) -> When {
        let (date, time) = utc(at.as_unix_millis().div_euclid(1000));
        When {
            iso: format!("{date}T{time}Z"),
            text: format!("{date} {time} UTC"),
            relative: relative(at.millis_since(now)),
        }
    }
}

/// `YYYY-MM-DD` and `HH:MM:SS` of `seconds` since the Unix epoch, in UTC
/// (the proleptic Gregorian calendar; days to a date as in Howard Hinnant's
/// `civil_from_days`).
fn utc(seconds: i64) -> (String, String) {
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            second_of_day / 3_600,
            second_of_day % 3_600 / 60,
            second_of_day % 60
        ),
    )
}

/// `millis` from now in words: `in 4 min`, `12 s ago`, `just now` within a
/// second; whole units, rounded down, at most two of them.
fn relative(millis: i64) -> String {
    let seconds = millis.unsigned_abs() / 1_000;
    if seconds == 0 {
        return "just now".to_owned();
    }
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    let amount = match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    };
    if millis < 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    }
}

/// The sweeper of one app (`AutoLogout::sweeper`), on the Tokio runtime the
/// app was built on, stopped when the app goes: a test that builds many apps
/// leaves no sweeper behind.
pub struct Sweeper(tokio::task::AbortHandle);

impl Sweeper {
    /// Spawns `sweeper` on the current Tokio runtime, its first round one
    /// `SWEEP_INTERVAL` (`interval`) from now; `None` outside a runtime (a
    /// router built before its runtime starts gets no sweeper: spawn
    /// `handle().sweeper()` yourself there).
    ///
    /// Not a round at once: at start-up it would only race the first
    /// requests (an actix-web worker that starts late would sweep while
    /// another serves), and a session the sweeper ends gets no logout hook
    /// on its next request.
    pub fn spawn(
        interval: std::time::Duration,
        sweeper: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Option<Sweeper> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let later = async move {
            tokio::time::sleep(interval).await;
            sweeper.await;
        };
        Some(Sweeper(runtime.spawn(later).abort_handle()))
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The message after "Sign out everywhere else" ended `count` sessions.
pub fn others_signed_out(count: usize) -> String {
    match count {
        0 => "You were not signed in anywhere else.".to_owned(),
        1 => "Signed out 1 other session.".to_owned(),
        n => format!("Signed out {n} other sessions."),
    }
}

/// The message after a session's "Sign out" (`ended`: it was still there).
pub fn one_signed_out(ended: bool) -> &'static str {
    if ended {
        "Signed out 1 session."
    } else {
        "That session had already ended."
    }
}

/// The message after the administrator signed `user` out everywhere,
/// `count` sessions.
pub fn user_signed_out(user: &str, count: usize) -> String {
    match count {
        1 => format!("Signed out 1 session of {user}."),
        n => format!("Signed out {n} sessions of {user}."),
    }
}

/// The message when the session was signed in without a user id for the
/// index (`SessionIndexError::NotSignedIn`): its other sessions are unknown.
pub const NOT_INDEXED: &str = "This session was signed in without a user id, so its other sessions are unknown. Sign out and in again.";
