//! The durable store: SQLite (the embedded default) or PostgreSQL behind one code path (sqlx's
//! `Any` driver), one schema, migrations per backend under `engine/migrations/<backend>/`.
//!
//! Every value crosses as text or a 64-bit integer (times are UTC milliseconds bound from the
//! engine's clock), so the same SQL runs on both; where the backends differ (claiming with
//! `FOR UPDATE SKIP LOCKED`, starting a write transaction) the SQL is chosen by [`Backend`].
//! SQLite runs in WAL mode with `synchronous=FULL` unless configured otherwise, so a committed
//! write survives power loss, and every SQLite write transaction begins `IMMEDIATE`.

pub mod absences;
pub mod accounts;
pub mod attachments;
mod audit;
pub mod batch;
pub mod cases;
mod dump;
pub mod keys;
pub mod numbers;
pub use dump::CASE_TABLES;
mod inbox;
pub mod jobs;
pub mod outbox;
pub mod privacy;
mod reports;
pub mod reseal;
pub mod sealed;
pub mod search;
pub mod team;
pub mod timers;
pub mod views;

pub use audit::{AuditReport, BrokenLink};
pub use cases::{LoadedCase, StoredEvent, WriteError};
pub use inbox::{CHECKED_SEARCH_SCAN, InboxFilter, InboxItem};
pub use timers::ClaimedTimer;

use std::sync::Once;
use std::time::Duration as StdDuration;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported backend.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database could not take the write (connection lost, or another failure at commit).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full (a commit's failure, shared by every command in its batch).
    #[error("the database's disk is full: {0}")]
    DiskFull(String),
    /// The database takes no writes (a read-only file, file system or server).
    #[error("the database is read-only: {0}")]
    ReadOnly(String),
    /// Stored data that does not decode (edited by hand, or written by a newer version).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Sealed personal data that does not open: a wrong or missing master key, or a changed
    /// ciphertext (the message names the case).
    #[error("sealed personal data does not open: {0}")]
    Sealed(String),
    /// A reference a person gave matches more than one case.
    #[error("{0}")]
    Ambiguous(String),
}

/// Refreshes SQLite's statistics where they went stale, so its planner picks the list's index
/// for a filter that matches most cases (without statistics it takes any equality as selective
/// and sorts every row). `at_open` also analyses tables never analysed. Bounded by
/// `analysis_limit`, so it costs milliseconds on a large store; a failure only costs speed.
async fn optimize_sqlite(pool: &AnyPool, at_open: bool) {
    let sql = if at_open {
        "PRAGMA optimize=0x10002"
    } else {
        "PRAGMA optimize"
    };
    for s in ["PRAGMA analysis_limit=1000", sql] {
        if let Err(e) = sqlx::query(s).execute(pool).await {
            tracing::warn!("`{s}` failed: {e}");
        }
    }
}

impl StoreError {
    /// Whether retrying the statement can succeed: a deadlock or serialization failure on
    /// PostgreSQL, a busy database on SQLite.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01" | "40001" | "5" | "517" | "6"))
            }
            _ => false,
        }
    }

    /// What an operator can do about the failure, from the database's own error code.
    pub fn trouble(&self) -> Trouble {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => trouble_of(db.code().as_deref()),
            StoreError::DiskFull(_) => Trouble::DiskFull,
            StoreError::ReadOnly(_) => Trouble::ReadOnly,
            _ => Trouble::Other,
        }
    }

    /// A copy of a database error to hand to every command of a failed batch, keeping what the
    /// operator can act on (the error itself cannot be cloned).
    pub fn shared(e: &sqlx::Error) -> StoreError {
        let code = match e {
            sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        };
        let msg = e.to_string();
        match trouble_of(code.as_deref()) {
            Trouble::DiskFull => StoreError::DiskFull(msg),
            Trouble::ReadOnly => StoreError::ReadOnly(msg),
            Trouble::Other => StoreError::Unavailable(msg),
        }
    }
}

/// Why a write failed, as far as an operator can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// No space left for the database: free some; nothing was written.
    DiskFull,
    /// The database takes no writes: make it writable; nothing was written.
    ReadOnly,
    /// Anything else.
    Other,
}

/// Classifies a database error code: PostgreSQL's SQLSTATE (`53100` disk_full, `25006`
/// read_only_sql_transaction) or SQLite's extended result code (primary `SQLITE_FULL` 13,
/// `SQLITE_READONLY` 8 in the low byte).
fn trouble_of(code: Option<&str>) -> Trouble {
    match code {
        Some("53100") => Trouble::DiskFull,
        Some("25006") => Trouble::ReadOnly,
        Some(c) if c.len() < 5 => match c.parse::<u32>().map(|n| n & 0xff) {
            Ok(13) => Trouble::DiskFull,
            Ok(8) => Trouble::ReadOnly,
            _ => Trouble::Other,
        },
        _ => Trouble::Other,
    }
}

