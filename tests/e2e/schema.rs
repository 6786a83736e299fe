//! `yimen schema`: the schema an editor uses accepts every bundled file, and rejects broken ones.

use std::path::Path;

use serde_json::Value;
use yimen_engine::load::kind_of;
use yimen_engine::yaml::{Limits, read_str};
use yimen_tests::workflows;

use crate::run;

fn schema(kind: &str) -> Value {
    let out = run(&["schema", "--kind", kind]);
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("schema is JSON")
}

/// The file as an editor's YAML language server sees it: YAML 1.2 core types.
fn as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read");
    let doc = read_str(&text, Limits::default()).expect("parses");
    yimen_engine::schema::to_json(&doc.root)
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn every_bundled_file_validates_against_its_schema() {
    let root = workflows();
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        let rel = f.strip_prefix(&root).expect("under root");
        let kind = kind_of(rel).unwrap_or_else(|| panic!("{} has no kind", rel.display()));
        let validator = jsonschema::draft7::new(&schema(kind.name())).expect("the schema compiles");
        let instance = as_json(&f);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}:\n{}", rel.display(), errors.join("\n"));
    }
}

#[test]
fn the_schema_rejects_what_the_validator_rejects() {
    let validator = jsonschema::draft7::new(&schema("case-type")).expect("compiles");
    let mut doc = as_json(&workflows().join("cases/labour_dispute.yaml"));
    doc["stats"] = Value::Object(Default::default());
    assert!(!validator.is_valid(&doc), "unknown keys are rejected");
    let mut doc = as_json(&workflows().join("cases/labour_dispute.yaml"));
    doc["kind"] = Value::String("profesional".into());
    assert!(!validator.is_valid(&doc), "unknown kinds are rejected");
    let mut doc = as_json(&workflows().join("cases/labour_dispute.yaml"));
    doc["states"]["Bad-Key"] = doc["states"]["settled"].clone();
    assert!(!validator.is_valid(&doc), "keys that are not ids are rejected");
}

#[test]
fn the_committed_schemas_are_current() {
    let dir = yimen_tests::root().join("docs/schema");
    for kind in yimen_engine::schema::FileKind::ALL {
        let committed = std::fs::read_to_string(dir.join(format!("{}.json", kind.name()))).unwrap_or_else(|_| {
            panic!(
                "docs/schema/{}.json is missing; run `yimen schema --out docs/schema`",
                kind.name()
            )
        });
        let committed: Value = serde_json::from_str(&committed).expect("json");
        assert_eq!(
            committed,
            kind.schema(),
            "docs/schema/{}.json is stale; run `yimen schema --out docs/schema`",
            kind.name()
        );
    }
}

#[test]
fn a_reader_that_has_gone_ends_the_command_quietly() {
    use std::process::Stdio;
    // `yimen schema | true`: the reader is gone before the first line is written.
    let mut child = crate::yimen()
        .args(["schema", "--kind", "case-type"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let result = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // It ends as Unix tools do on a broken pipe (141), never by a panic (101).
    assert_eq!(result.status.code(), Some(141), "{stderr}");
}
