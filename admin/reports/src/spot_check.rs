//! The weekly spot-check as a page (the draw per department, with its seed) and as CSV.

use yimen_engine::render::number_of;
use yimen_engine::reports::spot_check::SpotCheck;

use crate::csv::{Csv, field};
use crate::page::{Block, Cell, Page, Row, Table};
use crate::text::Lang;

/// The title.
pub fn title(lang: Lang, s: &SpotCheck) -> String {
    lang.fill("s.title", &[("centre", &s.centre), ("period", &s.period)])
}

/// The page.
pub fn html(lang: Lang, s: &SpotCheck) -> String {
    let total: usize = s.departments.iter().map(|d| d.drawn.len()).sum();
    let closed: u64 = s.departments.iter().map(|d| d.closed).sum();
    let mut page = Page::new(lang, title(lang, s));
    page.blocks.push(Block::Para(lang.fill(
        "s.intro",
        &[
            ("from", &s.from),
            ("to", &s.to),
            ("closed", &closed),
            ("rate", &s.rate),
            ("min", &s.minimum),
            ("total", &total),
            ("seed", &s.seed),
        ],
    )));
    let head = [
        "col.department",
        "col.closed_week",
        "col.drawn",
        "col.case",
        "col.case_type",
        "col.review",
    ]
    .iter()
    .map(|k| Cell::name(lang.t(k)))
    .collect();
    let mut rows = Vec::new();
    for d in &s.departments {
        for (i, c) in d.drawn.iter().enumerate() {
            let mut cells = Vec::new();
            if i == 0 {
                let n = d.drawn.len();
                cells.push(Cell::name(&d.name).spanning(n));
                cells.push(Cell::name(d.closed).spanning(n));
                cells.push(Cell::name(n).spanning(n));
            }
            cells.push(Cell::name(&c.number));
            cells.push(Cell::name(&c.type_name));
            cells.push(Cell::name(
                c.review_number
                    .clone()
                    .or_else(|| c.review.as_deref().map(number_of))
                    .unwrap_or_else(|| lang.t("none").to_owned()),
            ));
            rows.push(Row { flagged: false, cells });
        }
    }
    page.blocks.push(Block::Table(Table { head, rows }));
    page.html()
}

/// One row per drawn case.
pub fn csv(lang: Lang, s: &SpotCheck) -> String {
    let mut out = Csv::new(
        lang,
        &[
            "col.department",
            "col.id",
            "col.closed_week",
            "col.case",
            "col.case_id",
            "col.case_type",
            "col.review",
        ],
    );
    for d in &s.departments {
        for c in &d.drawn {
            out.row(&[
                field(&d.name),
                field(&d.id),
                d.closed.to_string(),
                field(&c.number),
                field(&c.case_id),
                field(&c.case_type),
                field(c.review.as_deref().unwrap_or("")),
            ]);
        }
    }
    out.finish()
}
