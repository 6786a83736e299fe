//! `yimen audit verify`: walk every case's hash chain and report the first broken link.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use yimen_engine::store::{Store, StoreOptions};

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify every case's history: exit 0 when intact, 1 when any chain is broken.
    Verify(VerifyArgs),
}

/// Arguments of `yimen audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The database URL.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs an audit subcommand.
pub fn run(cmd: &AuditCommand) -> ExitCode {
    let AuditCommand::Verify(args) = cmd;
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        let store = Store::open(&StoreOptions::new(&args.db)).await?;
        let report = store.audit_verify().await;
        store.close().await;
        report
    });
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    if args.json {
        crate::out!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        for b in &report.broken {
            crate::out!("case {}: broken at event {}: {}", b.case_id, b.seq, b.problem);
        }
        let verdict = if report.broken.is_empty() { "intact" } else { "BROKEN" };
        crate::out!(
            "{verdict}: {} case(s), {} event(s) checked, {} broken chain(s)",
            report.cases,
            report.events,
            report.broken.len()
        );
    }
    if report.broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
