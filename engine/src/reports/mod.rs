//! Periodic supervision outputs: the periods jobs cover and the monthly bulletin (通报), computed
//! from the stored cases and their history so a past period recomputes to the same figures.

pub mod assessment;
pub mod bulletin;
pub mod spot_check;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::schedule::JobKind;

/// What a period spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

/// A period a job reports on: local dates `[start, end)` in the centre's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodKind,
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

/// A period that is not a month, an ISO week or a year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a period: write a month `2026-11`, a week `2026-W47` or a year `2026`")]
pub struct PeriodError(pub String);

impl Period {
    /// The month holding `d`.
    pub fn month_of(d: NaiveDate) -> Period {
        let start = d.with_day(1).unwrap_or(d);
        let end = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .unwrap_or(start);
        Period {
            kind: PeriodKind::Month,
            start,
            end,
        }
    }

    /// The ISO week holding `d`.
    pub fn week_of(d: NaiveDate) -> Period {
        let start = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
        Period {
            kind: PeriodKind::Week,
            start,
            end: start + Duration::days(7),
        }
    }

    /// The year holding `d`.
    pub fn year_of(d: NaiveDate) -> Period {
        let start = NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d);
        Period {
            kind: PeriodKind::Year,
            start,
            end: NaiveDate::from_ymd_opt(d.year() + 1, 1, 1).unwrap_or(d),
        }
    }

    /// The period a job of `kind` run on local date `run` reports on: the week, month or year
    /// before the one it runs in.
    pub fn covered_by(kind: JobKind, run: NaiveDate) -> Period {
        match kind {
            JobKind::SpotCheck => Period::week_of(Period::week_of(run).start - Duration::days(1)),
            JobKind::Bulletin => Period::month_of(Period::month_of(run).start - Duration::days(1)),
            JobKind::Assessment => Period::year_of(Period::year_of(run).start - Duration::days(1)),
        }
    }

    /// Parses `2026-11` (a month), `2026-W47` (an ISO week) or `2026` (a year).
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let s = s.trim();
        let bad = || PeriodError(s.to_owned());
        if let Some((y, w)) = s.split_once("-W") {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let w: u32 = w.parse().map_err(|_| bad())?;
            let start = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon).ok_or_else(bad)?;
            return Ok(Period::week_of(start));
        }
        if let Some((y, m)) = s.split_once('-') {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let m: u32 = m.parse().map_err(|_| bad())?;
            return NaiveDate::from_ymd_opt(y, m, 1).map(Period::month_of).ok_or_else(bad);
        }
        let y: i32 = s.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(y, 1, 1).map(Period::year_of).ok_or_else(bad)
    }

    /// Its id: `2026-11`, `2026-W47` or `2026`.
    pub fn id(&self) -> String {
        match self.kind {
            PeriodKind::Week => {
                let w = self.start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => format!("{}-{:02}", self.start.year(), self.start.month()),
            PeriodKind::Year => format!("{}", self.start.year()),
        }
    }

    /// Its bounds as instants: local midnight of `start` and of `end` in `tz`.
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
        };
        (at(self.start), at(self.end))
    }
}

/// A report laid out for people: a self-contained page and a spreadsheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The page (HTML, no scripts, no external resources).
    pub html: String,
    /// The table (CSV, UTF-8).
    pub csv: String,
}

/// Lays reports out for people. The engine computes and stores the figures, which every
/// rendering is made from; the application words them in the centre's language and lays them
/// out (`yimen-reports`).
pub trait Render: Send + Sync + std::fmt::Debug {
    /// The monthly bulletin.
    fn bulletin(&self, b: &bulletin::Bulletin) -> Rendered;
    /// The annual assessment.
    fn assessment(&self, a: &assessment::Assessment) -> Rendered;
    /// The weekly spot-check.
    fn spot_check(&self, s: &spot_check::SpotCheck) -> Rendered;
}

/// The nearest-rank percentile `p` (0–100) of `values`, which must be sorted; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_job_reports_on_the_period_before_its_run() {
        assert_eq!(Period::covered_by(JobKind::Bulletin, d("2026-12-01")).id(), "2026-11");
        assert_eq!(Period::covered_by(JobKind::Bulletin, d("2026-01-05")).id(), "2025-12");
        assert_eq!(Period::covered_by(JobKind::Assessment, d("2027-01-15")).id(), "2026");
        // Monday 30 November 2026 reports on the week of 23–29 November.
        let w = Period::covered_by(JobKind::SpotCheck, d("2026-11-30"));
        assert_eq!(
            (w.id().as_str(), w.start, w.end),
            ("2026-W48", d("2026-11-23"), d("2026-11-30"))
        );
    }

    #[test]
    fn periods_parse_and_print_the_same() {
        // 2026 begins on a Thursday, so it has 53 ISO weeks; 2025 has 52.
        for s in ["2026-11", "2026-W01", "2026-W53", "2026", "2025-12"] {
            assert_eq!(Period::parse(s).expect("parses").id(), s);
        }
        for bad in ["", "2026-13", "2025-W53", "26-W99", "next month", "2026-11-01"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_nearest_rank_percentile() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 90.0), 9.0);
        assert_eq!(percentile(&v, 100.0), 10.0);
        assert_eq!(percentile(&[4.0], 90.0), 4.0);
        assert_eq!(percentile(&[], 90.0), 0.0);
    }
}
