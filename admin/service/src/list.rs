//! Case lists: who sees which cases ([`scope_of`], the rule of [`crate::access::may_see`] as a
//! query), a list's filters read from a request's parameters ([`parse`], every problem at once),
//! and the list itself ([`list`]), where a search by phone, ID number or name is refused to
//! roles that do not see personal data and recorded in the audit log for those that do.

use chrono::{NaiveDate, TimeZone, Utc};
use yimen_engine::core::{Actor, Organisation};
use yimen_engine::store::search::{CasePage, CaseQuery, Cursor, Scope};

use crate::access;
use crate::error::{Error, Kind};
use crate::state::AppState;

/// The parameters a list takes (any other is refused).
pub const PARAMS: &[&str] = &[
    "q",
    "person",
    "citizen_of",
    "person_ref",
    "number",
    "state",
    "status",
    "case_type",
    "department",
    "unit",
    "tier",
    "channel",
    "opened_from",
    "opened_to",
    "closed_from",
    "closed_to",
    "overdue",
    "supervision_level",
    "repeats",
    "sort",
    "cursor",
    "limit",
    "format",
];

/// The longest search text.
pub const MAX_TEXT: usize = 200;

/// What a list is answered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A page of JSON (or of HTML, for the pages).
    Page,
    /// Every matching case as CSV (UTF-8 with BOM).
    Csv,
    /// Every matching case as an Excel workbook.
    Xlsx,
}

/// One parameter's problem: which, and what is wrong in a word the pages translate
/// (`list.problem.<code>`); [`Problem::sentence`] says it in English for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The parameter.
    pub param: String,
    /// `unknown_param`, `not_a_date`, `not_a_number`, `out_of_range`, `unknown_value`,
    /// `too_long`, `bad_cursor`, `repeated`.
    pub code: &'static str,
}

impl Problem {
    /// The problem in an English sentence.
    pub fn sentence(&self) -> String {
        let p = &self.param;
        match self.code {
            "unknown_param" => format!("`{p}` is not a filter of case lists"),
            "not_a_date" => format!("`{p}` is a date (YYYY-MM-DD) or a date-time with an offset"),
            "not_a_number" => format!("`{p}` is a whole number"),
            "out_of_range" => format!("`{p}` is out of range"),
            "unknown_value" => format!("`{p}` names nothing the centre has"),
            "too_long" => format!("`{p}` is at most {MAX_TEXT} characters"),
            "bad_cursor" => format!("`{p}` is not a position this list gave"),
            "repeated" => format!("`{p}` is given more than once"),
            _ => format!("`{p}` is not valid"),
        }
    }
}

/// A list request, read.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The filters.
    pub query: CaseQuery,
    /// The answer's form.
    pub format: Format,
}

/// The cases `actor` may see, as a list's scope.
pub fn scope_of(org: &Organisation, actor: &Actor) -> Scope {
    let level = org.supervision_level(&actor.roles);
    if org.is_admin(&actor.roles) || level == 1 {
        return Scope {
            all: true,
            ..Scope::default()
        };
    }
    let units = actor.unit.as_deref().map(|mine| {
        org.file
            .units
            .keys()
            .filter(|u| org.unit_within(u, mine))
            .cloned()
            .collect::<Vec<_>>()
    });
    Scope {
        all: false,
        supervision_level: (level > 1).then_some(i64::from(level)),
        user: actor.id.to_string(),
        department: actor.department.clone(),
        head: org.heads_department(&actor.roles),
        unitless: actor.unit.as_deref().is_none_or(|mine| mine == org.district()),
        unstaffed: org.dispatches(&actor.roles),
        units,
    }
}