/// How durable SQLite commits are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: a commit is on disk before it is acknowledged (the default).
    #[default]
    Full,
    /// `synchronous=NORMAL`: faster; the last commits may be lost on power failure (not on a crash).
    Normal,
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The database URL.
    pub url: String,
    /// SQLite durability.
    pub durability: Durability,
    /// Most connections in the pool.
    pub max_connections: u32,
}

impl StoreOptions {
    /// Defaults for `url`: full durability, 8 connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            durability: Durability::Full,
            max_connections: 8,
        }
    }
}

/// Whether a pooled connection is fit to hand out again: one whose driver still counts an open
/// transaction is not. That happens when a commit fails after the database has already rolled
/// the transaction back (SQLite does so on a full disk): the driver's own rollback then fails
/// too, and every later `BEGIN` on the connection would be refused. Such a connection is closed
/// and the pool opens a fresh one.
fn settled(conn: &mut sqlx::AnyConnection) -> bool {
    use sqlx::Connection;
    let open = conn.is_in_transaction();
    if open {
        tracing::warn!("closing a database connection left inside a failed transaction");
    }
    !open
}

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: one node.
    Sqlite,
    /// PostgreSQL: any number of nodes.
    Postgres,
}

/// A connected store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The master key personal data is sealed under; none for a store that seals nothing.
    master: Option<std::sync::Arc<crate::seal::MasterKey>>,
    /// Data keys already unwrapped.
    keys: sealed::KeyCache,
}

/// What [`Store::check_sqlite_file`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Cases.
    pub cases: i64,
    /// History events.
    pub events: i64,
    /// The master key it is sealed under: suite and fingerprint.
    pub key: Option<(String, String)>,
}

/// A deployed definition version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// The case type.
    pub case_type: String,
    /// Its version number, from 1.
    pub version: i64,
    /// True when this deploy created the version (the source changed).
    pub created: bool,
}

/// The SHA-256 of a text, as lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

static DRIVERS: Once = Once::new();

