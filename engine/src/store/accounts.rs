//! Accounts, sessions, API tokens and the audit log of actions outside case histories.
//! Secrets never reach the database in clear: passwords as argon2id PHC strings (hashed by the
//! caller), session ids and tokens as SHA-256.

use super::{Store, StoreError, sha256_hex};

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// Sign-in name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Roles held.
    pub roles: Vec<String>,
    /// Department.
    pub department: Option<String>,
    /// Unit.
    pub unit: String,
    /// Email.
    pub email: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Whether it may sign in.
    pub active: bool,
    /// Failed password attempts since the last success.
    pub failed_attempts: i64,
    /// Locked until (UTC ms).
    pub locked_until: Option<i64>,
    #[serde(skip)]
    /// The password hash (PHC string), if any.
    pub password_hash: Option<String>,
}

/// An API token as its account's owner and admins see it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct TokenInfo {
    /// Its name.
    pub name: String,
    /// Issued (UTC ms).
    pub created_at: i64,
    /// Valid until (UTC ms).
    pub expires_at: i64,
    /// Last used (UTC ms, to the minute).
    pub last_used_at: Option<i64>,
    /// Revoked.
    pub revoked: bool,
}

type AccountRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

fn account(r: AccountRow) -> Result<Account, StoreError> {
    let roles: Vec<String> =
        serde_json::from_str(&r.2).map_err(|e| StoreError::Corrupt(format!("account {}: {e}", r.0)))?;
    Ok(Account {
        id: r.0,
        name: r.1,
        roles,
        department: r.3,
        unit: r.4,
        email: r.5,
        mobile: r.6,
        active: r.7 != 0,
        failed_attempts: r.8,
        locked_until: r.9,
        password_hash: r.10,
    })
}

const ACCOUNT_COLUMNS: &str =
    "id, name, roles, department, unit, email, mobile, active, failed_attempts, locked_until, password_hash";

impl Store {
    /// Creates an account; `false` when the id is taken.
    pub async fn add_account(&self, a: &Account, now_ms: i64) -> Result<bool, StoreError> {
        let roles = serde_json::to_string(&a.roles).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let n = sqlx::query(
            "INSERT INTO users (id, name, roles, department, unit, email, mobile, password_hash, active, failed_attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&a.id)
        .bind(&a.name)
        .bind(roles)
        .bind(a.department.clone())
        .bind(&a.unit)
        .bind(a.email.clone())
        .bind(a.mobile.clone())
        .bind(a.password_hash.clone())
        .bind(i64::from(a.active))
        .bind(now_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// An account by id.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE id = $1");
        let row: Option<AccountRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.map(account).transpose()
    }

    /// Every account, by id.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users ORDER BY id");
        let rows: Vec<AccountRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        rows.into_iter().map(account).collect()
    }

    /// Sets an account's password hash and unlocks it; every session and token of the account
    /// ends (whoever knew the old password or held a token issued under it is out).
    pub async fn set_password(&self, id: &str, hash: &str) -> Result<bool, StoreError> {
        let n =
            sqlx::query("UPDATE users SET password_hash = $1, failed_attempts = 0, locked_until = NULL WHERE id = $2")
                .bind(hash)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
        if n == 1 {
            self.end_credentials(id).await?;
        }
        Ok(n == 1)
    }

    /// Lets an account sign in again, or stops it; a stopped account's sessions end and its
    /// tokens are revoked (starting it again revives none of them).
    pub async fn set_active(&self, id: &str, active: bool) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE users SET active = $1, failed_attempts = 0, locked_until = NULL WHERE id = $2")
            .bind(i64::from(active))
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if !active {
            self.end_credentials(id).await?;
        }
        Ok(n == 1)
    }

