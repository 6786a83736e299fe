//! Three `yimen serve` nodes on one PostgreSQL, behind no router: clients send a stream of
//! commands to any node; one node is killed with SIGKILL mid-stream and started again; another
//! is stopped (SIGSTOP) for longer than its leases and resumed. Every case has a one-minute SLA,
//! so each breaches on some node and fires the ladder's first rung, whose emails go to a real
//! SMTP server. The test reports and requires: commands acknowledged (all there), lost 0, applied
//! twice 0, timers and rungs fired twice 0, emails sent twice for one delivery 0.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::smtp::{read_maildir, start_smtp};
use crate::support::{Client, Server};

/// A case type whose SLA runs out a minute after opening, on the standard ladder.
const PROBE: &str = r#"
id: cluster_probe
name: { zh-CN: 集群探针, en: Cluster probe }
kind: ordinary
department: hotline_12345
channels: [hotline_12345]
fields:
  caller: { type: person, label: 来电人, required: true }
states:
  received: { name: 待受理, initial: true }
  accepted: { name: 已受理 }
  closed: { name: 已办结, terminal: resolved }
actions:
  accept: { name: 受理, from: received, to: accepted, allowed: { roles: [intake_clerk] } }
  close: { name: 办结, from: accepted, to: closed, allowed: { roles: [intake_clerk] } }
sla:
  budget: 1 minutes
  ladder: standard
  source: 集群测试用探针（非法定时限）
"#;

pub(crate) fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-qtAX", "-c", sql])
        .output()
        .expect("psql runs (scripts/test.sh installs the PostgreSQL client)");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) fn count(url: &str, sql: &str) -> u64 {
    psql(url, sql).parse().unwrap_or_else(|_| panic!("a number from {sql}"))
}

