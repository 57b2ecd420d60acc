//! [`RedisStore`]: the crate's own Redis session store, for several instances
//! (standalone Redis or Redis Cluster), where a logout stays final on every
//! one of them.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn app() -> Result<(), Box<dyn std::error::Error>> {
//! use auto_logout::Config;
//! use auto_logout::axum::AutoLogoutLayer;
//! use auto_logout::redis::RedisStore;
//! use axum::Router;
//! use axum_messages::MessagesManagerLayer;
//! use tower_sessions::SessionManagerLayer;
//!
//! // `redis://host:port`, or `redis-cluster://host:port` for a Cluster.
//! let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
//! let config = Config::builder().idle_time("15m").session_time("8h").build()?;
//! let app: Router = Router::new()
//!     .layer(MessagesManagerLayer)
//!     .layer(AutoLogoutLayer::new(config, &store))
//!     .layer(SessionManagerLayer::new(store));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The same store serves actix-web: give it to `SessionMiddleware::new` and
//! to `AutoLogoutMiddleware::new` (feature `actix`).
//!
//! # Why a store of its own
//!
//! A web framework's session layer writes a request's session back at the
//! end of the request. A request that loaded the session before a logout on
//! another instance would write the signed-in session back afterwards. The
//! [`AutoLogoutStore`](crate::axum::AutoLogoutStore) wrappers prevent that
//! with a lock that exists in one process only. This store applies the
//! [save rule](crate::engine::save_rule) inside Redis instead, in one Lua script
//! (`EVALSHA`, re-loaded after `NOSCRIPT`) that touches one key, so it holds
//! across every instance, on a Cluster too, in one round trip and with no
//! read before the write:
//!
//! - a delete wins over every save in flight: a save never re-creates a record;
//! - a copy of an older login never overwrites a newer one;
//! - for the same login, last activity never moves back.
//!
//! An automatic logout deletes the record with `DEL`, and only the request
//! whose `DEL` removed it runs the logout hook: once per logout, whichever
//! instance gets there first.
//!
//! # Records and their time to live
//!
//! A session is one hash under `auto-logout:session:<id>` (the prefix is
//! [`RedisStore::with_key_prefix`]'s): its data as JSON, its stamps, and
//! the login and last activity the script compares. Its time to live
//! follows the session: Redis drops the record a grace
//! ([`RedisStore::with_grace`], one day by default) after the session's own
//! deadline, so a user who comes back the next day is still told why they
//! were signed out, and dead sessions never pile up. The time to live moves
//! in the same script call as the activity it follows. A record without
//! stamps (an anonymous session, a flash message) lives as long as the
//! session layer says.
//!
//! # Commands
//!
//! `HMGET` (load), `EVALSHA` / `SCRIPT LOAD` (save and create), `DEL`
//! (delete); inside the script `EXISTS`, `HMGET`, `HSET` with several
//! fields, `HDEL`, `HEXISTS`, `PTTL`, `PEXPIRE`. Redis 4 or later, and
//! Valkey, have all of them.
//!
//! # Outages
//!
//! [`RedisStore::connect`] sets the production defaults: every command gives
//! up after two seconds, and a lost connection reconnects forever with a
//! backoff of 100 ms doubling to 2 s. While Redis is down or hung, each
//! request gets the middleware's `503` within about two seconds; when it is
//! back, service resumes without a restart, and nothing is undone.

#[cfg(feature = "actix")]
mod actix;
mod index;
#[cfg(feature = "axum")]
mod tower;

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fred::clients::Pool;
use fred::interfaces::{ClientLike, HashesInterface};
use fred::types::scripts::Script;

use crate::clock::{Clock, Timestamp};
use crate::config::Config;
use crate::sessions::Owner;
use crate::stamps::Stamps;
use crate::store_lock::{self, BoxFuture, EndOnce, GuardedStore, StoreLink, StoreLocks};

/// The fred crate this store is built on (version 10), for its `Pool`,
/// `Builder` and `Config` when [`RedisStore::connect`]'s defaults do not fit.
pub use fred;

