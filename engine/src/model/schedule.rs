//! Periodic jobs (`workflows/schedules.yaml`): the weekly spot-check, the monthly bulletin and
//! the annual assessment.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Text;

/// The periodic jobs of a centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen periodic schedules")]
pub struct SchedulesFile {
    /// The jobs, keyed by id.
    pub jobs: IndexMap<String, Job>,
}

/// A periodic job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Display name.
    pub name: Text,
    /// What it does.
    pub kind: JobKind,
    /// When it runs: a cron expression with seconds, `sec min hour day-of-month month
    /// day-of-week [year]`, in the centre's time zone. Day-of-week counts 1 = Sunday to
    /// 7 = Saturday (or use MON…SUN); `yimen validate` prints the next runs to check.
    pub cron: String,
    /// Move a run that falls on a rest day to the next working day (so "the 1st of the month"
    /// becomes "the first working day of the month").
    #[serde(default)]
    pub on_working_day: bool,
    /// Templates for the emailed output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Email distribution list (roles, resolved against the organisation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribute_to: Vec<String>,
    /// For a bulletin: when a department is named for criticism (通报批评).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticise: Option<Criticise>,
}

/// The rules that name a department for criticism in a bulletin; any rule that holds names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Criticise {
    /// An on-time rate below this, e.g. `"90%"`, among the cases it closed in the period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\s*\d{1,3}(\.\d+)?\s*%\s*$"))]
    pub on_time_below: Option<String>,
    /// Any supervision record opened in the period at this level or above (3: a
    /// discipline-commission accountability case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub escalation_level: Option<u8>,
}

/// What a periodic job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// The weekly spot-check (抽查).
    SpotCheck,
    /// The monthly bulletin (通报).
    Bulletin,
    /// The annual assessment (考核).
    Assessment,
}
