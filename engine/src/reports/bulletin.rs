//! The monthly bulletin (月度通报): per department, tier and case type — cases received, closed
//! and still open, the on-time rate, working time to close (average and 90th percentile),
//! zero-trip and one-trip rates, SLA warnings and breaches, escalations by level, citizen
//! satisfaction where recorded — the ranking of departments and those named for criticism.
//!
//! Everything is computed from the stored cases and their history, and nothing in the output
//! depends on when it was computed: recomputing a past month gives the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::{Period, percentile};
use crate::calendar::WorkCalendar;
use crate::core::Organisation;
use chrono::{DateTime, Utc};

use crate::model::Tier;
use crate::model::organisation::DepartmentKind;
use crate::model::schedule::Criticise;
use crate::store::{Store, StoreError};

/// What the bulletin reads of a stored case (the rest of the aggregate is skipped, not built).
#[derive(Debug, serde::Deserialize)]
struct CaseFacts {
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
    #[serde(default)]
    fields: FieldFacts,
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

#[derive(Debug, Default, serde::Deserialize)]
struct FieldFacts {
    #[serde(default)]
    satisfaction: Option<serde_json::Value>,
}

/// The figures of one group (a department, a tier, a case type, or everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

    /// One-trip rate among closed cases.
    pub fn one_trip_rate(&self) -> f64 {
        ratio(self.one_trip, self.closed)
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub criticised: Vec<String>,
}

/// A computed bulletin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bulletin {
    /// The centre's name.
    pub centre: String,
    /// The period's id.
    pub period: String,
    /// First and last day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// Every case together.
    pub total: Figures,
    /// Per resident department, in rank order (departments without closed cases last).
    pub departments: Vec<Row>,
    /// Per tier.
    pub tiers: Vec<Row>,
    /// Per case type.
    pub case_types: Vec<Row>,
}