/// Reads a list's parameters (as sent, in order); every problem at once.
pub fn parse(s: &AppState, pairs: &[(String, String)]) -> Result<ListRequest, Vec<Problem>> {
    let known = Known {
        org: s.engine.org(),
        defs: s.engine.definitions(),
        tz: s.centre_tz(),
    };
    let mut problems = Vec::new();
    let mut q = CaseQuery {
        limit: 50,
        ..CaseQuery::default()
    };
    let mut format = Format::Page;
    let mut seen = std::collections::BTreeSet::new();
    let problem = |problems: &mut Vec<Problem>, param: &str, code: &'static str| {
        problems.push(Problem {
            param: param.to_owned(),
            code,
        });
    };
    for (name, raw) in pairs {
        let v = raw.trim();
        if !PARAMS.contains(&name.as_str()) {
            problem(&mut problems, name, "unknown_param");
            continue;
        }
        if !seen.insert(name.clone()) {
            problem(&mut problems, name, "repeated");
            continue;
        }
        if v.is_empty() {
            // An empty text is no filter; an empty choice or number is not one of its values.
            match name.as_str() {
                "status" | "tier" | "overdue" | "sort" | "format" => problem(&mut problems, name, "unknown_value"),
                "supervision_level" | "repeats" | "limit" => problem(&mut problems, name, "not_a_number"),
                _ => {}
            }
            continue;
        }
        if v.chars().count() > MAX_TEXT {
            problem(&mut problems, name, "too_long");
            continue;
        }
        if let Err(code) = known.apply(&mut q, &mut format, name, v) {
            problem(&mut problems, name, code);
        }
    }
    if let (Some(a), Some(b)) = (q.opened_from, q.opened_to)
        && a >= b
    {
        problem(&mut problems, "opened_to", "out_of_range");
    }
    if let (Some(a), Some(b)) = (q.closed_from, q.closed_to)
        && a >= b
    {
        problem(&mut problems, "closed_to", "out_of_range");
    }
    if problems.is_empty() {
        Ok(ListRequest { query: q, format })
    } else {
        Err(problems)
    }
}

/// What a list's parameters are checked against: the organisation, the deployed case types and
/// the centre's time zone.
struct Known<'a> {
    org: &'a Organisation,
    defs: std::sync::Arc<yimen_engine::runtime::Definitions>,
    tz: chrono_tz::Tz,
}

impl Known<'_> {
    /// A day (`2026-11-03`, the start of the day in the centre's zone, or of the next day for an
    /// end) or an RFC 3339 instant, as UTC ms.
    fn day(&self, v: &str, end: bool) -> Option<i64> {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
            return Some(t.with_timezone(&Utc).timestamp_millis());
        }
        let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
        let d = if end { d.succ_opt()? } else { d };
        let start = self.tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).earliest()?;
        Some(start.with_timezone(&Utc).timestamp_millis())
    }

    /// Takes one parameter `name` with its non-empty value `v` into `q` (or `format`); the
    /// problem's code when the value is not one it takes.
    fn apply(&self, q: &mut CaseQuery, format: &mut Format, name: &str, v: &str) -> Result<(), &'static str> {
        let list = || {
            v.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let (org, defs) = (self.org, &self.defs);
        match name {
            "q" => q.text = Some(v.to_owned()),
            "person" => q.person = Some(v.to_owned()),
            "person_ref" => {
                if v.len() != yimen_engine::store::search::PERSON_REF_LEN || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("unknown_value");
                }
                q.person_ref = Some(v.to_ascii_lowercase());
            }
            "citizen_of" => q.citizen_of = Some(yimen_engine::store::numbers::as_case_id(v).ok_or("unknown_value")?),
            "number" => q.number = Some(v.to_owned()),
            "state" => {
                let states = list();
                let known = |st: &String| defs.all_current().iter().any(|d| d.def.states.contains_key(st));
                if !states.iter().all(known) {
                    return Err("unknown_value");
                }
                q.states = states;
            }
            "status" if matches!(v, "open" | "closed") => q.status = Some(v.to_owned()),
            "case_type" => {
                let types = list();
                if !types.iter().all(|t| defs.current(t).is_some()) {
                    return Err("unknown_value");
                }
                q.case_types = types;
            }
            "department" if org.file.departments.contains_key(v) => q.department = Some(v.to_owned()),
            "unit" if org.file.units.contains_key(v) => q.unit = Some(v.to_owned()),
            "tier" if matches!(v, "district" | "town" | "community") => q.tier = Some(v.to_owned()),
            "channel" if org.file.channels.contains_key(v) => q.channel = Some(v.to_owned()),
            "opened_from" | "opened_to" | "closed_from" | "closed_to" => {
                let ms = self.day(v, name.ends_with("_to")).ok_or("not_a_date")?;
                match name {
                    "opened_from" => q.opened_from = Some(ms),
                    "opened_to" => q.opened_to = Some(ms),
                    "closed_from" => q.closed_from = Some(ms),
                    _ => q.closed_to = Some(ms),
                }
            }
            "overdue" => match v {
                "true" | "1" => q.overdue = Some(true),
                "false" | "0" => q.overdue = Some(false),
                _ => return Err("unknown_value"),
            },
            "supervision_level" | "repeats" | "limit" => {
                let n = v.parse::<i64>().map_err(|_| "not_a_number")?;
                let (lo, hi) = match name {
                    "supervision_level" => (1, 3),
                    "repeats" => (1, 1000),
                    _ => (1, 200),
                };
                if !(lo..=hi).contains(&n) {
                    return Err("out_of_range");
                }
                match name {
                    "supervision_level" => q.supervision_level = Some(n),
                    "repeats" => q.repeats_at_least = Some(n),
                    _ => q.limit = n,
                }
            }
            "sort" => match v {
                "newest" => q.oldest_first = false,
                "oldest" => q.oldest_first = true,
                _ => return Err("unknown_value"),
            },
            "cursor" => q.after = Some(Cursor::decode(v).ok_or("bad_cursor")?),
            "format" => match v {
                "json" | "html" => *format = Format::Page,
                "csv" => *format = Format::Csv,
                "xlsx" => *format = Format::Xlsx,
                _ => return Err("unknown_value"),
            },
            "status" | "department" | "unit" | "tier" | "channel" => return Err("unknown_value"),
            _ => {}
        }
        Ok(())
    }
}

