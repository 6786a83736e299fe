//! `yimen serve`: starts on a fresh SQLite file, logs what it loaded, answers, and stops
//! cleanly on Ctrl-C and SIGTERM.

use crate::support::Server;
use crate::yimen;

#[test]
fn serves_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("yimen.db");
    let db = format!("sqlite://{}", db_path.display());
    let mut server = Server::start(&db, &[]);
    let loaded = server
        .seen
        .iter()
        .find(|l| l.contains("workflows loaded and valid"))
        .cloned()
        .expect("it logs what it loaded");
    let bundled = std::fs::read_dir(yimen_tests::workflows().join("cases"))
        .expect("cases")
        .count();
    assert!(loaded.contains(&format!("case_types={bundled}")), "{loaded}");
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains("deployed a new version") && l.contains("labour_dispute"))
    );
    assert!(db_path.exists(), "the database file is created");

    let c = server.client("clerk_wang");
    assert_eq!(server.client("").get("/healthz").status, 200);
    let types = c.get("/api/v1/case-types").body;
    assert!(
        types.contains("\"id\":\"labour_dispute\"") && types.contains("\"version\":1"),
        "{types}"
    );
    let missing = c.get("/api/v1/nowhere");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");
    let page = c.get("/nowhere");
    assert_eq!(page.status, 404);
    assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);

    server.signal("-INT");
    server.wait_for("stopped");
    let (status, log) = server.wait();
    assert!(status.success(), "exit {status:?}\n{}", log.join("\n"));
}

#[test]
fn restarts_keep_versions_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());

    // Unchanged workflows: the same versions, nothing redeployed.
    let server = Server::start(&db, &[]);
    assert!(
        !server.seen.iter().any(|l| l.contains("deployed a new version")),
        "{:?}",
        server.seen
    );
    let types = server.client("clerk_wang").get("/api/v1/case-types").body;
    assert!(
        types.contains("\"version\":1") && !types.contains("\"version\":2"),
        "{types}"
    );
    server.signal("-TERM");
    let (status, _) = server.wait();
    assert!(status.success());
}

#[test]
fn refuses_to_start_on_broken_workflows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    yimen_tests::copy_dir(&yimen_tests::workflows(), &root);
    std::fs::write(root.join("cases/broken.yaml"), "id: broken\nname: [\n").expect("write");
    let out = yimen()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workflows",
            root.to_str().expect("utf-8"),
        ])
        .arg("--db")
        .arg(format!("sqlite://{}", dir.path().join("y.db").display()))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:") && err.contains("error[Y0105]"), "{err}");
    assert!(
        !dir.path().join("y.db").exists(),
        "nothing is created when the workflows are broken"
    );
}

#[test]
fn settings_come_from_a_config_file_unless_the_environment_or_a_flag_says_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_file = dir.path().join("from-file.db");
    let config = dir.path().join("yimen.toml");
    std::fs::write(
        &config,
        format!(
            "db = \"sqlite://{}\"\nbind = \"127.0.0.1:0\"\nworkflows = \"workflows\"\n",
            from_file.display()
        ),
    )
    .expect("write");
    let server = Server::start_with(&["serve", "--config", config.to_str().expect("utf-8")]);
    assert!(from_file.exists(), "the file's database is used");
    server.signal("-TERM");
    assert!(server.wait().0.success());

    let from_flag = dir.path().join("from-flag.db");
    let db = format!("sqlite://{}", from_flag.display());
    let server = Server::start_with(&["serve", "--config", config.to_str().expect("utf-8"), "--db", &db]);
    assert!(from_flag.exists(), "a flag wins over the file");
    server.signal("-TERM");
    assert!(server.wait().0.success());

    std::fs::write(&config, "db = 5\n").expect("write");
    let out = yimen()
        .args(["serve", "--config", config.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not valid"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_bad_setting_refuses_the_start_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("y.db");
    for (var, value, says) in [
        (
            "YIMEN_TIMER_LEASE_MS",
            "fast",
            "YIMEN_TIMER_LEASE_MS must be a whole number of milliseconds",
        ),
        ("YIMEN_SMS_QUIET_HOURS", "late", "YIMEN_SMS_QUIET_HOURS"),
        ("YIMEN_LOG_FORMAT", "xml", "`text` or `json`"),
        ("YIMEN_MAX_CONNECTIONS", "0", "from 1 to 1000000"),
    ] {
        let db_url = format!("sqlite://{}", db.display());
        let err = refused(&["serve", "--bind", "127.0.0.1:0", "--db", &db_url], &[(var, value)]);
        assert!(err.contains(says), "{var}={value}: {err}");
        assert!(!db.exists(), "{var}={value}: nothing is created");
    }
}

/// Runs `yimen` expecting it to refuse to start: its exit code is 1; returns its stderr. A
/// server that started instead would serve on, so it gets a deadline, not forever.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut child = yimen()
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} {env:?}: serve started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}: {err}");
    err
}

