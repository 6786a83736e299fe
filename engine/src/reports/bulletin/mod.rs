//! The monthly bulletin (月度通报): per department, tier and case type — cases received, closed
//! and still open, the on-time rate, working time to close (average and 90th percentile),
//! zero-trip and one-trip rates, SLA warnings and breaches, escalations by level, citizen
//! satisfaction where recorded — the ranking of departments and those named for criticism.
//!
//! Everything is computed from the stored cases and their history, and nothing in the output
//! depends on when it was computed: recomputing a past month gives the same bytes.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Period, percentile};
use crate::calendar::WorkCalendar;
use crate::core::Organisation;
use chrono::{DateTime, Utc};

use crate::model::Tier;
use crate::model::organisation::DepartmentKind;
use crate::model::schedule::{Criticise, Satisfaction};
use crate::store::{Store, StoreError};

/// What the bulletin reads of a stored case (the rest of the aggregate is skipped, not built).
#[derive(Debug, serde::Deserialize)]
struct CaseFacts<'a> {
    case_type: String,
    department: String,
    tier: Tier,
    state: String,
    opened_at: DateTime<Utc>,
    #[serde(default)]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    visits: u32,
    #[serde(default)]
    sla: Option<SlaFacts>,
    #[serde(default)]
    supervision: Vec<RecordFacts>,
    /// The fields, left unparsed: only the satisfaction field is read from them.
    #[serde(default, borrow)]
    fields: Option<&'a serde_json::value::RawValue>,
}

#[derive(Debug, serde::Deserialize)]
struct SlaFacts {
    #[serde(default)]
    breached: bool,
}

#[derive(Debug, serde::Deserialize)]
struct RecordFacts {
    opened_at: DateTime<Utc>,
    level: u8,
}

/// The figures of one group (a department, a tier, a case type, or everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Figures {
    /// Opened in the period.
    pub received: u64,
    /// Closed in the period.
    pub closed: u64,
    /// Open at the end of the period.
    pub open_at_end: u64,
    /// Closed in the period without breaching their time limit.
    pub on_time: u64,
    /// On-time rate among those closed (1.0 when none closed).
    pub on_time_rate: f64,
    /// Average working days from opening to closing, among those closed.
    pub avg_working_days: f64,
    /// 90th percentile (nearest rank) of the same.
    pub p90_working_days: f64,
    /// Closed without the citizen coming in person.
    pub zero_trip: u64,
    /// Closed with exactly one visit in person.
    pub one_trip: u64,
    /// SLA warnings that fired in the period.
    pub warnings: u64,
    /// SLA breaches that fired in the period.
    pub breaches: u64,
    /// Supervision records opened in the period, by level 1, 2, 3.
    pub escalations: [u64; 3],
    /// Closed cases whose citizen gave a satisfaction rating.
    pub rated: u64,
    /// Of those, satisfied or basically satisfied.
    pub satisfied: u64,
    /// Spot-check reviews of the period decided so far.
    pub spot_checked: u64,
    /// Of those, passed.
    pub spot_passed: u64,
    #[serde(skip)]
    days: Vec<f64>,
}

impl Figures {
    fn finish(&mut self) {
        self.days.sort_by(f64::total_cmp);
        self.on_time_rate = if self.closed == 0 {
            1.0
        } else {
            self.on_time as f64 / self.closed as f64
        };
        self.avg_working_days = if self.days.is_empty() {
            0.0
        } else {
            round2(self.days.iter().sum::<f64>() / self.days.len() as f64)
        };
        self.p90_working_days = round2(percentile(&self.days, 90.0));
    }

    /// Zero-trip rate among closed cases.
    pub fn zero_trip_rate(&self) -> f64 {
        ratio(self.zero_trip, self.closed)
    }

    /// One-trip rate among closed cases: closed after exactly one visit in person (仅跑一次).
    pub fn one_trip_rate(&self) -> f64 {
        ratio(self.one_trip, self.closed)
    }

