//! Reports: the stored bulletins, spot-checks and assessments, each shown as the report's own
//! self-contained page (SVG charts, no script) and downloadable as HTML and CSV.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render};
use yimen_http::AppState;

struct Row {
    job: String,
    name: String,
    period: String,
    made: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ShowPage {
    c: Chrome,
    job: String,
    period: String,
    /// The report itself, drawn in the reader's language (its body's markup).
    body: String,
}

fn job_name(s: &AppState, job: &str, loc: &str) -> String {
    s.scheduler
        .as_ref()
        .and_then(|sc| {
            sc.runnable()
                .find(|(id, _)| id.as_str() == job)
                .map(|(_, j)| j.name.get(loc).to_owned())
        })
        .unwrap_or_else(|| job.to_owned())
}

pub async fn list(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let loc = ctx.lang.tag();
    let rows = match s.engine.store().report_list(500).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("reports: {e}");
            return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(ctx.lang, "error.store"));
        }
    };
    let rows = rows
        .into_iter()
        .map(|(job, period, _, made)| Row {
            name: job_name(&s, &job, loc),
            job,
            period,
            made: super::local_ms(&s, made),
        })
        .collect();
    let c = chrome(&s, &ctx, "nav.reports", t(ctx.lang, "reports.title"));
    render(StatusCode::OK, &ListPage { c, rows })
}

pub async fn show(State(s): State<Arc<AppState>>, ctx: Ctx, Path((job, period)): Path<(String, String)>) -> Response {
    let (data, stored_html) = match s.engine.store().report(&job, &period).await {
        Ok(Some((data, html, _))) => (data, html),
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "reports.missing")),
        Err(e) => {
            tracing::error!("report: {e}");
            return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(ctx.lang, "error.store"));
        }
    };
    let loc = ctx.lang.tag();
    // Drawn again from its figures in the reader's language, naming what it names in it; the
    // stored page (the centre's language) when the job is gone from the schedules.
    let kind = s.scheduler.as_ref().and_then(|sc| {
        sc.runnable()
            .find(|(id, _)| id.as_str() == job)
            .map(|(_, j)| j.kind.as_str())
    });
    let names = |what: yimen_reports::Named, id: &str| named(&s, what, id, loc);
    let html = kind
        .and_then(|k| yimen_reports::render(loc, k, &data, &names))
        .map_or(stored_html, |r| r.html);
    let name = job_name(&s, &job, loc);
    let c = chrome(&s, &ctx, "nav.reports", format!("{name} {period}"));
    let body = body_of(&html).to_owned();
    render(StatusCode::OK, &ShowPage { c, job, period, body })
}

/// The name in `loc` of what a report names by id.
fn named(s: &AppState, what: yimen_reports::Named, id: &str, loc: &str) -> Option<String> {
    use yimen_reports::Named;
    let org = &s.engine.org().file;
    match what {
        Named::Centre => Some(org.centre.name.get(loc).to_owned()),
        Named::Department => org.departments.get(id).map(|d| d.name.get(loc).to_owned()),
        Named::Tier => org
            .tiers
            .iter()
            .find(|(k, _)| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .as_deref()
                    == Some(id)
            })
            .map(|(_, n)| n.get(loc).to_owned()),
        Named::CaseType => s
            .engine
            .definitions()
            .current(id)
            .map(|c| c.def.name.get(loc).to_owned()),
    }
}

/// The markup between a report page's `<body>` and `</body>` (its own headings, tables and
/// charts), to stand inside the site's page.
fn body_of(html: &str) -> &str {
    let start = html.find("<body>").map_or(0, |i| i + "<body>".len());
    let end = html.rfind("</body>").unwrap_or(html.len());
    html.get(start..end.max(start)).unwrap_or_default()
}
