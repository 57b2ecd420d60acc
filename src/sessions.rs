//! Every session of a user: who signed in, the index of their sessions kept
//! with the session store, and what acts across them — sign out everywhere,
//! sign out the other sessions, list and revoke one, a back-channel logout
//! by tag, a limit per user, and the sweeper that ends the sessions nobody
//! came back to.
//!
//! ```
//! use auto_logout::SignIn;
//!
//! // What the login call is told: the user's id, and optionally a tag (an
//! // identity provider's `sid`) and what the client is.
//! let sign_in = SignIn::user("ada")
//!     .tag("idp-sid-7f3a")
//!     .user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36");
//! assert_eq!(sign_in.user_id(), "ada");
//! assert_eq!(sign_in.client_description(), Some("Chrome on Linux"));
//! ```
//!
//! The integrations' `AutoLogout` handles (axum and actix-web) call into
//! this module; where the index lives depends on the store: in Redis with
//! the crate's [`RedisStore`](crate::redis::RedisStore), in the process with
//! the `AutoLogoutStore` wrappers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::config::{Config, ExpiryReason, SessionLimitPolicy};
use crate::decision::Decision;
use crate::stamps::{Stamps, ended_text};

/// A boxed future of the index's calls.
pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The session key the crate keeps a signed-in session's owner under (its
/// user, the handle of the session, its tag and client).
pub(crate) const OWNER_KEY: &str = "_auto_logout_owner";

/// How long after its own deadline the in-process index keeps the reason of
/// a session that ended while nobody was there, for its next request: a
/// day, as the Redis store's grace.
pub(crate) const ENDED_KEPT_MILLIS: i64 = 24 * 3_600_000;

/// Who signs in, for the login call that indexes the session
/// (`AutoLogout::sign_in` on axum and actix-web): the user's id, and
/// optionally a tag and a short description of the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct SignIn {
    user: String,
    tag: Option<String>,
    client: Option<String>,
}

impl SignIn {
    /// A sign-in of the user with this id (the application's, stable for
    /// the account: what `log_out_everywhere` is given later).
    pub fn user(id: impl Into<String>) -> SignIn {
        SignIn {
            user: id.into(),
            tag: None,
            client: None,
        }
    }

    /// Tags the session, for [`log_out_tagged`](crate::SignIn#tags): an
    /// identity provider's session id (`sid`), so its OpenID Connect
    /// back-channel logout ends exactly the sessions it signed in.
    pub fn tag(mut self, tag: impl Into<String>) -> SignIn {
        self.tag = Some(tag.into());
        self
    }

    /// A short description of the client, shown in "your sessions" (at
    /// most 100 characters are kept).
    pub fn client(mut self, description: impl Into<String>) -> SignIn {
        let description: String = description.into();
        self.client = Some(description.chars().take(100).collect());
        self
    }

    /// The client described from its `User-Agent` header: browser and
    /// system, like `"Firefox on Windows"` ([`describe_user_agent`]).
    pub fn user_agent(self, user_agent: &str) -> SignIn {
        let description = describe_user_agent(user_agent);
        self.client(description)
    }

    /// The user's id.
    pub fn user_id(&self) -> &str {
        &self.user
    }

    /// The tag, if any.
    pub fn tag_text(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The client's description, if any.
    pub fn client_description(&self) -> Option<&str> {
        self.client.as_deref()
    }

    /// The owner stored in the session, with a new random handle.
    pub(crate) fn owner(&self) -> Owner {
        Owner {
            user: self.user.clone(),
            handle: new_handle(),
            tag: self.tag.clone(),
            client: self.client.clone(),
        }
    }
}

/// A short description of a browser from its `User-Agent` header: `"Edge on
/// Windows"`, `"Safari on iPhone"`, `"Firefox on Linux"`, or `"Unknown
/// browser"`. Never more than the two names: the header is the client's and
/// says what it likes.
///
/// ```
/// use auto_logout::describe_user_agent;
///
/// let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
/// assert_eq!(describe_user_agent(firefox), "Firefox on Windows");
/// assert_eq!(describe_user_agent("curl/8.5.0"), "Unknown browser");
/// ```
pub fn describe_user_agent(user_agent: &str) -> String {
    let has = |needle: &str| user_agent.contains(needle);
    let browser = if has("Edg/") {
        Some("Edge")
    } else if has("OPR/") {
        Some("Opera")
    } else if has("Firefox/") {
        Some("Firefox")
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Android") {
        Some("Android")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, _) => "Unknown browser".to_owned(),
    }
}

