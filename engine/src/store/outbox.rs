//! The notification outbox: rows written with the case, expanded into one delivery per address
//! and channel, claimed with leases, and their outcomes recorded. Nothing is dropped silently:
//! a row that resolves to nobody and a delivery that fails for good stay visible.

use serde::Serialize;

use super::{Backend, Store, StoreError};

/// An outbox row claimed for expansion.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    /// Its key.
    pub idempotency_key: String,
    /// The case.
    pub case_id: String,
    /// The template.
    pub template: String,
    /// The recipients (JSON).
    pub recipients: String,
    /// The channels (JSON).
    pub channels: String,
}

/// One address to deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// `email` or `sms`.
    pub channel: String,
    /// The address (email or mobile number); empty when none is known.
    pub address: String,
    /// Who (a user id, or `citizen`).
    pub recipient: String,
    /// Why it cannot be sent, when it cannot.
    pub undeliverable: Option<String>,
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Delivery {
    /// The outbox row.
    pub outbox_key: String,
    /// The channel.
    pub channel: String,
    /// The address (opened, when it is stored sealed; empty once the case is shredded).
    pub address: String,
    /// What names the delivery in the store with its outbox key and channel: the address, or
    /// for a sealed citizen's address its blind index (`sealed:…`). Updates and references use it;
    /// never shown (it may be the address itself).
    #[serde(skip)]
    pub slot: String,
    /// The sealed address, when stored sealed.
    #[serde(skip)]
    pub sealed_address: Option<String>,
    /// Who.
    pub recipient: String,
    /// The case.
    pub case_id: String,
    /// The template.
    pub template: String,
    /// `pending`, `retrying`, `delivered`, `failed` or `undeliverable`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// The gateway's id once delivered.
    pub gateway_id: Option<String>,
    /// The latest delivery report's status, when the gateway sends reports.
    pub report_status: Option<i64>,
}

/// What happened to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the server or gateway.
    Delivered {
        /// The gateway's message id.
        gateway_id: Option<String>,
    },
    /// Try again at `next_at` (UTC ms).
    Retry {
        /// When.
        next_at: i64,
        /// Why it failed this time.
        error: String,
    },
    /// Failed for good.
    Failed {
        /// Why.
        error: String,
    },
    /// Not attempted now (quiet hours, a rate limit): wait until `until` without counting an attempt.
    Deferred {
        /// When to try.
        until: i64,
        /// Why.
        reason: String,
    },
}

