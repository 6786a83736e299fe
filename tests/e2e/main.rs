//! End-to-end tests: the `yimen` program as a user runs it.

mod api;
mod auth;
mod backup;
mod bench;
mod browser;
mod calendar;
mod cluster;
mod cluster_jobs;
mod crash;
mod disk_full;
mod docs;
mod exports;
mod intake;
mod notify;
mod pg_private;
mod pg_restart;
mod schema;
mod schemathesis;
mod sealing;
mod serve;
mod simulate;
mod sms;
mod smtp;
mod support;
mod validate;

use std::process::{Command, Output};

/// The program under test.
pub fn yimen() -> Command {
    yimen_tests::yimen(env!("CARGO_BIN_EXE_yimen-e2e"))
}

/// Runs it to completion.
pub fn run(args: &[&str]) -> Output {
    yimen().args(args).output().expect("the program runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