/// A random handle for a session: 128 bits in hex, not the session id.
fn new_handle() -> String {
    let mut bytes = [0u8; 16];
    // The system's generator failing is no reason to refuse a sign-in: the
    // handle only needs to be unique among the user's sessions.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0)
            .to_le_bytes();
    }
    format!("{:032x}", u128::from_le_bytes(bytes))
}

/// The owner of a signed-in session, as kept in the session (under
/// [`OWNER_KEY`]) and in the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Owner {
    /// The user's id.
    #[serde(rename = "u")]
    pub(crate) user: String,
    /// The session's handle.
    #[serde(rename = "h")]
    pub(crate) handle: String,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub(crate) tag: Option<String>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub(crate) client: Option<String>,
}

impl Owner {
    /// The owner as JSON text.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The owner in `text`, if it is one (also as a JSON string that
    /// holds it, as the integrations' text writes leave it).
    #[cfg_attr(not(any(feature = "redis", feature = "actix")), allow(dead_code))]
    pub(crate) fn from_json(text: &str) -> Option<Owner> {
        match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::String(inner) => serde_json::from_str(&inner).ok(),
            value => Owner::deserialize(value).ok(),
        }
    }

    /// The owner in a session value, if it is one (an object, or a string
    /// that holds one).
    pub(crate) fn from_value(value: &serde_json::Value) -> Option<Owner> {
        match value {
            serde_json::Value::String(text) => serde_json::from_str(text).ok(),
            value => Owner::deserialize(value).ok(),
        }
    }
}

/// One session of a user, as [`sessions_of`](crate::SignIn#listing) lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserSession {
    /// A handle for this session, not its id: give it to `revoke`. Safe to
    /// put in a page or a URL.
    pub handle: String,
    /// When the user signed in.
    pub login_at: Timestamp,
    /// The last activity-counting request.
    pub last_activity_at: Timestamp,
    /// When the idle limit ends it if nothing happens (none: no idle limit).
    pub idle_ends_at: Option<Timestamp>,
    /// When the absolute limit ends it (none: no absolute limit).
    pub session_ends_at: Option<Timestamp>,
    /// The client's description given at sign-in.
    pub client: Option<String>,
    /// The tag given at sign-in.
    pub tag: Option<String>,
    /// `true` for the session of the request that asked.
    pub current: bool,
}

/// A live session found in the index: its id (the store's), its owner, its
/// stamps as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Indexed {
    pub(crate) id: String,
    pub(crate) owner: Owner,
    pub(crate) stamps: String,
}

impl Indexed {
    /// The listing of this session by `config`, at `now`; `None` when its
    /// stamps cannot be read.
    pub(crate) fn listed(&self, config: &Config, current: Option<&str>) -> Option<UserSession> {
        let stamps = Stamps::decode(&self.stamps).ok()?;
        let limits =
            config.limits_in_force(stamps.idle_limit_millis(), stamps.session_limit_millis());
        Some(UserSession {
            handle: self.owner.handle.clone(),
            login_at: stamps.login_at(),
            last_activity_at: stamps.last_activity_at(),
            idle_ends_at: limits
                .idle_millis
                .map(|limit| stamps.last_activity_at().saturating_add_millis(limit)),
            session_ends_at: limits
                .session_millis
                .map(|limit| stamps.login_at().saturating_add_millis(limit)),
            client: self.owner.client.clone(),
            tag: self.owner.tag.clone(),
            current: current == Some(self.owner.handle.as_str()),
        })
    }
}

/// The index of sessions by user and tag, as a store keeps it: in Redis
/// ([`RedisStore`](crate::redis::RedisStore)) or in the process
/// ([`MemoryIndex`], for the `AutoLogoutStore` wrappers).
pub(crate) trait SessionIndex: Send + Sync {
    /// The live sessions of `user`; entries of sessions that are gone are
    /// pruned on the way.
    fn sessions_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>>;
    /// The live sessions tagged `tag`.
    fn tagged<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>>;
    /// Ends the live session `session` for `reason`, leaving the reason for
    /// its next request, and takes it out of the index; with
    /// `only_if_unchanged`, only while its stamps are still those of
    /// `session` (the sweeper's decision). `true` when this call ended it:
    /// of every call, on every instance, and every request that finds the
    /// session expired, exactly one gets `true`.
    fn end<'a>(
        &'a self,
        session: &'a Indexed,
        reason: ExpiryReason,
        only_if_unchanged: bool,
    ) -> BoxFuture<'a, Result<bool, String>>;
    /// The sweeper: sessions whose check is due at `now`, each claimed for
    /// `lease_millis` (another sweeper does not get them meanwhile).
    fn due<'a>(
        &'a self,
        now: Timestamp,
        lease_millis: i64,
    ) -> BoxFuture<'a, Result<Vec<Indexed>, String>>;
    /// The sweeper: forgets the reasons kept for sessions that would have
    /// timed out more than [`ENDED_KEPT_MILLIS`] ago anyway (Redis drops
    /// them by their time to live: nothing to do there).
    fn forget_ended(&self, _config: &Config, _now: Timestamp) {}
    /// The sweeper: check `session` again at `at` (it is still active).
    fn check_at<'a>(
        &'a self,
        session: &'a Indexed,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// The in-process index of the `AutoLogoutStore` wrappers: every session
