//! PostgreSQL restarted under load: a private PostgreSQL cluster of the test's own (so the shared
//! one other tests use is never touched), a server on it, clients streaming commands with
//! idempotency keys; the database restarts in the middle. The server reconnects by itself, every
//! acknowledged command is in the store once, and the histories verify.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Client, Server};

/// The newest PostgreSQL server binaries installed.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/test.sh installs it)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb")
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn as_postgres(tool: &Path, args: &[&str]) -> std::process::Output {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    cmd.args(args).output().expect("run a PostgreSQL tool")
}

struct Cluster {
    bin: PathBuf,
    data: String,
}

impl Cluster {
    fn ctl(&self, args: &[&str]) {
        let mut all = vec!["-D", self.data.as_str()];
        all.extend_from_slice(args);
        let out = as_postgres(&self.bin.join("pg_ctl"), &all);
        assert!(
            out.status.success(),
            "pg_ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"), &["-D", &self.data, "-m", "immediate", "stop"]);
    }
}

#[test]
fn a_postgresql_restart_under_load_loses_nothing_acknowledged_and_the_server_reconnects() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The cluster's files belong to `postgres` when we are root.
    let _ = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir.path())
        .status();
    let bin = pg_bin();
    let data = dir.path().join("data").display().to_string();
    let out = as_postgres(
        &bin.join("initdb"),
        &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
    );
    assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", dir.path().display());
    let log = dir.path().join("pg.log").display().to_string();
    let cluster = Cluster { bin, data };
    cluster.ctl(&["-o", &opts, "-l", &log, "-w", "start"]);
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let server = Server::start(&url, &[]);
    let token = server.token("clerk_wang");
    let addr = server.addr.clone();

    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut clients = Vec::new();
    for c in 0..3 {
        let (stop, acked, token, addr) = (stop.clone(), acked.clone(), token.clone(), addr.clone());
        clients.push(std::thread::spawn(move || {
            let client = Client { addr, token: Some(token) };
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let marker = format!("r{c}-{n}");
                let body = json!({"channel": "hotline_12345", "fields": {"caller": marker, "caller_phone": "13800138000", "category": "request", "content": "路灯"}}).to_string();
                let key = format!("open-{marker}");
                // Retry the same request (same key) until it is answered: while the database
                // restarts the answer is a 503 and nothing is written.
                for _ in 0..100 {
                    match client.send("POST", "/api/v1/cases", Some(body.as_bytes()), &[("Content-Type", "application/json"), ("Idempotency-Key", &key)]) {
                        Ok(r) if r.status == 201 || r.status == 200 => {
                            let id = r.json()["id"].as_str().expect("id").to_owned();
                            acked.lock().expect("lock").insert(marker.clone(), id);
                            break;
                        }
                        Ok(r) => assert!(r.status == 503, "{}: {}", r.status, r.body),
                        Err(_) => {}
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(3));
    let before = acked.lock().expect("lock").len();
    cluster.ctl(&["-m", "fast", "-w", "restart", "-o", &opts, "-l", &log]);
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        before > 5 && acked.len() > before,
        "work went on after the restart: {before} then {}",
        acked.len()
    );
    // Every acknowledged case is there, each request made exactly one case.
    let admin = server.client("admin_qin");
    for (marker, id) in &acked {
        let r = admin.get(&format!("/api/v1/cases/{id}"));
        assert_eq!(r.status, 200, "{marker} was acknowledged as {id}: {}", r.body);
    }
    let started = Instant::now();
    let cases = loop {
        let out = crate::run(&["audit", "verify", "--db", &url, "--json"]);
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
        acked.len() as u64,
        "one case per acknowledged request, none more"
    );
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());
    drop(cluster);
}
