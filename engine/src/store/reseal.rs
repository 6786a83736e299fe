//! Sealing a store that holds personal data in plain text (written before sealing), and
//! rotating the master key. Both work in batches, each case in a transaction of its own, and
//! resume where they stopped.

use super::batch::PersonRow;
use super::cases::GENESIS;
use super::sealed::{CaseKey, Chain, case_json, event_json, open_case, person_rows, personal_of};
use super::{Backend, Store, StoreError};
use crate::core::case::Case;
use crate::core::definitions::Definitions;
use crate::core::event::Event;
use crate::seal::MasterKey;

/// What a sealing pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealProgress {
    /// Cases sealed now.
    pub sealed: u64,
    /// Cases left plain, with why (a broken history, a definition that is not deployed).
    pub refused: Vec<(String, String)>,
}

/// A case as it is read for sealing: data, version, type, definition version, head.
type PlainRow = (String, i64, String, i64, i64, String);

impl Store {
    /// How many cases are sealed, plain (written before sealing) and deleted (shredded).
    pub async fn seal_counts(&self) -> Result<(i64, i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN k.case_id IS NOT NULL AND k.shredded_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN k.case_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN k.shredded_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// On SQLite, folds the write-ahead log into the file and empties it, so no page written
    /// before (a plain value sealed since) survives in the log; nothing on PostgreSQL.
    pub async fn fold_log(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Seals every case that has no data key yet, `batch` cases at a time (each in its own
    /// transaction, so a running server's commands interleave): its personal values in the
    /// aggregate, its history, its idempotent answers and its citizen's delivery addresses; its
    /// history is first verified, then re-chained over the sealed payloads on the installation's
    /// chain, old and new heads recorded in the privacy log. The case's version moves on, so a
    /// writer that read it before is refused and reads it again. Resumable: what is sealed is
    /// skipped.
    pub async fn seal_existing(&self, defs: &Definitions, batch: i64) -> Result<SealProgress, StoreError> {
        let master = self
            .master
            .clone()
            .ok_or_else(|| StoreError::Sealed("sealing needs the master key".into()))?;
        let mut progress = SealProgress::default();
        let mut after = String::new();
        loop {
            let ids: Vec<(String,)> = sqlx::query_as(
                "SELECT c.id FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id \
                 WHERE k.case_id IS NULL AND c.id > $1 ORDER BY c.id LIMIT $2",
            )
            .bind(&after)
            .bind(batch.clamp(1, 10_000))
            .fetch_all(&self.pool)
            .await?;
            let Some((last,)) = ids.last() else { break };
            after = last.clone();
            for (id,) in &ids {
                match self.seal_one(&master, defs, id).await? {
                    Ok(true) => progress.sealed += 1,
                    Ok(false) => {}
                    Err(why) => progress.refused.push((id.clone(), why)),
                }
            }
        }
        Ok(progress)
    }

    /// Seals one case; `Ok(false)` when it already has a key, `Err(why)` when it cannot be.
    async fn seal_one(
        &self,
        master: &MasterKey,
        defs: &Definitions,
        id: &str,
    ) -> Result<Result<bool, String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let row: Option<PlainRow> = sqlx::query_as(&format!(
            "SELECT data, version, case_type, definition_version, event_seq, last_hash FROM cases WHERE id = $1{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (has_key,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM case_keys WHERE case_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let Some((data, version, case_type, def_version, event_seq, last_hash)) = row.filter(|_| has_key == 0) else {
            tx.rollback().await?;
            return Ok(Ok(false));
        };
        let Some(def) = defs.get(&case_type, def_version) else {
            tx.rollback().await?;
            return Ok(Err(format!(
                "its definition {case_type} v{def_version} is not deployed"
            )));
        };
        let events: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, at, actor, payload, prev_hash, hash FROM case_events WHERE case_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        // The history must be whole before it is re-chained: sealing never launders a change.
        if let Err(why) = whole(id, &events, event_seq, &last_hash) {
            tx.rollback().await?;
            return Ok(Err(why));
        }
        let (key, wrapped) = master
            .new_data_key(id)
            .map_err(|e| StoreError::Sealed(format!("a data key for case {id}: {e}")))?;
        let key = CaseKey::Live(std::sync::Arc::new(key));
        let chain = Chain::of(master.suite());
        let personal = personal_of(Some(&def.def));
        let mut case: Case = open_case(id, &data, &CaseKey::Plain)?;
        case.version = version + 1;
        let sealed = case_json(&mut case, &key, &personal, None)?;
        let mut head = GENESIS.to_owned();
        for (seq, at, actor, payload, _, _) in &events {
            let e: Event =
                serde_json::from_str(payload).map_err(|err| StoreError::Corrupt(format!("event {id}#{seq}: {err}")))?;
            let payload = event_json(id, *seq, &e, &key, &personal)?;
            let hash = chain.event_hash(&head, id, *seq, *at, actor, &payload);
            sqlx::query(
                "UPDATE case_events SET payload = $1, prev_hash = $2, hash = $3 WHERE case_id = $4 AND seq = $5",
            )
            .bind(&payload)
            .bind(&head)
            .bind(&hash)
            .bind(id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            head = hash;
        }
        sqlx::query("UPDATE cases SET data = $1, version = $2, last_hash = $3 WHERE id = $4")
            .bind(&sealed)
            .bind(case.version)
            .bind(&head)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO case_keys (case_id, wrapped, master, chain, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(&wrapped)
            .bind(master.fingerprint())
            .bind(chain.name())
            .bind(chrono::Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?;
        for PersonRow { kind, value, case_id } in person_rows(master, Some(&def.def), id, &case.fields, None) {
            sqlx::query("INSERT INTO person_index (kind, value, case_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(kind)
                .bind(value)
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(digest) = &case.repeat_key {
            // A store from before keyed repeat keys holds the core's digest itself.
            sqlx::query("UPDATE repeat_keys SET key = $1 WHERE case_id = $2 AND key = $3")
                .bind(master.blind_index("repeat", digest))
                .bind(id)
                .bind(digest)
                .execute(&mut *tx)
                .await?;
        }
        self.seal_answers(&mut tx, master, id, &key, &personal).await?;
        sqlx::query(
            "INSERT INTO privacy_log (at, actor, action, subject, detail) VALUES ($1, 'system', 'seal', $2, $3)",
        )
        .bind(chrono::Utc::now().timestamp_millis())
        .bind(id)
        .bind(format!(
            "history re-chained on {} over the sealed values: head {last_hash} is now {head}",
            chain.name()
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(true))
    }

    /// Seals a case's stored idempotent answers and its citizen's delivery addresses.
    async fn seal_answers(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        master: &MasterKey,
        id: &str,
        key: &CaseKey,
        personal: &dyn Fn(&str) -> bool,
    ) -> Result<(), StoreError> {
        let CaseKey::Live(dk) = key else { return Ok(()) };
        let answers: Vec<(String, String)> = sqlx::query_as("SELECT key, response FROM idempotency WHERE case_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        for (k, response) in answers {
            let mut answered = open_case(id, &response, &CaseKey::Plain)?;
            sqlx::query("UPDATE idempotency SET response = $1 WHERE key = $2")
                .bind(case_json(&mut answered, key, personal, None)?)
                .bind(k)
                .execute(&mut **tx)
                .await?;
        }
        let addresses: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT outbox_key, channel, address FROM deliveries WHERE case_id = $1 AND recipient = 'citizen' \
             AND sealed_address IS NULL AND address NOT LIKE '<none%' AND address NOT LIKE 'sealed:%'",
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        for (outbox_key, channel, address) in addresses {
            let slot = format!(
                "sealed:{}",
                master.blind_index("address", &format!("{channel}:{address}"))
            );
            sqlx::query(
                "UPDATE deliveries SET address = $1, sealed_address = $2 WHERE outbox_key = $3 AND channel = $4 AND address = $5",
            )
            .bind(slot)
            .bind(super::sealed::seal_address(dk, id, &channel, &address)?)
            .bind(outbox_key)
            .bind(channel)
            .bind(address)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// A stored history row: seq, at, actor, payload, previous hash, hash.
type EventRow = (i64, i64, String, String, String, String);

/// Whether a plain (SHA-256) history is whole and ends where its case says.
fn whole(id: &str, events: &[EventRow], event_seq: i64, last_hash: &str) -> Result<(), String> {
    let mut prev = GENESIS.to_owned();
    for (i, (seq, at, actor, payload, prev_hash, hash)) in events.iter().enumerate() {
        let ok = *seq == i as i64 + 1
            && *prev_hash == prev
            && Chain::Sha256.event_hash(&prev, id, *seq, *at, actor, payload) == *hash;
        if !ok {
            return Err(format!("its history breaks at event {seq}; run `yimen audit verify`"));
        }
        prev = hash.clone();
    }
    if prev != last_hash || events.len() as i64 != event_seq {
        return Err("its history does not end where the case says".into());
    }
    Ok(())
}

/// Where a rotation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// Every data key is wrapped by the new key, which is now the store's.
    Done {
        /// Data keys re-wrapped by this run.
        rewrapped: u64,
    },
    /// The store is already under the new key.
    AlreadyDone,
}

impl Store {
    /// Whether a rotation has begun and not finished (a server must not start then).
    pub async fn rotation_pending(&self) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT fingerprint FROM store_keys WHERE id = 'next'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(f,)| f))
    }

    /// The blind-index key carried over by a rotation, wrapped by the store's master key.
    pub async fn wrapped_index_key(&self) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT wrapped FROM store_keys WHERE id = 'index'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(w,)| w))
    }

    /// Re-wraps the keys of personal files uploaded but not yet named by a case (the only keys
    /// besides the cases' the master key wraps). A key already under `new` (a resumed rotation)
    /// is left as it is.
    async fn rotate_pending_files(&self, old: &MasterKey, new: &MasterKey) -> Result<(), StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, wrapped FROM attachments WHERE key_by = 'master' AND wrapped IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        let mut tx = self.begin_write().await?;
        for (id, wrapped) in rows {
            let Ok(key) = old.unwrap(&id, &wrapped) else { continue };
            let again = new.wrap(&id, &key).map_err(|e| StoreError::Sealed(e.to_string()))?;
            sqlx::query("UPDATE attachments SET wrapped = $1 WHERE id = $2 AND key_by = 'master'")
                .bind(again)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Re-wraps every data key from master key `old` (the store's) to `new`, `batch` at a
    /// time, without touching any sealed value; the blind-index key is carried over wrapped by
    /// `new`, so every index still finds its cases. Resumable: run again with the same keys
    /// after a stop. Only when every data key is re-wrapped does the store switch to `new`.
    pub async fn rotate_master(&self, old: &MasterKey, new: &MasterKey, batch: i64) -> Result<Rotation, StoreError> {
        let refuse = |why: String| Err(StoreError::Sealed(why));
        if old.suite() != new.suite() {
            return refuse("a rotation keeps the cipher suite (the data keys are the suite's)".into());
        }
        let (bound,): (String,) = sqlx::query_as("SELECT fingerprint FROM store_keys WHERE id = 'master'")
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::Sealed("the store is not sealed under any master key yet".into()))?;
        let pending = self.rotation_pending().await?;
        if bound == new.fingerprint() && pending.is_none() {
            return Ok(Rotation::AlreadyDone);
        }
        if bound != old.fingerprint() {
            return refuse(format!(
                "the store is sealed under master key {bound}, not under {} (the current key file)",
                old.fingerprint()
            ));
        }
        match pending {
            Some(f) if f != new.fingerprint() => {
                return refuse(format!(
                    "a rotation to master key {f} is unfinished: finish it with that key first"
                ));
            }
            Some(_) => {}
            None => {
                sqlx::query(
                    "INSERT INTO store_keys (id, suite, fingerprint, created_at, wrapped) VALUES ('next', $1, $2, $3, $4)",
                )
                .bind(new.suite().name())
                .bind(new.fingerprint())
                .bind(chrono::Utc::now().timestamp_millis())
                .bind(old.wrap_index_key_for(new).map_err(|e| StoreError::Sealed(e.to_string()))?)
                .execute(&self.pool)
                .await?;
            }
        }
        let (from, to) = (old.fingerprint(), new.fingerprint());
        let mut rewrapped = 0;
        loop {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT case_id, wrapped FROM case_keys WHERE master = $1 ORDER BY case_id LIMIT $2")
                    .bind(&from)
                    .bind(batch.clamp(1, 10_000))
                    .fetch_all(&self.pool)
                    .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.begin_write().await?;
            for (case_id, wrapped) in rows {
                let again = match wrapped {
                    Some(w) => {
                        let dk = old
                            .unwrap(&case_id, &w)
                            .map_err(|e| StoreError::Sealed(format!("the data key of case {case_id}: {e}")))?;
                        Some(new.wrap(&case_id, &dk).map_err(|e| StoreError::Sealed(e.to_string()))?)
                    }
                    None => None,
                };
                sqlx::query("UPDATE case_keys SET wrapped = $1, master = $2 WHERE case_id = $3 AND master = $4")
                    .bind(again)
                    .bind(&to)
                    .bind(&case_id)
                    .bind(&from)
                    .execute(&mut *tx)
                    .await?;
                rewrapped += 1;
            }
            tx.commit().await?;
        }
        self.rotate_pending_files(old, new).await?;
        let mut tx = self.begin_write().await?;
        let (left,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM case_keys WHERE master = $1")
            .bind(&from)
            .fetch_one(&mut *tx)
            .await?;
        if left > 0 {
            tx.rollback().await?;
            return refuse(format!(
                "{left} data key(s) were made under the old key during the rotation (is a server running?): stop every server and run the rotation again"
            ));
        }
        let (wrapped,): (Option<String>,) = sqlx::query_as("SELECT wrapped FROM store_keys WHERE id = 'next'")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE store_keys SET fingerprint = $1 WHERE id = 'master'")
            .bind(&to)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM store_keys WHERE id IN ('index', 'next')")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO store_keys (id, suite, fingerprint, created_at, wrapped) VALUES ('index', $1, $2, $3, $4)",
        )
        .bind(new.suite().name())
        .bind(&to)
        .bind(chrono::Utc::now().timestamp_millis())
        .bind(wrapped)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO privacy_log (at, actor, action, subject, detail) VALUES ($1, 'system', 'rotate', $2, $3)",
        )
        .bind(chrono::Utc::now().timestamp_millis())
        .bind(&to)
        .bind(format!("master key {from} replaced by {to}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Done { rewrapped })
    }
}