    /// At-most-one-trip rate among closed cases (最多跑一次, the reform's own measure): closed
    /// with no visit or one — the zero-trip and one-trip rates together. The one definition the
    /// bulletin and the assessment both use.
    pub fn at_most_one_trip_rate(&self) -> f64 {
        ratio(self.zero_trip + self.one_trip, self.closed)
    }

    /// Spot-check pass rate among decided reviews.
    pub fn spot_check_pass_rate(&self) -> Option<f64> {
        (self.spot_checked > 0).then(|| ratio(self.spot_passed, self.spot_checked))
    }

    /// Satisfaction rate among rated cases.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        (self.rated > 0).then(|| ratio(self.satisfied, self.rated))
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Row {
    /// The group's id (department, tier or case type).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The figures.
    pub figures: Figures,
    /// Rank among departments (1 = best), for departments that closed cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Why the department is named for criticism (empty: it is not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criticised: Vec<Criticism>,
}

/// A rule of `criticise:` that names a department, with the figures that broke it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Criticism {
    /// Its on-time rate was below the threshold.
    OnTimeBelow {
        /// The department's on-time rate (0–1).
        rate: f64,
        /// The rule's threshold (0–1).
        threshold: f64,
    },
    /// Cases of it reached the level (or above).
    Escalated {
        /// Supervision records at the level or above in the period.
        records: u64,
        /// The rule's level.
        level: u8,
    },
}

/// A computed bulletin.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Bulletin {
    /// The centre's name.
    pub centre: String,
    /// The period's id.
    pub period: String,
    /// First and last day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// The on-time rate below which a department is named for criticism (0–1), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_time_below: Option<f64>,
    /// Every case together.
    pub total: Figures,
    /// Per resident department, in rank order (departments without closed cases last).
    pub departments: Vec<Row>,
    /// Per tier.
    pub tiers: Vec<Row>,
    /// Per case type.
    pub case_types: Vec<Row>,
}

/// What a bulletin counts and how it names what it counts; names are in the centre's language.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The organisation (departments, tiers and their names).
    pub org: &'a Organisation,
    /// The centre's calendar (the period's bounds, working time).
    pub calendar: &'a WorkCalendar,
    /// Case types' names by id (an id without one is printed as it is).
    pub case_type_names: &'a HashMap<String, String>,
    /// When a department is named for criticism.
    pub criticise: Option<&'a Criticise>,
    /// The case type of spot-check reviews, counted as their departments' results, not as cases.
    pub review_case_type: Option<&'a str>,
    /// How the citizen's verdict counts (no case is rated without it).
    pub satisfaction: Option<&'a Satisfaction>,
}

impl<'a> Rules<'a> {
    /// Rules that only count: no criticism, no reviews, no satisfaction, no names.
    pub fn counting(org: &'a Organisation, calendar: &'a WorkCalendar, names: &'a HashMap<String, String>) -> Self {
        Rules {
            org,
            calendar,
            case_type_names: names,
            criticise: None,
            review_case_type: None,
            satisfaction: None,
        }
    }
}

