//! Periodic schedules: cron expressions (the `cron` crate) behind pure functions.
//!
//! The `cron` crate reads seven fields — `sec min hour day-of-month month day-of-week year` (the
//! year may be left out) — and numbers days of the week from 1 = Sunday to 7 = Saturday, unlike
//! Unix cron (0 = Sunday, 1 = Monday). Names (`MON`, `SUN`) avoid the confusion, and
//! `yimen validate` prints the next runs of every schedule so an author sees what they wrote.
//! "The first working day of the month" is cron plus the calendar: [`next_after`] moves a run
//! that falls on a rest day to the next working instant when asked.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use cron::Schedule;

use crate::calendar::{CalendarError, WorkCalendar};

/// Parses a cron expression, with a message an author can act on.
pub fn parse(expr: &str) -> Result<Schedule, crate::Error> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(crate::Error::Schedule(format!(
            "`{expr}` has {fields} fields; a schedule has 6 or 7 (seconds first, the year last and optional)"
        )));
    }
    Schedule::from_str(expr).map_err(|e| crate::Error::Schedule(format!("`{expr}` is not a valid schedule: {e}")))
}

/// The first run strictly after `after`, in the calendar's time zone; moved to the next working
/// instant when `on_working_day` is set. `None` when the schedule never fires again.
pub fn next_after(
    schedule: &Schedule,
    after: DateTime<Utc>,
    calendar: &WorkCalendar,
    on_working_day: bool,
) -> Result<Option<DateTime<Utc>>, CalendarError> {
    let tz = calendar.timezone();
    let Some(next) = schedule.after(&after.with_timezone(&tz)).next() else {
        return Ok(None);
    };
    let next = next.with_timezone(&Utc);
    if !on_working_day {
        return Ok(Some(next));
    }
    // Keep the time of day, on the next working day.
    let local = next.with_timezone(&tz);
    let mut date = local.date_naive();
    for _ in 0..366 {
        if calendar.day(date)?.working {
            let naive = date.and_time(local.time());
            let moved = tz.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc));
            return Ok(moved.or(Some(next)));
        }
        date = date.succ_opt().ok_or(CalendarError::TooFar)?;
    }
    Err(CalendarError::TooFar)
}

/// The next `n` runs after `after`.
pub fn upcoming(
    schedule: &Schedule,
    after: DateTime<Utc>,
    calendar: &WorkCalendar,
    on_working_day: bool,
    n: usize,
) -> Result<Vec<DateTime<Utc>>, CalendarError> {
    let mut out = Vec::with_capacity(n);
    let mut t = after;
    // When a run is moved to a working day, the raw schedule's next match follows the raw run.
    let mut raw = after;
    while out.len() < n {
        let Some(next_raw) = schedule.after(&raw.with_timezone(&calendar.timezone())).next() else {
            break;
        };
        raw = next_raw.with_timezone(&Utc);
        let Some(run) = next_after(schedule, raw - chrono::Duration::seconds(1), calendar, on_working_day)? else {
            break;
        };
        if run > t || out.is_empty() {
            out.push(run);
            t = run;
        }
    }
    Ok(out)
}
