//! The ledger of periodic job runs, one row per (job, period), and the reports they produce.

use super::{Store, StoreError};

/// A run in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobRun {
    /// The job.
    pub job: String,
    /// The period it covers.
    pub period: String,
    /// When it was due (UTC ms).
    pub due_at: i64,
    /// `running`, `retrying`, `done` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it finished (UTC ms).
    pub finished_at: Option<i64>,
    /// The last error, if any.
    pub error: Option<String>,
}

/// A ledger row as read: job, period, due, state, attempts, finished, error.
type RunRow = (String, String, i64, String, i64, Option<i64>, Option<String>);

/// What saving a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// No report for this job and period existed.
    New,
    /// The same figures as before.
    Unchanged,
    /// Different figures from the stored ones (the data changed since).
    Changed,
}

/// Attempts after which a run stops being retried on its own and waits for an admin.
pub const MAX_ATTEMPTS: i64 = 5;

/// A report as a job run stores it.
#[derive(Debug, Clone, Copy)]
pub struct NewReport<'a> {
    /// The job.
    pub job: &'a str,
    /// The period it covers (`2026-10`).
    pub period: &'a str,
    /// `bulletin`, `assessment` or `spot_check`.
    pub kind: &'a str,
    /// Its figures as JSON.
    pub data: &'a str,
    /// Its HTML.
    pub html: &'a str,
    /// Its table as CSV.
    pub csv: &'a str,
}

impl Store {
    /// Claims the run of `job` for `period` for `node` until `lease_until_ms`: a new run, a run
    /// whose retry is due, or a run whose claimer's lease expired. Only one claimer wins.
    pub async fn claim_job_run(
        &self,
        job: &str,
        period: &str,
        due_ms: i64,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO job_runs (job, period, due_at, state, attempts, lease_owner, lease_until, next_attempt_at, started_at) \
             VALUES ($1, $2, $3, 'running', 1, $4, $5, $6, $6) ON CONFLICT (job, period) DO NOTHING",
        )
        .bind(job)
        .bind(period)
        .bind(due_ms)
        .bind(node)
        .bind(lease_until_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        let updated = sqlx::query(
            "UPDATE job_runs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_until = $2, \
             started_at = $3, due_at = CASE WHEN state = 'by_hand' THEN $6 ELSE due_at END \
             WHERE job = $4 AND period = $5 AND \
             ((state = 'retrying' AND next_attempt_at <= $3) OR (state = 'running' AND lease_until < $3) \
              OR state = 'by_hand')",
        )
        .bind(node)
        .bind(lease_until_ms)
        .bind(now_ms)
        .bind(job)
        .bind(period)
        .bind(due_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Records a run's success, if `node` still holds it.
    pub async fn finish_job_run(
        &self,
        job: &str,
        period: &str,
        node: &str,
        now_ms: i64,
        sha256: &str,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE job_runs SET state = 'done', finished_at = $1, result_sha256 = $2, lease_owner = NULL, \
             lease_until = NULL, error = NULL WHERE job = $3 AND period = $4 AND lease_owner = $5 AND state = 'running'",
        )
        .bind(now_ms)
        .bind(sha256)
        .bind(job)
        .bind(period)
        .bind(node)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records a run by hand in the ledger: a failed, retrying or done run of the period is
    /// marked done with the new result; a period the schedule has not reached yet gets a
    /// `by_hand` row, which the scheduled run still claims when the period falls due (so a
    /// report run by hand early is computed again over the whole period). A run in progress is
    /// left alone. Returns whether a row was written.
    pub async fn settle_job_run(&self, job: &str, period: &str, now_ms: i64, sha256: &str) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE job_runs SET state = CASE WHEN state = 'by_hand' THEN 'by_hand' ELSE 'done' END, \
             finished_at = $1, result_sha256 = $2, error = NULL \
             WHERE job = $3 AND period = $4 AND state IN ('failed', 'retrying', 'done', 'by_hand')",
        )
        .bind(now_ms)
        .bind(sha256)
        .bind(job)
        .bind(period)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(true);
        }
        let n = sqlx::query(
            "INSERT INTO job_runs (job, period, due_at, state, attempts, next_attempt_at, started_at, finished_at, result_sha256) \
             VALUES ($1, $2, $3, 'by_hand', 0, $3, $3, $3, $4) ON CONFLICT (job, period) DO NOTHING",
        )
        .bind(job)
        .bind(period)
        .bind(now_ms)
        .bind(sha256)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records a run's failure: retried at `retry_at_ms`, or `failed` (waiting for an admin)
    /// after [`MAX_ATTEMPTS`].
    pub async fn fail_job_run(
        &self,
        job: &str,
        period: &str,
        node: &str,
        error: &str,
        retry_at_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE job_runs SET state = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'retrying' END, \
             next_attempt_at = $2, error = $3, lease_owner = NULL, lease_until = NULL \
             WHERE job = $4 AND period = $5 AND lease_owner = $6 AND state = 'running'",
        )
        .bind(MAX_ATTEMPTS)
        .bind(retry_at_ms)
        .bind(error)
        .bind(job)
        .bind(period)
        .bind(node)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How many cases and history events the store holds.
    pub async fn size(&self) -> Result<(i64, i64), StoreError> {
        let cases: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases")
            .fetch_one(&self.pool)
            .await?;
        let events: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM case_events")
            .fetch_one(&self.pool)
            .await?;
        Ok((cases.0, events.0))
    }

