//! `yimen test [PATH…]`: run workflow scenarios on a virtual clock and report each one.
//!
//! Exit status: 0 when every scenario passed, 1 when any failed (or the workflows do not
//! validate), 2 for usage or I/O problems. The last line reads `N passed, N failed`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::runtime::Definitions;
use yimen_engine::scenario;
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Arguments of `yimen test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scenario files or directories inside the workflows (default: every scenario).
    pub paths: Vec<PathBuf>,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Runs the command.
pub fn run(args: &TestArgs) -> ExitCode {
    if !args.workflows.is_dir() {
        eprintln!("error: {}: not a workflows directory", args.workflows.display());
        return ExitCode::from(EXIT_USAGE);
    }
    for p in &args.paths {
        if !p.exists() {
            eprintln!("error: {}: no such file or directory", p.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(&args.workflows, &opts);
    if diags.has_errors() {
        for d in diags.sorted() {
            crate::out!("{d}");
        }
        crate::out!("the workflows have errors; fix them (yimen validate) before running scenarios");
        crate::out!("0 passed, 1 failed");
        return ExitCode::from(1);
    }
    let defs = match Definitions::from_bundle(&bundle, 1) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let wanted = |f: &std::path::Path| {
        args.paths.is_empty()
            || args.paths.iter().any(|p| {
                let (a, b) = (p.canonicalize().ok(), f.canonicalize().ok());
                matches!((a, b), (Some(a), Some(b)) if b.starts_with(&a))
            })
    };
    let (mut passed, mut failed) = (0, 0);
    for sc in bundle.scenarios.iter().filter(|s| wanted(&s.file)) {
        let r = scenario::run(&bundle, &defs, sc);
        match &r.failure {
            None => {
                passed += 1;
                crate::out!("ok     {} — {}", r.file.display(), r.name);
            }
            Some(f) => {
                failed += 1;
                crate::out!("FAILED {} — {}\n  {f}", r.file.display(), r.name);
            }
        }
    }
    crate::out!("{passed} passed, {failed} failed");
    if failed > 0 || passed == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
