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
    name: String,
    period: String,
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
    match s.engine.store().report(&job, &period).await {
        Ok(Some(_)) => {}
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "reports.missing")),
        Err(e) => {
            tracing::error!("report: {e}");
            return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(ctx.lang, "error.store"));
        }
    }
    let name = job_name(&s, &job, ctx.lang.tag());
    let c = chrome(&s, &ctx, "nav.reports", format!("{name} {period}"));
    render(StatusCode::OK, &ShowPage { c, job, name, period })
}
