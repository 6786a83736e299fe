//! A report page as blocks (headings, paragraphs, lists, SVG charts, tables), laid out by one
//! template (`templates/page.html`) that escapes every value.

use askama::Template;

use crate::text::Lang;

/// One cell of a table.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// Its text.
    pub text: String,
    /// Aligned left (names); figures align right.
    pub left: bool,
    /// Rows it spans (1: its own row only).
    pub rowspan: usize,
}

impl Cell {
    /// A figure.
    pub fn num(text: impl ToString) -> Cell {
        Cell {
            text: text.to_string(),
            left: false,
            rowspan: 1,
        }
    }

    /// A name.
    pub fn name(text: impl ToString) -> Cell {
        Cell {
            left: true,
            ..Cell::num(text)
        }
    }

    /// This cell spanning `n` rows.
    pub fn spanning(self, n: usize) -> Cell {
        Cell { rowspan: n, ..self }
    }
}

/// A row, highlighted when `flagged` (named for criticism, vetoed).
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Highlighted.
    pub flagged: bool,
    /// Its cells.
    pub cells: Vec<Cell>,
}

/// A table: its header and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The header cells.
    pub head: Vec<Cell>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// One bar of a chart, placed.
#[derive(Debug, Clone)]
pub struct Bar {
    /// What it is.
    pub label: String,
    /// Its value as printed.
    pub text: String,
    /// Its top.
    pub y: String,
    /// The baseline of its texts.
    pub ty: String,
    /// Its length.
    pub len: String,
    /// Where its value is printed.
    pub vx: String,
    /// Its colour (below the threshold: red).
    pub colour: &'static str,
}

/// A horizontal bar chart in plain SVG (readable in mail clients), values in `[0, max]`, with
/// an optional threshold line.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Its title (also its accessible name).
    pub title: String,
    /// Width and height.
    pub w: String,
    /// Height.
    pub h: String,
    /// The bars.
    pub bars: Vec<Bar>,
    /// The threshold line's x and bottom, if any.
    pub line: Option<(String, String)>,
}

const LABEL_W: f64 = 190.0;
const BAR_W: f64 = 420.0;
const ROW_H: f64 = 24.0;

impl Chart {
    /// A chart of `rows` (label, value, printed value).
    pub fn bars(title: &str, rows: &[(String, f64, String)], max: f64, threshold: Option<f64>) -> Chart {
        let h = 36.0 + ROW_H * rows.len() as f64 + 10.0;
        let bars = rows
            .iter()
            .enumerate()
            .map(|(i, (label, v, text))| {
                let y = 30.0 + ROW_H * i as f64;
                let len = if max > 0.0 {
                    (v / max).clamp(0.0, 1.0) * BAR_W
                } else {
                    0.0
                };
                Bar {
                    label: label.clone(),
                    text: text.clone(),
                    y: format!("{y}"),
                    ty: format!("{}", y + 14.0),
                    len: format!("{len:.1}"),
                    vx: format!("{:.1}", LABEL_W + len + 4.0),
                    colour: match threshold {
                        Some(t) if *v < t => "#c0392b",
                        _ => "#2e86c1",
                    },
                }
            })
            .collect();
        let line = threshold.filter(|_| max > 0.0).map(|t| {
            (
                format!("{:.1}", LABEL_W + (t / max).clamp(0.0, 1.0) * BAR_W),
                format!("{:.1}", h - 6.0),
            )
        });
        Chart {
            title: title.to_owned(),
            w: format!("{}", LABEL_W + BAR_W + 80.0),
            h: format!("{h}"),
            bars,
            line,
        }
    }
}

/// A block of a page.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A heading within a section.
    Sub(String),
    /// A paragraph.
    Para(String),
    /// A list of (name, reason).
    List(Vec<(String, String)>),
    /// A chart.
    Chart(Chart),
    /// A table.
    Table(Table),
}

/// A whole report page.
#[derive(Debug, Template)]
#[template(path = "page.html")]
pub struct Page {
    /// Its language tag.
    pub lang: &'static str,
    /// Its title (also its first heading).
    pub title: String,
    /// What it shows, in order.
    pub blocks: Vec<Block>,
}

impl Page {
    /// An empty page in `lang`.
    pub fn new(lang: Lang, title: String) -> Page {
        Page {
            lang: lang.tag(),
            title,
            blocks: Vec::new(),
        }
    }

    /// The page's HTML (a template over owned strings cannot fail; an error leaves a page that
    /// says so rather than none).
    pub fn html(&self) -> String {
        self.render()
            .unwrap_or_else(|e| format!("<!DOCTYPE html><html><body><p>{e}</p></body></html>\n"))
    }
}
