//! Rejections: why a command was refused, in words a clerk understands. A rejection changes nothing.

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No such case type is deployed.
    #[error("there is no case type `{0}`")]
    UnknownCaseType(String),
    /// The channel is not one the case type takes.
    #[error("case type `{case_type}` is not filed through channel `{channel}`")]
    WrongChannel {
        /// The case type.
        case_type: String,
        /// The channel.
        channel: String,
    },
    /// No such action in the case type.
    #[error("there is no action `{0}` for this case")]
    UnknownAction(String),
    /// The action cannot be taken in the case's state.
    #[error("`{action}` cannot be taken while the case is `{state}`; it can be taken from {allowed}")]
    WrongState {
        /// The action.
        action: String,
        /// The current state.
        state: String,
        /// The states it can be taken from.
        allowed: String,
    },
    /// The case is closed.
    #[error("the case is closed")]
    Closed,
    /// The actor's roles, department or tier do not allow it.
    #[error("you are not allowed to {what}")]
    NotAllowed {
        /// What was attempted.
        what: String,
    },
    /// A required field is missing.
    #[error("the field `{0}` is required")]
    MissingField(String),
    /// A field's value is invalid.
    #[error("the field `{field}` {problem}")]
    InvalidField {
        /// The field.
        field: String,
        /// What is wrong.
        problem: String,
    },
    /// The guard does not hold.
    #[error("the condition for `{action}` does not hold: {reason}")]
    GuardFalse {
        /// The action.
        action: String,
        /// Why, in words.
        reason: String,
    },
    /// A comment is required.
    #[error("`{0}` needs a comment giving the reason")]
    CommentRequired(String),
    /// The case changed since the caller read it.
    #[error("the case changed (it is at version {actual}, you expected {expected}); reload and try again")]
    Stale {
        /// The version the caller expected.
        expected: i64,
        /// The current version.
        actual: i64,
    },
    /// No such task on the case.
    #[error("there is no task `{0}` on this case")]
    UnknownTask(String),
    /// The task cannot be claimed, released or reassigned now.
    #[error("task `{task}` {problem}")]
    TaskState {
        /// The task.
        task: String,
        /// What is wrong.
        problem: String,
    },
    /// The action would complete a task another person holds, and the actor may not take
    /// work over.
    #[error("task `{task}` is held by `{holder}`: only they, their department's head or a supervisor may finish it")]
    HeldByOther {
        /// The task.
        task: String,
        /// Who holds it.
        holder: String,
    },
    /// Taking over another person's task needs a reason.
    #[error("this finishes work held by `{holder}`: give the reason for taking it over as the comment")]
    TakeOverReason {
        /// Who holds it.
        holder: String,
    },
    /// A timer that no longer runs fired (it was cancelled when the case moved).
    #[error("timer `{0}` is no longer running")]
    StaleTimer(String),
    /// A comment or text that is empty or too long.
    #[error("{0}")]
    BadText(String),
    /// The command would change nothing (a recomputation that finds the same instants).
    #[error("nothing changed")]
    Unchanged,
    /// The case's deadline cannot be computed on its calendar.
    #[error("the deadline cannot be computed: {0}")]
    Calendar(String),
}

impl Rejection {
    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::UnknownCaseType(_) => "unknown_case_type",
            Rejection::WrongChannel { .. } => "wrong_channel",
            Rejection::UnknownAction(_) => "unknown_action",
            Rejection::WrongState { .. } => "wrong_state",
            Rejection::Closed => "case_closed",
            Rejection::NotAllowed { .. } => "not_allowed",
            Rejection::MissingField(_) => "missing_field",
            Rejection::InvalidField { .. } => "invalid_field",
            Rejection::GuardFalse { .. } => "guard_false",
            Rejection::CommentRequired(_) => "comment_required",
            Rejection::Stale { .. } => "stale_version",
            Rejection::UnknownTask(_) => "unknown_task",
            Rejection::TaskState { .. } => "task_state",
            Rejection::HeldByOther { .. } => "task_held_by_other",
            Rejection::TakeOverReason { .. } => "take_over_reason_required",
            Rejection::StaleTimer(_) => "stale_timer",
            Rejection::BadText(_) => "bad_text",
            Rejection::Calendar(_) => "calendar",
            Rejection::Unchanged => "unchanged",
        }
    }
}
