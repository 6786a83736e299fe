//! The database's disk fills up under load, then space returns: on SQLite (the database file on
//! a small tmpfs) and on PostgreSQL (a private cluster whose data directory is on a small tmpfs,
//! its write-ahead log elsewhere). Clients stream case openings with idempotency keys. While the
//! disk is full every opening is refused with 503 `store_full` and nothing is written; reads
//! go on; the server stays up. When the tmpfs grows again the same requests succeed, every
//! acknowledged request is one case, and the histories verify.
//!
//! Mounting a tmpfs needs root with the right to mount (the test command runs so on the CI
//! machine); elsewhere the tests say so and check nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::pg_private::{Cluster, give_to_postgres, root};
use crate::support::{Openers, Server, Tally};

/// A tmpfs mounted for the test; unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `bytes` at `dir`, or says why it cannot (not root).
    fn mount(dir: &Path, bytes: u64) -> Option<Tmpfs> {
        if !root() {
            eprintln!("not root: a tmpfs cannot be mounted, so the disk-full test checks nothing here");
            return None;
        }
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount runs");
        let why = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && (why.contains("ermission denied") || why.contains("not permitted")) {
            // Root without the right to mount (a container without CAP_SYS_ADMIN).
            eprintln!("this machine does not let root mount a tmpfs ({why}): the disk-full test checks nothing here");
            return None;
        }
        assert!(out.status.success(), "mount a tmpfs: {why}");
        Some(Tmpfs(dir.to_owned()))
    }

    /// Bytes in use.
    fn used(&self) -> u64 {
        let out = Command::new("df")
            .args(["-B1", "--output=used"])
            .arg(&self.0)
            .output()
            .expect("df runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .expect("df's figure")
    }

    /// Grows or shrinks it (never below what is in use).
    fn resize(&self, bytes: u64) {
        // mount(8) looks the mount point up in the mount table; while another test mounts or
        // lazily unmounts its own tmpfs the read can miss this one ("not mounted"): ask again.
        let mut why = String::new();
        for _ in 0..10 {
            let out = Command::new("mount")
                .args(["-o", &format!("remount,size={bytes}")])
                .arg(&self.0)
                .output()
                .expect("mount runs");
            if out.status.success() {
                return;
            }
            why = String::from_utf8_lossy(&out.stderr).into_owned();
            if !why.contains("not mounted") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("resize the tmpfs: {why}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Every acknowledged request is in the store, and the store holds one case per acknowledged
/// request and no more (a refused or repeated request wrote nothing); the histories verify.
pub fn everything_acknowledged_once(server: &Server, db: &str, tally: &Tally) {
    let admin = server.client("admin_qin");
    for (marker, id) in &tally.acked {
        let r = admin.get(&format!("/api/v1/cases/{id}"));
        assert_eq!(r.status, 200, "{marker} was acknowledged as {id}: {}", r.body);
    }
    let started = Instant::now();
    let cases = loop {
        let out = crate::run(&["audit", "verify", "--db", db, "--json"]);
        if out.status.success() || started.elapsed() > Duration::from_secs(20) {
            assert!(out.status.success(), "{}", crate::stdout(&out));
            break serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["cases"]
                .as_u64()
                .expect("count");
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        cases,
        tally.acked.len() as u64,
        "one case per acknowledged request, none more"
    );
}

/// Fills the disk under `openers` until refusals come, checks them and that reads go on, then
/// gives the space back and checks that the work resumes.
fn fill_then_free(server: &Server, disk: &Tmpfs, openers: Openers, roomy: u64) -> Tally {
    let started = Instant::now();
    let full_at = loop {
        let t = openers.tally();
        if t.refused.iter().any(|(_, c)| c == "store_full") {
            break t.acked.len();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the disk never filled: {} acknowledged, {} MB in use, refusals {:?}",
            t.acked.len(),
            disk.used() >> 20,
            &t.refused[..t.refused.len().min(5)]
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Full for a while: refusals only, the server answers reads and stays up.
    std::thread::sleep(Duration::from_secs(3));
    let during = openers.tally();
    let admin = server.client("admin_qin");
    let some = during.acked.values().next().expect("an acknowledged case");
    assert_eq!(admin.get(&format!("/api/v1/cases/{some}")).status, 200, "reads go on");
    assert_eq!(admin.get("/healthz").status, 200);
    disk.resize(roomy);
    let resumed = Instant::now();
    while openers.tally().acked.len() < during.acked.len() + 20 {
        assert!(
            resumed.elapsed() < Duration::from_secs(60),
            "work did not resume when space returned: {} acknowledged since",
            openers.tally().acked.len() - during.acked.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let tally = openers.finish();
    let full = tally.refused.iter().filter(|(_, c)| c == "store_full").count();
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for (_, c) in &tally.refused {
        *codes.entry(c.as_str()).or_default() += 1;
    }
    eprintln!(
        "acknowledged {} ({full_at} before the disk filled), refused {} times ({full} store_full): {codes:?}",
        tally.acked.len(),
        tally.refused.len()
    );
    // Each refusal says what is wrong. (A connection left inside a failed commit used to
    // refuse later requests with `store_unavailable` until the server restarted.)
    for (status, code) in &tally.refused {
        assert!(
            *status == 503 && code == "store_full",
            "a refusal while the disk was full: {status} {code}"
        );
    }
    tally
}

#[test]
fn a_full_disk_under_sqlite_refuses_commands_clearly_and_work_resumes_when_space_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), 256 << 20) else {
        return;
    };
    let db = format!("sqlite://{}", disk.0.join("yimen.db").display());
    let server = Server::start(&db, &[]);
    // Tokens are written to the database, so the reader's is made while there is room.
    server.token("admin_qin");
    let openers = Openers::start(&server.addr, &server.token("clerk_wang"), 3, 2000);
    // Let some work land, then leave it a little room.
    while openers.tally().acked.len() < 30 {
        std::thread::sleep(Duration::from_millis(50));
    }
    disk.resize(disk.used() + (1 << 20));
    let tally = fill_then_free(&server, &disk, openers, 256 << 20);
    everything_acknowledged_once(&server, &db, &tally);
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success(), "the server stops cleanly after the disk was full");
}

#[test]
fn a_full_disk_under_postgresql_refuses_commands_clearly_and_work_resumes_when_space_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), 256 << 20) else {
        return;
    };
    let wal = dir.path().join("wal");
    give_to_postgres(dir.path());
    let cluster = Cluster::start(&disk.0.join("data"), Some(&wal), dir.path());
    let server = Server::start(&cluster.url, &[]);
    // Tokens are written to the database, so the reader's is made while there is room.
    server.token("admin_qin");
    let openers = Openers::start(&server.addr, &server.token("clerk_wang"), 3, 2000);
    while openers.tally().acked.len() < 30 {
        std::thread::sleep(Duration::from_millis(50));
    }
    disk.resize(disk.used() + (2 << 20));
    let tally = fill_then_free(&server, &disk, openers, 256 << 20);
    everything_acknowledged_once(&server, &cluster.url, &tally);
    assert!(
        cluster.log().contains("No space left on device"),
        "the database itself ran out of space"
    );
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success(), "the server stops cleanly after the disk was full");
    drop(cluster);
}
