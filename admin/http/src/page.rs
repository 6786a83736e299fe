//! What the skeleton says to people rather than programs: the plain error page, the session
//! cookie, and query-string encoding.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use yimen_service::{AppState, auth, esc};

/// What an error page says, kept on its response so that the pages can draw it again inside
/// the site's frame (navigation, language switch) for the signed-in reader.
#[derive(Debug, Clone)]
pub struct ErrorShown {
    /// The status.
    pub status: StatusCode,
    /// The sentence for the reader, in the request's language.
    pub message: String,
}

/// An error page whose text is already in the reader's language (the pages' own refusals).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    plain_error(status, message.to_owned())
}

/// An error page for a refusal code: the code's sentence in the request's language.
pub fn error_page_coded(status: StatusCode, code: &str, detail: &str) -> Response {
    let lang = crate::words::current_or(crate::words::Lang::Zh);
    plain_error(status, crate::words::for_people(lang, code, detail))
}

/// The error page without the site's frame (what a reader who is not signed in sees, and what
/// the frame is drawn around); the frame's language is the request's.
fn plain_error(status: StatusCode, message: String) -> Response {
    let lang = crate::words::current_or(crate::words::Lang::Zh);
    let home = match lang {
        crate::words::Lang::Zh => "返回首页",
        crate::words::Lang::En => "Home",
    };
    let body = format!(
        "<!doctype html><html lang=\"{2}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{0}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\" id=\"main\"><h1>{0}</h1><p class=\"error\" role=\"alert\">{1}</p><p><a href=\"/\">{3}</a></p></main></body></html>",
        status.as_u16(),
        esc(&message),
        lang.tag(),
        home,
    );
    let mut r = (status, Html(body)).into_response();
    r.extensions_mut().insert(ErrorShown { status, message });
    r
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