#[test]
fn the_first_start_makes_a_master_key_and_a_store_refuses_any_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let (a, b) = (dir.path().join("a.key"), dir.path().join("b.key"));
    let (a_s, b_s) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let args = ["serve", "--bind", "127.0.0.1:0", "--db", db.as_str()];
    let first = Server::start_with_env(&args, &[("YIMEN_MASTER_KEY_FILE", a_s)]);
    first.signal("-TERM");
    let (status, log) = first.wait();
    assert!(status.success());
    let log = log.join("\n");
    assert!(
        log.contains("created a new master key at") && log.contains(a_s),
        "{log}"
    );
    assert!(log.contains("back it up apart from the database"), "{log}");
    let text = std::fs::read_to_string(&a).expect("the key file");
    assert!(text.starts_with("yimen master key v1\n"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }
    // The same key again: it starts, and says nothing of a new key.
    let again = Server::start_with_env(&args, &[("YIMEN_MASTER_KEY_FILE", a_s)]);
    again.signal("-TERM");
    let (status, log) = again.wait();
    assert!(status.success() && !log.join("\n").contains("created a new master key"));
    // Another key, another suite, a damaged secret: each refuses the start, naming why.
    let err = refused(&args, &[("YIMEN_MASTER_KEY_FILE", b_s)]);
    assert!(
        err.contains("this store is sealed under master key") && err.contains(b_s),
        "{err}"
    );
    let err = refused(
        &args,
        &[
            ("YIMEN_MASTER_KEY_FILE", a_s),
            ("YIMEN_CIPHER_SUITE", "aes256gcm-sha256"),
        ],
    );
    assert!(err.contains("(sm4gcm-sm3), not under"), "{err}");
    let err = refused(&args, &[("YIMEN_MASTER_KEY", "not a key")]);
    assert!(err.contains("YIMEN_MASTER_KEY is not a master key"), "{err}");
    let err = refused(&args, &[("YIMEN_CIPHER_SUITE", "des")]);
    assert!(err.contains("`sm4gcm-sm3` or `aes256gcm-sha256`"), "{err}");
    // The key given as a secret works as the file does.
    let secret = Server::start_with_env(&args, &[("YIMEN_MASTER_KEY", text.as_str())]);
    secret.signal("-TERM");
    assert!(secret.wait().0.success());
}

#[test]
fn check_prints_the_settings_it_would_use_without_secrets_or_starting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("y.db");
    let out = yimen()
        .args(["serve", "--check", "--smtp", "smtp://mailer:s3cret@127.0.0.1:2525"])
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .env("YIMEN_NOTIFY_LEASE_MS", "4000")
        .env("YIMEN_SMS_REPORT_TOKEN", "tok-secret")
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("notify.lease_ms = 4000"), "{text}");
    assert!(
        text.contains("keys.file = yimen-master.key") && text.contains("keys.suite = sm4gcm-sm3"),
        "{text}"
    );
    assert!(text.contains("smtp = smtp://mailer:***@127.0.0.1:2525"), "{text}");
    assert!(!text.contains("s3cret") && !text.contains("tok-secret"), "{text}");
    assert!(!db.exists(), "--check opens nothing");
}

#[test]
fn a_redirected_log_has_no_colour_codes_and_json_lines_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, db) in [("text", "t.db"), ("json", "j.db")] {
        let db = format!("sqlite://{}", dir.path().join(db).display());
        let mut child = yimen()
            .args(["serve", "--bind", "127.0.0.1:0", "--db", &db])
            .env_remove("NO_COLOR")
            .env("YIMEN_LOG_FORMAT", format)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let listening = line.contains("listening on");
            lines.push(line);
            if listening {
                break;
            }
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        assert!(child.wait().expect("wait").success());
        assert!(lines.iter().any(|l| l.contains("listening on")), "{format}: {lines:?}");
        assert!(
            lines.iter().all(|l| !l.contains('\u{1b}')),
            "{format}: escape codes in {lines:?}"
        );
        if format == "json" {
            for l in &lines {
                let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
                assert!(v["level"].is_string() && v["timestamp"].is_string(), "{l}");
            }
        }
    }
}