impl Store {
    /// Claims pending outbox rows for expansion.
    pub async fn claim_outbox(
        &self,
        node: &str,
        now_ms: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE idempotency_key IN \
             (SELECT idempotency_key FROM outbox WHERE state = 'pending' AND next_attempt_at <= $3 \
              AND (lease_until IS NULL OR lease_until < $3) ORDER BY created_at LIMIT $4{lock}) \
             RETURNING idempotency_key, case_id, template, recipients, channels"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query_as::<_, OutboxRow>(&sql)
            .bind(node)
            .bind(lease_until)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Expands a claimed outbox row into deliveries (once: the row must still be ours).
    pub async fn expand_outbox(
        &self,
        key: &str,
        case_id: &str,
        template: &str,
        node: &str,
        deliveries: &[NewDelivery],
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let state = if deliveries.is_empty() {
            "unresolved"
        } else {
            "expanded"
        };
        let error = deliveries.is_empty().then_some("the recipients resolve to nobody");
        let done = sqlx::query(
            "UPDATE outbox SET state = $1, last_error = $2, lease_owner = NULL, lease_until = NULL \
             WHERE idempotency_key = $3 AND state = 'pending' AND lease_owner = $4",
        )
        .bind(state)
        .bind(error)
        .bind(key)
        .bind(node)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let mut slots = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            slots.push(self.delivery_slot(case_id, d).await?);
        }
        for (d, (slot, sealed)) in deliveries.iter().zip(slots) {
            let state = if d.undeliverable.is_some() {
                "undeliverable"
            } else {
                "pending"
            };
            sqlx::query(
                "INSERT INTO deliveries (outbox_key, channel, address, recipient, case_id, template, state, next_attempt_at, last_error, created_at, updated_at, sealed_address) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8, $10) ON CONFLICT (outbox_key, channel, address) DO NOTHING",
            )
            .bind(key)
            .bind(&d.channel)
            .bind(&slot)
            .bind(&d.recipient)
            .bind(case_id)
            .bind(template)
            .bind(state)
            .bind(now_ms)
            .bind(d.undeliverable.as_deref())
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The next instant (UTC ms) after `now_ms` at which a waiting delivery falls due (a retry's
    /// back-off ending), if any: the dispatcher waits until then on the engine's clock.
    pub async fn next_delivery_due(&self, now_ms: i64) -> Result<Option<i64>, StoreError> {
        let (min,): (Option<i64>,) = sqlx::query_as(
            "SELECT CAST(MIN(next_attempt_at) AS BIGINT) FROM deliveries \
             WHERE state IN ('pending', 'retrying') AND next_attempt_at > $1",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(min)
    }

    /// Claims deliveries that are due on the given channels.
    pub async fn claim_deliveries(
        &self,
        node: &str,
        channels: &[&str],
        now_ms: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let list = format!(",{},", channels.join(","));
        let sql = format!(
            "UPDATE deliveries SET lease_owner = $1, lease_until = $2 WHERE (outbox_key, channel, address) IN \
             (SELECT outbox_key, channel, address FROM deliveries WHERE state IN ('pending', 'retrying') AND next_attempt_at <= $3 \
              AND (lease_until IS NULL OR lease_until < $3) AND $4 LIKE '%,' || channel || ',%' ORDER BY next_attempt_at LIMIT $5{lock}) \
             RETURNING outbox_key, channel, address, address AS slot, sealed_address, recipient, case_id, template, state, attempts, last_error, gateway_id, report_status"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query_as::<_, Delivery>(&sql)
            .bind(node)
            .bind(lease_until)
            .bind(now_ms)
            .bind(list)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        self.open_addresses(rows).await
    }

    /// Opens the sealed citizens' addresses of deliveries.
    async fn open_addresses(&self, mut rows: Vec<Delivery>) -> Result<Vec<Delivery>, StoreError> {
        // A case's deliveries come together: its key is read once.
        let mut keys: std::collections::HashMap<String, super::sealed::CaseKey> = std::collections::HashMap::new();
        for d in &mut rows {
            let Some(sealed) = &d.sealed_address else { continue };
            if !keys.contains_key(&d.case_id) {
                let (key, _) = self.case_key(&d.case_id).await?;
                keys.insert(d.case_id.clone(), key);
            }
            if let Some(key) = keys.get(&d.case_id) {
                d.address = super::sealed::open_address(key, &d.case_id, &d.channel, sealed)?;
            }
        }
        Ok(rows)
    }

    /// Where a delivery of `case_id` to `address` is stored: a citizen's address sealed with
    /// the case's key (named by its blind index), or the address itself.
    async fn delivery_slot(&self, case_id: &str, d: &NewDelivery) -> Result<(String, Option<String>), StoreError> {
        let Some(master) = &self.master else {
            return Ok((d.address.clone(), None));
        };
        if d.recipient != "citizen" || d.address.starts_with("<none") {
            return Ok((d.address.clone(), None));
        }
        match self.case_key(case_id).await?.0 {
            super::sealed::CaseKey::Live(key) => {
                let sealed = super::sealed::seal_address(&key, case_id, &d.channel, &d.address)?;
                let index = master.blind_index("address", &format!("{}:{}", d.channel, d.address));
                Ok((format!("sealed:{index}"), Some(sealed)))
            }
            _ => Ok((d.address.clone(), None)),
        }
    }

    /// Renews `node`'s lease on a claimed delivery just before it is sent, so every send starts
    /// with a whole lease ahead of it; false when the lease has run out (another node may have
    /// taken the delivery) or the delivery is no longer waiting: then it must not be sent.
    pub async fn renew_delivery_lease(
        &self,
        d: &Delivery,
        node: &str,
        now_ms: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET lease_until = $1 WHERE outbox_key = $2 AND channel = $3 AND address = $4 \
             AND lease_owner = $5 AND lease_until > $6 AND state IN ('pending', 'retrying')",
        )
        .bind(lease_until)
        .bind(&d.outbox_key)
        .bind(&d.channel)
        .bind(&d.slot)
        .bind(node)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records an attempt's outcome, only while the lease is `node`'s.
    pub async fn record_delivery(
        &self,
        d: &Delivery,
        node: &str,
        outcome: &Outcome,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let (state, next, error, gateway, attempt): (&str, i64, Option<&str>, Option<&str>, i64) = match outcome {
            Outcome::Delivered { gateway_id } => ("delivered", now_ms, None, gateway_id.as_deref(), 1),
            Outcome::Retry { next_at, error } => ("retrying", *next_at, Some(error), None, 1),
            Outcome::Failed { error } => ("failed", now_ms, Some(error), None, 1),
            Outcome::Deferred { until, reason } => (d.state.as_str(), *until, Some(reason), None, 0),
        };
        let done = sqlx::query(
            "UPDATE deliveries SET state = $1, next_attempt_at = $2, last_error = $3, gateway_id = $4, attempts = attempts + 1, \
             updated_at = $5, lease_owner = NULL, lease_until = NULL \
             WHERE outbox_key = $6 AND channel = $7 AND address = $8 AND lease_owner = $9",
        )
        .bind(state)
        .bind(next)
        .bind(error)
        .bind(gateway)
        .bind(now_ms)
        .bind(&d.outbox_key)
        .bind(&d.channel)
        .bind(&d.slot)
        .bind(node)
        .bind(attempt)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Messages delivered to `address` on `channel` since `since_ms` (for per-recipient rate limits).
    pub async fn delivered_since(&self, channel: &str, address: &str, since_ms: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM deliveries WHERE channel = $1 AND address = $2 AND state = 'delivered' AND updated_at >= $3",
        )
        .bind(channel)
        .bind(address)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Deliveries that need an admin: failed for good, or undeliverable.
    pub async fn failed_deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query_as::<_, Delivery>(
            "SELECT outbox_key, channel, address, address AS slot, sealed_address, recipient, case_id, template, state, attempts, last_error, gateway_id, report_status \
             FROM deliveries WHERE state IN ('failed', 'undeliverable') ORDER BY updated_at DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        self.open_addresses(rows).await
    }

    /// The addresses of the failed or undeliverable deliveries of one outbox row on one channel.
    pub async fn failed_addresses(&self, outbox_key: &str, channel: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT address FROM deliveries WHERE outbox_key = $1 AND channel = $2 \
             AND state IN ('failed', 'undeliverable') ORDER BY address",
        )
        .bind(outbox_key)
        .bind(channel)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The deliveries of one case, oldest first.
    pub async fn case_deliveries(&self, case_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query_as::<_, Delivery>(
            "SELECT outbox_key, channel, address, address AS slot, sealed_address, recipient, case_id, template, state, attempts, last_error, gateway_id, report_status \
             FROM deliveries WHERE case_id = $1 ORDER BY created_at, outbox_key, channel, address",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        self.open_addresses(rows).await
    }

    /// Records a gateway's delivery report; a final failure report marks the delivery failed.
    pub async fn record_report(
        &self,
        outbox_key: &str,
        channel: &str,
        address: &str,
        status: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let failed = matches!(status, 2 | 16);
        let done = sqlx::query(
            "UPDATE deliveries SET report_status = $1, report_at = $2, \
             state = CASE WHEN $3 = 1 THEN 'failed' ELSE state END, \
             last_error = CASE WHEN $3 = 1 THEN 'the gateway reported the message undelivered' ELSE last_error END \
             WHERE outbox_key = $4 AND channel = $5 AND address = $6",
        )
        .bind(status)
        .bind(now_ms)
        .bind(i64::from(failed))
        .bind(outbox_key)
        .bind(channel)
        .bind(address)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Outbox rows whose recipients resolved to nobody: (key, case, template, when).
    pub async fn unresolved_outbox(&self, limit: i64) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT idempotency_key, case_id, template, created_at FROM outbox WHERE state = 'unresolved' ORDER BY created_at DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Puts a failed delivery back in line (an admin's retry by hand).
    pub async fn retry_delivery(
        &self,
        outbox_key: &str,
        channel: &str,
        address: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'retrying', next_attempt_at = $1, updated_at = $1 \
             WHERE outbox_key = $2 AND channel = $3 AND address = $4 AND state IN ('failed', 'undeliverable')",
        )
        .bind(now_ms)
        .bind(outbox_key)
        .bind(channel)
        .bind(address)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notifications queued, by template.
    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT template, COUNT(*) FROM outbox GROUP BY template ORDER BY template")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Deliveries by state, for metrics and tests.
    pub async fn delivery_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT channel, state, CAST(COUNT(*) AS BIGINT) FROM deliveries GROUP BY channel, state ORDER BY channel, state",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
