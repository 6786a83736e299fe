//! SMS through a real gateway: Kannel's bearerbox and smsbox with the fake SMSC on loopback
//! (Debian's `kannel` and `kannel-extras`, installed by the test script). The citizen's receipt
//! and a supervision rung's SMS reach the SMSC in UCS-2, Chinese intact; a restart sends nothing
//! twice.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::Server;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running Kannel with a fake SMSC whose received messages are collected.
struct Kannel {
    children: Vec<Child>,
    received: Arc<Mutex<Vec<String>>>,
    sendsms: u16,
}

impl Drop for Kannel {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_port(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} did not start; run scripts/test.sh, which installs Kannel"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_kannel(dir: &Path) -> Kannel {
    start_kannel_on(dir, free_port())
}

fn start_kannel_on(dir: &Path, sendsms: u16) -> Kannel {
    let (admin, smsbox, smsc) = (free_port(), free_port(), free_port());
    let spool = dir.join("spool");
    std::fs::create_dir_all(&spool).expect("spool");
    let conf = dir.join("kannel.conf");
    std::fs::write(
        &conf,
        format!(
            r#"group = core
admin-port = {admin}
admin-interface = 127.0.0.1
admin-password = test-admin
admin-allow-ip = "127.0.0.1"
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
box-deny-ip = "*.*.*.*"
store-type = spool
store-location = "{spool}"
dlr-storage = internal
log-level = 4

group = smsc
smsc = fake
smsc-id = FAKE
port = {smsc}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
global-sender = 12345
log-level = 4

group = sendsms-user
username = yimen
password = test-secret
max-messages = 3
concatenation = true

group = sms-service
keyword = default
text = "no service"
"#,
            spool = spool.display()
        ),
    )
    .expect("write kannel.conf");
    let quiet = || Stdio::null();
    let mut children = Vec::new();
    children.push(
        Command::new("/usr/sbin/bearerbox")
            .arg(&conf)
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("bearerbox (install Debian's kannel; scripts/test.sh does)"),
    );
    wait_port(smsbox, "bearerbox");
    let received = Arc::new(Mutex::new(Vec::new()));
    let mut fake = Command::new("/usr/lib/kannel/test/fakesmsc")
        .args([
            "-H",
            "127.0.0.1",
            "-r",
            &smsc.to_string(),
            "-i",
            "1",
            "-m",
            "0",
            "100 200 text nop",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fakesmsc (install Debian's kannel-extras; scripts/test.sh does)");
    for stream in [
        Box::new(fake.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(fake.stderr.take().expect("stderr")),
    ] {
        let received = received.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains("Got message") {
                    received.lock().expect("lock").push(line);
                }
            }
        });
    }
    children.push(fake);
    children.push(
        Command::new("/usr/sbin/smsbox")
            .arg(&conf)
            .stdout(quiet())
            .stderr(quiet())
            .spawn()
            .expect("smsbox"),
    );
    wait_port(sendsms, "smsbox");
    Kannel {
        children,
        received,
        sendsms,
    }
}

/// Decodes fakesmsc's `%XX`-escaped UCS-2 text.
fn ucs2(escaped: &str) -> String {
    let b = escaped.as_bytes();
    let mut bytes = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                bytes.push(v);
                i += 3;
            }
            None => {
                bytes.push(b[i]);
                i += 1;
            }
        }
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