/// signed in through them, with the stamps of its last save, and the
/// reason of each session ended while nobody was there.
#[derive(Debug, Default)]
pub(crate) struct MemoryIndex {
    inner: Mutex<MemoryState>,
    /// How many sessions are ended and not yet told: while none, a load
    /// needs no lock.
    ended_count: AtomicUsize,
    /// How many sessions are indexed or ended: while none, an end needs no
    /// lock.
    tracked_count: AtomicUsize,
}

#[derive(Debug, Default)]
struct MemoryState {
    /// By session id.
    sessions: HashMap<String, Entry>,
    /// Session ids by user.
    by_user: HashMap<String, Vec<String>>,
    /// Ended sessions' reasons by session id, and their stamps then.
    ended: HashMap<String, (ExpiryReason, String)>,
    /// When each session is checked next by the sweeper.
    checks: HashMap<String, Timestamp>,
}

#[derive(Debug, Clone)]
struct Entry {
    owner: Owner,
    stamps: String,
}

impl MemoryIndex {
    /// Whether the index holds anything at all: while not, a request's end
    /// of a session has nothing to take out (and need not spell its id).
    pub(crate) fn any_tracked(&self) -> bool {
        self.tracked_count.load(Ordering::Relaxed) > 0
    }

    /// The counts, after a change under the lock.
    fn count(&self, state: &MemoryState) {
        self.ended_count.store(state.ended.len(), Ordering::Relaxed);
        self.tracked_count
            .store(state.ended.len() + state.sessions.len(), Ordering::Relaxed);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A session was written under `id` with this owner and stamps (a
    /// sign-in, or a later save): indexed, its stamps kept for listing.
    /// Without an owner or stamps, it leaves the index.
    pub(crate) fn saved(&self, id: &str, owner: Option<Owner>, stamps: Option<&str>) {
        let mut state = self.state();
        if state.ended.contains_key(id) {
            // Ended while this write was under way (an end takes no store
            // lock): it stays ended, and out of the index.
            return;
        }
        match (owner, stamps) {
            (Some(owner), Some(stamps)) => {
                let user = owner.user.clone();
                let entry = Entry {
                    owner,
                    stamps: stamps.to_owned(),
                };
                if state.sessions.insert(id.to_owned(), entry).is_none() {
                    state.by_user.entry(user).or_default().push(id.to_owned());
                    state
                        .checks
                        .insert(id.to_owned(), Timestamp::from_unix_millis(0));
                }
            }
            _ => state.forget(id),
        }
        self.count(&state);
    }

    /// Whether any session is ended and not yet told: while not, neither
    /// [`MemoryIndex::is_ended`] nor [`MemoryIndex::ended_stamps`] can say
    /// yes, and a caller need not even spell the id.
    pub(crate) fn any_ended(&self) -> bool {
        self.ended_count.load(Ordering::Relaxed) > 0
    }

    /// Whether a save of `id` must be dropped: the session was ended while
    /// nobody was there.
    pub(crate) fn is_ended(&self, id: &str) -> bool {
        self.ended_count.load(Ordering::Relaxed) > 0 && self.state().ended.contains_key(id)
    }

    /// The stamps text a load of `id` finds when the session was ended
    /// while nobody was there ([`ended_text`]).
    pub(crate) fn ended_stamps(&self, id: &str) -> Option<String> {
        if self.ended_count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.state()
            .ended
            .get(id)
            .map(|(reason, _)| ended_text(*reason))
    }

    /// The request path's end of `id` (an expiry it found, a logout, a
    /// flush): `false` when the session had already been ended while
    /// nobody was there (its `logout` event was written then). Takes it out
    /// of the index either way.
    pub(crate) fn claim_end(&self, id: &str) -> bool {
        let mut state = self.state();
        let ended_before = state.ended.remove(id).is_some();
        state.forget(id);
        self.count(&state);
        !ended_before
    }
}

impl MemoryState {
    fn forget(&mut self, id: &str) {
        self.checks.remove(id);
        if let Some(entry) = self.sessions.remove(id)
            && let Some(ids) = self.by_user.get_mut(&entry.owner.user)
        {
            ids.retain(|other| other != id);
            if ids.is_empty() {
                self.by_user.remove(&entry.owner.user);
            }
        }
    }

    fn indexed(&self, id: &str) -> Option<Indexed> {
        self.sessions.get(id).map(|entry| Indexed {
            id: id.to_owned(),
            owner: entry.owner.clone(),
            stamps: entry.stamps.clone(),
        })
    }
}

impl SessionIndex for MemoryIndex {
    fn sessions_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        let state = self.state();
        let found = state
            .by_user
            .get(user)
            .map(|ids| ids.iter().filter_map(|id| state.indexed(id)).collect())
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn tagged<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        let state = self.state();
        let found = state
            .sessions
            .iter()
            .filter(|(_, entry)| entry.owner.tag.as_deref() == Some(tag))
            .filter_map(|(id, _)| state.indexed(id))
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn end<'a>(
        &'a self,
        session: &'a Indexed,
        reason: ExpiryReason,
        only_if_unchanged: bool,
    ) -> BoxFuture<'a, Result<bool, String>> {
        let mut state = self.state();
        let live = match state.sessions.get(&session.id) {
            Some(entry) => !only_if_unchanged || entry.stamps == session.stamps,
            None => false,
        };
        if live {
            state.forget(&session.id);
            // Kept for its next request (its record stays in the wrapped
            // store until then); the sweeper forgets it a day after the
            // session would have timed out anyway.
            state
                .ended
                .insert(session.id.clone(), (reason, session.stamps.clone()));
            self.count(&state);
        }
        Box::pin(std::future::ready(Ok(live)))
    }

