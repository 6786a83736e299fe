//! `yimen-http`: the HTTP skeleton the JSON API and the pages share. Every route enters
//! through [`Table::add`] with its access rule and passes the guard in front of it
//! ([`routes`]); the acting user comes from an API token or a signed-in session
//! ([`extract::authenticate`]); a refusal is RFC 9457 problem details for the API
//! ([`ApiError`]) and a plain page for people ([`error_page`]); [`finish`] puts the fallback,
//! the body limits and the headers on every response. No database text ever reaches a response.
#![warn(clippy::too_many_lines)]

mod error;
pub mod export;
pub mod extract;
mod page;
pub mod routes;
pub mod upload;
pub mod words;
mod words_table;

pub use error::{ApiError, problem, with_retry_after};
pub use extract::{Body, User, cookie};
pub use page::{ErrorShown, error_page, error_page_coded, session_cookie, url_encode};
pub use routes::{DENIED_BY, Table, form_field};
pub use upload::{FormData, UPLOAD_MAX_BODY};
pub use yimen_service::{AppState, Authed, MAX_BODY, RouteInfo, Session, is_api_path};

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};

/// The router of a finished route table, with the fallback (404 as problem details or as a
/// page), the body's size limit and deadline, and the headers on every response; the route
/// list is kept in the state for the OpenAPI document.
pub fn finish(table: Table) -> (Router, Vec<RouteInfo>) {
    let state = table.state();
    let (router, info) = table.finish();
    let _ = state.routes.set(info.clone());
    let router = router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), read_body_within))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(request_id))
        .layer(axum::middleware::from_fn(language))
        .with_state(state);
    (router, info)
}

/// Serves each request in its reader's language: a page's chosen language (the cookie) or the
/// browser's, an API client's `Accept-Language` (English without one); refusals made while
/// serving it speak that language, and say which in `Content-Language`.
async fn language(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let lang = if is_api_path(req.uri().path()) {
        words::api_lang(req.headers())
    } else {
        words::page_lang(req.headers())
    };
    let mut r = words::speaking(lang, next.run(req)).await;
    let refused = r.status().is_client_error() || r.status().is_server_error();
    if refused && !r.headers().contains_key(axum::http::header::CONTENT_LANGUAGE) {
        r.headers_mut().insert(
            axum::http::header::CONTENT_LANGUAGE,
            axum::http::HeaderValue::from_static(lang.tag()),
        );
    }
    r
}

/// Gives each request an id — the client's `X-Request-Id` when it is short and plain, else a
/// new one — that every log line written while serving it carries (a `request` span) and the
/// answer returns in `X-Request-Id`, so a person reporting a problem can name the request.
async fn request_id(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tracing::Instrument;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    let id = given.map_or_else(
        || {
            let start = START.get_or_init(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            });
            format!(
                "{:x}-{:x}",
                start & 0xffff_ffff_ffff,
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        },
        str::to_owned,
    );
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let mut r = next.run(req).instrument(span).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        r.headers_mut().insert("x-request-id", v);
    }
    r
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
    // A form with files may be larger, and gets longer to arrive (a phone's photos).
    let files = upload::takes_files(&parts.method, parts.uri.path(), &parts.headers);
    let (limit, deadline) = if files {
        (UPLOAD_MAX_BODY, state.limits.settings.body_timeout.max(UPLOAD_DEADLINE))
    } else {
        (MAX_BODY, state.limits.settings.body_timeout)
    };
    let refuse = |status, code, detail: &str| {
        if api {
            ApiError::new(status, code, detail.to_owned()).into_response()
        } else {
            error_page_coded(status, code, detail)
        }
    };
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) if is_length_limit(&e) => {
            return refuse(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!("the request body is larger than {limit} bytes"),
            );
        }
        Ok(Err(_)) => {
            return refuse(
                axum::http::StatusCode::BAD_REQUEST,
                "body_cut_off",
                "the request body was cut off before its end; nothing was saved",
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

/// How long a form with files may take to arrive at least.
const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether reading a body failed on its size limit (not on the connection).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.to_string().contains("length limit exceeded") {
            return true;
        }
        cur = err.source();
    }
    false
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

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_api_path(uri.path()) {
        ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such resource").into_response()
    } else {
        error_page_coded(axum::http::StatusCode::NOT_FOUND, "no_page", "no such page")
    }
}
