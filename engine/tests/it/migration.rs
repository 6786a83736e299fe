//! A store left at every earlier schema version migrates to the latest with its case intact:
//! the case, its hash-chained history, its task and its timer are copied into a store migrated
//! only so far, then today's engine opens it, verifies the history and acts on the case — on
//! SQLite and on PostgreSQL.

use std::sync::Arc;

use serde_json::json;
use yimen_engine::core::{Case, Command};
use yimen_engine::runtime::{Engine, ManualClock};

use crate::common::{at, database, engine, fields, per_backend, user};
use crate::conformance::open_mediating;

/// The columns of the tables a case lives in, as schema 0002 made them (later migrations add
/// tables and indexes, and columns elsewhere): `T` text, `t` optional text, `I` integer, `i`
/// optional integer.
const CASE_TABLES: &[(&str, &[(&str, char)])] = &[
    (
        "definition_versions",
        &[
            ("case_type", 'T'),
            ("version", 'I'),
            ("sha256", 'T'),
            ("source", 'T'),
            ("deployed_at", 'I'),
        ],
    ),
    (
        "cases",
        &[
            ("id", 'T'),
            ("case_type", 'T'),
            ("definition_version", 'I'),
            ("state", 'T'),
            ("status", 'T'),
            ("version", 'I'),
            ("department", 'T'),
            ("unit", 't'),
            ("data", 'T'),
            ("event_seq", 'I'),
            ("last_hash", 'T'),
            ("opened_at", 'I'),
            ("updated_at", 'I'),
            ("closed_at", 'i'),
        ],
    ),
    (
        "case_events",
        &[
            ("case_id", 'T'),
            ("seq", 'I'),
            ("kind", 'T'),
            ("actor", 'T'),
            ("at", 'I'),
            ("payload", 'T'),
            ("prev_hash", 'T'),
            ("hash", 'T'),
        ],
    ),
    (
        "tasks",
        &[
            ("id", 'T'),
            ("case_id", 'T'),
            ("name", 'T'),
            ("state", 'T'),
            ("department", 'T'),
            ("role", 'T'),
            ("unit", 't'),
            ("assignee", 't'),
            ("created_at", 'I'),
            ("closed_at", 'i'),
        ],
    ),
    (
        "timers",
        &[
            ("key", 'T'),
            ("case_id", 'T'),
            ("name", 'T'),
            ("due_at", 'I'),
            ("state", 'T'),
        ],
    ),
];

/// Copies `table`'s rows (the columns named) from one pool to another.
async fn copy_rows(from: &sqlx::AnyPool, to: &sqlx::AnyPool, table: &str, cols: &[(&str, char)]) -> usize {
    use sqlx::Row;
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let rows = sqlx::query(&format!("SELECT {} FROM {table}", names.join(", ")))
        .fetch_all(from)
        .await
        .expect("read rows");
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    for row in &rows {
        let mut q = sqlx::query(&insert);
        for (i, (_, ty)) in cols.iter().enumerate() {
            q = match ty {
                'T' => q.bind(row.get::<String, _>(i)),
                't' => q.bind(row.get::<Option<String>, _>(i)),
                'I' => q.bind(row.get::<i64, _>(i)),
                _ => q.bind(row.get::<Option<i64>, _>(i)),
            };
        }
        q.execute(to).await.expect("insert row");
    }
    rows.len()
}

/// The first migration whose schema has the list's scope columns.
const SCOPE_MIGRATION: usize = 18;

/// The case's `task_holders` and `task_places` are those of its tasks.
async fn check_scope(e: &Engine, id: &str, before: &Case, backend: &str, k: usize) {
    let (holders, places): (String, String) =
        sqlx::query_as("SELECT task_holders, task_places FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(e.store().pool())
            .await
            .expect("scope columns");
    let entries = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
    };
    let want_places: std::collections::BTreeSet<String> = before
        .tasks
        .iter()
        .map(|t| format!("{}@{}", t.department, t.unit.as_deref().unwrap_or_default()))
        .collect();
    let want_holders: std::collections::BTreeSet<String> = before
        .tasks
        .iter()
        .filter_map(|t| t.assignee.as_ref().map(ToString::to_string))
        .collect();
    assert!(!want_places.is_empty(), "{backend}: the case has tasks");
    assert_eq!(entries(&places), want_places, "{backend} from {k}");
    assert_eq!(entries(&holders), want_holders, "{backend} from {k}");
}

