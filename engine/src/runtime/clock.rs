//! Time, injected: the system clock in production, a manual clock in tests and simulations.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

/// A wait on a clock.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A source of the current instant, and of waits measured on it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// A wait that ends when this clock reads `until` or later, or when `at_most` of real time
    /// has passed, whichever comes first. The loops that wait for something due (timers, the
    /// outbox, periodic jobs) wait on their engine's clock this way, so on a manual clock they
    /// wake when the clock is moved, not after a real-time poll; `at_most` bounds how long work
    /// that is not yet known (a timer just set on another node) waits.
    fn sleep_until(&self, until: DateTime<Utc>, at_most: StdDuration) -> Sleep {
        real_sleep(self.now(), until, at_most)
    }
}

/// A real-time sleep from `now` to `until`, at most `at_most`.
fn real_sleep(now: DateTime<Utc>, until: DateTime<Utc>, at_most: StdDuration) -> Sleep {
    let left = (until - now).to_std().unwrap_or(StdDuration::ZERO);
    Box::pin(tokio::time::sleep(left.min(at_most)))
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Millisecond precision: what the store keeps.
        let now = Utc::now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}

/// A clock that moves only when told to; waits on it end when it is moved past them.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: tokio::sync::watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
            moved: tokio::sync::watch::Sender::new(start),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
        self.moved.send_replace(*now);
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = to;
        self.moved.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn sleep_until(&self, until: DateTime<Utc>, at_most: StdDuration) -> Sleep {
        let mut moved = self.moved.subscribe();
        Box::pin(async move {
            let reached = moved.wait_for(|now| *now >= until);
            tokio::select! {
                _ = reached => {}
                () = tokio::time::sleep(at_most) => {}
            }
        })
    }
}

/// The system clock shifted by a fixed offset: real time, as if it were another moment (for
/// benchmarks that prepare work on a manual clock and then run it in real time).
#[derive(Debug)]
pub struct OffsetClock {
    offset: Duration,
}

impl OffsetClock {
    /// A clock that reads `now` at this moment and runs on in real time from there.
    pub fn starting_at(now: DateTime<Utc>) -> Self {
        Self {
            offset: now - Utc::now(),
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        let t = Utc::now() + self.offset;
        DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
    }
}

/// Real time, except while it is set by hand: a demo replays weeks of a centre's past on it
/// (cases opened, timers fired at the instants they were due) before the service starts, then
/// lets it run on as the system clock.
#[derive(Debug, Default)]
pub struct RewoundClock {
    set: Mutex<Option<DateTime<Utc>>>,
}

impl RewoundClock {
    /// Reads `to` until set again or released.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(to);
    }

    /// Runs on as the system clock from now on.
    pub fn release(&self) {
        *self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

impl Clock for RewoundClock {
    fn now(&self) -> DateTime<Utc> {
        let set = *self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        set.unwrap_or_else(|| SystemClock.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_790_000_000_000).expect("instant")
    }

    #[tokio::test]
    async fn a_wait_on_the_manual_clock_ends_when_the_clock_passes_it() {
        let clock = std::sync::Arc::new(ManualClock::new(t0()));
        let hour = StdDuration::from_secs(3600);
        let wait = tokio::spawn(clock.sleep_until(t0() + Duration::minutes(10), hour));
        // Moved, but not far enough: still waiting.
        clock.advance(Duration::minutes(5));
        tokio::task::yield_now().await;
        assert!(!wait.is_finished());
        clock.advance(Duration::minutes(5));
        tokio::time::timeout(StdDuration::from_secs(10), wait)
            .await
            .expect("woken by the clock, not by the hour of real time")
            .expect("joined");
        // A wait already due ends at once; one never reached ends after `at_most`.
        clock.sleep_until(t0(), hour).await;
        let started = std::time::Instant::now();
        clock
            .sleep_until(t0() + Duration::days(1), StdDuration::from_millis(50))
            .await;
        assert!(started.elapsed() >= StdDuration::from_millis(50));
    }

    #[tokio::test]
    async fn the_system_clock_waits_the_shorter_of_the_two() {
        let started = std::time::Instant::now();
        SystemClock
            .sleep_until(Utc::now() + Duration::days(1), StdDuration::from_millis(20))
            .await;
        SystemClock
            .sleep_until(Utc::now() - Duration::days(1), StdDuration::from_secs(3600))
            .await;
        assert!(started.elapsed() < StdDuration::from_secs(60));
        assert!(started.elapsed() >= StdDuration::from_millis(20));
    }
}