    fn due<'a>(
        &'a self,
        now: Timestamp,
        lease_millis: i64,
    ) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        let mut state = self.state();
        let due: Vec<String> = state
            .checks
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        let lease = now.saturating_add_millis(lease_millis);
        let mut found = Vec::with_capacity(due.len());
        for id in due {
            state.checks.insert(id.clone(), lease);
            found.extend(state.indexed(&id));
        }
        Box::pin(std::future::ready(Ok(found)))
    }

    fn forget_ended(&self, config: &Config, now: Timestamp) {
        if !self.any_ended() {
            return;
        }
        let mut state = self.state();
        state.ended.retain(|_, (_, stamps)| {
            let deadline = Stamps::decode(stamps)
                .ok()
                .and_then(|stamps| config.deadline_of(&stamps));
            // A session whose stamps say it timed out a day ago: any load of
            // its record would end it anyway.
            deadline.is_none_or(|deadline| deadline.saturating_add_millis(ENDED_KEPT_MILLIS) >= now)
        });
        self.count(&state);
    }

    fn check_at<'a>(
        &'a self,
        session: &'a Indexed,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), String>> {
        let mut state = self.state();
        if let Some(check) = state.checks.get_mut(&session.id) {
            *check = at;
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

/// How a sign-in makes room under `MAX_SESSIONS_PER_USER`: the sessions of
/// the user that end (evict-oldest), or the refusal (refuse-new).
pub(crate) enum Room {
    /// Room enough, or no limit.
    Free,
    /// These sessions end first (reason `replaced`), oldest sign-in first.
    Evict(Vec<Indexed>),
    /// Refused: the user has this many sessions already.
    Refused(u32),
}

/// What a sign-in of a user who has `sessions` needs under the
/// configuration's limit.
pub(crate) fn room_for_sign_in(config: &Config, mut sessions: Vec<Indexed>) -> Room {
    let Some(max) = config.max_sessions_per_user() else {
        return Room::Free;
    };
    let max = max as usize;
    if sessions.len() < max {
        return Room::Free;
    }
    match config.session_limit_policy() {
        SessionLimitPolicy::RefuseNew => Room::Refused(max as u32),
        SessionLimitPolicy::EvictOldest => {
            sessions.sort_by_key(|session| {
                Stamps::decode(&session.stamps)
                    .map(|stamps| stamps.login_at())
                    .unwrap_or(Timestamp::from_unix_millis(i64::MIN))
            });
            sessions.truncate(sessions.len() + 1 - max);
            Room::Evict(sessions)
        }
    }
}

/// Ends each of `sessions` for `reason` (an audit event for each this call
/// ended): how many it ended.
pub(crate) async fn end_all(
    index: &dyn SessionIndex,
    sessions: &[Indexed],
    reason: ExpiryReason,
    how: &'static str,
) -> Result<usize, String> {
    let mut ended = 0;
    for session in sessions {
        if index.end(session, reason, false).await? {
            crate::audit::session_revoked(reason, how);
            ended += 1;
        }
    }
    Ok(ended)
}

/// One round of the sweeper at `now`: each session whose check is due is
/// decided; one that timed out is ended (its `logout` event written with
/// `source = sweep`), one that is active is checked again at its deadline.
/// How many it ended.
pub(crate) async fn sweep_once(
    index: &dyn SessionIndex,
    config: &Config,
    now: Timestamp,
) -> Result<usize, String> {
    let interval = config.sweep_interval().as_millis() as i64;
    index.forget_ended(config, now);
    let mut ended = 0;
    for session in index.due(now, interval).await? {
        let Ok(stamps) = Stamps::decode(&session.stamps) else {
            // Not readable: its next request ends it (invalid).
            index
                .check_at(&session, now.saturating_add_millis(interval))
                .await?;
            continue;
        };
        match config.decide(&stamps, now) {
            Decision::Expired(reason) => {
                if index.end(&session, reason, true).await? {
                    crate::audit::swept(reason, &stamps, now);
                    ended += 1;
                } else {
                    // Saved meanwhile (its entry is updated then) or gone
                    // (its entry is gone): decided again next round if any.
                    index
                        .check_at(&session, now.saturating_add_millis(interval))
                        .await?;
                }
            }
            Decision::Active(_) => {
                // Strictly after the deadline: `remaining < 0` ends it.
                let at = config
                    .deadline_of(&stamps)
                    .map(|deadline| deadline.saturating_add_millis(1))
                    .unwrap_or(now.saturating_add_millis(interval));
                index.check_at(&session, at).await?;
            }
        }
    }
    Ok(ended)
}

/// The error of the calls across a user's sessions (`log_out_everywhere`,
/// `sessions_of`, `revoke`, ... on the integrations' `AutoLogout`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionIndexError {
    /// The store that keeps the index failed (Redis down, a timeout); the
    /// sessions ended before the failure stay ended.
    #[error("auto-logout: the index of the users' sessions failed: {0}")]
    Store(String),
    /// The session was not signed in with `AutoLogout::sign_in`, so it has
    /// no user in the index and its user's other sessions are unknown.
    #[error(
        "auto-logout: this session was not signed in with AutoLogout::sign_in (no user id \
         was given), so the sessions of its user are unknown"
    )]
    NotSignedIn,
}

