//! The reads the periodic reports make: the warnings and breaches in a period, the cases active
//! in it (streamed, so memory does not grow with the number of cases), and the cases closed in
//! it for a spot-check's draw.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use super::{Store, StoreError};

impl Store {
    /// The SLA warnings and breaches recorded between `from_ms` and `to_ms`, by case:
    /// (warnings, breaches).
    pub async fn sla_flags_between(&self, from_ms: i64, to_ms: i64) -> Result<HashMap<String, (u64, u64)>, StoreError> {
        let mut flagged: HashMap<String, (u64, u64)> = HashMap::new();
        let mut events = sqlx::query_as::<_, (String, String)>(
            "SELECT case_id, kind FROM case_events WHERE kind IN ('sla_warning', 'sla_breached') AND at >= $1 AND at < $2",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch(&self.pool);
        while let Some((case_id, kind)) = events.try_next().await? {
            let n = flagged.entry(case_id).or_default();
            if kind == "sla_warning" {
                n.0 += 1;
            } else {
                n.1 += 1;
            }
        }
        Ok(flagged)
    }

    /// Calls `each` with the id and stored JSON of every case active between `from_ms` and
    /// `to_ms`, once each: as four disjoint ranges each served by an index (opened in it; opened
    /// before it and closed in it; opened before it and still open; opened before it and closed
    /// after it). Each case is read, handed over and let go.
    pub async fn for_each_case_active_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        mut each: impl FnMut(String, String) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (s, e) = (from_ms, to_ms);
        for (sql, binds) in [
            (
                "SELECT id, data FROM cases WHERE opened_at >= $1 AND opened_at < $2",
                vec![s, e],
            ),
            (
                "SELECT id, data FROM cases WHERE closed_at >= $1 AND closed_at < $2 AND opened_at < $1",
                vec![s, e],
            ),
            (
                "SELECT id, data FROM cases WHERE closed_at IS NULL AND opened_at < $1",
                vec![s],
            ),
            (
                "SELECT id, data FROM cases WHERE closed_at >= $1 AND opened_at < $2",
                vec![e, s],
            ),
        ] {
            let mut q = sqlx::query_as::<_, (String, String)>(sql);
            for b in binds {
                q = q.bind(b);
            }
            let mut rows = q.fetch(&self.pool);
            while let Some((id, data)) = rows.try_next().await? {
                each(id, data)?;
            }
        }
        Ok(())
    }

    /// The cases closed between `from_ms` and `to_ms`, but not of case type `exclude`:
    /// (id, case type, department).
    pub async fn closed_between(
        &self,
        from_ms: i64,
        to_ms: i64,
        exclude: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, case_type, department FROM cases WHERE status = 'closed' AND closed_at >= $1 AND closed_at < $2 \
             AND case_type <> $3",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(exclude)
        .fetch_all(&self.pool)
        .await?)
    }
}
