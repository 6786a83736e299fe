//! The jobs page and API say what happened: a run by hand is in the ledger at once, and each job
//! says when it runs next.

mod common;

use common::App;
use serde_json::json;

#[tokio::test]
async fn a_run_by_hand_is_in_the_ledger_and_every_job_says_when_it_runs_next() {
    let app = App::start().await;
    let before = app.send(Some("admin_qin"), "GET", "/api/v1/jobs", None).await.json();
    assert_eq!(before["runs"], json!([]), "{before}");
    for j in before["jobs"].as_array().expect("jobs") {
        let next = j["next_run"].as_i64().unwrap_or_else(|| panic!("no next run: {j}"));
        assert!(next > chrono::Utc::now().timestamp_millis(), "{j}");
    }
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/jobs/monthly_bulletin/run",
            json!({"period": "2026-11"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"], "new");
    let after = app.send(Some("admin_qin"), "GET", "/api/v1/jobs", None).await.json();
    let runs = after["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{after}");
    assert_eq!(
        (runs[0]["job"].clone(), runs[0]["period"].clone()),
        (json!("monthly_bulletin"), json!("2026-11"))
    );
    let page = app.send(Some("admin_qin"), "GET", "/admin/jobs", None).await;
    assert!(
        page.body.contains("下次运行时间") && page.body.contains("运行记录"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(">done<") && !page.body.contains(">by_hand<"),
        "no raw state: {}",
        page.body
    );
}
