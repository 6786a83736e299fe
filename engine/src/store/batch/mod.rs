//! Writing a whole batch of decisions with a handful of multi-row statements: the writer's
//! fast path. On SQLite placeholders are anonymous `?`: sqlx binds `$N` there by looking every
//! name up, which is quadratic in the width of a multi-row statement. The compare-and-set on each case's version is one `UPDATE … FROM (VALUES …)`;
//! when it touches fewer rows than it should, another node changed a case and the caller rolls
//! back and replays the batch one command at a time.

use std::collections::{BTreeMap, HashMap};

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Arguments, Transaction};

use super::cases::{LoadedCase, WriteError};
use super::sealed::{KEY_COLUMNS, KeyCache, KeyColumns, SealedValues, case_key, open_case, open_case_keeping};
use super::{Backend, StoreError};
use crate::core::case::Case;
use crate::seal::MasterKey;

mod rows;
pub use rows::{
    BatchWrites, CaseKeyRow, ChangedCase, EventRow, IdempotencyRow, NewCase, OutboxRow, PersonRow, RepeatKeyRow,
    RungRow, SearchRow, TaskRow, TimerRow,
};
use rows::{Row, Val};

fn bind<'a>(mut args: AnyArguments<'a>, v: Val) -> Result<AnyArguments<'a>, StoreError> {
    let r = match v {
        Val::Text(s) => args.add(s),
        Val::OptText(s) => args.add(s),
        Val::Int(i) => args.add(i),
        Val::OptInt(i) => args.add(i),
    };
    r.map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(args)
}

/// `n` placeholders starting at position `first` (`?` on SQLite, `$N` on PostgreSQL).
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect();
    list.join(",")
}

/// Row counts of multi-row statements, largest first.
const SHAPES: [usize; 4] = [128, 32, 8, 1];

/// The most bound parameters in one statement (below SQLite's 32,766 and PostgreSQL's 65,535).
const MAX_PARAMS: usize = 30_000;

/// Runs `prefix VALUES (…), (…) suffix` over `rows` in chunks; `casts` wraps each placeholder
/// (`"{}"` for none, `"CAST({} AS BIGINT)"` where PostgreSQL needs a type).
async fn insert_rows<R: Row>(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[R],
    prefix: &str,
    suffix: &str,
    casts: &[&str],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = R::WIDTH;
    let max_rows = (MAX_PARAMS / width).max(1);
    let mut affected = 0;
    let mut rest: &[R] = rows;
    while !rest.is_empty() {
        // On SQLite, a few fixed statement shapes, so prepared statements are reused instead of
        // parsed anew (parsing is in-process and costly); on PostgreSQL, one statement, since
        // every statement is a round trip.
        let size = match backend {
            Backend::Sqlite => SHAPES
                .iter()
                .copied()
                .find(|s| *s <= rest.len() && *s <= max_rows)
                .unwrap_or(1),
            Backend::Postgres => rest.len().min(max_rows),
        };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let mut sql = String::with_capacity(prefix.len() + chunk.len() * width * 8);
        sql.push_str(prefix);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                // SQLite binds `$N` by looking each name up (quadratic in a wide statement);
                // anonymous `?` binds by position.
                let placeholder = match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${n}"),
                };
                let cast = casts.get(c).copied().unwrap_or("{}");
                sql.push_str(&cast.replace("{}", &placeholder));
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(suffix);
        let mut args = AnyArguments::default();
        for row in chunk {
            for v in row.values() {
                args = bind(args, v)?;
            }
        }
        let q: Query<'_, Any, AnyArguments<'_>> = sqlx::query_with(&sql, args);
        affected += q.execute(&mut **tx).await?.rows_affected();
    }
    Ok(affected)
}

