//! Signing in and out in the browser. The sign-in form carries a token that must match a
//! cookie set with the form (so another site cannot sign a person in to an account of its
//! choosing); the password check, lock-out and audit are the service layer's (`yimen_service::session`).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

use super::{Chrome, Ctx, chrome, render, safe_next, see_other};
use yimen_http::AppState;
use yimen_http::Authed;

const LOGIN_COOKIE: &str = "yimen_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    next: String,
    user: String,
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn page_with(
    s: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    error: Option<String>,
    next: String,
    user: String,
) -> Response {
    let token = yimen_service::auth::random_secret().unwrap_or_default();
    let title = super::i18n::t(ctx.lang, "login.title");
    let mut c = chrome(s, ctx, "", title);
    c.user = None;
    c.nav.clear();
    let mut r = render(
        status,
        &LoginPage {
            c,
            error,
            next,
            user,
            token: token.clone(),
        },
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    if ctx.authed.is_some() {
        return see_other(&next);
    }
    page_with(&s, &ctx, StatusCode::OK, None, next, String::new())
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    token: String,
}

pub async fn submit(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    headers: HeaderMap,
    peer: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(mut f): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    // The name is shown again in the form: never more than an account id can be.
    let typed = std::mem::take(&mut f.user);
    f.user = typed.trim().chars().take(64).collect();
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_owned());
    if f.token.is_empty() || cookie.as_deref() != Some(f.token.as_str()) {
        let msg = super::i18n::t(ctx.lang, "login.expired").to_owned();
        return page_with(&s, &ctx, StatusCode::FORBIDDEN, Some(msg), next, f.user);
    }
    let peer = peer.map(|p| p.0.0.ip());
    match yimen_service::session::password_sign_in(&s, peer, typed.trim(), f.password).await {
        Ok(st) => {
            let mut r = see_other(&next);
            r.headers_mut().insert(
                header::SET_COOKIE,
                yimen_http::session_cookie(&s, &st.session, st.max_age),
            );
            r
        }
        Err(e) => {
            let key = match e.code() {
                "wrong_credentials" => "login.wrong",
                "invalid_user_name" => "login.bad_name",
                "password_too_long" => "login.bad_password",
                "rate_limited" => "login.too_many",
                _ => "login.failed",
            };
            let msg = super::i18n::t(ctx.lang, key).to_owned();
            let status = yimen_http::ApiError::from(e.clone()).status();
            let r = page_with(&s, &ctx, status, Some(msg), next, f.user);
            match e.retry_after() {
                Some(secs) => yimen_http::with_retry_after(r, secs),
                None => r,
            }
        }
    }
}

pub async fn logout(State(s): State<Arc<AppState>>, Extension(a): Extension<Authed>) -> Response {
    // A session that could not be ended stays valid: say so rather than pretend.
    if let Err(e) = yimen_service::session::end_session(&s, &a).await {
        return super::refusal_page(e);
    }
    let mut r = see_other("/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, yimen_http::session_cookie(&s, "", 0));
    r
}
