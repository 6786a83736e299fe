//! Workflow authoring pages for admins: the case types and their deployed versions, a diagram
//! of the state machine, the YAML in an editor with validation on demand (each diagnostic a link
//! to its line), the scenarios, a diff between versions, and deploying a new version (running
//! cases keep theirs). The work is done by `yimen_service::authoring`, which the API shares.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render};
use yimen_http::{AppState, Table};
use yimen_service::access::Access;
use yimen_service::authoring::{self, Diagnostic, Refused, Report, ScenarioOutcome};

/// The authoring routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/workflows", Admin, "Case types and versions", list)
        .add(Method::GET, "/admin/workflows/{id}", Admin, "A case type: versions, diagram, editor", show)
        .add(Method::POST, "/admin/workflows/{id}/check", Admin, "Validate, run scenarios or deploy", check)
        .add(Method::GET, "/admin/workflows/{id}/diff", Admin, "Diff between two versions", diff)
        .add(Method::POST, "/admin/workflows/{id}/rollback", Admin, "Make an earlier version current again", rollback)
}

struct Row {
    id: String,
    name: String,
    department: String,
    current: i64,
    versions: usize,
}

#[derive(Template)]
#[template(path = "workflows.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

async fn list(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let loc = ctx.lang.tag();
    let store = s.engine.store();
    let mut rows = Vec::new();
    for d in s.engine.definitions().all_current() {
        let versions = match store.definition_versions(&d.def.id).await {
            Ok(v) => v.len(),
            Err(e) => return super::store_down(ctx.lang, e),
        };
        rows.push(Row {
            id: d.def.id.clone(),
            name: d.def.name.get(loc).to_owned(),
            department: super::department_name(&s, &d.def.department, loc),
            current: d.version,
            versions,
        });
    }
    let c = chrome(&s, &ctx, "nav.workflows", t(ctx.lang, "wf.title"));
    render(StatusCode::OK, &ListPage { c, rows })
}

struct VersionRow {
    version: i64,
    deployed: String,
    open: i64,
    closed: i64,
    current: bool,
}

