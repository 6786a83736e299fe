//! `yimen calendar …`: due instants and day lookups on the centre's working-day calendars.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use yimen_engine::calendar::WorkCalendar;
use yimen_engine::duration::{Duration, Unit};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Calendar subcommands.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// The instant a duration started at `--from` is due.
    Due(DueArgs),
    /// What the calendar says about each day in a range.
    Days(DaysArgs),
}

/// Which calendar to use.
#[derive(Debug, Args)]
pub struct CalendarSource {
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
    /// The calendar id (default: the centre's calendar).
    #[arg(long)]
    pub calendar: Option<String>,
}

/// Arguments of `yimen calendar due`.
#[derive(Debug, Args)]
pub struct DueArgs {
    #[command(flatten)]
    pub source: CalendarSource,
    /// Start, local time in the calendar's zone: `YYYY-MM-DDTHH:MM`.
    #[arg(long)]
    pub from: String,
    /// Working days to add.
    #[arg(long, group = "amount")]
    pub working_days: Option<u32>,
    /// Working hours to add.
    #[arg(long, group = "amount")]
    pub working_hours: Option<u32>,
    /// Calendar days to add (statutory counting: ends at the end of the last day, moved past rest days).
    #[arg(long, group = "amount")]
    pub days: Option<u32>,
    /// Any duration as written in workflows, e.g. "45 days" or "3 working days".
    #[arg(long, group = "amount")]
    pub duration: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `yimen calendar days`.
#[derive(Debug, Args)]
pub struct DaysArgs {
    #[command(flatten)]
    pub source: CalendarSource,
    /// First day, `YYYY-MM-DD`.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD` (at most 366 days after the first).
    #[arg(long)]
    pub to: NaiveDate,
}

fn load_calendar(src: &CalendarSource) -> anyhow::Result<WorkCalendar> {
    if !src.workflows.is_dir() {
        return Err(anyhow::anyhow!(
            "{}: not a workflows directory",
            src.workflows.display()
        ));
    }
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (mut bundle, diags) = load::load_dir(&src.workflows, &opts);
    let id = match &src.calendar {
        Some(id) => id.clone(),
        None => bundle
            .organisation
            .as_ref()
            .map(|o| o.value.centre.calendar.clone())
            .ok_or_else(|| anyhow::anyhow!("the workflows have no usable organisation.yaml; run `yimen validate`"))?,
    };
    match bundle.calendars.remove(&id) {
        Some(c) => Ok(c),
        None => {
            let problems: Vec<String> = diags
                .sorted()
                .into_iter()
                .filter(|d| d.file.starts_with(src.workflows.join("calendars")))
                .map(|d| d.to_string())
                .collect();
            Err(anyhow::anyhow!(
                "calendar `{id}` is not available{}",
                if problems.is_empty() {
                    String::new()
                } else {
                    format!(":\n{}", problems.join("\n"))
                }
            ))
        }
    }
}

/// Runs a calendar subcommand.
pub fn run(cmd: &CalendarCommand) -> ExitCode {
    let result = match cmd {
        CalendarCommand::Due(a) => due(a),
        CalendarCommand::Days(a) => days(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn due(a: &DueArgs) -> anyhow::Result<()> {
    let cal = load_calendar(&a.source)?;
    let local = NaiveDateTime::parse_from_str(&a.from, "%Y-%m-%dT%H:%M")
        .map_err(|_| anyhow::anyhow!("`{}` is not a local date and time; write YYYY-MM-DDTHH:MM", a.from))?;
    let tz = cal.timezone();
    let from = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| anyhow::anyhow!("{} does not exist in {}", a.from, tz.name()))?
        .with_timezone(&Utc);
    let d = match (a.working_days, a.working_hours, a.days, &a.duration) {
        (Some(n), ..) => Duration {
            amount: n,
            unit: Unit::Days,
            working: true,
        },
        (_, Some(n), ..) => Duration {
            amount: n,
            unit: Unit::Hours,
            working: true,
        },
        (_, _, Some(n), _) => Duration {
            amount: n,
            unit: Unit::Days,
            working: false,
        },
        (_, _, _, Some(text)) => text.parse::<Duration>()?,
        _ => {
            return Err(anyhow::anyhow!(
                "say how long: --working-days N, --working-hours N, --days N or --duration TEXT"
            ));
        }
    };
    let due = cal.add(from, d)?;
    let local_due = due.at.with_timezone(&tz);
    if a.json {
        let doc = json!({
            "calendar": cal.id(),
            "from": from.with_timezone(&tz).to_rfc3339(),
            "duration": d.to_string(),
            "due": local_due.to_rfc3339(),
            "due_utc": due.at.to_rfc3339(),
            "provisional": due.provisional,
        });
        crate::out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let note = if due.provisional {
            " (provisional: a year without a published holiday notice is involved)"
        } else {
            ""
        };
        crate::out!("{}{note}", local_due.format("%Y-%m-%dT%H:%M%:z %a"));
    }
    Ok(())
}

fn days(a: &DaysArgs) -> anyhow::Result<()> {
    if a.to < a.from || (a.to - a.from).num_days() > 366 {
        return Err(anyhow::anyhow!(
            "--to must be on or after --from and at most 366 days later"
        ));
    }
    let cal = load_calendar(&a.source)?;
    for d in a.from.iter_days().take_while(|d| *d <= a.to) {
        let info = cal.day(d)?;
        let kind = match (info.working, info.make_up, &info.holiday) {
            (true, true, _) => "working (make-up day 调休)".to_owned(),
            (true, false, _) => "working".to_owned(),
            (false, _, Some(h)) => format!("holiday ({h})"),
            (false, _, None) => "rest".to_owned(),
        };
        let prov = if info.provisional { " [provisional]" } else { "" };
        crate::out!("{} {} {kind}{prov}", d, d.format("%a"));
    }
    Ok(())
}
