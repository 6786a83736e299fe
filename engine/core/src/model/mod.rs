//! The workflow language as typed Rust: one module per file kind.
//!
//! These types are the single source of truth for the format: the JSON Schema that editors use
//! (`yimen schema`), the structural check that gives every error a line and column
//! ([`crate::schema`]) and the compiled definitions are all derived from them. Doc comments here
//! become the schema's descriptions, so they are written for workflow authors.

pub mod calendar;
pub mod case_type;
pub mod ladder;
pub mod organisation;
pub mod scenario;
pub mod schedule;
pub mod template;

pub use calendar::CalendarFile;
pub use case_type::CaseTypeFile;
pub use ladder::LadderFile;
pub use organisation::OrganisationFile;
pub use scenario::ScenarioFile;
pub use schedule::SchedulesFile;
pub use template::TemplateHeader;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A name or text in the centre's languages: either a plain string (taken as zh-CN) or a
/// mapping with `zh-CN` and, optionally, `en`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    /// Chinese only.
    Plain(String),
    /// Chinese and English.
    Localised(LocalisedText),
}

/// A text in zh-CN (required) and en (optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalisedText {
    /// The Chinese text, shown by default.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// The English text; the Chinese is shown where it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in `locale` (`zh-CN` or `en`), falling back to Chinese.
    pub fn get(&self, locale: &str) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Localised(t) => match (locale, &t.en) {
                ("en", Some(en)) => en,
                _ => &t.zh_cn,
            },
        }
    }
}

/// One value or a list of values; `from: registered` and `from: [registered, accepted]` both work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// Several values.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

/// The three tiers of the centre, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The district centre (区级中心).
    District,
    /// A town or street command room (镇街).
    Town,
    /// A community or village grid (村社网格).
    Community,
}

impl Tier {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::District => "district",
            Tier::Town => "town",
            Tier::Community => "community",
        }
    }
}

/// Who may do something: any listed role, restricted to the listed departments and tiers
/// where those are given. An empty list means no restriction on that axis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Who {
    /// Roles from the organisation; at least one is required.
    pub roles: Vec<String>,
    /// Departments the actor must belong to; `handling` means the case's handling department.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<String>,
    /// Tiers the actor must work at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
}

/// Whom a message goes to: a role (resolved against the organisation relative to the case),
/// or the citizen who filed the case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// A role from the organisation, e.g. `department_head`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Where the role is looked up: the case's handling department (default), the case's unit,
    /// or the whole district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<RecipientScope>,
    /// True to send to the citizen who filed the case (their phone field).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub citizen: bool,
    /// A user of the organisation, by id (the engine names people this way when it warns the
    /// heads of a department about a task that reaches nobody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Where a recipient role is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecipientScope {
    /// Holders of the role in the department handling the case.
    HandlingDepartment,
    /// Holders of the role in the unit (town, community) where the case sits.
    HandlingUnit,
    /// Holders of the role anywhere in the district.
    District,
}

/// A delivery channel for notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email through SMTP.
    Email,
    /// SMS through the gateway.
    Sms,
}
