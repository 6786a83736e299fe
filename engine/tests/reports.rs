//! The monthly bulletin against known ground truth, and the job ledger: each period once across
//! engines, missed periods caught up oldest first, a re-run that reports whether figures changed.

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::{BACKENDS, act, at, database, engine, fields, user};
use serde_json::json;
use yimen_engine::core::Command;
use yimen_engine::reports::{Period, bulletin};
use yimen_engine::runtime::ManualClock;
use yimen_engine::runtime::scheduler::Scheduler;
use yimen_engine::store::jobs::Saved;

fn request(i: usize) -> serde_json::Map<String, serde_json::Value> {
    fields(json!({
        "caller": "市民",
        "caller_phone": format!("139{:08}", 1000 + i),
        "category": "request",
        "content": "路灯不亮",
    }))
}

fn scheduler(e: &yimen_engine::runtime::Engine) -> Scheduler {
    let b = common::bundle();
    let jobs = b.schedules.expect("schedules").value;
    let cal = b.calendars.get("cn-mainland").expect("calendar").clone();
    Scheduler::new(e.clone(), jobs, cal)
}

#[tokio::test]
async fn the_bulletin_reports_the_ground_truth() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = database(backend, dir.path(), "bulletin").await;
        let clock = Arc::new(ManualClock::new(at("2026-11-02T09:00")));
        let e = engine(&url, "a", clock.clone()).await;
        let (clerk, handler) = (user(&e, "clerk_wang"), user(&e, "handler_li"));
        // 12 requests: A (i % 3 == 0) closed the same morning, B (1) closed late, C (2) left open.
        let mut ids = Vec::new();
        for i in 0..12 {
            let c = e
                .open_case(
                    "service_request_12345",
                    "hotline_12345",
                    request(i),
                    None,
                    clerk.clone(),
                    None,
                )
                .await
                .expect("opens");
            e.command(&c.case.id, act("dispatch", json!({})), clerk.clone(), None)
                .await
                .expect("dispatch");
            e.command(&c.case.id, act("sign_for", json!({})), handler.clone(), None)
                .await
                .expect("sign");
            if i % 4 == 0 {
                e.command(&c.case.id, Command::RecordVisit, clerk.clone(), None)
                    .await
                    .expect("visit");
            }
            ids.push(c.case.id);
        }
        let close = |id: String, satisfaction: &'static str| {
            let (e, clerk, handler) = (e.clone(), clerk.clone(), handler.clone());
            async move {
                e.command(&id, act("reply", json!({"reply": "已修复"})), handler, None)
                    .await
                    .expect("reply");
                e.command(
                    &id,
                    act("close_satisfied", json!({"satisfaction": satisfaction})),
                    clerk,
                    None,
                )
                .await
                .expect("close");
            }
        };
        clock.advance(Duration::hours(1));
        for (i, id) in ids.iter().enumerate() {
            if i % 3 == 0 {
                close(id.clone(), if i == 0 { "unreachable" } else { "satisfied" }).await;
            }
        }
        // Past the three working days (due 5 Nov 09:00), before the second rung (9 Nov).
        clock.set(at("2026-11-06T10:00"));
        while e.fire_due_timers().await.expect("timers") > 0 {}
        for (i, id) in ids.iter().enumerate() {
            if i % 3 == 1 {
                close(id.clone(), "basically_satisfied").await;
            }
        }
        let b = common::bundle();
        let cal = b.calendars.get("cn-mainland").expect("calendar");
        let names = std::collections::HashMap::new();
        let rules = b.schedules.as_ref().expect("schedules").value.jobs["monthly_bulletin"]
            .criticise
            .clone();
        let got = bulletin::compute(
            e.store().pool(),
            e.org(),
            cal,
            &names,
            Period::parse("2026-11").expect("period"),
            rules.as_ref(),
        )
        .await
        .expect("bulletin");

        let t = &got.total;
        assert_eq!((t.received, t.closed, t.open_at_end), (12, 8, 4), "{backend}");
        assert_eq!(t.on_time, 4, "{backend}: only the same-morning closures are on time");
        // The 8 late cases (B and C) each passed the 2/3 warning and breached, and the breach
        // opened a level-1 supervision record; none reached level 2.
        assert_eq!((t.warnings, t.breaches), (8, 8), "{backend}");
        assert_eq!(t.escalations, [8, 0, 0], "{backend}");
        // Visits: cases 0, 4, 8 came in once; 0 is in A, 4 in B, 8 is open.
        assert_eq!((t.one_trip, t.zero_trip), (2, 6), "{backend}");
        // Satisfaction: "unreachable" is not a rating; 7 rated, all satisfied or basically.
        assert_eq!((t.rated, t.satisfied), (7, 7), "{backend}");
        // Working time: A took one office hour; B from opening to 6 Nov 10:00.
        let day = cal.day_seconds() as f64;
        let b_days = cal
            .working_seconds_between(at("2026-11-02T09:00"), at("2026-11-06T10:00"))
            .expect("count")
            .0 as f64
            / day;
        let avg = (4.0 * (3600.0 / day) + 4.0 * b_days) / 8.0;
        assert!(
            (t.avg_working_days - avg).abs() < 0.01,
            "{backend}: {} vs {avg}",
            t.avg_working_days
        );
        assert!((t.p90_working_days - (b_days * 100.0).round() / 100.0).abs() < 0.01);
        // One department handled everything: 50% on time, criticised under the 90% rule.
        let hotline = got.departments.iter().find(|r| r.id == "hotline_12345").expect("row");
        assert_eq!(hotline.rank, Some(1));
        assert_eq!(hotline.figures.received, 12);
        assert!((hotline.figures.on_time_rate - 0.5).abs() < 1e-9);
        assert_eq!(hotline.criticised.len(), 1, "{:?}", hotline.criticised);
        let idle = got
            .departments
            .iter()
            .find(|r| r.id == "tourism")
            .expect("every department is listed");
        assert_eq!((idle.figures.received, idle.rank), (0, None));
        // October saw nothing; December sees the 4 still open at its start and end.
        let dec = bulletin::compute(
            e.store().pool(),
            e.org(),
            cal,
            &names,
            Period::parse("2026-12").expect("p"),
            None,
        )
        .await
        .expect("bulletin");
        assert_eq!((dec.total.received, dec.total.closed, dec.total.open_at_end), (0, 0, 4));

        // The outputs: a page with charts and no script, a CSV with a row per department.
        let html = bulletin::html(&got, Some(0.9));
        assert!(html.contains("<svg") && !html.contains("<script"), "{backend}");
        assert!(html.contains("12345政务服务热线"));
        let csv = bulletin::csv(&got);
        let resident = e
            .org()
            .file
            .departments
            .values()
            .filter(|d| d.kind == yimen_engine::model::organisation::DepartmentKind::Resident)
            .count();
        assert_eq!(csv.lines().count(), 1 + resident, "{backend}");

        // Recomputing gives the same report; a change in the data is reported as such.
        let s = scheduler(&e);
        let (first, _) = s
            .run("monthly_bulletin", Period::parse("2026-11").expect("p"))
            .await
            .expect("run");
        let (again, _) = s
            .run("monthly_bulletin", Period::parse("2026-11").expect("p"))
            .await
            .expect("run");
        assert_eq!((first, again), (Saved::New, Saved::Unchanged), "{backend}");
        close(ids[2].clone(), "satisfied").await; // closed now, in November by the clock
        let (changed, _) = s
            .run("monthly_bulletin", Period::parse("2026-11").expect("p"))
            .await
            .expect("run");
        assert_eq!(changed, Saved::Changed, "{backend}");
        e.shutdown().await;
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
}

