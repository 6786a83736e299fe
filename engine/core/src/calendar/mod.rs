//! Working-day calendars: which days are working days (weekly rest days, public holidays and
//! make-up working days, 调休), office hours, and the arithmetic of due instants.
//!
//! Working time accrues only inside office hours on working days. "N working days" is N times
//! the length of an office day, so a case opened at 16:00 with three working days is due at
//! 16:00 on the third working day after, and the result always falls inside office hours on a
//! working day. Calendar-day durations follow the Civil Code: counting starts the next day
//! (Art. 201), a month ends on the corresponding day or the month's last day (Art. 202), and a
//! period whose last day is a rest day ends at the end of the next working day (Art. 203).
//!
//! A date in a year the calendar has no published data for is an error, unless the calendar
//! declares a provisional rule; then the result is computed under it and marked provisional.

mod compile;

pub use compile::compile;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration as Span, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::duration::{Duration, Unit};

/// The most days any single computation may scan (about 40 years), so no input loops for long.
const MAX_SCAN_DAYS: i64 = 366 * 40;

/// A compiled working-day calendar.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    id: String,
    tz: Tz,
    /// Rest days by `Weekday::num_days_from_monday`.
    rest: [bool; 7],
    /// Office hours as seconds from local midnight, `[start, end)`, sorted and disjoint.
    office: Vec<(u32, u32)>,
    years: BTreeMap<i32, YearData>,
    provisional: Option<BTreeMap<(u32, u32), String>>,
}

/// One published year.
#[derive(Debug, Clone, Default)]
pub struct YearData {
    /// The notice the dates come from.
    pub source: String,
    /// Days off, with the holiday's name.
    pub holidays: BTreeMap<NaiveDate, String>,
    /// Make-up working days.
    pub working_days: BTreeSet<NaiveDate>,
}

/// What the calendar says about one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayInfo {
    /// Whether it is a working day.
    pub working: bool,
    /// True when the year is not published and the provisional rule decided.
    pub provisional: bool,
    /// The holiday it belongs to, if any.
    pub holiday: Option<String>,
    /// True for a make-up working day (a weekend day that is worked).
    pub make_up: bool,
}

/// A computed instant and whether it rests on provisional data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The instant.
    pub at: DateTime<Utc>,
    /// True when a year without published data was involved; recompute when it is published.
    pub provisional: bool,
}

/// Why a calendar computation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date is in a year the calendar has no data for, and it has no provisional rule.
    #[error(
        "calendar `{calendar}` has no data for {date} (it covers {first}–{last}); load that year's holiday notice or declare a provisional rule"
    )]
    NotCovered {
        /// The calendar.
        calendar: String,
        /// The date needed.
        date: NaiveDate,
        /// First covered year.
        first: i32,
        /// Last covered year.
        last: i32,
    },
    /// The computation would scan more than forty years.
    #[error("the computation reaches too far into the future")]
    TooFar,
}

impl WorkCalendar {
    /// The calendar's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The published years, in order.
    pub fn years(&self) -> impl Iterator<Item = (i32, &YearData)> {
        self.years.iter().map(|(y, d)| (*y, d))
    }

    /// Whether year `y` has published data.
    pub fn is_published(&self, y: i32) -> bool {
        self.years.contains_key(&y)
    }

    /// Whether the calendar has a provisional rule for unpublished years.
    pub fn has_provisional_rule(&self) -> bool {
        self.provisional.is_some()
    }

    /// The length of one working day, in seconds.
    pub fn day_seconds(&self) -> i64 {
        self.office.iter().map(|(s, e)| i64::from(e - s)).sum()
    }

    fn not_covered(&self, date: NaiveDate) -> CalendarError {
        CalendarError::NotCovered {
            calendar: self.id.clone(),
            date,
            first: self.years.keys().next().copied().unwrap_or(0),
            last: self.years.keys().next_back().copied().unwrap_or(0),
        }
    }

    /// What the calendar says about `date`.
    pub fn day(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        let weekend = self.rest[date.weekday().num_days_from_monday() as usize];
        if let Some(year) = self.years.get(&date.year()) {
            if year.working_days.contains(&date) {
                return Ok(DayInfo {
                    working: true,
                    provisional: false,
                    holiday: None,
                    make_up: weekend,
                });
            }
            let holiday = year.holidays.get(&date).cloned();
            return Ok(DayInfo {
                working: !weekend && holiday.is_none(),
                provisional: false,
                holiday,
                make_up: false,
            });
        }
        let Some(fixed) = &self.provisional else {
            return Err(self.not_covered(date));
        };
        let holiday = fixed.get(&(date.month(), date.day())).cloned();
        Ok(DayInfo {
            working: !weekend && holiday.is_none(),
            provisional: true,
            holiday,
            make_up: false,
        })
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The UTC instant of `secs` seconds after local midnight of `date`.
    fn instant(&self, date: NaiveDate, secs: u32) -> DateTime<Utc> {
        let midnight: NaiveDateTime = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let naive = midnight
            .checked_add_signed(Span::seconds(i64::from(secs)))
            .unwrap_or(midnight);
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            // A local time skipped by a daylight-saving jump: take the instant an hour later.
            LocalResult::None => match self
                .tz
                .from_local_datetime(&naive.checked_add_signed(Span::hours(1)).unwrap_or(naive))
            {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                LocalResult::None => Utc.from_utc_datetime(&naive),
            },
        }
    }

