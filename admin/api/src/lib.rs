//! `yimen-api`: the JSON API under `/api/v1` and Open311 GeoReport v2 (`/open311/v2`), with
//! the OpenAPI document made from the route table. Every handler is thin: it reads the request,
//! asks the engine or the service layer, and answers JSON or problem details
//! ([`yimen_http::ApiError`]).
#![warn(clippy::too_many_lines)]

mod absences;
mod cases;
mod files;
mod inbox;
mod manage;
pub mod open311;
pub mod openapi;
mod ops;
mod reports;
mod session;
mod supervision;
mod team;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde::Serialize;
use serde_json::json;
use yimen_engine::model::case_type::Kind;
use yimen_http::{AppState, Table};
use yimen_service::access::Access;

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

/// Adds the API's routes to the route table.
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::{Admin, Oversight, Public, SignedIn};
    t
        .add(Method::GET, "/healthz", Public, "Liveness: `{\"status\":\"ok\"}`", healthz)
        .add(Method::GET, "/metrics", Admin, "Prometheus metrics", ops::metrics)
        .add(Method::GET, "/api/v1/openapi.json", Public, "This API's OpenAPI document", openapi)
        .add(Method::POST, "/api/v1/session", Public, "Sign in with a password", session::sign_in)
        .add(Method::GET, "/api/v1/session", SignedIn, "The acting user", session::current)
        .add(Method::DELETE, "/api/v1/session", SignedIn, "Sign out", session::sign_out)
        .add(Method::GET, "/api/v1/case-types", SignedIn, "The deployed case types", case_types)
        .add(Method::GET, "/api/v1/matters", SignedIn, "The matter catalogue", matters)
        .add(Method::POST, "/api/v1/cases", SignedIn, "Open a case", cases::open)
        .add(Method::GET, "/api/v1/cases", SignedIn, "The cases the caller may see: filters, search, pages, CSV and XLSX", cases::list)
        .add(Method::POST, "/api/v1/cases/search", SignedIn, "The same list, its filters in the body (a searched phone or ID number never in a URL)", cases::search)
        .add(Method::GET, "/api/v1/cases/{id}", SignedIn, "A case with its history", cases::get)
        .add(Method::POST, "/api/v1/cases/{id}/reveal", SignedIn, "A case's personal data, unmasked (audited)", cases::reveal)
        .add(Method::POST, "/api/v1/cases/{id}/actions/{action}", SignedIn, "Take an action", cases::act)
        .add(Method::POST, "/api/v1/cases/{id}/comments", SignedIn, "Comment on a case", cases::comment)
        .add(Method::POST, "/api/v1/attachments", SignedIn, "Upload files for a field, to name on opening a case or in an action", files::upload)
        .add(Method::GET, "/api/v1/cases/{id}/attachments", SignedIn, "A case's files", files::list)
        .add(Method::POST, "/api/v1/cases/{id}/attachments", SignedIn, "Add files to a case", files::attach)
        .add(Method::GET, "/api/v1/cases/{id}/attachments/{file}", SignedIn, "Download a file (recorded in the history)", files::download)
        .add(Method::GET, "/api/v1/cases/{id}/attachments/{file}/thumbnail", SignedIn, "An image's thumbnail", files::thumbnail)
        .add(Method::POST, "/api/v1/cases/{id}/visits", SignedIn, "Record an in-person visit", cases::visit)
        .add(Method::GET, "/api/v1/cases/{id}/timeline", SignedIn, "What will fire when", supervision::timeline)
        .add(Method::POST, "/api/v1/cases/{id}/extend", SignedIn, "Extend the SLA", supervision::extend)
        .add(Method::POST, "/api/v1/cases/{id}/escalate", SignedIn, "Fire a ladder rung by hand", supervision::escalate)
        .add(Method::GET, "/api/v1/cases/{id}/notifications", SignedIn, "A case's notifications", ops::case_notifications)
        .add(Method::POST, "/api/v1/supervision/{record}/answer", SignedIn, "Answer a supervision record", supervision::answer)
        .add(Method::POST, "/api/v1/supervision/{record}/review", Oversight, "Accept or return an answer", supervision::review)
        .add(Method::GET, "/api/v1/audit", Admin, "The audit log", ops::audit)
        .add(Method::GET, "/api/v1/deliveries/failed", Admin, "Failed and undeliverable notifications", ops::failed)
        .add(Method::POST, "/api/v1/deliveries/retry", Admin, "Retry a failed delivery", ops::retry)
        .add(Method::GET, "/api/v1/sms/reports", Public, "SMS delivery reports from the gateway (token)", ops::report)
        .add(Method::GET, "/api/v1/jobs", Oversight, "Periodic jobs and their runs", reports::jobs)
        .add(Method::POST, "/api/v1/jobs/{job}/run", Admin, "Run a periodic job for a period", reports::run)
        .add(Method::GET, "/api/v1/reports/{job}/{period}", Oversight, "A report's figures", reports::data)
        .add(Method::GET, "/api/v1/reports/{job}/{period}/html", Oversight, "A report as HTML", reports::html)
        .add(Method::GET, "/api/v1/reports/{job}/{period}/csv", Oversight, "A report's table as CSV", reports::csv)
        .add(Method::GET, "/api/v1/inbox", SignedIn, "My tasks", inbox::inbox)
        .add(Method::POST, "/api/v1/tasks/{task}/claim", SignedIn, "Claim a task", inbox::claim)
        .add(Method::POST, "/api/v1/tasks/{task}/release", SignedIn, "Release a task", inbox::release)
        .add(Method::POST, "/api/v1/tasks/{task}/reassign", SignedIn, "Reassign a task", inbox::reassign)
        .add(Method::POST, "/api/v1/tasks/{task}/complete", SignedIn, "Complete a task with an action", inbox::complete)
        .add(Method::GET, "/api/v1/tasks/unstaffed", SignedIn, "Tasks that reach nobody (department heads, dispatching clerks)", team::unstaffed)
        .add(Method::POST, "/api/v1/tasks/bulk", SignedIn, "Claim, give or send back many tasks at once", team::bulk)
        .add(Method::GET, "/api/v1/team", SignedIn, "A department's work by person (its heads, dispatching clerks)", team::team)
        .add(Method::GET, "/api/v1/absences", SignedIn, "Absences and who stands in (mine, my department's for a head)", absences::list)
        .add(Method::POST, "/api/v1/absences", SignedIn, "Set an absence with the colleague who stands in", absences::add)
        .add(Method::POST, "/api/v1/absences/{id}/cancel", SignedIn, "Call an absence off", absences::cancel)
        .add(Method::GET, "/api/v1/users", Admin, "Accounts", manage::users)
        .add(Method::POST, "/api/v1/users", Admin, "Add an account (the generated password is in the answer, once)", manage::add_user)
        .add(Method::POST, "/api/v1/users/{id}/password", Admin, "Reset a password", manage::reset_password)
        .add(Method::POST, "/api/v1/users/{id}/active", Admin, "Stop or restart an account", manage::set_active)
        .add(Method::POST, "/api/v1/users/{id}/unlock", Admin, "Unlock an account locked by failed sign-ins", manage::unlock)
        .add(Method::GET, "/api/v1/users/{id}/tokens", Admin, "An account's API tokens", manage::tokens)
        .add(Method::POST, "/api/v1/users/{id}/tokens", Admin, "Issue an API token (in the answer, once)", manage::add_token)
        .add(Method::DELETE, "/api/v1/users/{id}/tokens/{name}", Admin, "Revoke an API token", manage::revoke_token)
        .add(Method::GET, "/api/v1/workflows", Admin, "Case types and their versions", manage::workflows)
        .add(Method::GET, "/api/v1/workflows/{id}", Admin, "A case type's versions and source", manage::workflow)
        .add(Method::GET, "/api/v1/workflows/{id}/diagram", Admin, "A case type's state machine as SVG", manage::diagram)
        .add(Method::POST, "/api/v1/workflows/{id}/validate", Admin, "Validate a case type's source (and run its scenarios)", manage::validate)
        .add(Method::POST, "/api/v1/workflows/{id}/deploy", Admin, "Deploy a case type's source as a new version", manage::deploy)
        .add(Method::GET, "/api/v1/workflows/{id}/diff", Admin, "Diff between two versions", manage::diff)
        .add(Method::GET, "/open311/v2/{resource}", Public, "Open311: discovery, services or requests (.json, .xml)", open311::get_resource)
        .add(Method::POST, "/open311/v2/{resource}", Public, "Open311: file a request (api_key)", open311::create_request)
        .add(Method::GET, "/open311/v2/services/{code}", Public, "Open311: a service definition", open311::service_definition)
        .add(Method::GET, "/open311/v2/requests/{id}", Public, "Open311: one request", open311::get_request)
}

async fn openapi(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(openapi::document(
        state.routes.get().map(Vec::as_slice).unwrap_or_default(),
    ))
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
