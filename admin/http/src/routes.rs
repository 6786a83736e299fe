//! The route table: every route with its method, path, access rule and one line for the
//! OpenAPI document. Routes are only ever added through [`Table::add`], so none exists without
//! a rule, and the guard in front of each handler enforces it:
//!
//! 1. `Public` routes pass (a credential, when sent, is still resolved so pages can greet).
//! 2. Everything else needs an API token or a session cookie: without one an API route answers
//!    401, a page redirects to the sign-in page.
//! 3. A session-authenticated request that changes something must prove it came from our own
//!    page: the session's CSRF token in `X-CSRF-Token`, or in a form's `csrf` field.
//! 4. The route's rule is checked against the account's roles: 403 otherwise.
//!
//! The acting user then travels in the request's extensions to the handler.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};

use yimen_service::access::Access;
use yimen_service::{AppState, Authed, MAX_BODY, RouteInfo, is_api_path};

use crate::ApiError;
use crate::extract::authenticate;

/// The header on a refusal by a route's rule.
pub const DENIED_BY: &str = "x-yimen-denied-by";

/// Builds the router and the list of routes together.
pub struct Table {
    state: Arc<AppState>,
    router: Router<Arc<AppState>>,
    info: Vec<RouteInfo>,
}

impl Table {
    /// An empty table.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            router: Router::new(),
            info: Vec::new(),
        }
    }

    /// Adds a route behind the guard for `access`.
    pub fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        let name = method_name(&method);
        let mr = on(filter, handler)
            .route_layer(from_fn_with_state((self.state.clone(), access), guard))
            .route_layer(from_fn_with_state((name, path), timed));
        self.router = self.router.route(path, mr);
        self.info.push(RouteInfo {
            method: method_name(&method),
            path,
            access,
            summary,
        });
        self
    }

    /// The state the routes are served with.
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// The router and the routes in it.
    pub fn finish(self) -> (Router<Arc<AppState>>, Vec<RouteInfo>) {
        (self.router, self.info)
    }
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

/// The refusal for a request, as problem details for the API or a page for people.
fn refuse(api: bool, status: StatusCode, code: &'static str, detail: &str, path_and_query: &str) -> Response {
    if api {
        return ApiError::new(status, code, detail.to_owned()).into_response();
    }
    if status == StatusCode::UNAUTHORIZED {
        let next = crate::url_encode(path_and_query);
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("/login?next={next}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    crate::error_page_coded(status, code, detail)
}

async fn guard(State((state, access)): State<(Arc<AppState>, Access)>, req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let (mut parts, body) = req.into_parts();
    let authed = authenticate(&parts, &state).await;
    if access == Access::Public {
        if let Ok((actor, session)) = authed {
            parts.extensions.insert(Authed { actor, session });
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let (actor, session) = match authed {
        Ok(a) => a,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            return refuse(api, StatusCode::UNAUTHORIZED, "unauthenticated", e.detail(), &target);
        }
        Err(e) => return e.into_response(),
    };
    // CSRF: a change made with the session cookie carries the session's token.
    let mut body = body;
    if let Some(s) = &session
        && !parts.method.is_safe()
    {
        let header = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        let ok = if header.is_some() {
            header == Some(s.csrf.as_str())
        } else if is_form(&parts.headers) || crate::upload::takes_files(&parts.method, parts.uri.path(), &parts.headers)
        {
            // The body reader has already taken it in whole within the route's limit; a form's
            // token is its `csrf` field, URL-encoded or a multipart part.
            let form = is_form(&parts.headers);
            let limit = if form { MAX_BODY } else { crate::UPLOAD_MAX_BODY };
            let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
                return refuse(
                    api,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the form is too large",
                    &target,
                );
            };
            let csrf = if form {
                form_field(&bytes, "csrf")
            } else {
                crate::upload::multipart_field(&parts.headers, bytes.clone(), "csrf").await
            };
            body = Body::from(bytes);
            csrf.as_deref() == Some(s.csrf.as_str())
        } else {
            false
        };
        if !ok {
            return refuse(
                api,
                StatusCode::FORBIDDEN,
                "csrf",
                "this request needs the session's CSRF token (X-CSRF-Token, or the form's csrf field); reload the page and try again",
                &target,
            );
        }
    }
    if !access.allows(state.engine.org(), &actor) {
        let mut r = refuse(
            api,
            StatusCode::FORBIDDEN,
            "not_allowed",
            "your role may not use this page or endpoint",
            &target,
        );
        // Says the route's rule refused, not the case or the engine (the access matrix reads it).
        r.headers_mut()
            .insert(DENIED_BY, HeaderValue::from_static("route-rule"));
        return r;
    }
    parts.extensions.insert(Authed { actor, session });
    next.run(Request::from_parts(parts, body)).await
}

/// Records each request's time per route (the path's pattern, never its values, so the
/// metrics hold no case ids) and the class of its answer.
async fn timed(State((method, route)): State<(&'static str, &'static str)>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let r = next.run(req).await;
    let class = match r.status().as_u16() {
        100..=399 => "ok",
        400..=499 => "refused",
        _ => "failed",
    };
    metrics::histogram!(
        "yimen_http_request_duration_seconds",
        "method" => method,
        "route" => route,
        "outcome" => class
    )
    .record(started.elapsed().as_secs_f64());
    r
}

fn is_form(h: &axum::http::HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The first value of `name` in a URL-encoded form.
pub fn form_field(bytes: &Bytes, name: &str) -> Option<String> {
    url::form_urlencoded::parse(bytes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
