//! Work between people: the queue of tasks that reach nobody, a department's work by person,
//! and the same command on many tasks at once (claim, give, send back).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use yimen_service::team::{Filter, department_for, queue_of};

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

/// `GET /api/v1/tasks/unstaffed`: the open tasks that reach nobody, for the department's heads
/// (theirs) and the dispatching clerks and admins (every department's, or `?department=`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnstaffedQuery {
    department: Option<String>,
}

pub async fn unstaffed(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    q: Result<Query<UnstaffedQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let org = s.engine.org();
    let Some(queue) = queue_of(org, &actor) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_department_head",
            "only the department's heads, the dispatching clerks and admins see the unstaffed queue",
        ));
    };
    let department = match (queue.department(), q.department.as_deref().filter(|d| !d.is_empty())) {
        (Some(own), _) => Some(own.to_owned()),
        (None, Some(d)) => Some(department_for(org, &actor, Some(d))?),
        (None, None) => None,
    };
    let tasks = s.engine.store().unstaffed_tasks(department.as_deref(), 500).await?;
    Ok(Json(json!({ "department": department, "tasks": tasks })))
}

/// `GET /api/v1/team`: a department's work by person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamQuery {
    department: Option<String>,
    holder: Option<String>,
    overdue: Option<bool>,
    limit: Option<i64>,
}

pub async fn team(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    q: Result<Query<TeamQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "`limit` is from 1 to 500",
        ));
    }
    let department = department_for(s.engine.org(), &actor, q.department.as_deref())?;
    let f = Filter {
        holder: q.holder.unwrap_or_default(),
        overdue: q.overdue.unwrap_or(false),
        limit,
    };
    Ok(Json(yimen_service::team::team(&s.engine, &department, &f).await?))
}

/// `POST /api/v1/tasks/bulk`: one command on many tasks; each is taken or refused on its own.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// `claim`, `reassign` (to `to_user`, with a `reason`) or `release` (back to the pool).
    pub op: String,
    /// The tasks (1–100).
    pub tasks: Vec<String>,
    /// For `reassign`: the person.
    #[serde(default)]
    pub to_user: Option<String>,
    /// For `reassign`, and for `release` of someone else's task: why.
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn bulk(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<BulkBody>,
) -> Result<impl IntoResponse, ApiError> {
    let b = body.value;
    let bulk = yimen_service::team::Bulk {
        op: b.op,
        tasks: b.tasks,
        to_user: b.to_user,
        reason: b.reason,
    };
    let done = yimen_service::team::bulk(&s, &actor, &bulk).await?;
    let taken = done.iter().filter(|(_, r)| r.is_ok()).count();
    let results: Vec<Value> = done
        .iter()
        .map(|(task, r)| match r {
            Ok(()) => json!({ "task": task, "ok": true }),
            Err(e) => json!({ "task": task, "ok": false, "code": e.code(), "detail": e.detail() }),
        })
        .collect();
    Ok(Json(
        json!({ "taken": taken, "refused": done.len() - taken, "results": results }),
    ))
}
