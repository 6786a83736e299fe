//! The application: the API's routes and the pages' routes in one table, finished by the HTTP
//! skeleton (fallback, body limits, headers). Each sibling adds its own routes; only here do
//! they meet.

use std::sync::Arc;

use axum::Router;
use yimen_http::Table;
use yimen_service::{AppState, RouteInfo};

/// The application's routes (API and pages) and the table that lists them with their rules.
pub fn routes(state: Arc<AppState>) -> (Router, Vec<RouteInfo>) {
    let t = Table::new(state.clone());
    let t = yimen_api::routes(t);
    let t = yimen_pages::routes(t);
    let (router, info) = yimen_http::finish(t);
    // Error pages of signed-in readers are drawn again inside the site's frame.
    let router = router.layer(axum::middleware::from_fn_with_state(state, yimen_pages::framed_errors));
    (router, info)
}

/// The application's routes.
pub fn router(state: Arc<AppState>) -> Router {
    routes(state).0
}
