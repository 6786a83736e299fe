//! `yimen migrate`: create or upgrade the database schema.

use std::process::ExitCode;

use clap::Args;
use yimen_engine::store::{Store, StoreOptions};

/// Arguments of `yimen migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database URL.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
}

/// Runs the command.
pub fn run(args: &MigrateArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(Store::open(&StoreOptions::new(&args.db))) {
        Ok(store) => {
            crate::out!("migrated: {} database is up to date", store.backend_name());
            rt.block_on(store.close());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
