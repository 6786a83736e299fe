//! The SLA clock: a budget plus a ledger of running segments, so the due instant is always
//! derived — right after a pause, an extension, a calendar correction or a definition upgrade —
//! and never stored as one timestamp that could go stale.

use chrono::{DateTime, Duration as Span, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkCalendar};
use crate::duration::{Duration, Unit};

/// One period during which the clock ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// When it started running.
    pub from: DateTime<Utc>,
    /// When it stopped (paused or stopped); `None` while running.
    pub to: Option<DateTime<Utc>>,
}

/// The state of a case's SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// The budget as declared (`3 working days`, `45 days`).
    pub budget: String,
    /// Extensions granted, each as declared.
    pub extensions: Vec<String>,
    /// The running segments, oldest first.
    pub segments: Vec<Segment>,
    /// True once the case closed (or the clock otherwise stopped for good).
    pub stopped: bool,
    /// Warnings fired so far (indexes into the definition's `warn_at`).
    pub warned: Vec<usize>,
    /// True once the breach fired.
    pub breached: bool,
}

/// The status shown in inboxes and boards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Running, no warning point passed.
    OnTime,
    /// Running, past a warning point.
    Warning,
    /// Past the due instant.
    Breached,
    /// Paused (time the law does not count).
    Paused,
    /// Stopped (the case closed).
    Stopped,
}

impl SlaStatus {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::OnTime => "on_time",
            SlaStatus::Warning => "warning",
            SlaStatus::Breached => "breached",
            SlaStatus::Paused => "paused",
            SlaStatus::Stopped => "stopped",
        }
    }
}

/// How a stopped clock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// When it was due while it last ran.
    pub due: DateTime<Utc>,
    /// When it stopped.
    pub stopped_at: DateTime<Utc>,
    /// How late (working seconds, or calendar seconds for a calendar budget); 0 when on time.
    pub late: i64,
}

/// Derived instants of a running clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// When the budget runs out.
    pub due: DateTime<Utc>,
    /// When each warning point is reached (same order as `warn_at`).
    pub warnings: Vec<DateTime<Utc>>,
    /// True when a provisional calendar year was involved.
    pub provisional: bool,
}

impl SlaClock {
    /// A clock started at `at`.
    pub fn start(budget: &str, at: DateTime<Utc>) -> Self {
        Self {
            budget: budget.to_owned(),
            extensions: Vec::new(),
            segments: vec![Segment { from: at, to: None }],
            stopped: false,
            warned: Vec::new(),
            breached: false,
        }
    }

    /// Whether it is running now.
    pub fn running(&self) -> bool {
        !self.stopped && self.segments.last().is_some_and(|s| s.to.is_none())
    }

    /// Pauses a running clock.
    pub fn pause(&mut self, at: DateTime<Utc>) {
        if let Some(s) = self.segments.last_mut()
            && s.to.is_none()
        {
            s.to = Some(at);
        }
    }

    /// Resumes a paused clock.
    pub fn resume(&mut self, at: DateTime<Utc>) {
        if !self.stopped && !self.running() {
            self.segments.push(Segment { from: at, to: None });
        }
    }

    /// Stops the clock for good.
    pub fn stop(&mut self, at: DateTime<Utc>) {
        self.pause(at);
        self.stopped = true;
    }

    fn durations(&self) -> Result<Vec<Duration>, CalendarError> {
        std::iter::once(&self.budget)
            .chain(self.extensions.iter())
            .map(|s| s.parse::<Duration>().map_err(|_| CalendarError::TooFar))
            .collect()
    }

    /// Whether the budget counts working time (else calendar time, as statutes count).
    pub fn counts_working_time(&self) -> bool {
        self.durations()
            .ok()
            .and_then(|d| d.first().map(|d| d.working))
            .unwrap_or(false)
    }

    /// How much of the budget is left at `now`, in working seconds (or calendar seconds for a
    /// calendar budget), when the clock resumed (or runs) now; `None` once stopped or past due.
    pub fn left(&self, cal: &WorkCalendar, now: DateTime<Utc>) -> Result<Option<i64>, CalendarError> {
        let Some(d) = self.derive(cal, &[], now)? else {
            return Ok(None);
        };
        if d.due <= now {
            return Ok(None);
        }
        if self.counts_working_time() {
            Ok(Some(cal.working_seconds_between(now, d.due)?.0))
        } else {
            Ok(Some((d.due - now).num_seconds()))
        }
    }

