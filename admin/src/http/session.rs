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
    /// The account id: 2 to 64 letters, digits, `_`, `-` or `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{2,64}$"))]
    user: String,
    /// At most 1,024 characters.
    #[schemars(length(max = 1024))]
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

/// The one answer to a failed sign-in, whatever failed: an unknown name, a wrong password or a
/// locked account all look alike, so the answer tells nobody which names exist.
fn wrong() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "wrong_credentials",
        format!(
            "wrong user name or password; after {} wrong passwords an account is locked for {} minutes (an admin can unlock it)",
            auth::MAX_FAILURES,
            auth::LOCKOUT_MINUTES
        ),
    )
}

/// The longest password accepted (argon2 over more is work an attacker would choose).
pub const MAX_PASSWORD_CHARS: usize = 1024;

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

pub async fn sign_in(
    State(s): State<Arc<AppState>>,
    peer: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Body<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    let b = body.value;
    let st = password_sign_in(&s, peer.map(|p| p.0.0.ip()), &b.user, b.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, st.cookie);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((
        headers,
        Json(json!({"user": st.account.id, "name": st.account.name, "roles": st.account.roles, "csrf": st.csrf})),
    ))
}

/// Checks a password and starts a new session. In order, each refusal before any work is done:
///
/// 1. A name outside the account-id alphabet or a password over 1 KiB: 422, nothing stored.
/// 2. More attempts from the source address than its quota: 429 with `Retry-After` (per node),
///    before any account is touched, so one client cannot lock every account out.
/// 3. One attempt taken from the account in the store, atomically, *before* the password is
///    checked: at most [`auth::MAX_FAILURES`] checks per lock window however many requests
///    arrive at once on however many nodes.
///
/// An unknown name, a locked account and a wrong password get the same answer after the same
/// work (one argon2 verification each).
pub async fn password_sign_in(
    s: &AppState,
    peer: Option<std::net::IpAddr>,
    user: &str,
    password: String,
) -> Result<Started, ApiError> {
    if !auth::valid_account_id(user) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_user_name",
            "a user name is 2 to 64 letters, digits, `_`, `-` or `.`",
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password_too_long",
            format!("a password is at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if let Err(crate::limits::RetryAfter(secs)) = s.limits.sign_in(peer) {
        return Err(ApiError::too_many(
            secs,
            "too many sign-in attempts from this address; wait and try again",
        ));
    }
    let store = s.engine.store();
    let now = s.engine.now().timestamp_millis();
    let db = |e| ApiError::from(EngineError::from(e));
    let account = store.account(user).await.map_err(db)?.filter(|a| a.active);
    let lock_until = now + auth::LOCKOUT_MINUTES * 60_000;
    let taken = match &account {
        Some(a) => store
            .take_sign_in_attempt(&a.id, auth::MAX_FAILURES, now, lock_until)
            .await
            .map_err(db)?,
        None => false,
    };
    let hash = match (&account, taken) {
        (Some(a), true) => a.password_hash.clone(),
        _ => None,
    };
    // The same work whatever the case, so timing does not tell which names exist or are locked.
    let ok = match hash {
        Some(h) => auth::verify_password(password, h).await,
        None => {
            let _ = auth::verify_password(password, auth::decoy_hash().await).await;
            false
        }
    };
    let Some(account) = account.clone().filter(|_| ok) else {
        let (action, what) = match (&account, taken) {
            (None, _) => ("sign_in_failed", "unknown account"),
            (Some(_), false) => ("sign_in_refused", "locked"),
            (Some(_), true) => ("sign_in_failed", "wrong password"),
        };
        store.audit(now, user, action, "", what).await.map_err(db)?;
        return Err(wrong());
    };
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
