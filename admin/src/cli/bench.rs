//! `yimen bench w1`: case lifecycles through the real engine and store, durable before
//! acknowledgement. Prints a table; exits non-zero only when it cannot run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::{Map, json};
use yimen_engine::core::{Actor, Command, Organisation};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::runtime::{Definitions, Engine, EngineOptions, SystemClock};
use yimen_engine::store::{Durability, Store, StoreOptions};
use yimen_engine::yaml::Limits;

use super::today_in_centre;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// W1: open, accept, decide, resolve, close, with a 3-working-day timer started and cancelled.
    W1(W1Args),
}

/// Arguments of `yimen bench w1`.
#[derive(Debug, Args)]
pub struct W1Args {
    /// The database (a fresh one is best: `sqlite:///tmp/w1.db` or a scratch PostgreSQL database).
    #[arg(long)]
    pub db: String,
    /// Cases to run.
    #[arg(long, default_value_t = 20_000)]
    pub cases: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 256)]
    pub clients: usize,
    /// SQLite `synchronous=NORMAL` instead of FULL (not durable against power loss).
    #[arg(long)]
    pub normal_sync: bool,
    /// The workflows directory that supplies the organisation and calendar.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Runs a benchmark.
pub fn run(cmd: &BenchCommand) -> ExitCode {
    let BenchCommand::W1(args) = cmd;
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(w1(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn w1(args: &W1Args) -> Result<(), String> {
    let dir = tempfile_dir()?;
    copy_dir(&args.workflows, &dir).map_err(|e| format!("cannot copy the workflows: {e}"))?;
    std::fs::write(dir.join("cases/w1.yaml"), include_str!("../../bench/w1.yaml")).map_err(|e| e.to_string())?;
    let opts = LoadOptions {
        today: today_in_centre(),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(&dir, &opts);
    if diags.has_errors() {
        return Err(format!("the benchmark workflows do not validate: {:?}", diags.sorted()));
    }
    let mut so = StoreOptions::new(&args.db);
    so.durability = if args.normal_sync {
        Durability::Normal
    } else {
        Durability::Full
    };
    let store = Store::open(&so).await.map_err(|e| e.to_string())?;
    let (defs, _) = Definitions::deploy(&store, &bundle, 0)
        .await
        .map_err(|e| e.to_string())?;
    let org = Organisation::new(bundle.organisation.as_ref().ok_or("no organisation")?.value.clone());
    let clerk = Actor::for_user(&org, "clerk_wang").ok_or("no clerk_wang in the organisation")?;
    let engine = Engine::start(
        store.clone(),
        defs,
        org,
        Arc::new(SystemClock),
        EngineOptions::default(),
    );

    let started = Instant::now();
    let per_client = args.cases.div_ceil(args.clients.max(1));
    let mut handles = Vec::new();
    for c in 0..args.clients.max(1) {
        let (engine, clerk) = (engine.clone(), clerk.clone());
        let n = per_client.min(args.cases.saturating_sub(c * per_client));
        handles.push(tokio::spawn(async move { lifecycle(&engine, &clerk, n).await }));
    }
    let mut done = 0;
    for h in handles {
        done += h.await.map_err(|e| e.to_string())??;
    }
    let secs = started.elapsed().as_secs_f64();
    engine.shutdown().await;
    let timers = store.timer_counts().await.map_err(|e| e.to_string())?;
    store.close().await;
    let durability = match (store.backend_name(), args.normal_sync) {
        ("sqlite", false) => "SQLite WAL, synchronous=FULL",
        ("sqlite", true) => "SQLite WAL, synchronous=NORMAL",
        _ => "PostgreSQL, synchronous_commit as configured (default on)",
    };
    println!("| workload | backend | clients | cases | seconds | cases/s | commands/s |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| W1 | {durability} | {} | {done} | {secs:.2} | {:.0} | {:.0} |",
        args.clients,
        done as f64 / secs,
        5.0 * done as f64 / secs
    );
    println!("timers: {timers:?}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn lifecycle(engine: &Engine, clerk: &Actor, n: usize) -> Result<usize, String> {
    let mut fields = Map::new();
    fields.insert("caller".into(), json!("市民"));
    for _ in 0..n {
        let out = engine
            .open_case("w1", "hotline_12345", fields.clone(), None, clerk.clone(), None)
            .await
            .map_err(|e| e.to_string())?;
        let id = out.case.id;
        for (action, f) in [
            ("accept", json!({})),
            ("decide", json!({"decision": "grant"})),
            ("resolve", json!({})),
            ("close", json!({})),
        ] {
            let cmd = Command::Act {
                action: action.into(),
                fields: f.as_object().cloned().unwrap_or_default(),
                comment: None,
                expected_version: None,
            };
            engine
                .command(&id, cmd, clerk.clone(), None)
                .await
                .map_err(|e| format!("{action}: {e}"))?;
        }
    }
    Ok(n)
}

fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("yimen-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