per_backend!(a_store_of_every_earlier_schema_migrates_and_keeps_its_cases);
async fn a_store_of_every_earlier_schema_migrates_and_keeps_its_cases(backend: &str) {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().expect("tempdir");
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let all = sqlx::migrate::Migrator::new(migrations.as_path())
        .await
        .expect("migrations");
    let latest = all.migrations.len();
    assert!(latest >= 12, "{backend}: {latest} migrations found");
    // A case as today's engine writes it, with its history, tasks and timers.
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    let (source_url, source_pg) = database(backend, dir.path(), "msource").await;
    let source = engine(&source_url, "a", clock.clone()).await;
    let id = open_mediating(&source).await;
    let before = source.case(&id).await.expect("read").expect("case");
    let history = source.history(&id).await.expect("history").len();
    source.shutdown().await;
    let from = sqlx::AnyPool::connect(&source_url).await.expect("source pool");
    for k in 2..latest {
        // A store left at schema version k, holding the case.
        let (url, pg) = database(backend, dir.path(), &format!("m{k}")).await;
        let old_url = if backend == "sqlite" {
            format!("{url}?mode=rwc")
        } else {
            url.clone()
        };
        let old = sqlx::AnyPool::connect(&old_url).await.expect("old pool");
        let mut prefix = sqlx::migrate::Migrator::new(migrations.as_path())
            .await
            .expect("migrations");
        prefix.migrations = all.migrations[..k].to_vec().into();
        prefix.run(&old).await.expect("earlier schema");
        for (table, cols) in CASE_TABLES {
            assert!(
                copy_rows(&from, &old, table, cols).await > 0,
                "{backend} at {k}: {table}"
            );
        }
        old.close().await;
        // Today's engine opens it (migrating the rest of the way) and carries on with the case.
        let e = engine(&url, "a", clock.clone()).await;
        let after = e.case(&id).await.expect("read").expect("the case survives");
        assert_eq!(after, before, "{backend} from schema {k}");
        assert_eq!(
            e.history(&id).await.expect("history").len(),
            history,
            "{backend} from {k}"
        );
        let verified = e.store().audit_verify().await.expect("verify");
        assert!(
            verified.broken.is_empty() && verified.cases == 1 && verified.events == history as u64,
            "{backend} from {k}: {verified:?}"
        );
        // The list's scope columns are backfilled from the copied tasks (by migration 0018; a
        // store already past it had them filled by its writer, and the copy here carries only
        // the columns every schema has).
        if k < SCOPE_MIGRATION {
            check_scope(&e, &id, &before, backend, k).await;
        }
        let moved = e
            .command(
                &id,
                Command::Act {
                    action: "settle".into(),
                    fields: fields(json!({"agreement": "分期支付"})),
                    comment: Some("理由".into()),
                    expected_version: Some(before.version),
                    assign_to: None,
                },
                user(&e, "mediator_zhao"),
                None,
            )
            .await
            .expect("acts on the migrated store");
        assert!(moved.case.is_closed(), "{backend} from {k}");
        let timers = e.store().timer_counts().await.expect("timers");
        assert!(
            timers.iter().any(|(state, n)| state == "cancelled" && *n >= 1),
            "{backend} from {k}: the copied mediation timer was cancelled by the close: {timers:?}"
        );
        e.shutdown().await;
        if let Some(pg) = pg {
            pg.drop_db().await;
        }
    }
    from.close().await;
    if let Some(pg) = source_pg {
        pg.drop_db().await;
    }
}
