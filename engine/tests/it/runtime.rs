//! The durable engine on both backends: acknowledged commands, conflicts, idempotency, durable
//! timers across restarts and across two engines, fencing, versions and the audit chain.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{at, database, engine, fields, per_backend, user};
use serde_json::{Map, Value, json};
use yimen_engine::core::{Command, EventKind, Rejection};
use yimen_engine::runtime::{EngineError, Idempotency, ManualClock};

fn labour() -> Map<String, Value> {
    fields(json!({
        "applicant": "张三",
        "applicant_phone": "13800138000",
        "employer": "某某水产公司",
        "category": "wages",
        "facts": "拖欠工资三个月",
    }))
}

fn act(action: &str, f: Value, expected: Option<i64>) -> Command {
    Command::Act {
        action: action.into(),
        fields: fields(f),
        comment: Some("理由".into()),
        expected_version: expected,
        assign_to: None,
    }
}

per_backend!(a_case_lives_and_its_history_verifies);
async fn a_case_lives_and_its_history_verifies(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "life").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let opened = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens");
    let id = opened.case.id.clone();
    clock.advance(Duration::hours(1));
    e.command(
        &id,
        act("start_mediation", json!({}), Some(1)),
        user(&e, "clerk_wang"),
        None,
    )
    .await
    .expect("mediation");
    clock.advance(Duration::days(1));
    let done = e
        .command(
            &id,
            act("settle", json!({"agreement": "分期支付"}), None),
            user(&e, "mediator_zhao"),
            None,
        )
        .await
        .expect("settles");
    assert!(done.case.is_closed(), "{backend}");
    let history = e.history(&id).await.expect("history");
    let kinds: Vec<&str> = history.iter().map(|h| h.event.kind.name()).collect();
    assert_eq!(kinds, ["opened", "action_taken", "action_taken", "closed"], "{backend}");
    assert_eq!(history[1].event.actor, "clerk_wang");
    // The mediation timer was started and cancelled in the same transactions.
    let counts = e.store().timer_counts().await.expect("counts");
    assert_eq!(counts, vec![("cancelled".to_owned(), 1)], "{backend}");
    // One outbox row: the citizen's receipt.
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM outbox")
        .fetch_one(e.store().pool())
        .await
        .expect("count");
    assert_eq!(n, 1, "{backend}");
    let report = e.store().audit_verify().await.expect("audit");
    assert_eq!(
        (report.cases, report.events, report.broken.len()),
        (1, 4, 0),
        "{backend}"
    );
    e.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

per_backend!(of_two_conflicting_commands_exactly_one_wins);
async fn of_two_conflicting_commands_exactly_one_wins(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "conflict").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let a = engine(&url, "a", clock.clone()).await;
    // On PostgreSQL the second command comes through a second engine (another node).
    let b = if backend == "postgres" {
        engine(&url, "b", clock.clone()).await
    } else {
        a.clone()
    };
    for round in 0..10 {
        let id = a
            .open_case(
                "labour_dispute",
                "window_labour",
                labour(),
                None,
                user(&a, "clerk_wang"),
                None,
            )
            .await
            .expect("opens")
            .case
            .id;
        let (r1, r2) = tokio::join!(
            a.command(
                &id,
                act("start_mediation", json!({}), Some(1)),
                user(&a, "clerk_wang"),
                None
            ),
            b.command(
                &id,
                act("apply_for_arbitration", json!({}), Some(1)),
                user(&b, "clerk_wang"),
                None
            ),
        );
        let wins = [&r1, &r2].iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{backend} round {round}: {r1:?} {r2:?}");
        let loser = if r1.is_ok() { r2 } else { r1 };
        assert!(
            matches!(
                loser,
                Err(EngineError::Rejected(Rejection::Stale { .. })) | Err(EngineError::Conflict)
            ),
            "{backend}: {loser:?}"
        );
        let case = a.case(&id).await.expect("read").expect("exists");
        assert_eq!(case.version, 2, "{backend}");
        assert_eq!(a.history(&id).await.expect("history").len(), 2, "{backend}");
    }
    a.shutdown().await;
    b.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

