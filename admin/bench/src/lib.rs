//! `yimen-bench`: the benchmarks behind `yimen bench`, apart from the product.
//!
//! `yimen bench w1`: case lifecycles through the real engine and store, durable before
//! acknowledgement. Prints a table; exits non-zero only when it cannot run.
#![warn(clippy::too_many_lines)]

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

pub use crate::all::goal;
pub use crate::pages::memory_mib;

mod all;
mod fill;
mod pages;
mod seal;
mod startup;

use clap::{Args, Subcommand};
use serde_json::{Map, json};
use yimen_engine::core::{Actor, Organisation};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::reports::Render as _;
use yimen_engine::runtime::{Definitions, Engine, EngineOptions, SystemClock};
use yimen_engine::store::{Durability, Store, StoreOptions};
use yimen_engine::yaml::Limits;

use fill::{fill, lifecycle};
use yimen_engine::out;

/// Builds the application's router over a state (the binary passes its own, so the pages
/// benchmark measures the routes people use).
pub type App = fn(Arc<yimen_service::AppState>) -> axum::Router;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// W1: open, accept, decide, resolve, close, with a 3-working-day timer started and cancelled.
    W1(W1Args),
    /// W2: timers due uniformly inside a 10-second window; the lag from due to applied.
    W2(W2Args),
    /// Reports: the monthly bulletin and the annual assessment over a store of many cases
    /// (filled first, spread over 2025, when it holds fewer).
    Reports(ReportsArgs),
    /// Pages: the inbox and case pages over HTTP under concurrent clients, with a store of many
    /// cases (filled as for `reports`) and open cases in a handler's inbox.
    Pages(PagesArgs),
    /// Start-up: `yimen serve` to listening with many open cases and pending timers.
    Startup(crate::startup::StartupArgs),
    /// Sealing: reading a case and its history from a plain store and from sealed ones.
    Seal(crate::seal::SealArgs),
    /// Every benchmark above and the simulated year, on scratch SQLite databases, then a table
    /// of the figures beside their goals.
    All(crate::all::AllArgs),
}

