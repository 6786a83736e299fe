//! The durable store: SQLite (the embedded default) or PostgreSQL, one schema, migrations per
//! backend under `engine/migrations/<backend>/`.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` unless configured otherwise, so a committed
//! write survives power loss. Every write transaction on SQLite begins `IMMEDIATE`, so two
//! writers queue on the busy timeout instead of failing on a read-to-write upgrade. Times are
//! bound as parameters from the engine's clock, never taken from the database's.

use std::str::FromStr;
use std::time::Duration as StdDuration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

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

/// A connected store.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
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

const FIND_VERSION: &str = "SELECT version FROM definition_versions WHERE case_type = $1 AND sha256 = $2";
const MAX_VERSION: &str = "SELECT CAST(MAX(version) AS BIGINT) FROM definition_versions WHERE case_type = $1";
const INSERT_VERSION: &str =
    "INSERT INTO definition_versions (case_type, version, sha256, source, deployed_at) VALUES ($1, $2, $3, $4, $5)";

/// The body of [`Store::deploy`], the same SQL on both backends once the transaction is open.
macro_rules! deploy_in_tx {
    ($tx:expr, $case_type:expr, $sha:expr, $source:expr, $now:expr) => {{
        let existing: Option<(i64,)> = sqlx::query_as(FIND_VERSION)
            .bind($case_type)
            .bind($sha)
            .fetch_optional(&mut *$tx)
            .await?;
        if let Some((version,)) = existing {
            (version, false)
        } else {
            let (max,): (Option<i64>,) = sqlx::query_as(MAX_VERSION)
                .bind($case_type)
                .fetch_one(&mut *$tx)
                .await?;
            let version = max.unwrap_or(0) + 1;
            sqlx::query(INSERT_VERSION)
                .bind($case_type)
                .bind(version)
                .bind($sha)
                .bind($source)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            (version, true)
        }
    }};
}

impl Store {
    /// Connects (creating a SQLite file if missing) and applies pending migrations.
    pub async fn open(opts: &StoreOptions) -> Result<Store, StoreError> {
        let url = opts.url.as_str();
        if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match opts.durability {
                    Durability::Full => SqliteSynchronous::Full,
                    Durability::Normal => SqliteSynchronous::Normal,
                })
                .busy_timeout(StdDuration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections)
                .connect_with(connect)
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(StdDuration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Records `source` as the current definition of `case_type`: a new version when its text
    /// differs from every earlier version, the matching version otherwise.
    pub async fn deploy(&self, case_type: &str, source: &str, now_ms: i64) -> Result<Deployed, StoreError> {
        let sha = sha256_hex(source);
        let (version, created) = match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let r = deploy_in_tx!(tx, case_type, &sha, source, now_ms);
                tx.commit().await?;
                r
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // Serialise deploys of one case type across nodes.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(case_type)
                    .execute(&mut *tx)
                    .await?;
                let r = deploy_in_tx!(tx, case_type, &sha, source, now_ms);
                tx.commit().await?;
                r
            }
        };
        Ok(Deployed {
            case_type: case_type.to_owned(),
            version,
            created,
        })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(p) => p.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }
}
