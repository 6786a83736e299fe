//! Subcommands other than `serve`.

pub mod audit;
pub mod backup;
pub mod calendar;
pub mod case;
pub mod keys;
pub mod migrate;
pub mod person;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod test;
pub mod user;
pub mod validate;

/// Exit code for problems with the command itself or its files (not with their content).
pub const EXIT_USAGE: u8 = 2;

/// Runs a command's future on a runtime of its own: its error printed with its causes, exit code
/// [`EXIT_USAGE`]; the command's own exit code otherwise.
pub fn run_async(
    fut: impl std::future::Future<Output = anyhow::Result<std::process::ExitCode>>,
) -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(fut) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(EXIT_USAGE)
        }
    }
}