/// Computes the bulletin for `period` from the store.
pub async fn compute(store: &Store, rules: &Rules<'_>, period: Period) -> Result<Bulletin, StoreError> {
    let Rules {
        org,
        calendar,
        case_type_names,
        criticise,
        review_case_type,
        satisfaction,
    } = *rules;
    let (start, end) = period.bounds(calendar.timezone());
    let (s, e) = (start.timestamp_millis(), end.timestamp_millis());
    // The warnings and breaches in the period, by case: fewer than the cases, so these are held
    // while the cases stream past (memory does not grow with the number of cases).
    let mut flagged = store.sla_flags_between(s, e).await?;
    let mut total = Figures::default();
    let mut by: [BTreeMap<String, Figures>; 3] = Default::default();
    let within = Window {
        start,
        end,
        calendar,
        satisfaction,
    };
    store
        .for_each_case_active_between(s, e, |id, data| {
            let flags = flagged.remove(&id).unwrap_or_default();
            let case: CaseFacts =
                serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("case {id}: {e}")))?;
            let (f, keys) = if review_case_type == Some(case.case_type.as_str()) {
                // Spot-check reviews are not cases of the department: they count only as its
                // spot-check results (reviews drawn in the period and decided so far).
                (within.review(&case), vec![case.department.clone()])
            } else {
                let keys = vec![
                    case.department.clone(),
                    case.tier.as_str().to_owned(),
                    case.case_type.clone(),
                ];
                (Some(within.case(&case, flags)), keys)
            };
            let Some(f) = f else { return Ok(()) };
            for (i, key) in keys.into_iter().enumerate() {
                add(by[i].entry(key).or_default(), &f);
            }
            add(&mut total, &f);
            Ok(())
        })
        .await?;
    total.finish();
    let [depts, tiers, types] = by;

    let locale = org.file.centre.locale.as_str();
    let threshold = threshold(criticise);
    let departments = ranked_departments(org, depts, criticise);
    let rows = |m: BTreeMap<String, Figures>, name: &dyn Fn(&str) -> String| -> Vec<Row> {
        m.into_iter()
            .map(|(id, mut f)| {
                f.finish();
                Row {
                    name: name(&id),
                    id,
                    figures: f,
                    rank: None,
                    criticised: Vec::new(),
                }
            })
            .collect()
    };
    let tier_name = |t: &str| {
        [Tier::District, Tier::Town, Tier::Community]
            .into_iter()
            .find(|x| x.as_str() == t)
            .map_or_else(|| t.to_owned(), |x| org.file.tier_name(x, locale))
    };
    let type_name = |t: &str| case_type_names.get(t).cloned().unwrap_or_else(|| t.to_owned());
    Ok(Bulletin {
        centre: org.file.centre.name.get(locale).to_owned(),
        period: period.id(),
        from: period.start.to_string(),
        to: (period.end - chrono::Duration::days(1)).to_string(),
        on_time_below: threshold,
        total,
        departments,
        tiers: rows(tiers, &tier_name),
        case_types: rows(types, &type_name),
    })
}

/// The department table: every resident department (with zeros when it had nothing), those
/// the rules name for criticism with the reason, ranked by on-time rate, then average working
/// days, then id; departments that closed nothing after the ranked ones.
fn ranked_departments(org: &Organisation, mut depts: BTreeMap<String, Figures>, rules: Option<&Criticise>) -> Vec<Row> {
    for (id, d) in &org.file.departments {
        if d.kind == DepartmentKind::Resident {
            depts.entry(id.clone()).or_default();
        }
    }
    let threshold = threshold(rules);
    let locale = org.file.centre.locale.as_str();
    let level = rules.and_then(|r| r.escalation_level);
    let mut departments: Vec<Row> = depts
        .into_iter()
        .map(|(id, mut f)| {
            f.finish();
            let name = org.file.department_name(&id, locale);
            let mut criticised = Vec::new();
            if let Some(t) = threshold
                && f.closed > 0
                && f.on_time_rate < t
            {
                criticised.push(Criticism::OnTimeBelow {
                    rate: f.on_time_rate,
                    threshold: t,
                });
            }
            if let Some(l) = level {
                let n: u64 = f.escalations[usize::from(l.clamp(1, 3) - 1)..].iter().sum();
                if n > 0 {
                    criticised.push(Criticism::Escalated { records: n, level: l });
                }
            }
            Row {
                id,
                name,
                figures: f,
                rank: None,
                criticised,
            }
        })
        .collect();
    departments.sort_by(|a, b| {
        (b.figures.closed > 0)
            .cmp(&(a.figures.closed > 0))
            .then(b.figures.on_time_rate.total_cmp(&a.figures.on_time_rate))
            .then(a.figures.avg_working_days.total_cmp(&b.figures.avg_working_days))
            .then(a.id.cmp(&b.id))
    });
    for (i, r) in departments.iter_mut().enumerate() {
        if r.figures.closed > 0 {
            r.rank = Some(i + 1);
        }
    }
    departments
}

