//! Scenarios (`workflows/scenarios/*.yaml`): scripted cases on a virtual clock that check a
//! workflow behaves as its author intends.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen scenario")]
pub struct ScenarioFile {
    /// What the scenario shows.
    pub name: String,
    /// The case type under test.
    pub case_type: String,
    /// The virtual clock's start, in the centre's time zone, e.g. `2026-09-30T16:00`.
    pub start: String,
    /// The channel the case comes in through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The fields the case is opened with.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub fields: IndexMap<String, serde_json::Value>,
    /// The unit where the matter arose (the district when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Take an action as a user.
    Act(Act),
    /// Move the virtual clock, e.g. `2 working days`, `45 days`.
    Advance(String),
    /// Check the case.
    Expect(Expect),
}

/// Taking an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Act {
    /// The action.
    pub action: String,
    /// The user (from the organisation) taking it.
    #[serde(rename = "as")]
    pub user: String,
    /// Fields set by the action.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub fields: IndexMap<String, serde_json::Value>,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The user (from the organisation) who takes the tasks the action opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_to: Option<String>,
    /// True when the action must be refused.
    #[serde(default)]
    pub rejected: bool,
}

/// What to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The case's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The open tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<String>>,
    /// The SLA status: `on_time`, `warning`, `breached`, `paused` or `stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// The SLA's due instant, e.g. `2026-10-10T16:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// The ladder rungs fired so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rungs: Option<Vec<String>>,
    /// The tier handling the case: `district`, `town` or `community`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Who holds the open tasks (users a task was given to by specialism or load, or who
    /// claimed it), sorted; tasks still waiting to be claimed are not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<Vec<String>>,
    /// Templates of the messages queued so far, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<Vec<String>>,
}
