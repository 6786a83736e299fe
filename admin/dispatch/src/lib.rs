//! The outbox dispatcher: expands each outbox row into one delivery per address and channel,
//! renders, sends through the configured notifiers, and records every outcome — delivered,
//! retrying with exponential backoff and jitter, failed for good, or undeliverable because no
//! server is configured for the channel. Several nodes share the work by leases.
#![warn(clippy::too_many_lines)]

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde_json::Value;
use yimen_engine::model::{Channel, Recipient};
use yimen_engine::render::Renderer;
use yimen_engine::runtime::Engine;
use yimen_engine::store::outbox::{Delivery, NewDelivery, Outcome};
use yimen_notifiers::{Notifier, SendError};

mod message;

/// The dispatcher's settings.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Attempts before a delivery fails for good.
    pub max_attempts: i64,
    /// The first retry's delay; each further one doubles, with up to 25% jitter.
    pub first_backoff: chrono::Duration,
    /// How long a claim is this node's.
    pub lease: chrono::Duration,
    /// How often to look for work.
    pub poll: StdDuration,
    /// Night hours (local, `[start, end)` in minutes from midnight, may wrap) with no SMS.
    pub sms_quiet: Option<(u32, u32)>,
    /// Supervision levels whose SMS may go out during quiet hours (e.g. 3: only the discipline
    /// commission's rung).
    pub sms_night_level: u8,
    /// Most SMS to one number per hour.
    pub sms_per_hour: i64,
    /// Where gateways send delivery reports: this server's base URL and the shared token.
    pub reports: Option<(String, String)>,
}

impl Default for DispatchOptions {
    /// Eight attempts, 30 s first backoff, 60 s leases, a 500 ms poll; no SMS from 22:00 to 07:00
    /// except for level-3 supervision; at most 10 SMS an hour to one number.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_backoff: chrono::Duration::seconds(30),
            lease: chrono::Duration::seconds(60),
            poll: StdDuration::from_millis(500),
            sms_quiet: Some((22 * 60, 7 * 60)),
            sms_night_level: 3,
            sms_per_hour: 10,
            reports: None,
        }
    }
}

/// Parses `HH:MM-HH:MM` into minutes from midnight.
pub fn parse_quiet_hours(s: &str) -> anyhow::Result<(u32, u32)> {
    let minutes = |t: &str| -> anyhow::Result<u32> {
        let (h, m) = t
            .trim()
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("`{t}` is not HH:MM"))?;
        let (h, m): (u32, u32) = (h.parse()?, m.parse()?);
        anyhow::ensure!(h < 24 && m < 60, "`{t}` is not a time of day");
        Ok(h * 60 + m)
    };
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("`{s}` is not a range"))?;
    Ok((minutes(a)?, minutes(b)?))
}

