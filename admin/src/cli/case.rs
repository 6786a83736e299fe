//! `yimen case timeline ID`: what will fire when for an open case.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use yimen_engine::core::preview::timeline;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;

/// Case subcommands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// The SLA's warnings and due instant, the ladder's next rungs and the case's timers.
    Timeline(TimelineArgs),
}

/// Arguments of `yimen case timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The case: its number (案件编号), its id, or a start of its id no other case has.
    pub id: String,
    /// The database URL.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
    /// The workflows directory (for calendars and ladders).
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a case subcommand.
pub fn run(cmd: &CaseCommand) -> ExitCode {
    let CaseCommand::Timeline(args) = cmd;
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(show(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

async fn show(args: &TimelineArgs) -> anyhow::Result<()> {
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, _) = load::load_dir(&args.workflows, &opts);
    let store = Store::open(&StoreOptions::new(&args.db)).await?;
    let defs = yimen_engine::runtime::definitions::load_deployed(&store, &bundle).await?;
    let id = store
        .resolve_case(&args.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no case `{}`", args.id))?;
    let case = store
        .case(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no case `{}`", args.id))?;
    let def = defs
        .get(&case.case_type, case.definition_version)
        .ok_or_else(|| anyhow::anyhow!("the case's definition version cannot be compiled"))?;
    let now = chrono::Utc::now();
    let (status, upcoming) = timeline(&def, &case, now);
    store.close().await;
    let tz = def.calendar.timezone();
    if args.json {
        let doc = serde_json::json!({"case_id": case.id, "number": case.number, "sla_status": status.map(|s| s.as_str()), "upcoming": upcoming});
        crate::out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return Ok(());
    }
    crate::out!(
        "case {} {} ({} v{}), state {}, SLA {}",
        case.number.as_deref().unwrap_or("-"),
        case.id,
        case.case_type,
        case.definition_version,
        case.state,
        status.map_or("not started", |s| s.as_str())
    );
    for u in upcoming {
        let mut notes = Vec::new();
        if u.provisional {
            notes.push("provisional");
        }
        if u.estimate {
            notes.push("if nobody answers");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        crate::out!(
            "  {}  {:<12} {}{notes}",
            u.at.with_timezone(&tz).format("%Y-%m-%d %H:%M %a"),
            u.kind,
            u.name
        );
    }
    Ok(())
}
