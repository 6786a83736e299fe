//! Case routes: open, read with history, act, comment, record a visit.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use yimen_engine::core::{Actor, Case, Command};
use yimen_engine::runtime::EngineError;
use yimen_engine::store::cases::StoredEvent;

use super::extract::{Body, User};
use super::{ApiError, AppState};
use crate::access;

/// `POST /api/v1/cases`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    #[serde(default)]
    case_type: Option<String>,
    #[serde(default)]
    matter: Option<String>,
    #[schemars(length(min = 1))]
    channel: String,
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    unit: Option<String>,
}

/// `POST /api/v1/cases/{id}/actions/{action}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    text: String,
}

/// Visits carry nothing.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

pub async fn open(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<OpenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    if let Err(crate::limits::RetryAfter(secs)) = s.limits.opening(&actor.id) {
        return Err(ApiError::too_many(
            secs,
            "too many cases opened with this account in a minute; wait and try again",
        ));
    }
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
        .open_case(&case_type, &b.channel, b.fields, b.unit, actor.clone(), idem)
        .await?;
    // A repeat linked to an open case, or a replayed request, creates nothing.
    let status = if out.replayed || out.linked {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    // A repeat is linked to a case the caller may not see: they learn only that it was linked,
    // its id, state, handling department and due instant — no fields, facts, history or tasks.
    if out.linked && visible(&s, &actor, &out.case.id).await.is_err() {
        return Ok((status, Json(linked_summary(&s, &out.case))));
    }
    let mut doc = shown(&s, &actor, &out.case);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("linked".into(), json!(out.linked));
    }
    Ok((status, Json(doc)))
}

/// The due instant of a case's running SLA clock, if it has one.
pub fn due_of(s: &AppState, case: &Case) -> Option<chrono::DateTime<chrono::Utc>> {
    let def = s.engine.definitions().get(&case.case_type, case.definition_version)?;
    let clock = case.sla.as_ref().filter(|c| c.running())?;
    clock
        .derive(&def.calendar, &def.warn_at, s.engine.now())
        .ok()
        .flatten()
        .map(|d| d.due)
}

/// What someone who may not see a case is told when their complaint was linked to it.
pub fn linked_summary(s: &AppState, case: &Case) -> Value {
    json!({
        "id": case.id,
        "state": case.state,
        "status": case.status,
        "department": case.department,
        "due": due_of(s, case),
        "linked": true,
        "visible": false,
    })
}

pub async fn get(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (case, history) = visible_case(&s, &actor, &id).await?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    let unmasked = access::sees_personal_data(s.engine.org(), &actor);
    Ok(Json(access::view_case(
        def.as_ref().map(|d| &d.def),
        &case,
        Some(&history),
        unmasked,
    )))
}

/// `POST /api/v1/cases/{id}/reveal`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Why the personal data is needed (kept in the audit log).
    #[schemars(length(min = 1, max = 500), regex(pattern = r"\S"))]
    reason: String,
}

/// The case's personal data unmasked, for anyone who may see the case and gives a reason; the
/// reveal is written to the audit log first.
pub async fn reveal(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<RevealBody>,
) -> Result<impl IntoResponse, ApiError> {
    let reason = body.value.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
            "say why the personal data is needed (1 to 500 characters)",
        ));
    }
    let (case, history) = visible_case(&s, &actor, &id).await?;
    let now = s.engine.now().timestamp_millis();
    s.engine
        .store()
        .audit(now, &actor.id, "personal_data_revealed", &id, &reason)
        .await
        .map_err(EngineError::from)?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    Ok(Json(access::view_case(
        def.as_ref().map(|d| &d.def),
        &case,
        Some(&history),
        true,
    )))
}

fn no_case(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "case_not_found",
        format!("there is no case `{id}`"),
    )
}

fn not_yours() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_allowed",
        "this case belongs to another department or unit",
    )
}

/// The case `id`, if `actor` may see it: 404 when there is no such case, 403 when it belongs to
/// another department or unit. The history is read only when the case is not visible otherwise
/// (to find who opened it).
pub async fn visible(s: &AppState, actor: &Actor, id: &str) -> Result<Case, ApiError> {
    let case = s.engine.case(id).await?.ok_or_else(|| no_case(id))?;
    let org = s.engine.org();
    if access::may_see(org, actor, &case, None) {
        return Ok(case);
    }
    let history = s.engine.history(id).await?;
    if access::may_see(org, actor, &case, access::opener(&history)) {
        Ok(case)
    } else {
        Err(not_yours())
    }
}

/// The case `id` with its history, if `actor` may see it (as [`visible`]).
pub async fn visible_case(s: &AppState, actor: &Actor, id: &str) -> Result<(Case, Vec<StoredEvent>), ApiError> {
    let case = s.engine.case(id).await?.ok_or_else(|| no_case(id))?;
    let history = s.engine.history(id).await?;
    if !access::may_see(s.engine.org(), actor, &case, access::opener(&history)) {
        return Err(not_yours());
    }
    Ok((case, history))
}

/// Refuses a command on a case `actor` may not see (the core then decides what the command
/// may do); a case that does not exist is left for the engine to answer in its own words.
pub async fn check_visible(s: &AppState, actor: &Actor, id: &str) -> Result<(), ApiError> {
    match visible(s, actor, id).await {
        Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(()),
        r => r.map(|_| ()),
    }
}

/// A case as the acting user may see it, after a command.
pub fn shown(s: &AppState, actor: &Actor, case: &Case) -> Value {
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    access::view_case(
        def.as_ref().map(|d| &d.def),
        case,
        None,
        access::sees_personal_data(s.engine.org(), actor),
    )
}

pub async fn act(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, action)): Path<(String, String)>,
    body: Body<ActBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    check_visible(&s, &actor, &id).await?;
    let b = body.value;
    let cmd = Command::Act {
        action,
        fields: b.fields,
        comment: b.comment,
        expected_version: b.expected_version,
    };
    let out = s.engine.command(&id, cmd, actor.clone(), idem).await?;
    Ok(Json(shown(&s, &actor, &out.case)))
}

pub async fn comment(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<CommentBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    check_visible(&s, &actor, &id).await?;
    let out = s
        .engine
        .command(&id, Command::Comment { text: body.value.text }, actor.clone(), idem)
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&s, &actor, &out.case))))
}

pub async fn visit(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<Empty>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    check_visible(&s, &actor, &id).await?;
    let out = s.engine.command(&id, Command::RecordVisit, actor.clone(), idem).await?;
    Ok((StatusCode::CREATED, Json(shown(&s, &actor, &out.case))))
}
