//! The monthly bulletin as a page (summary, criticism, ranking chart and tables) and as CSV.

use yimen_engine::reports::bulletin::{Bulletin, Criticism, Figures, Row as Group};

use crate::csv::{Csv, field};
use crate::page::{Block, Cell, Chart, Page, Row, Table};
use crate::text::{Lang, pct};

/// A rate among closed cases, or `none` when nothing closed (a rate of nothing is not 100%).
fn rate(f: &Figures, x: f64, none: &str) -> String {
    if f.closed == 0 { none.to_owned() } else { pct(x) }
}

/// Why a department is named, in words.
pub fn reason(lang: Lang, c: &Criticism) -> String {
    match c {
        Criticism::OnTimeBelow { rate, threshold } => lang.fill(
            "b.on_time_below",
            &[
                ("rate", &pct(*rate)),
                ("threshold", &format!("{:.0}%", threshold * 100.0)),
            ],
        ),
        Criticism::Escalated { records, level } => lang.fill("b.escalated", &[("records", records), ("level", level)]),
    }
}

fn reasons(lang: Lang, r: &Group) -> String {
    r.criticised
        .iter()
        .map(|c| reason(lang, c))
        .collect::<Vec<_>>()
        .join(lang.t("reason_sep"))
}

/// The page.
pub fn html(lang: Lang, b: &Bulletin) -> String {
    let mut page = Page::new(lang, title(lang, b));
    page.blocks
        .push(Block::Para(lang.fill("b.period", &[("from", &b.from), ("to", &b.to)])));
    page.blocks.push(Block::Para(summary(lang, &b.total)));
    page.blocks.push(Block::Heading(lang.t("b.criticised").to_owned()));
    let named: Vec<(String, String)> = b
        .departments
        .iter()
        .filter(|r| !r.criticised.is_empty())
        .map(|r| (r.name.clone(), format!("{}{}", lang.t("colon"), reasons(lang, r))))
        .collect();
    page.blocks.push(if named.is_empty() {
        Block::Para(lang.t("b.none_criticised").to_owned())
    } else {
        Block::List(named)
    });
    page.blocks.push(Block::Heading(lang.t("b.departments").to_owned()));
    let ranked: Vec<(String, f64, String)> = b
        .departments
        .iter()
        .filter(|r| r.figures.closed > 0)
        .map(|r| (r.name.clone(), r.figures.on_time_rate, pct(r.figures.on_time_rate)))
        .collect();
    page.blocks.push(Block::Chart(Chart::bars(
        lang.t("b.chart_on_time"),
        &ranked,
        1.0,
        b.on_time_below,
    )));
    page.blocks.push(Block::Table(table(lang, &b.departments, true)));
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
    page.blocks.push(Block::Chart(Chart::bars(
        lang.t("b.chart_received"),
        &received,
        max,
        None,
    )));
    page.blocks.push(Block::Heading(lang.t("b.tiers").to_owned()));
    page.blocks.push(Block::Table(table(lang, &b.tiers, false)));
    page.blocks.push(Block::Heading(lang.t("b.case_types").to_owned()));
    page.blocks.push(Block::Table(table(lang, &b.case_types, false)));
    page.html()
}

/// The title.
pub fn title(lang: Lang, b: &Bulletin) -> String {
    lang.fill("b.title", &[("centre", &b.centre), ("period", &b.period)])
}

fn summary(lang: Lang, t: &Figures) -> String {
    lang.fill(
        "b.summary",
        &[
            ("received", &t.received),
            ("closed", &t.closed),
            ("open", &t.open_at_end),
            ("on_time", &pct(t.on_time_rate)),
            ("zero", &pct(t.zero_trip_rate())),
            ("one", &pct(t.one_trip_rate())),
            ("most", &pct(t.at_most_one_trip_rate())),
            ("avg", &t.avg_working_days),
            ("p90", &t.p90_working_days),
            ("warnings", &t.warnings),
            ("breaches", &t.breaches),
            ("l1", &t.escalations[0]),
            ("l2", &t.escalations[1]),
            ("l3", &t.escalations[2]),
        ],
    )
}

const COLUMNS: [&str; 17] = [
    "col.name",
    "col.received",
    "col.closed",
    "col.open",
    "col.on_time",
    "col.avg",
    "col.p90",
    "col.zero",
    "col.one",
    "col.at_most_one",
    "col.warnings",
    "col.breaches",
    "col.l1",
    "col.l2",
    "col.l3",
    "col.satisfaction",
    "col.spot",
];

fn table(lang: Lang, rows: &[Group], ranked: bool) -> Table {
    let none = lang.t("none");
    let mut head: Vec<Cell> = Vec::new();
    if ranked {
        head.push(Cell::num(lang.t("col.rank")));
    }
    head.push(Cell::name(lang.t(COLUMNS[0])));
    head.extend(COLUMNS[1..].iter().map(|k| Cell::num(lang.t(k))));
    let rows = rows
        .iter()
        .map(|r| {
            let f = &r.figures;
            let mut cells = Vec::new();
            if ranked {
                cells.push(Cell::num(r.rank.map_or_else(|| none.to_owned(), |x| x.to_string())));
            }
            cells.push(Cell::name(&r.name));
            cells.extend([
                Cell::num(f.received),
                Cell::num(f.closed),
                Cell::num(f.open_at_end),
                Cell::num(rate(f, f.on_time_rate, none)),
                Cell::num(f.avg_working_days),
                Cell::num(f.p90_working_days),
                Cell::num(rate(f, f.zero_trip_rate(), none)),
                Cell::num(rate(f, f.one_trip_rate(), none)),
                Cell::num(rate(f, f.at_most_one_trip_rate(), none)),
                Cell::num(f.warnings),
                Cell::num(f.breaches),
                Cell::num(f.escalations[0]),
                Cell::num(f.escalations[1]),
                Cell::num(f.escalations[2]),
                Cell::num(f.satisfaction_rate().map_or_else(|| none.to_owned(), pct)),
                Cell::num(f.spot_check_pass_rate().map_or_else(|| none.to_owned(), pct)),
            ]);
            Row {
                flagged: !r.criticised.is_empty(),
                cells,
            }
        })
        .collect();
    Table { head, rows }
}

/// The department table as CSV.
pub fn csv(lang: Lang, b: &Bulletin) -> String {
    let mut out = Csv::new(lang, &["col.rank", "col.department", "col.id"]);
    out.header(&COLUMNS[1..]);
    out.header(&["col.criticised"]);
    for r in &b.departments {
        let f = &r.figures;
        out.row(&[
            r.rank.map(|x| x.to_string()).unwrap_or_default(),
            field(&r.name),
            field(&r.id),
            f.received.to_string(),
            f.closed.to_string(),
            f.open_at_end.to_string(),
            rate(f, f.on_time_rate, ""),
            f.avg_working_days.to_string(),
            f.p90_working_days.to_string(),
            rate(f, f.zero_trip_rate(), ""),
            rate(f, f.one_trip_rate(), ""),
            rate(f, f.at_most_one_trip_rate(), ""),
            f.warnings.to_string(),
            f.breaches.to_string(),
            f.escalations[0].to_string(),
            f.escalations[1].to_string(),
            f.escalations[2].to_string(),
            f.satisfaction_rate().map(pct).unwrap_or_default(),
            f.spot_check_pass_rate().map(pct).unwrap_or_default(),
            field(&reasons(lang, r)),
        ]);
    }
    out.finish()
}