#[test]
fn the_demo_prints_fresh_passwords_and_seeds_cases_in_many_states_only_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let passwords = |server: &Server| -> std::collections::BTreeMap<String, String> {
        server
            .seen
            .iter()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols.len() >= 4 && cols[0].contains('_') && cols[cols.len() - 1].len() == 16)
                    .then(|| (cols[0].to_owned(), cols[cols.len() - 1].to_owned()))
            })
            .collect()
    };
    let server = Server::start(&db, &["--demo"]);
    let first = passwords(&server);
    assert!(first.len() >= 20, "an account per demo user: {:?}", server.seen);
    // A printed password signs in.
    let r = server.client("").post(
        "/api/v1/session",
        &serde_json::json!({"user": "clerk_wang", "password": first["clerk_wang"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Cases stand in many states, and some are on the supervision board.
    let out = crate::run(&["audit", "verify", "--db", &db, "--json"]);
    let cases = serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["cases"]
        .as_u64()
        .expect("count");
    assert!(cases > 50, "{cases} demo cases");
    let admin = server.client("admin_qin");
    let inbox = server.client("handler_li").get("/api/v1/inbox").json();
    assert!(
        !inbox["tasks"].as_array().expect("tasks").is_empty(),
        "the handler has work"
    );
    let board = admin.get("/supervision");
    assert_eq!(board.status, 200);
    assert!(board.body.matches("/cases/").count() >= 5, "cases under supervision");
    // The replayed past leaves every state behind: each level, overdue answers, a task that
    // reaches nobody, on the board; a warning, a breach, a paused clock, a case closed late and
    // one on time; records answered, sent back, accepted and waiting.
    for stat in ["l1", "l2", "l3", "late", "review", "unstaffed"] {
        let at = board
            .body
            .find(&format!("class=\"stat {stat}\"><span class=\"n\">"))
            .unwrap_or_else(|| panic!("the board counts {stat}: {}", board.body));
        let n: String = board.body[at..]
            .split("<span class=\"n\">")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(n.parse::<u32>().is_ok_and(|n| n > 0), "the board's {stat} is {n}");
    }
    let listed = admin
        .get("/api/v1/cases?case_type=service_request_12345&sort=oldest&limit=9")
        .json();
    let mut clocks = std::collections::BTreeSet::new();
    let mut records = std::collections::BTreeSet::new();
    for c in listed["cases"].as_array().expect("cases") {
        let t = admin
            .get(&format!("/api/v1/cases/{}/timeline", c["id"].as_str().expect("id")))
            .json();
        clocks.insert(t["sla_status"].as_str().unwrap_or_default().to_owned());
        for r in t["supervision"].as_array().into_iter().flatten() {
            records.insert(r["state"].as_str().unwrap_or_default().to_owned());
        }
    }
    for want in ["warning", "breached", "paused", "stopped", "on_time"] {
        assert!(clocks.contains(want), "a clock {want}: {clocks:?}");
    }
    for want in ["awaiting", "answered", "returned", "accepted"] {
        assert!(records.contains(want), "a record {want}: {records:?}");
    }
    let page = admin.get("/cases?case_type=service_request_12345&sort=oldest");
    assert!(
        page.body.contains("逾期办结") && page.body.contains("按时办结"),
        "closed late and on time: {}",
        page.body
    );
    // This month's bulletin, this week's spot-check and this year's assessment are there to read.
    let reports = admin.get("/reports");
    for job in ["monthly_bulletin", "weekly_spot_check", "annual_assessment"] {
        assert!(
            reports.body.contains(&format!("/reports/{job}/")),
            "{job} in {}",
            reports.body
        );
    }
    server.signal("-TERM");
    let _ = server.wait();

    // A second start makes new passwords and seeds nothing more.
    let server = Server::start(&db, &["--demo"]);
    let second = passwords(&server);
    assert_eq!(first.len(), second.len());
    assert!(first.iter().all(|(k, v)| second[k] != *v), "every password is new");
    let again =
        serde_json::from_slice::<serde_json::Value>(&crate::run(&["audit", "verify", "--db", &db, "--json"]).stdout)
            .expect("json")["cases"]
            .as_u64()
            .expect("count");
    assert_eq!(again, cases, "seeded once");
    server.signal("-TERM");
    let _ = server.wait();

    // Without --demo nothing is seeded and no account is made.
    let plain = format!("sqlite://{}", dir.path().join("plain.db").display());
    let server = Server::start(&plain, &[]);
    assert!(passwords(&server).is_empty());
    server.signal("-TERM");
    let _ = server.wait();
    let out = crate::run(&["audit", "verify", "--db", &plain, "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["cases"],
        0
    );
}
