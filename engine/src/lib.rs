//! The Yimen engine: the workflow language and its validator, working-day calendars, guard
//! expressions, schedules and (as it grows) the case state machine and its store.
//!
//! Architecture invariant: nothing here knows of HTTP, SMTP or SMS gateways; the binary wires
//! those in. Everything specific to one centre is data read from its workflows directory.
#![warn(missing_docs)]

pub mod calendar;
pub mod core;
pub mod diag;
pub mod duration;
pub mod expr;
pub mod load;
pub mod model;
pub mod render;
pub mod reports;
pub mod runtime;
pub mod scenario;
pub mod schedule;
pub mod schema;
pub mod simulate;
pub mod store;
pub mod yaml;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use load::{Bundle, LoadOptions, load_dir};
