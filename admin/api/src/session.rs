//! Signing in and out: password sign-in with lock-out after repeated failures, a server-side
//! session in an HTTP-only, SameSite=Strict cookie (Secure behind HTTPS), and its CSRF token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use yimen_http::Authed;
use yimen_http::{ApiError, AppState};
use yimen_http::{Body, session_cookie};
use yimen_service::session::{end_session, password_sign_in};

/// `POST /api/v1/session`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The account id: 2 to 64 letters, digits, `_`, `-` or `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{2,64}$"))]
    user: String,
    /// At most 1,024 characters.
    #[schemars(length(max = 1024))]
    password: String,
}

pub async fn sign_in(
    State(s): State<Arc<AppState>>,
    peer: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Body<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    let b = body.value;
    let st = password_sign_in(&s, peer.map(|p| p.0.0.ip()), &b.user, b.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&s, &st.session, st.max_age));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((
        headers,
        Json(json!({"user": st.account.id, "name": st.account.name, "roles": st.account.roles, "csrf": st.csrf})),
    ))
}

pub async fn current(Extension(a): Extension<Authed>) -> impl IntoResponse {
    Json(json!({
        "user": a.actor.id,
        "roles": a.actor.roles,
        "department": a.actor.department,
        "unit": a.actor.unit,
        "csrf": a.session.map(|s| s.csrf),
    }))
}

/// Ends the session (the guard has checked its CSRF token) and clears the cookie.
pub async fn sign_out(
    State(s): State<Arc<AppState>>,
    Extension(a): Extension<Authed>,
) -> Result<impl IntoResponse, ApiError> {
    end_session(&s, &a).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&s, "", 0));
    Ok((headers, StatusCode::NO_CONTENT))
}
