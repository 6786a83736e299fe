//! Case types (`workflows/cases/*.yaml`): one file per kind of dispute or request.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{OneOrMany, Recipient, Text, Tier, Who};

/// A case type: the fields a clerk records, the states a case moves through, the actions that
/// move it, the tasks staff see in their inboxes, its timers and its SLA clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen case type")]
pub struct CaseTypeFile {
    /// Stable identifier, lower snake case; cases refer to it for ever.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,62}$"))]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// What this case type covers, for clerks choosing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// The procedure: `ordinary` items are dispatched (分流派办), `professional` items are handed
    /// over to the responsible department (归口移交), `major` items are submitted for
    /// supervision (提交督办).
    pub kind: Kind,
    /// The department responsible for this case type (from the organisation).
    pub department: String,
    /// A field whose value, at opening, names the handling department instead (a review of
    /// another department's case is handled by that department).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_from: Option<String>,
    /// The tier where a new case of this type is handled first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Intake channels (windows, hotlines, platforms) that file this case type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// The working-day calendar; defaults to the centre's calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// The fields of a case, in the order the intake form shows them.
    pub fields: IndexMap<String, Field>,
    /// Which fields identify the citizen who brought the case (for receipts, follow-up calls
    /// and spotting a repeated complaint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<Citizen>,
    /// When a new case is a repeated complaint: the same citizen (by ID number, else phone) with
    /// the same values of `match` within `within` of an open case is linked to that case, not
    /// opened again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<Repeats>,
    /// How long its personal data is kept after closing (kept until deleted by hand when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// What happens when a case is opened (for example the citizen's SMS receipt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_open: Vec<Effect>,
    /// The states a case can be in.
    pub states: IndexMap<String, State>,
    /// The actions that move a case from state to state.
    pub actions: IndexMap<String, Action>,
    /// Work items staff see in their inboxes while a case is in certain states.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tasks: IndexMap<String, Task>,
    /// Timers that run while a case is in certain states and take an action when they expire.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub timers: IndexMap<String, Timer>,
    /// The service-level clock: the budget a case has to be closed in, and what happens when it
    /// runs late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
}

/// The fields that identify the citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Citizen {
    /// A `person` field with the citizen's name.
    pub name: String,
    /// A `phone` field with the citizen's number; messages to `citizen: true` go there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// An `id_number` field with the citizen's identity card number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
}

/// How long a case's personal data is kept after it closes, and the rule that says so (PIPL
/// art. 19: no longer than its purpose needs, unless a law or regulation sets a period; art. 47:
/// deleted after). When it has passed, the case's data key is destroyed: its personal data is
/// gone for good, while its history and every figure of past reports stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Whole years after closing (1 to 100).
    pub years: u32,
    /// The rule, as people read it on a case whose data was deleted (e.g. the archives rule).
    pub rule: Text,
}

/// How a repeated complaint is recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Repeats {
    /// How long after an open case was filed a new complaint counts as a repeat, e.g. `30 days`.
    #[schemars(regex(pattern = r"^\s*\d+\s*(working\s+)?(minutes?|hours?|days?|weeks?|months?)\s*$"))]
    pub within: String,
    /// The fields that must be equal besides the citizen (the subject, e.g. `[category, employer]`).
    #[serde(rename = "match", default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// The three kinds of item and their procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Dispatched to whoever must act (分流派办).
    Ordinary,
    /// Handed over to the responsible department (归口移交).
    Professional,
    /// Submitted for supervision at once (提交督办).
    Major,
}

