//! Reads for the pages and boards: several cases at once, the open cases under supervision, the
//! cases of a department or unit. Each is bounded (a page, a limit) and served by an index.

use super::cases::case_select;
use super::{Store, StoreError};
use crate::core::case::Case;

/// An open case with a supervision rung fired on it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupervisedRow {
    /// The case.
    pub case_id: String,
    /// The rung fired.
    pub rung: String,
    /// When (UTC ms).
    pub fired_at: i64,
}

impl Store {
    /// How many cases the store holds.
    pub async fn case_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// The cases with these ids that exist, in no particular order (at most 500 ids).
    pub async fn cases_by_ids(&self, ids: &[String]) -> Result<Vec<Case>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100).take(5) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{} WHERE c.id IN ({})", case_select(), marks.join(", "));
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(self.open_rows(q.fetch_all(&self.pool).await?)?);
        }
        Ok(out)
    }

    /// Rungs fired on cases that are still open, newest first (at most `limit`).
    pub async fn supervised_open(&self, limit: i64) -> Result<Vec<SupervisedRow>, StoreError> {
        Ok(sqlx::query_as::<_, SupervisedRow>(
            "SELECT r.case_id, r.rung, r.fired_at FROM rung_firings r JOIN cases c ON c.id = r.case_id \
             WHERE c.status = 'open' ORDER BY r.fired_at DESC, r.case_id LIMIT $1",
        )
        .bind(limit.clamp(1, 5000))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Open cases of a case type, oldest first (at most `limit`), for boards and lists.
    pub async fn open_cases_of_type(&self, case_type: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM cases WHERE case_type = $1 AND status = 'open' ORDER BY opened_at, id LIMIT $2",
        )
        .bind(case_type)
        .bind(limit.clamp(1, 5000))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// How many cases run on each deployed version of a case type: `(version, open, closed)`.
    pub async fn cases_per_version(&self, case_type: &str) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT definition_version, \
                    SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), \
                    SUM(CASE WHEN status = 'open' THEN 0 ELSE 1 END) \
             FROM cases WHERE case_type = $1 GROUP BY definition_version ORDER BY definition_version",
        )
        .bind(case_type)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Cases filed through `channel`, opened in `[from_ms, to_ms)`, of one of `case_types`
    /// (all when empty), newest first, at most `limit`.
    pub async fn cases_of_channel(
        &self,
        channel: &str,
        case_types: &[String],
        from_ms: i64,
        to_ms: i64,
        limit: i64,
    ) -> Result<Vec<Case>, StoreError> {
        // The aggregate is compact JSON with `"channel":"<id>"` in it; channel ids are
        // identifiers (letters, digits, `_`), so only `_` needs escaping in the pattern.
        let pattern = format!("%\"channel\":\"{}\"%", channel.replace('_', "\\_"));
        let types: Vec<&String> = case_types.iter().take(100).collect();
        let mut sql = format!(
            "{} WHERE c.opened_at >= $1 AND c.opened_at < $2 AND c.data LIKE $3 ESCAPE '\\'",
            case_select()
        );
        if !types.is_empty() {
            let marks: Vec<String> = (0..types.len()).map(|i| format!("${}", i + 5)).collect();
            sql.push_str(&format!(" AND c.case_type IN ({})", marks.join(", ")));
        }
        sql.push_str(" ORDER BY c.opened_at DESC LIMIT $4");
        let mut q = sqlx::query_as(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .bind(pattern)
            .bind(limit.clamp(1, 1000));
        for t in types {
            q = q.bind(t);
        }
        self.open_rows(q.fetch_all(&self.pool).await?)
    }
}
