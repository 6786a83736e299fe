//! Absences (休假代办): who is away and who stands in for them.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use yimen_service::absences::{NewAbsence, Refused};

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

/// `GET /api/v1/absences`: the absences not over yet that the reader sees (their own, those
/// they stand in for, a head's department's, an admin's all), with whom the reader may name.
pub async fn list(State(s): State<Arc<AppState>>, User(actor): User) -> Result<impl IntoResponse, ApiError> {
    let absences = yimen_service::absences::visible(&s.engine, &actor).await?;
    let colleagues = yimen_service::absences::colleagues(&s.engine, &actor.id).await?;
    Ok(Json(json!({
        "absences": absences,
        "stands_in_for": actor.stands_in_for,
        "colleagues": colleagues.into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/absences`: sets one; 422 `invalid_absence` lists every field at fault.
pub async fn add(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<NewAbsence>,
) -> Result<impl IntoResponse, ApiError> {
    match yimen_service::absences::set(&s.engine, &actor, &body.value).await {
        Ok(a) => Ok((StatusCode::CREATED, Json(json!(a)))),
        Err(Refused::Other(e)) => Err(e.into()),
        Err(Refused::Fields(problems)) => {
            let said: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.field, p.detail)).collect();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_absence",
                said.join("; "),
            ))
        }
    }
}

/// `POST /api/v1/absences/{id}/cancel`: calls one off now.
pub async fn cancel(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    _body: Body<yimen_service::absences::Nothing>,
) -> Result<impl IntoResponse, ApiError> {
    let a = yimen_service::absences::cancel(&s.engine, &actor, &id).await?;
    Ok(Json(json!(a)))
}