/// A field of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The field's type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// The label on forms.
    pub label: Text,
    /// Help text shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Whether the intake form requires it.
    #[serde(default)]
    pub required: bool,
    /// Whether it holds personal data that is masked for roles that need not see it. Defaults to
    /// true for `person`, `phone` and `id_number` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<bool>,
    /// For `enum` fields: the allowed values and their labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<IndexMap<String, Text>>,
    /// For `integer` and `money` fields: the smallest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// For `integer` and `money` fields: the largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// For `text` fields: the longest text allowed, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_length: Option<u32>,
    /// For `attachment` fields: the kinds of file accepted, as media types (`image/jpeg`,
    /// `application/pdf`) or a family (`image/*`); every kind the engine recognises when omitted.
    /// A file's kind is read from its content, never from its name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<String>,
    /// For `attachment` fields: the largest file, e.g. `10 MB` or `500 KB` (10 MB when omitted,
    /// at most 50 MB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\s*\d+\s*(KB|MB)\s*$"))]
    pub max_size: Option<String>,
    /// For `attachment` fields: how many files the field holds (9 when omitted, at most 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 50))]
    pub max_files: Option<u32>,
    /// For `text` fields that hold an id of the organisation or the workflows (a case type, a
    /// department): what the id names, so the pages show its name instead of the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Names>,
}

/// What a text field's value is the id of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Names {
    /// A case type of the workflows.
    CaseType,
    /// A department of the organisation.
    Department,
}

impl Field {
    /// For an `attachment` field: the largest file it takes, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_size
            .as_deref()
            .and_then(crate::attachment::parse_size)
            .unwrap_or(crate::attachment::DEFAULT_MAX_BYTES)
    }

    /// For an `attachment` field: how many files it holds.
    pub fn file_limit(&self) -> usize {
        self.max_files
            .map_or(crate::attachment::DEFAULT_MAX_FILES, |n| n as usize)
    }

    /// For an `attachment` field: whether it takes a file of this (sniffed) media type.
    pub fn accepts(&self, media_type: &str) -> bool {
        self.accept.is_empty() || self.accept.iter().any(|a| crate::attachment::matches(a, media_type))
    }
}

/// Field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A person's name.
    Person,
    /// A mainland phone number (mobile or fixed line).
    Phone,
    /// A Chinese resident identity card number (18 characters, checksum verified).
    IdNumber,
    /// An amount of money in yuan, to the fen.
    Money,
    /// A whole number.
    Integer,
    /// A calendar date (YYYY-MM-DD).
    Date,
    /// One of the values listed in `values`.
    Enum,
    /// Yes or no.
    Boolean,
    /// A reference to an uploaded attachment.
    Attachment,
}

impl FieldType {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Person => "person",
            FieldType::Phone => "phone",
            FieldType::IdNumber => "id_number",
            FieldType::Money => "money",
            FieldType::Integer => "integer",
            FieldType::Date => "date",
            FieldType::Enum => "enum",
            FieldType::Boolean => "boolean",
            FieldType::Attachment => "attachment",
        }
    }
}

/// A state of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Display name.
    pub name: Text,
    /// True for the one state a new case starts in.
    #[serde(default)]
    pub initial: bool,
    /// For a terminal state: how the case ended. A terminal state has no outgoing actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<Outcome>,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Settled or answered.
    Resolved,
    /// Handled, but the dispute was not settled (for example mediation failed).
    Unresolved,
    /// Not accepted (outside the centre's remit, or not admissible).
    Rejected,
    /// Withdrawn by the citizen.
    Withdrawn,
    /// Passed to another body outside the centre (a court, an arbitration commission).
    Transferred,
    /// Merged into another case (a repeated complaint).
    Merged,
}

/// An action: who may take it, from which states, to which state, under what condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Display name (the button's label).
    pub name: Text,
    /// The states the action can be taken in.
    pub from: OneOrMany<String>,
    /// The state the case moves to.
    pub to: String,
    /// Who may take it; omit for actions only timers and the engine take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Who>,
    /// A condition over the case's fields that must hold, e.g. `amount < 50000 && has(employer)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    /// Why the action cannot be taken while its guard is false, in each language: shown beside
    /// the action (offered but disabled) and as its refusal, never the guard's expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard_reason: Option<Text>,
    /// Hide the action (rather than show it disabled) while its guard is false on the case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub guard_hides: bool,
    /// Fields that must be filled (by the case or by this action's form) before it is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Whether the actor must write a comment (a reason), e.g. for a rejection.
    #[serde(default)]
    pub comment_required: bool,
    /// What else happens when the action is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

