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

    /// How cases are numbered (the default pattern where the file says nothing).
    pub fn case_numbers(&self) -> std::borrow::Cow<'_, CaseNumbers> {
        self.centre.case_numbers.as_ref().map_or_else(
            || std::borrow::Cow::Owned(CaseNumbers::default()),
            std::borrow::Cow::Borrowed,
        )
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
    /// How cases are numbered (案件编号): the number every case gets when it is opened, which
    /// people read out, print on the receipt and search by. Without it cases are numbered
    /// `{year}-{seq:6}` (`2026-000123`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_numbers: Option<CaseNumbers>,
    /// How a resident follows their case, printed on the intake receipt (受理回执): where to call
    /// or go with the case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Text>,
    /// The template sent when a task reaches nobody (no user holds its role in its department
    /// and unit): to the heads of that department and the dispatching clerks, by name. Without
    /// it the warning is only in the case's history, the inboxes of those people and the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unstaffed_notify: Option<String>,
}

/// How cases are numbered: a pattern, a prefix, and case types with sequences of their own.
/// Numbers run from 1 in every year and prefix (each prefix is a sequence of its own), without
/// gaps: a number is taken only by a case that was opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseNumbers {
    /// The pattern: `{prefix}`, `{year}` (four digits, in the centre's time zone) and `{seq}` (the
    /// running number) or `{seq:N}` (zero-padded to N digits, 1 to 9), among any other text; e.g.
    /// `{prefix}〔{year}〕{seq:5}号` gives `普治〔2026〕00123号`. `{year}` and `{seq}` must
    /// appear once each.
    pub format: String,
    /// The prefix of every case type not named under `case_types`.
    #[serde(default)]
    pub prefix: String,
    /// Case types numbered in a sequence of their own: case type → its prefix. Case types with
    /// the same prefix share one sequence.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub case_types: IndexMap<String, String>,
}

impl Default for CaseNumbers {
    fn default() -> Self {
        Self {
            format: "{year}-{seq:6}".into(),
            prefix: String::new(),
            case_types: IndexMap::new(),
        }
    }
}

/// A piece of a case-number pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberPiece {
    /// Text as it stands.
    Text(String),
    /// The prefix.
    Prefix,
    /// The year.
    Year,
    /// The running number, zero-padded to this many digits (0 for none).
    Seq(usize),
}

impl CaseNumbers {
    /// The pattern's pieces, or what is wrong with it.
    pub fn pieces(&self) -> Result<Vec<NumberPiece>, String> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut rest = self.format.as_str();
        while let Some(i) = rest.find(['{', '}']) {
            text.push_str(&rest[..i]);
            if rest[i..].starts_with('}') {
                return Err("a `}` without its `{`".into());
            }
            let Some(end) = rest[i..].find('}') else {
                return Err("a `{` without its `}`".into());
            };
            let name = &rest[i + 1..i + end];
            let piece = match name {
                "prefix" => NumberPiece::Prefix,
                "year" => NumberPiece::Year,
                "seq" => NumberPiece::Seq(0),
                _ => match name.strip_prefix("seq:").map(str::parse::<usize>) {
                    Some(Ok(w)) if (1..=9).contains(&w) => NumberPiece::Seq(w),
                    Some(_) => return Err(format!("`{{{name}}}`: the width is a number from 1 to 9")),
                    None => {
                        return Err(format!(
                            "`{{{name}}}` is not a part of a number (`{{prefix}}`, `{{year}}`, `{{seq}}` or `{{seq:N}}`)"
                        ));
                    }
                },
            };
            if !text.is_empty() {
                out.push(NumberPiece::Text(std::mem::take(&mut text)));
            }
            out.push(piece);
            rest = &rest[i + end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            out.push(NumberPiece::Text(text));
        }
        let count = |f: fn(&NumberPiece) -> bool| out.iter().filter(|p| f(p)).count();
        if count(|p| matches!(p, NumberPiece::Seq(_))) != 1 {
            return Err("`{seq}` must appear exactly once".into());
        }
        if count(|p| matches!(p, NumberPiece::Year)) != 1 {
            return Err("`{year}` must appear exactly once".into());
        }
        if count(|p| matches!(p, NumberPiece::Prefix)) > 1 {
            return Err("`{prefix}` may appear only once".into());
        }
        Ok(out)
    }

    /// The prefix (and so the sequence) of cases of `case_type`.
    pub fn prefix_of(&self, case_type: &str) -> &str {
        self.case_types
            .get(case_type)
            .map_or(self.prefix.as_str(), String::as_str)
    }

    /// The number `seq` of `prefix`'s sequence in `year`. A pattern that does not parse (which
    /// validation refuses) falls back to the default one, so every case still gets a number.
    pub fn format(&self, prefix: &str, year: i32, seq: i64) -> String {
        let pieces = self
            .pieces()
            .or_else(|_| CaseNumbers::default().pieces())
            .unwrap_or_default();
        let mut out = String::new();
        for p in pieces {
            match p {
                NumberPiece::Text(t) => out.push_str(&t),
                NumberPiece::Prefix => out.push_str(prefix),
                NumberPiece::Year => out.push_str(&format!("{year:04}")),
                NumberPiece::Seq(w) => out.push_str(&format!("{seq:0w$}")),
            }
        }
        out
    }
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
    /// Whether holders dispatch the work the engine could not route (the centre's dispatching
    /// clerks, 派单员): they see every task that reaches nobody, in every department, and may
    /// give it to a person or another department.
    #[serde(default)]
    pub dispatches: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(format: &str) -> CaseNumbers {
        CaseNumbers {
            format: format.into(),
            prefix: "普治".into(),
            case_types: [("labour_dispute".to_owned(), "劳".to_owned())].into_iter().collect(),
        }
    }

    #[test]
    fn a_number_is_the_pattern_with_prefix_year_and_padded_running_number() {
        let n = numbers("{prefix}〔{year}〕{seq:5}号");
        assert_eq!(
            n.format(n.prefix_of("market_complaint"), 2026, 123),
            "普治〔2026〕00123号"
        );
        assert_eq!(n.format(n.prefix_of("labour_dispute"), 2027, 1), "劳〔2027〕00001号");
        // A running number wider than the padding is written whole.
        assert_eq!(n.format("普治", 2026, 1_234_567), "普治〔2026〕1234567号");
        assert_eq!(numbers("{year}-{seq}").format("", 2026, 7), "2026-7");
        assert_eq!(CaseNumbers::default().format("", 2026, 42), "2026-000042");
    }

    #[test]
    fn a_pattern_without_its_parts_or_with_unknown_ones_is_refused() {
        for (format, why) in [
            ("{prefix}-{seq}", "`{year}` must appear exactly once"),
            ("{year}", "`{seq}` must appear exactly once"),
            ("{year}{seq}{seq}", "`{seq}` must appear exactly once"),
            ("{year}-{seq:0}", "the width is a number from 1 to 9"),
            ("{year}-{seq:x}", "the width is a number from 1 to 9"),
            ("{year}-{seq:12}", "the width is a number from 1 to 9"),
            ("{year}-{seq}-{month}", "`{month}` is not a part of a number"),
            ("{year}-{seq", "a `{` without its `}`"),
            ("{year}}-{seq}", "a `}` without its `{`"),
            ("{prefix}{prefix}{year}{seq}", "`{prefix}` may appear only once"),
        ] {
            let err = numbers(format).pieces().expect_err(format);
            assert!(err.contains(why), "{format}: {err}");
        }
        // A refused pattern still numbers with the default one.
        assert_eq!(numbers("{seq}").format("普治", 2026, 3), "2026-000003");
    }
}