/// A fresh database on the test PostgreSQL server: (the server's test database URL, the new
/// database's URL).
pub(crate) fn scratch_database(what: &str) -> (String, String) {
    let base =
        std::env::var("YIMEN_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("yimen_{what}_{}", std::process::id());
    psql(&base, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&base, &format!("CREATE DATABASE {name}"));
    let url = format!("{}/{name}", base.rsplit_once('/').expect("a database in the URL").0);
    (base, url)
}

/// Drops a database made by [`scratch_database`].
pub(crate) fn drop_database(base: &str, url: &str) {
    let name = url.rsplit('/').next().expect("a database in the URL");
    psql(base, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

#[test]
fn three_nodes_on_one_postgresql_lose_nothing_and_apply_nothing_twice() {
    let (base, url) = scratch_database("cluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let wf = dir.path().join("workflows");
    yimen_tests::copy_dir(&yimen_tests::workflows(), &wf);
    std::fs::write(wf.join("cases/cluster_probe.yaml"), PROBE).expect("write");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none&from=yimen@centre.example", smtp.port);
    let wf_s = wf.display().to_string();
    let args = [
        "serve",
        "--db",
        url.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--workflows",
        wf_s.as_str(),
        "--smtp",
        smtp_url.as_str(),
    ];
    let env = [
        ("YIMEN_TIMER_LEASE_MS", "1500"),
        // Longer than any one send takes on a loaded machine, shorter than the test's patience.
        ("YIMEN_NOTIFY_LEASE_MS", "4000"),
        ("YIMEN_NOTIFY_BACKOFF_MS", "300"),
        ("YIMEN_SMS_QUIET_HOURS", "off"),
    ];
    let start = || Server::start_with_env(&args, &env);
    let nodes: Vec<Server> = (0..3).map(|_| start()).collect();
    let token = nodes[0].token("clerk_wang");
    let addrs: Arc<Mutex<Vec<Option<String>>>> =
        Arc::new(Mutex::new(nodes.iter().map(|n| Some(n.addr.clone())).collect()));

    // The stream: four clients, each opening a case and accepting it, on any live node, with an
    // idempotency key per command; a command that got no answer is retried on another node with
    // the same key. What each client saw acknowledged is kept.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stop, acked, sent, addrs, token) =
            (stop.clone(), acked.clone(), sent.clone(), addrs.clone(), token.clone());
        clients.push(std::thread::spawn(move || {
            let mut turn = c;
            let mut send = |path: &str, body: &serde_json::Value, key: &str| -> Option<serde_json::Value> {
                for _ in 0..30 {
                    turn += 1;
                    let live: Vec<String> = addrs.lock().expect("lock").iter().flatten().cloned().collect();
                    let addr = live[turn % live.len()].clone();
                    let client = Client {
                        addr,
                        token: Some(token.clone()),
                    };
                    let b = body.to_string();
                    match client.send(
                        "POST",
                        path,
                        Some(b.as_bytes()),
                        &[("Content-Type", "application/json"), ("Idempotency-Key", key)],
                    ) {
                        Ok(r) if r.status == 200 || r.status == 201 => return Some(r.json()),
                        Ok(r) if r.status >= 500 => std::thread::sleep(Duration::from_millis(100)),
                        Ok(r) => panic!("{path}: {} {}", r.status, r.body),
                        Err(_) => std::thread::sleep(Duration::from_millis(100)),
                    }
                }
                None
            };
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let marker = format!("c{c}-{n}");
                sent.fetch_add(1, Ordering::Relaxed);
                let body =
                    json!({"case_type": "cluster_probe", "channel": "hotline_12345", "fields": {"caller": marker}});
                let Some(case) = send("/api/v1/cases", &body, &format!("open-{marker}")) else {
                    continue;
                };
                let id = case["id"].as_str().expect("id").to_owned();
                acked.lock().expect("lock").insert(marker.clone(), id.clone());
                sent.fetch_add(1, Ordering::Relaxed);
                let _ = send(
                    &format!("/api/v1/cases/{id}/actions/accept"),
                    &json!({}),
                    &format!("accept-{marker}"),
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }));
    }
    let mut nodes: Vec<Option<Server>> = nodes.into_iter().map(Some).collect();
    // Kill node 1 with SIGKILL mid-stream; stop node 2 past its leases and resume it; start a
    // new node 1 on the same database.
    std::thread::sleep(Duration::from_secs(5));
    addrs.lock().expect("lock")[1] = None;
    if let Some(n) = nodes[1].take() {
        n.signal("-KILL");
        let _ = n.wait();
    }
    std::thread::sleep(Duration::from_secs(3));
    let paused = nodes[2].as_ref().expect("node 2");
    addrs.lock().expect("lock")[2] = None;
    paused.signal("-STOP");
    std::thread::sleep(Duration::from_secs(5));
    paused.signal("-CONT");
    addrs.lock().expect("lock")[2] = Some(paused.addr.clone());
    let fresh = start();
    addrs.lock().expect("lock")[1] = Some(fresh.addr.clone());
    nodes[1] = Some(fresh);
    std::thread::sleep(Duration::from_secs(7));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 50, "the stream got {} acknowledgements", acked.len());

    // Every case breaches one minute after it opened; wait for the last rung and its emails.
    let deadline = Instant::now() + Duration::from_secs(150);
    let open_cases = acked.len() as u64;
    loop {
        let fired = count(&url, "SELECT COUNT(*) FROM rung_firings");
        let pending = count(
            &url,
            "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND state IN ('pending', 'retrying')",
        ) + count(
            &url,
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND template = 'supervision_l1'",
        );
        if fired >= open_cases && pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 150 s: {fired} of {open_cases} rungs fired, {pending} notifications pending"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    // Before counting what was done twice, every live node's timer loop and dispatcher make two
    // more passes: anything still due would have been done by then.
    for n in nodes.iter().flatten() {
        n.wait_passes("yimen_timer_passes_total", 2);
        n.wait_passes("yimen_dispatch_rounds_total", 2);
    }

    // Lost: acknowledged cases that are not in the store.
    let stored: BTreeSet<String> = psql(&url, "SELECT id FROM cases WHERE case_type = 'cluster_probe'")
        .lines()
        .map(str::to_owned)
        .collect();
    let lost = acked.values().filter(|id| !stored.contains(*id)).count();
    // Applied twice: one request (its marker) that became two cases, or an action taken twice.
    let twice_opened = count(
        &url,
        "SELECT COUNT(*) FROM (SELECT data::json->'fields'->>'caller' AS m FROM cases WHERE case_type = 'cluster_probe' GROUP BY 1 HAVING COUNT(*) > 1) d",
    );
    let twice_accepted = count(
        &url,
        "SELECT COUNT(*) FROM (SELECT case_id FROM case_events WHERE kind = 'action_taken' GROUP BY case_id HAVING COUNT(*) > 1) d",
    );
    // Timers and rungs fired twice.
    let twice_breached = count(
        &url,
        "SELECT COUNT(*) FROM (SELECT case_id FROM case_events WHERE kind = 'sla_breached' GROUP BY case_id HAVING COUNT(*) > 1) d",
    );
    let twice_rung = count(
        &url,
        "SELECT COUNT(*) FROM (SELECT case_id, payload::json->>'rung' FROM case_events WHERE kind = 'rung_fired' GROUP BY 1, 2 HAVING COUNT(*) > 1) d",
    );
    let breached = count(
        &url,
        "SELECT COUNT(DISTINCT case_id) FROM case_events WHERE kind = 'sla_breached'",
    );
    // Emails: one Message-ID per delivery, none twice.
    let mails = read_maildir(&maildir);
    let ids: Vec<String> = mails
        .iter()
        .filter_map(|m| m["message_id"].as_str().map(str::to_owned))
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    let sent_twice = ids.len() - unique.len();
    let email_deliveries = count(
        &url,
        "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND state = 'delivered'",
    );
    let sent = sent.load(Ordering::Relaxed);
    println!(
        "commands sent {sent}, cases acknowledged {}, lost {lost}, opened twice {twice_opened}, accepted twice {twice_accepted}, \
         breached {breached}, timers fired twice {twice_breached}, rungs fired twice {twice_rung}, emails {} ({} deliveries), sent twice {sent_twice}",
        acked.len(),
        ids.len(),
        email_deliveries
    );
    // Case numbers: every case has one, none twice, and each year's run is 1, 2, 3, … with no
    // gap, although three nodes opened cases at once and one was killed mid-stream.
    let numbers = psql(&url, "SELECT COALESCE(number, '-') FROM cases");
    let mut runs: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for n in numbers.lines() {
        let rest = n
            .strip_prefix("普治〔")
            .unwrap_or_else(|| panic!("`{n}` is not a case number"));
        let (year, rest) = rest.split_once('〕').unwrap_or_else(|| panic!("`{n}` has no year"));
        let seq = rest
            .strip_suffix('号')
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("`{n}` has no running number"));
        runs.entry(year.to_owned()).or_default().push(seq);
    }
    let numbered: usize = runs.values().map(Vec::len).sum();
    for (year, seqs) in &mut runs {
        seqs.sort_unstable();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(
            *seqs,
            expected,
            "the case numbers of {year} are not 1..{} without gaps or repeats",
            seqs.len()
        );
    }
    println!("case numbers: {numbered} cases numbered, each year's run gap-free");
    assert_eq!(lost, 0, "acknowledged cases lost");
    assert_eq!((twice_opened, twice_accepted), (0, 0), "commands applied twice");
    assert_eq!((twice_breached, twice_rung), (0, 0), "timers or rungs fired twice");
    assert_eq!(breached, stored.len() as u64, "every case breached once");
    assert_eq!(sent_twice, 0, "an email sent twice for one delivery");
    assert_eq!(ids.len() as u64, email_deliveries, "every delivered email arrived");
    assert!(
        email_deliveries >= stored.len() as u64,
        "each rung emailed its supervisors"
    );
    for n in nodes.into_iter().flatten() {
        n.signal("-TERM");
        let _ = n.wait();
    }
    drop(smtp);
    drop_database(&base, &url);
}