impl From<String> for SessionIndexError {
    fn from(text: String) -> Self {
        SessionIndexError::Store(text)
    }
}

/// Why a sign-in found no room under `MAX_SESSIONS_PER_USER`.
enum NoRoom {
    /// `refuse-new`: the user has this many sessions.
    Refused(u32),
    /// The index failed.
    Index(String),
}

/// Makes room for a sign-in of `user` under `MAX_SESSIONS_PER_USER`: the
/// oldest sessions end (`evict-oldest`, reason `replaced`), or the sign-in
/// is refused (`refuse-new`). Without the limit, no store call.
async fn make_room(index: &dyn SessionIndex, config: &Config, user: &str) -> Result<(), NoRoom> {
    if config.max_sessions_per_user().is_none() {
        return Ok(());
    }
    let sessions = index.sessions_of(user).await.map_err(NoRoom::Index)?;
    match room_for_sign_in(config, sessions) {
        Room::Free => Ok(()),
        Room::Refused(max) => {
            crate::audit::sign_in_refused(max);
            Err(NoRoom::Refused(max))
        }
        Room::Evict(oldest) => end_all(index, &oldest, ExpiryReason::Replaced, "limit")
            .await
            .map(drop)
            .map_err(NoRoom::Index),
    }
}

/// What a sign-in writes into the session (the stamps, and the owner under
/// [`OWNER_KEY`]) once its limits are checked and room is made under
/// `MAX_SESSIONS_PER_USER`; the integrations' `sign_in_with_limits` write
/// them after renewing the session id.
pub(crate) async fn prepare_sign_in<E>(
    index: &dyn SessionIndex,
    config: &Config,
    now: Timestamp,
    sign_in: &SignIn,
    limits: &crate::limits::SessionLimits,
) -> Result<(Stamps, Owner), crate::limits::LoginError<E>> {
    use crate::limits::LoginError;
    let stamps = config
        .login_stamps(now, limits)
        .map_err(LoginError::Limits)?;
    make_room(index, config, sign_in.user_id())
        .await
        .map_err(|refused| match refused {
            NoRoom::Refused(max) => LoginError::TooManySessions { max },
            NoRoom::Index(text) => LoginError::Index(text),
        })?;
    Ok((stamps, sign_in.owner()))
}

