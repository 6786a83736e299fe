//! `yimen person`: a resident's own data (PIPL art. 45: a copy on request) and legal holds.
//! A person's cases are found by the blind index of their phone or ID number; every export,
//! hold and release is recorded in the privacy log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use yimen_engine::core::fields::{is_id_number, is_phone};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;
use super::keys::{StoreArgs, open};

/// Person subcommands.
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Write every case of a person (by phone or ID number), their data and history, to a file.
    Export(ExportArgs),
    /// Place a legal hold on a case: its personal data is kept past its retention until released.
    Hold(HoldArgs),
    /// Lift a case's legal hold.
    Release(ReleaseArgs),
}

/// Arguments of `yimen person export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The person's phone number.
    #[arg(long, conflicts_with = "id_number", required_unless_present = "id_number")]
    pub phone: Option<String>,
    /// The person's ID number.
    #[arg(long)]
    pub id_number: Option<String>,
    /// The file to write (JSON); it must not exist.
    #[arg(long)]
    pub out: PathBuf,
    /// Who answers the request (recorded in the privacy log).
    #[arg(long)]
    pub by: String,
}

/// Arguments of `yimen person hold`.
#[derive(Debug, Args)]
pub struct HoldArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The case.
    #[arg(long)]
    pub case: String,
    /// Why (a court's preservation order, a pending appeal).
    #[arg(long)]
    pub reason: String,
    /// Who places it.
    #[arg(long)]
    pub by: String,
}

/// Arguments of `yimen person release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The case.
    #[arg(long)]
    pub case: String,
    /// Who lifts it.
    #[arg(long)]
    pub by: String,
}

/// Runs a person subcommand.
pub fn run(cmd: &PersonCommand) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = rt.block_on(async {
        match cmd {
            PersonCommand::Export(a) => export(a).await,
            PersonCommand::Hold(a) => hold(&a.store, &a.case, Some(&a.reason), &a.by).await,
            PersonCommand::Release(a) => hold(&a.store, &a.case, None, &a.by).await,
        }
    });
    match done {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The kind and normalised value a person is looked up by (as intake normalises them).
fn person(args: &ExportArgs) -> anyhow::Result<(&'static str, String)> {
    match (&args.phone, &args.id_number) {
        (Some(p), _) => {
            anyhow::ensure!(
                is_phone(p),
                "`{p}` is not a mainland phone number (11 digits from 1, or 0 and an area code)"
            );
            Ok(("phone", p.replace([' ', '-'], "")))
        }
        (None, Some(i)) => {
            let i = i.to_ascii_uppercase();
            anyhow::ensure!(is_id_number(&i), "`{i}` is not a resident identity card number");
            Ok(("id_number", i))
        }
        (None, None) => anyhow::bail!("name the person by --phone or --id-number"),
    }
}

async fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let (kind, value) = person(args)?;
    anyhow::ensure!(!args.out.exists(), "{} exists: name a new file", args.out.display());
    let o = open(&args.store, false).await?;
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, _) = load::load_dir(&o.settings.workflows, &opts);
    let defs = yimen_engine::runtime::definitions::load_deployed(&o.store, &bundle).await?;
    let index = o.master.blind_index(kind, &value);
    let ids = o.store.cases_of_person(kind, &index, 10_000).await?;
    let zone = bundle
        .default_calendar()
        .map_or(chrono_tz::Asia::Shanghai, |c| c.timezone());
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
    let mut cases = Vec::new();
    for id in &ids {
        let Some(case) = o.store.case(id).await? else { continue };
        let def = defs.get(&case.case_type, case.definition_version);
        let d = def.as_ref().map(|d| &d.def);
        let label = |f: &str| {
            d.and_then(|d| d.fields.get(f))
                .map_or_else(|| f.to_owned(), |f| f.label.get("zh-CN").to_owned())
        };
        let fields: serde_json::Map<String, Value> = case.fields.iter().map(|(k, v)| (label(k), v.clone())).collect();
        let history: Vec<Value> = o
            .store
            .history(id)
            .await?
            .into_iter()
            .map(|e| {
                let mut v = serde_json::to_value(&e.event).unwrap_or_default();
                v["at"] = json!(local(e.event.at));
                v
            })
            .collect();
        cases.push(json!({
            "case": case.id,
            "case_type": d.map_or_else(|| case.case_type.clone(), |d| d.name.get("zh-CN").to_owned()),
            "opened": local(case.opened_at),
            "closed": case.closed_at.map(local),
            "state": d.and_then(|d| d.states.get(&case.state)).map_or_else(|| case.state.clone(), |s| s.name.get("zh-CN").to_owned()),
            "department": bundle
                .organisation
                .as_ref()
                .and_then(|org| org.value.departments.get(&case.department))
                .map_or_else(|| case.department.clone(), |dep| dep.name.get("zh-CN").to_owned()),
            "fields": fields,
            "history": history,
        }));
    }
    let now = chrono::Utc::now();
    let doc = json!({
        "title": "个人信息副本（《个人信息保护法》第四十五条）",
        "exported": local(now),
        "by": args.by,
        "cases": cases,
    });
    let text = serde_json::to_string_pretty(&doc)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    f.sync_all()?;
    o.store
        .log_privacy(
            &args.by,
            "export",
            &format!("{kind}:{index}"),
            &format!("{} case(s)", ids.len()),
            now.timestamp_millis(),
        )
        .await?;
    crate::out!("wrote {} case(s) to {}", ids.len(), args.out.display());
    o.store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn hold(store: &StoreArgs, case: &str, reason: Option<&str>, by: &str) -> anyhow::Result<ExitCode> {
    let o = open(store, false).await?;
    let done = o
        .store
        .set_hold(case, reason, by, chrono::Utc::now().timestamp_millis())
        .await?;
    o.store.close().await;
    if !done {
        anyhow::bail!("case {case} has no sealed personal data to hold (no such case, not sealed, or already deleted)");
    }
    match reason {
        Some(_) => crate::out!("case {case} is on legal hold: its personal data is kept until released"),
        None => crate::out!("case {case}'s legal hold is lifted"),
    }
    Ok(ExitCode::SUCCESS)
}
