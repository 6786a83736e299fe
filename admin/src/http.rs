//! The HTTP API. Errors are RFC 9457 problem details.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use yimen_engine::model::CaseTypeFile;
use yimen_engine::model::case_type::Kind;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The deployed case types.
    pub case_types: Vec<CaseTypeSummary>,
}

/// A case type as the API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseTypeSummary {
    /// Its id.
    pub id: String,
    /// Its Chinese name.
    pub name: String,
    /// Its English name.
    pub name_en: String,
    /// ordinary / professional / major.
    pub kind: Kind,
    /// The responsible department.
    pub department: String,
    /// The deployed version.
    pub version: i64,
}

impl CaseTypeSummary {
    /// The summary of a loaded case type at `version`.
    pub fn new(c: &CaseTypeFile, version: i64) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.get("zh-CN").to_owned(),
            name_en: c.name.get("en").to_owned(),
            kind: c.kind,
            department: c.department.clone(),
            version,
        }
    }
}

/// The application's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/case-types", get(case_types))
        .fallback(not_found)
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn case_types(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({"case_types": state.case_types}))
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found", "no such resource")
}

/// An RFC 9457 problem response.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