/// The owner read from a session (`Ok(None)`: not signed in with
/// `sign_in`; `Err`: the session could not be read), as an answer.
pub(crate) fn owner_or_error(
    read: Result<Option<Owner>, String>,
) -> Result<Owner, SessionIndexError> {
    read.map_err(SessionIndexError::Store)?
        .ok_or(SessionIndexError::NotSignedIn)
}

/// The sessions of `user`, oldest sign-in first; `current` marks the one
/// of the asking request.
pub(crate) async fn list(
    index: &dyn SessionIndex,
    config: &Config,
    user: &str,
    current: Option<&Owner>,
) -> Result<Vec<UserSession>, SessionIndexError> {
    let current = current
        .filter(|owner| owner.user == user)
        .map(|owner| owner.handle.as_str());
    let mut listed: Vec<UserSession> = index
        .sessions_of(user)
        .await?
        .iter()
        .filter_map(|session| session.listed(config, current))
        .collect();
    listed.sort_by_key(|session| session.login_at);
    Ok(listed)
}

/// Ends every session of `user` but the one with the handle `keep`: how
/// many this call ended.
pub(crate) async fn end_sessions_of(
    index: &dyn SessionIndex,
    user: &str,
    keep: Option<&str>,
    how: &'static str,
) -> Result<usize, SessionIndexError> {
    let sessions: Vec<Indexed> = index
        .sessions_of(user)
        .await?
        .into_iter()
        .filter(|session| Some(session.owner.handle.as_str()) != keep)
        .collect();
    Ok(end_all(index, &sessions, ExpiryReason::Revoked, how).await?)
}

/// Ends the session of `user` with `handle`: `false` when there is none
/// (ended already, or not this user's).
pub(crate) async fn end_one(
    index: &dyn SessionIndex,
    user: &str,
    handle: &str,
) -> Result<bool, SessionIndexError> {
    let sessions: Vec<Indexed> = index
        .sessions_of(user)
        .await?
        .into_iter()
        .filter(|session| session.owner.handle == handle)
        .collect();
    Ok(end_all(index, &sessions, ExpiryReason::Revoked, "one").await? > 0)
}

/// Ends every session tagged `tag`: how many this call ended.
pub(crate) async fn end_tagged(
    index: &dyn SessionIndex,
    tag: &str,
) -> Result<usize, SessionIndexError> {
    let sessions = index.tagged(tag).await?;
    Ok(end_all(index, &sessions, ExpiryReason::Revoked, "tagged").await?)
}

/// The sweeper: a round every `SWEEP_INTERVAL`, for ever. A round that
/// fails (the store is down) is reported and the next one tries again.
pub(crate) async fn sweep_forever(
    index: std::sync::Arc<dyn SessionIndex>,
    config: Config,
    clock: std::sync::Arc<dyn Clock>,
) {
    let mut ticks = tokio::time::interval(config.sweep_interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = sweep_once(index.as_ref(), &config, clock.now()).await {
            crate::audit::store_failed("sweep", &error);
        }
    }
}

/// The sessions of the user signed in to a session (its owner, as read),
/// this one marked current.
pub(crate) async fn own_sessions(
    index: &dyn SessionIndex,
    config: &Config,
    owner: Result<Option<Owner>, String>,
) -> Result<Vec<UserSession>, SessionIndexError> {
    let owner = owner_or_error(owner)?;
    list(index, config, &owner.user, Some(&owner)).await
}

/// Ends every other session of the user signed in to a session (its owner,
/// as read).
pub(crate) async fn end_other_sessions(
    index: &dyn SessionIndex,
    owner: Result<Option<Owner>, String>,
) -> Result<usize, SessionIndexError> {
    let owner = owner_or_error(owner)?;
    end_sessions_of(index, &owner.user, Some(&owner.handle), "others").await
}

