//! [`RedisStore`] as a tower-sessions [`SessionStore`] (feature `axum`).

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::{Loaded, OurStamps, RedisStore, Saved, data_without_stamps};
use crate::sessions::{OWNER_KEY, Owner};
use crate::stamps::Stamps;
use crate::store_lock;

/// The stamps text of a record: `Some("")` (unreadable) for a value that is
/// not a string, as the wrapper reads it.
fn stamps_of(record: &Record) -> Option<&str> {
    match record.data.get(Stamps::SESSION_KEY)? {
        Value::String(text) => Some(text),
        _ => Some(""),
    }
}

/// The record's own expiry: as text (nanoseconds since the epoch), and
/// the milliseconds from now until then.
fn expiry_of(record: &Record) -> (String, i64) {
    let nanos = record.expiry_date.unix_timestamp_nanos();
    let ttl = (record.expiry_date - OffsetDateTime::now_utc()).whole_milliseconds();
    (
        nanos.to_string(),
        ttl.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
    )
}

/// The owner of a signed-in session as JSON text, if the record holds one.
fn owner_of(record: &Record) -> Option<String> {
    let owner = record.data.get(OWNER_KEY)?;
    Owner::from_value(owner).map(|owner| owner.to_json())
}

fn backend(error: fred::error::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// The audit event of a failed call (feature `tracing`), the id taken out.
#[cold]
fn failed(operation: &'static str, id: &Id, error: &session_store::Error) {
    crate::axum::note_store_failure();
    if store_lock::reporting_failures() {
        store_lock::report_failure(operation, Some(&id.to_string()), error);
    }
}

impl RedisStore {
    /// The record's data as JSON (stamps apart) and its expiry.
    fn encode(record: &Record) -> session_store::Result<(String, String, i64)> {
        let data = data_without_stamps(record.data.iter())
            .map_err(|error| session_store::Error::Encode(error.to_string()))?;
        let (expiry, ttl) = expiry_of(record);
        Ok((data, expiry, ttl))
    }

    async fn create_tower(&self, record: &mut Record) -> session_store::Result<()> {
        let (data, expiry, ttl) = Self::encode(record)?;
        let owner = owner_of(record);
        loop {
            let id = record.id.to_string();
            let stamps = OurStamps::of(stamps_of(record));
            if self
                .create_record(&id, &data, stamps, &expiry, ttl, owner.as_deref())
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            // Taken (one in 2^128): another id.
            record.id = Id::default();
        }
    }

    async fn save_tower(&self, record: &Record) -> session_store::Result<()> {
        let (data, expiry, ttl) = Self::encode(record)?;
        let stamps = OurStamps::of(stamps_of(record));
        let saved = self
            .save_record(&record.id.to_string(), &data, stamps, &expiry, ttl)
            .await
            .map_err(backend)?;
        // Dropped: the record is gone or holds another login; nothing to do.
        let _: Saved = saved;
        Ok(())
    }

    async fn load_tower(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(Loaded {
            data,
            stamps,
            expiry,
        }) = self.load_record(&id.to_string()).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let mut data: HashMap<String, Value> = serde_json::from_str(&data)
            .map_err(|_| session_store::Error::Decode("a stored session is not JSON".into()))?;
        if let Some(stamps) = stamps {
            data.insert(Stamps::SESSION_KEY.to_owned(), Value::String(stamps));
        }
        let expiry_date = match expiry {
            Some(text) => text
                .parse::<i128>()
                .ok()
                .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
                .ok_or_else(|| {
                    session_store::Error::Decode("a stored session has no readable expiry".into())
                })?,
            // A session ended while nobody was there: its next request ends it.
            None => OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.mark_used();
        self.create_tower(record)
            .await
            .inspect_err(|error| failed("create", &record.id, error))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.mark_used();
        self.save_tower(record)
            .await
            .inspect_err(|error| failed("save", &record.id, error))
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.mark_used();
        self.load_tower(session_id)
            .await
            .inspect_err(|error| failed("load", session_id, error))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.mark_used();
        self.delete_record(&session_id.to_string())
            .await
            .map(|_| ())
            .map_err(backend)
            .inspect_err(|error| failed("delete", session_id, error))
    }
}
