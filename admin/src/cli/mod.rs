//! Subcommands other than `serve`.

pub mod audit;
pub mod backup;
pub mod bench;
mod bench_all;
mod bench_pages;
mod bench_startup;
pub mod calendar;
pub mod case;
pub mod migrate;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod test;
pub mod user;
pub mod validate;

use chrono::NaiveDate;

/// Today's date in the centre's time zone (Asia/Shanghai is UTC+8 without daylight saving).
pub fn today_in_centre() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Exit code for problems with the command itself or its files (not with their content).
pub const EXIT_USAGE: u8 = 2;
