//! The service layer's one error: what went wrong in words a person can act on, a stable code,
//! and which kind of refusal it is. The API answers it as problem details and the pages as an
//! error page; neither has to know where it came from.

use yimen_engine::core::Rejection;
use yimen_engine::runtime::EngineError;
use yimen_engine::store::Trouble;

/// Which kind of refusal an error is (the API maps each to one HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The input is not acceptable (422).
    Invalid,
    /// No credential, or a wrong one (401).
    Unauthenticated,
    /// The actor may not do this (403).
    Forbidden,
    /// There is no such thing (404).
    NotFound,
    /// The state has moved on, or another holds it (409).
    Conflict,
    /// Too many requests; try again after `retry_after` seconds (429).
    TooMany,
    /// The store or the engine cannot take it now; nothing changed (503).
    Unavailable,
    /// Something inside failed (500).
    Internal,
}

/// An error of the service layer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct Error {
    kind: Kind,
    code: &'static str,
    detail: String,
    retry_after: Option<u64>,
    fields: Vec<yimen_engine::core::FieldProblem>,
}

impl Error {
    /// An error of `kind` with a stable code and a sentence for people.
    pub fn new(kind: Kind, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            detail: detail.into(),
            retry_after: None,
            fields: Vec::new(),
        }
    }

    /// Every field at fault, for a refusal of field values.
    pub fn fields(&self) -> &[yimen_engine::core::FieldProblem] {
        &self.fields
    }

    /// A refusal by a rate limit, to be tried again after `secs` seconds (at least one).
    pub fn too_many(secs: u64, detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(Kind::TooMany, "rate_limited", detail)
        }
    }

    /// Which kind of refusal this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The sentence for people.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The seconds to wait, for a refusal by a rate limit.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

fn rejection_kind(r: &Rejection) -> Kind {
    match r {
        Rejection::NotAllowed { .. } => Kind::Forbidden,
        Rejection::UnknownTask(_) => Kind::NotFound,
        Rejection::WrongState { .. }
        | Rejection::Closed
        | Rejection::Stale { .. }
        | Rejection::TaskState { .. }
        | Rejection::HeldByOther { .. }
        | Rejection::StaleTimer(_)
        | Rejection::Unchanged => Kind::Conflict,
        Rejection::UnknownCaseType(_)
        | Rejection::WrongChannel { .. }
        | Rejection::UnknownAction(_)
        | Rejection::MissingField(_)
        | Rejection::InvalidField { .. }
        | Rejection::Fields(_)
        | Rejection::GuardFalse { .. }
        | Rejection::CommentRequired(_)
        | Rejection::TakeOverReason { .. }
        | Rejection::BadText(_)
        | Rejection::Calendar(_) => Kind::Invalid,
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(id) => {
                Error::new(Kind::NotFound, "case_not_found", format!("there is no case `{id}`"))
            }
            EngineError::Rejected(r) => {
                let mut e = Error::new(rejection_kind(&r), r.code(), r.to_string());
                if let Rejection::Fields(p) = r {
                    e.fields = p;
                }
                e
            }
            EngineError::Conflict => Error::new(Kind::Conflict, "conflict", e.to_string()),
            EngineError::IdempotencyReused => Error::new(Kind::Invalid, "idempotency_key_reused", e.to_string()),
            EngineError::TimerSkipped => Error::new(Kind::Conflict, "timer_skipped", e.to_string()),
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
                Error::new(Kind::Unavailable, code, detail)
            }
            EngineError::Shutdown => Error::new(Kind::Unavailable, "shutting_down", "the server is shutting down"),
        }
    }
}

impl From<yimen_engine::store::StoreError> for Error {
    fn from(e: yimen_engine::store::StoreError) -> Self {
        Error::from(EngineError::from(e))
    }
}
