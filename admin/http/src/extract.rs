//! Extractors with problem-details errors: the acting user, JSON bodies, idempotency keys.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use yimen_engine::core::Actor;
use yimen_engine::runtime::Idempotency;
use yimen_engine::store::sha256_hex;

use yimen_service::{AppState, Session};

use crate::ApiError;

/// The acting user: the account of an API token (`Authorization: Bearer …`) or of a session
/// cookie. A cookie-authenticated request that changes anything must also carry the session's
/// CSRF token in `X-CSRF-Token` (forms: a `csrf` field, checked by the page handlers).
#[derive(Debug, Clone)]
pub struct User(pub Actor);

/// The value of cookie `name` in the request, if any.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail.to_owned())
}

/// Resolves the acting user of a request (and its session, for cookie sign-ins).
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<(Actor, Option<Session>), ApiError> {
    let store = state.engine.store();
    let org = state.engine.org();
    let now = state.engine.now().timestamp_millis();
    let found = |id: Option<String>| async move {
        let Some(id) = id else { return Ok(None) };
        let account = store
            .account(&id)
            .await
            .map_err(yimen_engine::runtime::EngineError::from)?;
        let Some(mut actor) = account.and_then(|a| yimen_service::auth::actor(org, &a)) else {
            return Ok(None);
        };
        // The colleagues away now whose work this user stands in for.
        actor.stands_in_for = store
            .standing_in_for(&actor.id, now)
            .await
            .map_err(yimen_engine::runtime::EngineError::from)?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok::<_, ApiError>(Some(actor))
    };
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let token = h
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        let user = store
            .token_user(token, now)
            .await
            .map_err(yimen_engine::runtime::EngineError::from)?;
        return found(user)
            .await?
            .map(|a| (a, None))
            .ok_or_else(|| unauthenticated("the token is not valid"));
    }
    if let Some(sid) = cookie(parts, yimen_service::auth::SESSION_COOKIE) {
        let Some((user, csrf)) = store
            .session(&sid, now)
            .await
            .map_err(yimen_engine::runtime::EngineError::from)?
        else {
            return Err(unauthenticated("the session has ended; sign in again"));
        };
        let actor = found(Some(user))
            .await?
            .ok_or_else(|| unauthenticated("the account cannot sign in"))?;
        return Ok((actor, Some(Session { id: sid, csrf })));
    }
    Err(unauthenticated(
        "sign in, or send an API token as `Authorization: Bearer <token>`",
    ))
}

impl FromRequestParts<Arc<AppState>> for User {
    type Rejection = ApiError;

    /// The user the route guard resolved (`routes::guard`); every non-public route has one.
    async fn from_request_parts(parts: &mut Parts, _state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<yimen_service::Authed>()
            .map(|a| User(a.actor.clone()))
            .ok_or_else(|| unauthenticated("sign in, or send an API token as `Authorization: Bearer <token>`"))
    }
}

/// A JSON body with its raw bytes (for the idempotency hash) and an optional `Idempotency-Key`.
#[derive(Debug)]
pub struct Body<T> {
    /// The parsed body.
    pub value: T,
    /// The key and request hash, when the request carried a key (scoped later to the user).
    pub idempotency: Option<(String, String)>,
}

impl<T: DeserializeOwned + Default> FromRequest<Arc<AppState>> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| v.to_str().map(str::to_owned))
            .transpose()
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_idempotency_key",
                    "the Idempotency-Key header must be text",
                )
            })?;
        if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_idempotency_key",
                "the Idempotency-Key header must be 1 to 200 characters",
            ));
        }
        let target = format!("{} {}", req.method(), req.uri().path());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    "body_too_large",
                    format!("the request body is larger than {} bytes", super::MAX_BODY),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    "the request body could not be read",
                )
            }
        })?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            T::default()
        } else {
            let bad = |e: serde_json::Error| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    format!("the body is not valid JSON for this request: {e}"),
                )
            };
            // Every body is a JSON object: serde would also read a struct from an array
            // (`[]` for a body without fields), which no client means.
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).map_err(bad)?;
            if !v.is_object() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    "the body must be a JSON object",
                ));
            }
            whole_numbers_as_integers(&mut v);
            serde_json::from_value(v).map_err(|e| {
                // A required field left out is a refusal of the request's content, like any
                // other field the request gets wrong, with the field named.
                if e.to_string().starts_with("missing field") {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "missing_field",
                        format!("the body lacks a required field: {e}"),
                    )
                } else {
                    bad(e)
                }
            })?
        };
        let idempotency = key.map(|k| {
            let mut hashed = target.into_bytes();
            hashed.push(b'\n');
            hashed.extend_from_slice(&bytes);
            (k, sha256_hex(&String::from_utf8_lossy(&hashed)))
        });
        Ok(Body { value, idempotency })
    }
}

/// `736.0` is the integer 736 in JSON (and to JSON Schema); serde reads only `736` into an
/// integer field, so whole numbers written with a fraction become integers before parsing.
fn whole_numbers_as_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *v = serde_json::Value::from(i);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(o) => o.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

impl<T> Body<T> {
    /// The idempotency key scoped to `user`.
    pub fn idempotency_for(&self, user: &Actor) -> Option<Idempotency> {
        self.idempotency.as_ref().map(|(k, h)| Idempotency {
            key: format!("{}:{k}", user.id),
            request_hash: h.clone(),
        })
    }
}
