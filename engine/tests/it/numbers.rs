//! Case numbers (案件编号) on both backends: numbered in the opening transaction, gap-free per
//! year (a refused opening takes none), restarting with the year in the centre's time zone,
//! found by number or by a unique start of the id, and given to cases from before numbering
//! when the engine starts.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{at, database, engine, fields, per_backend, user};
use serde_json::{Map, Value, json};
use yimen_engine::core::EventKind;
use yimen_engine::runtime::{Engine, ManualClock};
use yimen_engine::store::StoreError;

fn complaint(business: &str) -> Map<String, Value> {
    fields(json!({
        "complainant": "葛某",
        "complainant_phone": "13900000031",
        "business": business,
        "category": "price",
        "facts": "未明码标价",
    }))
}

async fn open(e: &Engine, business: &str) -> Result<yimen_engine::core::Case, yimen_engine::runtime::EngineError> {
    let clerk = user(e, "clerk_wang");
    e.open_case(
        "market_complaint",
        "platform_12315",
        complaint(business),
        None,
        clerk,
        None,
    )
    .await
    .map(|o| o.case)
}

per_backend!(numbers_are_gap_free_restart_each_year_and_find_their_case);
async fn numbers_are_gap_free_restart_each_year_and_find_their_case(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "numbers").await;
    let clock = Arc::new(ManualClock::new(at("2026-12-31T23:50")));
    let e = engine(&url, "a", clock.clone()).await;
    // Ten at once (one batch or several), with refused openings among them.
    let mut handles = Vec::new();
    for i in 0..10 {
        let e1 = e.clone();
        handles.push(tokio::spawn(async move { open(&e1, &format!("商户{i}")).await }));
        let e = e.clone();
        let clerk = user(&e, "clerk_wang");
        handles.push(tokio::spawn(async move {
            e.open_case(
                "market_complaint",
                "platform_12315",
                fields(json!({"facts": "缺少必填项"})),
                None,
                clerk,
                None,
            )
            .await
            .map(|o| o.case)
        }));
    }
    let mut numbers = Vec::new();
    let mut refused = 0;
    for h in handles {
        match h.await.expect("joins") {
            Ok(c) => numbers.push(c.number.clone().expect("a number")),
            Err(_) => refused += 1,
        }
    }
    assert_eq!(refused, 10, "{backend}");
    numbers.sort();
    let expected: Vec<String> = (1..=10).map(|n| format!("普治〔2026〕{n:05}号")).collect();
    assert_eq!(
        numbers, expected,
        "{backend}: gap-free, none twice, refused openings take none"
    );

    // Past midnight in Shanghai (still 2026 in UTC) the year's sequence starts again.
    clock.advance(Duration::minutes(15));
    let new_year = open(&e, "新年商户").await.expect("opens");
    assert_eq!(new_year.number.as_deref(), Some("普治〔2027〕00001号"), "{backend}");
    // The opened event carries the number; the stored case has it.
    let history = e.history(&new_year.id).await.expect("history");
    assert!(
        matches!(&history[0].event.kind, EventKind::Opened { number: Some(n), .. } if n == "普治〔2027〕00001号"),
        "{backend}: {:?}",
        history[0].event.kind
    );
    let stored = e.case(&new_year.id).await.expect("reads").expect("there");
    assert_eq!(stored.number, new_year.number);

    // Found by number, whole id, or a start of the id only it has; a start many share is an
    // error that says so; a malformed or unknown reference finds nothing.
    let store = e.store();
    let id = new_year.id.to_string();
    assert_eq!(
        store.resolve_case(" 普治〔2027〕00001号 ").await.expect("resolves"),
        Some(id.clone())
    );
    assert_eq!(store.resolve_case(&id).await.expect("resolves"), Some(id.clone()));
    assert_eq!(
        store.resolve_case(&id[..id.len() - 1]).await.expect("resolves"),
        Some(id.clone())
    );
    assert!(
        matches!(store.resolve_case(&id[..8]).await, Err(StoreError::Ambiguous(_))),
        "{backend}: eleven cases opened within minutes share their first eight characters"
    );
    for nothing in [
        "普治〔2027〕00002号",
        "",
        "'; DROP TABLE cases; --",
        "zzzzzzzzzz",
        "00000000-0000-7000-8000-000000000000",
    ] {
        assert_eq!(
            store.resolve_case(nothing).await.expect("no error"),
            None,
            "{backend}: {nothing}"
        );
    }
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(cases_from_before_numbering_are_numbered_in_the_order_they_opened);
async fn cases_from_before_numbering_are_numbered_in_the_order_they_opened(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "renumber").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(open(&e, &format!("老商户{i}")).await.expect("opens").id.to_string());
        clock.advance(Duration::minutes(1));
    }
    e.shutdown().await;
    // As a store written before numbering holds them: no number in the row or the aggregate,
    // no sequences.
    let strip = match backend {
        "sqlite" => "UPDATE cases SET number = NULL, data = json_remove(data, '$.number')",
        _ => "UPDATE cases SET number = NULL, data = (data::jsonb - 'number')::text",
    };
    let store = e.store();
    sqlx::query(strip).execute(store.pool()).await.expect("strip");
    sqlx::query("DELETE FROM case_numbers")
        .execute(store.pool())
        .await
        .expect("reset");
    assert_eq!(e.case(&ids[0]).await.expect("reads").expect("there").number, None);

    let e = engine(&url, "a", clock.clone()).await;
    let next = open(&e, "新商户").await.expect("opens");
    for (i, id) in ids.iter().enumerate() {
        let c = e.case(id).await.expect("reads").expect("there");
        assert_eq!(
            c.number,
            Some(format!("普治〔2026〕{:05}号", i + 1)),
            "{backend}: in opening order"
        );
        assert_eq!(
            store
                .case_id_by_number(&format!("普治〔2026〕{:05}号", i + 1))
                .await
                .expect("finds")
                .as_deref(),
            Some(id.as_str())
        );
    }
    assert_eq!(
        next.number.as_deref(),
        Some("普治〔2026〕00004号"),
        "{backend}: new cases follow"
    );
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
