//! Case-list exports read back by real readers: Python's `csv` module for the CSV (UTF-8 with a
//! byte-order mark) and openpyxl for the Excel workbook. A role that sees personal data gets it
//! whole; one that does not gets it masked, in both files.

use std::process::Command;

use serde_json::{Value, json};

use crate::smtp::python;
use crate::support::Server;

/// Downloads `path` with `token` and reads it with the reader for `kind` (`csv` or `xlsx`):
/// the rows, as Python read them.
fn read_back(addr: &str, token: &str, path: &str, kind: &str) -> Vec<Vec<String>> {
    let script = r#"
import csv, io, json, sys, urllib.request
addr, token, path, kind = sys.argv[1:5]
req = urllib.request.Request(f"http://{addr}{path}", headers={"Authorization": f"Bearer {token}"})
with urllib.request.urlopen(req) as r:
    data = r.read()
    ctype = r.headers.get("Content-Type", "")
if kind == "csv":
    assert data.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    assert ctype.startswith("text/csv"), ctype
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
else:
    import openpyxl
    assert "spreadsheetml" in ctype, ctype
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else str(v) for v in row] for row in book.active.iter_rows(values_only=True)]
print(json.dumps(rows, ensure_ascii=False))
"#;
    let out = Command::new(python())
        .args(["-c", script, addr, token, path, kind])
        .output()
        .expect("python runs (scripts/test.sh makes its venv)");
    assert!(out.status.success(), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("rows as JSON")
}

#[test]
fn exports_are_read_by_real_readers_with_personal_data_masked_by_role() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let mut numbers = Vec::new();
    for (i, employer) in ["某某水产公司", "东港渔业, \"急\"", "=HYPERLINK(\"x\")"]
        .iter()
        .enumerate()
    {
        let r = clerk.post(
            "/api/v1/cases",
            &json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
                "applicant": format!("张{i}某"), "applicant_phone": format!("1380013800{i}"),
                "employer": employer, "category": "wages", "facts": "拖欠工资三个月"}}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        numbers.push(r.json()["number"].as_str().expect("number").to_owned());
    }
    let list = clerk.get("/api/v1/cases?case_type=labour_dispute&sort=oldest").json();
    assert_eq!(list["cases"].as_array().map(Vec::len), Some(3), "{list}");

    for kind in ["csv", "xlsx"] {
        // The clerk sees personal data: whole.
        let path = format!("/api/v1/cases?case_type=labour_dispute&sort=oldest&format={kind}");
        let rows = read_back(&server.addr, &server.token("clerk_wang"), &path, kind);
        assert_eq!(rows.len(), 4, "{kind}: a header and three cases: {rows:?}");
        assert_eq!(rows[0][0], "案件编号", "{kind}: the header in the centre's language");
        let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
        let (number, citizen, phone, summary) = (col("案件编号"), col("当事人"), col("联系电话"), col("事由"));
        for (i, n) in numbers.iter().enumerate() {
            assert_eq!(&rows[i + 1][number], n, "{kind}");
            assert_eq!(rows[i + 1][citizen], format!("张{i}某"), "{kind}");
            assert_eq!(rows[i + 1][phone], format!("1380013800{i}"), "{kind}");
        }
        // Commas and quotes survive; a formula is kept as text, never run.
        assert_eq!(rows[2][summary], "东港渔业, \"急\"", "{kind}");
        if kind == "csv" {
            assert_eq!(rows[3][summary], "'=HYPERLINK(\"x\")", "{kind}");
        } else {
            assert_eq!(
                rows[3][summary], "=HYPERLINK(\"x\")",
                "{kind}: a string cell, not a formula"
            );
        }
        // The centre's supervisor sees every case but no personal data: masked.
        let rows = read_back(&server.addr, &server.token("supervisor_han"), &path, kind);
        assert_eq!(rows.len(), 4, "{kind}: {rows:?}");
        for r in &rows[1..] {
            assert!(!r[citizen].is_empty() && r[citizen].contains('*'), "{kind}: {r:?}");
            assert!(
                r[phone].contains('*') && !r[phone].contains("13800138000"),
                "{kind}: {r:?}"
            );
        }
    }
    let v: Value = clerk.get("/api/v1/cases?format=pdf").json();
    assert_eq!(v["code"], "bad_query", "{v}");
    server.signal("-TERM");
    assert!(server.wait().0.success());
}