/// The methods of the integrations' `AutoLogout` handles that act across
/// users' sessions and need no request, written once: each handle holds
/// its `Shared` as `shared` and has `now()`.
macro_rules! index_methods {
    () => {
        /// Signs the user out everywhere: every session of `user` ends
        /// (reason `revoked`; each one's next request, on any instance, is
        /// told why, and its open pages leave at their next status check).
        /// For an account that is disabled or deleted, or an administrator's
        /// action (OWASP ASVS 7.4.2, 7.4.5). How many sessions this call
        /// ended.
        pub async fn log_out_everywhere(
            &self,
            user: &str,
        ) -> Result<usize, crate::SessionIndexError> {
            crate::sessions::end_sessions_of(
                self.shared.store.index.as_ref(),
                user,
                None,
                "everywhere",
            )
            .await
        }

        /// The sessions of `user` (signed in with `sign_in`), oldest first:
        /// sign-in time, last activity, when each limit ends it, the client
        /// and a handle for [`revoke`](Self::revoke). Entries of sessions
        /// that are gone are pruned on the way (OWASP ASVS 7.5.2, 7.4.5).
        pub async fn sessions_of(
            &self,
            user: &str,
        ) -> Result<Vec<crate::UserSession>, crate::SessionIndexError> {
            crate::sessions::list(
                self.shared.store.index.as_ref(),
                &self.shared.config,
                user,
                None,
            )
            .await
        }

        /// Ends the session of `user` with this `handle` (from
        /// [`sessions_of`](Self::sessions_of)), reason `revoked`: `false`
        /// when there is none (ended already, or not this user's: a handle
        /// never reaches another user's session).
        pub async fn revoke(
            &self,
            user: &str,
            handle: &str,
        ) -> Result<bool, crate::SessionIndexError> {
            crate::sessions::end_one(self.shared.store.index.as_ref(), user, handle).await
        }

        /// Ends every session tagged `tag` at sign-in
        /// ([`SignIn::tag`](crate::SignIn::tag)), reason `revoked`: an
        /// identity provider's back-channel logout of its session `sid`.
        /// How many this call ended.
        pub async fn log_out_tagged(&self, tag: &str) -> Result<usize, crate::SessionIndexError> {
            crate::sessions::end_tagged(self.shared.store.index.as_ref(), tag).await
        }

        /// The sweeper, to spawn once per instance (`tokio::spawn`, or
        /// `actix_web::rt::spawn`): every `SWEEP_INTERVAL` it ends the
        /// signed-in sessions that timed out while nobody came back, writes
        /// their `logout` audit event (`source = "sweep"`) and takes them out
        /// of the index. Once per session, whether a request or a sweeper
        /// finds it first, on any number of instances. Runs for ever.
        pub fn sweeper(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
            crate::sessions::sweep_forever(
                self.shared.store.index.clone(),
                self.shared.config.clone(),
                self.shared.clock.clone(),
            )
        }

        /// One round of the sweeper, now (for tests with a
        /// [`ManualClock`](crate::ManualClock), or a scheduler of your own):
        /// how many sessions it ended.
        pub async fn sweep(&self) -> Result<usize, crate::SessionIndexError> {
            let now = self.shared.clock.now();
            Ok(crate::sessions::sweep_once(
                self.shared.store.index.as_ref(),
                &self.shared.config,
                now,
            )
            .await?)
        }
    };
}
pub(crate) use index_methods;

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn owner(user: &str, handle: &str) -> Owner {
        Owner {
            user: user.to_owned(),
            handle: handle.to_owned(),
            tag: None,
            client: None,
        }
    }

    fn block<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn user_agents_are_described_in_two_words() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            ("", "Unknown browser"),
            ("<script>alert(1)</script>", "Unknown browser"),
        ];
        for (agent, description) in cases {
            assert_eq!(describe_user_agent(agent), description, "{agent}");
        }
        let long = SignIn::user("ada").client("x".repeat(500));
        assert_eq!(long.client_description().map(str::len), Some(100));
    }

    #[test]
    fn the_owner_round_trips_and_handles_differ() {
        let sign_in = SignIn::user("ada").tag("sid-1").client("Firefox on Linux");
        let (first, second) = (sign_in.owner(), sign_in.owner());
        assert_ne!(first.handle, second.handle);
        assert_eq!(first.handle.len(), 32);
        assert_eq!(Owner::from_json(&first.to_json()), Some(first.clone()));
        assert_eq!(Owner::from_json("{\"user\":1}"), None);
        assert_eq!(Owner::from_json("not json"), None);
    }

    #[test]
    fn the_memory_index_ends_a_session_once_and_leaves_its_reason() {
        let index = MemoryIndex::default();
        let stamps = Stamps::at_login(t(1_000)).encode();
        index.saved("s1", Some(owner("ada", "h1")), Some(&stamps));
        index.saved("s2", Some(owner("ada", "h2")), Some(&stamps));
        index.saved("s3", Some(owner("bob", "h3")), Some(&stamps));
        let ada = block(index.sessions_of("ada")).unwrap();
        assert_eq!(ada.len(), 2);
        let first = ada.iter().find(|s| s.id == "s1").unwrap().clone();
        assert!(block(index.end(&first, ExpiryReason::Revoked, false)).unwrap());
        // Once: a second end, and the request path's claim, find it ended.
        assert!(!block(index.end(&first, ExpiryReason::Revoked, false)).unwrap());
        assert!(index.is_ended("s1"));
        assert_eq!(index.ended_stamps("s1").as_deref(), Some("x.revoked"));
        assert!(!index.claim_end("s1"));
        assert!(!index.is_ended("s1"));
        // Another session's claim: ended here.
        assert!(index.claim_end("s2"));
        assert!(block(index.sessions_of("ada")).unwrap().is_empty());
        assert_eq!(block(index.sessions_of("bob")).unwrap().len(), 1);
        // A write of an ended session that was under way when it ended
        // does not index it again.
        let third = block(index.sessions_of("bob")).unwrap()[0].clone();
        assert!(block(index.end(&third, ExpiryReason::Revoked, false)).unwrap());
        index.saved("s3", Some(owner("bob", "h3")), Some(&stamps));
        assert!(block(index.sessions_of("bob")).unwrap().is_empty());
        assert!(!block(index.end(&third, ExpiryReason::Revoked, false)).unwrap());
        assert_eq!(index.ended_stamps("s3").as_deref(), Some("x.revoked"));
    }

    #[test]
    fn the_sweeper_ends_only_unchanged_sessions() {
        let index = MemoryIndex::default();
        let at_login = Stamps::at_login(t(0)).encode();
        index.saved("s1", Some(owner("ada", "h1")), Some(&at_login));
        let due = block(index.due(t(10), 60_000)).unwrap();
        assert_eq!(due.len(), 1);
        // Claimed for the lease: not due again meanwhile.
        assert!(block(index.due(t(20), 60_000)).unwrap().is_empty());
        // Activity saved meanwhile: the sweeper's decision is stale.
        let later = Stamps::new(t(0), t(5)).unwrap().encode();
        index.saved("s1", Some(owner("ada", "h1")), Some(&later));
        assert!(!block(index.end(&due[0], ExpiryReason::Idle, true)).unwrap());
        let fresh = block(index.sessions_of("ada")).unwrap();
        assert!(block(index.end(&fresh[0], ExpiryReason::Idle, true)).unwrap());
    }

    #[test]
    fn an_ended_sessions_reason_is_kept_a_day_past_its_own_deadline() {
        let index = MemoryIndex::default();
        let config = Config::builder().idle_time(60).build().unwrap();
        let stamps = Stamps::at_login(t(0)).encode();
        index.saved("s1", Some(owner("ada", "h1")), Some(&stamps));
        let ada = block(index.sessions_of("ada")).unwrap();
        assert!(block(index.end(&ada[0], ExpiryReason::Revoked, false)).unwrap());
        // The idle deadline is 60 s; its reason is kept a day beyond.
        index.forget_ended(&config, t(60_000 + ENDED_KEPT_MILLIS));
        assert_eq!(index.ended_stamps("s1").as_deref(), Some("x.revoked"));
        index.forget_ended(&config, t(60_001 + ENDED_KEPT_MILLIS));
        assert_eq!(index.ended_stamps("s1"), None);
        assert!(!index.any_ended());
    }

    #[test]
    fn a_sign_in_at_the_limit_evicts_the_oldest_or_is_refused() {
        let sessions: Vec<Indexed> = [30, 10, 20]
            .iter()
            .map(|login| Indexed {
                id: format!("s{login}"),
                owner: owner("ada", &format!("h{login}")),
                stamps: Stamps::at_login(t(*login)).encode(),
            })
            .collect();
        let evict = Config::builder()
            .idle_time(60)
            .max_sessions_per_user(2)
            .build()
            .unwrap();
        let Room::Evict(out) = room_for_sign_in(&evict, sessions.clone()) else {
            panic!("evict-oldest evicts");
        };
        let ids: Vec<&str> = out.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["s10", "s20"]);
        let refuse = Config::builder()
            .idle_time(60)
            .max_sessions_per_user(3)
            .session_limit_policy("refuse-new")
            .build()
            .unwrap();
        assert!(matches!(
            room_for_sign_in(&refuse, sessions.clone()),
            Room::Refused(3)
        ));
        assert!(matches!(
            room_for_sign_in(&refuse, sessions[..2].to_vec()),
            Room::Free
        ));
        let none = Config::builder().idle_time(60).build().unwrap();
        assert!(matches!(room_for_sign_in(&none, sessions), Room::Free));
    }
}
