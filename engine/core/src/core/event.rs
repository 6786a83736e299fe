//! Events: the append-only history of a case. Every event names who caused it.

use super::ids::{TaskId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Who caused it: a user id, or `system` for timers.
    pub actor: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// The case was opened.
    Opened {
        /// The intake channel.
        channel: String,
        /// The fields given.
        fields: Map<String, Value>,
        /// The number the case was given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<String>,
    },
    /// An action moved the case.
    ActionTaken {
        /// The action.
        action: String,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
        /// Fields set by the action.
        fields: Map<String, Value>,
        /// The actor's comment.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        comment: Option<String>,
    },
    /// A task was claimed.
    TaskClaimed {
        /// The task.
        task: TaskId,
    },
    /// A task was released back to its inbox.
    TaskReleased {
        /// The task.
        task: TaskId,
        /// Why it went back to the pool (free text, sealed like a comment).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        comment: Option<String>,
    },
    /// A task was given to someone else or another department.
    TaskReassigned {
        /// The task.
        task: TaskId,
        /// The new assignee, if any.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        to_user: Option<UserId>,
        /// The new department, if changed.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        to_department: Option<String>,
        /// The task's new unit, when it moved with its new holder (the district taking over a
        /// town's matter).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        to_unit: Option<String>,
        /// Why (free text, sealed like a comment).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        comment: Option<String>,
    },
    /// A comment.
    Commented {
        /// Its text.
        text: String,
    },
    /// The citizen came in person.
    VisitRecorded {
        /// Visits so far.
        visits: u32,
    },
    /// The same citizen brought the same matter again while the case was open; linked here
    /// instead of opening a new case.
    Repeated {
        /// The channel the repeat came through.
        channel: String,
        /// The fields given with the repeat.
        fields: Map<String, Value>,
        /// Repeats so far.
        repeats: u32,
    },
    /// A task was given to a user picked by specialism and load.
    TaskAssigned {
        /// The task.
        task: TaskId,
        /// The user.
        to_user: UserId,
    },
    /// A task was opened for a role, department and unit that nobody holds: it reaches no
    /// inbox but the queue of the department's heads and the dispatching clerks.
    TaskUnstaffed {
        /// The task.
        task: TaskId,
        /// Its department.
        department: String,
        /// Its role.
        role: String,
        /// Its unit, if it is for one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        unit: Option<String>,
        /// Who was told, by id.
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        notified: Vec<UserId>,
    },
    /// A timer expired.
    TimerFired {
        /// The timer's name.
        timer: String,
    },
    /// The case was handed to another department (dispatched or handed over).
    DepartmentChanged {
        /// The department now handling it.
        department: String,
    },
    /// The case was raised a tier.
    TierRaised {
        /// The new tier.
        tier: String,
    },
    /// The case was submitted for supervision at a ladder rung.
    SupervisionRequested {
        /// The rung.
        rung: String,
    },
    /// The SLA clock started.
    SlaStarted {
        /// The budget.
        budget: String,
    },
    /// The SLA clock paused (a state the law does not count).
    SlaPaused,
    /// The SLA clock resumed.
    SlaResumed,
    /// An extension was granted.
    SlaExtended {
        /// By how much.
        by: String,
    },
    /// The clock's instants were derived again (new or corrected calendar data).
    SlaRecomputed {
        /// The new due instant.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        due: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The clock stopped in a state that ends its time limit while the case goes on.
    SlaStopped {
        /// Whether it stopped before its due instant.
        met: bool,
    },
    /// A warning point passed.
    SlaWarning {
        /// Which warning (from 0).
        index: usize,
    },
    /// The due instant passed with the case open.
    SlaBreached,
    /// A ladder rung fired and opened a supervision record.
    RungFired {
        /// The rung.
        rung: String,
        /// Its level.
        level: u8,
        /// The record it opened.
        record: String,
        /// Why, when a supervisor escalated by hand (free text, sealed like a comment).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        comment: Option<String>,
    },
    /// A message's recipients resolve to nobody; an admin must act.
    RecipientsMissing {
        /// The template.
        template: String,
        /// The roles that nobody holds in scope.
        roles: Vec<String>,
    },
    /// The handling department answered a supervision record.
    SupervisionAnswered {
        /// The record.
        record: String,
        /// The answer.
        text: String,
    },
    /// A supervisor accepted or sent back an answer.
    SupervisionReviewed {
        /// The record.
        record: String,
        /// Accepted (true) or sent back (false).
        accepted: bool,
        /// The supervisor's comment.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        comment: Option<String>,
    },
    /// Files were added to an attachment field of the case.
    Attached {
        /// The field.
        field: String,
        /// The files' references.
        attachments: Vec<String>,
    },
    /// Someone downloaded one of the case's files (a record only: the case does not change).
    AttachmentDownloaded {
        /// The file's reference.
        attachment: String,
    },
    /// The case closed.
    Closed {
        /// How.
        outcome: String,
    },
}

impl EventKind {
    /// The snake_case name stored with the event.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Opened { .. } => "opened",
            EventKind::ActionTaken { .. } => "action_taken",
            EventKind::TaskClaimed { .. } => "task_claimed",
            EventKind::TaskReleased { .. } => "task_released",
            EventKind::TaskReassigned { .. } => "task_reassigned",
            EventKind::Commented { .. } => "commented",
            EventKind::VisitRecorded { .. } => "visit_recorded",
            EventKind::Repeated { .. } => "repeated",
            EventKind::TaskAssigned { .. } => "task_assigned",
            EventKind::TaskUnstaffed { .. } => "task_unstaffed",
            EventKind::TimerFired { .. } => "timer_fired",
            EventKind::DepartmentChanged { .. } => "department_changed",
            EventKind::TierRaised { .. } => "tier_raised",
            EventKind::SupervisionRequested { .. } => "supervision_requested",
            EventKind::SlaStarted { .. } => "sla_started",
            EventKind::SlaPaused => "sla_paused",
            EventKind::SlaResumed => "sla_resumed",
            EventKind::SlaExtended { .. } => "sla_extended",
            EventKind::SlaRecomputed { .. } => "sla_recomputed",
            EventKind::SlaStopped { .. } => "sla_stopped",
            EventKind::SlaWarning { .. } => "sla_warning",
            EventKind::SlaBreached => "sla_breached",
            EventKind::RungFired { .. } => "rung_fired",
            EventKind::RecipientsMissing { .. } => "recipients_missing",
            EventKind::SupervisionAnswered { .. } => "supervision_answered",
            EventKind::SupervisionReviewed { .. } => "supervision_reviewed",
            EventKind::Attached { .. } => "attached",
            EventKind::AttachmentDownloaded { .. } => "attachment_downloaded",
            EventKind::Closed { .. } => "closed",
        }
    }
}
