//! The durable shell of the Yimen engine: the store, the runtime (writer pipeline, timers,
//! scheduler), the periodic reports' figures and the simulator, around the pure core of
//! [`yimen_core`] (re-exported here, so `yimen_engine::core::decide` is the core's).
//!
//! Architecture invariant: nothing here knows of HTTP, SMTP or SMS gateways; the binary wires
//! those in. Every SQL statement lives under [`store`]. Everything specific to one centre is
//! data read from its workflows directory.
#![warn(missing_docs)]

pub use yimen_core::{Bundle, Diagnostic, Diagnostics, LoadOptions, Severity, load_dir};
pub use yimen_core::{calendar, core, diag, duration, expr, load, model, render, scenario, schedule, schema, yaml};

pub mod reports;
pub mod runtime;
pub mod simulate;
pub mod store;
