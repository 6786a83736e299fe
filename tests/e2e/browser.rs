//! The pages in a real browser (Debian's Chromium, driven by playwright-core from
//! `tests/browser/`, both installed by `scripts/test.sh`): a clerk, a handler and a supervisor
//! walk one case from intake to an accepted answer to an escalation. The screenshots are kept
//! in `target/browser-artifacts/`.

use std::process::Command;

use crate::support::Server;

#[test]
fn a_clerk_a_handler_and_a_supervisor_walk_a_case_to_an_accepted_escalation_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let mut passwords = serde_json::Map::new();
    for user in ["clerk_wang", "handler_li", "supervisor_han", "admin_qin", "grid_chen"] {
        let p = format!("{user}-长密码-2026");
        crate::support::add_user(&db, user, &["--from-organisation"], &p);
        passwords.insert(user.to_owned(), serde_json::Value::String(p));
    }
    let pw_file = dir.path().join("passwords.json");
    std::fs::write(&pw_file, serde_json::Value::Object(passwords).to_string()).expect("write");
    let server = Server::start(&db, &[]);
    let root = yimen_tests::root();
    let artifacts = root.join("target/browser-artifacts/walk");
    let _ = std::fs::remove_dir_all(&artifacts);
    let out = Command::new("node")
        .arg("walk.mjs")
        .arg(format!("http://{}", server.addr))
        .arg(&artifacts)
        .arg(&pw_file)
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
    assert!(shots >= 10, "{shots} screenshots");
}
