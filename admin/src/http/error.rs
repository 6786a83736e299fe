//! Errors as RFC 9457 problem details, in one place.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use yimen_engine::core::Rejection;
use yimen_engine::runtime::EngineError;
use yimen_engine::store::Trouble;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a stable code and a sentence for people.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 429 from a rate limit, with `Retry-After` in seconds.
    pub fn too_many(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
        }
    }

    /// The seconds to wait, for a refusal by a rate limit.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The sentence for people.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

fn rejection_status(r: &Rejection) -> StatusCode {
    match r {
        Rejection::NotAllowed { .. } => StatusCode::FORBIDDEN,
        Rejection::UnknownTask(_) => StatusCode::NOT_FOUND,
        Rejection::WrongState { .. }
        | Rejection::Closed
        | Rejection::Stale { .. }
        | Rejection::TaskState { .. }
        | Rejection::HeldByOther { .. }
        | Rejection::StaleTimer(_)
        | Rejection::Unchanged => StatusCode::CONFLICT,
        Rejection::UnknownCaseType(_)
        | Rejection::WrongChannel { .. }
        | Rejection::UnknownAction(_)
        | Rejection::MissingField(_)
        | Rejection::InvalidField { .. }
        | Rejection::GuardFalse { .. }
        | Rejection::CommentRequired(_)
        | Rejection::TakeOverReason { .. }
        | Rejection::BadText(_)
        | Rejection::Calendar(_) => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(id) => ApiError::new(
                StatusCode::NOT_FOUND,
                "case_not_found",
                format!("there is no case `{id}`"),
            ),
            EngineError::Rejected(r) => ApiError::new(rejection_status(&r), r.code(), r.to_string()),
            EngineError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            EngineError::IdempotencyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                e.to_string(),
            ),
            EngineError::TimerSkipped => ApiError::new(StatusCode::CONFLICT, "timer_skipped", e.to_string()),
            EngineError::Store(inner) => {
                // Never echo database text: log it, answer in general terms, but say which
                // trouble it is when the operator can act on it.
                tracing::error!("store error: {inner}");
                let (code, detail) = match inner.trouble() {
                    Trouble::DiskFull => (
                        "store_full",
                        "the database's disk is full; nothing was changed — send the request again once space has been freed",
                    ),
                    Trouble::ReadOnly => (
                        "store_read_only",
                        "the database takes no writes at the moment; nothing was changed — send the request again once it does",
                    ),
                    Trouble::Other => (
                        "store_unavailable",
                        "the database could not take the request; nothing was changed — try again shortly",
                    ),
                };
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
            }
            EngineError::Shutdown => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "the server is shutting down",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let r = problem(self.status, self.code, &self.detail);
        match self.retry_after {
            Some(secs) => crate::limits::RetryAfter(secs).on(r),
            None => r,
        }
    }
}

/// An RFC 9457 problem response with a stable `code`.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("urn:yimen:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