/// Why the dispatcher could not do a round.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The store could not be read or written.
    #[error("{0}")]
    Store(#[from] yimen_engine::store::StoreError),
    /// The engine could not be asked.
    #[error("{0}")]
    Engine(#[from] yimen_engine::runtime::EngineError),
    /// A message could not be rendered.
    #[error("{0}")]
    Render(#[from] yimen_engine::CoreError),
    /// What the delivery is about is no longer there.
    #[error("{0}")]
    Gone(&'static str),
}

/// The dispatcher.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    engine: Engine,
    renderer: Arc<Renderer>,
    email: Option<Arc<dyn Notifier>>,
    sms: Option<Arc<dyn Notifier>>,
    opts: DispatchOptions,
}

impl Dispatcher {
    /// A dispatcher over the engine's store with the notifiers that are configured.
    pub fn new(
        engine: Engine,
        renderer: Arc<Renderer>,
        email: Option<Arc<dyn Notifier>>,
        sms: Option<Arc<dyn Notifier>>,
        opts: DispatchOptions,
    ) -> Self {
        Self {
            engine,
            renderer,
            email,
            sms,
            opts,
        }
    }

    fn configured(&self, channel: &str) -> bool {
        match channel {
            "email" => self.email.is_some(),
            "sms" => self.sms.is_some(),
            _ => false,
        }
    }

    /// The addresses a recipient resolves to for a case.
    fn resolve(
        &self,
        case: &yimen_engine::core::Case,
        def: &yimen_engine::core::CompiledCaseType,
        to: &[Recipient],
        channels: &[Channel],
    ) -> Vec<NewDelivery> {
        let org = self.engine.org();
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut push = |channel: &str, address: Option<&str>, recipient: &str, out: &mut Vec<NewDelivery>| {
            let address = address.unwrap_or("").to_owned();
            if !seen.insert((channel.to_owned(), address.clone(), recipient.to_owned())) {
                return;
            }
            let undeliverable = if address.is_empty() {
                Some(format!("{recipient} has no {channel} address"))
            } else if !self.configured(channel) {
                Some(format!("no {channel} server is configured"))
            } else {
                None
            };
            out.push(NewDelivery {
                channel: channel.to_owned(),
                address: if address.is_empty() {
                    format!("<none:{recipient}>")
                } else {
                    address
                },
                recipient: recipient.to_owned(),
                undeliverable,
            });
        };
        for r in to {
            if r.citizen {
                let phone = def
                    .def
                    .citizen
                    .as_ref()
                    .and_then(|c| c.phone.as_ref())
                    .and_then(|f| case.fields.get(f))
                    .and_then(Value::as_str);
                push("sms", phone, "citizen", &mut out);
                continue;
            }
            for (id, u) in org.recipients(r, case) {
                let wanted: Vec<Channel> = if !channels.is_empty() {
                    channels.to_vec()
                } else if !u.channels.is_empty() {
                    u.channels.clone()
                } else {
                    vec![Channel::Email]
                };
                for c in wanted {
                    match c {
                        Channel::Email => push("email", u.email.as_deref(), id, &mut out),
                        Channel::Sms => push("sms", u.mobile.as_deref(), id, &mut out),
                    }
                }
            }
        }
        out
    }

    /// Expands pending outbox rows into deliveries; returns how many rows.
    pub async fn expand(&self) -> Result<usize, DispatchError> {
        let store = self.engine.store();
        let now = self.engine.now();
        let node = self.engine.node_id();
        let rows = store
            .claim_outbox(
                node,
                now.timestamp_millis(),
                (now + self.opts.lease).timestamp_millis(),
                200,
            )
            .await?;
        let n = rows.len();
        for row in rows {
            let to: Vec<Recipient> = serde_json::from_str(&row.recipients).unwrap_or_default();
            let channels: Vec<Channel> = serde_json::from_str(&row.channels).unwrap_or_default();
            let deliveries = if row.case_id.starts_with(REPORT_PREFIX) {
                self.resolve_district(&to, &channels)
            } else {
                match self.engine.case(&row.case_id).await {
                    Ok(Some(case)) => match self.engine.definitions().get(&case.case_type, case.definition_version) {
                        Some(def) => self.resolve(&case, &def, &to, &channels),
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                }
            };
            if deliveries.is_empty() {
                tracing::warn!(outbox = %row.idempotency_key, template = %row.template, "a notification resolves to nobody");
            }
            store
                .expand_outbox(
                    &row.idempotency_key,
                    &row.case_id,
                    &row.template,
                    node,
                    &deliveries,
                    now.timestamp_millis(),
                )
                .await?;
        }
        Ok(n)
    }

    /// The addresses of every holder of the recipients' roles in the district (for reports,
    /// which belong to no case).
    fn resolve_district(&self, to: &[Recipient], channels: &[Channel]) -> Vec<NewDelivery> {
        let org = self.engine.org();
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for r in to {
            let Some(role) = &r.role else { continue };
            for (id, u) in &org.file.users {
                if !u.roles.contains(role) {
                    continue;
                }
                let wanted: Vec<Channel> = if channels.is_empty() {
                    vec![Channel::Email]
                } else {
                    channels.to_vec()
                };
                for c in wanted {
                    let (channel, address) = match c {
                        Channel::Email => ("email", u.email.clone()),
                        Channel::Sms => ("sms", u.mobile.clone()),
                    };
                    let address = address.unwrap_or_default();
                    if !seen.insert((channel, address.clone(), id.clone())) {
                        continue;
                    }
                    let undeliverable = if address.is_empty() {
                        Some(format!("{id} has no {channel} address"))
                    } else if !self.configured(channel) {
                        Some(format!("no {channel} server is configured"))
                    } else {
                        None
                    };
                    out.push(NewDelivery {
                        channel: channel.to_owned(),
                        address: if address.is_empty() {
                            format!("<none:{id}>")
                        } else {
                            address
                        },
                        recipient: id.clone(),
                        undeliverable,
                    });
                }
            }
        }
        out
    }

    /// Whether an SMS must wait: until when, and why.
    async fn sms_hold(&self, d: &Delivery) -> Option<(i64, String)> {
        let now = self.engine.now();
        if let Some((start, end)) = self.opts.sms_quiet {
            let case = self.engine.case(&d.case_id).await.ok().flatten();
            let def = case
                .as_ref()
                .and_then(|c| self.engine.definitions().get(&c.case_type, c.definition_version));
            let tz = def
                .as_ref()
                .map_or_else(|| self.engine.zone(), |d| d.calendar.timezone());
            let local = now.with_timezone(&tz);
            let minute = chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local);
            let quiet = if start <= end {
                minute >= start && minute < end
            } else {
                minute >= start || minute < end
            };
            let level = d
                .outbox_key
                .rsplit_once("/rung/")
                .and_then(|(_, rung)| {
                    def.as_ref()
                        .and_then(|d| d.ladder.as_ref())
                        .and_then(|l| l.rungs.get(rung))
                })
                .map_or(0, |r| r.level);
            if quiet && level < self.opts.sms_night_level {
                let wait = if minute >= end {
                    24 * 60 - minute + end
                } else {
                    end - minute
                };
                let until = now + chrono::Duration::minutes(i64::from(wait));
                return Some((until.timestamp_millis(), "quiet hours: no SMS at night".into()));
            }
        }
        let since = (now - chrono::Duration::hours(1)).timestamp_millis();
        let sent = self
            .engine
            .store()
            .delivered_since("sms", &d.slot, since)
            .await
            .unwrap_or(0);
        if sent >= self.opts.sms_per_hour {
            let until = now + chrono::Duration::minutes(10);
            return Some((
                until.timestamp_millis(),
                format!("rate limit: {sent} SMS to this number in the last hour"),
            ));
        }
        None
    }

    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let base = self.opts.first_backoff * (1i32 << attempts.clamp(0, 16) as i32);
        let jitter = RandomState::new().hash_one(std::time::SystemTime::now()) % 250;
        base + base * (jitter as i32) / 1000
    }

    /// Sends due deliveries; returns how many attempts were made.
    pub async fn send(&self) -> Result<usize, DispatchError> {
        let store = self.engine.store();
        let now = self.engine.now();
        let node = self.engine.node_id();
        let mut channels = Vec::new();
        if self.email.is_some() {
            channels.push("email");
        }
        if self.sms.is_some() {
            channels.push("sms");
        }
        let due = store
            .claim_deliveries(
                node,
                &channels,
                now.timestamp_millis(),
                (now + self.opts.lease).timestamp_millis(),
                100,
            )
            .await?;
        let n = due.len();
        for d in due {
            if d.channel == "sms"
                && let Some((until, reason)) = self.sms_hold(&d).await
            {
                store
                    .record_delivery(&d, node, &Outcome::Deferred { until, reason }, now.timestamp_millis())
                    .await?;
                continue;
            }
            // Sends in a claimed batch follow each other: renew this one's lease first, and skip
            // it when the lease ran out meanwhile (another node may be sending it).
            let fresh = self.engine.now();
            if !store
                .renew_delivery_lease(
                    &d,
                    node,
                    fresh.timestamp_millis(),
                    (fresh + self.opts.lease).timestamp_millis(),
                )
                .await?
            {
                tracing::debug!(channel = %d.channel, to = %d.recipient, "the lease ran out before sending; left to its new holder");
                continue;
            }
            let notifier = match d.channel.as_str() {
                "email" => self.email.clone(),
                _ => self.sms.clone(),
            };
            let sending = std::time::Instant::now();
            let result = match (self.message(&d).await, notifier) {
                (Ok(m), Some(n)) => n.send(&m).await,
                (Err(e), _) => Err(SendError::Permanent(format!("the message cannot be rendered: {e}"))),
                (_, None) => Err(SendError::Permanent("no server is configured for the channel".into())),
            };
            let outcome_name = match &result {
                Ok(_) => "delivered",
                Err(SendError::Retryable(_)) => "retry",
                Err(SendError::Permanent(_)) => "failed",
            };
            metrics::histogram!("yimen_delivery_seconds", "channel" => d.channel.clone(), "outcome" => outcome_name)
                .record(sending.elapsed().as_secs_f64());
            let now = self.engine.now();
            let outcome = match result {
                Ok(receipt) => {
                    tracing::info!(channel = %d.channel, to = %d.recipient, template = %d.template, "delivered");
                    Outcome::Delivered {
                        gateway_id: receipt.gateway_id,
                    }
                }
                Err(SendError::Retryable(e)) if d.attempts + 1 < self.opts.max_attempts => Outcome::Retry {
                    next_at: (now + self.backoff(d.attempts)).timestamp_millis(),
                    error: e,
                },
                Err(SendError::Retryable(e)) => Outcome::Failed {
                    error: format!("gave up after {} attempts: {e}", d.attempts + 1),
                },
                Err(SendError::Permanent(e)) => Outcome::Failed { error: e },
            };
            if let Outcome::Failed { error } = &outcome {
                tracing::warn!(channel = %d.channel, to = %d.recipient, template = %d.template, "delivery failed for good: {error}");
            }
            store
                .record_delivery(&d, node, &outcome, now.timestamp_millis())
                .await?;
        }
        Ok(n)
    }

    /// Runs until `stop` turns true.
    pub fn spawn(self, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if *stop.borrow() {
                    break;
                }
                let busy = match (self.expand().await, self.send().await) {
                    (Ok(a), Ok(b)) => a + b > 0,
                    (a, b) => {
                        for e in [a.err(), b.err()].into_iter().flatten() {
                            tracing::warn!("the dispatcher failed: {e}");
                        }
                        false
                    }
                };
                // A round done: what was due before it began has been expanded and tried (tests
                // wait for rounds to check that something did not happen).
                metrics::counter!("yimen_dispatch_rounds_total").increment(1);
                if busy {
                    continue;
                }
                // Until a retry's back-off ends on the engine's clock, or the poll interval of
                // real time (for what other nodes and commands queue meanwhile).
                let now = self.engine.now();
                let poll = self.opts.poll;
                let next = match self.engine.store().next_delivery_due(now.timestamp_millis()).await {
                    Ok(Some(due)) => chrono::DateTime::from_timestamp_millis(due).unwrap_or(now),
                    _ => now + chrono::Duration::from_std(poll).unwrap_or(chrono::Duration::MAX),
                };
                tokio::select! {
                    () = self.engine.sleep_until(next, poll) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }
}

/// The `case_id` of outbox rows that announce a report rather than concern a case.
const REPORT_PREFIX: &str = "report:";
