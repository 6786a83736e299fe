//! Backups are part of the product: `yimen backup` copies a live SQLite store while clients
//! stream commands at `serve`; `yimen restore` puts the copy on a fresh path (and refuses to
//! replace the store the server has open). The restored store verifies, and every command
//! acknowledged before the backup began is in it.

use std::time::{Duration, Instant};

use yimen_engine::store::{Store, StoreOptions};

use crate::support::{Openers, Server};
use crate::{run, stdout};

#[test]
fn a_backup_taken_under_load_restores_with_everything_acknowledged_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live_path = dir.path().join("live.db");
    let live = format!("sqlite://{}", live_path.display());
    let server = Server::start(&live, &[]);
    let openers = Openers::start(&server.addr, &server.token("clerk_wang"), 3, 0);

    let until = Instant::now() + Duration::from_secs(60);
    while openers.tally().acked.len() < 40 {
        assert!(Instant::now() < until, "the clients got no answers");
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = openers.tally().acked;
    let file = dir.path().join("copy.db");
    let out = run(&["backup", "--db", &live, "--to", file.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("backup written"), "{}", stdout(&out));
    // Load goes on after the backup; then the clients stop.
    std::thread::sleep(Duration::from_millis(500));
    let after = openers.finish();
    assert!(
        after.acked.len() > before.len(),
        "the server kept serving during the backup"
    );

    // A backup never overwrites, and never replaces the store in use.
    let again = run(&["backup", "--db", &live, "--to", file.to_str().expect("path")]);
    assert!(!again.status.success());
    let over_live = run(&[
        "restore",
        "--from",
        file.to_str().expect("path"),
        "--db",
        &live,
        "--force",
    ]);
    assert!(!over_live.status.success(), "restored over a store in use");
    assert!(
        String::from_utf8_lossy(&over_live.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&over_live.stderr)
    );
    let not_a_backup = dir.path().join("not-a-backup.db");
    std::fs::write(&not_a_backup, b"this is not a database").expect("write");
    let fresh = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let bad = run(&[
        "restore",
        "--from",
        not_a_backup.to_str().expect("path"),
        "--db",
        &fresh,
    ]);
    assert!(!bad.status.success(), "a file that is no store is refused");
    assert!(!dir.path().join("fresh.db").exists(), "and nothing is written");

    let out = run(&["restore", "--from", file.to_str().expect("path"), "--db", &fresh]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["audit", "verify", "--db", &fresh]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("intact"), "{}", stdout(&out));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = Store::open(&StoreOptions::new(&fresh))
            .await
            .expect("open the restored store");
        for (marker, id) in &before {
            let case = store.case(id).await.expect("read");
            assert!(
                case.is_some(),
                "{marker} ({id}) was acknowledged before the backup and is missing"
            );
        }
        store.close().await;
    });
    drop(server);
}