    /// Takes one password attempt for an active account *before* its password is checked: the
    /// attempt counts as a failure until [`Store::sign_in_succeeded`] clears it, and the `max`-th
    /// locks the account until `lock_until_ms`. `false` (nothing taken, nothing to check) while
    /// the account is locked or stopped. One statement, so concurrent requests on any number of
    /// nodes take at most `max` attempts per lock window between them.
    pub async fn take_sign_in_attempt(
        &self,
        id: &str,
        max: i64,
        now_ms: i64,
        lock_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE users SET \
             failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN 1 ELSE failed_attempts + 1 END, \
             locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $1 THEN NULL \
                                 WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $4 AND active = 1 AND (locked_until IS NULL OR locked_until <= $1)",
        )
        .bind(now_ms)
        .bind(max)
        .bind(lock_until_ms)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Unlocks an account (an admin's decision): its failures are forgotten. `false` when
    /// there is no such account.
    pub async fn unlock_account(&self, id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Clears the failures after a successful sign-in.
    pub async fn sign_in_succeeded(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Starts a session for `user` with the secret `session_id` (only its hash is kept) and a
    /// CSRF token; ends any earlier session of the same id.
    pub async fn start_session(
        &self,
        session_id: &str,
        user: &str,
        csrf: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_sha256, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256_hex(session_id))
        .bind(user)
        .bind(csrf)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub async fn session(&self, session_id: &str, now_ms: i64) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT user_id, csrf FROM sessions WHERE id_sha256 = $1 AND expires_at > $2")
                .bind(sha256_hex(session_id))
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Ends a session.
    pub async fn end_session(&self, session_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1")
            .bind(sha256_hex(session_id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an API token (its hash) for `user`, named `name` and valid until `expires_ms`;
    /// `false` when the account already has a live token of that name (names say which token
    /// to revoke, so they are unique among live tokens).
    pub async fn add_token(
        &self,
        token: &str,
        user: &str,
        name: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        // One statement: a transaction that reads and then writes can be refused at once by
        // SQLite (a read snapshot cannot be upgraded while another connection writes).
        let n = sqlx::query(
            "INSERT INTO api_tokens (sha256, user_id, name, created_at, revoked, expires_at) \
             SELECT $1, $2, $3, $4, 0, $5 WHERE NOT EXISTS (SELECT 1 FROM api_tokens \
             WHERE user_id = $2 AND name = $3 AND revoked = 0 AND expires_at > $4)",
        )
        .bind(sha256_hex(token))
        .bind(user)
        .bind(name)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The user of a live API token (not revoked, not expired); notes when it was last used
    /// (at most once a minute, so reading a token does not write on every request).
    pub async fn token_user(&self, token: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
        let hash = sha256_hex(token);
        let row: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT user_id, last_used_at FROM api_tokens WHERE sha256 = $1 AND revoked = 0 AND expires_at > $2",
        )
        .bind(&hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user, last)) = row else { return Ok(None) };
        // Noting the use is best effort: a store that takes no writes (a full disk) still
        // serves reads to token holders.
        if last.is_none_or(|t| now_ms - t >= 60_000)
            && let Err(e) = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE sha256 = $2")
                .bind(now_ms)
                .bind(&hash)
                .execute(&self.pool)
                .await
        {
            tracing::debug!("noting a token's use failed: {e}");
        }
        Ok(Some(user))
    }

    /// An account's tokens, newest first (revoked and expired ones too, marked so).
    pub async fn tokens(&self, user: &str) -> Result<Vec<TokenInfo>, StoreError> {
        type Row = (String, i64, Option<i64>, Option<i64>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT name, created_at, expires_at, last_used_at, revoked FROM api_tokens WHERE user_id = $1 \
             ORDER BY created_at DESC, name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, created_at, expires_at, last_used_at, revoked)| TokenInfo {
                name,
                created_at,
                expires_at: expires_at.unwrap_or(0),
                last_used_at,
                revoked: revoked != 0,
            })
            .collect())
    }

    /// Revokes every live token of `user` named `name`; returns how many. A revoked token never
    /// becomes valid again.
    pub async fn revoke_tokens(&self, user: &str, name: &str) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND name = $2 AND revoked = 0")
                .bind(user)
                .bind(name)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Ends every session and revokes every token of `user` (after a password reset, or when
    /// the account is stopped); returns how many sessions and tokens ended.
    pub async fn end_credentials(&self, user: &str) -> Result<(u64, u64), StoreError> {
        let mut tx = self.pool.begin().await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let tokens = sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1 AND revoked = 0")
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((sessions, tokens))
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        now_ms: i64,
        user: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now_ms)
            .bind(user)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The audit log, newest first, filtered by who acted or was concerned (`user`), by the
    /// target (a case id, an account) and by the action; empty filters match everything.
    pub async fn audit_search(
        &self,
        user: &str,
        target: &str,
        action: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT at, user_id, action, target, detail FROM audit_log \
             WHERE ($1 = '' OR user_id = $1 OR target = $1) AND ($2 = '' OR target = $2) AND ($3 = '' OR action = $3) \
             ORDER BY at DESC LIMIT $4",
        )
        .bind(user)
        .bind(target)
        .bind(action)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The audit log, newest first, optionally of what one user did or had done to them.
    pub async fn audit_entries(
        &self,
        user: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
        Ok(match user {
            Some(u) => {
                sqlx::query_as(
                    "SELECT at, user_id, action, target, detail FROM audit_log WHERE user_id = $1 OR target = $1 \
                     ORDER BY at DESC LIMIT $2",
                )
                .bind(u)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as("SELECT at, user_id, action, target, detail FROM audit_log ORDER BY at DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        })
    }
}
