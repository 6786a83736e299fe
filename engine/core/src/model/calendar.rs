//! Working-day calendars (`workflows/calendars/*.yaml`): rest days, office hours, public
//! holidays and make-up working days (调休) per year, each year with its official source.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Text;

/// A working-day calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Yimen working-day calendar")]
pub struct CalendarFile {
    /// Stable identifier.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]{0,62}$"))]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub timezone: String,
    /// Weekly rest days.
    pub rest_days: Vec<Weekday>,
    /// Office hours on working days, as `HH:MM-HH:MM` ranges in order. Working time accrues only
    /// inside them; omit for whole days.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub office_hours: Vec<String>,
    /// Published years, keyed by the year (e.g. `"2026"`).
    #[schemars(extend("propertyNames" = { "pattern": "^[0-9]{4}$" }))]
    pub years: IndexMap<String, Year>,
    /// What to assume for a year not yet published. Without it, a deadline that falls in such a
    /// year is an error; with it, the deadline is computed and marked provisional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional: Option<Provisional>,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

/// One published year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Year {
    /// The notice this year's dates come from (title and number).
    pub source: String,
    /// Public holidays: every day off, including weekend days inside a holiday block.
    pub holidays: Vec<Holiday>,
    /// Make-up working days (调休): weekend days that are working days this year.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub working_days: Vec<String>,
}

/// A holiday block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The holiday's name.
    pub name: String,
    /// Its days: `YYYY-MM-DD` for one day or `YYYY-MM-DD..YYYY-MM-DD` for a block (inclusive).
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$"))]
    pub dates: String,
}

/// The rule for years not yet published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provisional {
    /// Why this rule is reasonable, for the admin reading a provisional deadline.
    pub note: String,
    /// Holidays on fixed dates, as `MM-DD` or `MM-DD..MM-DD`.
    pub fixed_holidays: Vec<FixedHoliday>,
}

/// A holiday on the same dates every year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedHoliday {
    /// The holiday's name.
    pub name: String,
    /// `MM-DD` or `MM-DD..MM-DD`.
    #[schemars(regex(pattern = r"^\d{2}-\d{2}(\.\.\d{2}-\d{2})?$"))]
    pub dates: String,
}
