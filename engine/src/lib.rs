//! The durable shell of the Yimen engine: the store, the runtime (writer pipeline, timers,
//! scheduler), the periodic reports' figures and the simulator, around the pure core of
//! [`yimen_core`] (re-exported here, so `yimen_engine::core::decide` is the core's).
//!
//! Architecture invariant: nothing here knows of HTTP, SMTP or SMS gateways; the binary wires
//! those in. Every SQL statement lives under [`store`]. Everything specific to one centre is
//! data read from its workflows directory.
#![warn(missing_docs)]
#![warn(clippy::too_many_lines)]

/// The core's error (a definition, a deployed source, a schedule or a template that fails).
pub use yimen_core::Error as CoreError;
pub use yimen_core::{Bundle, Diagnostic, Diagnostics, LoadOptions, Severity, Today, load_dir};
pub use yimen_core::{
    attachment, calendar, core, diag, duration, expr, load, model, render, scenario, schedule, schema, yaml,
};

/// Prints a line to standard output for a command; when the reader has gone (`yimen … | head`),
/// exits quietly with the status a broken pipe gives Unix tools (141) instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut o = std::io::stdout().lock();
        if let Err(e) = writeln!(o, $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(141);
            }
        }
    }};
}

pub mod reports;
pub mod runtime;
pub mod seal;
pub mod simulate;
pub mod store;