/// Writes the words of cases (after the cases themselves: SQLite keys them by the case's rowid).
pub(crate) async fn write_search_rows(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    rows: &[SearchRow],
) -> Result<(), StoreError> {
    match backend {
        Backend::Sqlite => {
            let replaced: Vec<&SearchRow> = rows.iter().filter(|r| r.replaces).collect();
            for chunk in replaced.chunks(500) {
                let sql = format!(
                    "DELETE FROM case_search WHERE rowid IN (SELECT rowid FROM cases WHERE id IN ({}))",
                    placeholders(backend, 1, chunk.len())
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(&r.case_id);
                }
                q.execute(&mut **tx).await?;
            }
            insert_rows(
                tx,
                backend,
                rows,
                "INSERT INTO case_search (rowid, terms) SELECT c.rowid, v.column2 FROM (",
                ") AS v JOIN cases c ON c.id = v.column1",
                &[],
            )
            .await?;
        }
        Backend::Postgres => {
            insert_rows(
                tx,
                backend,
                rows,
                "INSERT INTO case_search (case_id, terms)",
                "ON CONFLICT (case_id) DO UPDATE SET terms = excluded.terms",
                &["{}", "string_to_array({}, ' ')"],
            )
            .await?;
        }
    }
    Ok(())
}

/// Writes new cases' data keys and the blind indexes of their people.
async fn write_keys(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    w: &BatchWrites<'_>,
) -> Result<(), StoreError> {
    insert_rows(
        tx,
        backend,
        &w.case_keys,
        "INSERT INTO case_keys (case_id, wrapped, master, chain, created_at)",
        "",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.persons,
        "INSERT INTO person_index (kind, value, case_id)",
        "ON CONFLICT (case_id, kind, value) DO NOTHING",
        &[],
    )
    .await?;
    Ok(())
}

/// Writes a batch. Fails with [`WriteError::Conflict`] when a case was changed by someone else.
pub async fn write_batch(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    w: &BatchWrites<'_>,
) -> Result<(), WriteError> {
    write_keys(tx, backend, w).await?;
    insert_rows(
        tx,
        backend,
        &w.new_cases,
        "INSERT INTO cases (id, case_type, definition_version, state, status, version, department, unit, data, event_seq, last_hash, opened_at, updated_at, closed_at, number, channel, opened_by, searchable, tier, breached, supervision_level, repeats, task_holders, task_places)",
        "",
        &[],
    )
    .await?;
    if !w.changed_cases.is_empty() {
        // column1 id, 2 state, 3 status, 4 version, 5 department, 6 unit, 7 data, 8 event_seq,
        // 9 last_hash, 10 updated_at, 11 closed_at, 12 the version the case was loaded at,
        // 13 tier, 14 breached, 15 supervision_level, 16 repeats, 17 task_holders, 18 task_places,
        // 19 the history's length when loaded.
        let big = "CAST({} AS BIGINT)";
        let casts = [
            "{}", "{}", "{}", big, "{}", "{}", "{}", big, "{}", big, big, big, "{}", big, big, big, "{}", "{}", big,
        ];
        let updated = insert_rows(
            tx,
            backend,
            &w.changed_cases,
            "UPDATE cases SET state = v.column2, status = v.column3, version = v.column4, department = v.column5, \
             unit = v.column6, data = v.column7, event_seq = v.column8, last_hash = v.column9, updated_at = v.column10, \
             closed_at = v.column11, tier = v.column13, breached = v.column14, supervision_level = v.column15, \
             repeats = v.column16, task_holders = v.column17, task_places = v.column18 FROM (",
            ") AS v WHERE cases.id = v.column1 AND cases.version = v.column12 AND cases.event_seq = v.column19",
            &casts,
        )
        .await?;
        if updated != w.changed_cases.len() as u64 {
            return Err(WriteError::Conflict);
        }
    }
    write_search_rows(tx, backend, &w.search).await?;
    insert_rows(
        tx,
        backend,
        &w.events,
        "INSERT INTO case_events (case_id, seq, kind, actor, at, payload, prev_hash, hash)",
        "",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.tasks,
        "INSERT INTO tasks (id, case_id, name, state, department, role, unit, assignee, created_at, closed_at, unstaffed)",
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, department = excluded.department, role = excluded.role, \
         unit = excluded.unit, assignee = excluded.assignee, closed_at = excluded.closed_at, unstaffed = excluded.unstaffed",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.timers,
        "INSERT INTO timers (key, case_id, name, due_at, state)",
        "",
        &[],
    )
    .await?;
    for chunk in w.cancelled_timers.chunks(MAX_PARAMS) {
        let sql = format!(
            "UPDATE timers SET state = 'cancelled' WHERE state = 'pending' AND key IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(k);
        }
        q.execute(&mut **tx).await?;
    }
    insert_rows(
        tx,
        backend,
        &w.outbox,
        "INSERT INTO outbox (idempotency_key, case_id, template, recipients, channels, state, created_at, next_attempt_at)",
        "ON CONFLICT (idempotency_key) DO NOTHING",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.rungs,
        "INSERT INTO rung_firings (case_id, clock, rung, fired_at)",
        "",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.repeat_keys,
        "INSERT INTO repeat_keys (key, case_id, opened_at)",
        "",
        &[],
    )
    .await?;
    insert_rows(
        tx,
        backend,
        &w.idempotency,
        "INSERT INTO idempotency (key, request_hash, case_id, response, created_at)",
        "",
        &[],
    )
    .await?;
    Ok(())
}

