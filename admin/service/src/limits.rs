//! Limits that keep one client from starving or filling the service: request rates per source
//! address and per account or token (per node, in memory, with `governor`'s GCRA limiter), and
//! the server's connection and time-out settings. Limits that must hold across nodes — the
//! password attempts of one account — live in the store instead (`Store::take_sign_in_attempt`).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The settings of the limits, each settable in `serve`'s config file or environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// Sign-in attempts per minute from one source address (a burst of as many is allowed).
    pub sign_ins_per_minute: u32,
    /// Cases opened per minute with one account or API token (intake pages, API, Open311).
    pub openings_per_minute: u32,
    /// Files uploaded per minute with one account or API token (so one account cannot fill the
    /// store's disk).
    pub uploads_per_minute: u32,
    /// The longest time a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// The longest time a client may take to send a request's body.
    pub body_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            sign_ins_per_minute: 20,
            openings_per_minute: 600,
            uploads_per_minute: 120,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// One keyed limiter: a quota per key, keys forgotten once they are back to full.
struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

/// Above this many keys remembered, keys back at full quota are dropped.
const MAX_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn per_minute(n: u32) -> Self {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    /// `Ok` when `key` may go on; otherwise how long to wait.
    fn check(&self, key: &K) -> Result<(), Duration> {
        if self.limiter.len() > MAX_KEYS {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The per-node limiters, shared by every request of one server.
pub struct Limits {
    /// The settings in force.
    pub settings: LimitSettings,
    sign_ins: Keyed<IpAddr>,
    openings: Keyed<String>,
    uploads: Keyed<String>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").field("settings", &self.settings).finish()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(LimitSettings::default())
    }
}

/// A refusal by a rate limit: how long until the client may try again (whole seconds, at
/// least one, for `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

fn retry(d: Duration) -> RetryAfter {
    RetryAfter((d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1))
}

impl Limits {
    /// Limiters with these settings.
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            sign_ins: Keyed::per_minute(settings.sign_ins_per_minute),
            openings: Keyed::per_minute(settings.openings_per_minute),
            uploads: Keyed::per_minute(settings.uploads_per_minute),
            settings,
        }
    }

    /// One sign-in attempt from `address` (`None`: the address is unknown, as for requests
    /// made inside the process; they share one quota).
    pub fn sign_in(&self, address: Option<IpAddr>) -> Result<(), RetryAfter> {
        let key = address.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.sign_ins.check(&key).map_err(retry)
    }

    /// One case opened by the account `who` (a token acts as its account).
    pub fn opening(&self, who: &str) -> Result<(), RetryAfter> {
        self.openings.check(&who.to_owned()).map_err(retry)
    }

    /// One file uploaded by account `who`.
    pub fn upload(&self, who: &str) -> Result<(), RetryAfter> {
        self.uploads.check(&who.to_owned()).map_err(retry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_kept_per_key_and_says_how_long_to_wait() {
        let l = Limits::new(LimitSettings {
            sign_ins_per_minute: 3,
            ..LimitSettings::default()
        });
        let a = Some(IpAddr::from([127, 0, 0, 2]));
        let b = Some(IpAddr::from([127, 0, 0, 3]));
        for _ in 0..3 {
            assert!(l.sign_in(a).is_ok());
        }
        let RetryAfter(wait) = l.sign_in(a).expect_err("the fourth in a minute is refused");
        assert!((1..=20).contains(&wait), "{wait} s");
        assert!(l.sign_in(b).is_ok(), "another address has its own quota");
    }
}
