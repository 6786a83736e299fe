//! Turning a calendar file into a [`WorkCalendar`], reporting every inconsistency in its data.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday as ChronoWeekday};
use chrono_tz::Tz;

use super::{WorkCalendar, YearData};
use crate::diag::{Diagnostics, suggest};
use crate::model::calendar::{CalendarFile, Weekday};
use crate::schema::SpanIndex;

fn weekday_index(w: Weekday) -> usize {
    let c = match w {
        Weekday::Monday => ChronoWeekday::Mon,
        Weekday::Tuesday => ChronoWeekday::Tue,
        Weekday::Wednesday => ChronoWeekday::Wed,
        Weekday::Thursday => ChronoWeekday::Thu,
        Weekday::Friday => ChronoWeekday::Fri,
        Weekday::Saturday => ChronoWeekday::Sat,
        Weekday::Sunday => ChronoWeekday::Sun,
    };
    c.num_days_from_monday() as usize
}

/// Parses `HH:MM` (00:00 to 24:00) into seconds from midnight.
fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 3600 + m * 60)
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` into the days it covers.
fn parse_dates(s: &str) -> Option<Vec<NaiveDate>> {
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").ok()?;
    let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").ok()?;
    if b < a || (b - a).num_days() > 31 {
        return None;
    }
    Some(a.iter_days().take_while(|d| *d <= b).collect())
}

/// Parses `MM-DD` or `MM-DD..MM-DD` into (month, day) pairs, using a leap year so 02-29 is valid.
fn parse_month_days(s: &str) -> Option<Vec<(u32, u32)>> {
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let a = NaiveDate::parse_from_str(&format!("2024-{}", a.trim()), "%Y-%m-%d").ok()?;
    let b = NaiveDate::parse_from_str(&format!("2024-{}", b.trim()), "%Y-%m-%d").ok()?;
    if b < a || (b - a).num_days() > 31 {
        return None;
    }
    Some(
        a.iter_days()
            .take_while(|d| *d <= b)
            .map(|d| (d.month(), d.day()))
            .collect(),
    )
}

/// The office hours as (start, end) seconds of the day, in order without overlaps; the whole
/// day when none are listed.
fn office_hours(file: &Path, cal: &CalendarFile, spans: &SpanIndex, diags: &mut Diagnostics) -> Vec<(u32, u32)> {
    let mut office = Vec::new();
    for (i, range) in cal.office_hours.iter().enumerate() {
        let p = format!("office_hours[{i}]");
        let parsed = range
            .split_once('-')
            .and_then(|(a, b)| Some((parse_clock(a)?, parse_clock(b)?)));
        match parsed {
            Some((s, e)) if s < e => {
                if office.last().is_some_and(|&(_, prev_end)| s < prev_end) {
                    diags
                        .at(file, spans.value(&p), p)
                        .hint("list office hours in order, without overlaps")
                        .error("Y0706", format!("`{range}` overlaps or precedes the range before it"));
                } else {
                    office.push((s, e));
                }
            }
            _ => {
                diags
                    .at(file, spans.value(&p), p)
                    .hint("write `HH:MM-HH:MM` with the start before the end, e.g. `08:30-12:00`")
                    .error("Y0706", format!("`{range}` is not a range of office hours"));
            }
        }
    }
    if cal.office_hours.is_empty() {
        office.push((0, 24 * 3600));
    }
    office
}

/// One year's published data: its holidays and its make-up working days (rest days worked),
/// each checked to be in the year and not both.
fn year_data(
    file: &Path,
    spans: &SpanIndex,
    yp: &str,
    year: i32,
    y: &crate::model::calendar::Year,
    rest: &[bool; 7],
    diags: &mut Diagnostics,
) -> YearData {
    let mut data = YearData {
        source: y.source.clone(),
        ..YearData::default()
    };
    for (i, h) in y.holidays.iter().enumerate() {
        let p = format!("{yp}.holidays[{i}].dates");
        let Some(days) = parse_dates(&h.dates) else {
            diags
                .at(file, spans.value(&p), p)
                .hint("write `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`, a block of at most a month, in order")
                .error("Y0704", format!("`{}` is not a valid date or date range", h.dates));
            continue;
        };
        for d in days {
            if d.year() != year {
                diags
                    .at(file, spans.value(&p), &p)
                    .hint(format!("list it under year {}", d.year()))
                    .error("Y0704", format!("{d} is not in {year}"));
            } else if data.holidays.insert(d, h.name.clone()).is_some() {
                diags
                    .at(file, spans.value(&p), &p)
                    .warning("Y0704", format!("{d} is listed as a holiday twice"));
            }
        }
    }
    for (i, w) in y.working_days.iter().enumerate() {
        let p = format!("{yp}.working_days[{i}]");
        let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d") else {
            diags
                .at(file, spans.value(&p), p)
                .hint("write `YYYY-MM-DD`")
                .error("Y0704", format!("`{w}` is not a date"));
            continue;
        };
        if d.year() != year {
            diags
                .at(file, spans.value(&p), p)
                .hint(format!("list it under year {}", d.year()))
                .error("Y0704", format!("{d} is not in {year}"));
        } else if data.holidays.contains_key(&d) {
            diags
                .at(file, spans.value(&p), p)
                .hint("a day is either a holiday or a make-up working day; check the notice")
                .error("Y0704", format!("{d} is both a holiday and a make-up working day"));
        } else if !rest[d.weekday().num_days_from_monday() as usize] {
            diags
                .at(file, spans.value(&p), p)
                .hint("make-up working days are rest days (weekends) that are worked; check the notice")
                .warning("Y0704", format!("{d} is a {} and already a working day", d.weekday()));
        } else {
            data.working_days.insert(d);
        }
    }
    data
}

/// Compiles a calendar, pushing every problem into `diags`; returns `None` when it has errors.
pub fn compile(file: &Path, cal: &CalendarFile, spans: &SpanIndex, diags: &mut Diagnostics) -> Option<WorkCalendar> {
    let before = diags.error_count();
    let tz = match Tz::from_str(&cal.timezone) {
        Ok(tz) => Some(tz),
        Err(_) => {
            let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
            diags
                .at(file, spans.value("timezone"), "timezone")
                .maybe_hint(suggest(&cal.timezone, names))
                .error("Y0705", format!("`{}` is not a known time zone", cal.timezone));
            None
        }
    };

    let mut rest = [false; 7];
    for (i, w) in cal.rest_days.iter().enumerate() {
        let idx = weekday_index(*w);
        if rest[idx] {
            let p = format!("rest_days[{i}]");
            diags
                .at(file, spans.value(&p), p)
                .warning("Y0704", "this rest day is listed twice");
        }
        rest[idx] = true;
    }
    if rest.iter().all(|r| *r) {
        diags.at(file, spans.value("rest_days"), "rest_days").error(
            "Y0704",
            "every day of the week is a rest day, so no deadline could ever be met",
        );
    }

    let office = office_hours(file, cal, spans, diags);

    let mut years = BTreeMap::new();
    for (key, y) in &cal.years {
        let yp = format!("years.{key}");
        let Ok(year) = key.parse::<i32>() else {
            continue; // the schema's key pattern has reported it
        };
        let data = year_data(file, spans, &yp, year, y, &rest, diags);
        years.insert(year, data);
    }
    if let (Some(first), Some(last)) = (years.keys().next().copied(), years.keys().next_back().copied()) {
        for missing in (first..=last).filter(|y| !years.contains_key(y)) {
            diags
                .at(file, spans.value("years"), "years")
                .hint("add the year's notice, or deadlines in it fall back to the provisional rule")
                .warning("Y0702", format!("the calendar skips {missing}"));
        }
    }

    let provisional = cal.provisional.as_ref().map(|p| {
        let mut fixed = BTreeMap::new();
        for (i, h) in p.fixed_holidays.iter().enumerate() {
            let path = format!("provisional.fixed_holidays[{i}].dates");
            match parse_month_days(&h.dates) {
                Some(days) => {
                    for md in days {
                        fixed.insert(md, h.name.clone());
                    }
                }
                None => diags
                    .at(file, spans.value(&path), path)
                    .hint("write `MM-DD` or `MM-DD..MM-DD`, in order")
                    .error("Y0704", format!("`{}` is not a valid month-day or range", h.dates)),
            }
        }
        fixed
    });

    if diags.error_count() > before {
        return None;
    }
    Some(WorkCalendar {
        id: cal.id.clone(),
        tz: tz?,
        rest,
        office,
        years,
        provisional,
    })
}
