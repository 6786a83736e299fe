//! Calendar arithmetic against the bundled mainland calendar, and its properties.

use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc};
use proptest::prelude::*;

use super::*;
use crate::load::{LoadOptions, load_dir};
use crate::yaml::Limits;

fn mainland() -> &'static WorkCalendar {
    static CAL: OnceLock<WorkCalendar> = OnceLock::new();
    CAL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
        let opts = LoadOptions {
            today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
            limits: Limits::default(),
        };
        let (mut bundle, diags) = load_dir(&root, &opts);
        assert!(!diags.has_errors(), "{:?}", diags.as_slice());
        bundle.calendars.remove("cn-mainland").expect("bundled calendar")
    })
}

fn local(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("datetime");
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .expect("unique")
        .with_timezone(&Utc)
}

fn show(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn wd(n: u32) -> Duration {
    Duration {
        amount: n,
        unit: Unit::Days,
        working: true,
    }
}

/// Weekday holidays per year from the State Council notices, independently transcribed: the
/// calendar must classify exactly these weekdays as days off, and these weekend days as worked.
const WEEKDAY_HOLIDAYS: [(i32, &[&str]); 3] = [
    (
        2024,
        &[
            "01-01", "02-12", "02-13", "02-14", "02-15", "02-16", "04-04", "04-05", "05-01", "05-02", "05-03", "06-10",
            "09-16", "09-17", "10-01", "10-02", "10-03", "10-04", "10-07",
        ],
    ),
    (
        2025,
        &[
            "01-01", "01-28", "01-29", "01-30", "01-31", "02-03", "02-04", "04-04", "05-01", "05-02", "05-05", "06-02",
            "10-01", "10-02", "10-03", "10-06", "10-07", "10-08",
        ],
    ),
    (
        2026,
        &[
            "01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01", "05-04", "05-05",
            "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07",
        ],
    ),
];

const MAKE_UP_DAYS: [(i32, &[&str]); 3] = [
    (
        2024,
        &["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"],
    ),
    (2025, &["01-26", "02-08", "04-27", "09-28", "10-11"]),
    (2026, &["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]),
];

#[test]
fn every_day_of_2024_to_2026_matches_the_notices() {
    let cal = mainland();
    for ((year, holidays), (_, make_up)) in WEEKDAY_HOLIDAYS.iter().zip(MAKE_UP_DAYS.iter()) {
        let mut d = NaiveDate::from_ymd_opt(*year, 1, 1).expect("date");
        while d.year() == *year {
            let md = d.format("%m-%d").to_string();
            let weekend = d.weekday().num_days_from_monday() >= 5;
            let expected = if weekend {
                make_up.contains(&md.as_str())
            } else {
                !holidays.contains(&md.as_str())
            };
            let info = cal.day(d).expect("covered");
            assert_eq!(info.working, expected, "{d}");
            assert!(!info.provisional, "{d}");
            d = d.succ_opt().expect("next");
        }
    }
}

#[test]
fn a_case_opened_before_the_national_day_holiday_is_due_after_it() {
    // 2026-09-30 is the last working day before 1–7 October; Saturday 10 October is worked.
    let due = mainland().add(local("2026-09-30T16:00"), wd(3)).expect("due");
    assert_eq!(show(due.at), "2026-10-10T16:00");
    assert!(!due.provisional);
}

#[test]
fn spring_festival_2026_with_make_up_saturdays() {
    // Friday 13 Feb, then Saturday 14 Feb (worked), 15–23 Feb off, Saturday 28 Feb worked.
    let cal = mainland();
    assert_eq!(
        show(cal.add(local("2026-02-13T09:00"), wd(1)).expect("due").at),
        "2026-02-14T09:00"
    );
    assert_eq!(
        show(cal.add(local("2026-02-13T09:00"), wd(2)).expect("due").at),
        "2026-02-24T09:00"
    );
}

#[test]
fn time_outside_office_hours_starts_at_the_next_opening() {
    let cal = mainland();
    // Saturday evening: the clock starts Monday 08:30; three working days end Wednesday 17:30.
    assert_eq!(
        show(cal.add(local("2026-11-21T20:00"), wd(3)).expect("due").at),
        "2026-11-25T17:30"
    );
    // Lunch break does not count.
    let h = Duration {
        amount: 1,
        unit: Unit::Hours,
        working: true,
    };
    assert_eq!(
        show(cal.add(local("2026-11-25T11:30"), h).expect("due").at),
        "2026-11-25T14:00"
    );
}

#[test]
fn calendar_days_follow_the_civil_code() {
    let cal = mainland();
    let days = |n| Duration {
        amount: n,
        unit: Unit::Days,
        working: false,
    };
    // 45 days from 2026-03-02 end on 2026-04-16 (a Thursday): the end of that day.
    assert_eq!(
        show(cal.add(local("2026-03-02T10:00"), days(45)).expect("due").at),
        "2026-04-17T00:00"
    );
    // 5 days from 2026-09-28 would end on 3 October (holiday): the period runs to the end of 8 October.
    assert_eq!(
        show(cal.add(local("2026-09-28T10:00"), days(5)).expect("due").at),
        "2026-10-09T00:00"
    );
    // One month from 31 January ends on the last day of February (Art. 202), 28 Feb 2026, a make-up working day.
    let month = Duration {
        amount: 1,
        unit: Unit::Months,
        working: false,
    };
    assert_eq!(
        show(cal.add(local("2026-01-31T10:00"), month).expect("due").at),
        "2026-03-01T00:00"
    );
}

#[test]
fn unpublished_years_are_provisional_and_uncovered_years_are_errors() {
    let cal = mainland();
    let due = cal.add(local("2026-12-30T10:00"), wd(3)).expect("due");
    assert!(due.provisional);
    // 2027-01-01 is a fixed-date holiday under the provisional rule.
    assert_eq!(show(due.at), "2027-01-05T10:00");
    assert!(matches!(
        cal.day(NaiveDate::from_ymd_opt(2023, 5, 1).expect("date")),
        Ok(DayInfo { provisional: true, .. })
    ));

    let mut strict = cal.clone();
    strict.provisional = None;
    let err = strict.add(local("2026-12-30T10:00"), wd(3)).unwrap_err();
    assert!(
        matches!(
            err,
            CalendarError::NotCovered {
                first: 2024,
                last: 2026,
                ..
            }
        ),
        "{err}"
    );
}

fn instant_in_covered_years() -> impl Strategy<Value = DateTime<Utc>> {
    // 2024-01-01 to 2026-10-31 local time, any minute.
    let start = local("2024-01-01T00:00").timestamp() / 60;
    let end = local("2026-10-31T00:00").timestamp() / 60;
    (start..end).prop_map(|m| Utc.timestamp_opt(m * 60, 0).single().expect("valid"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_then_counting_gives_back_the_amount(t in instant_in_covered_years(), n in 0i64..(20 * 27000)) {
        let cal = mainland();
        let due = cal.add_working_seconds(t, n).expect("covered");
        let (counted, _) = cal.working_seconds_between(t, due.at).expect("covered");
        prop_assert_eq!(counted, n);
    }

    #[test]
    fn a_due_instant_never_falls_on_a_rest_day_or_outside_office_hours(t in instant_in_covered_years(), n in 1u32..30) {
        let cal = mainland();
        let due = cal.add(t, wd(n)).expect("covered");
        let local = due.at.with_timezone(&chrono_tz::Asia::Shanghai);
        prop_assert!(cal.day(local.date_naive()).expect("covered").working, "{}", local);
        let secs = local.time().num_seconds_from_midnight();
        prop_assert!(cal.office.iter().any(|&(s, e)| secs >= s && secs <= e), "{}", local);
    }

    #[test]
    fn adding_is_monotone(a in instant_in_covered_years(), b in instant_in_covered_years(), n in 0u32..15) {
        let cal = mainland();
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cal.add(a, wd(n)).expect("covered").at <= cal.add(b, wd(n)).expect("covered").at);
    }

    #[test]
    fn adding_in_two_steps_equals_adding_once(t in instant_in_covered_years(), x in 0u32..10, y in 0u32..10) {
        let cal = mainland();
        let once = cal.add(t, wd(x + y)).expect("covered").at;
        let first = cal.add(t, wd(x)).expect("covered").at;
        let twice = cal.add(first, wd(y)).expect("covered").at;
        prop_assert_eq!(once, twice);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any instant chrono can represent, any duration a definition may hold: an answer or an
    /// error, never a panic.
    #[test]
    fn arithmetic_never_panics(secs in i64::MIN / 2..i64::MAX / 2, amount in 1u32..3660, unit in 0usize..5, working in any::<bool>()) {
        let cal = mainland();
        let Some(t) = DateTime::from_timestamp(secs % 8_000_000_000_000, 0) else { return Ok(()) };
        let unit = [Unit::Minutes, Unit::Hours, Unit::Days, Unit::Weeks, Unit::Months][unit];
        let d = Duration { amount, unit, working: working && unit != Unit::Months };
        let _ = cal.add(t, d);
        let _ = cal.working_seconds_between(t, t + chrono::Duration::days(3));
    }
}
