//! The supervision board: open cases at each escalation level that this supervisor oversees,
//! answers that are overdue, answers waiting for review, and the weekly spot-check's review
//! cases still open.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yimen_engine::core::{Case, SupervisionState};
use yimen_engine::model::organisation::ChannelKind;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render};
use yimen_http::AppState;
use yimen_service::access;

/// Cases loaded for the board at most.
const LIMIT: i64 = 500;

struct Row {
    case_id: String,
    short: String,
    subject: String,
    case_type: String,
    department: String,
    rung: String,
    state: String,
    due: String,
    overdue: bool,
    sla: &'static str,
    sla_key: String,
}

struct Section {
    title: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    counts: Vec<(String, usize, &'static str)>,
    sections: Vec<Section>,
    departments: Vec<(String, String)>,
    f: BoardQuery,
    /// The same list as CSV.
    csv_href: String,
}

/// The board's filters: a department, a level (the case's highest record), late answers only;
/// `format=csv` downloads the listed records.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    department: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    format: String,
}

impl BoardQuery {
    /// Whether a case whose highest record is `r` is listed.
    fn keeps(&self, c: &Case, r: &yimen_engine::core::SupervisionRecord, late: bool) -> bool {
        (self.department.is_empty() || c.department == self.department)
            && (self.level.is_empty() || self.level == r.level.to_string())
            && (self.overdue != "1" || late)
    }

    fn href(&self, format: &str) -> String {
        format!(
            "/supervision?department={}&level={}&overdue={}&format={format}",
            super::url_encode(&self.department),
            super::url_encode(&self.level),
            super::url_encode(&self.overdue)
        )
    }
}

