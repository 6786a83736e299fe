//! The life of personal data after sealing: shredding a case's data key when its retention has
//! passed (or by hand), legal holds that stop it, finding a person's cases by blind index, and
//! the log of everything done with personal data.

use serde::Serialize;

use super::{Store, StoreError};

/// One entry of the privacy log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PrivacyEntry {
    /// When (UTC ms).
    pub at: i64,
    /// Who (a user id, or `system`).
    pub actor: String,
    /// `shred`, `hold`, `release`, `export`, `seal`, `rotate`.
    pub action: String,
    /// What it concerns: a case id, or a person's blind index.
    pub subject: String,
    /// What else: the rule (JSON of its text), the hold's reason, the number of cases exported,
    /// the old and new heads of a sealed history, the old and new key (JSON).
    pub detail: String,
}

/// Where a case's personal data stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Written before sealing (no key).
    Plain,
    /// Sealed under its key.
    Sealed,
    /// Sealed and on legal hold, for this reason.
    Held(String),
    /// Deleted at this instant (UTC ms).
    Deleted(i64),
}

/// Why a case's personal data cannot be deleted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShredRefusal {
    /// The case has no data key (it was never sealed, or no such case).
    NoKey,
    /// It is already deleted.
    AlreadyShredded,
    /// It is on legal hold, for this reason.
    Held(String),
}

impl Store {
    /// Records something done with personal data.
    pub async fn log_privacy(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO privacy_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_ms)
            .bind(actor)
            .bind(action)
            .bind(subject)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The privacy log, newest first (at most `limit`).
    pub async fn privacy_log(&self, limit: i64) -> Result<Vec<PrivacyEntry>, StoreError> {
        Ok(sqlx::query_as::<_, PrivacyEntry>(
            "SELECT at, actor, action, subject, detail FROM privacy_log ORDER BY at DESC, action LIMIT $1",
        )
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Closed cases of `case_type` that closed before `closed_before_ms` and still hold personal
    /// data (a live key, no hold), oldest first, at most `limit`.
    pub async fn due_for_shredding(
        &self,
        case_type: &str,
        closed_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT c.id FROM cases c JOIN case_keys k ON k.case_id = c.id \
             WHERE c.case_type = $1 AND c.status = 'closed' AND c.closed_at < $2 \
             AND k.shredded_at IS NULL AND k.hold IS NULL ORDER BY c.closed_at, c.id LIMIT $3",
        )
        .bind(case_type)
        .bind(closed_before_ms)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Deletes a case's personal data for good: destroys its data key (its sealed values can
    /// never be opened again), removes its blind indexes and its stored idempotent answers, and
    /// records when and under which `rule` (JSON text of the rule as people read it). Its history,
    /// its chain and every other column stay as they were. Refused on hold or without a key.
    pub async fn shred_case(
        &self,
        case_id: &str,
        rule: &str,
        actor: &str,
        now_ms: i64,
    ) -> Result<Result<(), ShredRefusal>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<(Option<String>, Option<i64>, Option<String>)> =
            sqlx::query_as("SELECT wrapped, shredded_at, hold FROM case_keys WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut *tx)
                .await?;
        let refusal = match row {
            None => Some(ShredRefusal::NoKey),
            Some((_, Some(_), _)) => Some(ShredRefusal::AlreadyShredded),
            Some((_, None, Some(hold))) => Some(ShredRefusal::Held(hold)),
            Some((None, None, None)) => Some(ShredRefusal::NoKey),
            Some((Some(_), None, None)) => None,
        };
        if let Some(r) = refusal {
            tx.rollback().await?;
            return Ok(Err(r));
        }
        let done = sqlx::query(
            "UPDATE case_keys SET wrapped = NULL, shredded_at = $1, shred_rule = $2 \
             WHERE case_id = $3 AND shredded_at IS NULL AND hold IS NULL",
        )
        .bind(now_ms)
        .bind(rule)
        .bind(case_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Err(ShredRefusal::AlreadyShredded));
        }
        for sql in [
            "DELETE FROM person_index WHERE case_id = $1",
            "DELETE FROM repeat_keys WHERE case_id = $1",
            "DELETE FROM idempotency WHERE case_id = $1",
            "UPDATE deliveries SET sealed_address = NULL WHERE case_id = $1",
            // A personal file's key went with the case's; its bytes go too, to free the space.
            "DELETE FROM attachment_chunks WHERE attachment_id IN \
             (SELECT id FROM attachments WHERE case_id = $1 AND personal = 1)",
            "UPDATE attachments SET wrapped = NULL, name = '', size = 0, chunks = 0 WHERE case_id = $1 AND personal = 1",
        ] {
            sqlx::query(sql).bind(case_id).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO privacy_log (at, actor, action, subject, detail) VALUES ($1, $2, 'shred', $3, $4)")
            .bind(now_ms)
            .bind(actor)
            .bind(case_id)
            .bind(rule)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.keys.forget(case_id);
        Ok(Ok(()))
    }

    /// Where a case's personal data stands.
    pub async fn key_standing(&self, case_id: &str) -> Result<Standing, StoreError> {
        let row: Option<(Option<i64>, Option<String>)> =
            sqlx::query_as("SELECT shredded_at, hold FROM case_keys WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            None => Standing::Plain,
            Some((Some(at), _)) => Standing::Deleted(at),
            Some((None, Some(reason))) => Standing::Held(reason),
            Some((None, None)) => Standing::Sealed,
        })
    }

    /// Places (`Some(reason)`) or lifts (`None`) a legal hold on a case's personal data: a held
    /// case is never shredded. False when the case has no key or is already shredded.
    pub async fn set_hold(
        &self,
        case_id: &str,
        reason: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE case_keys SET hold = $1 WHERE case_id = $2 AND shredded_at IS NULL")
            .bind(reason)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let (action, detail) = match reason {
            Some(r) => ("hold", r),
            None => ("release", ""),
        };
        sqlx::query("INSERT INTO privacy_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_ms)
            .bind(actor)
            .bind(action)
            .bind(case_id)
            .bind(detail)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The cases of a person, by the blind index of their phone or ID number (`kind` `phone` or
    /// `id_number`), newest first: nothing is decrypted to find them.
    pub async fn cases_of_person(&self, kind: &str, index: &str, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT p.case_id FROM person_index p JOIN cases c ON c.id = p.case_id \
             WHERE p.kind = $1 AND p.value = $2 ORDER BY c.opened_at DESC, c.id LIMIT $3",
        )
        .bind(kind)
        .bind(index)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
