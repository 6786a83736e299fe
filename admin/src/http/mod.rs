//! The HTTP API under `/api/v1`. Errors are RFC 9457 problem details; no database text ever
//! reaches a response. The acting user comes from an API token or a signed-in session
//! (`extract::authenticate`).

pub mod cases;
mod error;
mod extract;
mod inbox;
mod manage;
pub mod open311;
pub mod openapi;
mod ops;
mod reports;
pub mod routes;
pub mod session;
mod supervision;

pub use cases::{check_visible as cases_check_visible, visible, visible_case};
pub use error::{ApiError, problem};
pub use extract::cookie;
pub use routes::{RouteInfo, Table, form_field, is_api_path};

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::Method;
use axum::{Json, Router};

use crate::access::Access;
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
    /// The route table (filled by `routes`; the OpenAPI document is made from it).
    pub routes: std::sync::OnceLock<Vec<RouteInfo>>,
    /// The workflows directory the server loaded (authoring writes deployed files back here).
    pub workflows: Option<std::path::PathBuf>,
    /// The bundle loaded at start (calendars and ladders for reloading definitions).
    pub bundle: Option<Arc<yimen_engine::load::Bundle>>,
    /// The centre's time zone, for showing instants (taken from the calendar on first use).
    pub tz: std::sync::OnceLock<chrono_tz::Tz>,
    /// Rate limits and time-outs (per node).
    pub limits: crate::limits::Limits,
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

/// The application's routes (API and pages) and the table that lists them with their rules.
#[rustfmt::skip]
pub fn routes(state: Arc<AppState>) -> (Router, Vec<RouteInfo>) {
    use Access::{Admin, Oversight, Public, SignedIn};
    let t = Table::new(state.clone())
        .add(Method::GET, "/healthz", Public, "Liveness: `{\"status\":\"ok\"}`", healthz)
        .add(Method::GET, "/metrics", Admin, "Prometheus metrics", ops::metrics)
        .add(Method::GET, "/api/v1/openapi.json", Public, "This API's OpenAPI document", openapi)
        .add(Method::POST, "/api/v1/session", Public, "Sign in with a password", session::sign_in)
        .add(Method::GET, "/api/v1/session", SignedIn, "The acting user", session::current)
        .add(Method::DELETE, "/api/v1/session", SignedIn, "Sign out", session::sign_out)
        .add(Method::GET, "/api/v1/case-types", SignedIn, "The deployed case types", case_types)
        .add(Method::GET, "/api/v1/matters", SignedIn, "The matter catalogue", matters)
        .add(Method::POST, "/api/v1/cases", SignedIn, "Open a case", cases::open)
        .add(Method::GET, "/api/v1/cases/{id}", SignedIn, "A case with its history", cases::get)
        .add(Method::POST, "/api/v1/cases/{id}/reveal", SignedIn, "A case's personal data, unmasked (audited)", cases::reveal)
        .add(Method::POST, "/api/v1/cases/{id}/actions/{action}", SignedIn, "Take an action", cases::act)
        .add(Method::POST, "/api/v1/cases/{id}/comments", SignedIn, "Comment on a case", cases::comment)
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
        .add(Method::GET, "/open311/v2/requests/{id}", Public, "Open311: one request", open311::get_request);
    let t = crate::web::pages(t);
    let (router, info) = t.finish();
    let _ = state.routes.set(info.clone());
    let router = router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), read_body_within))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state);
    (router, info)
}

/// The application's routes.
pub fn router(state: Arc<AppState>) -> Router {
    routes(state).0
}

async fn openapi(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(openapi::document(
        state.routes.get().map(Vec::as_slice).unwrap_or_default(),
    ))
}

/// Reads a request's whole body before any handler sees it, within the body deadline and the
/// size limit: a client that drips its body in is answered 408 and cut off, one that sends too
/// much 413, and nothing of either reaches a handler or the store.
async fn read_body_within(
    State(state): State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = is_api_path(req.uri().path());
    let (parts, body) = req.into_parts();
    let deadline = state.limits.settings.body_timeout;
    let refuse = |status, code, detail: &str| {
        if api {
            ApiError::new(status, code, detail.to_owned()).into_response()
        } else {
            crate::web::error_page(status, detail)
        }
    };
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return refuse(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!("the request body is larger than {MAX_BODY} bytes"),
            );
        }
        Err(_) => {
            let mut r = refuse(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                &format!("the request body did not arrive within {} s", deadline.as_secs()),
            );
            r.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return r;
        }
    };
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Headers on every response: no script but our own, no framing by other sites, no sniffing,
/// and no caching of anything but the static assets (pages and answers carry personal data).
/// An API request refused by an extractor (a bad query string or path) gets problem details
/// instead of the framework's plain text.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let api = is_api_path(req.uri().path());
    let mut r = next.run(req).await;
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if api && plain && r.status().is_client_error() {
        let status = r.status();
        let bytes = axum::body::to_bytes(std::mem::take(r.body_mut()), 64 * 1024)
            .await
            .unwrap_or_default();
        let detail = String::from_utf8_lossy(&bytes).into_owned();
        let code = if status == axum::http::StatusCode::METHOD_NOT_ALLOWED {
            "method_not_allowed"
        } else {
            "bad_request"
        };
        let allow = r.headers().get(header::ALLOW).cloned();
        r = problem(status, code, detail.trim());
        if let Some(a) = allow {
            r.headers_mut().insert(header::ALLOW, a);
        }
    }
    let h = r.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
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

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_api_path(uri.path()) {
        ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such resource").into_response()
    } else {
        crate::web::error_page(axum::http::StatusCode::NOT_FOUND, "没有这个页面 No such page")
    }
}
