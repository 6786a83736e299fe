//! Periodic supervision over HTTP: the job ledger, running a job by hand, and the stored
//! reports (data, HTML, CSV).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use yimen_engine::core::Actor;
use yimen_engine::reports::Period;
use yimen_engine::runtime::EngineError;
use yimen_engine::runtime::scheduler::JobError;
use yimen_engine::store::jobs::Saved;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

/// Supervisors, department heads and admins read reports.
fn may_read(s: &AppState, actor: &Actor) -> Result<(), ApiError> {
    let org = s.engine.org();
    if org.is_admin(&actor.roles)
        || org.supervision_level(&actor.roles) > 0
        || actor.roles.iter().any(|r| r == "department_head")
    {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            "reports are for supervisors, department heads and admins",
        ))
    }
}

fn scheduler(s: &AppState) -> Result<&yimen_engine::runtime::scheduler::Scheduler, ApiError> {
    s.scheduler.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_schedules",
            "the workflows declare no periodic jobs",
        )
    })
}

/// `GET /api/v1/jobs`: the jobs and the ledger of their runs (newest first).
pub async fn jobs(State(s): State<Arc<AppState>>, User(actor): User) -> Result<impl IntoResponse, ApiError> {
    may_read(&s, &actor)?;
    let runs = s.engine.store().job_runs(500).await.map_err(EngineError::from)?;
    let sc = scheduler(&s)?;
    let now = s.engine.now();
    let jobs: Vec<_> = sc
        .runnable()
        .map(|(id, j)| {
            json!({"id": id, "name": j.name.get("zh-CN"), "kind": j.kind.as_str(), "cron": j.cron,
                   "next_run": sc.next_run(id, now).map(|t| t.timestamp_millis())})
        })
        .collect();
    Ok(Json(json!({ "jobs": jobs, "runs": runs })))
}

/// `POST /api/v1/jobs/{job}/run`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// A month `2026-11`, an ISO week `2026-W47` or a year `2026`.
    #[schemars(regex(pattern = r"^[0-9]{4}(-[0-9]{2}|-W[0-9]{2})?$"))]
    period: String,
    /// Also email the report to the job's distribution list (once per period).
    #[serde(default)]
    notify: bool,
}

/// Runs a job by hand for a period (admins only); says whether the figures changed.
pub async fn run(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(job): Path<String>,
    body: Body<RunBody>,
) -> Result<impl IntoResponse, ApiError> {
    if !s.engine.org().is_admin(&actor.roles) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            "only admins run jobs by hand",
        ));
    }
    let period = Period::parse(&body.value.period)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_period", e.to_string()))?;
    let (saved, sha) = scheduler(&s)?.run_by_hand(&job, period).await.map_err(|e| match e {
        JobError::UnknownJob(_) => ApiError::new(StatusCode::NOT_FOUND, "unknown_job", e.to_string()),
        JobError::NotRunnable(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_runnable", e.to_string()),
        JobError::Review(m) => ApiError::new(StatusCode::CONFLICT, "review_failed", m),
        JobError::Store(e) => EngineError::from(e).into(),
    })?;
    if body.value.notify {
        scheduler(&s)?.announce(&job, period).await.map_err(EngineError::from)?;
    }
    let result = match saved {
        Saved::New => "new",
        Saved::Unchanged => "unchanged",
        Saved::Changed => "changed",
    };
    Ok(Json(
        json!({"job": job, "period": period.id(), "result": result, "sha256": sha}),
    ))
}

async fn stored(s: &AppState, job: &str, period: &str) -> Result<(String, String, String), ApiError> {
    s.engine
        .store()
        .report(job, period)
        .await
        .map_err(EngineError::from)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "report_not_found",
                format!("there is no report of `{job}` for `{period}`"),
            )
        })
}

/// `GET /api/v1/reports/{job}/{period}`: the report's figures as JSON.
pub async fn data(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((job, period)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    may_read(&s, &actor)?;
    let (data, _, _) = stored(&s, &job, &period).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], data))
}

/// `GET /api/v1/reports/{job}/{period}/html`.
pub async fn html(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((job, period)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    may_read(&s, &actor)?;
    let (_, html, _) = stored(&s, &job, &period).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html))
}

/// `GET /api/v1/reports/{job}/{period}/csv`.
pub async fn csv(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((job, period)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    may_read(&s, &actor)?;
    let (_, _, csv) = stored(&s, &job, &period).await?;
    let name = format!("attachment; filename=\"{job}-{period}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        csv,
    ))
}
