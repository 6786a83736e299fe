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
    /// How a citizen's verdict on the answer is counted in the satisfaction rate of bulletins
    /// and assessments; without it no case counts as rated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Satisfaction>,
}

/// Which field holds the citizen's verdict (满意度) and which of its values count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Satisfaction {
    /// The `enum` field holding the verdict, in the case types that record one.
    pub field: String,
    /// Values that count as satisfied (e.g. satisfied and basically satisfied).
    pub satisfied: Vec<String>,
    /// Values that count as rated but not satisfied; any other value (unreachable, say) is not
    /// a rating.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsatisfied: Vec<String>,
}

impl Satisfaction {
    /// Whether `value` is a rating, and whether it is a satisfied one.
    pub fn judge(&self, value: &str) -> (bool, bool) {
        let satisfied = self.satisfied.iter().any(|v| v == value);
        (satisfied || self.unsatisfied.iter().any(|v| v == value), satisfied)
    }
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
    /// For a spot-check: how many closed cases to draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// For a spot-check: the case type each sampled case's review is opened as, and the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// For an assessment: the score's items, deductions and veto.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring: Option<Scoring>,
}

/// How many cases a spot-check draws from those each department closed in the week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The share of each department's and case type's closed cases, e.g. `"5%"`, rounded up.
    #[schemars(regex(pattern = r"^\s*\d{1,3}(\.\d+)?\s*%\s*$"))]
    pub rate: String,
    /// At least this many per department (or all it closed, when fewer).
    #[serde(default)]
    pub minimum: u32,
}

/// How a sampled case is reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The case type of the review (its boolean fields are the checklist).
    pub case_type: String,
    /// The intake channel reviews are filed through.
    pub channel: String,
}

/// The annual score of a department: the weighted items (each a rate between 0 and 1, times
/// its weight), minus the deductions; a veto removes eligibility for awards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// The items, by metric: `on_time_rate`, `satisfaction_rate`, `spot_check_pass_rate`,
    /// `zero_trip_rate`, `one_trip_or_better_rate`; weights are points.
    pub items: IndexMap<Metric, f64>,
    /// Points deducted per supervision record at each level (keys 1–3).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub deductions: IndexMap<u8, f64>,
    /// Any supervision record at this level or above in the year removes the department from
    /// award eligibility (一票否决).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub veto_level: Option<u8>,
    /// The lowest score still rated as passing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_score: Option<f64>,
}

/// A rate an assessment can weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Closed within the time limit, among closed.
    OnTimeRate,
    /// Satisfied or basically satisfied, among rated.
    SatisfactionRate,
    /// Spot-check reviews passed, among those decided.
    SpotCheckPassRate,
    /// Closed without a visit, among closed.
    ZeroTripRate,
    /// Closed with at most one visit, among closed.
    OneTripOrBetterRate,
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

impl JobKind {
    /// Its word in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::SpotCheck => "spot_check",
            JobKind::Bulletin => "bulletin",
            JobKind::Assessment => "assessment",
        }
    }
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
