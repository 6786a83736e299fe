//! Cases as stored: the loaded aggregate with its chain head, the event hash, history and reads.
//! Writing happens in batches (`store::batch`, driven by the runtime's writer).

use super::{StoreError, sha256_hex};
use crate::core::case::{Case, TaskState};
use crate::core::event::Event;

/// The hash the chain of every case starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A case as loaded, with where its history ends.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The aggregate.
    pub case: Case,
    /// The number of events so far.
    pub event_seq: i64,
    /// The hash of the last event.
    pub last_hash: String,
}

/// One stored history entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredEvent {
    /// Position in the case's history, from 1.
    pub seq: i64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// Its hash.
    pub hash: String,
}

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another writer changed the case first (its version moved).
    #[error("the case was changed concurrently")]
    Conflict,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError::Store(StoreError::Database(e))
    }
}

/// UTC milliseconds, as the store keeps instants.
pub(crate) fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// A task state as stored.
pub(crate) fn task_state(s: TaskState) -> &'static str {
    match s {
        TaskState::Open => "open",
        TaskState::Claimed => "claimed",
        TaskState::Completed => "completed",
        TaskState::Cancelled => "cancelled",
    }
}

/// The hash of an event given the previous hash: SHA-256 over the previous hash, the case, the
/// position, the time, the actor and the stored payload.
pub fn event_hash(prev: &str, case_id: &str, seq: i64, at_ms: i64, actor: &str, payload: &str) -> String {
    sha256_hex(&format!("{prev}\n{case_id}\n{seq}\n{at_ms}\n{actor}\n{payload}"))
}

/// The history of a case, in order.
pub async fn history(pool: &sqlx::AnyPool, case_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT seq, payload, hash FROM case_events WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(seq, payload, hash)| {
            let event: Event = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("event {case_id}#{seq}: {e}")))?;
            Ok(StoredEvent { seq, event, hash })
        })
        .collect()
}

/// A case read outside any transaction.
pub async fn get_case(pool: &sqlx::AnyPool, id: &str) -> Result<Option<Case>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT data FROM cases WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|(data,)| serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("case {id}: {e}"))))
        .transpose()
}

/// The most recent open case with `key` opened at or after `since_ms`, if any.
pub async fn open_repeat_of(pool: &sqlx::AnyPool, key: &str, since_ms: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT k.case_id FROM repeat_keys k JOIN cases c ON c.id = k.case_id \
         WHERE k.key = $1 AND k.opened_at >= $2 AND c.status = 'open' ORDER BY k.opened_at DESC LIMIT 1",
    )
    .bind(key)
    .bind(since_ms)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Active tasks per assignee, for assignment by load.
pub async fn workload(pool: &sqlx::AnyPool) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT assignee, COUNT(*) FROM tasks WHERE state IN ('open', 'claimed') AND assignee IS NOT NULL GROUP BY assignee",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}
