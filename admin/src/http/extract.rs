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

use super::{ApiError, AppState};

/// The acting user, from `X-Yimen-User`.
#[derive(Debug, Clone)]
pub struct User(pub Actor);

impl FromRequestParts<Arc<AppState>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get("x-yimen-user") else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no_user",
                "name the acting user in the X-Yimen-User header",
            ));
        };
        let id = v.to_str().unwrap_or_default();
        Actor::for_user(state.engine.org(), id)
            .map(User)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown_user", "the acting user is not known"))
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
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    format!("the body is not valid JSON for this request: {e}"),
                )
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

impl<T> Body<T> {
    /// The idempotency key scoped to `user`.
    pub fn idempotency_for(&self, user: &Actor) -> Option<Idempotency> {
        self.idempotency.as_ref().map(|(k, h)| Idempotency {
            key: format!("{}:{k}", user.id),
            request_hash: h.clone(),
        })
    }
}