per_backend!(an_idempotency_key_returns_the_first_result);
async fn an_idempotency_key_returns_the_first_result(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "idem").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock).await;
    let key = |h: &str| {
        Some(Idempotency {
            key: "clerk_wang:k1".into(),
            request_hash: h.into(),
        })
    };
    let first = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            key("h1"),
        )
        .await
        .expect("opens");
    let again = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            key("h1"),
        )
        .await
        .expect("replays");
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.case.id, first.case.id, "{backend}");
    let other = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            key("h2"),
        )
        .await;
    assert!(matches!(other, Err(EngineError::IdempotencyReused)), "{backend}");
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM cases")
        .fetch_one(e.store().pool())
        .await
        .expect("count");
    assert_eq!(n, 1, "{backend}: one case, one receipt");
    e.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

/// A labour dispute in mediation: its 15-day mediation timer is running.
pub(crate) async fn mediating(e: &yimen_engine::runtime::Engine) -> yimen_engine::core::CaseId {
    let id = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    e.command(
        &id,
        act("start_mediation", json!({}), None),
        user(e, "clerk_wang"),
        None,
    )
    .await
    .expect("mediation");
    id
}

per_backend!(a_timer_fires_once_after_a_restart);
async fn a_timer_fires_once_after_a_restart(backend: &str) {
    let lag_before = common::metric(&common::metrics().render(), "yimen_timer_lag_seconds_sum");
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "restart").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let id = mediating(&e).await;
    assert_eq!(e.fire_due_timers().await.expect("tick"), 0, "not due yet");
    let pending = e.case(&id).await.expect("read").expect("exists");
    let due = pending
        .timers
        .values()
        .map(|t| t.due_at)
        .min()
        .expect("a running timer");
    e.shutdown().await;
    // Down while the 15-day limit passes; a new process comes up.
    clock.advance(Duration::days(20));
    let e = engine(&url, "b", clock.clone()).await;
    assert_eq!(
        e.fire_due_timers().await.expect("tick"),
        1,
        "{backend}: the overdue timer fires at start-up"
    );
    assert_eq!(e.fire_due_timers().await.expect("tick"), 0, "{backend}: and only once");
    // The metrics say how late it fired: from its due instant to the restart.
    let lag = common::metric(&common::metrics().render(), "yimen_timer_lag_seconds_sum") - lag_before;
    let expected = (yimen_engine::runtime::Clock::now(clock.as_ref()) - due).num_seconds() as f64;
    assert!(
        expected > 86_400.0 && (lag - expected).abs() < 1.0,
        "{backend}: lag {lag} s, not {expected} s"
    );
    let case = e.case(&id).await.expect("read").expect("exists");
    assert_eq!(case.state, "mediation_failed", "{backend}");
    let fired = e
        .history(&id)
        .await
        .expect("history")
        .iter()
        .filter(|h| matches!(h.event.kind, EventKind::TimerFired { .. }))
        .count();
    assert_eq!(fired, 1, "{backend}");
    e.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

#[tokio::test]
async fn two_engines_on_postgres_fire_each_timer_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database("postgres", dir.path(), "twonodes").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let a = engine(&url, "a", clock.clone()).await;
    let b = engine(&url, "b", clock.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..200 {
        let id = a
            .open_case(
                "labour_dispute",
                "window_labour",
                labour(),
                None,
                user(&a, "clerk_wang"),
                None,
            )
            .await
            .expect("opens")
            .case
            .id;
        a.command(
            &id,
            act("start_mediation", json!({}), None),
            user(&a, "clerk_wang"),
            None,
        )
        .await
        .expect("mediation");
        ids.push(id);
    }
    clock.advance(Duration::days(16));
    let mut total = 0;
    for _ in 0..5 {
        let (x, y) = tokio::join!(a.fire_due_timers(), b.fire_due_timers());
        total += x.expect("a") + y.expect("b");
    }
    assert_eq!(total, 200);
    let (dupes,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT case_id FROM case_events WHERE kind = 'timer_fired' GROUP BY case_id HAVING COUNT(*) > 1) d",
    )
    .fetch_one(a.store().pool())
    .await
    .expect("count");
    assert_eq!(dupes, 0);
    for id in &ids {
        assert_eq!(
            a.case(id).await.expect("read").expect("exists").state,
            "mediation_failed"
        );
    }
    a.shutdown().await;
    b.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

