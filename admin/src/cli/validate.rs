//! `yimen validate [PATH…]`: every problem at once, as text or JSON.
//!
//! Exit status: 0 when valid (warnings allowed), 1 when any error, 2 for usage or I/O problems.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use serde_json::json;
use yimen_engine::diag::{Diagnostic, Severity};
use yimen_engine::load::{self, Bundle, LoadOptions};
use yimen_engine::schedule;
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: error[CODE]: message` with a hint line.
    Text,
    /// One JSON document with every diagnostic.
    Json,
}

/// Arguments of `yimen validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Workflows directories or files (default: `workflows`). A file is checked within the
    /// workflows directory it belongs to, so its references are resolved.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Check as of this date (YYYY-MM-DD) instead of today, e.g. to see next year's warnings.
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

struct Target {
    root: PathBuf,
    /// Only report diagnostics for files under this path (the root itself when a directory was given).
    only: Option<PathBuf>,
}

fn target(path: &Path) -> anyhow::Result<Target> {
    if !path.exists() {
        return Err(anyhow::anyhow!("{}: no such file or directory", path.display()));
    }
    if path.is_dir() && path.join("organisation.yaml").is_file() {
        return Ok(Target {
            root: path.to_path_buf(),
            only: None,
        });
    }
    let probe = if path.is_dir() {
        path.join("x")
    } else {
        path.to_path_buf()
    };
    match load::find_root(&probe) {
        Some(root) => Ok(Target {
            root,
            only: Some(path.to_path_buf()),
        }),
        None => Err(anyhow::anyhow!(
            "{}: not inside a workflows directory (no organisation.yaml found above it)",
            path.display()
        )),
    }
}

/// Runs the command.
pub fn run(args: &ValidateArgs) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("workflows")]
    } else {
        args.paths.clone()
    };
    let opts = LoadOptions {
        today: args.today.map_or_else(
            || yimen_engine::Today::At(chrono::Utc::now()),
            yimen_engine::Today::Date,
        ),
        limits: Limits::default(),
    };
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut previews = Vec::new();
    let mut files = 0;
    for p in &paths {
        let t = match target(p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        };
        let (bundle, diags) = load::load_dir(&t.root, &opts);
        files += bundle.file_count();
        let diags = diags.sorted();
        all.extend(
            diags
                .into_iter()
                .filter(|d| t.only.as_ref().is_none_or(|o| d.file.starts_with(o))),
        );
        if t.only.is_none() {
            previews.extend(schedule_previews(&bundle));
        }
    }
    let errors = all.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = all.len() - errors;
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => {
            let doc = json!({
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "files": files,
                "diagnostics": all,
                "schedules": previews,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default())
        }
        Format::Text => write_text(&mut out, &all, &previews, files, errors, warnings),
    };
    if written.is_err() {
        return ExitCode::from(EXIT_USAGE);
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_text(
    out: &mut impl Write,
    all: &[Diagnostic],
    previews: &[serde_json::Value],
    files: usize,
    errors: usize,
    warnings: usize,
) -> std::io::Result<()> {
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in all {
        let text = d.to_string();
        if colour {
            let (c, word) = match d.severity {
                Severity::Error => ("\x1b[1;31m", "error"),
                Severity::Warning => ("\x1b[1;33m", "warning"),
            };
            writeln!(
                out,
                "{}",
                text.replacen(&format!(": {word}["), &format!(": {c}{word}\x1b[0m["), 1)
            )?;
        } else {
            writeln!(out, "{text}")?;
        }
    }
    for p in previews {
        let runs: Vec<String> = p["next_runs"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        writeln!(
            out,
            "note: schedule `{}` ({}) runs next at {}",
            p["job"].as_str().unwrap_or(""),
            p["cron"].as_str().unwrap_or(""),
            runs.join(", ")
        )?;
    }
    let verdict = if errors == 0 { "valid" } else { "invalid" };
    writeln!(
        out,
        "{verdict}: {errors} error(s), {warnings} warning(s) in {files} file(s)"
    )
}

/// The next three runs of every periodic job, in the centre's local time.
fn schedule_previews(bundle: &Bundle) -> Vec<serde_json::Value> {
    let (Some(s), Some(cal)) = (&bundle.schedules, bundle.default_calendar()) else {
        return Vec::new();
    };
    let now = chrono::Utc::now();
    s.value
        .jobs
        .iter()
        .filter_map(|(id, job)| {
            let sched = schedule::parse(&job.cron).ok()?;
            let runs = schedule::upcoming(&sched, now, cal, job.on_working_day, 3).ok()?;
            let runs: Vec<String> = runs
                .iter()
                .map(|t| t.with_timezone(&cal.timezone()).format("%Y-%m-%d %H:%M %a").to_string())
                .collect();
            Some(json!({"job": id, "cron": job.cron, "next_runs": runs}))
        })
        .collect()
}