/// The save rule as a Lua script, one key per call.
const SAVE_SCRIPT: &str = include_str!("save.lua");

/// Ending a session while nobody is there, and the sweeper's claim.
const INDEX_SCRIPT: &str = include_str!("index.lua");

/// How many sessions one sweeper round claims at most.
const SWEEP_BATCH: usize = 500;

/// How long a command may take before the request gets its `503`.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The grace after a session's deadline before Redis drops its record.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest time to live a record is given, so that a save never hands
/// Redis a time to live of zero or below (which would delete at once).
const SHORTEST_TTL_MILLIS: i64 = 1_000;

/// The longest time to live a record is given (about ten years).
const LONGEST_TTL_MILLIS: i64 = 10 * 366 * 24 * 3_600_000;

/// A session store on Redis (standalone or Cluster) that applies the save
/// rule inside Redis: see the [module docs](self).
///
/// Clones share the connection pool, the loaded script and the settings.
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool,
    script: Script,
    index_script: Script,
    prefix: String,
    grace_millis: i64,
    timeout: Option<Duration>,
    locks: Arc<StoreLocks>,
    /// The configuration and clock of the middleware this store serves,
    /// for each record's time to live (none yet: the session layer's).
    timing: RwLock<Option<(Config, Arc<dyn Clock>)>>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.shared.prefix)
            .field("grace_millis", &self.shared.grace_millis)
            .field("timeout", &self.shared.timeout)
            .finish_non_exhaustive()
    }
}

/// What a save did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Saved {
    /// Nothing written: the record is gone, or the store holds another login.
    Dropped,
    /// Ours written.
    Written,
    /// Ours written with the stored stamps (same login, later activity).
    Merged,
}

/// The stamps of a record being written, as the script compares them.
pub(crate) enum OurStamps<'a> {
    /// None: logged out, or never tracked.
    None,
    /// A text this crate does not read.
    Unreadable(&'a str),
    /// Readable stamps, and their text.
    Readable(Stamps, &'a str),
}

impl<'a> OurStamps<'a> {
    /// Classifies a stamps text.
    pub(crate) fn of(text: Option<&'a str>) -> Self {
        match text {
            None => OurStamps::None,
            Some(text) => match Stamps::decode(text) {
                Ok(stamps) => OurStamps::Readable(stamps, text),
                Err(_) => OurStamps::Unreadable(text),
            },
        }
    }
}

/// A record as stored: its data (JSON, without the stamps), its stamps
/// text, its own expiry text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Loaded {
    pub(crate) data: String,
    pub(crate) stamps: Option<String>,
    pub(crate) expiry: Option<String>,
}

impl RedisStore {
    /// A store over `pool`, which must be initialised (`pool.init()`).
    /// Prefer [`RedisStore::connect`], which sets timeouts and reconnection;
    /// with a pool of your own, set a command timeout on it (or use
    /// [`RedisStore::with_timeout`]) so an outage answers fast.
    pub fn new(pool: Pool) -> Self {
        RedisStore {
            shared: Arc::new(Shared {
                pool,
                script: Script::from_lua(SAVE_SCRIPT),
                index_script: Script::from_lua(INDEX_SCRIPT),
                prefix: "auto-logout:session:".to_owned(),
                grace_millis: DEFAULT_GRACE.as_millis() as i64,
                timeout: Some(COMMAND_TIMEOUT),
                locks: Arc::new(StoreLocks::new()),
                timing: RwLock::new(None),
            }),
        }
    }

