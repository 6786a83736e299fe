//! Inbox routes: the acting user's tasks; claim, release, reassign and complete a task.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use yimen_engine::core::Command;
use yimen_engine::store::InboxFilter;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

/// Query of `GET /api/v1/inbox`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    state: Option<String>,
    case_type: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

pub async fn inbox(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    q: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    if let Some(st) = &q.state
        && st != "open"
        && st != "claimed"
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "`state` is `open` or `claimed`",
        ));
    }
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "`per_page` is from 1 to 200",
        ));
    }
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "`page` starts at 1",
        ));
    }
    let filter = InboxFilter {
        user: actor.id.to_string(),
        department: actor.department.clone(),
        roles: actor.roles.clone(),
        unit: actor.unit.clone(),
        stands_in_for: actor.stands_in_for.iter().map(ToString::to_string).collect(),
        state: q.state,
        case_type: q.case_type,
        search: q
            .q
            .map(|x| x.trim().chars().take(100).collect::<String>())
            .filter(|x| !x.is_empty()),
        limit: per_page,
        offset: (page - 1) * per_page,
    };
    let items = yimen_service::access::inbox(&s.engine, &actor, &filter)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    // The department's supervision records waiting for its answer, with the first page.
    let supervision = if page == 1 {
        yimen_service::team::supervision_due(&s.engine, &actor).await?
    } else {
        Vec::new()
    };
    Ok(Json(
        json!({ "page": page, "per_page": per_page, "tasks": items, "supervision": supervision }),
    ))
}

pub(crate) fn case_of(task: &str) -> Result<&str, ApiError> {
    task.rsplit_once(":t")
        .map(|(c, _)| c)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_task",
                format!("there is no task `{task}`"),
            )
        })
}

pub async fn claim(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(task): Path<String>,
    body: Body<super::cases::Empty>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    yimen_service::cases::check_visible(&s, &actor, case_of(&task)?).await?;
    let out = s
        .engine
        .command(
            case_of(&task)?,
            Command::Claim {
                task: task.as_str().into(),
            },
            actor.clone(),
            idem,
        )
        .await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/tasks/{task}/release`: back to the pool (by a department head, with a reason).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    /// Why (required when the task is someone else's).
    #[serde(default)]
    reason: Option<String>,
}

pub async fn release(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(task): Path<String>,
    body: Body<ReleaseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let reason = body.value.reason;
    yimen_service::cases::check_visible(&s, &actor, case_of(&task)?).await?;
    let out = s
        .engine
        .command(
            case_of(&task)?,
            Command::Release {
                task: task.as_str().into(),
                reason,
            },
            actor.clone(),
            idem,
        )
        .await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/tasks/{task}/reassign`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    /// The person (who holds the task's role in its department, in its unit or above).
    #[serde(default)]
    to_user: Option<String>,
    /// Another department (for dispatching clerks and admins).
    #[serde(default)]
    to_department: Option<String>,
    /// Why the task changes hands (required; kept in the history).
    #[serde(default)]
    reason: Option<String>,
}

pub async fn reassign(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(task): Path<String>,
    body: Body<ReassignBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    let cmd = Command::Reassign {
        task: task.as_str().into(),
        to_user: b.to_user.map(Into::into),
        to_department: b.to_department,
        reason: b.reason,
    };
    yimen_service::cases::check_visible(&s, &actor, case_of(&task)?).await?;
    let out = s.engine.command(case_of(&task)?, cmd, actor.clone(), idem).await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/tasks/{task}/complete`: take one of the actions that finish the task.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    action: String,
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    expected_version: Option<i64>,
}

pub async fn complete(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(task): Path<String>,
    body: Body<CompleteBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    let case_id = case_of(&task)?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_task",
            format!("there is no task `{task}`"),
        )
    };
    let case = match yimen_service::cases::visible(&s, &actor, case_id).await {
        Err(e) if e.kind() == yimen_service::Kind::NotFound => return Err(unknown()),
        r => r?,
    };
    let t = case.task(&task).ok_or_else(unknown)?;
    if !t.is_active() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "task_state",
            format!("task `{task}` is finished"),
        ));
    }
    if t.assignee.as_deref().is_some_and(|a| a != actor.id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            "the task is claimed by someone else",
        ));
    }
    let cmd = Command::Act {
        action: b.action,
        fields: b.fields,
        comment: b.comment,
        expected_version: b.expected_version,
        assign_to: None,
    };
    let out = s.engine.command(case_id, cmd, actor.clone(), idem).await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}