    /// For a stopped clock: the due instant it had while it last ran, when it stopped, and by
    /// how much it was late (working seconds, or calendar seconds for a calendar budget; 0 when
    /// on time). `None` for a clock that has not stopped.
    pub fn settled(&self, cal: &WorkCalendar) -> Result<Option<Settled>, CalendarError> {
        let Some(stopped_at) = self.segments.last().and_then(|s| s.to).filter(|_| self.stopped) else {
            return Ok(None);
        };
        let mut running = self.clone();
        running.stopped = false;
        if let Some(last) = running.segments.last_mut() {
            last.to = None;
        }
        let Some(d) = running.derive(cal, &[], stopped_at)? else {
            return Ok(None);
        };
        let late = if stopped_at <= d.due {
            0
        } else if self.counts_working_time() {
            cal.working_seconds_between(d.due, stopped_at)?.0
        } else {
            (stopped_at - d.due).num_seconds()
        };
        Ok(Some(Settled {
            due: d.due,
            stopped_at,
            late,
        }))
    }

    /// The due instant and warnings if the clock runs (or resumes) from its last segment's
    /// start; `None` when it has stopped. While paused, the instants are those it would have
    /// if it resumed at `resume_at`.
    pub fn derive(
        &self,
        cal: &WorkCalendar,
        warn_at: &[f64],
        resume_at: DateTime<Utc>,
    ) -> Result<Option<Derived>, CalendarError> {
        if self.stopped {
            return Ok(None);
        }
        let durations = self.durations()?;
        let working = durations.first().is_some_and(|d| d.working);
        let Some(first) = self.segments.first() else {
            return Ok(None);
        };
        let (start, closed): (DateTime<Utc>, &[Segment]) = match self.segments.last() {
            Some(s) if s.to.is_none() => (s.from, &self.segments[..self.segments.len() - 1]),
            _ => (resume_at, &self.segments[..]),
        };
        let mut provisional = false;
        if working {
            // Working time: budget and extensions as working seconds; what closed segments used is
            // counted on the calendar.
            let mut total = 0i64;
            for d in &durations {
                total += match d.unit {
                    Unit::Minutes => i64::from(d.amount) * 60,
                    Unit::Hours => i64::from(d.amount) * 3600,
                    Unit::Days => i64::from(d.amount) * cal.day_seconds(),
                    Unit::Weeks => i64::from(d.amount) * 5 * cal.day_seconds(),
                    Unit::Months => return Err(CalendarError::TooFar),
                };
            }
            let mut used = 0i64;
            for s in closed {
                let (secs, p) = cal.working_seconds_between(s.from, s.to.unwrap_or(s.from))?;
                used += secs;
                provisional |= p;
            }
            let remaining = (total - used).max(0);
            let due = cal.add_working_seconds(start, remaining)?;
            provisional |= due.provisional;
            let mut warnings = Vec::with_capacity(warn_at.len());
            for f in warn_at {
                let at = ((total as f64) * f).round() as i64;
                let w = cal.add_working_seconds(start, (at - used).max(0))?;
                provisional |= w.provisional;
                warnings.push(w.at);
            }
            Ok(Some(Derived {
                due: due.at,
                warnings,
                provisional,
            }))
        } else {
            // Calendar time, counted as statutes count: the end of the whole budget from the first
            // start (Civil Code Arts. 201–203), then shifted by the time spent paused.
            let mut end = first.from;
            for d in &durations {
                let r = cal.add(end, *d)?;
                provisional |= r.provisional;
                end = r.at;
            }
            let span = end - first.from;
            let used: Span = closed.iter().map(|s| s.to.unwrap_or(s.from) - s.from).sum();
            let due = start + (span - used);
            let warnings = warn_at
                .iter()
                .map(|f| {
                    let at = Span::milliseconds(((span.num_milliseconds() as f64) * f).round() as i64);
                    start + (at - used).max(Span::zero())
                })
                .collect();
            Ok(Some(Derived {
                due,
                warnings,
                provisional,
            }))
        }
    }

    /// The status at `now`.
    pub fn status(&self, derived: Option<&Derived>, now: DateTime<Utc>) -> SlaStatus {
        if self.stopped {
            return SlaStatus::Stopped;
        }
        if !self.running() {
            return SlaStatus::Paused;
        }
        match derived {
            Some(d) if now >= d.due || self.breached => SlaStatus::Breached,
            Some(d) if d.warnings.iter().any(|w| now >= *w) || !self.warned.is_empty() => SlaStatus::Warning,
            _ => SlaStatus::OnTime,
        }
    }
}
