//! Notifications through a real SMTP server (aiosmtpd on loopback, installed by the test
//! script): a supervision rung's email reaches the department head and the supervisor, in
//! Chinese, once each; SMS without a gateway stays visible as undeliverable.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::smtp::{Smtp, free_port, python, read_maildir, start_smtp, start_smtp_on};
use crate::support::{Client, Server};

/// Opens a 12345 complaint as `clerk` and has `supervisor` escalate it by hand (its rung emails
/// the department head and the supervisor); returns the case id.
fn open_and_escalate(clerk: &Client, supervisor: &Client, phone: &str, content: &str) -> String {
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "市民", "caller_phone": phone, "category": "complaint", "content": content}
    });
    let id = clerk.post("/api/v1/cases", &body).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = supervisor.post(
        &format!("/api/v1/cases/{id}/escalate"),
        &json!({"reason": "超时未办结"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

#[test]
fn a_rung_emails_the_department_head_and_the_supervisor_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{}?from=centre@putuo.example", smtp.port);
    let server = Server::start(&db, &["--smtp", &url]);
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

    let started = Instant::now();
    let mails = loop {
        let m = if maildir.join("new").exists() {
            read_maildir(&maildir)
        } else {
            Vec::new()
        };
        if m.len() >= 2 || started.elapsed() > Duration::from_secs(30) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to: Vec<&str> = mails.iter().filter_map(|m| m["to"].as_str()).collect();
    assert!(
        to.contains(&"韩磊 <han.lei@centre.example>") && to.contains(&"卫东 <wei.dong@centre.example>"),
        "{to:?}"
    );
    for m in &mails {
        let subject = m["subject"].as_str().expect("subject");
        assert!(subject.starts_with("【中心专项督办】12345热线工单"), "{subject}");
        let text = m["body"].as_str().expect("body");
        assert!(
            text.contains("现启动中心专项督办") && text.contains("12345政务服务热线"),
            "{text}"
        );
        assert!(text.contains(&format!("/cases/{id}")), "{text}");
        let html = m["html"].as_str().expect("html");
        assert!(
            html.contains("<p>") && html.contains("现启动中心专项督办") && html.contains("<a href="),
            "{html}"
        );
    }
    // The same delivery always carries the same Message-ID, derived from its key.
    assert_ne!(mails[0]["message_id"], mails[1]["message_id"]);

    // SMS has no gateway here: those deliveries stay visible to admins, nothing pretends to be sent.
    let admin = server.client("admin_qin");
    let q = admin.get("/api/v1/deliveries/failed").json();
    let sms: Vec<&Value> = q["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .filter(|d| d["channel"] == "sms")
        .collect();
    assert!(sms.iter().all(|d| d["state"] == "undeliverable"), "{q}");
    assert!(
        sms.iter()
            .any(|d| d["template"] == "case_receipt" && d["recipient"] == "citizen"),
        "{q}"
    );
    assert_eq!(server.client("clerk_wang").get("/api/v1/deliveries/failed").status, 403);
    let metrics = server.client("admin_qin").get("/metrics").body;
    assert!(
        metrics.contains("yimen_deliveries{channel=\"email\",state=\"delivered\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("yimen_deliveries{channel=\"sms\",state=\"undeliverable\"} 3"),
        "{metrics}"
    );
    // Each send to the SMTP server was timed (an undeliverable SMS is never sent).
    assert!(
        metrics.contains("yimen_delivery_seconds_count{channel=\"email\",outcome=\"delivered\"} 2"),
        "{metrics}"
    );
    server.signal("-TERM");
    assert!(server.wait().0.success());
    // Restarting sends nothing twice.
    let server = Server::start(&db, &["--smtp", &url]);
    server.wait_passes("yimen_dispatch_rounds_total", 2);
    assert_eq!(read_maildir(&maildir).len(), 2);
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn a_refusal_is_retried_and_a_bad_address_fails_for_good_visibly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let log = dir.path().join("accepted.jsonl");
    let script = yimen_tests::root().join("tests/e2e/smtp_flaky.py");
    let child = Command::new(python())
        .arg(&script)
        .arg(port.to_string())
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python");
    let _smtp = Smtp { child, port };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the test SMTP server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{port}?from=centre@putuo.example");
    // A short first backoff so the retry happens inside the test.
    let server = Server::start_with_env(
        &["serve", "--db", &db, "--bind", "127.0.0.1:0", "--smtp", &url],
        &[("YIMEN_NOTIFY_BACKOFF_MS", "300")],
    );
    let clerk = server.client("clerk_wang");
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "李某", "caller_phone": "13900000002", "category": "complaint", "content": "噪音"}
    });
    let id = clerk.post("/api/v1/cases", &body).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    server.client("supervisor_han").post(
        &format!("/api/v1/cases/{id}/escalate"),
        &json!({"reason": "超时未办结"}),
    );
    let admin = server.client("admin_qin");
    let started = Instant::now();
    let (accepted, failed) = loop {
        let accepted = std::fs::read_to_string(&log).unwrap_or_default();
        let q = admin.get("/api/v1/deliveries/failed").json();
        let failed: Vec<Value> = q["failed"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|d| d["channel"] == "email")
            .collect();
        if (accepted.lines().count() >= 1 && !failed.is_empty()) || started.elapsed() > Duration::from_secs(30) {
            break (accepted, failed);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // The department head's email was refused once (451), retried, and delivered once.
    assert_eq!(accepted.lines().count(), 1, "{accepted}");
    assert!(accepted.contains("wei.dong@centre.example"), "{accepted}");
    // The supervisor's address is refused for good (550): failed after one attempt, visible.
    assert_eq!(failed.len(), 1, "{failed:?}");
    // The admin's role sees personal data masked: the address too (the reference retries it).
    assert_eq!(failed[0]["address"], "h***@centre.example");
    assert!(failed[0]["address_ref"].as_str().is_some_and(|r| r.starts_with("ref:")));
    assert_eq!(failed[0]["state"], "failed");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["last_error"].as_str().is_some_and(|e| e.contains("550")),
        "{failed:?}"
    );
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn a_dispatcher_killed_mid_burst_loses_nothing_and_keeps_one_message_id_per_delivery() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{}?from=centre@putuo.example", smtp.port);
    let args = [
        "serve",
        "--db",
        db.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--smtp",
        url.as_str(),
    ];
    // Short leases, so the restarted node takes over what the killed one held.
    let env = [
        ("YIMEN_NOTIFY_LEASE_MS", "1500"),
        ("YIMEN_NOTIFY_BACKOFF_MS", "500"),
        ("YIMEN_SMS_QUIET_HOURS", "off"),
    ];
    let server = Server::start_with_env(&args, &env);
    let clerk = server.client("clerk_wang");
    let supervisor = server.client("supervisor_han");
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(open_and_escalate(
            &clerk,
            &supervisor,
            "13900000002",
            &format!("投诉 {i}"),
        ));
    }
    // Kill it while it sends the 40 emails.
    server.signal("-KILL");
    let _ = server.wait();
    let server = Server::start_with_env(&args, &env);
    let started = Instant::now();
    let mails = loop {
        let m = if maildir.join("new").exists() {
            read_maildir(&maildir)
        } else {
            Vec::new()
        };
        let unique: std::collections::BTreeSet<String> = m
            .iter()
            .filter_map(|x| x["message_id"].as_str().map(str::to_owned))
            .collect();
        if unique.len() >= 40 || started.elapsed() > Duration::from_secs(60) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let unique: std::collections::BTreeSet<&str> = mails.iter().filter_map(|x| x["message_id"].as_str()).collect();
    assert_eq!(
        unique.len(),
        40,
        "every delivery arrived: {} messages, {} distinct",
        mails.len(),
        unique.len()
    );
    // A message sent just before the kill may be sent again after it, always under the same id.
    assert!(
        mails.len() - unique.len() <= 2,
        "{} messages for {} ids",
        mails.len(),
        unique.len()
    );
    for id in &ids {
        let n = server
            .client("clerk_wang")
            .get(&format!("/api/v1/cases/{id}/notifications"))
            .json();
        let email: Vec<&Value> = n["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .filter(|d| d["channel"] == "email")
            .collect();
        assert_eq!(email.len(), 2);
        assert!(email.iter().all(|d| d["state"] == "delivered"), "{n}");
    }
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn a_bulletin_run_by_hand_is_served_and_emailed_to_its_distribution_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{}?from=centre@putuo.example", smtp.port);
    let server = Server::start(&db, &["--smtp", &url]);
    let clerk = server.client("clerk_wang");
    for i in 0..3 {
        let body = json!({
            "channel": "hotline_12345",
            "fields": {"caller": "市民", "caller_phone": format!("1390000010{i}"), "category": "request", "content": "路灯不亮"}
        });
        assert_eq!(clerk.post("/api/v1/cases", &body).status, 201);
    }
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m")
        .to_string();
    let admin = server.client("admin_qin");
    let run = json!({"period": month, "notify": true});
    let r = admin.post("/api/v1/jobs/monthly_bulletin/run", &run);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"], "new");
    let r = admin.post("/api/v1/jobs/monthly_bulletin/run", &run);
    assert_eq!(r.json()["result"], "unchanged", "{}", r.body);
    // Bad requests change nothing.
    assert_eq!(
        admin
            .post("/api/v1/jobs/monthly_bulletin/run", &json!({"period": "2026-13"}))
            .status,
        422
    );
    assert_eq!(
        admin
            .post("/api/v1/jobs/nonsense/run", &json!({"period": month}))
            .status,
        404
    );
    assert_eq!(clerk.post("/api/v1/jobs/monthly_bulletin/run", &run).status, 403);

    let sup = server.client("supervisor_han");
    let data = sup.get(&format!("/api/v1/reports/monthly_bulletin/{month}")).json();
    assert_eq!(data["total"]["received"], 3, "{data}");
    let html = sup.get(&format!("/api/v1/reports/monthly_bulletin/{month}/html"));
    assert!(html.content_type.starts_with("text/html"), "{}", html.content_type);
    assert!(html.body.contains("<svg") && html.body.contains("12345政务服务热线"));
    let csv = sup.get(&format!("/api/v1/reports/monthly_bulletin/{month}/csv"));
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(
        clerk.get(&format!("/api/v1/reports/monthly_bulletin/{month}")).status,
        403
    );
    assert_eq!(sup.get("/api/v1/reports/monthly_bulletin/1999-01").status, 404);
    let jobs = sup.get("/api/v1/jobs").json();
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(3), "{jobs}");

    // The distribution list (department heads, centre and office supervisors) gets one email
    // each, in Chinese, with the link to the page.
    let root = yimen_tests::root().join("workflows");
    let opts = yimen_engine::load::LoadOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
        limits: yimen_engine::yaml::Limits::default(),
    };
    let (bundle, _) = yimen_engine::load::load_dir(&root, &opts);
    let org = bundle.organisation.expect("org").value;
    let expected = org
        .users
        .values()
        .filter(|u| u.email.is_some())
        .filter(|u| {
            u.roles
                .iter()
                .any(|r| ["department_head", "supervisor_l1", "supervisor_l2"].contains(&r.as_str()))
        })
        .count();
    let started = Instant::now();
    let mails = loop {
        let m = if maildir.join("new").exists() {
            read_maildir(&maildir)
        } else {
            Vec::new()
        };
        if m.len() >= expected || started.elapsed() > Duration::from_secs(30) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Only the bulletin's announcements: the cases' receipts go by SMS (no gateway here).
    assert_eq!(mails.len(), expected, "{mails:?}");
    for m in &mails {
        let subject = m["subject"].as_str().expect("subject");
        assert_eq!(subject, format!("【通报】普陀区社会治理中心 {month} 月度通报"));
        let body = m["body"].as_str().expect("body");
        assert!(body.contains("本期受理 3 件"), "{body}");
        assert!(
            body.contains(&format!("/api/v1/reports/monthly_bulletin/{month}/html")),
            "{body}"
        );
    }
    server.signal("-TERM");
    assert!(server.wait().0.success());
}

#[test]
fn an_smtp_server_that_vanishes_mid_burst_loses_nothing_and_the_backlog_drains_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let port = smtp.port;
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{port}?from=centre@putuo.example");
    let args = [
        "serve",
        "--db",
        db.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--smtp",
        url.as_str(),
    ];
    let env = [("YIMEN_NOTIFY_BACKOFF_MS", "300"), ("YIMEN_SMS_QUIET_HOURS", "off")];
    let server = Server::start_with_env(&args, &env);
    let clerk = server.client("clerk_wang");
    let supervisor = server.client("supervisor_han");
    // A burst of escalations (two emails each); the server vanishes in the middle of it.
    let mut smtp = Some(smtp);
    for i in 0..30 {
        open_and_escalate(&clerk, &supervisor, "13900000003", &format!("投诉 {i}"));
        if i == 10 {
            drop(smtp.take());
        }
    }
    // While it is gone, deliveries wait (retrying), none is failed or lost.
    server.wait_passes("yimen_dispatch_rounds_total", 3);
    let admin = server.client("admin_qin");
    let failed = admin.get("/api/v1/deliveries/failed").json();
    let email_failed = failed["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .filter(|d| d["channel"] == "email")
        .count();
    assert_eq!(email_failed, 0, "{failed}");
    // It comes back on the same port: the backlog drains.
    let _back = start_smtp_on(&maildir, port);
    let started = Instant::now();
    let mails = loop {
        let m = read_maildir(&maildir);
        let unique: std::collections::BTreeSet<String> = m
            .iter()
            .filter_map(|x| x["message_id"].as_str().map(str::to_owned))
            .collect();
        if unique.len() >= 60 || started.elapsed() > Duration::from_secs(90) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let ids: Vec<&str> = mails.iter().filter_map(|x| x["message_id"].as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 60, "every email arrived once the server returned");
    // A server killed between storing a message and answering makes the sender try again: at
    // most the one transaction the kill interrupted may arrive twice (the same Message-ID).
    assert!(ids.len() - unique.len() <= 1, "{} duplicates", ids.len() - unique.len());
}

#[test]
fn an_smtp_server_that_never_answers_times_out_and_the_email_waits_until_one_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    // A server that takes the connection and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        silent.set_nonblocking(true).expect("nonblocking");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(6) {
            if let Ok((c, _)) = silent.accept() {
                conns.push(c);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        conns.len()
    });
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let url = format!("smtp://127.0.0.1:{port}?from=centre@putuo.example&timeout=1");
    let args = [
        "serve",
        "--db",
        db.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--smtp",
        url.as_str(),
    ];
    let env = [("YIMEN_NOTIFY_BACKOFF_MS", "300"), ("YIMEN_SMS_QUIET_HOURS", "off")];
    let server = Server::start_with_env(&args, &env);
    let clerk = server.client("clerk_wang");
    let id = open_and_escalate(&clerk, &server.client("supervisor_han"), "13900000004", "无人应答");
    // The sends time out and are retried: the deliveries wait, with the reason.
    let started = Instant::now();
    let waiting = loop {
        let n = clerk.get(&format!("/api/v1/cases/{id}/notifications")).json();
        let emails: Vec<serde_json::Value> = n["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .filter(|d| d["channel"] == "email")
            .cloned()
            .collect();
        if !emails.is_empty()
            && emails
                .iter()
                .all(|d| d["state"] == "retrying" && d["attempts"].as_i64() >= Some(1))
        {
            break emails;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no timeout seen: {n}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        waiting
            .iter()
            .all(|d| d["last_error"].as_str().is_some_and(|e| !e.is_empty())),
        "{waiting:?}"
    );
    assert!(held.join().expect("listener") >= 1, "the sender connected");
    // A real server comes up on the port: the emails go, once each.
    let _smtp = start_smtp_on(&maildir, port);
    let started = Instant::now();
    loop {
        let m = read_maildir(&maildir);
        if m.len() >= waiting.len() {
            let ids: std::collections::BTreeSet<String> = m
                .iter()
                .filter_map(|x| x["message_id"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(ids.len(), m.len(), "no email twice");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the backlog did not drain");
        std::thread::sleep(Duration::from_millis(300));
    }
}
