//! Promise 1: a command acknowledged to the caller survives `kill -9`.
//!
//! Clients stream case openings (each with its own idempotency key) at a server that is killed
//! with SIGKILL at random moments and restarted, `YIMEN_CRASH_CYCLES` times (20 by default; set
//! 500 for the long mode). Afterwards every acknowledged opening must be there exactly once —
//! repeating its key returns the same case — and every history must verify, so nothing was
//! half-applied. The same for files (附件): every file acknowledged on an acknowledged case comes
//! back byte for byte after the kills.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Server;
use crate::{run, stdout};

fn jitter(max_ms: u64) -> u64 {
    RandomState::new().hash_one(std::time::SystemTime::now()) % max_ms
}

fn body(i: u64) -> Value {
    json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "市民", "caller_phone": "13800138000", "category": "request", "content": format!("请求 {i}")}
    })
}

#[test]
fn acknowledged_commands_survive_kill_9() {
    let cycles: u64 = std::env::var("YIMEN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let acked: Arc<Mutex<BTreeMap<u64, String>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let next = Arc::new(AtomicU64::new(0));
    let mut total_sent = 0;
    for cycle in 0..cycles {
        let server = Server::start(&db, &[]);
        let addr = server.addr.clone();
        let token = server.token("clerk_wang");
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..4 {
            let (acked, next, stop, addr, token) =
                (acked.clone(), next.clone(), stop.clone(), addr.clone(), token.clone());
            clients.push(std::thread::spawn(move || {
                let c = crate::support::Client {
                    addr,
                    token: Some(token),
                };
                let mut sent = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    sent += 1;
                    match c.post_keyed("/api/v1/cases", &body(i), &format!("crash-{i}")) {
                        Ok(r) if r.status == 201 => {
                            let id = r.json()["id"].as_str().expect("id").to_owned();
                            acked.lock().expect("lock").insert(i, id);
                        }
                        Ok(r) => panic!("unexpected answer {}: {}", r.status, r.body),
                        // The server died mid-request: not acknowledged.
                        Err(_) => break,
                    }
                }
                sent
            }));
        }
        std::thread::sleep(Duration::from_millis(50 + jitter(250)));
        server.signal("-KILL");
        let (status, _) = server.wait();
        assert!(!status.success(), "cycle {cycle}: the server was killed");
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            total_sent += c.join().expect("client");
        }
    }

    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() as u64 >= cycles,
        "too few acknowledged commands to prove anything: {}",
        acked.len()
    );
    // Every acknowledged opening is there exactly once: its key replays the same case.
    let server = Server::start(&db, &[]);
    let c = server.client("clerk_wang");
    for (i, id) in &acked {
        let r = c
            .post_keyed("/api/v1/cases", &body(*i), &format!("crash-{i}"))
            .expect("request");
        assert_eq!(
            r.status, 200,
            "key crash-{i} was acknowledged but is not recorded: {}",
            r.body
        );
        assert_eq!(
            r.json()["id"].as_str(),
            Some(id.as_str()),
            "key crash-{i} maps to another case"
        );
        let case = c.get(&format!("/api/v1/cases/{id}")).json();
        let opened = case["history"]
            .as_array()
            .map(|h| h.iter().filter(|e| e["kind"] == "opened").count());
        assert_eq!(opened, Some(1), "{case}");
    }
    server.signal("-TERM");
    assert!(server.wait().0.success());
    // No half-applied command: every case's row and history agree.
    let out = run(&["audit", "verify", "--db", &db, "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let cases = report["cases"].as_u64().expect("cases");
    assert!(
        cases >= acked.len() as u64 && cases <= total_sent,
        "{cases} cases, {} acknowledged, {total_sent} sent",
        acked.len()
    );
    eprintln!(
        "crash test: {cycles} kill -9 cycles, {total_sent} sent, {} acknowledged, {cases} stored, 0 lost",
        acked.len()
    );
}

/// A PDF of two chunks and more, its text unique to `i`.
fn appraisal(i: u64) -> String {
    let mut s = format!("%PDF-1.4\n% 鉴定意见 {i}\n");
    while s.len() < 300 * 1024 {
        s.push_str(&format!("% line of appraisal {i}\n"));
    }
    s.push_str("%%EOF\n");
    s
}

fn multipart(name: &str, content: &str) -> Vec<u8> {
    let mut out = format!(
        "--crash-b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    out.extend(content.as_bytes());
    out.extend(b"\r\n--crash-b--\r\n");
    out
}

#[test]
fn acknowledged_files_survive_kill_9() {
    let cycles: u64 = std::env::var("YIMEN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(8, |n| n.div_ceil(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("files.db").display());
    // i → (case id, file id)
    let acked: Arc<Mutex<BTreeMap<u64, (String, String)>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let next = Arc::new(AtomicU64::new(0));
    for cycle in 0..cycles {
        let server = Server::start(&db, &[]);
        let (addr, token) = (server.addr.clone(), server.token("mediator_zhao"));
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for _ in 0..3 {
            let (acked, next, stop, addr, token) =
                (acked.clone(), next.clone(), stop.clone(), addr.clone(), token.clone());
            clients.push(std::thread::spawn(move || {
                let c = crate::support::Client {
                    addr,
                    token: Some(token),
                };
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let up = c.send(
                        "POST",
                        "/api/v1/attachments?case_type=medical_dispute&field=appraisal_report",
                        Some(&multipart(&format!("鉴定{i}.pdf"), &appraisal(i))),
                        &[("Content-Type", "multipart/form-data; boundary=crash-b")],
                    );
                    let file = match up {
                        Ok(r) if r.status == 201 => r.json()["files"][0]["id"].as_str().expect("id").to_owned(),
                        Ok(r) => panic!("unexpected answer to an upload {}: {}", r.status, r.body),
                        Err(_) => break,
                    };
                    let body = json!({"case_type": "medical_dispute", "channel": "window_medical", "fields": {
                        "patient": "林某", "patient_phone": "13700137000", "hospital": "普陀区人民医院",
                        "facts": format!("术后感染 {i}"), "appraisal_report": [file]}});
                    match c.post_keyed("/api/v1/cases", &body, &format!("files-{i}")) {
                        Ok(r) if r.status == 201 => {
                            let id = r.json()["id"].as_str().expect("id").to_owned();
                            acked.lock().expect("lock").insert(i, (id, file));
                        }
                        Ok(r) => panic!("unexpected answer {}: {}", r.status, r.body),
                        Err(_) => break,
                    }
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(400 + jitter(800)));
        server.signal("-KILL");
        let (status, _) = server.wait();
        assert!(!status.success(), "cycle {cycle}: the server was killed");
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().expect("client");
        }
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(!acked.is_empty(), "no file was acknowledged: nothing proved");
    let server = Server::start(&db, &[]);
    let c = server.client("mediator_zhao");
    for (i, (id, file)) in &acked {
        let case = c.get(&format!("/api/v1/cases/{id}")).json();
        assert_eq!(
            case["fields"]["appraisal_report"],
            json!([file]),
            "case of file {i}: {case}"
        );
        let down = c.get(&format!("/api/v1/cases/{id}/attachments/{file}"));
        assert_eq!(down.status, 200, "file {i}: {}", down.body);
        assert!(
            down.body == appraisal(*i),
            "file {i} does not come back whole after the kills"
        );
    }
    server.signal("-TERM");
    assert!(server.wait().0.success());
    let out = run(&["audit", "verify", "--db", &db, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    eprintln!(
        "crash test (files): {cycles} kill -9 cycles, {} files acknowledged on their cases, 0 lost",
        acked.len()
    );
}
