//! The index of every user's sessions, in Redis: a hash per user (handle →
//! session id), a set per tag, and the sweeper's sorted set (session id by
//! when it is checked next). Every command and script touches one key, so
//! it works on a Redis Cluster as on one server.
//!
//! Keys, after the store's prefix: `~user:<user>`, `~tag:<tag>`, `~sweep`
//! (`~` never appears in a session id, so they never meet a session's key).

use fred::interfaces::{HashesInterface, SetsInterface, SortedSetsInterface};
use futures_util::future::try_join_all;

use super::RedisStore;
use crate::clock::Timestamp;
use crate::config::ExpiryReason;
use crate::sessions::{BoxFuture, Indexed, Owner, SessionIndex};
use crate::stamps::{Stamps, ended_text};

/// What ending a session found (`index.lua`'s mode `x`).
const ENDED: i64 = 1;
const GONE: i64 = 0;

impl RedisStore {
    fn user_key(&self, user: &str) -> String {
        format!("{}~user:{user}", self.shared.prefix)
    }

    fn tag_key(&self, tag: &str) -> String {
        format!("{}~tag:{tag}", self.shared.prefix)
    }

    fn sweep_key(&self) -> String {
        format!("{}~sweep", self.shared.prefix)
    }

    /// When the sweeper first looks at a session signed in with `stamps`:
    /// just after its deadline, when the middleware's configuration is known.
    pub(super) fn first_check(&self, stamps: &Stamps) -> Option<Timestamp> {
        let timing = self
            .shared
            .timing
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (config, _) = timing.as_ref()?;
        Some(config.deadline_of(stamps)?.saturating_add_millis(1))
    }

    /// Indexes the session `id` of `owner` (before its record is written):
    /// its user's hash, its tag's set, the sweeper's set.
    pub(super) async fn index_session(
        &self,
        id: &str,
        owner: &Owner,
        first_check: Option<Timestamp>,
    ) -> Result<(), fred::error::Error> {
        let client = self.shared.pool.next();
        let check_at = first_check
            .map(|at| at.as_unix_millis())
            .unwrap_or_else(|| now_millis().saturating_add(60_000)) as f64;
        let user = async {
            self.timed(
                client.hset::<i64, _, _>(self.user_key(&owner.user), (owner.handle.as_str(), id)),
            )
            .await
            .map(drop)
        };
        let sweep = async {
            self.timed(client.zadd::<i64, _, _>(
                self.sweep_key(),
                None,
                None,
                false,
                false,
                (check_at, id),
            ))
            .await
            .map(drop)
        };
        let tag = async {
            match &owner.tag {
                Some(tag) => self
                    .timed(client.sadd::<i64, _, _>(self.tag_key(tag), id))
                    .await
                    .map(drop),
                None => Ok(()),
            }
        };
        futures_util::try_join!(user, sweep, tag).map(drop)
    }

    /// Takes the session `id` of `owner` out of the index.
    pub(super) async fn unindex(&self, id: &str, owner: &Owner) -> Result<(), fred::error::Error> {
        let client = self.shared.pool.next();
        let user = async {
            self.timed(client.hdel::<i64, _, _>(self.user_key(&owner.user), owner.handle.as_str()))
                .await
                .map(drop)
        };
        let sweep = async {
            self.timed(client.zrem::<i64, _, _>(self.sweep_key(), id))
                .await
                .map(drop)
        };
        let tag = async {
            match &owner.tag {
                Some(tag) => self
                    .timed(client.srem::<i64, _, _>(self.tag_key(tag), id))
                    .await
                    .map(drop),
                None => Ok(()),
            }
        };
        futures_util::try_join!(user, sweep, tag).map(drop)
    }

