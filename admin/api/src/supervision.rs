//! Supervision routes: the case's timeline ("what will fire when"), extensions, escalation,
//! answers to supervision records and their review.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use yimen_engine::core::Command;
use yimen_engine::core::preview::timeline as case_timeline;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

pub async fn timeline(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let case = yimen_service::cases::visible(&s, &actor, &id).await?;
    let def = s
        .engine
        .definitions()
        .get(&case.case_type, case.definition_version)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "definition_missing",
                "the case's definition version is not deployed",
            )
        })?;
    let now = s.engine.now();
    let (status, upcoming) = case_timeline(&def, &case, now);
    Ok(Json(json!({
        "case_id": id,
        "now": now,
        "sla_status": status.map(|s| s.as_str()),
        "upcoming": upcoming,
        "supervision": case.supervision,
        "rungs_fired": case.rungs,
    })))
}

/// `POST /api/v1/cases/{id}/extend`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    comment: Option<String>,
}

pub async fn extend(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<ExtendBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let id = yimen_service::cases::check_visible(&s, &actor, &id).await?;
    let out = s
        .engine
        .command(
            &id,
            Command::Extend {
                comment: body.value.comment,
            },
            actor.clone(),
            idem,
        )
        .await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/cases/{id}/escalate`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// The rung to open (by default the first that has not fired).
    #[serde(default)]
    rung: Option<String>,
    /// Why (required).
    #[serde(default)]
    reason: Option<String>,
}

pub async fn escalate(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<EscalateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let id = yimen_service::cases::check_visible(&s, &actor, &id).await?;
    let out = s
        .engine
        .command(
            &id,
            Command::Escalate {
                rung: body.value.rung,
                reason: body.value.reason,
            },
            actor.clone(),
            idem,
        )
        .await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/supervision/{record}/answer`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    #[serde(default)]
    text: String,
}

fn case_of(record: &str) -> Result<&str, ApiError> {
    record
        .rsplit_once(":s")
        .map(|(c, _)| c)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_record",
                format!("there is no supervision record `{record}`"),
            )
        })
}

pub async fn answer(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(record): Path<String>,
    body: Body<AnswerBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let cmd = Command::AnswerSupervision {
        record: record.clone(),
        text: body.value.text,
    };
    yimen_service::cases::check_visible(&s, &actor, case_of(&record)?).await?;
    let out = s.engine.command(case_of(&record)?, cmd, actor.clone(), idem).await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}

/// `POST /api/v1/supervision/{record}/review`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    accept: bool,
    comment: Option<String>,
}

pub async fn review(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(record): Path<String>,
    body: Body<ReviewBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let cmd = Command::ReviewSupervision {
        record: record.clone(),
        accept: body.value.accept,
        comment: body.value.comment,
    };
    yimen_service::cases::check_visible(&s, &actor, case_of(&record)?).await?;
    let out = s.engine.command(case_of(&record)?, cmd, actor.clone(), idem).await?;
    Ok(Json(yimen_service::cases::shown(&s, &actor, &out.case)))
}
