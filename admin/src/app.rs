//! The application: the API's routes and the pages' routes in one table, finished by the HTTP
//! skeleton (fallback, body limits, headers). Each sibling adds its own routes; only here do
//! they meet.

use std::sync::Arc;

use axum::Router;
use yimen_http::Table;
use yimen_service::{AppState, RouteInfo};

/// The application's routes (API and pages) and the table that lists them with their rules.
pub fn routes(state: Arc<AppState>) -> (Router, Vec<RouteInfo>) {
    let t = Table::new(state);
    let t = yimen_api::routes(t);
    let t = yimen_pages::routes(t);
    yimen_http::finish(t)
}

/// The application's routes.
pub fn router(state: Arc<AppState>) -> Router {
    routes(state).0
}
