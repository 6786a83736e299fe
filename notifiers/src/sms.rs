//! SMS through an HTTP gateway. The reference is Kannel's `sendsms` interface: the configured URL
//! carries the gateway address and credentials, and each message adds `to` and `text`
//! (UTF-8, sent as UCS-2 when it is not plain ASCII, so Chinese arrives intact).
//!
//! `YIMEN_SMS_URL=http://127.0.0.1:13013/cgi-bin/sendsms?username=…&password=…&from=12345`

use std::time::Duration;

use crate::{Message, Notifier, Receipt, SendError, SendFuture};

/// Why an SMS gateway URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad SMS gateway URL: {0}")]
pub struct UrlError(String);

/// Sends SMS through a Kannel-compatible `sendsms` endpoint.
#[derive(Clone)]
pub struct KannelNotifier {
    client: reqwest::Client,
    base: url::Url,
    describe: String,
}

impl std::fmt::Debug for KannelNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KannelNotifier({})", self.describe)
    }
}

/// Whether `to` looks like a mobile number a gateway can take (digits, optionally a leading `+`).
pub fn is_mobile(to: &str) -> bool {
    let digits = to.strip_prefix('+').unwrap_or(to);
    (6..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl KannelNotifier {
    /// Builds a notifier from the gateway's `sendsms` URL with its credentials (a request
    /// times out after 20 s).
    pub fn from_url(url: &str) -> Result<Self, UrlError> {
        Self::from_url_with_timeout(url, Duration::from_secs(20))
    }

    /// As [`Self::from_url`], with the time a request may take before it counts as failed (and
    /// is retried).
    pub fn from_url_with_timeout(url: &str, timeout: Duration) -> Result<Self, UrlError> {
        let base = url::Url::parse(url).map_err(|e| UrlError(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(UrlError(format!(
                "scheme `{}` (use http:// or https://)",
                base.scheme()
            )));
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(UrlError("no host".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| UrlError(e.to_string()))?;
        let describe = format!("{}://{}{}", base.scheme(), base.host_str().unwrap_or(""), base.path());
        Ok(Self { client, base, describe })
    }

    async fn deliver(&self, msg: &Message) -> Result<Receipt, SendError> {
        if !is_mobile(&msg.to) {
            return Err(SendError::Permanent(format!("`{}` is not a mobile number", msg.to)));
        }
        let mut url = self.base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("to", &msg.to);
            q.append_pair("text", &msg.text);
            q.append_pair("charset", "UTF-8");
            if !msg.text.is_ascii() {
                q.append_pair("coding", "2");
            }
            if let Some(report) = &msg.report_url {
                // Every report: delivered, failed, buffered, accepted, rejected; `%d` is the status.
                q.append_pair("dlr-mask", "31");
                q.append_pair("dlr-url", &format!("{report}&status=%d"));
            }
        }
        let resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| SendError::Retryable(format!("the gateway cannot be reached: {}", e.without_url())))?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let body = body.trim().chars().take(200).collect::<String>();
        if status.is_success() {
            Ok(Receipt {
                gateway_id: (!body.is_empty()).then_some(body),
            })
        } else if status.is_client_error() && status.as_u16() != 429 {
            Err(SendError::Permanent(format!(
                "the gateway refused the message ({status}): {body}"
            )))
        } else {
            Err(SendError::Retryable(format!("the gateway answered {status}: {body}")))
        }
    }
}

impl Notifier for KannelNotifier {
    fn channel(&self) -> &'static str {
        "sms"
    }

    fn send<'a>(&'a self, msg: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_urls() {
        assert!(is_mobile("13800138000"));
        assert!(is_mobile("+8613800138000"));
        assert!(!is_mobile("138-0013"));
        assert!(KannelNotifier::from_url("http://127.0.0.1:13013/cgi-bin/sendsms?username=a&password=b").is_ok());
        assert!(KannelNotifier::from_url("ftp://x").is_err());
        let n =
            KannelNotifier::from_url("http://127.0.0.1:13013/cgi-bin/sendsms?username=a&password=secret").expect("ok");
        assert!(!format!("{n:?}").contains("secret"));
    }
}
