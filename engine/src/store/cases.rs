//! Cases as stored: the loaded aggregate with its chain head, the event hash, history and reads.
//! Writing happens in batches (`store::batch`, driven by the runtime's writer).

use super::sealed::{CaseKey, Chain, KEY_COLUMNS, KeyColumns, case_key, open_case, open_event};
use super::{Store, StoreError};
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
    /// Its data key (or that it has none, or had one).
    pub key: CaseKey,
    /// The digest of its history's chain.
    pub chain: Chain,
    /// Its sealed values as read (reused when written back unchanged).
    pub sealed: super::sealed::SealedValues,
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

/// The hash of an event given the previous hash, on a SHA-256 chain (see [`Chain::event_hash`]).
pub fn event_hash(prev: &str, case_id: &str, seq: i64, at_ms: i64, actor: &str, payload: &str) -> String {
    Chain::Sha256.event_hash(prev, case_id, seq, at_ms, actor, payload)
}

/// A row of a case with its key's columns.
type CaseRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// The SQL that reads [`CaseRow`]s: append a `WHERE` on `c`.
pub(crate) fn case_select() -> String {
    format!("SELECT c.id, c.data, {KEY_COLUMNS} FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id")
}

impl Store {
    /// A case's key and chain.
    pub async fn case_key(&self, case_id: &str) -> Result<(CaseKey, Chain), StoreError> {
        let row: Option<KeyColumns> =
            sqlx::query_as("SELECT wrapped, chain, shredded_at, shred_rule FROM case_keys WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?;
        case_key(self.master.as_deref(), &self.keys, case_id, row.unwrap_or_default())
    }

    /// Opens rows read with [`case_select`].
    pub(crate) fn open_rows(&self, rows: Vec<CaseRow>) -> Result<Vec<Case>, StoreError> {
        rows.into_iter()
            .map(|(id, data, w, c, s, r)| {
                let (key, _) = case_key(self.master.as_deref(), &self.keys, &id, (w, c, s, r))?;
                open_case(&id, &data, &key)
            })
            .collect()
    }

    /// The history of a case, in order, its sealed values opened.
    pub async fn history(&self, case_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, payload, hash FROM case_events WHERE case_id = $1 ORDER BY seq")
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (key, _) = self.case_key(case_id).await?;
        rows.into_iter()
            .map(|(seq, payload, hash)| {
                let event = open_event(case_id, seq, &payload, &key)?;
                Ok(StoredEvent { seq, event, hash })
            })
            .collect()
    }

    /// A case read outside any transaction, its sealed values opened.
    pub async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        let rows: Vec<CaseRow> = sqlx::query_as(&format!("{} WHERE c.id = $1", case_select()))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(self.open_rows(rows)?.pop())
    }
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
