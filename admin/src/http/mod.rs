//! The HTTP API under `/api/v1`. Errors are RFC 9457 problem details; no database text ever
//! reaches a response. The acting user comes from an API token or a signed-in session
//! (`extract::authenticate`).

mod cases;
mod error;
mod extract;
mod inbox;
mod ops;
mod reports;
mod session;
mod supervision;

pub use error::{ApiError, problem};

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use yimen_engine::model::case_type::Kind;
use yimen_engine::runtime::Engine;

/// The largest request body accepted.
pub const MAX_BODY: usize = 256 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// The token gateways present with delivery reports.
    pub report_token: String,
    /// The periodic jobs, when the workflows declare any.
    pub scheduler: Option<yimen_engine::runtime::scheduler::Scheduler>,
    /// Mark the session cookie `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
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
    /// The version new cases start on.
    pub version: i64,
    /// The channels that file it.
    pub channels: Vec<String>,
}

/// The application's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(ops::metrics))
        .route(
            "/api/v1/session",
            post(session::sign_in).get(session::current).delete(session::sign_out),
        )
        .route("/api/v1/case-types", get(case_types))
        .route("/api/v1/matters", get(matters))
        .route("/api/v1/cases", post(cases::open))
        .route("/api/v1/cases/{id}", get(cases::get))
        .route("/api/v1/cases/{id}/actions/{action}", post(cases::act))
        .route("/api/v1/cases/{id}/comments", post(cases::comment))
        .route("/api/v1/cases/{id}/visits", post(cases::visit))
        .route("/api/v1/cases/{id}/timeline", get(supervision::timeline))
        .route("/api/v1/cases/{id}/extend", post(supervision::extend))
        .route("/api/v1/cases/{id}/escalate", post(supervision::escalate))
        .route("/api/v1/supervision/{record}/answer", post(supervision::answer))
        .route("/api/v1/supervision/{record}/review", post(supervision::review))
        .route("/api/v1/audit", get(ops::audit))
        .route("/api/v1/deliveries/failed", get(ops::failed))
        .route("/api/v1/deliveries/retry", post(ops::retry))
        .route("/api/v1/sms/reports", get(ops::report))
        .route("/api/v1/cases/{id}/notifications", get(ops::case_notifications))
        .route("/api/v1/jobs", get(reports::jobs))
        .route("/api/v1/jobs/{job}/run", post(reports::run))
        .route("/api/v1/reports/{job}/{period}", get(reports::data))
        .route("/api/v1/reports/{job}/{period}/html", get(reports::html))
        .route("/api/v1/reports/{job}/{period}/csv", get(reports::csv))
        .route("/api/v1/inbox", get(inbox::inbox))
        .route("/api/v1/tasks/{task}/claim", post(inbox::claim))
        .route("/api/v1/tasks/{task}/release", post(inbox::release))
        .route("/api/v1/tasks/{task}/reassign", post(inbox::reassign))
        .route("/api/v1/tasks/{task}/complete", post(inbox::complete))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn case_types(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let list: Vec<CaseTypeSummary> = state
        .engine
        .definitions()
        .all_current()
        .iter()
        .map(|c| CaseTypeSummary {
            id: c.def.id.clone(),
            name: c.def.name.get("zh-CN").to_owned(),
            name_en: c.def.name.get("en").to_owned(),
            kind: c.def.kind,
            department: c.def.department.clone(),
            version: c.version,
            channels: c.def.channels.clone(),
        })
        .collect();
    Json(json!({ "case_types": list }))
}

async fn matters(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = state
        .engine
        .org()
        .file
        .matters
        .iter()
        .map(|(id, m)| {
            json!({
                "id": id,
                "name": m.name.get("zh-CN"),
                "name_en": m.name.get("en"),
                "case_type": m.case_type,
            })
        })
        .collect();
    Json(json!({ "matters": list }))
}

async fn not_found() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such resource")
}