#[tokio::test]
async fn each_period_runs_once_across_engines_and_missed_periods_catch_up() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = database(backend, dir.path(), "ledger").await;
        // 1 December 2026 is a Tuesday and a working day: the November bulletin is due at 09:00.
        let clock = Arc::new(ManualClock::new(at("2026-12-01T09:30")));
        let (a, b) = (
            engine(&url, "a", clock.clone()).await,
            engine(&url, "b", clock.clone()).await,
        );
        let (sa, sb) = (scheduler(&a), scheduler(&b));
        let (ra, rb) = tokio::join!(sa.tick(), sb.tick());
        let mut ran: Vec<(String, String)> = ra
            .expect("tick")
            .into_iter()
            .chain(rb.expect("tick"))
            .map(|(j, p, r)| {
                assert!(r.is_ok(), "{r:?}");
                (j, p)
            })
            .collect();
        ran.sort();
        assert_eq!(
            ran,
            [("monthly_bulletin".to_owned(), "2026-11".to_owned())],
            "{backend}"
        );
        // Ticking again runs nothing.
        assert!(sa.tick().await.expect("tick").is_empty());
        // Both engines down through December and January; back on 15 February 2027.
        a.shutdown().await;
        b.shutdown().await;
        clock.set(at("2027-02-15T10:00"));
        let a = engine(&url, "a", clock.clone()).await;
        let s = scheduler(&a);
        let ran: Vec<String> = s.tick().await.expect("tick").into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(ran, ["2026-12", "2027-01"], "{backend}: oldest first");
        let ledger = a.store().job_runs(100).await.expect("ledger");
        assert_eq!(ledger.len(), 3);
        assert!(
            ledger.iter().all(|r| r.state == "done" && r.attempts == 1),
            "{ledger:?}"
        );
        a.shutdown().await;
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
}
