//! The pure half of Yimen: the workflow language and its validator, working-day calendars, guard
//! expressions, schedules, rendering, scenarios and the case state machine (`core::decide`).
//!
//! Architecture invariant: nothing here does I/O beyond reading a workflows directory, holds a
//! clock, or knows of a database, an async runtime, HTTP, SMTP or SMS. Its dependency closure is
//! checked by `tests/purity.rs`: it may never gain sqlx, tokio or a network crate. Everything
//! specific to one centre is data read from its workflows directory.
#![warn(missing_docs)]
#![warn(clippy::too_many_lines)]

pub mod attachment;
pub mod calendar;
pub mod core;
pub mod diag;
pub mod duration;
pub mod error;
pub mod expr;
pub mod load;
pub mod model;
pub mod render;
pub mod scenario;
pub mod schedule;
pub mod schema;
pub mod yaml;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use error::Error;
pub use load::{Bundle, LoadOptions, Today, load_dir};
