//! Workflow authoring for admins: the case types and their deployed versions, a diagram of the
//! state machine, the YAML in an editor with validation on demand (the same diagnostics as
//! `yimen validate`, each a link to its line), the scenarios, a diff between versions, and
//! deploying a new version (running cases keep theirs).
//!
//! An edit is checked as part of the whole workflows directory: the directory is copied, the
//! file replaced, and the copy loaded exactly as `serve` loads it. Deploying writes the file
//! back (atomically) and adds a version to the store; every node reloads its definitions when
//! it sees the store's versions change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use yimen_engine::load::{self, Bundle, LoadOptions};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::runtime::Definitions;
use yimen_engine::yaml::Limits;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, esc, render};
use crate::access::Access;
use crate::http::{AppState, Table};

/// The authoring routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/workflows", Admin, "Case types and versions", list)
        .add(Method::GET, "/admin/workflows/{id}", Admin, "A case type: versions, diagram, editor", show)
        .add(Method::POST, "/admin/workflows/{id}/check", Admin, "Validate, run scenarios or deploy", check)
        .add(Method::GET, "/admin/workflows/{id}/diff", Admin, "Diff between two versions", diff)
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
    let org = s.engine.org();
    let store = s.engine.store();
    let mut rows = Vec::new();
    for d in s.engine.definitions().all_current() {
        let versions = store.definition_versions(&d.def.id).await.map(|v| v.len()).unwrap_or(0);
        rows.push(Row {
            id: d.def.id.clone(),
            name: d.def.name.get(loc).to_owned(),
            department: org
                .file
                .departments
                .get(&d.def.department)
                .map_or_else(|| d.def.department.clone(), |x| x.name.get(loc).to_owned()),
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

/// A diagnostic as the page lists it.
pub struct DiagRow {
    file: String,
    line: u32,
    column: u32,
    severity: &'static str,
    code: &'static str,
    message: String,
    hint: String,
}

struct ScenarioRow {
    name: String,
    ok: bool,
    detail: String,
}

#[derive(Template)]
#[template(path = "workflow.html")]
struct ShowPage {
    c: Chrome,
    id: String,
    name: String,
    versions: Vec<VersionRow>,
    diagram: String,
    source: String,
    diagnostics: Vec<DiagRow>,
    scenarios: Vec<ScenarioRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Default)]
struct Outcome {
    diagnostics: Vec<DiagRow>,
    scenarios: Vec<ScenarioRow>,
    notice: Option<String>,
    error: Option<String>,
    status: Option<StatusCode>,
}

fn workflows_dir(s: &AppState) -> Option<&FsPath> {
    s.workflows.as_deref()
}

/// The file a case type is read from, under the workflows directory.
fn case_file(s: &AppState, id: &str) -> Option<PathBuf> {
    let b = s.bundle.as_ref()?;
    b.case_type(id).map(|c| c.file.clone())
}

async fn page(s: &AppState, ctx: &Ctx, id: &str, source: Option<String>, out: Outcome) -> Response {
    let loc = ctx.lang.tag();
    let Some(def) = s.engine.definitions().current(id) else {
        return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case_type"));
    };
    let store = s.engine.store();
    let counts: BTreeMap<i64, (i64, i64)> = store
        .cases_per_version(id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(v, o, c)| (v, (o, c)))
        .collect();
    let versions = store
        .definition_versions(id)
        .await
        .unwrap_or_default()
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
    let source = match source {
        Some(x) => x,
        None => match case_file(s, id) {
            Some(f) => std::fs::read_to_string(&f).unwrap_or_default(),
            None => store
                .definition_source(id, def.version)
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        },
    };
    let diagram = diagram(&def.def, loc);
    let c = chrome(s, ctx, "nav.workflows", def.def.name.get(loc).to_owned());
    render(
        out.status.unwrap_or(StatusCode::OK),
        &ShowPage {
            c,
            id: id.to_owned(),
            name: def.def.name.get(loc).to_owned(),
            versions,
            diagram,
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

fn copy_dir(from: &FsPath, to: &FsPath, depth: usize) -> std::io::Result<()> {
    if depth > 8 {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&entry.path(), &dest, depth + 1)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Loads the workflows directory with one file's text replaced, as `serve` would.
fn load_with(
    dir: &FsPath,
    file: &FsPath,
    source: &str,
) -> std::io::Result<(tempfile::TempDir, Bundle, yimen_engine::diag::Diagnostics)> {
    let tmp = tempfile::tempdir()?;
    copy_dir(dir, tmp.path(), 0)?;
    let rel = file.strip_prefix(dir).unwrap_or(file);
    std::fs::write(tmp.path().join(rel), source)?;
    let opts = LoadOptions {
        today: crate::cli::today_in_centre(),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(tmp.path(), &opts);
    Ok((tmp, bundle, diags))
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    source: String,
    #[serde(default, rename = "do")]
    what: String,
}

async fn check(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CheckForm>,
) -> Response {
    let lang = ctx.lang;
    let (Some(dir), Some(file)) = (workflows_dir(&s).map(FsPath::to_path_buf), case_file(&s, &id)) else {
        let out = Outcome {
            error: Some(t(lang, "wf.no_dir").to_owned()),
            status: Some(StatusCode::CONFLICT),
            ..Outcome::default()
        };
        return page(&s, &ctx, &id, Some(f.source), out).await;
    };
    let source = f.source.replace("\r\n", "\n");
    let loaded = {
        let (dir, file, source) = (dir.clone(), file.clone(), source.clone());
        tokio::task::spawn_blocking(move || load_with(&dir, &file, &source)).await
    };
    let (tmp, bundle, diags) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            tracing::error!("authoring: {e}");
            let out = Outcome {
                error: Some(t(lang, "wf.io").to_owned()),
                status: Some(StatusCode::INTERNAL_SERVER_ERROR),
                ..Outcome::default()
            };
            return page(&s, &ctx, &id, Some(source), out).await;
        }
        Err(_) => return super::error_page(StatusCode::INTERNAL_SERVER_ERROR, t(lang, "wf.io")),
    };
    let has_errors = diags.has_errors();
    let rel = file.strip_prefix(&dir).unwrap_or(&file).to_path_buf();
    let diagnostics: Vec<DiagRow> = diags
        .sorted()
        .into_iter()
        .map(|d| DiagRow {
            file: d.file.strip_prefix(tmp.path()).unwrap_or(&d.file).display().to_string(),
            line: d.line,
            column: d.column,
            severity: match d.severity {
                yimen_engine::diag::Severity::Error => "error",
                yimen_engine::diag::Severity::Warning => "warning",
            },
            code: d.code,
            message: d.message,
            hint: d.hint.unwrap_or_default(),
        })
        .filter(|d| d.severity == "error" || FsPath::new(&d.file) == rel)
        .collect();
    let mut out = Outcome {
        diagnostics,
        ..Outcome::default()
    };
    if has_errors {
        out.error = Some(t(lang, "wf.has_errors").to_owned());
        out.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        return page(&s, &ctx, &id, Some(source), out).await;
    }
    if bundle.case_type(&id).is_none() {
        out.error = Some(t(lang, "wf.id_changed").to_owned());
        out.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        return page(&s, &ctx, &id, Some(source), out).await;
    }
    match f.what.as_str() {
        "scenarios" | "deploy" => {
            let defs = match Definitions::from_bundle(&bundle, 1) {
                Ok(d) => d,
                Err(e) => {
                    out.error = Some(e);
                    out.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
                    return page(&s, &ctx, &id, Some(source), out).await;
                }
            };
            let mut failed = 0;
            for sc in bundle.scenarios.iter().filter(|sc| sc.value.case_type == id) {
                let r = yimen_engine::scenario::run(&bundle, &defs, sc);
                failed += usize::from(r.failure.is_some());
                out.scenarios.push(ScenarioRow {
                    name: r.name,
                    ok: r.failure.is_none(),
                    detail: r.failure.map(|x| x.to_string()).unwrap_or_default(),
                });
            }
            if failed > 0 {
                out.error = Some(format!("{} {failed}", t(lang, "wf.scenarios_failed")));
                out.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
                return page(&s, &ctx, &id, Some(source), out).await;
            }
            if f.what == "deploy" {
                return deploy(&s, &ctx, &id, &dir, &file, source, out).await;
            }
            out.notice = Some(format!("{} ({})", t(lang, "wf.scenarios_passed"), out.scenarios.len()));
        }
        _ => out.notice = Some(t(lang, "wf.valid").to_owned()),
    }
    page(&s, &ctx, &id, Some(source), out).await
}

async fn deploy(
    s: &AppState,
    ctx: &Ctx,
    id: &str,
    dir: &FsPath,
    file: &FsPath,
    source: String,
    mut out: Outcome,
) -> Response {
    let lang = ctx.lang;
    let admin = ctx.authed.as_ref().map(|a| a.actor.id.clone()).unwrap_or_default();
    // Write the file back atomically: a crash leaves the old or the new text, never half.
    let tmp_path = file.with_extension("yaml.deploying");
    let written = std::fs::write(&tmp_path, &source).and_then(|()| std::fs::rename(&tmp_path, file));
    if let Err(e) = written {
        tracing::error!("deploy: cannot write {}: {e}", file.display());
        out.error = Some(t(lang, "wf.io").to_owned());
        out.status = Some(StatusCode::INTERNAL_SERVER_ERROR);
        return page(s, ctx, id, Some(source), out).await;
    }
    let opts = LoadOptions {
        today: crate::cli::today_in_centre(),
        limits: Limits::default(),
    };
    let dir = dir.to_path_buf();
    let Ok((bundle, _)) = tokio::task::spawn_blocking(move || load::load_dir(&dir, &opts)).await else {
        return super::error_page(StatusCode::INTERNAL_SERVER_ERROR, t(lang, "wf.io"));
    };
    let now = s.engine.now().timestamp_millis();
    let store = s.engine.store();
    let deployed = match Definitions::deploy(store, &bundle, now).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("deploy: {e}");
            return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(lang, "error.store"));
        }
    };
    let (defs, created) = deployed;
    let version = defs.current(id).map(|d| d.version).unwrap_or_default();
    s.engine.replace_definitions(defs);
    let _ = store
        .audit(now, &admin, "workflow_deployed", id, &format!("v{version}"))
        .await;
    out.notice = Some(if created.iter().any(|c| c.starts_with(&format!("{id} "))) {
        format!("{} v{version}", t(lang, "wf.deployed_new"))
    } else {
        t(lang, "wf.unchanged").to_owned()
    });
    page(s, ctx, id, Some(source), out).await
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
    let store = s.engine.store();
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return super::error_page(StatusCode::BAD_REQUEST, t(ctx.lang, "wf.diff.which"));
    };
    let (a, b) = match (
        store.definition_source(&id, from).await,
        store.definition_source(&id, to).await,
    ) {
        (Ok(Some(a)), Ok(Some(b))) => (a, b),
        (Ok(_), Ok(_)) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "wf.diff.missing")),
        _ => return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(ctx.lang, "error.store")),
    };
    let d = similar::TextDiff::from_lines(&a, &b);
    let text = d
        .unified_diff()
        .context_radius(3)
        .header(&format!("v{from}"), &format!("v{to}"))
        .to_string();
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

