//! The weekly spot-check (每周抽查): a reproducible draw of the cases each department closed in
//! the week, stratified by department and case type.
//!
//! The draw orders each stratum's cases by SHA-256 of the seed and the case id and takes the
//! first `ceil(rate × count)`; a department below its minimum gets more of its cases in the same
//! order. The seed is derived from the job and the week and printed in the report, so an auditor
//! can redraw the same sample from the same data.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Period;
use crate::core::Organisation;
use crate::model::schedule::Sample;
use crate::store::StoreError;

/// One drawn case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Drawn {
    /// The case.
    pub case_id: String,
    /// Its number, as staff see it.
    pub number: String,
    /// Its case type.
    pub case_type: String,
    /// The case type's name.
    pub type_name: String,
    /// The review opened for it (filled by the job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
    /// The review's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_number: Option<String>,
}

/// One department's draw.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DepartmentDraw {
    /// The department.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Cases it closed in the week.
    pub closed: u64,
    /// The cases drawn.
    pub drawn: Vec<Drawn>,
}

/// A week's spot-check.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SpotCheck {
    /// The centre.
    pub centre: String,
    /// The week's id.
    pub period: String,
    /// Its first day.
    pub from: String,
    /// Its last day.
    pub to: String,
    /// The seed of the draw.
    pub seed: String,
    /// The rate, as configured.
    pub rate: String,
    /// The minimum per department.
    pub minimum: u32,
    /// Per department that closed cases, by id.
    pub departments: Vec<DepartmentDraw>,
}

/// The seed for `job` and `period`.
pub fn seed(job: &str, period: &str) -> String {
    let h = Sha256::digest(format!("{job}\n{period}").as_bytes());
    format!("{h:x}")[..16].to_owned()
}

fn order_key(seed: &str, case_id: &str) -> String {
    format!("{:x}", Sha256::digest(format!("{seed}\n{case_id}").as_bytes()))
}

/// Parses `"5%"` into 0.05.
pub fn parse_rate(s: &str) -> Option<f64> {
    s.trim()
        .strip_suffix('%')?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
        .map(|p| p / 100.0)
}

/// What a spot-check draws.
#[derive(Debug, Clone, Copy)]
pub struct Draw<'a> {
    /// The period whose closed cases are drawn from.
    pub period: Period,
    /// How many, stratified how.
    pub sample: &'a Sample,
    /// The seed (from the job and the period, so a re-run draws the same cases).
    pub seed: &'a str,
    /// The case type left out (the review case type itself).
    pub exclude: &'a str,
}

/// Draws the week's sample from the cases closed in the period, leaving out the review case
/// type itself.
pub async fn draw(
    store: &crate::store::Store,
    org: &Organisation,
    tz: chrono_tz::Tz,
    what: &Draw<'_>,
    type_names: &std::collections::HashMap<String, String>,
) -> Result<SpotCheck, StoreError> {
    let Draw {
        period,
        sample,
        seed,
        exclude,
    } = *what;
    let drawn = |case_id: String, case_type: String| Drawn {
        number: crate::render::number_of(&case_id),
        type_name: type_names.get(&case_type).cloned().unwrap_or_else(|| case_type.clone()),
        case_id,
        case_type,
        review: None,
        review_number: None,
    };
    let (start, end) = period.bounds(tz);
    let rows = store
        .closed_between(start.timestamp_millis(), end.timestamp_millis(), exclude)
        .await?;
    let rate = parse_rate(&sample.rate).unwrap_or(0.0);
    // department → case type → cases in draw order.
    let mut strata: BTreeMap<String, BTreeMap<String, Vec<(String, String)>>> = BTreeMap::new();
    for (id, case_type, department) in rows {
        let key = order_key(seed, &id);
        strata
            .entry(department)
            .or_default()
            .entry(case_type)
            .or_default()
            .push((key, id));
    }
    let mut departments = Vec::new();
    for (dept, types) in strata {
        let mut picked: Vec<Drawn> = Vec::new();
        let mut rest: Vec<(String, String, String)> = Vec::new();
        let mut closed = 0u64;
        for (case_type, mut cases) in types {
            cases.sort();
            closed += cases.len() as u64;
            let n = ((rate * cases.len() as f64).ceil() as usize).min(cases.len());
            for (i, (key, id)) in cases.into_iter().enumerate() {
                if i < n {
                    picked.push(drawn(id, case_type.clone()));
                } else {
                    rest.push((key, id, case_type.clone()));
                }
            }
        }
        rest.sort();
        let minimum = sample.minimum as usize;
        for (_, id, case_type) in rest.into_iter().take(minimum.saturating_sub(picked.len())) {
            picked.push(drawn(id, case_type));
        }
        picked.sort_by(|a, b| (&a.case_type, &a.case_id).cmp(&(&b.case_type, &b.case_id)));
        let name = org
            .file
            .departments
            .get(&dept)
            .map_or_else(|| dept.clone(), |d| d.name.get("zh-CN").to_owned());
        departments.push(DepartmentDraw {
            id: dept,
            name,
            closed,
            drawn: picked,
        });
    }
    // Each drawn case by its number, as people know it.
    let ids: Vec<String> = departments
        .iter()
        .flat_map(|d| d.drawn.iter().map(|c| c.case_id.clone()))
        .collect();
    let numbers = store.numbers_of(&ids).await?;
    for c in departments.iter_mut().flat_map(|d| d.drawn.iter_mut()) {
        if let Some(n) = numbers.get(&c.case_id) {
            n.clone_into(&mut c.number);
        }
    }
    Ok(SpotCheck {
        centre: org.file.centre.name.get("zh-CN").to_owned(),
        period: period.id(),
        from: period.start.to_string(),
        to: (period.end - chrono::Duration::days(1)).to_string(),
        seed: seed.to_owned(),
        rate: sample.rate.clone(),
        minimum: sample.minimum,
        departments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("5%"), Some(0.05));
        assert_eq!(parse_rate(" 12.5 % "), Some(0.125));
        assert_eq!(parse_rate("5"), None);
        assert_eq!(parse_rate("150%"), None);
    }

    #[test]
    fn the_seed_depends_on_job_and_week_only() {
        assert_eq!(
            seed("weekly_spot_check", "2026-W48"),
            seed("weekly_spot_check", "2026-W48")
        );
        assert_ne!(
            seed("weekly_spot_check", "2026-W48"),
            seed("weekly_spot_check", "2026-W49")
        );
        assert_eq!(seed("a", "b").len(), 16);
    }
}