/// A person search from a form (posted, so the phone or ID number is never in a link): the
/// reference the list's links carry instead, after refusing a role that does not see personal
/// data and recording the search in the audit log.
pub async fn person_ref(s: &AppState, actor: &Actor, term: &str) -> Result<String, Error> {
    let term = term.trim();
    if term.is_empty() || term.chars().count() > MAX_TEXT {
        return Err(Error::new(
            Kind::Invalid,
            "bad_person",
            "give a whole phone number, ID number or name",
        ));
    }
    let q = CaseQuery {
        person: Some(term.to_owned()),
        ..CaseQuery::default()
    };
    check_person(s, actor, &q).await?;
    Ok(s.engine.store().person_ref(term))
}

/// The problems as one refusal, for the API.
pub fn refusal(problems: &[Problem]) -> Error {
    let detail = problems.iter().map(Problem::sentence).collect::<Vec<_>>().join("; ");
    Error::new(Kind::Invalid, "bad_query", detail)
}

/// One page of the cases `actor` may see that match `q`. A search for a person is refused to a
/// role that does not see personal data, and written to the audit log (by kind, never the
/// value) before it runs.
pub async fn list(s: &AppState, actor: &Actor, q: &CaseQuery) -> Result<CasePage, Error> {
    check_person(s, actor, q).await?;
    next_page(s, actor, q).await
}

/// The next page of a list whose first page [`list`] answered (nothing more is recorded).
pub async fn next_page(s: &AppState, actor: &Actor, q: &CaseQuery) -> Result<CasePage, Error> {
    Ok(s.engine.store().list_cases(&scope_of(s.engine.org(), actor), q).await?)
}

fn no_personal_data() -> Error {
    Error::new(
        Kind::Forbidden,
        "no_personal_data",
        "your role does not see personal data, so it cannot search by phone, ID number or name",
    )
}

/// Refuses a person search to a role that does not see personal data; records it otherwise. A
/// citizen's history needs the case it starts from to be one the reader may see.
async fn check_person(s: &AppState, actor: &Actor, q: &CaseQuery) -> Result<(), Error> {
    let org = s.engine.org();
    if let Some(of) = &q.citizen_of {
        if !access::sees_personal_data(org, actor) {
            return Err(no_personal_data());
        }
        let case = crate::cases::visible(s, actor, of).await?;
        let now = s.engine.now().timestamp_millis();
        s.engine
            .store()
            .audit(
                now,
                &actor.id,
                "citizen_history_read",
                &case.id,
                "every case of the citizen of this case",
            )
            .await?;
    }
    if q.person_ref.is_some() && !access::sees_personal_data(org, actor) {
        return Err(no_personal_data());
    }
    if let Some(person) = q.person.as_deref().filter(|p| !p.trim().is_empty()) {
        if !access::sees_personal_data(org, actor) {
            return Err(no_personal_data());
        }
        let (kind, _) = yimen_engine::store::sealed::person_term(person);
        let now = s.engine.now().timestamp_millis();
        s.engine
            .store()
            .audit(
                now,
                &actor.id,
                "person_searched",
                kind,
                "a case list searched by a person",
            )
            .await?;
    }
    Ok(())
}
