//! Case lists and search on both backends: two-character Chinese words found, personal data
//! never matched as text but found whole by a phone number, filters, the reader's scope, and
//! pages that follow each other without overlap; cases from before search are indexed at start.

use crate::common;

use std::sync::Arc;

use chrono::Duration;
use common::{at, database, fields, per_backend, user};
use serde_json::json;
use yimen_engine::runtime::{Engine, ManualClock};
use yimen_engine::seal::{MasterKey, Suite};
use yimen_engine::store::search::{CaseQuery, Scope};

async fn open(e: &Engine, case_type: &str, channel: &str, f: serde_json::Value) -> String {
    e.open_case(case_type, channel, fields(f), None, user(e, "clerk_wang"), None)
        .await
        .expect("opens")
        .case
        .id
        .into_string()
}

fn all() -> Scope {
    Scope {
        all: true,
        ..Scope::default()
    }
}

fn text(t: &str) -> CaseQuery {
    CaseQuery {
        text: Some(t.into()),
        limit: 50,
        ..CaseQuery::default()
    }
}

async fn ids(e: &Engine, scope: &Scope, q: &CaseQuery) -> Vec<String> {
    let page = e.store().list_cases(scope, q).await.expect("lists");
    page.cases.into_iter().map(|c| c.id.into_string()).collect()
}

per_backend!(words_filters_scope_and_pages_find_exactly_the_right_cases);
async fn words_filters_scope_and_pages_find_exactly_the_right_cases(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "search").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let master = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let e = common::engine_with(&url, "a", clock.clone(), |o| o.master = Some(master.clone())).await;
    let labour = open(
        &e,
        "labour_dispute",
        "window_labour",
        json!({
        "applicant": "张三", "applicant_phone": "13800138000", "employer": "某某水产公司",
        "category": "wages", "facts": "拖欠工资三个月"}),
    )
    .await;
    clock.advance(Duration::minutes(1));
    let noise = open(
        &e,
        "market_complaint",
        "platform_12315",
        json!({
        "complainant": "葛某", "complainant_phone": "13900000031", "business": "东港夜市",
        "category": "price", "facts": "夜间噪音扰民，标价不清"}),
    )
    .await;
    clock.advance(Duration::minutes(1));
    let other = open(
        &e,
        "market_complaint",
        "platform_12315",
        json!({
        "complainant": "李某", "complainant_phone": "13900000032", "business": "朱家尖民宿",
        "category": "price", "facts": "未明码标价"}),
    )
    .await;

    // Two-character words, in any field that is not personal data; all words of a query.
    assert_eq!(ids(&e, &all(), &text("工资")).await, vec![labour.clone()], "{backend}");
    assert_eq!(ids(&e, &all(), &text("噪音")).await, vec![noise.clone()], "{backend}");
    assert_eq!(
        ids(&e, &all(), &text("水产")).await,
        vec![labour.clone()],
        "{backend}: the employer"
    );
    assert_eq!(
        ids(&e, &all(), &text("拖欠工资")).await,
        vec![labour.clone()],
        "{backend}"
    );
    assert!(
        ids(&e, &all(), &text("拖欠噪音")).await.is_empty(),
        "{backend}: every word must match"
    );
    assert_eq!(
        ids(&e, &all(), &text("标价")).await,
        [other.clone(), noise.clone()],
        "{backend}: newest first"
    );
    // A choice is not a word: `wages` (the category) finds nothing.
    assert!(ids(&e, &all(), &text("wages")).await.is_empty(), "{backend}");
    // Personal data is never a word: the name and the phone do not match as text …
    for secret in ["张三", "13800138000", "葛某"] {
        assert!(
            ids(&e, &all(), &text(secret)).await.is_empty(),
            "{backend}: `{secret}` matched as text"
        );
    }
    // … but a phone number, however written, finds the citizen's cases whole.
    let person = CaseQuery {
        person: Some("138 0013 8000".into()),
        limit: 50,
        ..CaseQuery::default()
    };
    assert_eq!(ids(&e, &all(), &person).await, vec![labour.clone()], "{backend}");
    let partial = CaseQuery {
        person: Some("1380013".into()),
        limit: 50,
        ..CaseQuery::default()
    };
    assert!(
        ids(&e, &all(), &partial).await.is_empty(),
        "{backend}: never a part of a phone"
    );
    // By number, exactly.
    let number = e
        .case(&noise)
        .await
        .expect("reads")
        .expect("there")
        .number
        .expect("number");
    assert_eq!(ids(&e, &all(), &text(&number)).await, vec![noise.clone()], "{backend}");

    // Filters.
    let q = CaseQuery {
        case_types: vec!["market_complaint".into()],
        opened_from: Some(at("2026-11-02T10:02").timestamp_millis()),
        limit: 50,
        ..CaseQuery::default()
    };
    assert_eq!(ids(&e, &all(), &q).await, vec![other.clone()], "{backend}");
    let q = CaseQuery {
        department: Some("labour_arbitration".into()),
        status: Some("open".into()),
        overdue: Some(false),
        limit: 50,
        ..CaseQuery::default()
    };
    assert_eq!(ids(&e, &all(), &q).await, vec![labour.clone()], "{backend}");
    let q = CaseQuery {
        supervision_level: Some(1),
        limit: 50,
        ..CaseQuery::default()
    };
    assert!(
        ids(&e, &all(), &q).await.is_empty(),
        "{backend}: nothing supervised yet"
    );

    // Pages follow each other without overlap, both ways.
    let mut q = CaseQuery {
        limit: 2,
        ..CaseQuery::default()
    };
    let first = e.store().list_cases(&all(), &q).await.expect("lists");
    assert_eq!(first.cases.len(), 2);
    q.after = first.next.clone();
    let second = e.store().list_cases(&all(), &q).await.expect("lists");
    let seen: Vec<String> = first
        .cases
        .iter()
        .chain(&second.cases)
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(seen, [other.clone(), noise.clone(), labour.clone()], "{backend}");
    assert!(second.next.is_none(), "{backend}: the last page says so");
    q.oldest_first = true;
    q.after = None;
    assert_eq!(ids(&e, &all(), &q).await, [labour.clone(), noise.clone()], "{backend}");

    // The reader's scope: the four platforms' staff see the market cases, not the labour one;
    // a reader of no department sees only what they opened or held.
    let market_staff = Scope {
        user: "someone".into(),
        department: Some("four_platforms".into()),
        units: None,
        ..Scope::default()
    };
    assert_eq!(
        ids(&e, &market_staff, &text("标价")).await,
        [other.clone(), noise.clone()],
        "{backend}"
    );
    assert!(ids(&e, &market_staff, &text("工资")).await.is_empty(), "{backend}");
    let opener = Scope {
        user: "clerk_wang".into(),
        ..Scope::default()
    };
    assert_eq!(
        ids(
            &e,
            &opener,
            &CaseQuery {
                limit: 50,
                ..CaseQuery::default()
            }
        )
        .await
        .len(),
        3
    );
    let stranger = Scope {
        user: "nobody".into(),
        ..Scope::default()
    };
    assert!(
        ids(
            &e,
            &stranger,
            &CaseQuery {
                limit: 50,
                ..CaseQuery::default()
            }
        )
        .await
        .is_empty()
    );
    e.shutdown().await;

    // A store from before search: its cases' words are rebuilt when the engine starts.
    let store = e.store();
    let wipe = match backend {
        "sqlite" => "DELETE FROM case_search",
        _ => "TRUNCATE case_search",
    };
    sqlx::query(wipe).execute(store.pool()).await.expect("wipe");
    sqlx::query("UPDATE cases SET searchable = 0")
        .execute(store.pool())
        .await
        .expect("unmark");
    assert!(ids(&e, &all(), &text("工资")).await.is_empty());
    let e = common::engine_with(&url, "a", clock.clone(), |o| o.master = Some(master.clone())).await;
    // The catch-up runs before the writer's first batch; a command waits for it.
    open(
        &e,
        "market_complaint",
        "platform_12315",
        json!({
        "complainant": "周某", "complainant_phone": "13900000033", "business": "六横渔港",
        "category": "price", "facts": "渔获标价不清"}),
    )
    .await;
    assert_eq!(ids(&e, &all(), &text("工资")).await, vec![labour], "{backend}");
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