/// A case row with its key's columns.
type Joined = (
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Loads several cases at once.
pub async fn load_cases(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    master: Option<&MasterKey>,
    cache: &KeyCache,
    ids: &[String],
) -> Result<HashMap<String, LoadedCase>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        // On PostgreSQL, lock the batch's cases up front in one order: batches of different nodes
        // then wait for each other instead of deadlocking.
        let lock = match backend {
            Backend::Postgres => " ORDER BY id FOR UPDATE",
            Backend::Sqlite => "",
        };
        let marks = placeholders(backend, 1, chunk.len());
        let mut keys: HashMap<String, KeyColumns> = HashMap::new();
        let rows: Vec<(String, String, i64, String)> = if backend == Backend::Sqlite {
            // One writer at a time: the keys are read in the same statement.
            let sql = format!(
                "SELECT c.id, c.data, c.event_seq, c.last_hash, {KEY_COLUMNS} FROM cases c \
                 LEFT JOIN case_keys k ON k.case_id = c.id WHERE c.id IN ({marks})"
            );
            let mut q = sqlx::query_as::<_, Joined>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(|(id, data, seq, hash, w, c, sh, r)| {
                    keys.insert(id.clone(), (w, c, sh, r));
                    (id, data, seq, hash)
                })
                .collect()
        } else {
            let sql = format!("SELECT id, data, event_seq, last_hash FROM cases WHERE id IN ({marks}){lock}");
            let mut q = sqlx::query_as::<_, (String, String, i64, String)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            let rows = q.fetch_all(&mut **tx).await?;
            // The keys are read only once the cases are locked, by a statement of its own: on
            // PostgreSQL a locking read that waited sees the case as its holder left it, but a
            // row joined to it may be as it was before the wait, so a case sealed meanwhile
            // could read as plain.
            let sql = format!(
                "SELECT case_id, wrapped, chain, shredded_at, shred_rule FROM case_keys WHERE case_id IN ({marks})"
            );
            let mut q =
                sqlx::query_as::<_, (String, Option<String>, Option<String>, Option<i64>, Option<String>)>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            keys = q
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(|(id, w, c, sh, r)| (id, (w, c, sh, r)))
                .collect();
            rows
        };
        for (id, data, event_seq, last_hash) in rows {
            let columns = keys.remove(&id).unwrap_or_default();
            let (key, chain) = case_key(master, cache, &id, columns)?;
            let mut sealed = SealedValues::new();
            let case = open_case_keeping(&id, &data, &key, Some(&mut sealed))?;
            out.insert(
                id,
                LoadedCase {
                    case,
                    event_seq,
                    last_hash,
                    key,
                    chain,
                    sealed,
                },
            );
        }
    }
    Ok(out)
}

/// Looks up several idempotency keys at once: key → (request hash, the case as answered, its
/// sealed values opened).
pub async fn load_idempotency(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    master: Option<&MasterKey>,
    cache: &KeyCache,
    keys: &[String],
) -> Result<BTreeMap<String, (String, Case)>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(MAX_PARAMS) {
        let sql = format!(
            "SELECT i.key, i.request_hash, i.case_id, i.response, {KEY_COLUMNS} FROM idempotency i \
             LEFT JOIN case_keys k ON k.case_id = i.case_id WHERE i.key IN ({})",
            placeholders(backend, 1, chunk.len())
        );
        type Answer = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let mut q = sqlx::query_as::<_, Answer>(&sql);
        for k in chunk {
            q = q.bind(k);
        }
        for (k, h, id, r, w, c, sh, rule) in q.fetch_all(&mut **tx).await? {
            let (key, _) = case_key(master, cache, &id, (w, c, sh, rule))?;
            out.insert(k, (h, open_case(&id, &r, &key)?));
        }
    }
    Ok(out)
}

