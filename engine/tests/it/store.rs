//! The store on both backends: the same behaviour on SQLite and PostgreSQL.
//!
//! PostgreSQL comes from `YIMEN_TEST_DATABASE_URL` (default: the local server at
//! `postgres://postgres@127.0.0.1:5432/test`); each test makes its own database and drops it.
//! `scripts/test.sh` starts the server when it is installed but stopped.

use crate::common;

use common::{PgScratch, per_backend};
use yimen_engine::store::{Store, StoreOptions};

/// The behaviour every backend must show.
async fn deploy_conformance(url: &str) {
    let store = Store::open(&StoreOptions::new(url)).await.expect("open");
    let v1 = store
        .deploy("labour_dispute", "id: labour_dispute\n", 1_000)
        .await
        .expect("deploy");
    assert_eq!((v1.version, v1.created), (1, true));
    let again = store
        .deploy("labour_dispute", "id: labour_dispute\n", 2_000)
        .await
        .expect("deploy");
    assert_eq!(
        (again.version, again.created),
        (1, false),
        "unchanged text keeps its version"
    );
    let v2 = store
        .deploy("labour_dispute", "id: labour_dispute\n# changed\n", 3_000)
        .await
        .expect("deploy");
    assert_eq!((v2.version, v2.created), (2, true));
    let back = store
        .deploy("labour_dispute", "id: labour_dispute\n", 4_000)
        .await
        .expect("deploy");
    assert_eq!(
        (back.version, back.created),
        (1, false),
        "reverting finds the old version"
    );
    let other = store
        .deploy("medical_dispute", "id: medical_dispute\n", 5_000)
        .await
        .expect("deploy");
    assert_eq!(
        (other.version, other.created),
        (1, true),
        "versions count per case type"
    );
    store.close().await;

    // Opening again runs no migration twice and keeps the data.
    let store = Store::open(&StoreOptions::new(url)).await.expect("reopen");
    let v2 = store
        .deploy("labour_dispute", "id: labour_dispute\n# changed\n", 6_000)
        .await
        .expect("deploy");
    assert_eq!((v2.version, v2.created), (2, false));
    store.close().await;
}

#[tokio::test]
async fn sqlite_conformance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("y.db").display());
    deploy_conformance(&url).await;
    assert!(dir.path().join("y.db").exists());
}

#[tokio::test]
async fn postgres_conformance() {
    let pg = PgScratch::new("conf").await;
    deploy_conformance(&pg.url).await;
    pg.drop_db().await;
}

per_backend!(concurrent_deploys_agree_on_one_version);
async fn concurrent_deploys_agree_on_one_version(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = if backend == "postgres" {
        Some(PgScratch::new("race").await)
    } else {
        None
    };
    let url = match &pg {
        Some(p) => p.url.clone(),
        None => format!("sqlite://{}", dir.path().join("y.db").display()),
    };
    let store = Store::open(&StoreOptions::new(&url)).await.expect("open");
    let mut handles = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        handles.push(tokio::spawn(async move { s.deploy("t", "same text", i).await }));
    }
    let mut created = 0;
    for h in handles {
        let d = h.await.expect("join").expect("deploy");
        assert_eq!(d.version, 1, "{backend}");
        created += usize::from(d.created);
    }
    assert_eq!(created, 1, "{backend}: exactly one deploy creates the version");
    store.close().await;
    if let Some(p) = pg {
        p.drop_db().await;
    }
}

#[tokio::test]
async fn an_unknown_url_is_a_clear_error() {
    let err = Store::open(&StoreOptions::new("mysql://localhost/x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
}