    /// Connects to `url` with production defaults: `redis://host:port` for
    /// one server, `redis-cluster://host:port` (any node; the others are
    /// discovered) for a Redis Cluster. A pool of four connections; every
    /// command gives up after [`COMMAND_TIMEOUT`]; a connection that stops
    /// answering is closed, and a lost one reconnects forever (100 ms
    /// doubling to 2 s). Fails when the URL is wrong or Redis cannot be
    /// reached within the timeout.
    pub async fn connect(url: &str) -> Result<Self, fred::error::Error> {
        use fred::types::config::{Config as RedisConfig, ReconnectPolicy, UnresponsiveConfig};
        let pool = fred::types::Builder::from_config(RedisConfig::from_url(url)?)
            .with_performance_config(|performance| {
                performance.default_command_timeout = COMMAND_TIMEOUT;
            })
            .with_connection_config(|connection| {
                // A command is one small write: send it at once (no Nagle
                // delay behind the previous command's unacknowledged bytes).
                connection.tcp.nodelay = Some(true);
                connection.connection_timeout = COMMAND_TIMEOUT;
                connection.internal_command_timeout = COMMAND_TIMEOUT;
                connection.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(COMMAND_TIMEOUT),
                    interval: Duration::from_millis(500),
                };
            })
            // 0 attempts: never give up.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_pool(4)?;
        match tokio::time::timeout(COMMAND_TIMEOUT * 5, pool.init()).await {
            Ok(result) => {
                result?;
            }
            Err(_) => {
                let _ = pool.quit().await;
                return Err(fred::error::Error::new(
                    fred::error::ErrorKind::Timeout,
                    format!("no answer from {url} within {:?}", COMMAND_TIMEOUT * 5),
                ));
            }
        };
        // The pool's own command timeout bounds every call: no second timer.
        Ok(RedisStore::new(pool).with_timeout(None))
    }

    /// Keys start with `prefix` (default `auto-logout:session:`), then the
    /// session id.
    pub fn with_key_prefix(self, prefix: impl Into<String>) -> Self {
        self.with_shared(|shared| shared.prefix = prefix.into())
    }

    /// Redis drops a record `grace` after its session's own deadline
    /// (default [`DEFAULT_GRACE`], one day). Until then a request with the
    /// old cookie is told why the session ended.
    pub fn with_grace(self, grace: Duration) -> Self {
        let millis = grace.as_millis().min(LONGEST_TTL_MILLIS as u128) as i64;
        self.with_shared(|shared| shared.grace_millis = millis)
    }

    /// Fails every store call that takes longer than `limit`, whatever the
    /// pool's own settings; `None` waits as long as the pool does. The
    /// default is [`COMMAND_TIMEOUT`] for a store made with
    /// [`RedisStore::new`], and none for [`RedisStore::connect`], whose pool
    /// already gives up after [`COMMAND_TIMEOUT`].
    pub fn with_timeout(self, limit: Option<Duration>) -> Self {
        self.with_shared(|shared| shared.timeout = limit)
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.shared.pool
    }

    /// The settings are fixed once the store is shared (cloned or linked).
    fn with_shared(mut self, change: impl FnOnce(&mut Shared)) -> Self {
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => change(shared),
            None => panic!("RedisStore: change its settings before cloning it or linking it"),
        }
        self
    }

    fn key(&self, id: &str) -> String {
        let mut key = String::with_capacity(self.shared.prefix.len() + id.len());
        key.push_str(&self.shared.prefix);
        key.push_str(id);
        key
    }

    /// `call`, failed when it outlasts the store's timeout.
    async fn timed<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, fred::error::Error>>,
    ) -> Result<T, fred::error::Error> {
        store_lock::timed(self.shared.timeout, call, |text| {
            fred::error::Error::new(fred::error::ErrorKind::Timeout, text)
        })
        .await
    }

    /// Marks the store used by the session layer.
    pub(crate) fn mark_used(&self) {
        self.shared.locks.mark_used();
    }

    /// The record of `id`, or `None` when there is none.
    pub(crate) async fn load_record(&self, id: &str) -> Result<Option<Loaded>, fred::error::Error> {
        let client = self.shared.pool.next();
        let fields: Vec<Option<String>> = self
            .timed(client.hmget(self.key(id), vec!["d", "s", "e"]))
            .await?;
        let mut fields = fields.into_iter();
        let (data, stamps, expiry) = (
            fields.next().flatten(),
            fields.next().flatten(),
            fields.next().flatten(),
        );
        Ok(match data {
            Some(data) => Some(Loaded {
                data,
                stamps,
                expiry: expiry.filter(|text| !text.is_empty()),
            }),
            // Ended while nobody was there: only the stamps that say why,
            // for its next request.
            None => stamps
                .filter(|text| crate::stamps::ended_reason(text).is_some())
                .map(|stamps| Loaded {
                    data: "{}".to_owned(),
                    stamps: Some(stamps),
                    expiry: None,
                }),
        })
    }

    /// Writes a record under a new `id`, only if there is none: `false`
    /// when the id is taken.
    ///
    /// A sign-in (`owner`: the session's owner as JSON) is indexed first,
    /// so a revocation of its user never misses it.
    pub(crate) async fn create_record(
        &self,
        id: &str,
        data: &str,
        stamps: OurStamps<'_>,
        expiry: &str,
        record_ttl_millis: i64,
        owner: Option<&str>,
    ) -> Result<bool, fred::error::Error> {
        if let Some(owner) = owner.and_then(Owner::from_json) {
            let first_check = match &stamps {
                OurStamps::Readable(stamps, _) => self.first_check(stamps),
                _ => None,
            };
            self.index_session(id, &owner, first_check).await?;
        }
        let saved = self
            .run_script("c", id, data, stamps, expiry, record_ttl_millis, owner)
            .await?;
        Ok(saved == Saved::Written)
    }

    /// Saves a record by the save rule, inside Redis.
    pub(crate) async fn save_record(
        &self,
        id: &str,
        data: &str,
        stamps: OurStamps<'_>,
        expiry: &str,
        record_ttl_millis: i64,
    ) -> Result<Saved, fred::error::Error> {
        self.run_script("s", id, data, stamps, expiry, record_ttl_millis, None)
            .await
    }

    /// Sets the time to live of a record without stamps (a record with
    /// stamps keeps the one that follows its session): actix-session's
    /// `update_ttl`.
    #[cfg(feature = "actix")]
    pub(crate) async fn touch_record(
        &self,
        id: &str,
        record_ttl_millis: i64,
    ) -> Result<(), fred::error::Error> {
        self.run_script("t", id, "", OurStamps::None, "", record_ttl_millis, None)
            .await
            .map(|_| ())
    }

    /// Deletes the record of `id`: `true` when this call ended a live
    /// session (not one already ended while nobody was there). A signed-in
    /// session leaves the index of its user too.
    pub(crate) async fn delete_record(&self, id: &str) -> Result<bool, fred::error::Error> {
        let answer: String = self
            .eval(
                &self.shared.index_script,
                self.key(id),
                vec!["e".to_owned()],
            )
            .await?;
        let Some(owner) = answer.strip_prefix('1') else {
            return Ok(false);
        };
        if let Some(owner) = Owner::from_json(owner) {
            self.unindex(id, &owner).await?;
        }
        Ok(true)
    }

    /// Runs `script` on `key` (`EVALSHA`, loaded after `NOSCRIPT`).
    async fn eval<T: fred::types::FromValue>(
        &self,
        script: &Script,
        key: String,
        args: Vec<String>,
    ) -> Result<T, fred::error::Error> {
        let slot = fred::util::redis_keyslot(key.as_bytes());
        let mut command = Vec::with_capacity(args.len() + 3);
        command.push(script.sha1().to_string());
        command.push("1".to_owned());
        command.push(key);
        command.extend(args);
        let client = self.shared.pool.next();
        // EVALSHA as a plain command: fred sends its own `evalsha` alone on
        // the connection (no pipelining), which doubled a save's latency.
        // The key's slot routes it on a Cluster.
        let evalsha = fred::types::CustomCommand::new_static(
            "EVALSHA",
            fred::types::ClusterHash::Custom(slot),
            false,
        );
        match self
            .timed(client.custom(evalsha.clone(), command.clone()))
            .await
        {
            // Not loaded on that server yet (a restart, a failover): load, once more.
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                self.timed(script.load(client)).await?;
                self.timed(client.custom(evalsha, command)).await
            }
            answer => answer,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_script(
        &self,
        mode: &str,
        id: &str,
        data: &str,
        stamps: OurStamps<'_>,
        expiry: &str,
        record_ttl_millis: i64,
        owner: Option<&str>,
    ) -> Result<Saved, fred::error::Error> {
        let ttl = self.ttl_millis(&stamps, record_ttl_millis);
        let (kind, text, login, last) = match stamps {
            OurStamps::None => ("n", "", String::new(), String::new()),
            OurStamps::Unreadable(text) => ("b", text, String::new(), String::new()),
            OurStamps::Readable(stamps, text) => (
                "k",
                text,
                padded(stamps.login_at()),
                padded(stamps.last_activity_at()),
            ),
        };
        let args: Vec<String> = vec![
            mode.to_owned(),
            data.to_owned(),
            kind.to_owned(),
            text.to_owned(),
            login,
            last,
            ttl.to_string(),
            expiry.to_owned(),
            owner.unwrap_or_default().to_owned(),
        ];
        let answer: i64 = self.eval(&self.shared.script, self.key(id), args).await?;
        Ok(match answer {
            1 => Saved::Written,
            2 => Saved::Merged,
            _ => Saved::Dropped,
        })
    }

    /// The time to live of a record: the session layer's, and for readable
    /// stamps at most the grace after the session's own deadline.
    fn ttl_millis(&self, stamps: &OurStamps<'_>, record_ttl_millis: i64) -> i64 {
        let mut ttl = record_ttl_millis;
        if let OurStamps::Readable(stamps, _) = stamps {
            let timing = self
                .shared
                .timing
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((config, clock)) = timing.as_ref()
                && let Some(deadline) = config.deadline_of(stamps)
            {
                let now = clock.now();
                let until_gone = deadline
                    .as_unix_millis()
                    .saturating_sub(now.as_unix_millis())
                    .saturating_add(self.shared.grace_millis);
                ttl = ttl.min(until_gone);
            }
        }
        ttl.clamp(SHORTEST_TTL_MILLIS, LONGEST_TTL_MILLIS)
    }
}

