//! The organisation (`workflows/organisation.yaml`): the centre, its units and tiers, its
//! departments, roles, intake channels and (demo) users.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Channel, Text, Tier};

/// The organisation of one centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen organisation")]
pub struct OrganisationFile {
    /// The centre itself.
    pub centre: Centre,
    /// The names of the three tiers as reports print them (e.g. 区级, 镇（街道）级, 村（社区）级);
    /// a tier without a name is printed by its word in the files.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tiers: IndexMap<Tier, Text>,
    /// Units: the district, its towns and streets, their communities and grids.
    pub units: IndexMap<String, Unit>,
    /// Departments (resident departments, the supervision office, the discipline commission).
    pub departments: IndexMap<String, Department>,
    /// Roles staff hold.
    pub roles: IndexMap<String, Role>,
    /// Intake channels: windows, hotlines, the portal, grid reports, merged platforms.
    pub channels: IndexMap<String, IntakeChannel>,
    /// The matter catalogue (事项清单): what a citizen may bring to the comprehensive window, each
    /// matter routed to the case type that handles it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub matters: IndexMap<String, Matter>,
    /// Users known from the start (demo users; real accounts live in the database).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub users: IndexMap<String, User>,
}

impl OrganisationFile {
    /// The name of `tier` in `locale`.
    pub fn tier_name(&self, tier: Tier, locale: &str) -> String {
        self.tiers
            .get(&tier)
            .map_or_else(|| tier.as_str().to_owned(), |t| t.get(locale).to_owned())
    }

    /// The name of department `id` in `locale` (its id when it is not in the file).
    pub fn department_name(&self, id: &str, locale: &str) -> String {
        self.departments
            .get(id)
            .map_or_else(|| id.to_owned(), |d| d.name.get(locale).to_owned())
    }
}

/// A matter of the catalogue and the case type it is routed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Matter {
    /// Its name as clerks and citizens say it.
    pub name: Text,
    /// The case type that handles it.
    pub case_type: String,
}

/// The centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Centre {
    /// Its name.
    pub name: Text,
    /// The calendar used where a case type names none.
    pub calendar: String,
    /// The default language of pages and messages.
    #[serde(default = "default_locale")]
    pub locale: String,
    /// The case type the comprehensive window files when a clerk has not chosen one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_case_type: Option<String>,
}

fn default_locale() -> String {
    "zh-CN".into()
}

/// A unit: the district, a town or street, a community or village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Its name.
    pub name: Text,
    /// Its tier.
    pub tier: Tier,
    /// The unit above it; only the district has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Its name.
    pub name: Text,
    /// What part it plays.
    #[serde(default = "default_department_kind")]
    pub kind: DepartmentKind,
    /// The unit it sits in (usually the district).
    pub unit: String,
    /// Email address of the department's shared mailbox, for bulletins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

fn default_department_kind() -> DepartmentKind {
    DepartmentKind::Resident
}

/// What part a department plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// Handles cases; checked by spot-checks, bulletins and assessments.
    Resident,
    /// Supervises (督考办).
    Supervision,
    /// Holds to account (纪委).
    Discipline,
}

/// A role staff can hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Its name.
    pub name: Text,
    /// For supervisors: the supervision level they answer for (1 centre, 2 supervision office,
    /// 3 discipline commission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3))]
    pub supervision_level: Option<u8>,
    /// Whether holders may see personal data (phone and ID numbers) unmasked.
    #[serde(default)]
    pub sees_personal_data: bool,
    /// Whether holders manage workflows and users.
    #[serde(default)]
    pub admin: bool,
    /// Whether holders head their department: they see every case of the department in every
    /// unit, its supervision records and the reports.
    #[serde(default)]
    pub heads_department: bool,
}

/// An intake channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeChannel {
    /// Its name.
    pub name: Text,
    /// What kind of channel it is.
    pub kind: ChannelKind,
    /// True for the comprehensive window, which takes any case type, so nothing is turned away.
    #[serde(default)]
    pub takes_any: bool,
    /// The case type a case from this channel is filed as when the request names none (a
    /// platform that carries one kind of request, such as 12315 market-supervision complaints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_type: Option<String>,
}

/// Kinds of intake channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A window in the centre's hall.
    Window,
    /// A telephone hotline.
    Hotline,
    /// The online portal or app.
    Portal,
    /// A grid worker's report.
    Grid,
    /// A merged platform (12345, 12348, 12368, 12315, …).
    Platform,
    /// Opened by the centre itself (spot-check reviews).
    Internal,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Display name.
    pub name: String,
    /// Roles held.
    pub roles: Vec<String>,
    /// The user's department, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// The unit the user works in.
    pub unit: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// What the user is expert in (for mediators and panel experts: `medical`, `maritime`, …);
    /// tasks assigned by `specialism` go to the least-loaded holder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specialisms: Vec<String>,
    /// Preferred channels for notifications, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
}
