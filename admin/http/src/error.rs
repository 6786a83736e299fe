//! Errors as RFC 9457 problem details, in one place: the API's own refusals, and the service
//! layer's and the engine's errors mapped to their status.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use yimen_engine::runtime::EngineError;
use yimen_service::Kind;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    retry_after: Option<u64>,
    fields: Vec<yimen_engine::core::FieldProblem>,
    /// The fields' labels in the request's language, where the case type is known.
    labels: Box<[(String, String)]>,
}

impl ApiError {
    /// An error with a status, a stable code and a sentence for people.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
            fields: Vec::new(),
            labels: Box::default(),
        }
    }

    /// The same refusal naming its fields by their labels in `case_type` (in the request's
    /// language) rather than by their ids.
    pub fn labelled(mut self, case_type: &yimen_engine::model::CaseTypeFile) -> Self {
        let loc = crate::words::current().tag();
        let labels = self
            .fields
            .iter()
            .filter_map(|p| {
                Some((
                    p.field.clone(),
                    case_type.fields.get(&p.field)?.label.get(loc).to_owned(),
                ))
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        self.labels = labels;
        self
    }

    /// Every field at fault, for a refusal of field values.
    pub fn fields(&self) -> &[yimen_engine::core::FieldProblem] {
        &self.fields
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

fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<yimen_service::Error> for ApiError {
    fn from(e: yimen_service::Error) -> Self {
        Self {
            status: status_of(e.kind()),
            code: e.code(),
            retry_after: e.retry_after(),
            detail: e.detail().to_owned(),
            fields: e.fields().to_vec(),
            labels: Box::default(),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        yimen_service::Error::from(e).into()
    }
}

impl From<yimen_engine::store::StoreError> for ApiError {
    fn from(e: yimen_engine::store::StoreError) -> Self {
        yimen_service::Error::from(e).into()
    }
}

/// `r` with the `Retry-After` header of a refusal by a rate limit.
pub fn with_retry_after(mut r: Response, secs: u64) -> Response {
    r.headers_mut()
        .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let r = if self.fields.is_empty() {
            problem(self.status, self.code, &self.detail)
        } else {
            let errors: Vec<serde_json::Value> = self
                .fields
                .iter()
                .map(|p| {
                    let label = self.labels.iter().find(|(f, _)| *f == p.field).map(|(_, l)| l);
                    let message = match (crate::words::current(), label) {
                        (crate::words::Lang::En, None) => format!("the field `{}` {}", p.field, p.problem),
                        (lang, label) => crate::words::field_problem(lang, label.unwrap_or(&p.field), p),
                    };
                    let mut e = json!({"field": p.field, "code": p.code, "message": message});
                    if let Some(l) = &p.limit {
                        e["limit"] = json!(l);
                    }
                    e
                })
                .collect();
            problem_with(self.status, self.code, &self.detail, Some(errors))
        };
        match self.retry_after {
            Some(secs) => with_retry_after(r, secs),
            None => r,
        }
    }
}

/// An RFC 9457 problem response with a stable `code`.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    problem_with(status, code, detail, None)
}

/// The same, with every field at fault (`errors`).
fn problem_with(status: StatusCode, code: &str, detail: &str, errors: Option<Vec<serde_json::Value>>) -> Response {
    // The detail in the request's language: a Chinese reader gets the code's sentence.
    let detail = crate::words::refusal(crate::words::current(), code, detail);
    let mut body = json!({
        "type": format!("urn:yimen:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    if let Some(e) = errors {
        body["errors"] = serde_json::Value::Array(e);
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
