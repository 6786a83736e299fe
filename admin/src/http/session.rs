//! Signing in and out: password sign-in with lock-out after repeated failures, a server-side
//! session in an HTTP-only, SameSite=Strict cookie (Secure behind HTTPS), and its CSRF token.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use yimen_engine::runtime::EngineError;

use super::extract::{Body, authenticate};
use super::{ApiError, AppState};
use crate::auth;

/// `POST /api/v1/session`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

fn cookie(s: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        auth::SESSION_COOKIE
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn wrong() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "wrong_credentials",
        "wrong user name or password",
    )
}

pub async fn sign_in(State(s): State<Arc<AppState>>, body: Body<SignIn>) -> Result<impl IntoResponse, ApiError> {
    let b = body.value;
    let store = s.engine.store();
    let now = s.engine.now().timestamp_millis();
    let db = |e| ApiError::from(EngineError::from(e));
    let account = store.account(&b.user).await.map_err(db)?;
    let Some(account) = account.filter(|a| a.active) else {
        // The same work as a real check, so timing does not tell which names exist.
        let _ = auth::verify_password(b.password, auth::decoy_hash().await).await;
        store
            .audit(now, &b.user, "sign_in_failed", "", "unknown account")
            .await
            .map_err(db)?;
        return Err(wrong());
    };
    if let Some(until) = account.locked_until.filter(|t| *t > now) {
        store
            .audit(now, &account.id, "sign_in_refused", "", "locked")
            .await
            .map_err(db)?;
        let minutes = (until - now + 59_999) / 60_000;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "locked",
            format!("the account is locked after repeated failures; try again in {minutes} minutes or ask an admin"),
        ));
    }
    let ok = match account.password_hash.clone() {
        Some(h) => auth::verify_password(b.password, h).await,
        None => false,
    };
    if !ok {
        let lock_until = now + auth::LOCKOUT_MINUTES * 60_000;
        let failures = store
            .sign_in_failed(&account.id, auth::MAX_FAILURES, lock_until)
            .await
            .map_err(db)?;
        let what = if failures >= auth::MAX_FAILURES {
            "locked"
        } else {
            "wrong password"
        };
        store
            .audit(now, &account.id, "sign_in_failed", "", what)
            .await
            .map_err(db)?;
        return Err(wrong());
    }
    store.sign_in_succeeded(&account.id).await.map_err(db)?;
    // A fresh session id at every sign-in: an id planted before sign-in is never promoted.
    let sid =
        auth::random_secret().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no_randomness", e))?;
    let csrf =
        auth::random_secret().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no_randomness", e))?;
    let ttl = auth::SESSION_HOURS * 3_600_000;
    store
        .start_session(&sid, &account.id, &csrf, now, now + ttl)
        .await
        .map_err(db)?;
    store.audit(now, &account.id, "signed_in", "", "").await.map_err(db)?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&s, &sid, ttl / 1000));
    Ok((
        headers,
        Json(json!({"user": account.id, "name": account.name, "roles": account.roles, "csrf": csrf})),
    ))
}

pub async fn current(State(s): State<Arc<AppState>>, parts: Parts) -> Result<impl IntoResponse, ApiError> {
    let (actor, session) = authenticate(&parts, &s).await?;
    Ok(Json(json!({
        "user": actor.id,
        "roles": actor.roles,
        "department": actor.department,
        "unit": actor.unit,
        "csrf": session.map(|s| s.csrf),
    })))
}

pub async fn sign_out(State(s): State<Arc<AppState>>, parts: Parts) -> Result<impl IntoResponse, ApiError> {
    let (actor, session) = authenticate(&parts, &s).await?;
    if let Some(sess) = session {
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if sent != Some(sess.csrf.as_str()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "signing out needs the session's CSRF token",
            ));
        }
        let store = s.engine.store();
        store
            .end_session(&sess.id)
            .await
            .map_err(|e| ApiError::from(EngineError::from(e)))?;
        let now = s.engine.now().timestamp_millis();
        store
            .audit(now, &actor.id, "signed_out", "", "")
            .await
            .map_err(|e| ApiError::from(EngineError::from(e)))?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&s, "", 0));
    Ok((headers, StatusCode::NO_CONTENT))
}
