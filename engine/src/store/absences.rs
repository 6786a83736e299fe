//! Absences (休假代办): who is away when, and who stands in for them. Staff set their own;
//! department heads and admins set their members'. The rules (who may name whom, how long) are
//! the service's; the store keeps the rows and answers who stands in for whom at an instant.

use serde::Serialize;

use super::{Store, StoreError};

/// One absence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Absence {
    /// Its id.
    pub id: String,
    /// Who is away.
    pub user_id: String,
    /// Who stands in for them.
    pub delegate: String,
    /// From (UTC ms).
    pub starts_at: i64,
    /// Until (UTC ms, excluded).
    pub ends_at: i64,
    /// Why (leave, training, …).
    pub reason: String,
    /// Who set it.
    pub created_by: String,
    /// When.
    pub created_at: i64,
    /// When it was called off, if it was.
    pub cancelled_at: Option<i64>,
}

const COLUMNS: &str = "SELECT id, user_id, delegate, starts_at, ends_at, reason, created_by, created_at, cancelled_at \
                       FROM absences";

impl Store {
    /// Records an absence.
    pub async fn add_absence(&self, a: &Absence) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO absences (id, user_id, delegate, starts_at, ends_at, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(&a.user_id)
        .bind(&a.delegate)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(&a.reason)
        .bind(&a.created_by)
        .bind(a.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One absence by id.
    pub async fn absence(&self, id: &str) -> Result<Option<Absence>, StoreError> {
        Ok(sqlx::query_as::<_, Absence>(&format!("{COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Calls an absence off at `at`; false when it was already called off or is over.
    pub async fn cancel_absence(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE absences SET cancelled_at = $2 WHERE id = $1 AND cancelled_at IS NULL AND ends_at > $2",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The absences not over at `now` (running or to come, not called off) of any of `users`
    /// as the absent person or the stand-in; every one when `users` is empty. By start.
    pub async fn absences(&self, users: &[String], now: i64) -> Result<Vec<Absence>, StoreError> {
        let mut rows = Vec::new();
        if users.is_empty() {
            rows = sqlx::query_as::<_, Absence>(&format!(
                "{COLUMNS} WHERE cancelled_at IS NULL AND ends_at > $1 ORDER BY starts_at, id LIMIT 1000"
            ))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        }
        // One statement per few hundred people (a head's page asks for a whole department).
        for chunk in users.chunks(400) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let marks = marks.join(", ");
            let sql = format!(
                "{COLUMNS} WHERE (user_id IN ({marks}) OR delegate IN ({marks})) AND cancelled_at IS NULL \
                 AND ends_at > $1 ORDER BY starts_at, id LIMIT 2000"
            );
            let mut q = sqlx::query_as::<_, Absence>(&sql).bind(now);
            for u in chunk {
                q = q.bind(u);
            }
            rows.extend(q.fetch_all(&self.pool).await?);
        }
        rows.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        Ok(rows)
    }

    /// Whom `delegate` stands in for at `now` (their absences running then), by id.
    pub async fn standing_in_for(&self, delegate: &str, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM absences WHERE delegate = $1 AND cancelled_at IS NULL \
             AND starts_at <= $2 AND ends_at > $2 ORDER BY user_id",
        )
        .bind(delegate)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}
