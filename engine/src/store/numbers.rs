//! Case numbers (案件编号): finding a case by its number, and numbering the cases written before
//! numbering existed. New cases are numbered by the writer in the transaction that opens them
//! (see `runtime::fast`); the sequences live in `case_numbers`.

use sqlx::Row as _;

use super::batch::{Sequence, advance_sequences, lock_sequences};
use super::{Backend, Store, StoreError};
use crate::model::organisation::CaseNumbers;

/// How many unnumbered cases one transaction numbers.
const NUMBERING_BATCH: i64 = 500;

/// `text` as a stored case id when it has the form of one (a UUID, in any case or form).
pub fn as_case_id(text: &str) -> Option<String> {
    uuid::Uuid::try_parse(text.trim())
        .ok()
        .map(|u| u.hyphenated().to_string())
}

impl Store {
    /// The id of the case numbered `number`, if any.
    pub async fn case_id_by_number(&self, number: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM cases WHERE number = $1")
            .bind(number.trim())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The numbers of the cases `ids` (those that have one), by id.
    pub async fn numbers_of(&self, ids: &[String]) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        let mut ids: Vec<&String> = ids.iter().collect();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, number FROM cases WHERE number IS NOT NULL AND id IN ({})",
                list.join(",")
            );
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// The case a person means by `text`: a whole id, a number, or the start of an id that only
    /// one case has (at least eight characters). `Ok(None)` when none matches; an error names
    /// the problem when several do.
    pub async fn resolve_case(&self, text: &str) -> Result<Option<String>, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if let Some(id) = as_case_id(text) {
            let row: Option<(String,)> = sqlx::query_as("SELECT id FROM cases WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            return Ok(row.map(|r| r.0));
        }
        if let Some(id) = self.case_id_by_number(text).await? {
            return Ok(Some(id));
        }
        let is_prefix = text.len() >= 8 && text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !is_prefix {
            return Ok(None);
        }
        let prefix = text.to_ascii_lowercase();
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM cases WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 2")
                .bind(&prefix)
                .bind(format!("{prefix}\u{7f}"))
                .fetch_all(self.pool())
                .await?;
        match rows.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.0.clone())),
            _ => Err(StoreError::Ambiguous(format!(
                "more than one case id starts with `{text}`; give more of it, or the case number"
            ))),
        }
    }

    /// Numbers every case that has no number yet, oldest first, each in the sequence of its
    /// case type and the year it was opened in (`year_of(case type, opened at ms)`). Safe to
    /// run on several nodes at once: one numbers, the others then find nothing to do. Returns
    /// how many it numbered.
    pub async fn number_unnumbered(
        &self,
        numbers: &CaseNumbers,
        year_of: &(dyn Fn(&str, i64) -> i32 + Sync),
    ) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let mut tx = self.begin_write().await?;
            if self.backend() == Backend::Postgres {
                // One numbering at a time across nodes (SQLite's write transaction is alone anyway).
                sqlx::query("SELECT pg_advisory_xact_lock(5981311)")
                    .execute(&mut *tx)
                    .await?;
            }
            let rows = sqlx::query(
                "SELECT id, case_type, opened_at, data FROM cases WHERE number IS NULL ORDER BY opened_at, id LIMIT $1",
            )
            .bind(NUMBERING_BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                tx.commit().await?;
                return Ok(total);
            }
            let mut cases = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: String = r.try_get(0)?;
                let case_type: String = r.try_get(1)?;
                let opened: i64 = r.try_get(2)?;
                let data: String = r.try_get(3)?;
                let seq: Sequence = (numbers.prefix_of(&case_type).to_owned(), year_of(&case_type, opened));
                cases.push((id, seq, data));
            }
            let mut sequences: Vec<Sequence> = cases.iter().map(|c| c.1.clone()).collect();
            sequences.sort();
            sequences.dedup();
            let mut next = lock_sequences(&mut tx, self.backend(), &sequences).await?;
            for (id, seq, data) in cases {
                let n = next
                    .get_mut(&seq)
                    .ok_or_else(|| StoreError::Corrupt("a sequence was not read".into()))?;
                let number = numbers.format(&seq.0, seq.1, *n);
                *n += 1;
                let mut value: serde_json::Value =
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("case {id}: {e}")))?;
                if let Some(m) = value.as_object_mut() {
                    m.insert("number".into(), serde_json::Value::String(number.clone()));
                }
                // Its words change with its number: indexed again after.
                sqlx::query("UPDATE cases SET number = $1, data = $2, searchable = 0 WHERE id = $3 AND number IS NULL")
                    .bind(&number)
                    .bind(value.to_string())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                total += 1;
            }
            let next: Vec<(Sequence, i64)> = next.into_iter().collect();
            advance_sequences(&mut tx, &next).await?;
            tx.commit().await?;
        }
    }
}
