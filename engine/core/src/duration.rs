//! Durations as authors write them: `3 working days`, `45 days`, `4 working hours`, `1 month`.
//!
//! Working durations accrue only in working time on a calendar; calendar durations count every
//! day, the way statutes count 日 (and a calendar-day limit that ends on a rest day runs to the
//! end of the next working day, per the Civil Code, Art. 203).

use std::fmt;
use std::str::FromStr;

/// The longest duration accepted in a definition (about ten years), so arithmetic stays bounded.
pub const MAX_DAYS: u32 = 3660;

/// A unit of a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Weeks (7 days, or 5 working days when working).
    Weeks,
    /// Calendar months (not allowed as working time).
    Months,
}

/// A parsed duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Duration {
    /// How many units.
    pub amount: u32,
    /// The unit.
    pub unit: Unit,
    /// True when it counts working time only.
    pub working: bool,
}

/// Why a duration does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the form `<number> [working] <unit>`.
    #[error("`{0}` is not a duration")]
    Syntax(String),
    /// `working months` make no sense.
    #[error("working time cannot be counted in months")]
    WorkingMonths,
    /// Too long.
    #[error("`{0}` is longer than the {max} days a definition may use", max = MAX_DAYS)]
    TooLong(String),
    /// Zero.
    #[error("a duration must be longer than zero")]
    Zero,
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let (num, working, unit) = match words.as_slice() {
            [n, "working", u] => (*n, true, *u),
            [n, u] => (*n, false, *u),
            _ => return Err(DurationError::Syntax(s.trim().to_owned())),
        };
        let amount: u32 = num.parse().map_err(|_| DurationError::Syntax(s.trim().to_owned()))?;
        let unit = match unit {
            "minute" | "minutes" => Unit::Minutes,
            "hour" | "hours" => Unit::Hours,
            "day" | "days" => Unit::Days,
            "week" | "weeks" => Unit::Weeks,
            "month" | "months" => Unit::Months,
            _ => return Err(DurationError::Syntax(s.trim().to_owned())),
        };
        if amount == 0 {
            return Err(DurationError::Zero);
        }
        if working && unit == Unit::Months {
            return Err(DurationError::WorkingMonths);
        }
        let d = Duration { amount, unit, working };
        if d.approx_days() > f64::from(MAX_DAYS) {
            return Err(DurationError::TooLong(s.trim().to_owned()));
        }
        Ok(d)
    }
}

impl Duration {
    /// A rough length in calendar days, for bounds and coverage checks (working days count 7/5).
    pub fn approx_days(&self) -> f64 {
        let a = f64::from(self.amount);
        let days = match self.unit {
            Unit::Minutes => a / 1440.0,
            Unit::Hours => a / 24.0,
            Unit::Days => a,
            Unit::Weeks => a * 7.0,
            Unit::Months => a * 31.0,
        };
        if self.working {
            // A working hour is one of roughly eight a day; a working day is one of five a week,
            // and holidays can add two weeks in a year.
            let days = if self.unit == Unit::Hours || self.unit == Unit::Minutes {
                days * 3.0
            } else {
                days
            };
            days * 7.0 / 5.0 + 14.0
        } else {
            days
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
        };
        let working = if self.working { "working " } else { "" };
        write!(f, "{} {working}{unit}", self.amount)
    }
}

/// Parses a `warn_at` entry: `"2/3"`, `"75%"` or `0.75`.
pub fn fraction(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().map(|v| v / 100.0);
    }
    if let Some((a, b)) = s.split_once('/') {
        let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (b != 0.0).then_some(a / b);
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_authors_write() {
        let d: Duration = "3 working days".parse().expect("ok");
        assert_eq!((d.amount, d.unit, d.working), (3, Unit::Days, true));
        let d: Duration = " 45  days ".parse().expect("ok");
        assert_eq!((d.amount, d.unit, d.working), (45, Unit::Days, false));
        assert_eq!("1 month".parse::<Duration>().map(|d| d.unit), Ok(Unit::Months));
        assert_eq!(d.to_string(), "45 days");
    }

    #[test]
    fn refuses_nonsense() {
        assert!(matches!(
            "three days".parse::<Duration>(),
            Err(DurationError::Syntax(_))
        ));
        assert_eq!(
            "2 working months".parse::<Duration>(),
            Err(DurationError::WorkingMonths)
        );
        assert_eq!("0 days".parse::<Duration>(), Err(DurationError::Zero));
        assert!(matches!(
            "99999 days".parse::<Duration>(),
            Err(DurationError::TooLong(_))
        ));
        assert!(matches!(
            "3 fortnights".parse::<Duration>(),
            Err(DurationError::Syntax(_))
        ));
    }
}
