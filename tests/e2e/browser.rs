//! The pages in a real browser (Debian's Chromium, driven by playwright-core from
//! `tests/browser/`, both installed by `scripts/test.sh`): a clerk, a handler and a supervisor
//! walk one case from intake to an accepted answer to an escalation; a task that reaches nobody
//! goes to the department's head, who gives it to a handler; a handler away names a stand-in;
//! and a tour of every page as each role, in both languages at both widths, with axe-core.
//! The screenshots are kept in `target/browser-artifacts/`.

use std::path::Path;
use std::process::Command;

use crate::support::Server;

#[test]
fn a_clerk_a_handler_and_a_supervisor_walk_a_case_to_an_accepted_escalation_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    walk(
        dir.path(),
        "walk",
        &["clerk_wang", "handler_li", "supervisor_han", "admin_qin", "grid_chen"],
        &[],
    );
}

#[test]
fn a_task_that_reaches_nobody_is_given_by_the_department_head_to_a_handler() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The 12345 handling task left at the unit where the request arose: a request at a street
    // reaches no hotline handler (they all work at the district).
    let wf = dir.path().join("workflows");
    yimen_tests::copy_dir(&yimen_tests::workflows(), &wf);
    let path = wf.join("cases/service_request_12345.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replace(
        "assign: { department: handling, role: handler, tier: district }",
        "assign: { department: handling, role: handler }",
    );
    assert_ne!(
        edited, text,
        "the handling task's assignment is where the test expects it"
    );
    std::fs::write(&path, edited).expect("write");
    let wf = wf.to_str().expect("utf-8 path");
    walk(
        dir.path(),
        "handoff",
        &["clerk_xia", "handler_li", "head_hotline", "handler_lu"],
        &["--workflows", wf],
    );
}

#[test]
fn a_handler_away_names_a_stand_in_who_sees_whose_work_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    walk(dir.path(), "away", &["handler_he", "handler_tang"], &[]);
}

#[test]
fn every_page_as_each_role_in_both_languages_on_a_desktop_and_a_phone_passes_axe_and_speaks_one_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    // The demo centre: its replayed past leaves every kind of page with something on it.
    let server = Server::start(&db, &["--demo"]);
    let passwords: serde_json::Map<String, serde_json::Value> = server
        .seen
        .iter()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 4 && cols[0].contains('_') && cols[cols.len() - 1].len() == 16).then(|| {
                (
                    cols[0].to_owned(),
                    serde_json::Value::String(cols[cols.len() - 1].to_owned()),
                )
            })
        })
        .collect();
    assert!(passwords.len() >= 6, "the demo prints its passwords: {:?}", server.seen);
    let pw_file = dir.path().join("passwords.json");
    std::fs::write(&pw_file, serde_json::Value::Object(passwords).to_string()).expect("write");
    let report = run_script(&server, "tour", &pw_file);
    // 6 roles × 2 widths × 2 languages, each over its navigation and the pages beyond.
    let pages = report["pages"].as_u64().expect("pages");
    assert!(pages >= 150, "{pages} pages toured");
}

/// Runs `tests/browser/<script>.mjs` against a server on a fresh store with `users` (their
/// passwords handed to the script) and `serve_args`; one screenshot per step it reports.
fn walk(dir: &Path, script: &str, users: &[&str], serve_args: &[&str]) {
    let db = format!("sqlite://{}", dir.join("y.db").display());
    let mut passwords = serde_json::Map::new();
    for user in users {
        let p = format!("{user}-长密码-2026");
        crate::support::add_user(&db, user, &["--from-organisation"], &p);
        passwords.insert((*user).to_owned(), serde_json::Value::String(p));
    }
    let pw_file = dir.join("passwords.json");
    std::fs::write(&pw_file, serde_json::Value::Object(passwords).to_string()).expect("write");
    let server = Server::start(&db, serve_args);
    run_script(&server, script, &pw_file);
}

/// Runs a browser script against `server`; its report, with a screenshot per step checked.
fn run_script(server: &Server, script: &str, pw_file: &Path) -> serde_json::Value {
    let root = yimen_tests::root();
    let artifacts = root.join(format!("target/browser-artifacts/{script}"));
    let _ = std::fs::remove_dir_all(&artifacts);
    let out = Command::new("node")
        .arg(format!("{script}.mjs"))
        .arg(format!("http://{}", server.addr))
        .arg(&artifacts)
        .arg(pw_file)
        .current_dir(root.join("tests/browser"))
        .output()
        .expect("node runs (scripts/test.sh installs Node.js, Chromium and playwright-core)");
    assert!(
        out.status.success(),
        "the browser walk failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the walk reports JSON");
    assert_eq!(report["ok"], true);
    let shots = std::fs::read_dir(&artifacts)
        .expect("artifacts")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert_eq!(
        shots as u64,
        report["steps"].as_u64().expect("steps"),
        "a screenshot per step"
    );
    assert!(shots >= 5, "{shots} screenshots");
    report
}