/// An instant as 19 digits, zero-padded (stamps are never negative).
fn padded(at: Timestamp) -> String {
    format!("{:019}", at.as_unix_millis().max(0))
}

impl EndOnce for RedisStore {
    fn end_once<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            self.delete_record(id)
                .await
                .map_err(|error| error.to_string())
        })
    }

    fn attach(&self, config: &Config, clock: Arc<dyn Clock>) {
        let mut timing = self
            .shared
            .timing
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *timing = Some((config.clone(), clock));
    }
}

impl GuardedStore for RedisStore {
    fn link(&self) -> StoreLink {
        StoreLink {
            locks: self.shared.locks.clone(),
            ender: Arc::new(self.clone()),
            index: Arc::new(self.clone()),
        }
    }
}

/// A JSON object of `entries`, leaving out the stamps (kept in their own
/// field).
pub(crate) fn data_without_stamps<'a, V: serde::Serialize + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a V)> + Clone,
) -> Result<String, serde_json::Error> {
    struct Without<I>(I);
    impl<'a, V: serde::Serialize + 'a, I> serde::Serialize for Without<I>
    where
        I: Iterator<Item = (&'a String, &'a V)> + Clone,
    {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(
                self.0
                    .clone()
                    .filter(|(key, _)| key.as_str() != Stamps::SESSION_KEY),
            )
        }
    }
    serde_json::to_string(&Without(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_instants_compare_as_text_in_numeric_order() {
        let small = padded(Timestamp::from_unix_millis(999));
        let large = padded(Timestamp::from_unix_millis(1_000));
        let largest = padded(Timestamp::from_unix_millis(i64::MAX));
        assert_eq!(small.len(), 19);
        assert_eq!(largest.len(), 19);
        assert!(small < large && large < largest);
    }

    #[test]
    fn the_stamps_stay_out_of_the_data() {
        let mut map = std::collections::BTreeMap::new();
        map.insert("user".to_owned(), "ada".to_owned());
        map.insert(Stamps::SESSION_KEY.to_owned(), "1.1.1".to_owned());
        assert_eq!(
            data_without_stamps(map.iter()).unwrap(),
            r#"{"user":"ada"}"#
        );
    }
}
