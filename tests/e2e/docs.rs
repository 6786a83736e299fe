//! The documentation keeps up with the format: every key in every schema is described in
//! `docs/workflow-format.md`, and every diagnostic code in `docs/diagnostics.md`.

use std::collections::BTreeSet;

use serde_json::Value;
use yimen_engine::schema::FileKind;
use yimen_tests::root;

fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                out.extend(props.keys().cloned());
            }
            if let Some(Value::Array(req)) = m.get("required") {
                out.extend(req.iter().filter_map(|r| r.as_str().map(str::to_owned)));
            }
            m.values().for_each(|x| keys(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[test]
fn every_schema_key_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/workflow-format.md")).expect("docs/workflow-format.md");
    let mut all = BTreeSet::new();
    for kind in FileKind::ALL {
        keys(&kind.schema(), &mut all);
    }
    let missing: Vec<&String> = all.iter().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(
        missing.is_empty(),
        "undocumented keys in docs/workflow-format.md: {missing:?}"
    );
}

#[test]
fn every_diagnostic_code_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    let mut codes = BTreeSet::new();
    collect_codes(&root().join("engine/src"), &mut codes);
    collect_codes(&root().join("engine/core/src"), &mut codes);
    assert!(codes.len() > 30, "{codes:?}");
    let missing: Vec<&String> = codes.iter().filter(|c| !doc.contains(&format!("### {c}"))).collect();
    assert!(
        missing.is_empty(),
        "undocumented codes in docs/diagnostics.md: {missing:?}"
    );
}

fn collect_codes(dir: &std::path::Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect_codes(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).expect("read");
            let bytes = text.as_bytes();
            for (i, _) in text.match_indices("\"Y0") {
                if let Some(code) = text.get(i + 1..i + 6)
                    && code[1..].bytes().all(|b| b.is_ascii_digit())
                    && bytes.get(i + 6) == Some(&b'"')
                {
                    out.insert(code.to_owned());
                }
            }
        }
    }
}