/// The listed records as CSV (UTF-8 with a byte-order mark), one line per case and level.
fn csv(lang: super::Lang, sections: &[Section]) -> Response {
    use axum::response::IntoResponse;
    let head: Vec<String> = [
        "inbox.case",
        "inbox.case_type",
        "board.department",
        "case.rung",
        "case.record.state",
        "case.record.due",
        "board.overdue",
        "inbox.sla",
    ]
    .iter()
    .map(|k| t(lang, k).to_owned())
    .collect();
    let mut out = format!("\u{feff}{}", yimen_service::export::csv_line(&head));
    let mut seen = std::collections::HashSet::new();
    for r in sections.iter().flat_map(|s| s.rows.iter()) {
        if !seen.insert((r.case_id.clone(), r.rung.clone())) {
            continue;
        }
        out.push_str(&yimen_service::export::csv_line(&[
            r.short.clone(),
            r.case_type.clone(),
            r.department.clone(),
            r.rung.clone(),
            r.state.clone(),
            r.due.clone(),
            if r.overdue {
                t(lang, "board.overdue").to_owned()
            } else {
                String::new()
            },
            t(lang, &r.sla_key).to_owned(),
        ]));
    }
    (
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"supervision.csv\"",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}

/// The cases the board lists: those with a ladder rung fired (most recent first, at most
/// `LIMIT`), then the open spot-check reviews (case types filed only through the centre's own
/// channel).
async fn board_cases(s: &AppState) -> Result<Vec<String>, yimen_engine::store::StoreError> {
    let (store, org, defs) = (s.engine.store(), s.engine.org(), s.engine.definitions());
    let fired = store.supervised_open(LIMIT * 4).await?;
    let mut ids: Vec<String> = Vec::new();
    for f in &fired {
        if !ids.contains(&f.case_id) && ids.len() < LIMIT as usize {
            ids.push(f.case_id.clone());
        }
    }
    for d in defs.all_current() {
        let internal = !d.def.channels.is_empty()
            && d.def.channels.iter().all(|ch| {
                org.file
                    .channels
                    .get(ch)
                    .is_some_and(|c| c.kind == ChannelKind::Internal)
            });
        if internal {
            for id in store.open_cases_of_type(&d.def.id, LIMIT).await? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    Ok(ids)
}

/// The counts at the top and the sections below: answers to review, overdue answers, each
/// level from the highest, and the spot-checks.
fn sections(
    lang: super::Lang,
    mut by_level: BTreeMap<u8, Vec<Row>>,
    overdue: Vec<Row>,
    to_review: Vec<Row>,
    spot: Vec<Row>,
) -> (Vec<(String, usize, &'static str)>, Vec<Section>) {
    let counts = vec![
        (
            t(lang, "board.level1").to_owned(),
            by_level.get(&1).map_or(0, Vec::len),
            "l1",
        ),
        (
            t(lang, "board.level2").to_owned(),
            by_level.get(&2).map_or(0, Vec::len),
            "l2",
        ),
        (
            t(lang, "board.level3").to_owned(),
            by_level.get(&3).map_or(0, Vec::len),
            "l3",
        ),
        (t(lang, "board.overdue_answers").to_owned(), overdue.len(), "late"),
        (t(lang, "board.to_review").to_owned(), to_review.len(), "review"),
    ];
    let mut sections = vec![
        Section {
            title: t(lang, "board.to_review").to_owned(),
            rows: to_review,
        },
        Section {
            title: t(lang, "board.overdue_answers").to_owned(),
            rows: overdue,
        },
    ];
    for l in (1..=3u8).rev() {
        sections.push(Section {
            title: t(lang, &format!("board.level{l}")).to_owned(),
            rows: by_level.remove(&l).unwrap_or_default(),
        });
    }
    sections.push(Section {
        title: t(lang, "board.spot_checks").to_owned(),
        rows: spot,
    });
    (counts, sections)
}

pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, Query(f): Query<BoardQuery>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let lang = ctx.lang;
    let loc = lang.tag();
    let org = s.engine.org();
    let store = s.engine.store();
    let defs = s.engine.definitions();
    let now = s.engine.now();
    let ids = match board_cases(&s).await {
        Ok(ids) => ids,
        Err(e) => return super::store_down(lang, e),
    };
    let cases = match store.cases_by_ids(&ids).await {
        Ok(c) => c,
        Err(e) => return super::store_down(lang, e),
    };
    let cases: HashMap<String, Case> = cases
        .into_iter()
        .filter(|c| access::may_see(org, &actor, c, None))
        .map(|c| (c.id.to_string(), c))
        .collect();
    let unmasked = access::sees_personal_data(org, &actor);
    let row = |c: &Case, rung: String, state: String, due: String, overdue: bool| {
        let def = defs.get(&c.case_type, c.definition_version);
        let (sla, _) = super::inbox::sla_of(&s, c, lang);
        Row {
            case_id: c.id.to_string(),
            short: super::fields::case_label(c),
            subject: def
                .as_ref()
                .map_or_else(|| c.id.to_string(), |d| super::fields::summary(&d.def, c, unmasked)),
            case_type: def
                .as_ref()
                .map_or_else(|| c.case_type.clone(), |d| d.def.name.get(loc).to_owned()),
            department: super::department_name(&s, &c.department, loc),
            rung,
            state,
            due,
            overdue,
            sla,
            sla_key: format!("sla.{sla}"),
        }
    };
    let mut by_level: BTreeMap<u8, Vec<Row>> = BTreeMap::new();
    let mut overdue = Vec::new();
    let mut to_review = Vec::new();
    let level = org.supervision_level(&actor.roles);
    let mut ordered: Vec<&Case> = cases.values().collect();
    ordered.sort_by_key(|c| (c.opened_at, c.id.clone()));
    for c in &ordered {
        let def = defs.get(&c.case_type, c.definition_version);
        // The record of the highest level decides the section a case is listed in.
        let Some(r) = c.supervision.iter().max_by_key(|r| (r.level, r.opened_at)) else {
            continue;
        };
        let rung_name = def
            .as_ref()
            .and_then(|d| d.ladder.as_ref())
            .and_then(|l| l.rungs.get(&r.rung))
            .map_or_else(|| r.rung.clone(), |x| x.name.get(loc).to_owned());
        let state_key = match r.state {
            SupervisionState::Awaiting => "awaiting",
            SupervisionState::Answered => "answered",
            SupervisionState::Accepted => "accepted",
            SupervisionState::Returned => "returned",
            SupervisionState::Closed => "closed",
        };
        // An accepted or closed record is settled: it leaves the board's counts and lists.
        if matches!(r.state, SupervisionState::Accepted | SupervisionState::Closed) {
            continue;
        }
        let active = matches!(r.state, SupervisionState::Awaiting | SupervisionState::Returned);
        let late = active && now > r.answer_due;
        if !f.keeps(c, r, late) {
            continue;
        }
        let mk = || {
            row(
                c,
                rung_name.clone(),
                t(lang, &format!("record.{state_key}")).to_owned(),
                super::local(&s, r.answer_due),
                late,
            )
        };
        by_level.entry(r.level).or_default().push(mk());
        if late {
            overdue.push(mk());
        }
        if r.state == SupervisionState::Answered && (level >= r.level || org.is_admin(&actor.roles)) {
            to_review.push(mk());
        }
    }
    let mut spot = Vec::new();
    for c in &ordered {
        let wanted =
            (f.department.is_empty() || c.department == f.department) && f.level.is_empty() && f.overdue != "1";
        if c.supervision.is_empty() && wanted {
            spot.push(row(c, String::new(), String::new(), String::new(), false));
        }
    }
    let (mut counts, sections) = sections(lang, by_level, overdue, to_review, spot);
    // Work that reaches nobody, in every department.
    let unstaffed = match store.unstaffed_count(None).await {
        Ok(n) => usize::try_from(n).unwrap_or(0),
        Err(e) => return super::store_down(lang, e),
    };
    counts.push((t(lang, "team.unstaffed").to_owned(), unstaffed, "unstaffed"));
    answer(&s, &ctx, f, counts, sections)
}

/// The board as a page, or its records as CSV when asked.
fn answer(
    s: &AppState,
    ctx: &Ctx,
    f: BoardQuery,
    counts: Vec<(String, usize, &'static str)>,
    sections: Vec<Section>,
) -> Response {
    if f.format == "csv" {
        return csv(ctx.lang, &sections);
    }
    let c = chrome(s, ctx, "nav.supervision", t(ctx.lang, "board.title"));
    let departments = s
        .engine
        .org()
        .file
        .departments
        .iter()
        .map(|(id, d)| (id.clone(), d.name.get(ctx.lang.tag()).to_owned()))
        .collect();
    let csv_href = f.href("csv");
    render(
        StatusCode::OK,
        &BoardPage {
            c,
            counts,
            sections,
            departments,
            f,
            csv_href,
        },
    )
}
