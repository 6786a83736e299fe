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