/// A word at least 1,000 cases have takes the other plan on SQLite (walking the list and keeping
/// the matches): the same cases in the same order, page after page.
#[tokio::test]
async fn a_word_many_cases_have_lists_them_in_order_page_after_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "broad").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let e = common::engine(&url, "a", clock.clone()).await;
    let mut expected = Vec::new();
    for round in 0..11 {
        let mut handles = Vec::new();
        for i in 0..100 {
            let e = e.clone();
            // Every case has 噪音; every tenth also 夜市.
            let facts = if i % 10 == 0 {
                "夜市噪音扰民"
            } else {
                "小区噪音扰民"
            };
            handles.push(tokio::spawn(async move {
                open(
                    &e,
                    "market_complaint",
                    "platform_12315",
                    json!({
                    "complainant": "葛某", "complainant_phone": "13900000031", "business": format!("商户{round}-{i}"),
                    "category": "price", "facts": facts}),
                )
                .await
            }));
        }
        for h in handles {
            expected.push(h.await.expect("joins"));
        }
        clock.advance(Duration::minutes(1));
    }
    let store = e.store();
    // Newest first: by opening minute, then id, as the list sorts.
    let everything = store
        .list_cases(
            &all(),
            &CaseQuery {
                limit: 500,
                ..CaseQuery::default()
            },
        )
        .await
        .expect("lists");
    let order: Vec<String> = everything.cases.iter().map(|c| c.id.to_string()).collect();
    let mut q = text("噪音");
    q.limit = 200;
    let mut seen = Vec::new();
    loop {
        let page = store.list_cases(&all(), &q).await.expect("lists");
        seen.extend(page.cases.iter().map(|c| c.id.to_string()));
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 1100, "every case with the word, once");
    assert_eq!(&seen[..500], order.as_slice(), "in the list's order");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1100, "no case twice across pages");
    // A word few have still starts from its matches, and finds just those.
    let few = ids(
        &e,
        &all(),
        &CaseQuery {
            text: Some("夜市".into()),
            limit: 500,
            ..CaseQuery::default()
        },
    )
    .await;
    assert_eq!(few.len(), 110);
    e.shutdown().await;
}
