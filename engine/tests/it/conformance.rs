//! The store's conformance suite: each area of the store behaves alike on SQLite and on
//! PostgreSQL, one named test per area and database (`NAME::sqlite`, `NAME::postgres`), so a
//! failure on one never hides the other's result. Areas: the case compare-and-set, timer leases
//! and their release, the outbox and its deliveries' leases, the job ledger, accounts with their
//! sign-in attempts, sessions and tokens, the bounded views. Migrating a store from every earlier
//! schema version is `migration.rs`.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{at, database, engine, fields, per_backend, user};
use serde_json::{Map, Value, json};
use yimen_engine::core::{Command, Rejection};
use yimen_engine::runtime::{Engine, EngineError, ManualClock};
use yimen_engine::store::accounts::Account;
use yimen_engine::store::outbox::{NewDelivery, Outcome};
use yimen_engine::store::{Store, StoreOptions};

fn labour() -> Map<String, Value> {
    fields(json!({
        "applicant": "张三",
        "applicant_phone": "13800138000",
        "employer": "某某水产公司",
        "category": "wages",
        "facts": "拖欠工资三个月",
    }))
}

async fn open_labour(e: &Engine) -> String {
    e.open_case(
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
    .id
    .into_string()
}

/// A labour dispute in mediation: it has a task and a running mediation timer.
pub(crate) async fn open_mediating(e: &Engine) -> String {
    let id = open_labour(e).await;
    let start = Command::Act {
        action: "start_mediation".into(),
        fields: Map::new(),
        comment: None,
        expected_version: Some(1),
        assign_to: None,
    };
    e.command(&id, start, user(e, "clerk_wang"), None)
        .await
        .expect("mediation");
    id
}

fn ms(s: &str) -> i64 {
    at(s).timestamp_millis()
}

per_backend!(a_store_is_bound_to_one_master_key);
async fn a_store_is_bound_to_one_master_key(backend: &str) {
    use yimen_engine::store::keys::KeyBinding;
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "keys").await;
    let store = Store::open(&StoreOptions::new(&url)).await.expect("open");
    // Three nodes starting at once: one binds, the others find the same key.
    let (a, b, c) = tokio::join!(
        store.bind_master_key("sm4gcm-sm3", "00aa", 1),
        store.bind_master_key("sm4gcm-sm3", "00aa", 2),
        store.bind_master_key("sm4gcm-sm3", "00aa", 3),
    );
    let mut got = vec![a.expect("bind"), b.expect("bind"), c.expect("bind")];
    got.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(
        got,
        [KeyBinding::Bound, KeyBinding::Same, KeyBinding::Same],
        "{backend}"
    );
    let other = KeyBinding::Other {
        suite: "sm4gcm-sm3".into(),
        fingerprint: "00aa".into(),
    };
    assert_eq!(
        store.bind_master_key("sm4gcm-sm3", "00bb", 4).await.expect("compare"),
        other
    );
    assert_eq!(
        store
            .bind_master_key("aes256gcm-sha256", "00aa", 5)
            .await
            .expect("compare"),
        other
    );
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(only_one_of_two_commands_at_the_same_version_is_taken);
async fn only_one_of_two_commands_at_the_same_version_is_taken(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "cas").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let (a, b) = (
        engine(&url, "a", clock.clone()).await,
        engine(&url, "b", clock.clone()).await,
    );
    let id = open_labour(&a).await;
    let cmd = |action: &str| Command::Act {
        action: action.into(),
        fields: Map::new(),
        comment: Some("理由".into()),
        expected_version: Some(1),
        assign_to: None,
    };
    // Two nodes act on version 1 at once: one is taken, the other is told the case moved on.
    let (x, y) = tokio::join!(
        a.command(&id, cmd("start_mediation"), user(&a, "clerk_wang"), None),
        b.command(&id, cmd("start_mediation"), user(&b, "clerk_wang"), None),
    );
    let taken = [&x, &y].iter().filter(|r| r.is_ok()).count();
    assert_eq!(taken, 1, "{backend}: {x:?} {y:?}");
    let refused = if x.is_err() { x } else { y };
    assert!(
        matches!(refused, Err(EngineError::Rejected(Rejection::Stale { .. }))),
        "{backend}: {refused:?}"
    );
    let case = a.case(&id).await.expect("read").expect("case");
    assert_eq!((case.version, case.state.as_str()), (2, "mediating"), "{backend}");
    let history = a.history(&id).await.expect("history");
    assert_eq!(
        history.len(),
        2,
        "{backend}: one opening and one action, nothing doubled"
    );
    a.shutdown().await;
    b.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(a_timer_lease_keeps_other_nodes_out_until_it_expires_or_is_released);
async fn a_timer_lease_keeps_other_nodes_out_until_it_expires_or_is_released(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "lease").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    open_mediating(&e).await;
    let store = e.store();
    let later = ms("2027-06-01T10:00");
    assert!(
        store
            .claim_due_timers("a", ms("2026-09-28T10:00"), later, 100)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: nothing is due at the opening"
    );
    let mine = store
        .claim_due_timers("a", later, later + 30_000, 100)
        .await
        .expect("claim");
    assert!(!mine.is_empty(), "{backend}: the case's timers are due a year on");
    let due: Vec<i64> = mine.iter().map(|t| t.due_at).collect();
    assert!(due.windows(2).all(|w| w[0] <= w[1]), "{backend}: oldest first: {due:?}");
    assert!(
        store
            .claim_due_timers("b", later + 1, later + 30_000, 100)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: another node gets none while the lease holds"
    );
    let first = &mine[0].key;
    store.release_timer(first, "b").await.expect("release");
    assert!(
        store
            .claim_due_timers("b", later + 2, later + 30_000, 100)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: a node that does not hold a lease cannot release it"
    );
    store.release_timer(first, "a").await.expect("release");
    let released = store
        .claim_due_timers("b", later + 3, later + 30_000, 100)
        .await
        .expect("claim");
    assert_eq!(
        released.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(),
        [first.as_str()],
        "{backend}: the released timer, and only it"
    );
    let expired = store
        .claim_due_timers("b", later + 30_001, later + 60_000, 100)
        .await
        .expect("claim");
    assert_eq!(
        expired.len(),
        mine.len(),
        "{backend}: every lease expired, so all are claimable"
    );
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(an_outbox_row_and_its_deliveries_go_to_one_node_at_a_time);
async fn an_outbox_row_and_its_deliveries_go_to_one_node_at_a_time(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "outbox").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let id = open_labour(&e).await;
    let store = e.store();
    let now = ms("2026-09-28T10:00");
    let rows = store.claim_outbox("a", now, now + 30_000, 10).await.expect("claim");
    assert_eq!(rows.len(), 1, "{backend}: the receipt SMS");
    assert_eq!(rows[0].case_id, id);
    assert!(
        store
            .claim_outbox("b", now, now + 30_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: leased to a"
    );
    let r = &rows[0];
    let sms = NewDelivery {
        channel: "sms".into(),
        address: "13800138000".into(),
        recipient: "citizen".into(),
        undeliverable: None,
    };
    assert!(
        !store
            .expand_outbox(
                &r.idempotency_key,
                &r.case_id,
                &r.template,
                "b",
                std::slice::from_ref(&sms),
                now
            )
            .await
            .expect("expand"),
        "{backend}: a node without the lease cannot expand it"
    );
    assert!(
        store
            .expand_outbox(
                &r.idempotency_key,
                &r.case_id,
                &r.template,
                "a",
                std::slice::from_ref(&sms),
                now
            )
            .await
            .expect("expand"),
        "{backend}"
    );
    let d = store
        .claim_deliveries("a", &["sms"], now, now + 30_000, 10)
        .await
        .expect("claim");
    assert_eq!(d.len(), 1, "{backend}: one delivery per address and channel");
    assert!(
        store
            .claim_deliveries("b", &["sms"], now, now + 30_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}"
    );
    let retry = Outcome::Retry {
        next_at: now + 60_000,
        error: "gateway busy".into(),
    };
    assert!(
        !store.record_delivery(&d[0], "b", &retry, now).await.expect("record"),
        "{backend}: only the holder records an outcome"
    );
    assert!(store.record_delivery(&d[0], "a", &retry, now).await.expect("record"));
    assert!(
        store
            .claim_deliveries("b", &["sms"], now + 59_999, now + 90_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: not before its retry is due"
    );
    let again = store
        .claim_deliveries("b", &["sms"], now + 60_000, now + 90_000, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1, "{backend}: due again, to any node");
    let delivered = Outcome::Delivered {
        gateway_id: Some("k-1".into()),
    };
    assert!(
        store
            .record_delivery(&again[0], "b", &delivered, now + 60_001)
            .await
            .expect("record")
    );
    assert!(
        store
            .claim_deliveries("a", &["sms"], now + 1_000_000, now + 1_030_000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "{backend}: a delivered message is never sent again"
    );
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

pub(crate) async fn plain_store(backend: &str, dir: &std::path::Path, tag: &str) -> (Store, Option<common::PgScratch>) {
    let (url, pg) = database(backend, dir, tag).await;
    (Store::open(&StoreOptions::new(&url)).await.expect("open"), pg)
}

per_backend!(a_job_period_runs_once_and_a_lost_lease_cannot_finish_it);
async fn a_job_period_runs_once_and_a_lost_lease_cannot_finish_it(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, pg) = plain_store(backend, dir.path(), "jobs").await;
    let (job, period, now) = ("bulletin", "2026-10", 1_000_000);
    assert!(
        store
            .claim_job_run(job, period, now, "a", now, now + 30_000)
            .await
            .expect("claim")
    );
    assert!(
        !store
            .claim_job_run(job, period, now, "b", now + 1, now + 30_001)
            .await
            .expect("claim"),
        "{backend}: held by a"
    );
    assert!(
        store
            .claim_job_run(job, period, now, "b", now + 30_001, now + 60_000)
            .await
            .expect("claim"),
        "{backend}: a's lease expired, so b takes over"
    );
    assert!(
        !store
            .finish_job_run(job, period, "a", now + 30_002, "sha-a")
            .await
            .expect("finish"),
        "{backend}: a no longer holds the run"
    );
    assert!(
        store
            .finish_job_run(job, period, "b", now + 30_003, "sha-b")
            .await
            .expect("finish")
    );
    assert!(
        !store
            .claim_job_run(job, period, now, "c", now + 1_000_000, now + 1_030_000)
            .await
            .expect("claim"),
        "{backend}: a done period is never run again"
    );
    let runs = store.job_runs(10).await.expect("runs");
    assert_eq!(runs.len(), 1, "{backend}");
    assert_eq!(runs[0].attempts, 2, "{backend}: claimed twice, finished once");
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        name: "李娜".into(),
        roles: vec!["handler".into()],
        department: Some("labour".into()),
        unit: "district".into(),
        email: None,
        mobile: None,
        active: true,
        failed_attempts: 0,
        locked_until: None,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    }
}

per_backend!(accounts_sessions_and_tokens_keep_their_rules);
async fn accounts_sessions_and_tokens_keep_their_rules(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, pg) = plain_store(backend, dir.path(), "accounts").await;
    let now = 1_000_000;
    assert!(store.add_account(&account("li_na"), now).await.expect("add"));
    assert!(
        !store.add_account(&account("li_na"), now).await.expect("add"),
        "{backend}: ids are unique"
    );
    // Sign-in attempts: at most `max` per lock window, then none until it ends or an unlock.
    let mut taken = 0;
    for _ in 0..8 {
        if store
            .take_sign_in_attempt("li_na", 5, now, now + 900_000)
            .await
            .expect("take")
        {
            taken += 1;
        }
    }
    assert_eq!(taken, 5, "{backend}");
    assert!(
        store
            .account("li_na")
            .await
            .expect("read")
            .expect("account")
            .locked_until
            .is_some()
    );
    assert!(store.unlock_account("li_na").await.expect("unlock"));
    assert!(
        store
            .take_sign_in_attempt("li_na", 5, now, now + 900_000)
            .await
            .expect("take"),
        "{backend}"
    );
    // Sessions: found by their id until they expire or end.
    store
        .start_session("sid-1", "li_na", "csrf-1", now, now + 1_000)
        .await
        .expect("start");
    assert_eq!(
        store.session("sid-1", now + 999).await.expect("read"),
        Some(("li_na".into(), "csrf-1".into())),
        "{backend}"
    );
    assert_eq!(
        store.session("sid-1", now + 1_000).await.expect("read"),
        None,
        "{backend}: expired"
    );
    store
        .start_session("sid-2", "li_na", "csrf-2", now, now + 1_000)
        .await
        .expect("start");
    store.end_session("sid-2").await.expect("end");
    assert_eq!(
        store.session("sid-2", now).await.expect("read"),
        None,
        "{backend}: ended"
    );
    // Tokens: valid until they expire or are revoked by name.
    assert!(
        store
            .add_token("tok-1", "li_na", "laptop", now, now + 5_000)
            .await
            .expect("add")
    );
    assert_eq!(
        store.token_user("tok-1", now + 4_999).await.expect("read").as_deref(),
        Some("li_na")
    );
    assert_eq!(
        store.token_user("tok-1", now + 5_000).await.expect("read"),
        None,
        "{backend}: expired"
    );
    assert!(
        store
            .add_token("tok-2", "li_na", "phone", now, now + 5_000)
            .await
            .expect("add")
    );
    assert_eq!(store.revoke_tokens("li_na", "phone").await.expect("revoke"), 1);
    assert_eq!(
        store.token_user("tok-2", now).await.expect("read"),
        None,
        "{backend}: revoked"
    );
    assert_eq!(store.token_user("no-such-token", now).await.expect("read"), None);
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(the_views_read_what_the_writer_wrote);
async fn the_views_read_what_the_writer_wrote(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "views").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(open_labour(&e).await);
        clock.advance(Duration::minutes(1));
    }
    let store = e.store();
    assert_eq!(store.case_count().await.expect("count"), 3, "{backend}");
    let wanted = [ids[2].clone(), ids[0].clone(), "no-such-case".to_owned()];
    let got = store.cases_by_ids(&wanted).await.expect("read");
    let mut found: Vec<&str> = got.iter().map(|c| c.id.as_str()).collect();
    found.sort_unstable();
    let mut expected = vec![ids[0].as_str(), ids[2].as_str()];
    expected.sort_unstable();
    assert_eq!(found, expected, "{backend}: the cases asked for that exist");
    let versions = store.cases_per_version("labour_dispute").await.expect("read");
    assert_eq!(
        versions.iter().map(|(_, open, _)| open).sum::<i64>(),
        3,
        "{backend}: {versions:?}"
    );
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
