//! Claiming due timers with a lease, and fencing the firing to the lease holder.

use super::{Backend, Store, StoreError};

/// A timer claimed by this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedTimer {
    /// The row's key.
    pub key: String,
    /// The case.
    pub case_id: String,
    /// When it was due (UTC ms).
    pub due_at: i64,
}

impl Store {
    /// Claims up to `limit` due timers for `node` until `lease_until_ms`, oldest first. On
    /// PostgreSQL concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`); a row
    /// whose lease has expired (its node died or stalled) can be claimed again.
    pub async fn claim_due_timers(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedTimer>, StoreError> {
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE timers SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
                 WHERE key IN (SELECT key FROM timers WHERE state = 'pending' AND due_at <= $3 \
                 AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING key, case_id, due_at"
            }
            Backend::Sqlite => {
                "UPDATE timers SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
                 WHERE key IN (SELECT key FROM timers WHERE state = 'pending' AND due_at <= $3 \
                 AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4) \
                 RETURNING key, case_id, due_at"
            }
        };
        let mut tx = self.begin_write().await?;
        let rows: Vec<(String, String, i64)> = sqlx::query_as(sql)
            .bind(node)
            .bind(lease_until_ms)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out: Vec<ClaimedTimer> = rows
            .into_iter()
            .map(|(key, case_id, due_at)| ClaimedTimer { key, case_id, due_at })
            .collect();
        out.sort_by_key(|t| t.due_at);
        Ok(out)
    }

    /// Gives up this node's lease on a timer it could not fire, so any node can claim it again at
    /// once instead of after the lease runs out.
    pub async fn release_timer(&self, key: &str, node: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE timers SET lease_owner = NULL, lease_until = NULL WHERE key = $1 AND lease_owner = $2 AND state = 'pending'",
        )
        .bind(key)
        .bind(node)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The earliest due instant (UTC ms) of the pending timers nobody holds a lease on at `now_ms`.
    pub async fn next_timer_due(&self, now_ms: i64) -> Result<Option<i64>, StoreError> {
        let (min,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(MIN(due_at) AS BIGINT) FROM timers WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < $1)",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(min)
    }

    /// Due and fired instants (UTC ms) of the timers named `name`, for measuring lag.
    pub async fn timer_lags(&self, name: &str) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        Ok(sqlx::query_as("SELECT due_at, fired_at FROM timers WHERE name = $1")
            .bind(name)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Counts timers by state, for tests and metrics.
    pub async fn timer_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, CAST(COUNT(*) AS BIGINT) FROM timers GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