fn sqlite_url(url: &str) -> String {
    // Create the file when it does not exist.
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Store {
    /// Connects (creating a SQLite file if missing) and applies pending migrations.
    pub async fn open(opts: &StoreOptions) -> Result<Store, StoreError> {
        DRIVERS.call_once(install_default_drivers);
        let url = opts.url.as_str();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let pool = match backend {
            Backend::Sqlite => {
                let sync = match opts.durability {
                    Durability::Full => "PRAGMA synchronous = FULL",
                    Durability::Normal => "PRAGMA synchronous = NORMAL",
                };
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(StdDuration::from_secs(30))
                    .before_acquire(|conn, _| Box::pin(async move { Ok(settled(conn)) }))
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute(sync).await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            // Deleted content is overwritten, not left in free pages: a
                            // destroyed data key or a value sealed in place is gone from the file.
                            conn.execute("PRAGMA secure_delete = ON").await?;
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url(url))
                    .await?;
                sqlx::migrate!("migrations/sqlite").run(&pool).await?;
                optimize_sqlite(&pool, true).await;
                pool
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(StdDuration::from_secs(30))
                    .before_acquire(|conn, _| Box::pin(async move { Ok(settled(conn)) }))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Every statement here is short and indexed; PostgreSQL's JIT, which
                            // starts when a stale estimate makes a plan look costly, spent
                            // milliseconds compiling a query that runs in microseconds.
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                sqlx::migrate!("migrations/postgres").run(&pool).await?;
                pool
            }
        };
        Ok(Store {
            pool,
            backend,
            master: None,
            keys: sealed::KeyCache::default(),
        })
    }

    /// Writes a consistent copy of a SQLite store to `path` while the store is in use
    /// (`VACUUM INTO`: one read transaction, so the copy holds every commit before it began and
    /// none after). `path` must not exist. PostgreSQL stores are backed up with the server's
    /// own tools (base backups and WAL archiving).
    pub async fn backup_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "a PostgreSQL store is backed up with pg_basebackup and WAL archiving (see the README)".into(),
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checks a SQLite file that should be a Yimen store, without changing it: SQLite's
    /// integrity check passes, its migrations are this program's or older, and it has the
    /// case tables. Returns how many cases and events it holds, and the suite and fingerprint
    /// of the master key it is sealed under (none for a store never started with one).
    pub async fn check_sqlite_file(path: &std::path::Path) -> Result<FileCheck, StoreError> {
        DRIVERS.call_once(install_default_drivers);
        let url = format!("sqlite://{}?mode=ro", path.display());
        let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await?;
        let result = async {
            let (ok,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&pool).await?;
            if ok != "ok" {
                return Err(StoreError::Corrupt(format!("SQLite's integrity check says: {ok}")));
            }
            let newest: (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
                .fetch_one(&pool)
                .await
                .map_err(|_| StoreError::Corrupt("not a Yimen store (it has no migrations table)".into()))?;
            let known = sqlx::migrate!("migrations/sqlite").iter().map(|m| m.version).max();
            if newest.0 > known {
                return Err(StoreError::Corrupt(
                    "the store was made by a newer Yimen than this one; use that version".into(),
                ));
            }
            let (cases,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases").fetch_one(&pool).await?;
            let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM case_events")
                .fetch_one(&pool)
                .await?;
            // A store from before sealing has no key table.
            let key: Option<(String, String)> =
                sqlx::query_as("SELECT suite, fingerprint FROM store_keys WHERE id = 'master'")
                    .fetch_optional(&pool)
                    .await
                    .unwrap_or(None);
            Ok(FileCheck { cases, events, key })
        }
        .await;
        pool.close().await;
        result
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The backend's name.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The store sealing personal data under `master` from now on (it must be the key the
    /// store is bound to: see [`Store::bind_master_key`]).
    pub fn sealed_by(mut self, master: std::sync::Arc<crate::seal::MasterKey>) -> Store {
        self.master = Some(master);
        self
    }

    /// The data keys already unwrapped.
    pub fn key_cache(&self) -> &sealed::KeyCache {
        &self.keys
    }

    /// The master key personal data is sealed under, if any.
    pub fn master(&self) -> Option<&std::sync::Arc<crate::seal::MasterKey>> {
        self.master.as_ref()
    }

    /// Keeps the planner's statistics fresh (SQLite; PostgreSQL's autovacuum does this itself).
    pub async fn optimize(&self) {
        if self.backend == Backend::Sqlite {
            optimize_sqlite(&self.pool, false).await;
        }
    }

    /// The pool, for queries elsewhere in the engine.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Records `source` as the current definition of `case_type`: a new version when its text
    /// differs from every earlier version, the matching version otherwise.
    pub async fn deploy(&self, case_type: &str, source: &str, now_ms: i64) -> Result<Deployed, StoreError> {
        let sha = sha256_hex(source);
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Serialise deploys of one case type across nodes.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(case_type)
                .execute(&mut *tx)
                .await?;
        }
        let existing: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM definition_versions WHERE case_type = $1 AND sha256 = $2")
                .bind(case_type)
                .bind(&sha)
                .fetch_optional(&mut *tx)
                .await?;
        let (version, created) = match existing {
            Some((v,)) => (v, false),
            None => {
                let (max,): (Option<i64>,) =
                    sqlx::query_as("SELECT CAST(MAX(version) AS BIGINT) FROM definition_versions WHERE case_type = $1")
                        .bind(case_type)
                        .fetch_one(&mut *tx)
                        .await?;
                let v = max.unwrap_or(0) + 1;
                sqlx::query(
                    "INSERT INTO definition_versions (case_type, version, sha256, source, deployed_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(case_type)
                .bind(v)
                .bind(&sha)
                .bind(source)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                (v, true)
            }
        };
        tx.commit().await?;
        Ok(Deployed {
            case_type: case_type.to_owned(),
            version,
            created,
        })
    }

    /// Records the calendar data a node runs with; true when it differs from what was recorded
    /// before (a first record is not a change).
    pub async fn calendar_changed(&self, calendar_id: &str, sha256: &str, now_ms: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let old: Option<(String,)> = sqlx::query_as("SELECT sha256 FROM calendar_versions WHERE calendar_id = $1")
            .bind(calendar_id)
            .fetch_optional(&mut *tx)
            .await?;
        let changed = old.as_ref().is_some_and(|(o,)| o != sha256);
        if old.is_none() || changed {
            sqlx::query(
                "INSERT INTO calendar_versions (calendar_id, sha256, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (calendar_id) DO UPDATE SET sha256 = excluded.sha256, updated_at = excluded.updated_at",
            )
            .bind(calendar_id)
            .bind(sha256)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Cases with a pending SLA timer (their clock is running).
    pub async fn cases_with_running_clocks(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT case_id FROM timers WHERE state = 'pending' AND name LIKE 'sla:%'")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The source of a deployed definition version.
    pub async fn definition_source(&self, case_type: &str, version: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT source FROM definition_versions WHERE case_type = $1 AND version = $2")
                .bind(case_type)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// The deployed versions of one case type: `(version, deployed_at)`, oldest first.
    pub async fn definition_versions(&self, case_type: &str) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(
            sqlx::query_as(
                "SELECT version, deployed_at FROM definition_versions WHERE case_type = $1 ORDER BY version",
            )
            .bind(case_type)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// How many versions are deployed in all, and the newest deployment (UTC ms): a node
    /// that sees these change reloads its definitions.
    pub async fn definitions_stamp(&self) -> Result<(i64, i64), StoreError> {
        Ok(
            sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(deployed_at), 0) FROM definition_versions")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Every deployed (case type, version, source).
    pub async fn definitions(&self) -> Result<Vec<(String, i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT case_type, version, source FROM definition_versions ORDER BY case_type, version")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
