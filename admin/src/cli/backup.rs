//! `yimen backup` and `yimen restore`: a consistent copy of a live SQLite store, and putting
//! one back. `serve` holds a shared lock on `<store>.lock` for as long as it runs, so a restore
//! (which takes it exclusively) never replaces a store in use. PostgreSQL stores are backed up
//! with the server's own tools (the README says how).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use yimen_engine::store::{Store, StoreOptions};

/// Arguments of `yimen backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist).
    #[arg(long)]
    pub to: PathBuf,
    /// The store to copy (it may be in use).
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
}

/// Arguments of `yimen restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to put back.
    #[arg(long)]
    pub from: PathBuf,
    /// Where to put it: `sqlite://PATH`.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
    /// Replace a store that exists there (never one in use).
    #[arg(long)]
    pub force: bool,
}

/// The file of a `sqlite://PATH[?options]` URL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The lock file beside a SQLite store.
fn lock_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// Holds the store's lock file alone for as long as the returned file lives, or says the store
/// is in use (a SQLite store `serve` has open); nothing for PostgreSQL, whose servers the
/// operator stops.
pub fn hold_alone(url: &str) -> anyhow::Result<Option<File>> {
    let Some(path) = sqlite_path(url) else { return Ok(None) };
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(&path))
        .map_err(|e| anyhow::anyhow!("cannot open the store's lock file: {e}"))?;
    if f.try_lock().is_err() {
        anyhow::bail!(
            "{} is in use (a yimen server has it open); stop it first",
            path.display()
        );
    }
    Ok(Some(f))
}

/// Holds a shared lock on the store's lock file for as long as the returned file lives: the
/// store is in use (by `serve`), and a restore waits for it to end.
pub fn hold_in_use(url: &str) -> std::io::Result<Option<File>> {
    let Some(path) = sqlite_path(url) else { return Ok(None) };
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(&path))?;
    f.lock_shared()?;
    Ok(Some(f))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the runtime: {e}"))
}

/// Runs `yimen backup`.
pub fn backup(args: &BackupArgs) -> ExitCode {
    match runtime().and_then(|rt| rt.block_on(do_backup(args))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn do_backup(args: &BackupArgs) -> anyhow::Result<()> {
    if sqlite_path(&args.db).is_none() {
        anyhow::bail!(
            "only a SQLite store is backed up this way; back up PostgreSQL with pg_basebackup and WAL archiving (README, \"Backups\")"
        );
    }
    if args.to.exists() {
        return Err(anyhow::anyhow!("{} exists; choose a new file", args.to.display()));
    }
    let store = Store::open(&StoreOptions::new(&args.db))
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the store {}: {e}", args.db))?;
    let started = std::time::Instant::now();
    let done = store.backup_into(&args.to).await;
    store.close().await;
    done.map_err(|e| anyhow::anyhow!("the backup failed: {e}"))?;
    let yimen_engine::store::FileCheck { cases, events, .. } = Store::check_sqlite_file(&args.to)
        .await
        .map_err(|e| anyhow::anyhow!("the backup was written but does not check out: {e}"))?;
    crate::out!(
        "backup written to {}: {cases} case(s), {events} event(s), in {:.1} s",
        args.to.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `yimen restore`.
pub fn restore(args: &RestoreArgs) -> ExitCode {
    match runtime().and_then(|rt| rt.block_on(do_restore(args))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Refuses a backup sealed under another key than the one at hand (`YIMEN_MASTER_KEY`, or the
/// key file `serve` would use), before anything is written: a server would refuse the store.
/// Without a key at hand, nothing is refused (the key may be restored beside it).
fn key_at_hand(suite: &str, print: &str) -> anyhow::Result<()> {
    use yimen_engine::seal::{MasterKey, Suite};
    let Some(s) = Suite::parse(suite) else {
        anyhow::bail!("the backup names an unknown cipher suite `{suite}`");
    };
    let (key, from) = match std::env::var("YIMEN_MASTER_KEY") {
        Ok(text) => (MasterKey::parse(s, &text).ok(), "YIMEN_MASTER_KEY".to_owned()),
        Err(_) => {
            let path = std::env::var_os("YIMEN_MASTER_KEY_FILE")
                .map_or_else(|| PathBuf::from(crate::settings::DEFAULT_KEY_FILE), PathBuf::from);
            let key = path.exists().then(|| MasterKey::load(s, &path).ok()).flatten();
            (key, path.display().to_string())
        }
    };
    match key {
        Some(k) if k.fingerprint() != print => anyhow::bail!(
            "the backup is sealed under master key {print} ({suite}), but the key at {from} is {}: restore it beside the key it was made with (nothing was written)",
            k.fingerprint()
        ),
        _ => Ok(()),
    }
}

async fn do_restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let Some(target) = sqlite_path(&args.db) else {
        anyhow::bail!(
            "a backup is restored into a SQLite store (`--db sqlite://PATH`); restore PostgreSQL with its own tools"
        );
    };
    if !args.from.is_file() {
        return Err(anyhow::anyhow!("there is no backup file {}", args.from.display()));
    }
    let yimen_engine::store::FileCheck { cases, events, key } = Store::check_sqlite_file(&args.from)
        .await
        .map_err(|e| anyhow::anyhow!("{} is not a usable backup: {e}", args.from.display()))?;
    let sealed = match &key {
        Some((suite, print)) => {
            key_at_hand(suite, print)?;
            format!("; its personal data is sealed under master key {print} ({suite}): serve it with that key")
        }
        None => String::new(),
    };
    if target.exists() && !args.force {
        return Err(anyhow::anyhow!(
            "{} exists; restoring replaces it — add --force once you are sure (never while yimen serves it)",
            target.display()
        ));
    }
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(&target))
        .map_err(|e| anyhow::anyhow!("cannot open the store's lock file: {e}"))?;
    if lock.try_lock().is_err() {
        return Err(anyhow::anyhow!(
            "{} is in use (a yimen server has it open); stop it first",
            target.display()
        ));
    }
    // Copy beside the target, make it durable, then swap it in whole; a WAL or shared-memory
    // file left by the old store would be read as part of the new one, so they go.
    let staged = target.with_extension("restoring");
    std::fs::copy(&args.from, &staged).map_err(|e| anyhow::anyhow!("cannot copy the backup: {e}"))?;
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| anyhow::anyhow!("cannot write the backup to disk: {e}"))?;
    for suffix in ["-wal", "-shm"] {
        let mut p = target.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&staged, &target).map_err(|e| anyhow::anyhow!("cannot put the backup in place: {e}"))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    drop(lock);
    crate::out!(
        "restored {} into {}: {cases} case(s), {events} event(s){sealed}; check it with `yimen audit verify --db {}`",
        args.from.display(),
        target.display(),
        args.db
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_path("sqlite://a/b.db?mode=rwc"), Some(PathBuf::from("a/b.db")));
        assert_eq!(sqlite_path("sqlite:yimen.db"), Some(PathBuf::from("yimen.db")));
        assert_eq!(sqlite_path("postgres://x/y"), None);
        assert_eq!(sqlite_path("sqlite://:memory:"), None);
    }
}
