//! `yimen`: the command line, and `serve`, which wires the engine, the API
//! ([`yimen_api`]), the pages ([`yimen_pages`]) and the notification dispatcher
//! ([`yimen_dispatch`]) together ([`app`]).
//!
//! The binary is a thin `main`; everything is in this library so that the end-to-end tests can
//! build the same program as their own binary target.
#![warn(clippy::too_many_lines)]

pub use yimen_engine::out;

pub mod app;
pub mod cli;
pub mod demo;
pub mod demo_past;
pub mod listen;
pub mod serve;
pub mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Yimen (一门): a workflow engine for supervised case lifecycles.
#[derive(Debug, Parser)]
#[command(name = "yimen", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the engine: load and validate the workflows, open the database, serve the API.
    Serve(serve::ServeArgs),
    /// Check workflow files and report every problem with its file, line and column.
    Validate(cli::validate::ValidateArgs),
    /// Run the workflow scenarios on a virtual clock.
    Test(cli::test::TestArgs),
    /// Print the JSON Schema of a workflow file kind, for editors.
    Schema(cli::schema::SchemaArgs),
    /// Working-day calendar arithmetic.
    #[command(subcommand)]
    Calendar(cli::calendar::CalendarCommand),
    /// Create or upgrade the database schema, then exit.
    Migrate(cli::migrate::MigrateArgs),
    /// Measure the engine (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(yimen_bench::BenchCommand),
    /// Look into one case.
    #[command(subcommand)]
    Case(cli::case::CaseCommand),
    /// Accounts and API tokens (`yimen user add ID --admin` makes the first admin).
    #[command(subcommand)]
    User(cli::user::UserCommand),
    /// A virtual year of the centre through the real engine on a virtual clock.
    Simulate(cli::simulate::SimulateArgs),
    /// Run a periodic job (the monthly bulletin) by hand for a chosen period.
    Report(cli::report::ReportArgs),
    /// Check the tamper-evident case histories.
    #[command(subcommand)]
    Audit(cli::audit::AuditCommand),
    /// Write a consistent copy of a live SQLite store to a file.
    Backup(cli::backup::BackupArgs),
    /// Put a backup back as a SQLite store (never over one in use).
    Restore(cli::backup::RestoreArgs),
    /// The master key: status, sealing a store written before sealing, rotation.
    #[command(subcommand)]
    Keys(cli::keys::KeysCommand),
    /// A resident's data: a copy on request (PIPL art. 45), legal holds.
    #[command(subcommand)]
    Person(cli::person::PersonCommand),
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Validate(args) => cli::validate::run(&args),
        Command::Schema(args) => cli::schema::run(&args),
        Command::Test(args) => cli::test::run(&args),
        Command::Calendar(cmd) => cli::calendar::run(&cmd),
        Command::Migrate(args) => cli::migrate::run(&args),
        Command::Audit(cmd) => cli::audit::run(&cmd),
        Command::Backup(args) => cli::backup::backup(&args),
        Command::Restore(args) => cli::backup::restore(&args),
        Command::Case(cmd) => cli::case::run(&cmd),
        Command::Report(args) => cli::report::run(&args),
        Command::Simulate(args) => cli::simulate::run(&args),
        Command::User(cmd) => cli::user::run(&cmd),
        Command::Keys(cmd) => cli::keys::run(&cmd),
        Command::Person(cmd) => cli::person::run(&cmd),
        Command::Bench(cmd) => yimen_bench::run(&cmd, app::router),
    }
}