    /// The session `id` as the index needs it: live (data stored), owned,
    /// its stamps readable as text; `None` otherwise.
    async fn live(&self, id: &str) -> Result<Option<Indexed>, fred::error::Error> {
        let client = self.shared.pool.next();
        let fields: Vec<Option<String>> = self
            .timed(client.hmget(self.key(id), vec!["d", "s", "u"]))
            .await?;
        let mut fields = fields.into_iter();
        let (data, stamps, owner) = (
            fields.next().flatten(),
            fields.next().flatten(),
            fields.next().flatten(),
        );
        Ok(
            match (data, stamps, owner.as_deref().and_then(Owner::from_json)) {
                (Some(_), Some(stamps), Some(owner)) => Some(Indexed {
                    id: id.to_owned(),
                    owner,
                    stamps,
                }),
                _ => None,
            },
        )
    }

    /// An index entry whose record `live` did not find: gone for good
    /// (`None`, its entries can be pruned), or the record of a sign-in that
    /// was indexed and created meanwhile (`Some`, live).
    ///
    /// A sign-in indexes its session before the create writes its record:
    /// an entry without a record may be one in flight, and pruning it would
    /// leave that session live and in no index (no revocation would reach
    /// it). `index.lua` 'p' marks the id taken where no record is, so that
    /// create fails and the sign-in indexes another id instead.
    async fn settle_missing(&self, id: &str) -> Result<Option<Indexed>, fred::error::Error> {
        let gone: i64 = self
            .eval(
                &self.shared.index_script,
                self.key(id),
                vec!["p".to_owned(), MISSING_MARK_MILLIS.to_string()],
            )
            .await?;
        if gone == 1 {
            return Ok(None);
        }
        self.live(id).await
    }

    /// `live` of each id, then `settle_missing` of those not found: each
    /// id's session if live, `None` when gone for good.
    async fn live_or_gone(&self, ids: &[&str]) -> Result<Vec<Option<Indexed>>, fred::error::Error> {
        let mut found = try_join_all(ids.iter().map(|id| self.live(id))).await?;
        let missing: Vec<usize> = (0..found.len()).filter(|at| found[*at].is_none()).collect();
        if !missing.is_empty() {
            let settled =
                try_join_all(missing.iter().map(|at| self.settle_missing(ids[*at]))).await?;
            for (at, session) in missing.into_iter().zip(settled) {
                found[at] = session;
            }
        }
        Ok(found)
    }

    async fn sessions_of_user(&self, user: &str) -> Result<Vec<Indexed>, fred::error::Error> {
        let client = self.shared.pool.next();
        let entries: Vec<(String, String)> = self
            .timed(
                client.hgetall::<std::collections::HashMap<String, String>, _>(self.user_key(user)),
            )
            .await?
            .into_iter()
            .collect();
        let ids: Vec<&str> = entries.iter().map(|(_, id)| id.as_str()).collect();
        let found = self.live_or_gone(&ids).await?;
        let mut live = Vec::with_capacity(found.len());
        let mut stale = vec!["u".to_owned()];
        for ((handle, id), session) in entries.iter().zip(found) {
            match session {
                Some(session) if session.owner.user == user && &session.owner.handle == handle => {
                    live.push(session)
                }
                // Gone, or no longer this user's: pruned, unless the handle
                // names another id meanwhile (a sign-in's next id).
                _ => stale.extend([handle.clone(), id.clone()]),
            }
        }
        if stale.len() > 1 {
            let _: i64 = self
                .eval(&self.shared.index_script, self.user_key(user), stale)
                .await?;
        }
        Ok(live)
    }

    async fn tagged_sessions(&self, tag: &str) -> Result<Vec<Indexed>, fred::error::Error> {
        let client = self.shared.pool.next();
        let ids: Vec<String> = self.timed(client.smembers(self.tag_key(tag))).await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found = self.live_or_gone(&refs).await?;
        let mut live = Vec::with_capacity(found.len());
        let mut stale = Vec::new();
        for (id, session) in ids.iter().zip(found) {
            match session {
                Some(session) if session.owner.tag.as_deref() == Some(tag) => live.push(session),
                _ => stale.push(id.as_str()),
            }
        }
        if !stale.is_empty() {
            self.timed(client.srem::<i64, _, _>(self.tag_key(tag), stale))
                .await?;
        }
        Ok(live)
    }