#[test]
fn the_citizen_and_the_supervisors_get_their_sms_in_chinese_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kannel = start_kannel(dir.path());
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let sms_url = format!(
        "http://127.0.0.1:{}/cgi-bin/sendsms?username=yimen&password=test-secret&from=12345",
        kannel.sendsms
    );
    let quiet_off = [("YIMEN_SMS_QUIET_HOURS", "off")];
    let start = |db: &str| {
        Server::start_with_env(
            &["serve", "--db", db, "--bind", "127.0.0.1:0", "--sms", &sms_url],
            &quiet_off,
        )
    };
    let server = start(&db);
    let clerk = server.client("clerk_wang");
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "李某", "caller_phone": "13900000002", "category": "complaint", "content": "夜间施工噪音"}
    });
    let id = clerk.post("/api/v1/cases", &body).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = server.client("supervisor_han").post(
        &format!("/api/v1/cases/{id}/escalate"),
        &json!({"reason": "超时未办结"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The receipt to the citizen, and the rung to the department head and the supervisor.
    let started = Instant::now();
    let got = loop {
        let got = kannel.received.lock().expect("lock").clone();
        if got.len() >= 3 || started.elapsed() > Duration::from_secs(30) {
            break got;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(got.len(), 3, "{got:?}");
    let texts: Vec<(String, String)> = got
        .iter()
        .map(|l| {
            // `Got message N: <from to ucs-2 text>`
            let inner = l.split('<').nth(1).unwrap_or("").trim_end_matches('>');
            let parts: Vec<&str> = inner.splitn(4, ' ').collect();
            (
                parts.get(1).copied().unwrap_or("").to_owned(),
                ucs2(parts.get(3).copied().unwrap_or("")),
            )
        })
        .collect();
    let to_citizen = texts
        .iter()
        .find(|(to, _)| to == "13900000002")
        .expect("the citizen's receipt");
    assert!(
        to_citizen.1.starts_with("【一门】您的12345热线工单已受理"),
        "{to_citizen:?}"
    );
    let to_head = texts
        .iter()
        .find(|(to, _)| to == "13800000012")
        .expect("the department head's SMS");
    assert!(
        to_head.1.contains("中心专项督办") && to_head.1.contains("督办单"),
        "{to_head:?}"
    );
    assert!(
        texts.iter().any(|(to, _)| to == "13800000015"),
        "the level-1 supervisor's SMS: {texts:?}"
    );
    server.signal("-TERM");
    assert!(server.wait().0.success());
    // After a restart nothing is sent again.
    let server = start(&db);
    server.wait_passes("yimen_dispatch_rounds_total", 2);
    assert_eq!(kannel.received.lock().expect("lock").len(), 3);
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn no_sms_in_quiet_hours_below_the_allowed_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kannel = start_kannel(dir.path());
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let sms_url = format!(
        "http://127.0.0.1:{}/cgi-bin/sendsms?username=yimen&password=test-secret&from=12345",
        kannel.sendsms
    );
    // Quiet hours around the present moment, in the centre's time zone.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let start_h = chrono::Timelike::hour(&now);
    let window = format!("{start_h:02}:00-{:02}:00", (start_h + 2) % 24);
    let server = Server::start_with_env(
        &["serve", "--db", &db, "--bind", "127.0.0.1:0", "--sms", &sms_url],
        &[("YIMEN_SMS_QUIET_HOURS", window.as_str())],
    );
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "李某", "caller_phone": "13900000002", "category": "complaint", "content": "噪音"}
    });
    let r = server.client("clerk_wang").post("/api/v1/cases", &body);
    assert_eq!(r.status, 201);
    server.wait_passes("yimen_dispatch_rounds_total", 3);
    assert!(
        kannel.received.lock().expect("lock").is_empty(),
        "an SMS went out in quiet hours"
    );
    let q = server.client("admin_qin").get("/api/v1/deliveries/failed").json();
    let pending = q["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .any(|c| c["channel"] == "sms" && c["state"] == "pending" && c["count"] == 1);
    assert!(pending, "the receipt waits for the morning: {q}");
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn sms_waits_while_the_gateway_is_down_and_drains_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sendsms = free_port();
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let sms_url = format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username=yimen&password=test-secret&from=12345");
    let server = Server::start_with_env(
        &["serve", "--db", &db, "--bind", "127.0.0.1:0", "--sms", &sms_url],
        &[("YIMEN_SMS_QUIET_HOURS", "off"), ("YIMEN_NOTIFY_BACKOFF_MS", "200")],
    );
    let clerk = server.client("clerk_wang");
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = json!({
            "case_type": "service_request_12345",
            "channel": "hotline_12345",
            "fields": {"caller": "市民", "caller_phone": format!("1390000010{i}"), "category": "request", "content": "路灯"}
        });
        ids.push(
            clerk.post("/api/v1/cases", &body).json()["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    // The gateway is down: the receipts are retried, not lost.
    server.wait_passes("yimen_dispatch_rounds_total", 2);
    let counts = server.client("admin_qin").get("/api/v1/deliveries/failed").json();
    assert!(
        counts["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .any(|c| c["channel"] == "sms" && c["state"] == "retrying"),
        "{counts}"
    );
    // It comes back: the backlog drains, one SMS per receipt.
    let kannel = start_kannel_on(dir.path(), sendsms);
    let started = Instant::now();
    while kannel.received.lock().expect("lock").len() < 5 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    server.wait_passes("yimen_dispatch_rounds_total", 2);
    let got = kannel.received.lock().expect("lock").clone();
    assert_eq!(got.len(), 5, "{got:?}");
    for i in 0..5 {
        assert_eq!(
            got.iter().filter(|l| l.contains(&format!("1390000010{i}"))).count(),
            1,
            "{got:?}"
        );
    }
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn a_gateway_that_never_answers_times_out_and_the_sms_goes_when_one_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Something on the gateway's port takes the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let sendsms = silent.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        silent.set_nonblocking(true).expect("nonblocking");
        let mut conns = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if let Ok((c, _)) = silent.accept() {
                conns.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        conns.len()
    });
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let sms_url = format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username=yimen&password=test-secret&from=12345");
    let server = Server::start_with_env(
        &["serve", "--db", &db, "--bind", "127.0.0.1:0", "--sms", &sms_url],
        &[
            ("YIMEN_SMS_QUIET_HOURS", "off"),
            ("YIMEN_NOTIFY_BACKOFF_MS", "200"),
            ("YIMEN_SMS_TIMEOUT_MS", "500"),
        ],
    );
    let clerk = server.client("clerk_wang");
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "市民", "caller_phone": "13900000201", "category": "request", "content": "路灯"}
    });
    let id = clerk.post("/api/v1/cases", &body).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The request times out and the receipt is retried, with the reason kept.
    let started = Instant::now();
    loop {
        let n = clerk.get(&format!("/api/v1/cases/{id}/notifications")).json();
        let sms: Vec<&serde_json::Value> = n["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .filter(|d| d["channel"] == "sms")
            .collect();
        if sms.len() == 1
            && sms[0]["state"] == "retrying"
            && sms[0]["last_error"].as_str().is_some_and(|e| !e.is_empty())
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no timeout seen: {n}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(held.join().expect("listener") >= 1, "the notifier connected");
    // A real gateway comes up on the port: the receipt goes out, once.
    let kannel = start_kannel_on(dir.path(), sendsms);
    let started = Instant::now();
    while kannel.received.lock().expect("lock").is_empty() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    let got = kannel.received.lock().expect("lock").clone();
    assert_eq!(got.iter().filter(|l| l.contains("13900000201")).count(), 1, "{got:?}");
    server.signal("-TERM");
    assert!(server.wait().0.success());
}
