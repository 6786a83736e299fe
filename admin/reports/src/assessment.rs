//! The annual assessment as a page (score chart, table, each score line by line) and as CSV.

use yimen_engine::model::schedule::Metric;
use yimen_engine::reports::assessment::{Assessment, Item, Line, Score};

use crate::csv::{Csv, field};
use crate::page::{Block, Cell, Chart, Page, Row, Table};
use crate::text::{Lang, pct};

/// What a line is, in words.
pub fn item(lang: Lang, l: &Line) -> String {
    match l.item {
        Item::Metric(m) => lang.t(metric_key(m)).to_owned(),
        Item::Deduction { level } => lang.fill("m.deduction", &[("level", &level), ("n", &l.input.unwrap_or(0.0))]),
    }
}

fn metric_key(m: Metric) -> &'static str {
    match m {
        Metric::OnTimeRate => "m.on_time_rate",
        Metric::SatisfactionRate => "m.satisfaction_rate",
        Metric::SpotCheckPassRate => "m.spot_check_pass_rate",
        Metric::ZeroTripRate => "m.zero_trip_rate",
        Metric::OneTripOrBetterRate => "m.one_trip_or_better_rate",
    }
}

/// The title.
pub fn title(lang: Lang, a: &Assessment) -> String {
    lang.fill("a.title", &[("centre", &a.centre), ("period", &a.period)])
}

fn yes_no(lang: Lang, b: bool) -> &'static str {
    lang.t(if b { "yes" } else { "no" })
}

/// The page.
pub fn html(lang: Lang, a: &Assessment) -> String {
    let none = lang.t("none");
    let mut page = Page::new(lang, title(lang, a));
    page.blocks.push(Block::Para(lang.t("a.intro").to_owned()));
    let max: f64 = a.scoring.items.values().sum();
    let chart: Vec<(String, f64, String)> = a
        .departments
        .iter()
        .filter(|d| d.assessed)
        .map(|d| (d.name.clone(), d.score.max(0.0), format!("{:.2}", d.score)))
        .collect();
    page.blocks.push(Block::Chart(Chart::bars(
        lang.t("a.chart"),
        &chart,
        max,
        a.scoring.pass_score,
    )));
    let head = [
        "col.rank",
        "col.department",
        "col.score",
        "col.passed",
        "col.vetoed",
        "col.on_time",
        "col.satisfaction",
        "col.spot",
        "col.l2",
        "col.l3",
    ]
    .iter()
    .map(|k| {
        if *k == "col.department" {
            Cell::name(lang.t(k))
        } else {
            Cell::num(lang.t(k))
        }
    })
    .collect();
    let rows = a
        .departments
        .iter()
        .map(|d| {
            let f = &d.figures;
            Row {
                flagged: d.vetoed,
                cells: vec![
                    Cell::num(d.rank.map_or_else(|| none.to_owned(), |r| r.to_string())),
                    Cell::name(&d.name),
                    Cell::num(if d.assessed {
                        format!("{:.2}", d.score)
                    } else {
                        lang.t("a.not_assessed").to_owned()
                    }),
                    Cell::num(if d.assessed { yes_no(lang, d.passed) } else { none }),
                    Cell::num(yes_no(lang, d.vetoed)),
                    Cell::num(if f.closed > 0 {
                        pct(f.on_time_rate)
                    } else {
                        none.to_owned()
                    }),
                    Cell::num(f.satisfaction_rate().map_or_else(|| none.to_owned(), pct)),
                    Cell::num(f.spot_check_pass_rate().map_or_else(|| none.to_owned(), pct)),
                    Cell::num(f.escalations[1]),
                    Cell::num(f.escalations[2]),
                ],
            }
        })
        .collect();
    page.blocks.push(Block::Table(Table { head, rows }));
    page.blocks.push(Block::Heading(lang.t("a.how").to_owned()));
    for d in a.departments.iter().filter(|d| d.assessed) {
        page.blocks.push(Block::Sub(format!(
            "{}{}{:.2}{}",
            d.name,
            lang.t("colon"),
            d.score,
            scaled_note(lang, a, d)
        )));
        page.blocks.push(Block::Table(lines(lang, d)));
    }
    let idle: Vec<&str> = a
        .departments
        .iter()
        .filter(|d| !d.assessed)
        .map(|d| d.name.as_str())
        .collect();
    if !idle.is_empty() {
        page.blocks.push(Block::Para(
            lang.fill("a.idle", &[("names", &idle.join(lang.t("list_sep")))]),
        ));
    }
    page.html()
}

fn lines(lang: Lang, d: &Score) -> Table {
    let head = vec![
        Cell::name(lang.t("col.item")),
        Cell::num(lang.t("col.input")),
        Cell::num(lang.t("col.weight")),
        Cell::num(lang.t("col.points")),
    ];
    let rows = d
        .lines
        .iter()
        .map(|l| {
            let input = match l.input {
                None => lang.t("a.no_data").to_owned(),
                Some(x) if l.points < 0.0 => lang.fill("a.records", &[("n", &x)]),
                Some(x) => pct(x),
            };
            Row {
                flagged: false,
                cells: vec![
                    Cell::name(item(lang, l)),
                    Cell::num(input),
                    Cell::num(l.weight),
                    Cell::num(format!("{:+.2}", l.points)),
                ],
            }
        })
        .collect();
    Table { head, rows }
}

/// How the department's items were scaled, when some had no data.
fn scaled_note(lang: Lang, a: &Assessment, d: &Score) -> String {
    let full: f64 = a.scoring.items.values().sum();
    let counted: f64 = d
        .lines
        .iter()
        .take(a.scoring.items.len())
        .filter(|l| l.input.is_some())
        .map(|l| l.weight)
        .sum();
    if counted > 0.0 && (counted - full).abs() > 1e-9 {
        lang.fill("a.scaled", &[("counted", &counted), ("full", &full)])
    } else {
        String::new()
    }
}

/// One row per department with each line's points.
pub fn csv(lang: Lang, a: &Assessment) -> String {
    let mut out = Csv::new(
        lang,
        &[
            "col.rank",
            "col.department",
            "col.id",
            "col.score",
            "col.passed",
            "col.vetoed",
            "col.lines",
        ],
    );
    for d in &a.departments {
        let lines: Vec<String> = d
            .lines
            .iter()
            .map(|l| format!("{} {:+.2}", item(lang, l), l.points))
            .collect();
        out.row(&[
            d.rank
                .map_or_else(|| field(lang.t("a.not_assessed")), |r| r.to_string()),
            field(&d.name),
            field(&d.id),
            format!("{:.2}", d.score),
            yes_no(lang, d.passed).to_owned(),
            yes_no(lang, d.vetoed).to_owned(),
            field(&lines.join(lang.t("reason_sep"))),
        ]);
    }
    out.finish()
}
