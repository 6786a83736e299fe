//! Faults beyond a crash: the clock jumping forward (timers catch up in due order, each rung
//! once), a database that refuses writes (commands refused with a clear error, nothing half
//! written, work resumes when it accepts them again).

use crate::common;

use std::sync::Arc;

use common::{at, fields, user};
use serde_json::json;
use yimen_engine::core::{Command, EventKind};
use yimen_engine::runtime::{EngineError, ManualClock};

fn request(i: usize) -> serde_json::Map<String, serde_json::Value> {
    fields(
        json!({"caller": "市民", "caller_phone": format!("139{:08}", i), "category": "complaint", "content": format!("噪音 {i}")}),
    )
}

#[tokio::test]
async fn a_clock_that_jumps_two_weeks_fires_every_timer_in_due_order_and_each_rung_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("jump.db").display());
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let e = common::engine(&url, "a", clock.clone()).await;
    let clerk = user(&e, "clerk_wang");
    let mut ids = Vec::new();
    // 60 requests opened over an afternoon, each dispatched (its clock runs).
    for i in 0..60 {
        clock.set(at("2026-11-16T13:00") + chrono::Duration::minutes(i64::try_from(i).expect("small") * 3));
        let id = e
            .open_case(
                "service_request_12345",
                "hotline_12345",
                request(i),
                None,
                clerk.clone(),
                None,
            )
            .await
            .expect("opens")
            .case
            .id;
        e.command(&id, common::dispatch_to_hotline(), clerk.clone(), None)
            .await
            .expect("dispatch");
        ids.push(id);
    }
    // The machine sleeps; the clock jumps two weeks at once. What was due fires in due order:
    // the warning, the sign-for reminder, the breach (with the ladder's first rung). A later rung
    // counts from when the one before it actually fired, so the department that could not be
    // told while the machine slept gets its full time to answer.
    let mut fired = 0;
    for jump in ["2026-11-30T13:00", "2026-12-10T13:00", "2026-12-21T13:00"] {
        clock.set(at(jump));
        loop {
            let n = e.fire_due_timers().await.expect("timers");
            if n == 0 {
                break;
            }
            fired += n;
        }
        if jump == "2026-11-30T13:00" {
            let h = e.history(&ids[0]).await.expect("history");
            let rungs = h
                .iter()
                .filter(|x| matches!(x.event.kind, EventKind::RungFired { .. }))
                .count();
            assert_eq!(rungs, 1, "only the first rung after the first jump");
        }
    }
    // Per case: warning, reminder, breach, and the two later rungs; each once.
    assert_eq!(fired, 60 * 5, "timers fired");
    for id in &ids {
        let history = e.history(id).await.expect("history");
        let kinds: Vec<String> = history
            .iter()
            .filter_map(|h| match &h.event.kind {
                EventKind::SlaWarning { .. } => Some("warning".to_owned()),
                EventKind::SlaBreached => Some("breach".to_owned()),
                EventKind::RungFired { rung, .. } => Some(rung.clone()),
                _ => None,
            })
            .collect();
        // In due order, each once: the warning, the breach, then the ladder's three rungs.
        assert_eq!(
            kinds,
            [
                "warning",
                "breach",
                "centre_special",
                "office_key",
                "discipline_accountability"
            ],
            "{id}"
        );
        // Each fired at an instant no earlier than the one before (the history is in order).
        let times: Vec<_> = history.iter().map(|h| h.event.at).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{id}");
    }
    // Nothing more is due, and firing again changes nothing.
    assert_eq!(e.fire_due_timers().await.expect("timers"), 0);
    e.shutdown().await;
}

#[tokio::test]
async fn a_database_that_refuses_writes_refuses_commands_clearly_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ro.db");
    let url = format!("sqlite://{}", path.display());
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let e = common::engine(&url, "a", clock.clone()).await;
    let clerk = user(&e, "clerk_wang");
    let id = e
        .open_case(
            "service_request_12345",
            "hotline_12345",
            request(1),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    let before = e.history(&id).await.expect("history").len();
    // The database stops taking writes (as when the disk is full or remounted read-only).
    sqlx::query("PRAGMA query_only = ON")
        .execute(e.store().pool())
        .await
        .expect("pragma");
    // The pool has several connections: make every one of them refuse.
    let mut conns = Vec::new();
    for _ in 0..8 {
        let mut c = e.store().pool().acquire().await.expect("connection");
        sqlx::query("PRAGMA query_only = ON")
            .execute(&mut *c)
            .await
            .expect("pragma");
        conns.push(c);
    }
    drop(conns);
    let r = e
        .command(
            &id,
            Command::Comment {
                text: "磁盘满".into()
            },
            clerk.clone(),
            None,
        )
        .await;
    match r {
        Err(EngineError::Store(err)) => {
            assert_eq!(
                err.trouble(),
                yimen_engine::store::Trouble::ReadOnly,
                "the operator is told the database takes no writes: {err}"
            );
        }
        other => panic!("a refused write is a store error, not {other:?}"),
    }
    let r = e
        .open_case(
            "service_request_12345",
            "hotline_12345",
            request(2),
            None,
            clerk.clone(),
            None,
        )
        .await;
    assert!(matches!(r, Err(EngineError::Store(_))), "{r:?}");
    // Nothing half-written: the history is as it was, and the chain verifies.
    let mut conns = Vec::new();
    for _ in 0..8 {
        let mut c = e.store().pool().acquire().await.expect("connection");
        sqlx::query("PRAGMA query_only = OFF")
            .execute(&mut *c)
            .await
            .expect("pragma");
        conns.push(c);
    }
    drop(conns);
    assert_eq!(e.history(&id).await.expect("history").len(), before);
    assert_eq!(e.store().case_count().await.expect("count"), 1);
    // Writes come back: the same command now goes through.
    e.command(&id, Command::Comment { text: "恢复".into() }, clerk, None)
        .await
        .expect("the database takes writes again");
    assert_eq!(e.history(&id).await.expect("history").len(), before + 1);
    let report = e.store().audit_verify().await.expect("verify");
    assert!(report.broken.is_empty());
    e.shutdown().await;
}