#[derive(Template)]
#[template(path = "workflow.html")]
struct ShowPage {
    c: Chrome,
    id: String,
    name: String,
    versions: Vec<VersionRow>,
    diagram: String,
    /// The diagram in words: (from, action, to).
    moves: Vec<(String, String, String)>,
    /// Whether the diagram draws the text being edited rather than the deployed version.
    diagram_of_edit: bool,
    source: String,
    diagnostics: Vec<Diagnostic>,
    scenarios: Vec<ScenarioOutcome>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct Outcome {
    diagnostics: Vec<Diagnostic>,
    scenarios: Vec<ScenarioOutcome>,
    notice: Option<String>,
    error: Option<String>,
    status: Option<StatusCode>,
}

async fn page(s: &AppState, ctx: &Ctx, id: &str, source: Option<String>, out: Outcome) -> Response {
    let loc = ctx.lang.tag();
    let Some(def) = s.engine.definitions().current(id) else {
        return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case_type"));
    };
    let store = s.engine.store();
    let (counts, versions) = match (store.cases_per_version(id).await, store.definition_versions(id).await) {
        (Ok(c), Ok(v)) => (c, v),
        (Err(e), _) | (_, Err(e)) => return super::store_down(ctx.lang, e),
    };
    let counts: BTreeMap<i64, (i64, i64)> = counts.into_iter().map(|(v, o, c)| (v, (o, c))).collect();
    let versions = versions
        .into_iter()
        .map(|(v, at)| {
            let (open, closed) = counts.get(&v).copied().unwrap_or((0, 0));
            VersionRow {
                version: v,
                deployed: super::local_ms(s, at),
                open,
                closed,
                current: v == def.version,
            }
        })
        .collect();
    // The text being edited, when it was sent and reads as a case type, is what the diagram
    // draws (the deployed version otherwise).
    let edited = source
        .as_deref()
        .and_then(|x| yimen_engine::load::parse_case_type(x).ok())
        .filter(|d| d.id == id);
    let source = match source {
        Some(x) => x,
        None => match authoring::source(s, id).await {
            Ok(x) => x,
            Err(r) => {
                let out = refused(ctx.lang, r);
                return super::error_page(
                    out.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    out.error.as_deref().unwrap_or_default(),
                );
            }
        },
    };
    let drawn = edited.as_ref().unwrap_or(&def.def);
    let diagram = authoring::diagram(drawn, loc);
    let moves = authoring::moves(drawn, loc);
    let diagram_of_edit = edited.as_ref().is_some_and(|e| *e != def.def);
    let c = chrome(s, ctx, "nav.workflows", def.def.name.get(loc).to_owned());
    render(
        out.status.unwrap_or(StatusCode::OK),
        &ShowPage {
            c,
            id: id.to_owned(),
            name: def.def.name.get(loc).to_owned(),
            versions,
            diagram,
            moves,
            diagram_of_edit,
            source,
            diagnostics: out.diagnostics,
            scenarios: out.scenarios,
            notice: out.notice,
            error: out.error,
        },
    )
}

async fn show(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    page(&s, &ctx, &id, None, Outcome::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    source: String,
    #[serde(default, rename = "do")]
    what: String,
}

/// The page after a refused check or deploy: the reason, and the report when there is one.
fn refused(lang: super::Lang, r: Refused) -> Outcome {
    let (key, status, report) = match r {
        Refused::NoDirectory => ("wf.no_dir", StatusCode::CONFLICT, None),
        Refused::UnknownCaseType => ("error.no_case_type", StatusCode::NOT_FOUND, None),
        Refused::Io(e) => {
            tracing::error!("authoring: {e}");
            ("wf.io", StatusCode::INTERNAL_SERVER_ERROR, None)
        }
        Refused::Store(e) => {
            tracing::error!("authoring: {e}");
            ("error.store", StatusCode::SERVICE_UNAVAILABLE, None)
        }
        Refused::Invalid(r) => ("wf.has_errors", StatusCode::UNPROCESSABLE_ENTITY, Some(r)),
        Refused::IdChanged(r) => ("wf.id_changed", StatusCode::UNPROCESSABLE_ENTITY, Some(r)),
        Refused::ScenariosFailed(r) => ("wf.scenarios_failed", StatusCode::UNPROCESSABLE_ENTITY, Some(r)),
    };
    let report = report.unwrap_or_default();
    Outcome {
        diagnostics: report.diagnostics,
        scenarios: report.scenarios,
        notice: None,
        error: Some(t(lang, key).to_owned()),
        status: Some(status),
    }
}

fn with_report(report: Report, notice: String) -> Outcome {
    Outcome {
        diagnostics: report.diagnostics,
        scenarios: report.scenarios,
        notice: Some(notice),
        error: None,
        status: None,
    }
}

async fn check(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CheckForm>,
) -> Response {
    let lang = ctx.lang;
    let source = f.source.replace("\r\n", "\n");
    let out = match f.what.as_str() {
        "deploy" => {
            let who = ctx.authed.as_ref().map(|a| a.actor.id.clone()).unwrap_or_default();
            match authoring::deploy(&s, &id, &source, &who).await {
                Ok(d) => {
                    let notice = if d.created {
                        format!("{} v{}", t(lang, "wf.deployed_new"), d.version)
                    } else {
                        t(lang, "wf.unchanged").to_owned()
                    };
                    with_report(d.report, notice)
                }
                Err(r) => refused(lang, r),
            }
        }
        what => match authoring::check(&s, &id, &source, what == "scenarios").await {
            Ok((report, _)) if what == "scenarios" => {
                let n = report.scenarios.len();
                with_report(report, format!("{} ({n})", t(lang, "wf.scenarios_passed")))
            }
            Ok((report, _)) => with_report(report, t(lang, "wf.valid").to_owned()),
            Err(r) => refused(lang, r),
        },
    };
    page(&s, &ctx, &id, Some(source), out).await
}

#[derive(Debug, Deserialize)]
pub struct RollbackForm {
    version: i64,
}

/// Makes an earlier version current again: its text is checked, its scenarios run, the file is
/// written back and deployed as any edit is (the same text gets its own version number back);
/// running cases keep theirs.
async fn rollback(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RollbackForm>,
) -> Response {
    let lang = ctx.lang;
    let source = match s.engine.store().definition_source(&id, f.version).await {
        Ok(Some(src)) => src,
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(lang, "wf.diff.missing")),
        Err(e) => return super::store_down(lang, e),
    };
    let who = ctx.authed.as_ref().map(|a| a.actor.id.clone()).unwrap_or_default();
    let out = match authoring::deploy(&s, &id, &source, &who).await {
        Ok(d) => {
            let notice = t(lang, "wf.rolled_back").replace("{version}", &d.version.to_string());
            with_report(d.report, notice)
        }
        Err(r) => refused(lang, r),
    };
    page(&s, &ctx, &id, Some(source), out).await
}

#[derive(Template)]
#[template(path = "diff.html")]
struct DiffPage {
    c: Chrome,
    id: String,
    from: i64,
    to: i64,
    lines: Vec<(&'static str, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

async fn diff(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return super::error_page(StatusCode::BAD_REQUEST, t(ctx.lang, "wf.diff.which"));
    };
    let text = match authoring::diff(&s, &id, from, to).await {
        Ok(Some(t)) => t,
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "wf.diff.missing")),
        Err(e) => return super::store_down(ctx.lang, format!("{e:?}")),
    };
    let lines = text
        .lines()
        .map(|l| {
            let cls = if l.starts_with("@@") {
                "hunk"
            } else if l.starts_with('+') {
                "add"
            } else if l.starts_with('-') {
                "del"
            } else {
                "ctx"
            };
            (cls, l.to_owned())
        })
        .collect();
    let c = chrome(&s, &ctx, "nav.workflows", format!("{id} v{from} → v{to}"));
    render(StatusCode::OK, &DiffPage { c, id, from, to, lines })
}
