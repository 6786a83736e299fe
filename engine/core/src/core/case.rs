//! The case aggregate: everything the core needs to decide the next command on a case.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ids::{CaseId, TaskId, UserId};
use super::sla::SlaClock;
use crate::model::Tier;
use crate::model::case_type::Outcome;

/// Whether a case is still being worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// In a non-terminal state.
    Open,
    /// In a terminal state, with how it ended.
    Closed(Outcome),
}

/// A case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Its id.
    pub id: CaseId,
    /// Its number (案件编号), as people read it out: given by the shell when the case is opened,
    /// unique in the centre (cases from before numbering get theirs when the engine starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Its case type.
    pub case_type: String,
    /// The definition version it runs on for its whole life.
    pub definition_version: i64,
    /// The current state.
    pub state: String,
    /// Open or closed.
    pub status: CaseStatus,
    /// Incremented by every accepted command; the compare-and-set token.
    pub version: i64,
    /// The intake channel.
    pub channel: String,
    /// The field values.
    pub fields: Map<String, Value>,
    /// The department handling it.
    pub department: String,
    /// The unit where it sits, if known.
    pub unit: Option<String>,
    /// The tier handling it.
    pub tier: Tier,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// In-person visits the citizen made (for the zero-trip and one-trip figures).
    pub visits: u32,
    /// Tasks, open and finished.
    pub tasks: Vec<TaskInstance>,
    /// Running timers by timer name (declared timers, and `sla:…` / `rung:…` for the clock and ladder).
    pub timers: BTreeMap<String, OpenTimer>,
    /// The SLA clock, once started.
    #[serde(default)]
    pub sla: Option<SlaClock>,
    /// Ladder rungs fired, in order.
    #[serde(default)]
    pub rungs: Vec<String>,
    /// Supervision records (督办单) opened by rungs.
    #[serde(default)]
    pub supervision: Vec<SupervisionRecord>,
    /// How often the same citizen brought the same matter again while it was open.
    #[serde(default)]
    pub repeats: u32,
    /// The key that recognises a repeat of this case (see `repeats` in the case type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_key: Option<String>,
    /// Where the matter arose, when the case sits higher (a community's report handled by its
    /// town): tasks for a lower tier go to this unit's staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_unit: Option<String>,
}

/// Where a supervision record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionState {
    /// Waiting for the handling department's answer.
    Awaiting,
    /// Answered; waiting for the supervisor's review.
    Answered,
    /// Accepted by the supervisor: the ladder stops climbing.
    Accepted,
    /// Sent back by the supervisor; a new answer is due.
    Returned,
    /// Closed with the case.
    Closed,
}

/// A supervision record (督办单) that the handling department must answer by a deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisionRecord {
    /// Its id (`<case id>:s<sequence>`).
    pub id: String,
    /// The rung that opened it.
    pub rung: String,
    /// Its level (1–3).
    pub level: u8,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When the answer is due.
    pub answer_due: DateTime<Utc>,
    /// Where it stands.
    pub state: SupervisionState,
    /// The latest answer.
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
}

/// A task's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// In the inbox of its department and role, claimable.
    Open,
    /// Claimed by a user.
    Claimed,
    /// Finished by an action.
    Completed,
    /// Closed because the case moved on without it.
    Cancelled,
}

/// A task of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInstance {
    /// Its id (`<case id>:t<sequence>`).
    pub id: TaskId,
    /// The task definition's name.
    pub name: String,
    /// Its state.
    pub state: TaskState,
    /// The department whose inbox it is in.
    pub department: String,
    /// The role that may claim it.
    pub role: String,
    /// The unit, when the task is for one unit's staff.
    pub unit: Option<String>,
    /// The user who claimed it.
    pub assignee: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was completed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// True when it was opened for a role, department and unit nobody holds: it waits in the
    /// queue of the department's heads and the dispatching clerks until one of them gives it to
    /// a person. Cleared once someone holds it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unstaffed: bool,
}

impl TaskInstance {
    /// Whether it is still in an inbox.
    pub fn is_active(&self) -> bool {
        matches!(self.state, TaskState::Open | TaskState::Claimed)
    }
}

/// A running timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTimer {
    /// The timer row's key (`<case id>/<name>/<case version when started>`); a firing must name it.
    pub key: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Whether the due instant rests on a provisional calendar year.
    pub provisional: bool,
}

impl Case {
    /// The names of its open tasks, sorted (what a scenario's `tasks:` expects).
    pub fn open_task_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .tasks
            .iter()
            .filter(|t| t.is_active())
            .map(|t| t.name.clone())
            .collect();
        v.sort();
        v
    }

    /// Who holds its open tasks, sorted (what a scenario's `assigned:` expects).
    pub fn task_holders(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .tasks
            .iter()
            .filter(|t| t.is_active())
            .filter_map(|t| t.assignee.as_ref().map(ToString::to_string))
            .collect();
        v.sort();
        v
    }

    /// Whether the case is closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.status, CaseStatus::Closed(_))
    }

    /// The task with this id.
    pub fn task(&self, id: &str) -> Option<&TaskInstance> {
        self.tasks.iter().find(|t| t.id == id)
    }
}
