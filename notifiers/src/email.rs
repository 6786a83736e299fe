//! Email through SMTP with lettre: pooled connections, STARTTLS or implicit TLS (rustls),
//! authentication, plain text plus HTML, a `Message-ID` derived from the idempotency key.
//!
//! Configured by URL: `smtp://[user:password@]host[:port][?tls=starttls|implicit|none][&from=addr][&pool=4][&timeout=30]`
//! (`smtps://` means implicit TLS). Without `tls`, `smtp://` uses STARTTLS when the server offers
//! it on ports 25 and 587 and plain text only to loopback addresses.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{Message, Notifier, Receipt, SendError, SendFuture, message_id};

/// Why an SMTP URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad SMTP URL: {0}")]
pub struct UrlError(String);

/// Sends email through one SMTP server.
#[derive(Clone)]
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    describe: String,
}

impl std::fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailNotifier({})", self.describe)
    }
}

impl EmailNotifier {
    /// Builds a notifier from a URL (see the module docs). The password never appears in logs.
    /// Call it inside a Tokio runtime: the connection pool runs there.
    pub fn from_url(url: &str) -> Result<Self, UrlError> {
        let u = url::Url::parse(url).map_err(|e| UrlError(e.to_string()))?;
        let implicit = match u.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(UrlError(format!("scheme `{other}` (use smtp:// or smtps://)"))),
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| UrlError("no host".into()))?
            .to_owned();
        let mut tls_mode = if implicit { "implicit".to_owned() } else { String::new() };
        let mut from = None;
        let mut pool = 4u32;
        let mut timeout = 30u64;
        for (k, v) in u.query_pairs() {
            match k.as_ref() {
                "tls" => tls_mode = v.into_owned(),
                "from" => from = Some(v.into_owned()),
                "pool" => pool = v.parse().map_err(|_| UrlError("`pool` must be a number".into()))?,
                "timeout" => {
                    timeout = v
                        .parse()
                        .ok()
                        .filter(|t| (1..=300).contains(t))
                        .ok_or_else(|| UrlError("`timeout` is seconds, from 1 to 300".into()))?;
                }
                other => return Err(UrlError(format!("unknown parameter `{other}`"))),
            }
        }
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if tls_mode.is_empty() {
            tls_mode = if loopback { "none".into() } else { "starttls".into() };
        }
        let params = || TlsParameters::new(host.clone()).map_err(|e| UrlError(format!("TLS: {e}")));
        let (tls, default_port) = match tls_mode.as_str() {
            "none" => (Tls::None, 25),
            "starttls" => (Tls::Required(params()?), 587),
            "opportunistic" => (Tls::Opportunistic(params()?), 25),
            "implicit" => (Tls::Wrapper(params()?), 465),
            other => {
                return Err(UrlError(format!(
                    "tls `{other}` (use starttls, implicit, opportunistic or none)"
                )));
            }
        };
        if tls_mode == "none" && !loopback {
            return Err(UrlError(
                "plain-text SMTP is allowed only to a loopback address; use tls=starttls or implicit".into(),
            ));
        }
        let port = u.port().unwrap_or(default_port);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(timeout)))
            .pool_config(PoolConfig::new().max_size(pool.max(1)));
        if !u.username().is_empty() {
            let user = percent(u.username());
            let pass = percent(u.password().unwrap_or(""));
            builder = builder.credentials(Credentials::new(user, pass));
        }
        let from = from.unwrap_or_else(|| format!("yimen@{host}"));
        let from: Mailbox = from.parse().map_err(|e| UrlError(format!("`from`: {e}")))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from,
            domain,
            describe: format!("{}://{host}:{port} tls={tls_mode}", u.scheme()),
        })
    }

    async fn deliver(&self, msg: &Message) -> Result<Receipt, SendError> {
        let to_addr: lettre::Address = msg
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid address `{}`: {e}", msg.to)))?;
        let to = Mailbox::new(msg.to_name.clone(), to_addr);
        let id = message_id(&msg.idempotency_key, &self.domain);
        let builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone().unwrap_or_default())
            .message_id(Some(id.clone()));
        let email = match &msg.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(msg.text.clone(), html.clone())),
            None => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(msg.text.clone()),
            ),
        }
        .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(Receipt { gateway_id: Some(id) }),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Retryable(e.to_string())),
        }
    }
}

fn percent(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl Notifier for EmailNotifier {
    fn channel(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, msg: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(EmailNotifier::from_url("smtp://127.0.0.1:2525").is_ok());
        assert!(EmailNotifier::from_url("smtps://user:secret@mail.example.org?from=centre@example.org").is_ok());
        let e = EmailNotifier::from_url("smtp://mail.example.org?tls=none").unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        assert!(EmailNotifier::from_url("http://x").is_err());
        assert!(EmailNotifier::from_url("smtp://x?color=red").is_err());
        assert!(EmailNotifier::from_url("smtp://127.0.0.1:2525?timeout=5").is_ok());
        assert!(EmailNotifier::from_url("smtp://127.0.0.1:2525?timeout=0").is_err());
        assert!(EmailNotifier::from_url("smtp://127.0.0.1:2525?timeout=soon").is_err());
        let n = EmailNotifier::from_url("smtp://user:secret@127.0.0.1:2525").expect("ok");
        assert!(!format!("{n:?}").contains("secret"));
    }

    #[test]
    fn message_ids_follow_the_key() {
        assert_eq!(message_id("k1", "d"), message_id("k1", "d"));
        assert_ne!(message_id("k1", "d"), message_id("k2", "d"));
    }
}
