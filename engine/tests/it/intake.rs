//! Intake on both backends: routing a request to a case type, linking a repeated complaint to
//! the open case, and giving pool tasks to the least-loaded holder with the right specialism.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{act, at, database, engine, fields, per_backend, user};
use serde_json::{Map, Value, json};
use yimen_engine::core::{EventKind, RouteError, TaskState};
use yimen_engine::runtime::ManualClock;

fn complaint(phone: &str, business: &str) -> Map<String, Value> {
    fields(json!({
        "complainant": "葛某",
        "complainant_phone": phone,
        "business": business,
        "category": "price",
        "facts": "未明码标价",
    }))
}

fn aid(phone: &str, matter: &str) -> Map<String, Value> {
    fields(json!({
        "applicant": "田某",
        "applicant_phone": phone,
        "matter": matter,
        "facts": "工资未发放",
    }))
}

#[tokio::test]
async fn a_request_is_routed_by_case_type_matter_channel_or_fallback() {
    let b = common::bundle();
    let org = yimen_engine::core::Organisation::new(b.organisation.expect("org").value);
    // The case type named wins over everything.
    assert_eq!(
        org.route("platform_12315", Some("labour_dispute"), Some("traffic_injury")),
        Ok("labour_dispute".into())
    );
    // Then the matter of the catalogue.
    assert_eq!(
        org.route("window_comprehensive", None, Some("traffic_injury")),
        Ok("personal_injury".into())
    );
    // Then the channel's own case type.
    assert_eq!(org.route("platform_12315", None, None), Ok("market_complaint".into()));
    // The comprehensive window takes anything: the fallback dispatches it by hand.
    assert_eq!(
        org.route("window_comprehensive", None, None),
        Ok("comprehensive_intake".into())
    );
    // A channel carrying several kinds, with nothing named, is a clear error; so is a bad matter.
    assert_eq!(
        org.route("portal", None, None),
        Err(RouteError::NoCaseType("portal".into()))
    );
    assert_eq!(
        org.route("window_comprehensive", None, Some("nonsense")),
        Err(RouteError::UnknownMatter("nonsense".into()))
    );
    assert_eq!(
        org.route("fax", None, None),
        Err(RouteError::UnknownChannel("fax".into()))
    );
    // Every matter routes to a case type that the comprehensive window can open.
    for (id, m) in &org.file.matters {
        assert_eq!(
            org.route("window_comprehensive", None, Some(id)),
            Ok(m.case_type.clone())
        );
    }
}