/// Arguments of `yimen bench pages`.
#[derive(Debug, Args)]
pub struct PagesArgs {
    /// The database; filled up to `--cases` as for `yimen bench reports`.
    #[arg(long)]
    pub db: String,
    /// Cases the store must hold (closed, spread over 2025).
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Open 12345 requests in the handler's inbox (added when fewer are open).
    #[arg(long, default_value_t = 2_000)]
    pub open: usize,
    /// Concurrent HTTP clients (each on its own keep-alive connection).
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Seconds each page is loaded for.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Arguments of `yimen bench reports`.
#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// The database; filled up to `--cases` with W1 lifecycles spread over 2025.
    #[arg(long)]
    pub db: String,
    /// Cases the store must hold.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Concurrent clients while filling.
    #[arg(long, default_value_t = 256)]
    pub clients: usize,
    /// Timed runs of each report.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// The workflows directory that supplies the organisation and calendar.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Arguments of `yimen bench w2`.
#[derive(Debug, Args)]
pub struct W2Args {
    /// The database (a fresh one).
    #[arg(long)]
    pub db: String,
    /// Timers to fire.
    #[arg(long, default_value_t = 100_000)]
    pub timers: usize,
    /// The window they come due in, in seconds.
    #[arg(long, default_value_t = 10)]
    pub window: u64,
    /// The workflows directory that supplies the organisation and calendar.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
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
    /// Seal personal data under a fresh master key of this suite (`sm4gcm-sm3` or
    /// `aes256gcm-sha256`), as `serve` does; without it nothing is sealed.
    #[arg(long)]
    pub sealed: Option<String>,
    /// The workflows directory that supplies the organisation and calendar.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Runs a benchmark.
pub fn run(cmd: &BenchCommand, app: App) -> ExitCode {
    if let BenchCommand::All(args) = cmd {
        return crate::all::all(args);
    }
    // `YIMEN_LOG=yimen_engine=trace` shows each batch's load, decide, write and commit times.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("YIMEN_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cmd {
        BenchCommand::W1(args) => rt.block_on(w1(args)),
        BenchCommand::W2(args) => rt.block_on(w2(args)),
        BenchCommand::Reports(args) => rt.block_on(reports(args)),
        BenchCommand::Pages(args) => rt.block_on(crate::pages::pages(args, app)),
        BenchCommand::Startup(args) => rt.block_on(crate::startup::startup(args)),
        BenchCommand::Seal(args) => rt.block_on(crate::seal::seal(args)),
        BenchCommand::All(_) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The bundled organisation and calendar plus one benchmark case type.
pub(crate) fn bench_bundle(
    workflows: &std::path::Path,
    name: &str,
    yaml: &str,
) -> anyhow::Result<yimen_engine::load::Bundle> {
    let dir = tempfile_dir()?;
    copy_dir(workflows, &dir).context("cannot copy the workflows")?;
    std::fs::write(dir.join(format!("cases/{name}.yaml")), yaml)?;
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(&dir, &opts);
    let _ = std::fs::remove_dir_all(&dir);
    if diags.has_errors() {
        anyhow::bail!("the benchmark workflows do not validate: {:?}", diags.sorted());
    }
    Ok(bundle)
}

/// What every benchmark starts from: a store with the workflows deployed, the organisation, and
/// the clerk who opens the cases.
pub(crate) struct Setup {
    pub bundle: yimen_engine::load::Bundle,
    pub store: Store,
    pub defs: Definitions,
    pub org: Organisation,
    pub clerk: Actor,
}

/// Opens the store and deploys `bundle` (as deployed at `deployed_at`, UTC milliseconds).
pub(crate) async fn setup(
    opts: &StoreOptions,
    bundle: yimen_engine::load::Bundle,
    deployed_at: i64,
) -> anyhow::Result<Setup> {
    let store = Store::open(opts).await?;
    let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &bundle, deployed_at).await?;
    let org = Organisation::new(bundle.organisation.as_ref().context("no organisation")?.value.clone());
    let clerk = Actor::for_user(&org, "clerk_wang").context("no clerk_wang in the organisation")?;
    Ok(Setup {
        bundle,
        store,
        defs,
        org,
        clerk,
    })
}

async fn w1(args: &W1Args) -> anyhow::Result<()> {
    let bundle = bench_bundle(&args.workflows, "w1", include_str!("../w1.yaml"))?;
    let mut so = StoreOptions::new(&args.db);
    so.durability = if args.normal_sync {
        Durability::Normal
    } else {
        Durability::Full
    };
    let Setup {
        store,
        defs,
        org,
        clerk,
        ..
    } = setup(&so, bundle, 0).await?;
    let master = match &args.sealed {
        Some(name) => {
            let suite = yimen_engine::seal::Suite::parse(name)
                .with_context(|| format!("`{name}` is not a suite: sm4gcm-sm3 or aes256gcm-sha256"))?;
            Some(Arc::new(yimen_engine::seal::MasterKey::generate(suite)))
        }
        None => None,
    };
    let engine = Engine::start(
        store.clone(),
        defs,
        org,
        Arc::new(SystemClock),
        EngineOptions {
            master,
            ..EngineOptions::default()
        },
    );

    let started = Instant::now();
    let per_client = args.cases.div_ceil(args.clients.max(1));
    let mut handles = Vec::new();
    for c in 0..args.clients.max(1) {
        let (engine, clerk) = (engine.clone(), clerk.clone());
        let n = per_client.min(args.cases.saturating_sub(c * per_client));
        handles.push(tokio::spawn(async move { lifecycle(&engine, &clerk, n, None).await }));
    }
    let mut done = 0;
    for h in handles {
        done += h.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    engine.shutdown().await;
    let timers = store.timer_counts().await?;
    store.close().await;
    let durability = match (store.backend_name(), args.normal_sync) {
        ("sqlite", false) => "SQLite WAL, synchronous=FULL",
        ("sqlite", true) => "SQLite WAL, synchronous=NORMAL",
        _ => "PostgreSQL, synchronous_commit as configured (default on)",
    };
    let durability = match &args.sealed {
        Some(suite) => format!("{durability}, sealed ({suite})"),
        None => durability.to_owned(),
    };
    out!("| workload | backend | clients | cases | seconds | cases/s | commands/s |");
    out!("|---|---|---|---|---|---|---|");
    out!(
        "| W1 | {durability} | {} | {done} | {secs:.2} | {:.0} | {:.0} |",
        args.clients,
        done as f64 / secs,
        5.0 * done as f64 / secs
    );
    out!("timers: {timers:?}");
    if durability.ends_with("FULL") || durability.contains("FULL, sealed") {
        let rate = done as f64 / secs;
        goal(
            "W1 case lifecycles, SQLite durable",
            format!("{rate:.0} cases/s ({done} cases, {} clients)", args.clients),
            "≥ 5,000 cases/s",
            rate >= 5_000.0,
        );
    }
    Ok(())
}

async fn w2(args: &W2Args) -> anyhow::Result<()> {
    use yimen_engine::runtime::{ManualClock, OffsetClock};
    let bundle = bench_bundle(&args.workflows, "w2", include_str!("../w2.yaml"))?;
    let Setup {
        store,
        defs,
        org,
        clerk,
        ..
    } = setup(&StoreOptions::new(&args.db), bundle, 0).await?;

    // Prepare: open the cases on a manual clock so their timers (an hour after opening) come due
    // in steps of 10 ms across the window that starts at `window_start`.
    let window_start = chrono::Utc::now() + chrono::Duration::hours(2);
    let setup_clock = Arc::new(ManualClock::new(window_start - chrono::Duration::hours(1)));
    let setup = Engine::start(
        store.clone(),
        defs.clone(),
        org.clone(),
        setup_clock.clone(),
        EngineOptions::default(),
    );
    let steps = (args.window * 100).max(1) as usize;
    let per_step = args.timers.div_ceil(steps);
    let prepared = Instant::now();
    let mut opened = 0;
    let mut fields = Map::new();
    fields.insert("caller".into(), json!("市民"));
    for step in 0..steps {
        if opened >= args.timers {
            break;
        }
        setup_clock.set(window_start - chrono::Duration::hours(1) + chrono::Duration::milliseconds(step as i64 * 10));
        let n = per_step.min(args.timers - opened);
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            let (e, clerk, fields) = (setup.clone(), clerk.clone(), fields.clone());
            handles.push(tokio::spawn(async move {
                e.open_case("w2", "hotline_12345", fields, None, clerk, None).await
            }));
        }
        for h in handles {
            h.await??;
        }
        opened += n;
    }
    setup.shutdown().await;
    let prepare_secs = prepared.elapsed().as_secs_f64();

    // Run: a fresh engine whose clock reads two seconds before the window and runs in real time.
    let clock = Arc::new(OffsetClock::starting_at(window_start - chrono::Duration::seconds(2)));
    let engine = Engine::start(store.clone(), defs, org, clock, EngineOptions::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let looping = engine.spawn_timer_loop(stop_rx);
    let started = Instant::now();
    let deadline = std::time::Duration::from_secs(args.window + 120);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let counts = store.timer_counts().await?;
        let pending = counts.iter().find(|(s, _)| s == "pending").map_or(0, |c| c.1);
        if pending == 0 || started.elapsed() > deadline {
            break;
        }
    }
    let _ = stop_tx.send(true);
    let _ = looping.await;
    engine.shutdown().await;
    let rows = store.timer_lags("deadline").await?;
    store.close().await;
    let mut lags: Vec<i64> = rows.iter().filter_map(|(due, fired)| fired.map(|f| f - due)).collect();
    let missed = rows.len() - lags.len();
    lags.sort_unstable();
    let pct = |p: f64| {
        lags.get(((lags.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    };
    out!(
        "| workload | backend | timers | window s | applied | missed | p50 lag ms | p99 lag ms | max lag ms | prepare s |"
    );
    out!("|---|---|---|---|---|---|---|---|---|---|");
    out!(
        "| W2 | {} | {} | {} | {} | {missed} | {} | {} | {} | {prepare_secs:.1} |",
        store.backend_name(),
        rows.len(),
        args.window,
        lags.len(),
        pct(0.50),
        pct(0.99),
        lags.last().copied().unwrap_or(0)
    );
    goal(
        &format!("W2 timers, {}", store.backend_name()),
        format!(
            "p99 lag {} ms, {} of {} applied ({} due in {} s)",
            pct(0.99),
            lags.len(),
            rows.len(),
            rows.len(),
            args.window
        ),
        "100,000 due in 10 s, all applied, p99 lag ≤ 100 ms",
        missed == 0 && pct(0.99) <= 100,
    );
    Ok(())
}

async fn reports(args: &ReportsArgs) -> anyhow::Result<()> {
    use yimen_engine::reports::{Period, assessment, bulletin};
    use yimen_engine::runtime::ManualClock;
    let bundle = bench_bundle(&args.workflows, "w1", include_str!("../w1.yaml"))?;
    let Setup {
        bundle,
        store,
        defs,
        org,
        clerk,
    } = setup(&StoreOptions::new(&args.db), bundle, 0).await?;
    let cal = bundle.default_calendar().context("no calendar")?.clone();
    let tz = cal.timezone();
    let at = |m: u32| {
        use chrono::TimeZone;
        tz.with_ymd_and_hms(2025, m, 15, 10, 0, 0)
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .context("bad date")
    };
    let clock = Arc::new(ManualClock::new(at(1)?));
    let engine = Engine::start(store.clone(), defs, org, clock.clone(), EngineOptions::default());
    fill(&store, &engine, &clock, &clerk, args.cases, args.clients, &at).await?;
    let (total, events) = store.size().await?;
    let names = std::collections::HashMap::new();
    let scoring = bundle
        .schedules
        .as_ref()
        .and_then(|s| s.value.jobs.values().find_map(|j| j.scoring.clone()))
        .context("no assessment scoring in the workflows")?;
    let satisfaction = bundle.schedules.as_ref().and_then(|s| s.value.satisfaction.clone());
    let render = yimen_reports::Reports::new(&engine.org().file.centre.locale);
    let mut month_times = Vec::new();
    let mut year_times = Vec::new();
    let mut month_cases = 0;
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let rules = bulletin::Rules {
            satisfaction: satisfaction.as_ref(),
            ..bulletin::Rules::counting(engine.org(), &cal, &names)
        };
        let b = bulletin::compute(&store, &rules, Period::parse("2025-06")?).await?;
        let _ = render.bulletin(&b);
        month_times.push(t.elapsed().as_secs_f64());
        month_cases = b.total.received;
        let t = Instant::now();
        let y = bulletin::compute(&store, &rules, Period::parse("2025")?).await?;
        let a = assessment::score(&y, &scoring);
        let _ = render.assessment(&a);
        year_times.push(t.elapsed().as_secs_f64());
    }
    engine.shutdown().await;
    store.close().await;
    month_times.sort_by(f64::total_cmp);
    year_times.sort_by(f64::total_cmp);
    let med = |v: &[f64]| v[v.len() / 2];
    out!("| report | backend | cases in store | events | cases in period | runs | best s | median s |");
    out!("|---|---|---|---|---|---|---|---|");
    out!(
        "| monthly bulletin 2025-06 | {} | {} | {} | {month_cases} | {} | {:.2} | {:.2} |",
        store.backend_name(),
        total,
        events,
        month_times.len(),
        month_times[0],
        med(&month_times)
    );
    out!(
        "| annual assessment 2025 | {} | {} | {} | {} | {} | {:.2} | {:.2} |",
        store.backend_name(),
        total,
        events,
        total,
        year_times.len(),
        year_times[0],
        med(&year_times)
    );
    goal(
        &format!("monthly bulletin, {}", store.backend_name()),
        format!("{:.2} s (median; {total} cases in store)", med(&month_times)),
        "≤ 2 s at 1,000,000 cases",
        med(&month_times) <= 2.0,
    );
    goal(
        &format!("annual assessment, {}", store.backend_name()),
        format!("{:.2} s (median; {total} cases in store)", med(&year_times)),
        "≤ 10 s at 1,000,000 cases",
        med(&year_times) <= 10.0,
    );
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("yimen-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
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
