//! Workflow authoring as a service, for the pages and the API alike: check an edited case type
//! as part of the whole workflows directory (the same diagnostics as `yimen validate`), run its
//! scenarios, deploy it as a new version, diff two versions, draw its state machine.
//!
//! An edit is checked by copying the workflows directory, replacing the file and loading the
//! copy exactly as `serve` loads it. Deploying writes the file back atomically and adds a
//! version to the store; this node swaps its definitions at once and every other node reloads
//! when it sees the store's versions change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use yimen_engine::load::{self, Bundle, LoadOptions};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::runtime::Definitions;
use yimen_engine::yaml::Limits;

use crate::esc;
use crate::state::AppState;

/// A problem found in the workflows.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// The file, relative to the workflows directory.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The stable code (docs/diagnostics.md).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// A scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioOutcome {
    /// Its name.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// The step that failed and why.
    pub detail: String,
}

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every error in the workflows and the warnings of this file.
    pub diagnostics: Vec<Diagnostic>,
    /// The case type's scenarios, when they were run.
    pub scenarios: Vec<ScenarioOutcome>,
}

/// Why a check or deploy did not go through.
#[derive(Debug)]
pub enum Refused {
    /// This node has no workflows directory to edit.
    NoDirectory,
    /// The case type is not deployed.
    UnknownCaseType,
    /// The files could not be read or written.
    Io(String),
    /// The workflows have errors (with the report).
    Invalid(Report),
    /// The file's `id` is not this case type's.
    IdChanged(Report),
    /// Scenarios failed (with the report).
    ScenariosFailed(Report),
    /// The store failed.
    Store(String),
}

/// What a deploy did.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    /// The checks that passed.
    pub report: Report,
    /// The version new cases now start on.
    pub version: i64,
    /// Whether that version is new (false when the text did not change).
    pub created: bool,
}

fn copy_dir(from: &Path, to: &Path, depth: usize) -> std::io::Result<()> {
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

fn options(today: chrono::NaiveDate) -> LoadOptions {
    LoadOptions {
        today: today.into(),
        limits: Limits::default(),
    }
}

/// The workflows directory and the file a case type is read from.
fn location(s: &AppState, id: &str) -> Result<(PathBuf, PathBuf), Refused> {
    let dir = s.workflows.clone().ok_or(Refused::NoDirectory)?;
    let file = s
        .bundle
        .as_ref()
        .and_then(|b| b.case_type(id).map(|c| c.file.clone()))
        .ok_or(Refused::UnknownCaseType)?;
    Ok((dir, file))
}

/// The case type's text as it is on disk (else as last deployed).
pub async fn source(s: &AppState, id: &str) -> Result<String, Refused> {
    if let Ok((_, file)) = location(s, id)
        && let Ok(text) = std::fs::read_to_string(file)
    {
        return Ok(text);
    }
    let def = s.engine.definitions().current(id).ok_or(Refused::UnknownCaseType)?;
    s.engine
        .store()
        .definition_source(id, def.version)
        .await
        .map_err(|e| Refused::Store(e.to_string()))?
        .ok_or(Refused::UnknownCaseType)
}

/// Checks `source` as case type `id` within the workflows directory; runs its scenarios when
/// asked. Errors refuse; the report says why.
pub async fn check(s: &AppState, id: &str, source: &str, scenarios: bool) -> Result<(Report, Bundle), Refused> {
    let (dir, file) = location(s, id)?;
    let source = source.replace("\r\n", "\n");
    let (d2, f2) = (dir.clone(), file.clone());
    let today = s.today();
    let loaded = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let tmp = tempfile::tempdir()?;
        copy_dir(&d2, tmp.path(), 0)?;
        let rel = f2.strip_prefix(&d2).unwrap_or(&f2);
        std::fs::write(tmp.path().join(rel), &source)?;
        let (bundle, diags) = load::load_dir(tmp.path(), &options(today));
        Ok((tmp, bundle, diags))
    })
    .await
    .map_err(|e| Refused::Io(e.to_string()))?
    .map_err(|e| Refused::Io(e.to_string()))?;
    let (tmp, bundle, diags) = loaded;
    let has_errors = diags.has_errors();
    let rel = file.strip_prefix(&dir).unwrap_or(&file).to_path_buf();
    let diagnostics: Vec<Diagnostic> = diags
        .sorted()
        .into_iter()
        .map(|d| Diagnostic {
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
        .filter(|d| d.severity == "error" || Path::new(&d.file) == rel)
        .collect();
    let mut report = Report {
        diagnostics,
        scenarios: Vec::new(),
    };
    if has_errors {
        return Err(Refused::Invalid(report));
    }
    if bundle.case_type(id).is_none() {
        return Err(Refused::IdChanged(report));
    }
    if scenarios {
        let defs = Definitions::from_bundle(&bundle, 1).map_err(|e| {
            report.diagnostics.push(Diagnostic {
                file: rel.display().to_string(),
                line: 1,
                column: 1,
                severity: "error",
                code: "Y0000",
                message: e.to_string(),
                hint: String::new(),
            });
            Refused::Invalid(report.clone())
        })?;
        for sc in bundle.scenarios.iter().filter(|sc| sc.value.case_type == id) {
            let r = yimen_engine::scenario::run(&bundle, &defs, sc);
            report.scenarios.push(ScenarioOutcome {
                name: r.name,
                ok: r.failure.is_none(),
                detail: r.failure.map(|x| x.to_string()).unwrap_or_default(),
            });
        }
        if report.scenarios.iter().any(|x| !x.ok) {
            return Err(Refused::ScenariosFailed(report));
        }
    }
    Ok((report, bundle))
}

/// Checks and runs the scenarios, then writes the file back and deploys: a new version when the
/// text changed. Running cases keep their versions.
pub async fn deploy(s: &AppState, id: &str, source: &str, who: &str) -> Result<Deployed, Refused> {
    let (report, _) = check(s, id, source, true).await?;
    let (dir, file) = location(s, id)?;
    let source = source.replace("\r\n", "\n");
    // Write the file back atomically: a crash leaves the old or the new text, never half.
    let tmp_path = file.with_extension("yaml.deploying");
    std::fs::write(&tmp_path, &source)
        .and_then(|()| std::fs::rename(&tmp_path, &file))
        .map_err(|e| Refused::Io(format!("cannot write {}: {e}", file.display())))?;
    let today = s.today();
    let (bundle, _) = tokio::task::spawn_blocking(move || load::load_dir(&dir, &options(today)))
        .await
        .map_err(|e| Refused::Io(e.to_string()))?;
    let now = s.engine.now().timestamp_millis();
    let store = s.engine.store();
    let (defs, created) = yimen_engine::runtime::definitions::deploy(store, &bundle, now)
        .await
        .map_err(|e| Refused::Store(e.to_string()))?;
    let version = defs.current(id).map(|d| d.version).unwrap_or_default();
    s.engine.replace_definitions(defs);
    let created = created.iter().any(|c| c.starts_with(&format!("{id} ")));
    store
        .audit(now, who, "workflow_deployed", id, &format!("v{version}"))
        .await
        .map_err(|e| Refused::Store(e.to_string()))?;
    Ok(Deployed {
        report,
        version,
        created,
    })
}

/// A unified diff of two deployed versions.
pub async fn diff(s: &AppState, id: &str, from: i64, to: i64) -> Result<Option<String>, Refused> {
    let store = s.engine.store();
    let a = store
        .definition_source(id, from)
        .await
        .map_err(|e| Refused::Store(e.to_string()))?;
    let b = store
        .definition_source(id, to)
        .await
        .map_err(|e| Refused::Store(e.to_string()))?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(
            similar::TextDiff::from_lines(&a, &b)
                .unified_diff()
                .context_radius(3)
                .header(&format!("v{from}"), &format!("v{to}"))
                .to_string(),
        ),
        _ => None,
    })
}

