//! `yimen simulate`: a virtual year of the centre through the real engine and store on a
//! virtual clock (`engine::simulate`), with the periodic jobs running as the days pass. Prints
//! progress (a line that updates on a terminal, one line a month otherwise) and ends with the
//! year's bulletin figures beside the generator's ground truth, and the notifications queued
//! (counted, not sent: the clock is virtual).

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use yimen_engine::core::Organisation;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::reports::{Period, bulletin};
use yimen_engine::runtime::scheduler::Scheduler;
use yimen_engine::runtime::{Engine, EngineOptions, ManualClock};
use yimen_engine::simulate::{self, Options, Progress};
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Arguments of `yimen simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The database (a fresh one: the simulation's clock starts at the year's beginning).
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen-simulation.db")]
    pub db: String,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
    /// The generator's seed: the same seed gives the same year.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Cases relative to the seed year (1: about 28,000 cases; 100: a province).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The year (its holidays must be published in the calendar).
    #[arg(long, default_value_t = 2025)]
    pub year: i32,
}

/// Runs the simulation.
pub fn run(args: &SimulateArgs) -> ExitCode {
    if !(args.scale > 0.0 && args.scale <= 1000.0) {
        eprintln!("error: --scale must be above 0 and at most 1000");
        return ExitCode::from(EXIT_USAGE);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(simulate_year(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

async fn simulate_year(args: &SimulateArgs) -> anyhow::Result<()> {
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    if !args.workflows.is_dir() {
        return Err(anyhow::anyhow!(
            "{}: not a workflows directory",
            args.workflows.display()
        ));
    }
    let (bundle, diags) = load::load_dir(&args.workflows, &opts);
    if diags.has_errors() {
        return Err(anyhow::anyhow!("the workflows have errors; run `yimen validate`"));
    }
    let cal = bundle
        .default_calendar()
        .ok_or_else(|| anyhow::anyhow!("the workflows have no calendar"))?
        .clone();
    let start = NaiveDate::from_ymd_opt(args.year, 1, 1).ok_or_else(|| anyhow::anyhow!("bad year"))?;
    let tz = cal.timezone();
    let begin = start
        .pred_opt()
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .and_then(|n| chrono::TimeZone::from_local_datetime(&tz, &n).single())
        .ok_or_else(|| anyhow::anyhow!("bad year"))?
        .with_timezone(&chrono::Utc);
    let store = Store::open(&StoreOptions::new(&args.db))
        .await
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", args.db))?;
    if store.case_count().await? > 0 {
        return Err(anyhow::anyhow!(
            "{} already holds cases; simulate into a fresh database",
            args.db
        ));
    }
    let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &bundle, begin.timestamp_millis()).await?;
    let org = Organisation::new(
        bundle
            .organisation
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no organisation"))?
            .value
            .clone(),
    );
    let clock = Arc::new(ManualClock::new(begin));
    let engine = Engine::start(store.clone(), defs, org, clock.clone(), EngineOptions::default());
    let scheduler = bundle.schedules.as_ref().map(|s| {
        let render = Arc::new(yimen_reports::Reports::new(&engine.org().file.centre.locale));
        Scheduler::new(engine.clone(), s.value.clone(), cal.clone(), render)
    });
    let sim = Options {
        seed: args.seed,
        scale: args.scale,
        year: args.year,
        ..Options::default()
    };
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut progress = progress_printer(tty, started);
    let out = simulate::run(&engine, &clock, scheduler.as_ref(), &cal, &sim, &mut progress).await;
    if tty {
        eprintln!();
    }
    let out = out?;
    let secs = started.elapsed().as_secs_f64();
    // The year's bulletin, computed from the cases and their history, beside the ground truth.
    let names = std::collections::HashMap::new();
    let rules = bulletin::Rules {
        // The spot-check's review cases are the centre's own, not citizens'.
        review_case_type: scheduler.as_ref().and_then(Scheduler::review_case_type),
        satisfaction: bundle.schedules.as_ref().and_then(|s| s.value.satisfaction.as_ref()),
        ..bulletin::Rules::counting(engine.org(), &cal, &names)
    };
    let year = bulletin::compute(&store, &rules, Period::year_of(start)).await?;
    let truth = &out.year;
    crate::out!(
        "\nsimulated {} ({} cases, {} commands, {} job runs) in {secs:.1} s on {}: {:.0} cases/s",
        args.year,
        out.cases,
        out.commands,
        out.job_runs,
        store.backend_name(),
        out.cases as f64 / secs
    );
    let agrees = print_year(args.year, &year, truth);
    let queued = store.outbox_counts().await?;
    let queued: Vec<String> = queued.iter().map(|(t, n)| format!("{t} {n}")).collect();
    crate::out!("notifications queued (counted, not sent): {}", queued.join(", "));
    let (peak, _) = yimen_bench::memory_mib();
    crate::out!("peak memory: {peak:.0} MiB");
    yimen_bench::goal(
        &format!("simulated year, {}", store.backend_name()),
        format!(
            "{secs:.1} s, peak {peak:.0} MiB ({} cases, scale {})",
            out.cases, args.scale
        ),
        "≤ 60 s at scale 1 on SQLite",
        secs <= 60.0 * args.scale.max(1.0),
    );
    engine.shutdown().await;
    store.close().await;
    if agrees {
        Ok(())
    } else {
        Err(anyhow::anyhow!("the year's bulletin does not equal the ground truth"))
    }
}

/// Prints the year's bulletin table beside the ground truth; whether they agree.
fn print_year(year_number: i32, b: &bulletin::Bulletin, truth: &yimen_engine::simulate::Count) -> bool {
    crate::out!("\n{} bulletin for the year:\n", year_number);
    crate::out!("| department | received | closed | on time | zero-trip | one-trip | breaches | level 1/2/3 |");
    crate::out!("|---|---|---|---|---|---|---|---|");
    let row = |name: &str, f: &bulletin::Figures| {
        crate::out!(
            "| {name} | {} | {} | {} | {} | {} | {} | {}/{}/{} |",
            f.received,
            f.closed,
            pct(f.on_time_rate),
            pct(f.zero_trip_rate()),
            pct(f.one_trip_rate()),
            f.breaches,
            f.escalations[0],
            f.escalations[1],
            f.escalations[2]
        );
    };
    for r in b.departments.iter().filter(|r| r.figures.received > 0) {
        row(&r.name, &r.figures);
    }
    let f = &b.total;
    row("**all**", f);
    let agrees = truth.received == f.received
        && truth.closed == f.closed
        && truth.on_time == f.on_time
        && truth.zero == f.zero_trip
        && truth.one == f.one_trip;
    crate::out!(
        "\nground truth: {} received, {} closed, {} on time, {} zero-trip, {} one-trip — {}",
        truth.received,
        truth.closed,
        truth.on_time,
        truth.zero,
        truth.one,
        if agrees {
            "the bulletin agrees"
        } else {
            "THE BULLETIN DIFFERS"
        }
    );
    agrees
}

/// Prints the year's progress on standard error: a bar on a terminal, a line a month otherwise.
fn progress_printer(tty: bool, started: Instant) -> impl FnMut(&Progress) + Send {
    let mut last_month = 0;
    move |p: &Progress| {
        use chrono::Datelike;
        let line = format!(
            "{} day {}/{}: {} cases, {} commands, {:.0} s",
            p.day,
            p.done,
            p.days,
            p.cases,
            p.commands,
            started.elapsed().as_secs_f64()
        );
        if tty {
            let width = 30;
            let filled = p.done * width / p.days.max(1);
            eprint!("\r[{}{}] {line}   ", "#".repeat(filled), " ".repeat(width - filled));
        } else if p.day.month() != last_month {
            last_month = p.day.month();
            eprintln!("{line}");
        }
    }
}
