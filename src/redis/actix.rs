//! [`RedisStore`] as an actix-session [`SessionStore`] (feature `actix`).

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;

use super::{Loaded, OurStamps, RedisStore, data_without_stamps};
use crate::sessions::{OWNER_KEY, Owner};
use crate::stamps::Stamps;
use crate::store_lock;

type State = HashMap<String, String>;

use crate::store_lock::STORE_KEY_ENTRY;

/// The stamps text of a state (values are JSON texts): a value that is not
/// a JSON string is kept raw, which the rule cannot read (fail closed).
fn stamps_of(state: &State) -> Option<String> {
    let raw = state.get(Stamps::SESSION_KEY)?;
    Some(serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.clone()))
}

fn ttl_millis(ttl: &Duration) -> i64 {
    ttl.whole_milliseconds()
        .clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// The state's data as JSON, without the stamps and the key entry.
fn encode(state: &State) -> Result<String, serde_json::Error> {
    data_without_stamps(
        state
            .iter()
            .filter(|(key, _)| key.as_str() != STORE_KEY_ENTRY),
    )
}

/// The audit event of a failed call (feature `tracing`), the key taken out.
#[cold]
fn failed(operation: &'static str, key: Option<&str>, error: &fred::error::Error) {
    store_lock::report_failure(operation, key, error);
}

impl SessionStore for RedisStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        self.mark_used();
        let key = session_key.as_ref();
        let loaded = self
            .load_record(key)
            .await
            .inspect_err(|error| failed("load", Some(key), error))
            .map_err(|error| LoadError::Other(error.into()))?;
        let Some(Loaded { data, stamps, .. }) = loaded else {
            return Ok(None);
        };
        let mut state: State = serde_json::from_str(&data).map_err(|_| {
            store_lock::report_failure("load", None, &"the stored session state is not JSON");
            LoadError::Deserialization(anyhow::anyhow!("the stored session state is not JSON"))
        })?;
        if let Some(stamps) = stamps {
            let text = serde_json::to_string(&stamps)
                .map_err(|error| LoadError::Deserialization(error.into()))?;
            state.insert(Stamps::SESSION_KEY.to_owned(), text);
            // Only a tracked session can end automatically: the middleware
            // needs its key then.
            let key_text = serde_json::to_string(key)
                .map_err(|error| LoadError::Deserialization(error.into()))?;
            state.insert(STORE_KEY_ENTRY.to_owned(), key_text);
        }
        Ok(Some(state))
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        self.mark_used();
        let data =
            encode(&session_state).map_err(|error| SaveError::Serialization(error.into()))?;
        let stamps_text = stamps_of(&session_state);
        let owner = session_state
            .get(OWNER_KEY)
            .and_then(|text| Owner::from_json(text))
            .map(|owner| owner.to_json());
        loop {
            let session_key = generate_session_key();
            let stamps = OurStamps::of(stamps_text.as_deref());
            let created = self
                .create_record(
                    session_key.as_ref(),
                    &data,
                    stamps,
                    "",
                    ttl_millis(ttl),
                    owner.as_deref(),
                )
                .await
                .inspect_err(|error| failed("create", None, error))
                .map_err(|error| SaveError::Other(error.into()))?;
            if created {
                return Ok(session_key);
            }
        }
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        self.mark_used();
        let data =
            encode(&session_state).map_err(|error| UpdateError::Serialization(error.into()))?;
        let stamps_text = stamps_of(&session_state);
        let stamps = OurStamps::of(stamps_text.as_deref());
        let key = session_key.as_ref();
        // Dropped (gone, or another login stored): the key stays; with
        // nothing under it, the next request starts a fresh session.
        self.save_record(key, &data, stamps, "", ttl_millis(ttl))
            .await
            .inspect_err(|error| failed("save", Some(key), error))
            .map_err(|error| UpdateError::Other(error.into()))?;
        Ok(session_key)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        self.mark_used();
        let key = session_key.as_ref();
        self.touch_record(key, ttl_millis(ttl))
            .await
            .inspect_err(|error| failed("save", Some(key), error))
            .map_err(Into::into)
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        self.mark_used();
        let key = session_key.as_ref();
        self.delete_record(key)
            .await
            .map(|_| ())
            .inspect_err(|error| failed("delete", Some(key), error))
            .map_err(Into::into)
    }
}
