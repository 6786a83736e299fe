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
    /// Fields whose values are missing or invalid: every one at once.
    #[error("{}", said_all(.0))]
    Fields(Vec<FieldProblem>),
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
            Rejection::Fields(p) if p.iter().all(|p| p.code == "required") => "missing_field",
            Rejection::Fields(_) => "invalid_field",
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

/// What is wrong with one field's value: the field, a stable code the pages say in the reader's
/// words (with the field's label and `limit`), and what is wrong in English (after "the field
/// `x`"), which the API gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldProblem {
    /// The field.
    pub field: String,
    /// `required`, `not_text`, `too_long`, `empty`, `control`, `one_line`, `phone`,
    /// `id_number`, `number`, `whole`, `fen`, `range`, `too_large`, `date`, `choice`, `boolean`,
    /// `files`, `too_many_files` or `unknown_field`.
    pub code: String,
    /// The limit the value broke, in figures (`200`, `0–100000`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// What is wrong, in English.
    pub problem: String,
}

impl FieldProblem {
    /// A problem with `field`.
    pub fn new(field: &str, code: &str, problem: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            limit: None,
            problem: problem.into(),
        }
    }

    /// The same, with the limit broken.
    pub fn limit(mut self, limit: impl Into<String>) -> Self {
        self.limit = Some(limit.into());
        self
    }
}

impl From<FieldProblem> for Rejection {
    fn from(p: FieldProblem) -> Self {
        Rejection::Fields(vec![p])
    }
}

fn said_all(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("the field `{}` {}", p.field, p.problem))
        .collect::<Vec<_>>()
        .join("; ")
}