per_backend!(a_node_that_lost_its_lease_does_not_fire);
async fn a_node_that_lost_its_lease_does_not_fire(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "fence").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let a = engine(&url, "a", clock.clone()).await;
    let id = a
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&a, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case
        .id;
    a.command(
        &id,
        act("start_mediation", json!({}), None),
        user(&a, "clerk_wang"),
        None,
    )
    .await
    .expect("mediation");
    clock.advance(Duration::days(16));
    // Node a claims the timer, then stalls past its lease (as under SIGSTOP).
    let now = clock_now(&clock);
    let claimed = a
        .store()
        .claim_due_timers("a", now, now + 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    clock.advance(Duration::seconds(31));
    let b = engine(&url, "b", clock.clone()).await;
    assert_eq!(
        b.fire_due_timers().await.expect("b fires"),
        1,
        "{backend}: b takes the expired lease over"
    );
    // Node a wakes up and tries to apply its stale claim: fenced off.
    let stale = a
        .command(
            &id,
            Command::FireTimer {
                key: claimed[0].key.clone(),
            },
            yimen_engine::core::Actor::system(),
            None,
        )
        .await;
    assert!(matches!(stale, Err(EngineError::TimerSkipped)), "{backend}: {stale:?}");
    assert_eq!(
        a.history(&id)
            .await
            .expect("history")
            .iter()
            .filter(|h| matches!(h.event.kind, EventKind::TimerFired { .. }))
            .count(),
        1
    );
    a.shutdown().await;
    b.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

fn clock_now(c: &ManualClock) -> i64 {
    use yimen_engine::runtime::Clock;
    c.now().timestamp_millis()
}

per_backend!(editing_deleting_or_reordering_history_is_detected);
async fn editing_deleting_or_reordering_history_is_detected(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "audit").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = e
            .open_case(
                "labour_dispute",
                "window_labour",
                labour(),
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
            act("start_mediation", json!({}), None),
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("ok");
        e.command(
            &id,
            Command::Comment {
                text: "已电话联系".into(),
            },
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("ok");
        ids.push(id);
    }
    let pool = e.store().pool();
    assert!(e.store().audit_verify().await.expect("audit").broken.is_empty());
    sqlx::query(
        "UPDATE case_events SET payload = REPLACE(payload, '已电话联系', '未联系') WHERE case_id = $1 AND seq = 3",
    )
    .bind(ids[0].as_str())
    .execute(pool)
    .await
    .expect("edit");
    sqlx::query("DELETE FROM case_events WHERE case_id = $1 AND seq = 2")
        .bind(ids[1].as_str())
        .execute(pool)
        .await
        .expect("delete");
    for (from, to) in [(2, -1), (3, 2), (-1, 3)] {
        sqlx::query("UPDATE case_events SET seq = $1 WHERE case_id = $2 AND seq = $3")
            .bind(to)
            .bind(ids[2].as_str())
            .bind(from)
            .execute(pool)
            .await
            .expect("reorder");
    }
    let report = e.store().audit_verify().await.expect("audit");
    let mut broken: Vec<(String, i64)> = report.broken.iter().map(|b| (b.case_id.clone(), b.seq)).collect();
    broken.sort();
    let mut expected = vec![
        (ids[0].to_string(), 3),
        (ids[1].to_string(), 2),
        (ids[2].to_string(), 2),
    ];
    expected.sort();
    assert_eq!(broken, expected, "{backend}: {:?}", report.broken);
    e.shutdown().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

#[tokio::test]
async fn running_cases_keep_their_definition_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "versions").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let old = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case;
    assert_eq!(old.definition_version, 1);
    e.shutdown().await;

    // A new version: mediation now needs a comment-free `agreement` and a new required field.
    let mut b = common::bundle();
    let ct = b
        .case_types
        .iter_mut()
        .find(|c| c.value.id == "labour_dispute")
        .expect("case type");
    ct.source.push_str("\n# v2\n");
    ct.value.fields.get_mut("employer").expect("field").max_length = Some(10);
    let store = yimen_engine::store::Store::open(&yimen_engine::store::StoreOptions::new(&url))
        .await
        .expect("open");
    let (defs, created) = yimen_engine::runtime::definitions::deploy(&store, &b, 0)
        .await
        .expect("deploy");
    assert_eq!(created, vec!["labour_dispute v2".to_owned()]);
    let org = yimen_engine::core::Organisation::new(b.organisation.expect("org").value);
    let e =
        yimen_engine::runtime::Engine::start(store, defs, org, clock, yimen_engine::runtime::EngineOptions::default());
    let new = e
        .open_case(
            "labour_dispute",
            "window_labour",
            labour(),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens")
        .case;
    assert_eq!(new.definition_version, 2);
    // The old case still moves on its own version.
    let moved = e
        .command(
            &old.id,
            act("start_mediation", json!({}), None),
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("ok");
    assert_eq!(moved.case.definition_version, 1);
    e.shutdown().await;
}