/// A side effect of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// Send a message.
    Notify(Notify),
    /// Raise the case one tier (community → town → district).
    RaiseTier,
    /// Hand the case to another department.
    Assign(Assign),
    /// Open a supervision record (督办单) at a level of the case's ladder at once.
    Supervise(Supervise),
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// The template (from `workflows/templates/`).
    pub template: String,
    /// Whom to send it to.
    pub to: Vec<Recipient>,
    /// Channels to use; each recipient's preference decides when omitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<super::Channel>,
}

/// Where work goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    /// A department; omit to keep the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// As an action's effect: the department named by this case field's value (an enum field
    /// whose values are department ids), so the clerk chooses where the case goes (分流派办,
    /// 归口移交). A value that is not a department is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_from: Option<String>,
    /// A role within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A tier; omit to keep the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// For a task: give it at once to the least-loaded holder of the role (fewest active tasks
    /// in their inbox) who has this specialism, instead of leaving it to be claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialism: Option<String>,
    /// Like `specialism`, but the specialism is the value of this case field (an enum field
    /// whose values are specialisms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialism_from: Option<String>,
    /// For a task: give it at once to the least-loaded holder of the role, whatever their
    /// specialism.
    #[serde(default)]
    pub least_loaded: bool,
}

/// Opening a supervision record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Supervise {
    /// The rung of the case's ladder to open.
    pub rung: String,
}

/// A task in staff inboxes, open while the case is in one of `open_in`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// Display name.
    pub name: Text,
    /// The states during which the task is open.
    pub open_in: OneOrMany<String>,
    /// Whose inbox it goes to.
    pub assign: Assign,
    /// The actions that complete it; by default every action allowed in `open_in`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

/// A timer: started when the case enters one of `running_in`, cancelled when it leaves them,
/// and when it expires the engine takes `action` (or only sends `notify`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    /// The states during which it runs.
    pub running_in: OneOrMany<String>,
    /// How long, e.g. `5 days` (calendar days, as statutes count), `3 working days`, `4 working hours`.
    #[schemars(regex(pattern = r"^\s*\d+\s*(working\s+)?(minutes?|hours?|days?|weeks?|months?)\s*$"))]
    pub after: String,
    /// The action the engine takes when the timer expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// A message to send when the timer expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<Notify>,
    /// Where the legal time limit comes from (law, article, notice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The SLA clock of a case type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// The budget, e.g. `3 working days` (the centre's default) or `45 days` for a statutory limit.
    #[schemars(regex(pattern = r"^\s*\d+\s*(working\s+)?(minutes?|hours?|days?|weeks?|months?)\s*$"))]
    pub budget: String,
    /// The state whose entry starts the clock; defaults to the initial state (the case's opening).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_in: Option<String>,
    /// States in which the clock is paused (time the law does not count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paused_in: Vec<String>,
    /// States whose entry stops the clock for good although the case goes on (the time limit
    /// covers only a first part of the procedure, such as deciding on acceptance). A terminal
    /// state always stops it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stops_in: Vec<String>,
    /// Warnings before the breach, as fractions of the budget: `"2/3"` or `"75%"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warn_at: Vec<String>,
    /// Extensions a case may be granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Extensions>,
    /// A message sent at each warning point (a case about to breach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_notify: Option<Notify>,
    /// The supervision ladder a late case climbs (from `workflows/ladders/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<String>,
    /// Where the time limit comes from (law, article, local rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// How far an SLA may be extended, and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
    /// How many extensions a case may be granted.
    #[schemars(range(min = 1, max = 10))]
    pub max: u32,
    /// How much each extension adds, e.g. `15 days`.
    #[schemars(regex(pattern = r"^\s*\d+\s*(working\s+)?(minutes?|hours?|days?|weeks?|months?)\s*$"))]
    pub by: String,
    /// Roles that may approve an extension.
    pub approvers: Vec<String>,
}

impl Field {
    /// Whether it holds personal data: as declared (`pii`), or by default a person, phone or ID
    /// number.
    pub fn is_personal(&self) -> bool {
        self.pii.unwrap_or(matches!(
            self.ty,
            FieldType::Person | FieldType::Phone | FieldType::IdNumber
        ))
    }
}
