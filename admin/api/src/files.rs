//! Attachments over the API: upload a field's files before naming them (on opening a case or
//! in an action), add files to an open case, list a case's files, download one (recorded in the
//! case's history) and an image's thumbnail.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use yimen_http::{ApiError, AppState, FormData, User};
use yimen_service::cases::shown;
use yimen_service::files;

/// Which form the files are for.
#[derive(Debug, Deserialize)]
pub struct For {
    case_type: String,
    field: String,
}

/// `POST /api/v1/attachments?case_type=…&field=…`: the `file` parts, checked and stored pending
/// (name them in the field within a day, or they are removed).
pub async fn upload(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Query(q): Query<For>,
    mut form: FormData,
) -> Result<Response, ApiError> {
    let sent = form.files_of("file");
    if sent.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_file",
            "send the files as `file` parts of a multipart/form-data body",
        ));
    }
    let got = files::receive(&s, &actor, &q.case_type, &q.field, sent, 0)
        .await
        .map_err(files::ReceiveError::into_error)?;
    Ok((StatusCode::CREATED, Json(json!({ "files": got }))).into_response())
}

/// `POST /api/v1/cases/{id}/attachments`: adds the `file` parts to the field named by the
/// `field` part.
pub async fn attach(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    mut form: FormData,
) -> Result<Response, ApiError> {
    let field = form
        .fields
        .iter()
        .find(|(k, _)| k == "field")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let sent = form.files_of("file");
    if sent.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_file",
            "send the files as `file` parts of a multipart/form-data body, and the field as `field`",
        ));
    }
    let case = files::attach(&s, &actor, &id, &field, sent)
        .await
        .map_err(files::ReceiveError::into_error)?;
    Ok((StatusCode::CREATED, Json(shown(&s, &actor, &case))).into_response())
}

/// `GET /api/v1/cases/{id}/attachments`: the files the caller may see.
pub async fn list(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (case, all) = files::list(&s, &actor, &id).await?;
    let items: Vec<Value> = all
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "field": a.field,
                "name": a.name,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
                "thumbnail": a.thumbnail,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": chrono::DateTime::<chrono::Utc>::from_timestamp_millis(a.uploaded_at),
                "href": format!("/api/v1/cases/{}/attachments/{}", case.id, a.id),
            })
        })
        .collect();
    Ok(Json(json!({ "case_id": case.id, "files": items })))
}

/// `GET /api/v1/cases/{id}/attachments/{file}`: the file's bytes (the download is recorded).
pub async fn download(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (a, key) = files::open(&s, &actor, &id, &file).await?;
    Ok(yimen_http::upload::download(s.engine.store().clone(), &a, key))
}

/// `GET /api/v1/cases/{id}/attachments/{file}/thumbnail`: an image's thumbnail (PNG).
pub async fn thumbnail(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let png = files::thumbnail_of(&s, &actor, &id, &file).await?;
    Ok(yimen_http::upload::thumbnail(png))
}
