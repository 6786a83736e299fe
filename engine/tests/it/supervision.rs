//! SLA clocks and the supervision ladder through the durable engine.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{act, at, bundle, database, engine, fields, user};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use yimen_engine::core::sla::SlaClock;
use yimen_engine::core::{Command, EventKind, SupervisionState};
use yimen_engine::runtime::{EngineError, ManualClock};

fn request() -> Map<String, Value> {
    fields(json!({"caller": "李某", "caller_phone": "13900000002", "category": "complaint", "content": "噪音"}))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Pausing for N working days moves the due instant by exactly N working days.
    #[test]
    fn pausing_n_working_days_moves_the_due_instant_by_n(start_min in 0i64..(700 * 24 * 60), run_wd in 0u32..5, pause_wd in 1u32..12) {
        let b = bundle();
        let cal = b.calendars.get("cn-mainland").expect("calendar");
        let start = at("2024-01-02T08:30") + Duration::minutes(start_min);
        let wd = |n: u32| yimen_engine::duration::Duration { amount: n, unit: yimen_engine::duration::Unit::Days, working: true };
        let mut clock = SlaClock::start("3 working days", start);
        let due_before = clock.derive(cal, &[], start).expect("covered").expect("running").due;
        let pause_at = cal.add(start, wd(run_wd)).expect("covered").at;
        clock.pause(pause_at);
        let resume_at = cal.add(pause_at, wd(pause_wd)).expect("covered").at;
        clock.resume(resume_at);
        let due_after = clock.derive(cal, &[], resume_at).expect("covered").expect("running").due;
        if run_wd < 3 {
            prop_assert_eq!(due_after, cal.add(due_before, wd(pause_wd)).expect("covered").at);
        }
    }
}