per_backend!(repeat_keys_are_stored_keyed_under_the_master_key);
async fn repeat_keys_are_stored_keyed_under_the_master_key(backend: &str) {
    use yimen_engine::seal::{MasterKey, Suite};
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "keyed").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let master = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let e = common::engine_with(&url, "a", clock.clone(), |o| o.master = Some(master.clone())).await;
    let clerk = user(&e, "clerk_wang");
    let open = |phone: &'static str| {
        let (e, clerk) = (e.clone(), clerk.clone());
        async move {
            e.open_case(
                "market_complaint",
                "platform_12315",
                complaint(phone, "某海鲜排档"),
                None,
                clerk,
                None,
            )
            .await
            .expect("opens")
        }
    };
    let first = open("13900000031").await;
    clock.advance(Duration::days(1));
    assert!(open("139 0000 0031").await.linked, "{backend}: repeats still link");
    // The stored key is the blind index of the core's digest, not the digest itself: without
    // the master key, hashing every phone number finds nothing.
    let digest = first.case.repeat_key.clone().expect("a repeat key");
    let dump = e.store().dump().await.expect("dump");
    let stored: Vec<&str> = dump["repeat_keys"].iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(stored, [master.blind_index("repeat", &digest).as_str()], "{backend}");
    assert!(!stored.contains(&digest.as_str()));
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(a_repeated_complaint_joins_the_open_case);
async fn a_repeated_complaint_joins_the_open_case(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "repeat").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let clerk = user(&e, "clerk_wang");
    let first = e
        .open_case(
            "market_complaint",
            "platform_12315",
            complaint("13900000031", "某海鲜排档"),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("opens");
    assert!(!first.linked);
    clock.advance(Duration::days(3));
    // Same citizen, same business (spelt with other spacing and case): linked, not opened.
    let again = e
        .open_case(
            "market_complaint",
            "hotline_12345",
            complaint("139 0000 0031", " 某海鲜排档 "),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("links");
    assert!(again.linked, "{backend}: the repeat is linked");
    assert_eq!(again.case.id, first.case.id, "{backend}");
    assert_eq!(again.case.repeats, 1);
    let history = e.history(&first.case.id).await.expect("history");
    assert!(history.iter().any(|h| matches!(
        &h.event.kind,
        EventKind::Repeated { channel, repeats: 1, .. } if channel == "hotline_12345"
    )));
    // Another business is another case.
    let other = e
        .open_case(
            "market_complaint",
            "platform_12315",
            complaint("13900000031", "某电器商店"),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("opens");
    assert!(!other.linked);
    assert_ne!(other.case.id, first.case.id);
    // Past the 30-day window the same complaint is a new case.
    clock.advance(Duration::days(31));
    let late = e
        .open_case(
            "market_complaint",
            "platform_12315",
            complaint("13900000031", "某海鲜排档"),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("opens");
    assert!(!late.linked, "{backend}: outside the window");
    // Once that case is closed, a repeat opens a new one.
    let handler = user(&e, "handler_ma");
    e.command(&late.case.id, act("refuse", json!({})), handler, None)
        .await
        .expect("refused");
    let after_close = e
        .open_case(
            "market_complaint",
            "platform_12315",
            complaint("13900000031", "某海鲜排档"),
            None,
            clerk,
            None,
        )
        .await
        .expect("opens");
    assert!(!after_close.linked, "{backend}: the earlier case is closed");
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(pool_tasks_go_to_the_least_loaded_specialist);
async fn pool_tasks_go_to_the_least_loaded_specialist(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "pool").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let clerk = user(&e, "clerk_wang");
    let head = user(&e, "head_legal");
    // Two lawyers know labour cases (lawyer_feng, lawyer_gao): they take turns by load.
    let mut holders = Vec::new();
    for i in 0..4 {
        let c = e
            .open_case(
                "new_resident_rights",
                "window_new_resident",
                aid(&format!("1390000010{i}"), "labour"),
                None,
                clerk.clone(),
                None,
            )
            .await
            .expect("opens");
        let granted = e
            .command(&c.case.id, act("grant_aid", json!({})), head.clone(), None)
            .await
            .expect("granted");
        let t = granted
            .case
            .tasks
            .iter()
            .find(|t| t.name == "assist")
            .expect("assist task");
        assert_eq!(t.state, TaskState::Claimed);
        holders.push(t.assignee.clone().expect("assigned"));
    }
    assert_eq!(
        holders,
        ["lawyer_feng", "lawyer_gao", "lawyer_feng", "lawyer_gao"],
        "{backend}"
    );
    // Only lawyer_gao knows wage cases: he gets them whatever his load.
    let c = e
        .open_case(
            "new_resident_rights",
            "window_new_resident",
            aid("13900000200", "wages"),
            None,
            clerk.clone(),
            None,
        )
        .await
        .expect("opens");
    let granted = e
        .command(&c.case.id, act("grant_aid", json!({})), head.clone(), None)
        .await
        .expect("granted");
    let wage_lawyer = granted
        .case
        .tasks
        .iter()
        .find(|t| t.name == "assist")
        .and_then(|t| t.assignee.clone());
    assert_eq!(wage_lawyer.as_deref(), Some("lawyer_gao"));
    e.shutdown().await;

    // A new engine reads the load from the store: feng holds 2, gao 3, so feng is next.
    let e = engine(&url, "b", clock.clone()).await;
    e.refresh_workload().await.expect("workload");
    assert_eq!(e.org().workload.active_tasks("lawyer_feng"), 2, "{backend}");
    assert_eq!(e.org().workload.active_tasks("lawyer_gao"), 3, "{backend}");
    let c = e
        .open_case(
            "new_resident_rights",
            "window_new_resident",
            aid("13900000300", "labour"),
            None,
            user(&e, "clerk_wang"),
            None,
        )
        .await
        .expect("opens");
    let granted = e
        .command(&c.case.id, act("grant_aid", json!({})), user(&e, "head_legal"), None)
        .await
        .expect("granted");
    let next = granted
        .case
        .tasks
        .iter()
        .find(|t| t.name == "assist")
        .and_then(|t| t.assignee.clone());
    assert_eq!(next.as_deref(), Some("lawyer_feng"), "{backend}");
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