    /// When the centre was installed: its first deployment of a case type.
    pub async fn installed_at(&self) -> Result<Option<i64>, StoreError> {
        let row: (Option<i64>,) = sqlx::query_as("SELECT MIN(deployed_at) FROM definition_versions")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }

    /// The latest due instant the ledger holds for `job`, if any.
    pub async fn last_job_due(&self, job: &str) -> Result<Option<i64>, StoreError> {
        let row: (Option<i64>,) = sqlx::query_as("SELECT MAX(due_at) FROM job_runs WHERE job = $1")
            .bind(job)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }

    /// Runs not done whose retry or lease is due: (job, period, due_at).
    pub async fn unfinished_job_runs(&self, now_ms: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT job, period, due_at FROM job_runs WHERE (state = 'retrying' AND next_attempt_at <= $1) \
             OR (state = 'running' AND lease_until < $1) ORDER BY due_at",
        )
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The ledger, newest first.
    pub async fn job_runs(&self, limit: i64) -> Result<Vec<JobRun>, StoreError> {
        let rows: Vec<RunRow> = sqlx::query_as(
            "SELECT job, period, due_at, state, attempts, finished_at, error FROM job_runs ORDER BY due_at DESC, job LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(job, period, due_at, state, attempts, finished_at, error)| JobRun {
                job,
                period,
                due_at,
                state,
                attempts,
                finished_at,
                error,
            })
            .collect())
    }

    /// Stores a report, replacing an earlier one for the same job and period, and says whether
    /// its figures changed.
    pub async fn save_report(&self, report: NewReport<'_>, now_ms: i64) -> Result<(Saved, String), StoreError> {
        let NewReport {
            job,
            period,
            kind,
            data,
            html,
            csv,
        } = report;
        let sha = super::sha256_hex(data);
        let old: Option<(String,)> = sqlx::query_as("SELECT sha256 FROM reports WHERE job = $1 AND period = $2")
            .bind(job)
            .bind(period)
            .fetch_optional(&self.pool)
            .await?;
        let saved = match &old {
            None => Saved::New,
            Some((s,)) if *s == sha => Saved::Unchanged,
            Some(_) => Saved::Changed,
        };
        sqlx::query(
            "INSERT INTO reports (job, period, kind, data, html, csv, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (job, period) DO UPDATE SET kind = excluded.kind, data = excluded.data, html = excluded.html, \
             csv = excluded.csv, sha256 = excluded.sha256, created_at = excluded.created_at",
        )
        .bind(job)
        .bind(period)
        .bind(kind)
        .bind(data)
        .bind(html)
        .bind(csv)
        .bind(&sha)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok((saved, sha))
    }

    /// Queues the announcement of a report in the outbox (once per job and period): the
    /// dispatcher sends it like a case's notification. Its `case_id` is `report:<job>:<period>`.
    pub async fn enqueue_report_notice(
        &self,
        job: &str,
        period: &str,
        template: &str,
        recipients: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbox (idempotency_key, case_id, template, recipients, channels, state, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, '[\"email\"]', 'pending', $5, $5) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(format!("report/{job}/{period}"))
        .bind(format!("report:{job}:{period}"))
        .bind(template)
        .bind(recipients)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A stored report's kind and data.
    pub async fn report_data(&self, job: &str, period: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT kind, data FROM reports WHERE job = $1 AND period = $2")
                .bind(job)
                .bind(period)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A stored report's HTML and CSV.
    pub async fn report(&self, job: &str, period: &str) -> Result<Option<(String, String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT data, html, csv FROM reports WHERE job = $1 AND period = $2")
                .bind(job)
                .bind(period)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The stored reports, newest period first: `(job, period, kind, created_at)`.
    pub async fn report_list(&self, limit: i64) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT job, period, kind, created_at FROM reports ORDER BY period DESC, job LIMIT $1")
                .bind(limit.clamp(1, 1000))
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