/// The width of a label in pixels at 13 px (CJK characters are square, others about half).
fn text_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 7.5 } else { 13.5 }).sum()
}

/// Each state's column: its breadth-first distance from the initial state; unreachable states
/// after the last.
fn layers(d: &CaseTypeFile) -> BTreeMap<&str, usize> {
    let states: Vec<&String> = d.states.keys().collect();
    let initial = d.states.iter().find(|(_, s)| s.initial).map(|(k, _)| k);
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
    layer
}

/// The diagram's text alternative: every move, as (from, action, to) in names.
pub fn moves(d: &CaseTypeFile, loc: &str) -> Vec<(String, String, String)> {
    let name = |id: &str| {
        d.states
            .get(id)
            .map_or_else(|| id.to_owned(), |s| s.name.get(loc).to_owned())
    };
    let mut out = Vec::new();
    for a in d.actions.values() {
        for f in a.from.as_slice() {
            out.push((name(f), a.name.get(loc).to_owned(), name(&a.to)));
        }
    }
    out
}

/// The state machine as SVG: states in columns by their distance from the initial state,
/// terminal states outlined thicker, one arrow per (from, to) pair labelled with its actions;
/// arrows going back are dashed and red.
pub fn diagram(d: &CaseTypeFile, loc: &str) -> String {
    let states: Vec<&String> = d.states.keys().collect();
    let layer = layers(d);
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
    let mut edges: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for a in d.actions.values() {
        for f in a.from.as_slice() {
            edges
                .entry((f.as_str(), a.to.as_str()))
                .or_default()
                .push(a.name.get(loc).to_owned());
        }
    }
    let halo = "paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\"";
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" aria-hidden=\"true\" focusable=\"false\" font-family=\"sans-serif\" font-size=\"13\">\
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
                "<path d=\"M {:.1} {cy:.1} C {:.1} {:.1}, {:.1} {:.1}, {:.1} {cy:.1}\" fill=\"none\" stroke=\"#888\" marker-end=\"url(#arrow)\"/><text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\" font-size=\"11\" {halo}>{text}</text>",
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
        let back = tx <= fx;
        let (x1, y1) = if back {
            (fx, fy + box_h / 2.0)
        } else {
            (fx + fw, fy + box_h / 2.0)
        };
        let (x2, y2) = if back {
            (tx + tw, ty + box_h / 2.0)
        } else {
            (tx, ty + box_h / 2.0)
        };
        let f = if back { 0.5 } else { 0.45 };
        let (mx, my) = (x1 + (x2 - x1) * f, y1 + (y2 - y1) * f + if back { 18.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<path d=\"M {x1:.1} {y1:.1} Q {mx:.1} {:.1} {x2:.1} {y2:.1}\" fill=\"none\" stroke=\"{}\" stroke-dasharray=\"{}\" marker-end=\"url(#arrow)\"/><text x=\"{mx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\" font-size=\"11\" {halo}>{text}</text>",
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
            "<g data-state=\"{}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{box_h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#345\" stroke-width=\"{}\"/>",
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
            "/../../workflows/cases/labour_dispute.yaml"
        ))
        .expect("read");
        let d = yimen_engine::load::parse_case_type(&text).expect("parses");
        let svg = diagram(&d, "zh-CN");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for (id, st) in &d.states {
            assert!(svg.contains(&format!("data-state=\"{id}\"")), "{id}");
            assert!(svg.contains(st.name.get("zh-CN")), "{id}");
        }
        assert_eq!(svg.matches("<rect").count(), d.states.len());
        assert!(!svg.contains("<script"));
    }
}
