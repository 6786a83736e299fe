//! `yimen bench all`: every benchmark one after another, each in a process of its own (so the
//! memory each reports is its own), on scratch SQLite databases in one directory; then one table
//! of the figures beside their goals. Each benchmark appends its goal figures to the file named
//! by `YIMEN_BENCH_GOALS` (a JSON object a line) when that is set; this command sets it.
//! A figure that misses its goal is shown as missed, never turned into a failure: the command
//! exits non-zero only when a benchmark could not run.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};
use std::time::Instant;

use clap::Args;
use serde::{Deserialize, Serialize};

/// The variable naming the file goal figures are appended to.
const GOALS_VAR: &str = "YIMEN_BENCH_GOALS";

/// Arguments of `yimen bench all`.
#[derive(Debug, Args)]
pub struct AllArgs {
    /// A directory for the scratch databases (created when missing). The store of many cases
    /// that the reports and pages share is kept and reused: filling it takes minutes.
    #[arg(long, default_value = "target/bench")]
    pub dir: PathBuf,
    /// Cases in that store, and open cases for the start-up benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Small sizes throughout, to check that every benchmark runs; the figures then say nothing
    /// about the goals.
    #[arg(long)]
    pub quick: bool,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// One figure beside its goal.
#[derive(Debug, Serialize, Deserialize)]
pub struct Goal {
    /// The benchmark and what was measured.
    pub what: String,
    /// The figure, with its unit and the size it was measured at.
    pub measured: String,
    /// The goal.
    pub goal: String,
    /// Whether the figure meets it.
    pub met: bool,
}

/// Records a figure beside its goal for `yimen bench all` (nothing when run alone).
pub fn goal(what: &str, measured: String, goal: &str, met: bool) {
    let Some(path) = std::env::var_os(GOALS_VAR) else {
        return;
    };
    let line = Goal {
        what: what.to_owned(),
        measured,
        goal: goal.to_owned(),
        met,
    };
    let written = serde_json::to_string(&line)
        .map_err(std::io::Error::other)
        .and_then(|l| {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            writeln!(f, "{l}")
        });
    if let Err(e) = written {
        eprintln!(
            "warning: cannot record the goal figure in {}: {e}",
            Path::new(&path).display()
        );
    }
}

/// A scratch SQLite database in `dir`, removed first unless `keep`.
fn scratch(dir: &Path, name: &str, keep: bool) -> anyhow::Result<String> {
    let path = dir.join(name);
    if !keep {
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
            }
        }
    }
    Ok(format!("sqlite://{}", path.display()))
}

/// Runs every benchmark.
pub fn all(args: &AllArgs) -> ExitCode {
    match run_all(args) {
        Ok(failed) if failed.is_empty() => ExitCode::SUCCESS,
        Ok(failed) => {
            eprintln!("error: could not run: {}", failed.join(", "));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Each benchmark's name and the `yimen` arguments that run it, at full or quick sizes, each
/// on its own scratch database (the reports and pages share the big one).
fn plan(args: &AllArgs, dir: &Path) -> anyhow::Result<Vec<(&'static str, Vec<String>)>> {
    let q = args.quick;
    let n = |full: usize, quick: usize| if q { quick } else { full }.to_string();
    let big = scratch(dir, if q { "quick-store.db" } else { "store.db" }, true)?;
    let cases = n(args.cases, 3_000);
    Ok(vec![
        (
            "W1",
            vec![
                "bench".into(),
                "w1".into(),
                "--db".into(),
                scratch(dir, "w1.db", false)?,
                "--cases".into(),
                n(20_000, 1_000),
            ],
        ),
        (
            "W2",
            vec![
                "bench".into(),
                "w2".into(),
                "--db".into(),
                scratch(dir, "w2.db", false)?,
                "--timers".into(),
                n(100_000, 1_000),
                "--window".into(),
                n(10, 2),
            ],
        ),
        (
            "reports",
            vec![
                "bench".into(),
                "reports".into(),
                "--db".into(),
                big.clone(),
                "--cases".into(),
                cases.clone(),
                "--runs".into(),
                n(3, 1),
            ],
        ),
        (
            "pages",
            vec![
                "bench".into(),
                "pages".into(),
                "--db".into(),
                big,
                "--cases".into(),
                cases.clone(),
                "--open".into(),
                n(2_000, 200),
                "--seconds".into(),
                n(15, 1),
            ],
        ),
        (
            "start-up",
            vec![
                "bench".into(),
                "startup".into(),
                "--db".into(),
                scratch(dir, "startup.db", false)?,
                "--cases".into(),
                cases,
                "--timers".into(),
                n(100_000, 300),
                "--runs".into(),
                n(3, 1),
            ],
        ),
        (
            "simulated year",
            vec![
                "simulate".into(),
                "--db".into(),
                scratch(dir, "simulate.db", false)?,
                "--scale".into(),
                if q { "0.01".into() } else { "1".into() },
            ],
        ),
    ])
}

fn run_all(args: &AllArgs) -> anyhow::Result<Vec<String>> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let goals = dir.join("goals.jsonl");
    let _ = std::fs::remove_file(&goals);
    let exe = std::env::current_exe()?;
    let workflows = args.workflows.display().to_string();
    let q = args.quick;
    let runs = plan(args, dir)?;
    let mut failed = Vec::new();
    let started = Instant::now();
    for (name, argv) in runs {
        yimen_engine::out!("\n## {name}\n\n`yimen {}`\n", argv.join(" "));
        let t = Instant::now();
        let status = Process::new(&exe)
            .args(&argv)
            .args(["--workflows", &workflows])
            .env(GOALS_VAR, &goals)
            .status()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        yimen_engine::out!("\n({name}: {:.0} s)", t.elapsed().as_secs_f64());
        if !status.success() {
            failed.push(name.to_owned());
        }
    }
    let text = std::fs::read_to_string(&goals).unwrap_or_default();
    yimen_engine::out!(
        "\n## Goals{}\n\n| benchmark | measured | goal | met |\n|---|---|---|---|",
        if q {
            " (quick sizes: the figures say nothing about the goals)"
        } else {
            ""
        }
    );
    for line in text.lines() {
        match serde_json::from_str::<Goal>(line) {
            Ok(g) => yimen_engine::out!(
                "| {} | {} | {} | {} |",
                g.what,
                g.measured,
                g.goal,
                if g.met { "yes" } else { "**no**" }
            ),
            Err(e) => eprintln!("warning: a goal line that does not read ({e}): {line}"),
        }
    }
    yimen_engine::out!("\nall benchmarks: {:.0} s", started.elapsed().as_secs_f64());
    Ok(failed)
}
