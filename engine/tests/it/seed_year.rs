//! The seed's year, reproduced: a year of cases with the seed's mix (convenience services,
//! market supervision, comprehensive governance, law enforcement), its zero-trip and one-trip
//! shares and 95 % closed on time, generated with known ground truth through the real engine on
//! a virtual clock, with the periodic jobs running as the days pass. Every figure of the 12
//! bulletins, every spot-check's sample sizes and the assessment's year must equal the truth.
//!
//! Scale: `YIMEN_SEED_YEAR_SCALE` (default 1: the seed year, 27,965 cases; 0.1 for a quick run).
//! `YIMEN_SEED_YEAR_KEEP=<file>` keeps the database there, to look at the reports with
//! `yimen report … --db sqlite://<file>`.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use common::at;
use serde_json::Value;
use yimen_engine::runtime::ManualClock;
use yimen_engine::simulate::{self, Count, MIX, Options, local_date, truth_for};

fn reported(f: &Value) -> Count {
    let n = |k: &str| f[k].as_u64().unwrap_or(u64::MAX);
    Count {
        received: n("received"),
        closed: n("closed"),
        on_time: n("on_time"),
        zero: n("zero_trip"),
        one: n("one_trip"),
        open_at_end: n("open_at_end"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_year_reports_its_ground_truth() {
    let scale: f64 = std::env::var("YIMEN_SEED_YEAR_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("year.db").display());
    let clock = Arc::new(ManualClock::new(at("2024-12-31T12:00")));
    let e = common::engine(&url, "a", clock.clone()).await;
    let b = common::bundle();
    let cal = b.calendars.get("cn-mainland").expect("calendar").clone();
    let sched = common::scheduler_with(&e, b.schedules.expect("schedules").value, cal.clone());
    let opts = Options {
        scale,
        keep_truth: true,
        ..Options::default()
    };
    let out = simulate::run(&e, &clock, Some(&sched), &cal, &opts, &mut |_| {})
        .await
        .expect("the year runs");
    let truth = out.truth;
    assert_eq!(truth.len(), out.cases);
    // The running tally the simulator keeps (for runs too large to keep every case) agrees.
    assert_eq!(
        out.year,
        truth_for(
            &cal,
            &truth,
            NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            None
        )
    );
    let store = e.store();

    // The 12 bulletins equal the truth, in total and per department.
    for m in 1..=12u32 {
        let from = NaiveDate::from_ymd_opt(2025, m, 1).expect("date");
        let to = if m == 12 {
            NaiveDate::from_ymd_opt(2026, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(2025, m + 1, 1)
        }
        .expect("date");
        let period = format!("2025-{m:02}");
        let (_, data) = store
            .report_data("monthly_bulletin", &period)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("the bulletin for {period} ran"));
        let v: Value = serde_json::from_str(&data).expect("json");
        assert_eq!(
            reported(&v["total"]),
            truth_for(&cal, &truth, from, to, None),
            "{period} total"
        );
        for (_, d, _) in MIX {
            let row = v["departments"]
                .as_array()
                .expect("departments")
                .iter()
                .find(|r| r["id"] == d)
                .expect("department row");
            assert_eq!(
                reported(&row["figures"]),
                truth_for(&cal, &truth, from, to, Some(d)),
                "{period} {d}"
            );
        }
    }

    // Every late case breached once and opened one level-1 supervision record, in 2025.
    let late = truth.iter().filter(|t| t.late).count() as u64;
    let (_, year) = store
        .report_data("annual_assessment", "2025")
        .await
        .expect("read")
        .expect("the assessment ran");
    let year: Value = serde_json::from_str(&year).expect("json");
    let mut breaches = 0;
    let mut level1 = 0;
    for d in year["departments"].as_array().expect("departments") {
        breaches += d["figures"]["breaches"].as_u64().expect("breaches");
        level1 += d["figures"]["escalations"][0].as_u64().expect("escalations");
        let id = d["id"].as_str().expect("id");
        let y = truth_for(
            &cal,
            &truth,
            NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            Some(id),
        );
        assert_eq!(reported(&d["figures"]), y, "2025 {id}");
    }
    assert_eq!((breaches, level1), (late, late), "breaches and level-1 records in 2025");

    // Every week's spot-check drew ceil(5 %) per department and case type, at least 2 per
    // department (or all it closed).
    let mut weeks = 0;
    let mut monday = NaiveDate::from_ymd_opt(2025, 1, 6).expect("date");
    while monday <= NaiveDate::from_ymd_opt(2026, 1, 12).expect("date") {
        let week_start = monday - Duration::days(7);
        let id = format!("{}-W{:02}", week_start.iso_week().year(), week_start.iso_week().week());
        let (_, data) = store
            .report_data("weekly_spot_check", &id)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("the spot-check of {id} ran"));
        let v: Value = serde_json::from_str(&data).expect("json");
        for (_, d, _) in MIX {
            let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
            for t in truth.iter().filter(|t| t.department == d) {
                if let Some(c) = t.closed.map(|x| local_date(&cal, x))
                    && c >= week_start
                    && c < monday
                {
                    *by_type.entry(t.case_type).or_default() += 1;
                }
            }
            let closed: u64 = by_type.values().sum();
            let want = by_type
                .values()
                .map(|n| (*n as f64 * 0.05).ceil() as u64)
                .sum::<u64>()
                .max(2)
                .min(closed);
            let got = v["departments"]
                .as_array()
                .expect("departments")
                .iter()
                .find(|r| r["id"] == d)
                .map_or(0, |r| r["drawn"].as_array().map_or(0, Vec::len) as u64);
            assert_eq!(got, want, "{id} {d}");
        }
        weeks += 1;
        monday += Duration::days(7);
    }
    assert!(weeks >= 52);

    // The seed's shares, by construction and as reported over the year.
    let closed = truth.iter().filter(|t| t.closed.is_some()).count() as f64;
    let zero = truth.iter().filter(|t| t.closed.is_some() && t.visits == 0).count() as f64;
    let on_time = truth.iter().filter(|t| t.closed.is_some() && !t.late).count() as f64;
    assert!((zero / closed - 0.615).abs() < 0.03, "zero-trip {}", zero / closed);
    assert!(on_time / closed > 0.95, "on time {}", on_time / closed);
    e.shutdown().await;
    e.store().close().await;
    if let Ok(keep) = std::env::var("YIMEN_SEED_YEAR_KEEP") {
        std::fs::copy(dir.path().join("year.db"), &keep).expect("keep the database");
    }
}
