//! Supervision ladders (`workflows/ladders/*.yaml`): the rungs a late case climbs.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Channel, Recipient, Text};

/// A supervision ladder (三级督办).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen supervision ladder")]
pub struct LadderFile {
    /// Stable identifier.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,62}$"))]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// The rungs, from the lowest.
    pub rungs: IndexMap<String, Rung>,
}

/// One rung: when it fires, whom it tells, what record it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// The supervision level, 1 (centre) to 3 (discipline commission).
    #[schemars(range(min = 1, max = 3))]
    pub level: u8,
    /// Display name, e.g. 中心专项督办.
    pub name: Text,
    /// What makes it fire.
    pub trigger: Trigger,
    /// Whom it tells.
    pub recipients: Vec<Recipient>,
    /// The channels used.
    pub channels: Vec<Channel>,
    /// The message template.
    pub template: String,
    /// Whether firing this rung also raises the case a tier (community → town → district).
    #[serde(default)]
    pub raises_tier: bool,
    /// How long the handling department has to answer the supervision record (督办单).
    #[schemars(regex(pattern = r"^\s*\d+\s*(working\s+)?(minutes?|hours?|days?|weeks?|months?)\s*$"))]
    pub answer_within: String,
}

/// What makes a rung fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// The SLA's breach.
    Breach,
    /// A time after the previous rung fired, without a satisfactory answer.
    AfterPrevious(String),
    /// Only a supervisor's decision.
    Manual,
}
