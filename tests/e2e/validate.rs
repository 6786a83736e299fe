//! `yimen validate` as an admin runs it.

use serde_json::Value;
use yimen_tests::{copy_dir, workflows};

use crate::{run, stdout};

#[test]
fn the_bundled_workflows_are_valid() {
    let out = run(&["validate", "--today", "2026-06-01"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("valid: 0 error(s), 0 warning(s)"), "{text}");
    // The next runs of every schedule are shown, so an author can check the cron numbering.
    assert!(text.contains("note: schedule `weekly_spot_check`"), "{text}");
}

#[test]
fn errors_exit_1_with_every_problem_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    copy_dir(&workflows(), &root);
    let path = root.join("cases/labour_dispute.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("kind: professional", "kind: profesional")).expect("write");
    // A second, independent mistake in another file: both are reported in one run.
    let other = root.join("cases/medical_dispute.yaml");
    let medical = std::fs::read_to_string(&other).expect("read");
    std::fs::write(&other, medical.replace("    to: settled\n", "    to: setled\n")).expect("write");
    let root_s = root.to_str().expect("utf-8 path");
    let kind_line = text.lines().position(|l| l.starts_with("kind: ")).expect("kind line") + 1;

    let out = run(&["validate", root_s, "--today", "2026-06-01"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "labour_dispute.yaml:{kind_line}:7: error[Y0204]: `profesional` is not an allowed value here"
        )),
        "{text}"
    );
    assert!(
        text.contains("error[Y0301]: unknown state `setled`\n  = hint: did you mean `settled`?"),
        "{text}"
    );
    assert!(text.contains("invalid: 2 error(s)"), "{text}");

    let out = run(&["validate", root_s, "--format", "json", "--today", "2026-06-01"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["errors"], 2);
    let first = &doc["diagnostics"][0];
    for key in ["file", "line", "column", "path", "code", "message", "severity"] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert_eq!(first["path"], "kind");
    assert_eq!(first["line"], kind_line);

    // One file: only its problems, resolved against its workflows directory.
    let out = run(&["validate", other.to_str().expect("utf-8"), "--today", "2026-06-01"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("invalid: 1 error(s)") && text.contains("medical_dispute.yaml"),
        "{text}"
    );
    let fine = root.join("cases/service_request_12345.yaml");
    let out = run(&["validate", fine.to_str().expect("utf-8"), "--today", "2026-06-01"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn usage_and_io_problems_exit_2() {
    let out = run(&["validate", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or directory"));
    let out = run(&["validate", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["validate", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
}

#[test]
fn every_bundled_scenario_passes_and_a_wrong_expectation_fails() {
    let out = run(&["test"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.ends_with("passed, 0 failed") && !last.starts_with("0 "), "{text}");

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("workflows");
    copy_dir(&workflows(), &root);
    let path = root.join("scenarios/service_request_12345_holiday.yaml");
    let s = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, s.replace("due: 2026-10-10T16:00", "due: 2026-10-09T16:00")).expect("write");
    let out = run(&[
        "test",
        "--workflows",
        root.to_str().expect("utf-8"),
        path.to_str().expect("utf-8"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("step 1: SLA due")
            && text.contains("expected: 2026-10-09T16:00")
            && text.contains("actual:   2026-10-10T16:00"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("0 passed, 1 failed"), "{text}");
}
