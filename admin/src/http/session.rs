//! Signing in and out: password sign-in with lock-out after repeated failures, a server-side
//! session in an HTTP-only, SameSite=Strict cookie (Secure behind HTTPS), and its CSRF token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;
use yimen_engine::runtime::EngineError;

use super::extract::Body;
use super::routes::Authed;
use super::{ApiError, AppState};
use crate::auth;

/// `POST /api/v1/session`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
}

pub fn cookie(s: &AppState, value: &str, max_age: i64) -> HeaderValue {
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

/// A session just begun.
#[derive(Debug)]
pub struct Started {
    /// Its CSRF token.
    pub csrf: String,
    /// The account.
    pub account: yimen_engine::store::accounts::Account,
    /// The `Set-Cookie` value.
    pub cookie: HeaderValue,
}

pub async fn sign_in(State(s): State<Arc<AppState>>, body: Body<SignIn>) -> Result<impl IntoResponse, ApiError> {
    let b = body.value;
    let st = password_sign_in(&s, &b.user, b.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, st.cookie);
    Ok((
        headers,
        Json(json!({"user": st.account.id, "name": st.account.name, "roles": st.account.roles, "csrf": st.csrf})),
    ))
}

/// Checks a password (with lock-out after repeated failures, the same answer for an unknown
/// name and a wrong password) and starts a new session.
pub async fn password_sign_in(s: &AppState, user: &str, password: String) -> Result<Started, ApiError> {
    let b = SignIn {
        user: user.to_owned(),
        password,
    };
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
    let cookie = cookie(s, &sid, ttl / 1000);
    Ok(Started { csrf, account, cookie })
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
    headers.insert(header::SET_COOKIE, cookie(&s, "", 0));
    Ok((headers, StatusCode::NO_CONTENT))
}

/// Ends a cookie session, with an audit entry (nothing to end for an API token).
pub async fn end_session(s: &AppState, a: &Authed) -> Result<(), ApiError> {
    let Some(sess) = &a.session else { return Ok(()) };
    let store = s.engine.store();
    store
        .end_session(&sess.id)
        .await
        .map_err(|e| ApiError::from(EngineError::from(e)))?;
    let now = s.engine.now().timestamp_millis();
    store
        .audit(now, &a.actor.id, "signed_out", "", "")
        .await
        .map_err(|e| ApiError::from(EngineError::from(e)))?;
    Ok(())
}
