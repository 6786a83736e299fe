//! Delivery of notifications by email and SMS. This crate knows nothing of cases: a message
//! comes in, a receipt or an error goes out, and the error says whether retrying can help.
#![warn(missing_docs)]

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The recipient's address: an email address or a mobile number.
    pub to: String,
    /// The subject (email only).
    pub subject: Option<String>,
    /// The plain-text body.
    pub text: String,
    /// A stable key: a retry of the same message carries the same key.
    pub idempotency_key: String,
}

/// What a gateway said when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The gateway's id for the message, when it gives one.
    pub gateway_id: Option<String>,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (the server is down, busy or refused for now).
    #[error("temporary failure: {0}")]
    Retryable(String),
    /// Trying again will not help (an invalid address, a rejected message).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// A channel that delivers messages.
pub trait Notifier: Send + Sync {
    /// The channel's name for logs and metrics (`email`, `sms`).
    fn channel(&self) -> &'static str;
}
