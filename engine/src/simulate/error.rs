//! Why a simulated year stopped.

/// Why a simulated year stopped: the day, the case or the job, and what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The engine refused or failed a command.
    #[error(transparent)]
    Engine(#[from] crate::runtime::EngineError),
    /// A periodic job's pass failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A generated case could not be handled: which, and why.
    #[error("{what}: {why}")]
    Case {
        /// The case or command.
        what: String,
        /// The engine's answer.
        why: crate::runtime::EngineError,
    },
    /// A periodic job failed.
    #[error("{job} {period}: {why}")]
    Job {
        /// The job.
        job: String,
        /// The period.
        period: String,
        /// Why.
        why: crate::runtime::scheduler::JobError,
    },
    /// The calendar cannot compute a day or a deadline the year needs.
    #[error("the calendar: {0}")]
    Calendar(String),
    /// A task of the simulation panicked or was cancelled.
    #[error("a simulated intake task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The organisation or workflows lack what the simulation needs, or its checks failed.
    #[error("{0}")]
    Setup(String),
}

pub(super) fn setup(what: impl Into<String>) -> SimulationError {
    SimulationError::Setup(what.into())
}
