//! The weekly spot-check (每周抽查): a reproducible draw of the cases each department closed in
//! the week, stratified by department and case type.
//!
//! The draw orders each stratum's cases by SHA-256 of the seed and the case id and takes the
//! first `ceil(rate × count)`; a department below its minimum gets more of its cases in the same
//! order. The seed is derived from the job and the week and printed in the report, so an auditor
//! can redraw the same sample from the same data.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Period;
use super::bulletin::{esc, field};
use crate::core::Organisation;
use crate::model::schedule::Sample;
use crate::store::StoreError;

/// One drawn case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
}

/// One department's draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// The CSV: one row per drawn case.
pub fn csv(s: &SpotCheck) -> String {
    let mut out = String::from(
        "\u{feff}部门 department,编号 id,本周办结 closed,抽中案件 case,案件类型 case_type,复核单 review\n",
    );
    for d in &s.departments {
        for c in &d.drawn {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                field(&d.name),
                field(&d.id),
                d.closed,
                field(&c.number),
                field(&c.case_id),
                field(&c.case_type),
                field(c.review.as_deref().unwrap_or(""))
            );
        }
    }
    out
}

/// The page: the draw per department, with the seed to redraw it.
pub fn html(s: &SpotCheck) -> String {
    let mut h = String::new();
    let title = format!("{} {} 每周抽查", s.centre, s.period);
    let total: usize = s.departments.iter().map(|d| d.drawn.len()).sum();
    let closed: u64 = s.departments.iter().map(|d| d.closed).sum();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;color:#222;margin:24px;max-width:1100px}}\
         table{{border-collapse:collapse;margin:12px 0 24px;font-size:13px}}th,td{{border:1px solid #bbb;padding:4px 8px;text-align:left}}\
         th{{background:#eef2f7}}code{{font-size:12px}}</style></head><body><h1 style=\"font-size:22px\">{t}</h1>\
         <p>抽查期间 Week: {from} 至 {to}。本周办结 {closed} 件，按 {rate}（每部门至少 {min} 件）分部门、分类型抽取 {total} 件。\
         随机种子 Seed: <code>{seed}</code>（以同一数据和种子可复现抽样）。</p>\
         <table><tr><th>部门</th><th>本周办结</th><th>抽中</th><th>案件</th><th>类型</th><th>复核单</th></tr>",
        t = esc(&title),
        from = s.from,
        to = s.to,
        rate = esc(&s.rate),
        min = s.minimum,
        seed = esc(&s.seed),
    );
    for d in &s.departments {
        for (i, c) in d.drawn.iter().enumerate() {
            let _ = write!(h, "<tr>");
            if i == 0 {
                let _ = write!(
                    h,
                    "<td rowspan=\"{n}\">{name}</td><td rowspan=\"{n}\">{closed}</td><td rowspan=\"{n}\">{n}</td>",
                    n = d.drawn.len(),
                    name = esc(&d.name),
                    closed = d.closed
                );
            }
            let _ = write!(
                h,
                "<td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&c.number),
                esc(&c.type_name),
                esc(&c
                    .review
                    .as_deref()
                    .map(crate::render::number_of)
                    .unwrap_or_else(|| "—".into()))
            );
        }
    }
    h.push_str("</table></body></html>\n");
    h
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
