//! `yimen person`: a resident's own data (PIPL art. 45: a copy on request) and legal holds.
//! A person's cases are found by the blind index of their phone or ID number; every export,
//! hold and release is recorded in the privacy log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use yimen_service::privacy;

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
    /// The case: its number (案件编号), its id, or a start of its id no other case has.
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
    /// The case: its number (案件编号), its id, or a start of its id no other case has.
    #[arg(long)]
    pub case: String,
    /// Who lifts it.
    #[arg(long)]
    pub by: String,
}

/// Runs a person subcommand.
pub fn run(cmd: &PersonCommand) -> ExitCode {
    super::run_async(async {
        match cmd {
            PersonCommand::Export(a) => export(a).await,
            PersonCommand::Hold(a) => hold(&a.store, &a.case, Some(&a.reason), &a.by).await,
            PersonCommand::Release(a) => hold(&a.store, &a.case, None, &a.by).await,
        }
    })
}

/// The kind and normalised value a person is looked up by (as intake normalises them).
fn person(args: &ExportArgs) -> anyhow::Result<(&'static str, String)> {
    use yimen_service::privacy::PersonError;
    privacy::person(args.phone.as_deref(), args.id_number.as_deref()).map_err(|e| {
        anyhow::anyhow!(match e {
            PersonError::Missing => "name the person by --phone or --id-number",
            PersonError::Phone => "that is not a mainland phone number (11 digits from 1, or 0 and an area code)",
            PersonError::IdNumber => "that is not a resident identity card number",
        })
    })
}

async fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let (kind, value) = person(args)?;
    anyhow::ensure!(!args.out.exists(), "{} exists: name a new file", args.out.display());
    let o = open(&args.store, false).await?;
    let (bundle, defs) = o.deployed().await?;
    let org = bundle
        .organisation
        .as_ref()
        .map(|o| o.value.clone())
        .context("the workflows have no organisation")?;
    let zone = bundle
        .default_calendar()
        .map(|c| c.timezone())
        .context("the workflows have no calendar (the centre's time zone)")?;
    let index = o.master.blind_index(kind, &value);
    let src = privacy::Sources {
        store: &o.store,
        defs: &defs,
        org: &org,
        zone,
    };
    let (doc, n) = privacy::copy(&src, kind, &index, &args.by, chrono::Utc::now()).await?;
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
    crate::out!("wrote {n} case(s) to {}", args.out.display());
    o.store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn hold(store: &StoreArgs, case: &str, reason: Option<&str>, by: &str) -> anyhow::Result<ExitCode> {
    let o = open(store, false).await?;
    let Some(id) = o.store.resolve_case(case).await? else {
        o.store.close().await;
        anyhow::bail!("there is no case `{case}`");
    };
    let done = o
        .store
        .set_hold(&id, reason, by, chrono::Utc::now().timestamp_millis())
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
