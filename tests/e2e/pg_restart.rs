//! PostgreSQL restarted under load: a private PostgreSQL cluster of the test's own (so the shared
//! one other tests use is never touched), a server on it, clients streaming commands with
//! idempotency keys; the database restarts in the middle. The server reconnects by itself, every
//! acknowledged command is in the store once, and the histories verify.

use std::time::Duration;

use crate::pg_private::{Cluster, give_to_postgres};
use crate::support::{Openers, Server};

#[test]
fn a_postgresql_restart_under_load_loses_nothing_acknowledged_and_the_server_reconnects() {
    let dir = tempfile::tempdir().expect("tempdir");
    give_to_postgres(dir.path());
    let cluster = Cluster::start(&dir.path().join("data"), None, dir.path());
    let server = Server::start(&cluster.url, &[]);
    let openers = Openers::start(&server.addr, &server.token("clerk_wang"), 3, 0);
    std::thread::sleep(Duration::from_secs(3));
    let before = openers.tally().acked.len();
    cluster.restart();
    std::thread::sleep(Duration::from_secs(5));
    let tally = openers.finish();
    assert!(
        before > 5 && tally.acked.len() > before,
        "work went on after the restart: {before} then {}",
        tally.acked.len()
    );
    // While the database restarted the answer was a 503, and nothing was written.
    for (status, code) in &tally.refused {
        assert_eq!(*status, 503, "refused with {status} {code}");
    }
    crate::disk_full::everything_acknowledged_once(&server, &cluster.url, &tally);
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());
    drop(cluster);
}
