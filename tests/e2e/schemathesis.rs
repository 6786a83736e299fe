//! The OpenAPI document and the server agree: schemathesis (PyPI) generates requests from the
//! document served at `/api/v1/openapi.json` and sends them to a real `serve`, as an admin and
//! as a grid worker. It fails on any server error, any answer with a status or content type the
//! document does not list, and any request the document says is invalid that the server
//! accepts. (Requests the schema allows but the centre's data refuses — an unknown channel, a
//! workflow with errors — are not counted against it: JSON Schema cannot know the centre.)
//!
//! The budget is `YIMEN_SCHEMATHESIS_EXAMPLES` cases per operation (10 by default) with a fixed
//! seed (`YIMEN_SCHEMATHESIS_SEED`), so a failure found here is found again.

use std::path::PathBuf;
use std::process::Command;

use crate::support::Server;

fn schemathesis() -> PathBuf {
    let python = PathBuf::from(crate::smtp::python());
    python.with_file_name("schemathesis")
}

#[test]
fn the_api_answers_as_its_openapi_document_says_for_an_admin_and_a_grid_worker() {
    let exe = schemathesis();
    assert!(
        exe.is_file(),
        "schemathesis is not installed beside {} (scripts/test.sh installs it)",
        crate::smtp::python()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    // Deploying from the API writes the workflows back: give the server its own copy.
    let wf = dir.path().join("workflows");
    yimen_tests::copy_dir(&yimen_tests::workflows(), &wf);
    let wf = wf.to_str().expect("path").to_owned();
    let db = format!("sqlite://{}", dir.path().join("st.db").display());
    let server = Server::start(&db, &["--workflows", &wf]);
    let examples = std::env::var("YIMEN_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".into());
    let seed = std::env::var("YIMEN_SCHEMATHESIS_SEED").unwrap_or_else(|_| "2026".into());
    let url = format!("http://{}/api/v1/openapi.json", server.addr);
    for user in ["admin_qin", "grid_chen"] {
        let token = server.token(user);
        let out = Command::new(&exe)
            // Its cache of what it found stays with the run, not in the work tree.
            .current_dir(dir.path())
            .args(["run", &url, "--no-color", "--max-examples", &examples, "--seed", &seed])
            // Its default of 10 s a request would be a timing assertion: a deploy loads the
            // whole bundle (a debug build, on a machine running the rest of the suite). Speed
            // is measured in the benchmarks; here only the answers count.
            .args(["--request-timeout", "60"])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,negative_data_rejection",
            ])
            // A reset or a stop would end the very token the run uses (tested in admin/tests).
            .args(["--exclude-operation-id", "post_api_v1_users__id__password"])
            .args(["--exclude-operation-id", "post_api_v1_users__id__active"])
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis as {user} found failures:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ran = text
            .lines()
            .skip_while(|l| !l.starts_with("Test cases:"))
            .nth(1)
            .unwrap_or_default();
        assert!(ran.contains("generated") && ran.contains("passed"), "as {user}: {text}");
        println!("schemathesis as {user}: {}", ran.trim());
    }
    drop(server);
}