    /// Adds `d` to `from`: working time on this calendar, or calendar time by the Civil Code's rules.
    pub fn add(&self, from: DateTime<Utc>, d: Duration) -> Result<Due, CalendarError> {
        let n = i64::from(d.amount);
        if d.working {
            let secs = match d.unit {
                Unit::Minutes => n * 60,
                Unit::Hours => n * 3600,
                Unit::Days => n * self.day_seconds(),
                Unit::Weeks => n * 5 * self.day_seconds(),
                Unit::Months => return Err(CalendarError::TooFar),
            };
            return self.add_working_seconds(from, secs);
        }
        match d.unit {
            Unit::Minutes | Unit::Hours => {
                let span = if d.unit == Unit::Minutes {
                    Span::minutes(n)
                } else {
                    Span::hours(n)
                };
                Ok(Due {
                    at: from.checked_add_signed(span).ok_or(CalendarError::TooFar)?,
                    provisional: false,
                })
            }
            Unit::Days | Unit::Weeks => {
                let days = if d.unit == Unit::Days { n } else { 7 * n };
                let last = self
                    .local_date(from)
                    .checked_add_signed(Span::days(days))
                    .ok_or(CalendarError::TooFar)?;
                self.calendar_period_end(last)
            }
            Unit::Months => {
                let start = self.local_date(from);
                let last = start
                    .checked_add_months(Months::new(d.amount))
                    .ok_or(CalendarError::TooFar)?;
                self.calendar_period_end(last)
            }
        }
    }

    /// The end of a calendar-day period whose last day is `last`: the end of that day, or of the
    /// next working day when `last` is a rest day (Civil Code Art. 203).
    fn calendar_period_end(&self, mut last: NaiveDate) -> Result<Due, CalendarError> {
        let mut provisional = false;
        for _ in 0..MAX_SCAN_DAYS {
            let info = self.day(last)?;
            provisional |= info.provisional;
            if info.working {
                let end = last.succ_opt().ok_or(CalendarError::TooFar)?;
                return Ok(Due {
                    at: self.instant(end, 0),
                    provisional,
                });
            }
            last = last.succ_opt().ok_or(CalendarError::TooFar)?;
        }
        Err(CalendarError::TooFar)
    }

    /// Adds `secs` seconds of working time to `from`. With zero, this is the next working instant.
    /// When the time runs out exactly at the end of an office period, the result is that end.
    pub fn add_working_seconds(&self, from: DateTime<Utc>, secs: i64) -> Result<Due, CalendarError> {
        let mut remaining = secs.max(0);
        let mut date = self.local_date(from);
        let mut provisional = false;
        for _ in 0..MAX_SCAN_DAYS {
            let info = self.day(date)?;
            provisional |= info.provisional;
            if info.working {
                for &(s, e) in &self.office {
                    let seg_end = self.instant(date, e);
                    // The end of an office period still counts as inside it, so that adding
                    // zero to a result gives the result back.
                    if seg_end < from {
                        continue;
                    }
                    let start = self.instant(date, s).max(from);
                    let avail = (seg_end - start).num_seconds();
                    if remaining <= avail {
                        return Ok(Due {
                            at: start
                                .checked_add_signed(Span::seconds(remaining))
                                .ok_or(CalendarError::TooFar)?,
                            provisional,
                        });
                    }
                    remaining -= avail;
                }
            }
            date = date.succ_opt().ok_or(CalendarError::TooFar)?;
        }
        Err(CalendarError::TooFar)
    }

    /// The next instant at or after `t` that is working time.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Result<Due, CalendarError> {
        self.add_working_seconds(t, 0)
    }

    /// Working seconds in `[a, b)`; zero when `b <= a`.
    pub fn working_seconds_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<(i64, bool), CalendarError> {
        if b <= a {
            return Ok((0, false));
        }
        let mut date = self.local_date(a);
        let last = self.local_date(b);
        if (last - date).num_days() > MAX_SCAN_DAYS {
            return Err(CalendarError::TooFar);
        }
        let mut total = 0i64;
        let mut provisional = false;
        while date <= last {
            let info = self.day(date)?;
            provisional |= info.provisional;
            if info.working {
                for &(s, e) in &self.office {
                    let start = self.instant(date, s).max(a);
                    let end = self.instant(date, e).min(b);
                    if end > start {
                        total += (end - start).num_seconds();
                    }
                }
            }
            date = date.succ_opt().ok_or(CalendarError::TooFar)?;
        }
        Ok((total, provisional))
    }
}

#[cfg(test)]
mod tests;