/// The on-time threshold of the rules (0–1), if they have one.
fn threshold(rules: Option<&Criticise>) -> Option<f64> {
    rules
        .and_then(|r| r.on_time_below.as_deref())
        .and_then(super::spot_check::parse_rate)
}

/// The period a bulletin counts, on the centre's calendar.
struct Window<'a> {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    calendar: &'a WorkCalendar,
    satisfaction: Option<&'a Satisfaction>,
}

impl Window<'_> {
    fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end
    }

    /// What a spot-check review adds to its department: drawn in the period and decided.
    fn review(&self, case: &CaseFacts) -> Option<Figures> {
        (self.contains(case.opened_at) && case.state != "to_review").then(|| Figures {
            spot_checked: 1,
            spot_passed: u64::from(case.state == "passed"),
            ..Figures::default()
        })
    }

    /// What a case adds to its department, tier and case type in the period; `flags` are its
    /// (warnings, breaches) in the period.
    fn case(&self, case: &CaseFacts, (warnings, breaches): (u64, u64)) -> Figures {
        let day = self.calendar.day_seconds().max(1) as f64;
        let mut f = Figures::default();
        if self.contains(case.opened_at) {
            f.received = 1;
        }
        if case.closed_at.is_some_and(|c| self.contains(c)) {
            f.closed = 1;
            if !case.sla.as_ref().is_some_and(|c| c.breached) {
                f.on_time = 1;
            }
            if let Some(c) = case.closed_at
                && let Ok((secs, _)) = self.calendar.working_seconds_between(case.opened_at, c)
            {
                f.days.push(secs as f64 / day);
            }
            match case.visits {
                0 => f.zero_trip = 1,
                1 => f.one_trip = 1,
                _ => {}
            }
            if let Some(rule) = self.satisfaction
                && let Some(v) = case.fields.and_then(|raw| text_field(raw.get(), &rule.field))
            {
                let (rated, satisfied) = rule.judge(&v);
                f.rated = u64::from(rated);
                f.satisfied = u64::from(satisfied);
            }
        } else if case.closed_at.is_none_or(|c| c >= self.end) {
            f.open_at_end = 1;
        }
        for r in &case.supervision {
            if self.contains(r.opened_at) && (1..=3).contains(&r.level) {
                f.escalations[usize::from(r.level - 1)] += 1;
            }
        }
        f.warnings += warnings;
        f.breaches += breaches;
        f
    }
}

/// The text value of field `name` in a case's fields (a JSON object), without building the rest.
fn text_field(fields: &str, name: &str) -> Option<String> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    struct Pick<'n>(&'n str);
    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of fields")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == self.0 {
                    found = map.next_value::<serde_json::Value>()?.as_str().map(str::to_owned);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    impl<'de> DeserializeSeed<'de> for Pick<'_> {
        type Value = Option<String>;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }
    Pick(name)
        .deserialize(&mut serde_json::Deserializer::from_str(fields))
        .ok()
        .flatten()
}

fn add(into: &mut Figures, f: &Figures) {
    into.received += f.received;
    into.closed += f.closed;
    into.open_at_end += f.open_at_end;
    into.on_time += f.on_time;
    into.zero_trip += f.zero_trip;
    into.one_trip += f.one_trip;
    into.warnings += f.warnings;
    into.breaches += f.breaches;
    for i in 0..3 {
        into.escalations[i] += f.escalations[i];
    }
    into.rated += f.rated;
    into.satisfied += f.satisfied;
    into.spot_checked += f.spot_checked;
    into.spot_passed += f.spot_passed;
    into.days.extend_from_slice(&f.days);
}