    async fn end_session(
        &self,
        session: &Indexed,
        reason: ExpiryReason,
        only_if_unchanged: bool,
    ) -> Result<bool, fred::error::Error> {
        let expected = if only_if_unchanged {
            session.stamps.clone()
        } else {
            String::new()
        };
        let answer: i64 = self
            .eval(
                &self.shared.index_script,
                self.key(&session.id),
                vec![
                    "x".to_owned(),
                    ended_text(reason),
                    expected,
                    self.shared.grace_millis.max(1_000).to_string(),
                ],
            )
            .await?;
        match answer {
            ENDED | GONE => {
                // Ended here, or gone already: out of the index either way.
                self.unindex(&session.id, &session.owner).await?;
                Ok(answer == ENDED)
            }
            // Its stamps moved: a request was there meanwhile.
            _ => Ok(false),
        }
    }

    async fn due_sessions(
        &self,
        now: Timestamp,
        lease_millis: i64,
    ) -> Result<Vec<Indexed>, fred::error::Error> {
        let ids: Vec<String> = self
            .eval(
                &self.shared.index_script,
                self.sweep_key(),
                vec![
                    "w".to_owned(),
                    now.as_unix_millis().to_string(),
                    lease_millis.max(1).to_string(),
                    SWEEP_BATCH_TEXT.to_owned(),
                ],
            )
            .await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found = self.live_or_gone(&refs).await?;
        let mut live = Vec::with_capacity(found.len());
        let mut stale = Vec::new();
        for (id, session) in ids.iter().zip(found) {
            match session {
                Some(session) => live.push(session),
                None => stale.push(id.as_str()),
            }
        }
        if !stale.is_empty() {
            let client = self.shared.pool.next();
            self.timed(client.zrem::<i64, _, _>(self.sweep_key(), stale))
                .await?;
        }
        Ok(live)
    }

    async fn check_session_at(
        &self,
        session: &Indexed,
        at: Timestamp,
    ) -> Result<(), fred::error::Error> {
        let client = self.shared.pool.next();
        // Only while it is in the set: an ended session is not brought back.
        self.timed(client.zadd::<i64, _, _>(
            self.sweep_key(),
            Some(fred::types::SetOptions::XX),
            None,
            false,
            false,
            (at.as_unix_millis() as f64, session.id.as_str()),
        ))
        .await
        .map(drop)
    }
}

/// How long `index.lua` 'p' keeps an id taken that had no record when an
/// index entry of it was pruned: far longer than a sign-in takes from its
/// index to its create (each a few commands, every one bounded by the
/// command timeout).
const MISSING_MARK_MILLIS: i64 = 10 * 60_000;

/// [`super::SWEEP_BATCH`] as the script's argument.
const SWEEP_BATCH_TEXT: &str = "500";
const _: () = assert!(super::SWEEP_BATCH == 500);

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

fn text(error: fred::error::Error) -> String {
    error.to_string()
}

impl SessionIndex for RedisStore {
    fn sessions_of<'a>(&'a self, user: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        Box::pin(async move { self.sessions_of_user(user).await.map_err(text) })
    }

    fn tagged<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        Box::pin(async move { self.tagged_sessions(tag).await.map_err(text) })
    }

    fn end<'a>(
        &'a self,
        session: &'a Indexed,
        reason: ExpiryReason,
        only_if_unchanged: bool,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            self.end_session(session, reason, only_if_unchanged)
                .await
                .map_err(text)
        })
    }

    fn due<'a>(
        &'a self,
        now: Timestamp,
        lease_millis: i64,
    ) -> BoxFuture<'a, Result<Vec<Indexed>, String>> {
        Box::pin(async move { self.due_sessions(now, lease_millis).await.map_err(text) })
    }

    fn check_at<'a>(
        &'a self,
        session: &'a Indexed,
        at: Timestamp,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.check_session_at(session, at).await.map_err(text) })
    }
}
