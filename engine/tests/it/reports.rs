//! The monthly bulletin against known ground truth, and the job ledger: each period once across
//! engines, missed periods caught up oldest first, a re-run that reports whether figures changed.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{act, at, database, engine, fields, per_backend, user};
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
    common::scheduler_with(e, jobs, cal)
}

per_backend!(the_bulletin_reports_the_ground_truth);
async fn the_bulletin_reports_the_ground_truth(backend: &str) {
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
        e.command(&c.case.id, common::dispatch_to_hotline(), clerk.clone(), None)
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
            close(id.to_string(), if i == 0 { "unreachable" } else { "satisfied" }).await;
        }
    }
    // Past the three working days (due 5 Nov 09:00), before the second rung (9 Nov).
    clock.set(at("2026-11-06T10:00"));
    while e.fire_due_timers().await.expect("timers") > 0 {}
    for (i, id) in ids.iter().enumerate() {
        if i % 3 == 1 {
            close(id.to_string(), "basically_satisfied").await;
        }
    }
    let b = common::bundle();
    let cal = b.calendars.get("cn-mainland").expect("calendar");
    let names = std::collections::HashMap::new();
    let rules = b.schedules.as_ref().expect("schedules").value.jobs["monthly_bulletin"]
        .criticise
        .clone();
    let schedules = b.schedules.as_ref().expect("schedules");
    let full = bulletin::Rules {
        criticise: rules.as_ref(),
        review_case_type: Some("spot_check_review"),
        satisfaction: schedules.value.satisfaction.as_ref(),
        ..bulletin::Rules::counting(e.org(), cal, &names)
    };
    let got = bulletin::compute(e.store(), &full, Period::parse("2026-11").expect("period"))
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
    assert_eq!(
        hotline.criticised,
        [bulletin::Criticism::OnTimeBelow {
            rate: 0.5,
            threshold: 0.9
        }],
        "{backend}"
    );
    let idle = got
        .departments
        .iter()
        .find(|r| r.id == "tourism")
        .expect("every department is listed");
    assert_eq!((idle.figures.received, idle.rank), (0, None));
    // October saw nothing; December sees the 4 still open at its start and end.
    let counting = bulletin::Rules::counting(e.org(), cal, &names);
    let dec = bulletin::compute(e.store(), &counting, Period::parse("2026-12").expect("p"))
        .await
        .expect("bulletin");
    assert_eq!((dec.total.received, dec.total.closed, dec.total.open_at_end), (0, 0, 4));

    // Without the satisfaction rule nobody is rated; the counts are otherwise the same.
    let plain = bulletin::compute(e.store(), &counting, Period::parse("2026-11").expect("p"))
        .await
        .expect("bulletin");
    assert_eq!((plain.total.rated, plain.total.satisfied), (0, 0), "{backend}");
    assert_eq!(plain.total.received, got.total.received);
    // Names are the centre's: a department row per resident department, named in Chinese.
    assert!(got.departments.iter().any(|r| r.name == "12345政务服务热线"));
    assert_eq!(
        got.tiers.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["区级"],
        "{backend}"
    );
    let resident = e
        .org()
        .file
        .departments
        .values()
        .filter(|d| d.kind == yimen_engine::model::organisation::DepartmentKind::Resident)
        .count();
    assert_eq!(got.departments.len(), resident, "{backend}");

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
    close(ids[2].to_string(), "satisfied").await; // closed now, in November by the clock
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

