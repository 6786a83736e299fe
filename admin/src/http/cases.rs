//! Case routes: open, read with history, act, comment, record a visit.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use yimen_engine::core::Command;

use super::extract::{Body, User};
use super::{ApiError, AppState};

/// `POST /api/v1/cases`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    #[serde(default)]
    case_type: Option<String>,
    #[serde(default)]
    matter: Option<String>,
    channel: String,
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    unit: Option<String>,
}

/// `POST /api/v1/cases/{id}/actions/{action}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    expected_version: Option<i64>,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/cases/{id}/comments`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    text: String,
}

/// Visits carry nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

pub async fn open(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<OpenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    if b.channel.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            "`channel` is required",
        ));
    }
    let case_type = s
        .engine
        .org()
        .route(&b.channel, b.case_type.as_deref(), b.matter.as_deref())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_case_type", e.to_string()))?;
    let out = s
        .engine
        .open_case(&case_type, &b.channel, b.fields, b.unit, actor, idem)
        .await?;
    // A repeat linked to an open case, or a replayed request, creates nothing.
    let status = if out.replayed || out.linked {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut doc = serde_json::to_value(&out.case).unwrap_or_default();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("linked".into(), json!(out.linked));
    }
    Ok((status, Json(doc)))
}

pub async fn get(
    State(s): State<Arc<AppState>>,
    User(_actor): User,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let case = s.engine.case(&id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "case_not_found",
            format!("there is no case `{id}`"),
        )
    })?;
    let history = s.engine.history(&id).await?;
    let mut doc = serde_json::to_value(&case).unwrap_or_default();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("history".into(), json!(history));
    }
    Ok(Json(doc))
}

pub async fn act(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, action)): Path<(String, String)>,
    body: Body<ActBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    let cmd = Command::Act {
        action,
        fields: b.fields,
        comment: b.comment,
        expected_version: b.expected_version,
    };
    let out = s.engine.command(&id, cmd, actor, idem).await?;
    Ok(Json(out.case))
}

pub async fn comment(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<CommentBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let out = s
        .engine
        .command(&id, Command::Comment { text: body.value.text }, actor, idem)
        .await?;
    Ok((StatusCode::CREATED, Json(out.case)))
}

pub async fn visit(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<Empty>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let out = s.engine.command(&id, Command::RecordVisit, actor, idem).await?;
    Ok((StatusCode::CREATED, Json(out.case)))
}
