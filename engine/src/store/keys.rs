//! Which master key the store is sealed under (by its suite and fingerprint only).

use super::{Store, StoreError};

/// How a master key stands to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyBinding {
    /// The store had no key; this one is now its key.
    Bound,
    /// The store's key is this one.
    Same,
    /// The store is sealed under another key (or suite): its suite and fingerprint.
    Other {
        /// The store's suite.
        suite: String,
        /// The store's key's fingerprint.
        fingerprint: String,
    },
}

impl Store {
    /// Binds the store to the master key named by `suite` and `fingerprint` the first time, and
    /// says afterwards whether a key is the store's. Safe when several nodes start at once: one
    /// binding wins and the others compare with it.
    pub async fn bind_master_key(&self, suite: &str, fingerprint: &str, now_ms: i64) -> Result<KeyBinding, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO store_keys (id, suite, fingerprint, created_at) VALUES ('master', $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(suite)
        .bind(fingerprint)
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(KeyBinding::Bound);
        }
        let (s, f): (String, String) = sqlx::query_as("SELECT suite, fingerprint FROM store_keys WHERE id = 'master'")
            .fetch_one(&self.pool)
            .await?;
        Ok(if s == suite && f == fingerprint {
            KeyBinding::Same
        } else {
            KeyBinding::Other {
                suite: s,
                fingerprint: f,
            }
        })
    }
}
