//! The pages: server-rendered HTML for staff, supervisors and admins, in Chinese by default
//! with English available, no build step and no script needed (a small `app.js` only adds
//! conveniences). Every page is a route in the same table as the API, behind the same guard.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::http::Table;

/// Adds the pages to the route table.
pub fn pages(t: Table) -> Table {
    t
}

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain error page.
pub fn error_page(status: StatusCode, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{0}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\"><h1>{0}</h1><p>{1}</p><p><a href=\"/\">返回首页 Home</a></p></main></body></html>",
        status.as_u16(),
        esc(detail)
    );
    (status, Html(body)).into_response()
}
