//! Error pages inside the site's frame: a refusal drawn by the HTTP skeleton (a page the role
//! may not open, a page that does not exist, a form that expired) is drawn again with the
//! navigation, the language switch and the reader's name, so a person who meets it can go on
//! from there in their own language.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use yimen_http::{AppState, Authed, ErrorShown, is_api_path};

use crate::i18n::t;
use crate::{Chrome, Ctx, chrome};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    message: String,
}

/// Redraws a plain error page of a signed-in reader inside the frame (the status and the
/// headers stay).
pub async fn framed_errors(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if is_api_path(req.uri().path()) || req.uri().path().starts_with("/static/") {
        return next.run(req).await;
    }
    let mut probe = axum::http::Request::builder().uri(req.uri().clone());
    for (k, v) in req.headers() {
        if k == axum::http::header::COOKIE || k == axum::http::header::AUTHORIZATION || k == "accept-language" {
            probe = probe.header(k, v);
        }
    }
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let r = next.run(req).await;
    let Some(shown) = r.extensions().get::<ErrorShown>().cloned() else {
        return r;
    };
    let Ok(probe) = probe.body(()) else { return r };
    let (parts, ()) = probe.into_parts();
    let Ok((actor, session)) = yimen_http::extract::authenticate(&parts, &s).await else {
        return r;
    };
    let ctx = Ctx {
        authed: Some(Authed { actor, session }),
        lang: yimen_http::words::page_lang(&parts.headers),
        here,
    };
    let heading = heading(&ctx, shown.status);
    let page = ErrorPage {
        c: chrome(&s, &ctx, "", format!("{} · {heading}", shown.status.as_u16())),
        heading,
        message: shown.message,
    };
    let Ok(html) = page.render() else { return r };
    let (mut head, _) = r.into_parts();
    head.headers.remove(axum::http::header::CONTENT_LENGTH);
    let mut framed = axum::response::Html(html).into_response();
    *framed.status_mut() = head.status;
    for (k, v) in &head.headers {
        framed.headers_mut().insert(k, v.clone());
    }
    framed
}

fn heading(ctx: &Ctx, status: StatusCode) -> String {
    let key = match status {
        StatusCode::FORBIDDEN => "error.h.forbidden",
        StatusCode::NOT_FOUND => "error.h.not_found",
        StatusCode::CONFLICT => "error.h.conflict",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "error.h.invalid",
        StatusCode::PAYLOAD_TOO_LARGE => "error.h.too_large",
        StatusCode::TOO_MANY_REQUESTS => "error.h.too_many",
        s if s.is_server_error() => "error.h.server",
        _ => "error.h.other",
    };
    t(ctx.lang, key).to_owned()
}