/// Computes the bulletin for `period` from the store.
pub async fn compute(
    store: &Store,
    org: &Organisation,
    calendar: &WorkCalendar,
    case_type_names: &HashMap<String, String>,
    period: Period,
    rules: Option<&Criticise>,
    review_case_type: Option<&str>,
) -> Result<Bulletin, StoreError> {
    let (start, end) = period.bounds(calendar.timezone());
    let (s, e) = (start.timestamp_millis(), end.timestamp_millis());
    // The warnings and breaches in the period, by case: fewer than the cases, so these are held
    // while the cases stream past (memory does not grow with the number of cases).
    let mut flagged = store.sla_flags_between(s, e).await?;
    let mut total = Figures::default();
    let mut by: [BTreeMap<String, Figures>; 3] = Default::default();
    let within = Window { start, end, calendar };
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
                (within.case(&case, flags), keys)
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
    let [mut depts, tiers, types] = by;

    // Every resident department appears, with zeros when it had nothing.
    for (id, d) in &org.file.departments {
        if d.kind == DepartmentKind::Resident {
            depts.entry(id.clone()).or_default();
        }
    }
    let threshold = rules
        .and_then(|r| r.on_time_below.as_deref())
        .and_then(|t| t.trim().trim_end_matches('%').trim().parse::<f64>().ok())
        .map(|p| p / 100.0);
    let level = rules.and_then(|r| r.escalation_level);
    let mut departments: Vec<Row> = depts
        .into_iter()
        .map(|(id, mut f)| {
            f.finish();
            let name = org
                .file
                .departments
                .get(&id)
                .map_or_else(|| id.clone(), |d| d.name.get("zh-CN").to_owned());
            let mut criticised = Vec::new();
            if let Some(t) = threshold
                && f.closed > 0
                && f.on_time_rate < t
            {
                criticised.push(format!(
                    "按时办结率 {:.1}% 低于 {:.0}%",
                    f.on_time_rate * 100.0,
                    t * 100.0
                ));
            }
            if let Some(l) = level {
                let n: u64 = f.escalations[usize::from(l.clamp(1, 3) - 1)..].iter().sum();
                if n > 0 {
                    criticised.push(format!("{n} 件升至第{l}级及以上督办"));
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
    // Rank: on-time rate, then average working days, then id; departments that closed nothing
    // are listed after the ranked ones.
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
    let tier_name = |t: &str| match t {
        "district" => "区级".to_owned(),
        "town" => "镇（街道）级".to_owned(),
        "community" => "村（社区）级".to_owned(),
        other => other.to_owned(),
    };
    let type_name = |t: &str| case_type_names.get(t).cloned().unwrap_or_else(|| t.to_owned());
    Ok(Bulletin {
        centre: org.file.centre.name.get("zh-CN").to_owned(),
        period: period.id(),
        from: period.start.to_string(),
        to: (period.end - chrono::Duration::days(1)).to_string(),
        total,
        departments,
        tiers: rows(tiers, &tier_name),
        case_types: rows(types, &type_name),
    })
}

/// The period a bulletin counts, on the centre's calendar.
struct Window<'a> {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    calendar: &'a WorkCalendar,
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
    fn case(&self, case: &CaseFacts, (warnings, breaches): (u64, u64)) -> Option<Figures> {
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
            if let Some(r) = case.fields.satisfaction.as_ref().and_then(serde_json::Value::as_str) {
                if matches!(r, "satisfied" | "basically_satisfied" | "unsatisfied") {
                    f.rated = 1;
                }
                if matches!(r, "satisfied" | "basically_satisfied") {
                    f.satisfied = 1;
                }
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
        Some(f)
    }
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

pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A rate among closed cases, or `none` when nothing closed (a rate of nothing is not 100%).
fn rate(f: &Figures, x: f64, none: &str) -> String {
    if f.closed == 0 { none.to_owned() } else { pct(x) }
}

/// The CSV of the department table (UTF-8 with a byte-order mark, so spreadsheet programs read
/// the Chinese names).
pub fn csv(b: &Bulletin) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(
        "排名 rank,部门 department,编号 id,受理 received,办结 closed,未结 open,按时办结率 on_time_rate,\
         平均用时(工作日) avg_working_days,P90用时(工作日) p90_working_days,零跑率 zero_trip_rate,\
         跑一次率 one_trip_rate,预警 warnings,超期 breaches,一级督办 level1,二级督办 level2,三级督办 level3,\
         满意率 satisfaction_rate,抽查合格率 spot_check_pass_rate,通报批评 criticised\n",
    );
    for r in &b.departments {
        let f = &r.figures;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            field(&r.name),
            field(&r.id),
            f.received,
            f.closed,
            f.open_at_end,
            rate(f, f.on_time_rate, ""),
            f.avg_working_days,
            f.p90_working_days,
            rate(f, f.zero_trip_rate(), ""),
            rate(f, f.one_trip_rate(), ""),
            f.warnings,
            f.breaches,
            f.escalations[0],
            f.escalations[1],
            f.escalations[2],
            f.satisfaction_rate().map(pct).unwrap_or_default(),
            f.spot_check_pass_rate().map(pct).unwrap_or_default(),
            field(&r.criticised.join("；")),
        );
    }
    out
}

pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Text escaped for HTML (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A horizontal bar chart in SVG: one bar per row, value in `[0, max]`, with an optional
/// threshold line. Plain SVG with inline attributes, readable in mail clients and browsers.
pub(crate) fn bars(title: &str, rows: &[(String, f64, String)], max: f64, threshold: Option<f64>) -> String {
    let (label_w, bar_w, row_h) = (190.0, 420.0, 24.0);
    let h = 36.0 + row_h * rows.len() as f64 + 10.0;
    let w = label_w + bar_w + 80.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\">\
         <text x=\"0\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{t}</text>",
        t = esc(title)
    );
    for (i, (label, v, text)) in rows.iter().enumerate() {
        let y = 30.0 + row_h * i as f64;
        let len = if max > 0.0 {
            (v / max).clamp(0.0, 1.0) * bar_w
        } else {
            0.0
        };
        let colour = match threshold {
            Some(t) if *v < t => "#c0392b",
            _ => "#2e86c1",
        };
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" font-size=\"12\" text-anchor=\"end\" fill=\"#222\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{len:.1}\" height=\"{bh}\" fill=\"{colour}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"12\" fill=\"#222\">{text}</text>",
            lx = label_w - 6.0,
            ty = y + 14.0,
            label = esc(label),
            bh = row_h - 6.0,
            vx = label_w + len + 4.0,
            text = esc(text),
        );
    }
    if let Some(t) = threshold
        && max > 0.0
    {
        let x = label_w + (t / max).clamp(0.0, 1.0) * bar_w;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"26\" x2=\"{x:.1}\" y2=\"{y2:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>",
            y2 = h - 6.0
        );
    }
    s.push_str("</svg>");
    s
}

/// The bulletin as a self-contained HTML page: tables and SVG charts, no scripts, no external
/// resources, so it reads the same in a browser and in a mail client.
pub fn html(b: &Bulletin, threshold: Option<f64>) -> String {
    let mut h = String::new();
    let title = format!("{} {} 月度通报", b.centre, b.period);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;color:#222;margin:24px;max-width:1100px}}\
         table{{border-collapse:collapse;margin:12px 0 24px;font-size:13px}}th,td{{border:1px solid #bbb;padding:4px 8px;text-align:right}}\
         th{{background:#eef2f7}}td.l,th.l{{text-align:left}}tr.crit td{{background:#fdecea}}h2{{font-size:17px;margin-top:28px}}</style></head><body>\
         <h1 style=\"font-size:22px\">{t}</h1><p>统计期间 Period: {from} 至 {to}。数据来源：案件及其全部历史记录，可随时复算。</p>",
        t = esc(&title),
        from = b.from,
        to = b.to
    );
    let t = &b.total;
    let _ = write!(
        h,
        "<p>本期受理 <b>{}</b> 件，办结 <b>{}</b> 件，期末未结 <b>{}</b> 件；按时办结率 <b>{}</b>，零跑率 {}，跑一次率 {}；\
         平均办结用时 {} 个工作日（P90 {}）；预警 {} 次，超期 {} 次；督办 一级 {} / 二级 {} / 三级 {} 件。</p>",
        t.received,
        t.closed,
        t.open_at_end,
        pct(t.on_time_rate),
        pct(t.zero_trip_rate()),
        pct(t.one_trip_rate()),
        t.avg_working_days,
        t.p90_working_days,
        t.warnings,
        t.breaches,
        t.escalations[0],
        t.escalations[1],
        t.escalations[2]
    );
    let criticised: Vec<&Row> = b.departments.iter().filter(|r| !r.criticised.is_empty()).collect();
    h.push_str("<h2>通报批评 Named for criticism</h2>");
    if criticised.is_empty() {
        h.push_str("<p>本期无。</p>");
    } else {
        h.push_str("<ul>");
        for r in criticised {
            let _ = write!(h, "<li><b>{}</b>：{}</li>", esc(&r.name), esc(&r.criticised.join("；")));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>部门排名 Departments</h2>");
    let ranked: Vec<(String, f64, String)> = b
        .departments
        .iter()
        .filter(|r| r.figures.closed > 0)
        .map(|r| (r.name.clone(), r.figures.on_time_rate, pct(r.figures.on_time_rate)))
        .collect();
    h.push_str(&bars("按时办结率 On-time rate", &ranked, 1.0, threshold));
    table(&mut h, &b.departments, true);
    let received: Vec<(String, f64, String)> = b
        .departments
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                r.figures.received as f64,
                r.figures.received.to_string(),
            )
        })
        .collect();
    let max = received.iter().map(|r| r.1).fold(0.0, f64::max);
    h.push_str(&bars("受理量 Cases received", &received, max, None));
    h.push_str("<h2>分层级 By tier</h2>");
    table(&mut h, &b.tiers, false);
    h.push_str("<h2>分类型 By case type</h2>");
    table(&mut h, &b.case_types, false);
    h.push_str("</body></html>\n");
    h
}

fn table(h: &mut String, rows: &[Row], ranked: bool) {
    h.push_str("<table><tr>");
    if ranked {
        h.push_str("<th>排名</th>");
    }
    for c in [
        "名称",
        "受理",
        "办结",
        "未结",
        "按时办结率",
        "平均用时",
        "P90用时",
        "零跑率",
        "跑一次率",
        "预警",
        "超期",
        "一级督办",
        "二级督办",
        "三级督办",
        "满意率",
        "抽查合格率",
    ] {
        let _ = write!(h, "<th{}>{c}</th>", if c == "名称" { " class=\"l\"" } else { "" });
    }
    h.push_str("</tr>");
    for r in rows {
        let f = &r.figures;
        let _ = write!(
            h,
            "<tr{}>",
            if r.criticised.is_empty() { "" } else { " class=\"crit\"" }
        );
        if ranked {
            let _ = write!(
                h,
                "<td>{}</td>",
                r.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
            );
        }
        let _ = write!(
            h,
            "<td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.name),
            f.received,
            f.closed,
            f.open_at_end,
            rate(f, f.on_time_rate, "—"),
            f.avg_working_days,
            f.p90_working_days,
            rate(f, f.zero_trip_rate(), "—"),
            rate(f, f.one_trip_rate(), "—"),
            f.warnings,
            f.breaches,
            f.escalations[0],
            f.escalations[1],
            f.escalations[2],
            f.satisfaction_rate().map(pct).unwrap_or_else(|| "—".into()),
            f.spot_check_pass_rate().map(pct).unwrap_or_else(|| "—".into()),
        );
    }
    h.push_str("</table>");
}