per_backend!(each_period_runs_once_across_engines_and_missed_periods_catch_up);
async fn each_period_runs_once_across_engines_and_missed_periods_catch_up(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "ledger").await;
    // Installed on Monday 30 November 2026 at 08:00; on Tuesday 1 December (a working day)
    // the Monday spot-check and the November bulletin (due 09:00) are due.
    let clock = Arc::new(ManualClock::new(at("2026-11-30T08:00")));
    let (a, b) = (
        engine(&url, "a", clock.clone()).await,
        engine(&url, "b", clock.clone()).await,
    );
    clock.set(at("2026-12-01T09:30"));
    let (sa, sb) = (scheduler(&a), scheduler(&b));
    let (ra, rb) = tokio::join!(sa.tick(), sb.tick());
    let mut ran: Vec<(String, String)> = ra
        .expect("tick")
        .into_iter()
        .chain(rb.expect("tick"))
        .map(|(j, p, r)| {
            assert!(r.is_ok(), "{j} {p}: {r:?}");
            (j, p)
        })
        .collect();
    ran.sort();
    // Each due period once across both engines; nothing from before the installation.
    assert_eq!(
        ran,
        [
            ("monthly_bulletin".to_owned(), "2026-11".to_owned()),
            ("weekly_spot_check".to_owned(), "2026-W48".to_owned()),
        ],
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
    let ran = s.tick().await.expect("tick");
    let of = |job: &str| -> Vec<String> { ran.iter().filter(|r| r.0 == job).map(|r| r.1.clone()).collect() };
    assert_eq!(
        of("monthly_bulletin"),
        ["2026-12", "2027-01"],
        "{backend}: oldest first"
    );
    assert_eq!(of("annual_assessment"), ["2026"], "{backend}");
    // Every missed week, in order, none twice, none skipped.
    let weeks = of("weekly_spot_check");
    assert!(weeks.len() >= 9, "{weeks:?}");
    assert_eq!(weeks[0], "2026-W49");
    for w in weeks.windows(2) {
        let (a, b) = (Period::parse(&w[0]).expect("week"), Period::parse(&w[1]).expect("week"));
        assert_eq!(a.end, b.start, "{weeks:?}");
    }
    let ledger = a.store().job_runs(1000).await.expect("ledger");
    assert_eq!(ledger.len(), 2 + 2 + 1 + weeks.len());
    assert!(
        ledger.iter().all(|r| r.state == "done" && r.attempts == 1),
        "{ledger:?}"
    );
    a.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

fn labour(i: usize) -> serde_json::Map<String, serde_json::Value> {
    fields(json!({
        "applicant": "工人",
        "applicant_phone": format!("137{:08}", 2000 + i),
        "employer": format!("某公司{i}"),
        "category": "wages",
        "facts": "欠薪",
    }))
}

per_backend!(the_spot_check_draws_reproducibly_and_its_reviews_feed_the_bulletin);
async fn the_spot_check_draws_reproducibly_and_its_reviews_feed_the_bulletin(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "spot").await;
    // Week 48 of 2026: Monday 23 to Sunday 29 November.
    let clock = Arc::new(ManualClock::new(at("2026-11-23T09:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let (clerk, handler) = (user(&e, "clerk_wang"), user(&e, "handler_li"));
    // 40 hotline requests and 3 labour cases closed in the week; 5 hotline requests still open.
    for i in 0..45 {
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
        if i < 40 {
            e.command(&c.case.id, common::dispatch_to_hotline(), clerk.clone(), None)
                .await
                .expect("dispatch");
            e.command(&c.case.id, act("sign_for", json!({})), handler.clone(), None)
                .await
                .expect("sign");
            e.command(
                &c.case.id,
                act("reply", json!({"reply": "已办"})),
                handler.clone(),
                None,
            )
            .await
            .expect("reply");
            e.command(
                &c.case.id,
                act("close_satisfied", json!({"satisfaction": "satisfied"})),
                clerk.clone(),
                None,
            )
            .await
            .expect("close");
        }
    }
    for i in 0..3 {
        let c = e
            .open_case("labour_dispute", "window_labour", labour(i), None, clerk.clone(), None)
            .await
            .expect("opens");
        e.command(&c.case.id, act("withdraw", json!({})), clerk.clone(), None)
            .await
            .expect("withdrawn");
    }
    clock.set(at("2026-11-30T09:30"));
    let s = scheduler(&e);
    let week = Period::parse("2026-W48").expect("week");
    let (saved, _) = s.run("weekly_spot_check", week).await.expect("spot-check");
    assert_eq!(saved, Saved::New);
    let (data, html, csv) = e
        .store()
        .report("weekly_spot_check", "2026-W48")
        .await
        .expect("read")
        .expect("stored");
    let draw: serde_json::Value = serde_json::from_str(&data).expect("json");
    // 5% of 40 is 2; 5% of 3 rounds up to 1, raised to the minimum of 2 per department.
    let drawn = |dept: &str| -> Vec<serde_json::Value> {
        draw["departments"]
            .as_array()
            .expect("departments")
            .iter()
            .find(|d| d["id"] == dept)
            .map(|d| d["drawn"].as_array().expect("drawn").clone())
            .unwrap_or_default()
    };
    assert_eq!(drawn("hotline_12345").len(), 2, "{backend}");
    assert_eq!(drawn("labour_arbitration").len(), 2, "{backend}");
    // What is stored beside the data is the renderer's layout of that same data (the draw with
    // its reviews filled in).
    assert_eq!((html, csv), (format!("<pre>{data}</pre>"), data.clone()), "{backend}");
    // Each drawn case has its review, handled by the reviewed department.
    let reviews: Vec<String> = drawn("hotline_12345")
        .iter()
        .chain(drawn("labour_arbitration").iter())
        .map(|d| d["review"].as_str().expect("review").to_owned())
        .collect();
    for (id, dept) in reviews.iter().zip([
        "hotline_12345",
        "hotline_12345",
        "labour_arbitration",
        "labour_arbitration",
    ]) {
        let r = e.case(id).await.expect("read").expect("review exists");
        assert_eq!(
            (r.case_type.as_str(), r.department.as_str(), r.state.as_str()),
            ("spot_check_review", dept, "to_review")
        );
        // The review names the drawn case by its number, which people read and every path
        // takes.
        let sampled = r.fields["sampled_case"].as_str().expect("sampled case");
        let drawn_number = drawn(dept)
            .iter()
            .find(|d| d["review"] == json!(id))
            .and_then(|d| d["number"].as_str().map(str::to_owned))
            .expect("drawn number");
        assert_eq!(sampled, drawn_number, "{backend}");
        assert!(
            e.store().resolve_case(sampled).await.expect("resolve").is_some(),
            "{backend}"
        );
    }
    // A re-run draws the same cases and opens no second review.
    let (again, _) = s.run("weekly_spot_check", week).await.expect("spot-check");
    assert_eq!(again, Saved::Unchanged, "{backend}");
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases WHERE case_type = 'spot_check_review'")
        .fetch_one(e.store().pool())
        .await
        .expect("count");
    assert_eq!(count.0, 4, "{backend}");

    // The supervisor passes one hotline review and orders the other rectified.
    let sup = user(&e, "supervisor_han");
    let all_good = json!({"contacted": true, "sla_met": true, "outcome_documented": true, "citizen_satisfied": true});
    e.command(&reviews[0], act("pass", all_good), sup.clone(), None)
        .await
        .expect("pass");
    let faulty = json!({"contacted": false, "sla_met": true, "outcome_documented": true, "citizen_satisfied": true});
    let refused = e
        .command(&reviews[1], act("pass", faulty.clone()), sup.clone(), None)
        .await;
    assert!(refused.is_err(), "a failed checklist cannot pass");
    let mut order = faulty.clone();
    order["finding"] = json!("未回访当事人");
    let r = e
        .command(&reviews[1], act("order_rectification", order), sup, None)
        .await
        .expect("rectify");
    assert_eq!(r.case.state, "rectifying");
    assert!(r.case.sla.is_some(), "the rectification is on the clock");
    let names = std::collections::HashMap::new();
    let b = common::bundle();
    let cal = b.calendars.get("cn-mainland").expect("calendar");
    let rules = bulletin::Rules {
        review_case_type: Some("spot_check_review"),
        ..bulletin::Rules::counting(e.org(), cal, &names)
    };
    let month = bulletin::compute(e.store(), &rules, Period::parse("2026-11").expect("p"))
        .await
        .expect("bulletin");
    let hotline = month.departments.iter().find(|r| r.id == "hotline_12345").expect("row");
    assert_eq!(
        (hotline.figures.spot_checked, hotline.figures.spot_passed),
        (2, 1),
        "{backend}"
    );
    // Reviews are not counted as cases of the department.
    assert_eq!(hotline.figures.received, 45, "{backend}");
    let labour_row = month
        .departments
        .iter()
        .find(|r| r.id == "labour_arbitration")
        .expect("row");
    assert_eq!((labour_row.figures.spot_checked, labour_row.figures.received), (0, 3));
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

#[tokio::test]
async fn a_failing_run_is_retried_then_left_failed_for_an_admin_and_never_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "failing").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-23T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    // A case closed in week 48, so the spot-check must open a review.
    let c = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(1),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens");
    clock.set(at("2026-11-24T10:00"));
    e.command(&c.case.id, act("withdraw", json!({})), user(&e, "clerk_wang"), None)
        .await
        .expect("withdrawn");
    // The spot-check's review case type is missing from this engine: opening reviews fails.
    let b = common::bundle();
    let mut jobs = b.schedules.expect("schedules").value;
    jobs.jobs.retain(|id, _| id == "weekly_spot_check");
    let good = jobs.clone();
    if let Some(r) = jobs.jobs["weekly_spot_check"].review.clone() {
        let mut r = r;
        r.case_type = "no_such_review".into();
        jobs.jobs.get_mut("weekly_spot_check").expect("job").review = Some(r);
    }
    let cal = b.calendars.get("cn-mainland").expect("calendar").clone();
    let broken = common::scheduler_with(&e, jobs, cal.clone());
    clock.set(at("2026-11-30T09:30"));
    let mut attempts = 0;
    for _ in 0..10 {
        let ran = broken.tick().await.expect("tick");
        if ran.is_empty() {
            // Not due yet: jump past the backoff (5 minutes, doubling).
            clock.advance(Duration::hours(3));
            continue;
        }
        assert!(ran.iter().all(|r| r.2.is_err()), "{ran:?}");
        attempts += 1;
    }
    let ledger = e.store().job_runs(10).await.expect("ledger");
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(
        (ledger[0].state.as_str(), ledger[0].attempts),
        ("failed", 5),
        "{ledger:?}"
    );
    assert_eq!(attempts, 5, "retried until the limit, then left for an admin");
    assert!(ledger[0].error.as_deref().is_some_and(|m| m.contains("no_such_review")));
    // Later weeks still run (here: they fail too, each on its own row), never skipping one.
    clock.set(at("2026-12-07T09:30"));
    let ran = broken.tick().await.expect("tick");
    assert_eq!(ran.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), ["2026-W49"]);
    // The admin fixes the workflows and reruns the failed week by hand: the ledger says done.
    let fixed = common::scheduler_with(&e, good, cal);
    let (saved, _) = fixed
        .run_by_hand("weekly_spot_check", Period::parse("2026-W48").expect("week"))
        .await
        .expect("runs");
    assert_eq!(saved, Saved::New);
    let ledger = e.store().job_runs(10).await.expect("ledger");
    let w48 = ledger.iter().find(|r| r.period == "2026-W48").expect("row");
    assert_eq!((w48.state.as_str(), w48.error.as_deref()), ("done", None));
    e.shutdown().await;
}

per_backend!(a_run_by_hand_is_in_the_ledger_and_the_schedule_still_runs_its_period);
async fn a_run_by_hand_is_in_the_ledger_and_the_schedule_still_runs_its_period(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, pg) = crate::conformance::plain_store(backend, dir.path(), "byhand").await;
    let (job, period, now) = ("bulletin", "2026-12", 1_000_000);
    // Run by hand before the period falls due: in the ledger, marked as by hand.
    assert!(
        store
            .settle_job_run(job, period, now, "sha-hand")
            .await
            .expect("settle")
    );
    let runs = store.job_runs(10).await.expect("runs");
    assert_eq!((runs.len(), runs[0].state.as_str()), (1, "by_hand"), "{backend}");
    assert_eq!(runs[0].finished_at, Some(now), "{backend}");
    // Again by hand: the same row, newer.
    assert!(
        store
            .settle_job_run(job, period, now + 5, "sha-hand-2")
            .await
            .expect("settle")
    );
    assert_eq!(store.job_runs(10).await.expect("runs").len(), 1, "{backend}");
    // When the period falls due, the schedule still claims and finishes it (over the whole
    // period), once.
    let due = now + 1_000_000;
    assert!(
        store
            .claim_job_run(job, period, due, "a", due, due + 30_000)
            .await
            .expect("claim"),
        "{backend}"
    );
    assert!(
        store
            .finish_job_run(job, period, "a", due + 1, "sha-full")
            .await
            .expect("finish"),
        "{backend}"
    );
    assert!(
        !store
            .claim_job_run(job, period, due, "b", due + 2, due + 30_002)
            .await
            .expect("claim"),
        "{backend}"
    );
    let runs = store.job_runs(10).await.expect("runs");
    assert_eq!(
        (runs[0].state.as_str(), runs[0].due_at),
        ("done", due),
        "{backend}: {runs:?}"
    );
    // A run by hand after it was done is recorded on the same row.
    assert!(
        store
            .settle_job_run(job, period, due + 10, "sha-again")
            .await
            .expect("settle")
    );
    assert_eq!(
        store.job_runs(10).await.expect("runs")[0].finished_at,
        Some(due + 10),
        "{backend}"
    );
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
