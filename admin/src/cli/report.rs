//! `yimen report JOB --period P`: runs a periodic job by hand for a chosen period, stores its
//! output, says whether the figures differ from the last run, and writes the HTML and CSV.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use yimen_engine::core::Organisation;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::reports::Period;
use yimen_engine::runtime::scheduler::Scheduler;
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::store::jobs::Saved;
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Arguments of `yimen report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The job, from `schedules.yaml` (e.g. `monthly_bulletin`).
    pub job: String,
    /// The period: a month `2026-11`, an ISO week `2026-W47` or a year `2026`.
    #[arg(long)]
    pub period: String,
    /// The database URL.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
    /// Write `<job>-<period>.html` and `.csv` into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `yimen report`.
pub fn run(args: &ReportArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(report(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

async fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let period = Period::parse(&args.period)?;
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(&args.workflows, &opts);
    if diags.has_errors() {
        return Err(anyhow::anyhow!(
            "the workflows in {} do not validate; run `yimen validate`",
            args.workflows.display()
        ));
    }
    let jobs = bundle
        .schedules
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the workflows have no schedules.yaml"))?
        .value
        .clone();
    if !jobs.jobs.contains_key(&args.job) {
        let known: Vec<&String> = jobs.jobs.keys().collect();
        return Err(anyhow::anyhow!(
            "there is no job `{}`; the jobs are {known:?}",
            args.job
        ));
    }
    let cal = bundle
        .default_calendar()
        .ok_or_else(|| anyhow::anyhow!("the centre has no calendar"))?
        .clone();
    let org = Organisation::new(
        bundle
            .organisation
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no organisation"))?
            .value
            .clone(),
    );
    let store = Store::open(&StoreOptions::new(&args.db)).await?;
    let defs = yimen_engine::runtime::definitions::load_deployed(&store, &bundle).await?;
    let engine = Engine::start(
        store.clone(),
        defs,
        org,
        Arc::new(SystemClock),
        EngineOptions::default(),
    );
    let render = std::sync::Arc::new(yimen_reports::Reports::new(&engine.org().file.centre.locale));
    let sched = Scheduler::new(engine.clone(), jobs, cal, render);
    let result = sched.run_by_hand(&args.job, period).await;
    let outcome = match result {
        Ok((saved, sha)) => {
            let said = match saved {
                Saved::New => "computed for the first time",
                Saved::Unchanged => "the same figures as the last run",
                Saved::Changed => "the figures DIFFER from the last run: the data, the workflows or the report changed",
            };
            crate::out!("{} {}: {said} (sha256 {})", args.job, period.id(), &sha[..12]);
            if let Some(dir) = &args.out {
                let (_, html, csv) = store
                    .report(&args.job, &period.id())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the report was not stored"))?;
                std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
                for (ext, text) in [("html", html), ("csv", csv)] {
                    let path = dir.join(format!("{}-{}.{ext}", args.job, period.id()));
                    std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    crate::out!("wrote {}", path.display());
                }
            }
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    };
    engine.shutdown().await;
    store.close().await;
    outcome
}
