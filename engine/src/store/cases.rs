//! Reading a case and writing one decision: the case row by compare-and-set on its version, the
//! hash-chained events, tasks, timers, outbox rows and the idempotency key, all in the caller's
//! transaction.

use sqlx::{Any, Transaction};

use super::{StoreError, sha256_hex};
use crate::core::case::{Case, CaseStatus, TaskState};
use crate::core::command::Decision;
use crate::core::effect::Effect;
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

/// Loads a case inside a transaction; on PostgreSQL the row stays locked until the transaction ends.
pub async fn load_case(
    tx: &mut Transaction<'static, Any>,
    backend: super::Backend,
    id: &str,
) -> Result<Option<LoadedCase>, StoreError> {
    let sql = match backend {
        super::Backend::Postgres => "SELECT data, event_seq, last_hash FROM cases WHERE id = $1 FOR UPDATE",
        super::Backend::Sqlite => "SELECT data, event_seq, last_hash FROM cases WHERE id = $1",
    };
    let row: Option<(String, i64, String)> = sqlx::query_as(sql).bind(id).fetch_optional(&mut **tx).await?;
    row.map(|(data, event_seq, last_hash)| {
        let case: Case = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("case {id}: {e}")))?;
        Ok(LoadedCase {
            case,
            event_seq,
            last_hash,
        })
    })
    .transpose()
}

/// Writes a decision taken on `before` (None for a new case). Returns the new chain head.
pub async fn write_decision(
    tx: &mut Transaction<'static, Any>,
    before: Option<&LoadedCase>,
    d: &Decision,
) -> Result<(i64, String), WriteError> {
    let c = &d.case;
    let data = serde_json::to_string(c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let status = match c.status {
        CaseStatus::Open => "open",
        CaseStatus::Closed(_) => "closed",
    };
    // Chain the events in memory first: the case row records the new head, and writing the
    // case row before the events means a concurrent writer meets the compare-and-set (a clean
    // conflict) rather than a duplicate event position.
    let (mut seq, mut prev) = before.map_or((0, GENESIS.to_owned()), |b| (b.event_seq, b.last_hash.clone()));
    let mut rows = Vec::with_capacity(d.events.len());
    for e in &d.events {
        seq += 1;
        let payload = serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let at = ms(e.at);
        let hash = event_hash(&prev, &c.id, seq, at, &e.actor, &payload);
        rows.push((
            seq,
            e.kind.name(),
            e.actor.as_str(),
            at,
            payload,
            prev.clone(),
            hash.clone(),
        ));
        prev = hash;
    }
    match before {
        None => {
            sqlx::query(
                "INSERT INTO cases (id, case_type, definition_version, state, status, version, department, unit, data, event_seq, last_hash, opened_at, updated_at, closed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&c.id)
            .bind(&c.case_type)
            .bind(c.definition_version)
            .bind(&c.state)
            .bind(status)
            .bind(c.version)
            .bind(&c.department)
            .bind(c.unit.as_deref())
            .bind(&data)
            .bind(seq)
            .bind(&prev)
            .bind(ms(c.opened_at))
            .bind(ms(c.updated_at))
            .bind(c.closed_at.map(ms))
            .execute(&mut **tx)
            .await?;
        }
        Some(b) => {
            let done = sqlx::query(
                "UPDATE cases SET state = $1, status = $2, version = $3, department = $4, unit = $5, data = $6, event_seq = $7, last_hash = $8, updated_at = $9, closed_at = $10 \
                 WHERE id = $11 AND version = $12",
            )
            .bind(&c.state)
            .bind(status)
            .bind(c.version)
            .bind(&c.department)
            .bind(c.unit.as_deref())
            .bind(&data)
            .bind(seq)
            .bind(&prev)
            .bind(ms(c.updated_at))
            .bind(c.closed_at.map(ms))
            .bind(&c.id)
            .bind(b.case.version)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(WriteError::Conflict);
            }
        }
    }
    for (seq, kind, actor, at, payload, prev_hash, hash) in &rows {
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, kind, actor, at, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&c.id)
        .bind(*seq)
        .bind(*kind)
        .bind(*actor)
        .bind(*at)
        .bind(payload)
        .bind(prev_hash)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    }
    // Tasks that are new or changed.
    for t in &c.tasks {
        let old = before.and_then(|b| b.case.task(&t.id));
        if old == Some(t) {
            continue;
        }
        sqlx::query(
            "INSERT INTO tasks (id, case_id, name, state, department, role, unit, assignee, created_at, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, department = excluded.department, role = excluded.role, \
             unit = excluded.unit, assignee = excluded.assignee, closed_at = excluded.closed_at",
        )
        .bind(&t.id)
        .bind(&c.id)
        .bind(&t.name)
        .bind(task_state(t.state))
        .bind(&t.department)
        .bind(&t.role)
        .bind(t.unit.as_deref())
        .bind(t.assignee.as_deref())
        .bind(ms(t.created_at))
        .bind(t.closed_at.map(ms))
        .execute(&mut **tx)
        .await?;
    }
    let now = ms(c.updated_at);
    for e in &d.effects {
        match e {
            Effect::StartTimer { key, name, due_at } => {
                sqlx::query(
                    "INSERT INTO timers (key, case_id, name, due_at, state) VALUES ($1, $2, $3, $4, 'pending')",
                )
                .bind(key)
                .bind(&c.id)
                .bind(name)
                .bind(ms(*due_at))
                .execute(&mut **tx)
                .await?;
            }
            Effect::CancelTimer { key } => {
                sqlx::query("UPDATE timers SET state = 'cancelled' WHERE key = $1 AND state = 'pending'")
                    .bind(key)
                    .execute(&mut **tx)
                    .await?;
            }
            Effect::RungFired { case_id, rung } => {
                sqlx::query("INSERT INTO rung_firings (case_id, clock, rung, fired_at) VALUES ($1, 'sla', $2, $3)")
                    .bind(case_id)
                    .bind(rung)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
            Effect::Notify {
                idempotency_key,
                template,
                to,
                channels,
            } => {
                let recipients = serde_json::to_string(to).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let channels = serde_json::to_string(channels).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO outbox (idempotency_key, case_id, template, recipients, channels, state, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(idempotency_key)
                .bind(&c.id)
                .bind(template)
                .bind(recipients)
                .bind(channels)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok((seq, prev))
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

/// The recorded result of an idempotency key: (request hash, response).
pub async fn idempotent_result(
    tx: &mut Transaction<'static, Any>,
    key: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT request_hash, response FROM idempotency WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Records the result of an idempotency key.
pub async fn record_idempotent(
    tx: &mut Transaction<'static, Any>,
    key: &str,
    request_hash: &str,
    case_id: &str,
    response: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency (key, request_hash, case_id, response, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key)
    .bind(request_hash)
    .bind(case_id)
    .bind(response)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
