//! The reports as people read them. The engine computes each report's figures and keeps them;
//! this crate words them in the centre's language and lays them out: a self-contained page
//! (one askama template, `templates/page.html`, with SVG charts and no script, so it reads the
//! same in a browser and a mail client) and a CSV for spreadsheets; and the title and summary of
//! the email that announces a report.
#![warn(clippy::too_many_lines)]

mod assessment;
mod bulletin;
mod csv;
mod page;
mod spot_check;
mod text;
mod texts;

pub use text::Lang;
use yimen_engine::reports::assessment::Assessment;
use yimen_engine::reports::bulletin::Bulletin;
use yimen_engine::reports::spot_check::SpotCheck;
use yimen_engine::reports::{Render, Rendered};

/// Reports in one language.
#[derive(Debug, Clone, Copy)]
pub struct Reports {
    lang: Lang,
}

impl Reports {
    /// Reports in `locale` (the centre's, from `organisation.yaml`).
    pub fn new(locale: &str) -> Reports {
        Reports { lang: Lang::of(locale) }
    }
}

impl Render for Reports {
    fn bulletin(&self, b: &Bulletin) -> Rendered {
        Rendered {
            html: bulletin::html(self.lang, b),
            csv: bulletin::csv(self.lang, b),
        }
    }

    fn assessment(&self, a: &Assessment) -> Rendered {
        Rendered {
            html: assessment::html(self.lang, a),
            csv: assessment::csv(self.lang, a),
        }
    }

    fn spot_check(&self, s: &SpotCheck) -> Rendered {
        Rendered {
            html: spot_check::html(self.lang, s),
            csv: spot_check::csv(self.lang, s),
        }
    }
}

/// What a report names by id, so that a report drawn again can name it in the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// The centre itself (the id is empty).
    Centre,
    /// A department.
    Department,
    /// A tier of the organisation.
    Tier,
    /// A case type.
    CaseType,
}

/// A stored report drawn again from its figures (`data`, as the engine kept them) in `locale`,
/// naming the centre, departments, tiers and case types by `names` (the stored name where it
/// gives none): the pages show a report in the reader's language, while the stored page and CSV
/// stay in the centre's. `None` when the data does not read as a report of `kind`.
pub fn render(locale: &str, kind: &str, data: &str, names: &dyn Fn(Named, &str) -> Option<String>) -> Option<Rendered> {
    let r = Reports::new(locale);
    let rename = |what: Named, id: &str, name: &mut String| {
        if let Some(n) = names(what, id) {
            *name = n;
        }
    };
    match kind {
        "bulletin" => {
            let mut b = serde_json::from_str::<Bulletin>(data).ok()?;
            rename(Named::Centre, "", &mut b.centre);
            for (what, rows) in [
                (Named::Department, &mut b.departments),
                (Named::Tier, &mut b.tiers),
                (Named::CaseType, &mut b.case_types),
            ] {
                for row in rows.iter_mut() {
                    rename(what, &row.id, &mut row.name);
                }
            }
            Some(r.bulletin(&b))
        }
        "assessment" => {
            let mut a = serde_json::from_str::<Assessment>(data).ok()?;
            rename(Named::Centre, "", &mut a.centre);
            for d in &mut a.departments {
                rename(Named::Department, &d.id, &mut d.name);
            }
            Some(r.assessment(&a))
        }
        "spot_check" => {
            let mut sc = serde_json::from_str::<SpotCheck>(data).ok()?;
            rename(Named::Centre, "", &mut sc.centre);
            for d in &mut sc.departments {
                rename(Named::Department, &d.id, &mut d.name);
                for c in &mut d.drawn {
                    rename(Named::CaseType, &c.case_type, &mut c.type_name);
                }
            }
            Some(r.spot_check(&sc))
        }
        _ => None,
    }
}

/// A report's title and a one-paragraph summary for the email that announces it, from its kind
/// and stored data; `None` when the data does not read as a report of that kind (the
/// announcement is then refused, not sent with an empty title).
pub fn describe(locale: &str, kind: &str, data: &str) -> Option<(String, String)> {
    let lang = Lang::of(locale);
    match kind {
        "bulletin" => serde_json::from_str::<BulletinFacts>(data).ok().map(|b| {
            let named: Vec<&str> = b
                .departments
                .iter()
                .filter(|d| d.criticised.as_ref().is_some_and(|c| !c.is_empty()))
                .map(|d| d.name.as_str())
                .collect();
            (
                lang.fill("b.title", &[("centre", &b.centre), ("period", &b.period)]),
                lang.fill(
                    "b.summary_mail",
                    &[
                        ("received", &b.total.received),
                        ("closed", &b.total.closed),
                        ("on_time", &text::pct(b.total.on_time_rate)),
                        (
                            "criticised",
                            &if named.is_empty() {
                                lang.t("b.nobody").to_owned()
                            } else {
                                named.join(lang.t("list_sep"))
                            },
                        ),
                    ],
                ),
            )
        }),
        "spot_check" => serde_json::from_str::<SpotFacts>(data).ok().map(|s| {
            let n: usize = s.departments.iter().map(|d| d.drawn.len()).sum();
            (
                lang.fill("s.title", &[("centre", &s.centre), ("period", &s.period)]),
                lang.fill("s.summary_mail", &[("n", &n), ("seed", &s.seed)]),
            )
        }),
        _ => serde_json::from_str::<AssessmentFacts>(data).ok().map(|a| {
            let first = a.departments.first().map_or(lang.t("none"), |d| d.name.as_str());
            let vetoed = a.departments.iter().filter(|d| d.vetoed).count();
            (
                lang.fill("a.title", &[("centre", &a.centre), ("period", &a.period)]),
                lang.fill("a.summary_mail", &[("first", &first), ("vetoed", &vetoed)]),
            )
        }),
    }
}

/// What the announcement reads of a stored bulletin.
#[derive(serde::Deserialize)]
struct BulletinFacts {
    centre: String,
    period: String,
    total: TotalFacts,
    departments: Vec<DepartmentFacts>,
}

#[derive(serde::Deserialize)]
struct TotalFacts {
    received: u64,
    closed: u64,
    on_time_rate: f64,
}

#[derive(serde::Deserialize)]
struct DepartmentFacts {
    name: String,
    #[serde(default)]
    criticised: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    vetoed: bool,
    #[serde(default)]
    drawn: Vec<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct SpotFacts {
    centre: String,
    period: String,
    seed: String,
    departments: Vec<DepartmentFacts>,
}

#[derive(serde::Deserialize)]
struct AssessmentFacts {
    centre: String,
    period: String,
    departments: Vec<DepartmentFacts>,
}

#[cfg(test)]
mod tests;
