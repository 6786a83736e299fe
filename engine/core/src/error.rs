//! The core's error for what is not a command's rejection ([`crate::core::Rejection`]) nor a
//! workflow file's diagnostics ([`crate::Diagnostics`]): a definition that cannot be compiled, a
//! deployed source that no longer parses, a schedule or a notification template that fails.

/// An error of the core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A case type that passed validation could not be compiled (so it did not pass).
    #[error("case type `{case_type}`: {problem}")]
    Definition {
        /// The case type.
        case_type: String,
        /// What is wrong.
        problem: String,
    },
    /// The source of a deployed version does not parse as a case type.
    #[error("the deployed source does not parse: {0}")]
    Source(String),
    /// A cron expression is not a schedule.
    #[error("{0}")]
    Schedule(String),
    /// A notification template cannot be registered or rendered.
    #[error("template `{template}`: {problem}")]
    Template {
        /// The template (with its locale and part, when known).
        template: String,
        /// What is wrong.
        problem: String,
    },
}