/// The width of a label in pixels at 13 px (CJK characters are square, others about half).
fn text_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 7.5 } else { 13.5 }).sum()
}

/// The state machine as SVG: states in columns by their distance from the initial state,
/// terminal states outlined twice, one arrow per (from, to) pair labelled with its actions.
pub fn diagram(d: &CaseTypeFile, loc: &str) -> String {
    let states: Vec<&String> = d.states.keys().collect();
    let initial = d.states.iter().find(|(_, s)| s.initial).map(|(k, _)| k.clone());
    // Layers by breadth-first distance from the initial state; unreachable states last.
    let mut layer: BTreeMap<&str, usize> = BTreeMap::new();
    if let Some(i) = &initial {
        layer.insert(i.as_str(), 0);
        let mut frontier = vec![i.as_str()];
        let mut depth = 0;
        while !frontier.is_empty() && depth < states.len() {
            depth += 1;
            let mut next = Vec::new();
            for f in &frontier {
                for a in d.actions.values() {
                    if a.from.as_slice().iter().any(|x| x == f) && !layer.contains_key(a.to.as_str()) {
                        layer.insert(a.to.as_str(), depth);
                        next.push(a.to.as_str());
                    }
                }
            }
            frontier = next;
        }
    }
    let max_layer = layer.values().copied().max().unwrap_or(0);
    for s in &states {
        layer.entry(s.as_str()).or_insert(max_layer + 1);
    }
    let mut columns: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for s in &states {
        columns.entry(layer[s.as_str()]).or_default().push(s.as_str());
    }
    let label = |id: &str| {
        d.states
            .get(id)
            .map_or_else(|| id.to_owned(), |s| s.name.get(loc).to_owned())
    };
    let (box_h, gap_x, gap_y, pad) = (34.0, 170.0, 46.0, 24.0);
    let col_w: BTreeMap<usize, f64> = columns
        .iter()
        .map(|(c, ids)| {
            (
                *c,
                ids.iter().map(|i| text_width(&label(i)) + 24.0).fold(90.0, f64::max),
            )
        })
        .collect();
    let mut pos: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    let mut x = pad;
    let mut height: f64 = 0.0;
    for (c, ids) in &columns {
        let w = col_w[c];
        for (row, id) in ids.iter().enumerate() {
            let y = pad + row as f64 * (box_h + gap_y);
            pos.insert(id, (x, y, w));
            height = height.max(y + box_h);
        }
        x += w + gap_x;
    }
    let width = x - gap_x + pad;
    let height = height + pad + 24.0;
    // Edges: actions grouped by (from, to).
    let mut edges: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for a in d.actions.values() {
        for f in a.from.as_slice() {
            edges
                .entry((f.as_str(), a.to.as_str()))
                .or_default()
                .push(a.name.get(loc).to_owned());
        }
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" font-family=\"sans-serif\" font-size=\"13\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>"
    );
    for ((from, to), names) in &edges {
        let (Some(&(fx, fy, fw)), Some(&(tx, ty, tw))) = (pos.get(from), pos.get(to)) else {
            continue;
        };
        let text = esc(&names.join(" / "));
        if from == to {
            let (cx, cy) = (fx + fw / 2.0, fy);
            let _ = write!(
                svg,
                "<path d=\"M {:.1} {cy:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {cy:.1}\" fill=\"none\" stroke=\"#888\" marker-end=\"url(#arrow)\"/><text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\" font-size=\"11\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{text}</text>",
                cx - 12.0,
                cx - 24.0,
                cy - 24.0,
                cx + 24.0,
                cy - 24.0,
                cx + 12.0,
                cy - 26.0
            );
            continue;
        }
        let (x1, y1) = if tx > fx {
            (fx + fw, fy + box_h / 2.0)
        } else {
            (fx, fy + box_h / 2.0)
        };
        let (x2, y2) = if tx > fx {
            (tx, ty + box_h / 2.0)
        } else {
            (tx + tw, ty + box_h / 2.0)
        };
        let back = tx <= fx;
        let f = if back { 0.5 } else { 0.45 };
        let (mx, my) = (x1 + (x2 - x1) * f, y1 + (y2 - y1) * f + if back { 18.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<path d=\"M {x1:.1} {y1:.1} Q {mx:.1} {:.1} {x2:.1} {y2:.1}\" fill=\"none\" stroke=\"{}\" stroke-dasharray=\"{}\" marker-end=\"url(#arrow)\"/><text x=\"{mx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\" font-size=\"11\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\">{text}</text>",
            my + if back { 20.0 } else { 0.0 },
            if back { "#b55" } else { "#777" },
            if back { "4 3" } else { "none" },
            my - 4.0
        );
    }
    for id in &states {
        let (x, y, w) = pos[id.as_str()];
        let st = &d.states[id.as_str()];
        let fill = if st.initial {
            "#e6f0ff"
        } else if st.terminal.is_some() {
            "#eef7ee"
        } else {
            "#fff"
        };
        let _ = write!(
            svg,
            "<g><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{box_h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#345\" stroke-width=\"{}\"/>",
            esc(id),
            if st.terminal.is_some() { 2.5 } else { 1.2 }
        );
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#123\">{}</text></g>",
            x + w / 2.0,
            y + box_h / 2.0 + 4.5,
            esc(&label(id))
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_draws_every_state_and_escapes_names() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../workflows/cases/labour_dispute.yaml"
        ))
        .expect("read");
        let d = yimen_engine::load::parse_case_type(&text).expect("parses");
        let svg = diagram(&d, "zh-CN");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for (id, st) in &d.states {
            assert!(svg.contains(&format!("<title>{id}</title>")), "{id}");
            assert!(svg.contains(st.name.get("zh-CN")), "{id}");
        }
        assert_eq!(svg.matches("<rect").count(), d.states.len());
        assert!(!svg.contains("<script"));
    }
}