#[tokio::test]
async fn closing_a_case_closes_its_records_and_cancels_its_rungs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "close").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let id = e
        .open_case(
            "service_request_12345",
            "hotline_12345",
            request(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    e.command(&id, common::dispatch_to_hotline(), user(&e, "clerk_wang"), None)
        .await
        .expect("dispatch");
    clock.set(at("2026-11-19T09:00"));
    e.fire_due_timers().await.expect("tick");
    let case = e.case(&id).await.expect("read").expect("exists");
    assert_eq!(case.rungs, vec!["centre_special".to_owned()]);
    assert!(
        case.timers.contains_key("rung:office_key"),
        "the next rung is scheduled"
    );
    let record = case.supervision[0].id.clone();

    // The department answers; a level-1 supervisor sends it back, then accepts a better answer.
    let handler = user(&e, "handler_li");
    e.command(
        &id,
        Command::AnswerSupervision {
            record: record.clone(),
            text: "已联系施工方".into(),
        },
        handler.clone(),
        None,
    )
    .await
    .expect("answer");
    let review = |accept, comment: Option<&str>| Command::ReviewSupervision {
        record: record.clone(),
        accept,
        comment: comment.map(str::to_owned),
    };
    let r = e.command(&id, review(true, None), user(&e, "clerk_wang"), None).await;
    assert!(
        matches!(r, Err(EngineError::Rejected(_))),
        "a clerk cannot review: {r:?}"
    );
    e.command(
        &id,
        review(false, Some("未说明整改时限")),
        user(&e, "supervisor_han"),
        None,
    )
    .await
    .expect("return");
    e.command(
        &id,
        Command::AnswerSupervision {
            record: record.clone(),
            text: "本周五前停工整改".into(),
        },
        handler,
        None,
    )
    .await
    .expect("answer again");
    let accepted = e
        .command(&id, review(true, None), user(&e, "supervisor_han"), None)
        .await
        .expect("accept")
        .case;
    assert_eq!(accepted.supervision[0].state, SupervisionState::Accepted);
    assert!(
        !accepted.timers.contains_key("rung:office_key"),
        "a satisfactory answer stops the ladder"
    );

    // A supervisor escalates by hand anyway; then the case closes.
    let r = e
        .command(
            &id,
            Command::Escalate {
                rung: Some("office_key".into()),
                reason: Some("久拖不办".into()),
            },
            user(&e, "supervisor_han"),
            None,
        )
        .await;
    assert!(
        matches!(r, Err(EngineError::Rejected(_))),
        "level 1 cannot open level 2: {r:?}"
    );
    let esc = e
        .command(
            &id,
            Command::Escalate {
                rung: None,
                reason: Some("久拖不办".into()),
            },
            user(&e, "supervisor_yang"),
            None,
        )
        .await
        .expect("escalate")
        .case;
    assert_eq!(esc.rungs, vec!["centre_special".to_owned(), "office_key".to_owned()]);
    assert!(esc.timers.contains_key("rung:discipline_accountability"));
    e.command(&id, act("sign_for", json!({})), user(&e, "handler_li"), None)
        .await
        .expect("sign");
    e.command(
        &id,
        act("reply", json!({"reply": "已停工"})),
        user(&e, "handler_li"),
        None,
    )
    .await
    .expect("reply");
    let closed = e
        .command(
            &id,
            act("close_satisfied", json!({"satisfaction": "satisfied"})),
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("close")
        .case;
    assert!(closed.timers.is_empty(), "{:?}", closed.timers);
    assert_eq!(closed.supervision[1].state, SupervisionState::Closed);
    // Nothing fires for a closed case, however long we wait.
    clock.advance(Duration::days(60));
    assert_eq!(e.fire_due_timers().await.expect("tick"), 0);
    assert_eq!(e.case(&id).await.expect("read").expect("exists").rungs.len(), 2);
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM rung_firings WHERE case_id = $1")
        .bind(id.as_str())
        .fetch_one(e.store().pool())
        .await
        .expect("count");
    assert_eq!(n, 2);
    e.shutdown().await;
}

#[tokio::test]
async fn an_extension_moves_the_due_instant_and_is_limited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "extend").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let id = e
        .open_case(
            "service_request_12345",
            "hotline_12345",
            request(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    let extend = || Command::Extend {
        comment: Some("需多部门会商".into()),
    };
    let r = e.command(&id, extend(), user(&e, "handler_li"), None).await;
    assert!(
        matches!(r, Err(EngineError::Rejected(_))),
        "only an approver extends: {r:?}"
    );
    let c = e
        .command(&id, extend(), user(&e, "head_hotline"), None)
        .await
        .expect("extend")
        .case;
    // 3 + 5 working days from Monday 09:00: Thursday 26 November 09:00.
    assert_eq!(c.timers["sla:breach"].due_at, at("2026-11-26T09:00"));
    let r = e.command(&id, extend(), user(&e, "head_hotline"), None).await;
    assert!(
        matches!(r, Err(EngineError::Rejected(_))),
        "one extension at most: {r:?}"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn a_rung_whose_recipients_resolve_to_nobody_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "nobody").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    // An organisation where the governance centre has no head: the first rung's
    // `department_head of handling_department` resolves to nobody.
    let mut b = bundle();
    b.organisation
        .as_mut()
        .expect("org")
        .value
        .users
        .shift_remove("head_governance");
    let org_file = b.organisation.as_ref().expect("org").value.clone();
    let store = yimen_engine::store::Store::open(&yimen_engine::store::StoreOptions::new(&url))
        .await
        .expect("open");
    let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &b, 0)
        .await
        .expect("deploy");
    let org = yimen_engine::core::Organisation::new(org_file);
    let e =
        yimen_engine::runtime::Engine::start(store, defs, org, clock, yimen_engine::runtime::EngineOptions::default());
    let f = fields(
        json!({"citizen_name": "周某", "subject": "占道经营", "content": "长期无人处理", "procedure": "supervise", "handling_department": "governance_centre"}),
    );
    let id = e
        .open_case(
            "comprehensive_intake",
            "window_comprehensive",
            f,
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    e.command(
        &id,
        act("submit_for_supervision", json!({})),
        user(&e, "clerk_wang"),
        None,
    )
    .await
    .expect("submit");
    let history = e.history(&id).await.expect("history");
    let missing: Vec<Vec<String>> = history
        .iter()
        .filter_map(|h| match &h.event.kind {
            EventKind::RecipientsMissing { roles, .. } => Some(roles.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        missing,
        vec![vec!["department_head".to_owned()]],
        "the gap is in the case history for admins to see"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn three_engines_fire_each_rung_of_a_thousand_breaching_cases_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database("postgres", dir.path(), "ladder").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let engines = [
        engine(&url, "a", clock.clone()).await,
        engine(&url, "b", clock.clone()).await,
        engine(&url, "c", clock.clone()).await,
    ];
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let e = engines[i % 3].clone();
        tasks.push(tokio::spawn(async move {
            let clerk = user(&e, "clerk_wang");
            e.open_case("service_request_12345", "hotline_12345", request(), None, clerk, None)
                .await
                .map(|o| o.case.id)
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("join").expect("open"));
    }
    // Every case breaches within the same minute.
    clock.set(at("2026-11-19T09:01"));
    let mut fired = 0;
    for _ in 0..10 {
        let (a, b, c) = tokio::join!(
            engines[0].fire_due_timers(),
            engines[1].fire_due_timers(),
            engines[2].fire_due_timers()
        );
        fired += a.expect("a") + b.expect("b") + c.expect("c");
    }
    // Two timers per case came due: the 2/3 warning and the breach.
    let counts = engines[0].store().timer_counts().await.expect("counts");
    assert_eq!(fired, 2000, "{counts:?}");
    let pool = engines[0].store().pool();
    let (firings, distinct): (i64, i64) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT case_id) AS BIGINT) FROM rung_firings WHERE rung = 'centre_special'")
            .fetch_one(pool)
            .await
            .expect("count");
    assert_eq!(
        (firings, distinct),
        (1000, 1000),
        "every case's first rung fired exactly once"
    );
    let (events,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM case_events WHERE kind = 'rung_fired'")
            .fetch_one(pool)
            .await
            .expect("count");
    assert_eq!(events, 1000);
    let (outbox,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE template = 'supervision_l1'")
            .fetch_one(pool)
            .await
            .expect("count");
    assert_eq!(outbox, 1000, "one message per case and rung");
    for e in &engines {
        e.shutdown().await;
    }
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

#[tokio::test]
async fn a_provisional_due_instant_moves_when_the_year_is_published() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "publish").await;
    let clock = Arc::new(ManualClock::new(at("2026-12-30T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let id = e
        .open_case(
            "service_request_12345",
            "hotline_12345",
            request(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    let case = e.case(&id).await.expect("read").expect("exists");
    let breach = &case.timers["sla:breach"];
    // Under the provisional rule 1 January is the only holiday: due Tuesday 5 January 10:00.
    assert_eq!(breach.due_at, at("2027-01-05T10:00"));
    assert!(breach.provisional);
    e.shutdown().await;

    // Test data, not the real notice: suppose 2027 gives 1–4 January off.
    let mut b = bundle();
    let cal_file = b
        .calendar_files
        .iter_mut()
        .find(|c| c.value.id == "cn-mainland")
        .expect("calendar");
    cal_file.value.years.insert(
        "2027".into(),
        yimen_engine::model::calendar::Year {
            source: "test data".into(),
            holidays: vec![yimen_engine::model::calendar::Holiday {
                name: "元旦".into(),
                dates: "2027-01-01..2027-01-04".into(),
            }],
            working_days: vec![],
        },
    );
    let mut diags = yimen_engine::diag::Diagnostics::new();
    let cal = yimen_engine::calendar::compile(&cal_file.file, &cal_file.value, &cal_file.spans, &mut diags)
        .expect("compiles");
    b.calendars.insert("cn-mainland".into(), cal);
    let store = yimen_engine::store::Store::open(&yimen_engine::store::StoreOptions::new(&url))
        .await
        .expect("open");
    let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &b, 0)
        .await
        .expect("deploy");
    let org = yimen_engine::core::Organisation::new(b.organisation.expect("org").value);
    let e =
        yimen_engine::runtime::Engine::start(store, defs, org, clock, yimen_engine::runtime::EngineOptions::default());
    assert_eq!(e.recompute_clocks().await.expect("recompute"), 1);
    let case = e.case(&id).await.expect("read").expect("exists");
    assert_eq!(
        case.timers["sla:breach"].due_at,
        at("2027-01-06T10:00"),
        "one more holiday, one working day later"
    );
    assert!(!case.timers["sla:breach"].provisional);
    let history = e.history(&id).await.expect("history");
    assert!(
        history
            .iter()
            .any(|h| matches!(h.event.kind, EventKind::SlaRecomputed { .. }))
    );
    assert_eq!(e.recompute_clocks().await.expect("recompute"), 0, "nothing moves twice");
    let (pending,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM timers WHERE state = 'pending' AND name = 'sla:breach'")
            .fetch_one(e.store().pool())
            .await
            .expect("count");
    assert_eq!(pending, 1, "the old breach timer was cancelled");
    e.shutdown().await;
}
