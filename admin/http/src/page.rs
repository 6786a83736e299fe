//! What the skeleton says to people rather than programs: the plain error page, the session
//! cookie, and query-string encoding.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use yimen_service::{AppState, auth, esc};

/// A plain error page (the pages' own refusals use their templates; this one needs none).
pub fn error_page(status: StatusCode, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{0}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\"><h1>{0}</h1><p class=\"error\">{1}</p><p><a href=\"/\">返回首页 Home</a></p></main></body></html>",
        status.as_u16(),
        esc(detail)
    );
    (status, Html(body)).into_response()
}

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `Set-Cookie` value of a session: HTTP-only, SameSite=Strict, `Secure` behind HTTPS;
/// an empty value with `max_age` 0 clears it.
pub fn session_cookie(s: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        auth::SESSION_COOKIE
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}
