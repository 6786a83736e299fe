//! Delivery of notifications by email and SMS. This crate knows nothing of cases: a message
//! comes in, a receipt or an error goes out, and the error says at the type level whether
//! retrying can help.
#![warn(missing_docs)]
#![warn(clippy::too_many_lines)]

pub mod email;
pub mod sms;

use std::future::Future;
use std::pin::Pin;

pub use email::EmailNotifier;
pub use sms::KannelNotifier;

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The recipient's address: an email address or a mobile number.
    pub to: String,
    /// The recipient's display name.
    pub to_name: Option<String>,
    /// The subject (email only).
    pub subject: Option<String>,
    /// The plain-text body (the whole SMS for SMS).
    pub text: String,
    /// An HTML body (email only).
    pub html: Option<String>,
    /// A stable key: a retry of the same message carries the same key (and, for email, the same
    /// `Message-ID`, so a receiving system can drop a duplicate).
    pub idempotency_key: String,
    /// Where the gateway should send delivery reports (SMS), if anywhere.
    pub report_url: Option<String>,
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

/// The future a [`Notifier`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Receipt, SendError>> + Send + 'a>>;

/// A channel that delivers messages.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// The channel's name for logs and metrics (`email`, `sms`).
    fn channel(&self) -> &'static str;

    /// Delivers one message.
    fn send<'a>(&'a self, msg: &'a Message) -> SendFuture<'a>;
}

/// The `Message-ID` derived from an idempotency key: the same key always gives the same id.
pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}
