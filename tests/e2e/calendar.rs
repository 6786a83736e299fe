//! `yimen calendar` as a supervisor checking a deadline runs it.

use serde_json::Value;

use crate::{run, stdout};

#[test]
fn due_counts_the_national_day_holiday_and_its_make_up_saturday() {
    let out = run(&["calendar", "due", "--from", "2026-09-30T10:00", "--working-days", "3"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), "2026-10-10T10:00+08:00 Sat");
}

#[test]
fn due_as_json_says_whether_it_is_provisional() {
    let out = run(&[
        "calendar",
        "due",
        "--from",
        "2026-12-30T16:00",
        "--duration",
        "5 working days",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["due"], "2027-01-07T16:00:00+08:00");
    assert_eq!(doc["provisional"], true);
    assert_eq!(doc["calendar"], "cn-mainland");
}

#[test]
fn statutory_days_end_after_the_holiday() {
    // Labour arbitration's 5 days from 28 September end on a holiday; the period runs to 8 October.
    let out = run(&["calendar", "due", "--from", "2026-09-28T10:00", "--days", "5"]);
    assert_eq!(stdout(&out).trim(), "2026-10-09T00:00+08:00 Fri");
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = run(&["calendar", "due", "--from", "2026-13-01T10:00", "--working-days", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a local date and time"));
    let out = run(&["calendar", "due", "--from", "2026-09-30T10:00"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "calendar",
        "due",
        "--from",
        "2026-09-30T10:00",
        "--duration",
        "3 fortnights",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn days_lists_holidays_and_make_up_days() {
    let out = run(&["calendar", "days", "--from", "2026-10-07", "--to", "2026-10-10"]);
    let text = stdout(&out);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        vec![
            "2026-10-07 Wed holiday (国庆节)",
            "2026-10-08 Thu working",
            "2026-10-09 Fri working",
            "2026-10-10 Sat working (make-up day 调休)",
        ]
    );
}
