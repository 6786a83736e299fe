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
