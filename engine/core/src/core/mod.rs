//! The pure core: `decide(definition, case, command, now, calendar) -> (case, events, effects)`.
//!
//! Nothing here reads a clock, touches a database or draws a random number: the shell passes
//! `now`, ids and the loaded case in, and writes what comes out in one transaction. That is what
//! makes the engine testable on a virtual clock and its decisions reproducible.

pub mod case;
pub mod command;
pub mod definition;
pub mod definitions;
pub mod effect;
pub mod event;
pub mod fields;
pub mod ids;
pub mod preview;
pub mod reject;
pub mod sla;
pub mod staffing;
pub mod supervision;

pub use case::{Case, CaseStatus, OpenTimer, SupervisionRecord, SupervisionState, TaskInstance, TaskState};
pub use command::{Actor, Command, Context, Decision, decide, repeat_key};
pub use definition::{CompiledCaseType, Organisation, RouteError, Workload, WorkloadCounts};
pub use definitions::Definitions;
pub use effect::Effect;
pub use event::{Event, EventKind};
pub use ids::{CaseId, TaskId, UserId};
pub use reject::{FieldProblem, Rejection};