/// Fences several claimed timers at once: marks fired those still pending and leased to `node`;
/// returns their keys.
pub async fn fence_timers(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    keys: &[String],
    node: &str,
    now_ms: i64,
) -> Result<Vec<String>, StoreError> {
    let mut fenced = Vec::new();
    for chunk in keys.chunks(MAX_PARAMS - 3) {
        let head = match backend {
            Backend::Sqlite => "?1",
            Backend::Postgres => "$1",
        };
        let (owner, until) = match backend {
            Backend::Sqlite => ("?2", "?3"),
            Backend::Postgres => ("$2", "$3"),
        };
        let list = match backend {
            // Numbered `?N` keeps SQLite's lookup cheap (no names) while the first three repeat.
            Backend::Sqlite => (4..chunk.len() + 4)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(","),
            Backend::Postgres => placeholders(backend, 4, chunk.len()),
        };
        let sql = format!(
            "UPDATE timers SET state = 'fired', fired_at = {head} WHERE state = 'pending' AND lease_owner = {owner} \
             AND lease_until >= {until} AND key IN ({list}) RETURNING key",
        );
        let mut q = sqlx::query_as::<_, (String,)>(&sql)
            .bind(now_ms)
            .bind(node)
            .bind(now_ms);
        for k in chunk {
            q = q.bind(k);
        }
        fenced.extend(q.fetch_all(&mut **tx).await?.into_iter().map(|r| r.0));
    }
    Ok(fenced)
}

/// Marks timers whose firing was refused as failed, with the refusal.
pub async fn fail_timers(
    tx: &mut Transaction<'static, Any>,
    failed: &[(String, String)],
    now_ms: i64,
) -> Result<(), WriteError> {
    for (key, err) in failed {
        sqlx::query("UPDATE timers SET state = 'failed', fired_at = $1, last_error = $2 WHERE key = $3")
            .bind(now_ms)
            .bind(err)
            .bind(key)
            .execute(&mut **tx)
            .await
            .map_err(|e| WriteError::Store(e.into()))?;
    }
    Ok(())
}

/// A case-number sequence: a prefix in a year.
pub type Sequence = (String, i32);

/// The next value of each sequence, read under lock for the rest of the transaction (rows
/// created at 1 where a sequence is new): numbers taken in the transaction are gap-free, and
/// another node opening cases of the same sequence waits for its commit.
pub async fn lock_sequences(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    sequences: &[Sequence],
) -> Result<HashMap<Sequence, i64>, StoreError> {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let select = format!("SELECT next_value FROM case_numbers WHERE prefix = $1 AND year = $2{lock}");
    let mut out = HashMap::with_capacity(sequences.len());
    for (prefix, year) in sequences {
        let mut next: Option<(i64,)> = sqlx::query_as(&select)
            .bind(prefix)
            .bind(i64::from(*year))
            .fetch_optional(&mut **tx)
            .await?;
        if next.is_none() {
            sqlx::query(
                "INSERT INTO case_numbers (prefix, year, next_value) VALUES ($1, $2, 1) ON CONFLICT (prefix, year) DO NOTHING",
            )
            .bind(prefix)
            .bind(i64::from(*year))
            .execute(&mut **tx)
            .await?;
            next = sqlx::query_as(&select)
                .bind(prefix)
                .bind(i64::from(*year))
                .fetch_optional(&mut **tx)
                .await?;
        }
        let (next,) =
            next.ok_or_else(|| StoreError::Corrupt(format!("the case-number sequence {prefix} {year} vanished")))?;
        out.insert((prefix.clone(), *year), next);
    }
    Ok(out)
}

/// Writes back the next value of each sequence the transaction took numbers from.
pub async fn advance_sequences(tx: &mut Transaction<'static, Any>, next: &[(Sequence, i64)]) -> Result<(), StoreError> {
    for ((prefix, year), value) in next {
        sqlx::query("UPDATE case_numbers SET next_value = $1 WHERE prefix = $2 AND year = $3")
            .bind(value)
            .bind(prefix)
            .bind(i64::from(*year))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
