//! Workflow authoring and account management through the API and the pages: validation with
//! located diagnostics, scenarios that guard a deploy, a deploy that gives new cases a new
//! version while running cases keep theirs, a diff; accounts added, stopped, re-keyed.

mod common;

use common::per_backend;

use common::App;
use serde_json::json;

const ID: &str = "service_request_12345";

/// A 12345 request as the clerk registers it.
fn open_again() -> serde_json::Value {
    json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯"}})
}

async fn source(app: &App) -> String {
    let r = app
        .send(Some("admin_qin"), "GET", &format!("/api/v1/workflows/{ID}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["source"].as_str().expect("source").to_owned()
}

per_backend!(a_broken_edit_is_reported_at_its_line_and_changes_nothing);
async fn a_broken_edit_is_reported_at_its_line_and_changes_nothing(backend: &str) {
    let app = App::on(backend).await;
    let original = source(&app).await;
    let broken = original.replacen("to: dispatched", "to: dispached", 1);
    assert_ne!(broken, original);
    let line = broken
        .lines()
        .position(|l| l.contains("to: dispached"))
        .expect("the edit")
        + 1;
    let r = app
        .json(
            "admin_qin",
            "POST",
            &format!("/api/v1/workflows/{ID}/validate"),
            json!({"source": broken}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let doc = r.json();
    assert_eq!(doc["code"], "invalid_workflow");
    let d = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["severity"] == "error")
        .expect("an error");
    assert_eq!(d["file"], format!("cases/{ID}.yaml"));
    assert_eq!(d["line"].as_u64(), Some(line as u64), "{d}");
    assert!(d["message"].as_str().expect("message").contains("dispached"), "{d}");
    // The page shows the same diagnostic as a link to its line.
    let page = app
        .form(
            "admin_qin",
            &format!("/admin/workflows/{ID}/check"),
            &[("source", &broken), ("do", "deploy")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains(&format!("data-line=\"{line}\"")),
        "a jump link to line {line}"
    );
    // Nothing was deployed or written.
    assert_eq!(source(&app).await, original);
    let list = app
        .send(Some("admin_qin"), "GET", "/api/v1/workflows", None)
        .await
        .json();
    let me = list["workflows"]
        .as_array()
        .expect("list")
        .iter()
        .find(|w| w["id"] == ID)
        .expect("listed")
        .clone();
    assert_eq!(me["current"], 1);
}

per_backend!(a_deploy_runs_the_scenarios_first_and_running_cases_keep_their_version);
async fn a_deploy_runs_the_scenarios_first_and_running_cases_keep_their_version(backend: &str) {
    let app = App::on(backend).await;
    let original = source(&app).await;
    // A longer time limit breaks the scenarios that expect the three-day due instant: refused.
    let slower = original.replacen("budget: 3 working days", "budget: 5 working days", 1);
    assert_ne!(slower, original);
    let r = app
        .json(
            "admin_qin",
            "POST",
            &format!("/api/v1/workflows/{ID}/deploy"),
            json!({"source": slower}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["code"], "scenarios_failed");
    assert!(
        r.json()["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .any(|s| s["ok"] == false)
    );
    assert_eq!(source(&app).await, original, "the file is untouched");

    // A case running on version 1.
    let open = json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯"}});
    let r = app.json("clerk_wang", "POST", "/api/v1/cases", open.clone()).await;
    let old = r.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(r.json()["definition_version"], 1);

    // A harmless edit deploys as version 2, from the page.
    let renamed = original.replacen("已派单待签收", "已派单（待签收）", 1);
    let page = app
        .form(
            "admin_qin",
            &format!("/admin/workflows/{ID}/check"),
            &[("source", &renamed), ("do", "deploy")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body.chars().take(500).collect::<String>());
    assert!(page.body.contains("v2"));
    assert_eq!(source(&app).await, renamed, "the file was written back");
    let r = app.json("clerk_wang", "POST", "/api/v1/cases", open).await;
    assert_eq!(r.json()["definition_version"], 2, "new cases start on the new version");
    let r = app
        .send(Some("admin_qin"), "GET", &format!("/api/v1/cases/{old}"), None)
        .await;
    assert_eq!(r.json()["definition_version"], 1, "the running case keeps its version");
    let r = app
        .json(
            "clerk_wang",
            "POST",
            &format!("/api/v1/cases/{old}/actions/dispatch"),
            json!({"fields": {"handling_department": "hotline_12345"}}),
        )
        .await;
    assert_eq!(r.status, 200, "and still moves on it: {}", r.body);

    // The same text again makes no version; the diff shows the change.
    let r = app
        .json(
            "admin_qin",
            "POST",
            &format!("/api/v1/workflows/{ID}/deploy"),
            json!({"source": renamed}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["version"].as_i64(), r.json()["created"].as_bool()),
        (Some(2), Some(false))
    );
    let d = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/workflows/{ID}/diff?from=1&to=2"),
            None,
        )
        .await;
    assert_eq!(d.status, 200);
    assert!(
        d.body.contains("-  dispatched: { name: { zh-CN: 已派单待签收")
            && d.body.contains("+  dispatched: { name: { zh-CN: 已派单（待签收）"),
        "{}",
        d.body
    );
    let page = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/admin/workflows/{ID}/diff?from=1&to=2"),
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    // The diff shows one line per line: no blank line after each.
    assert!(!page.body.contains("</span>\n<span"), "{}", page.body);
    assert!(
        page.body
            .contains("<span class=\"del\">-  dispatched: { name: { zh-CN: 已派单待签收"),
        "{}",
        page.body
    );
    // Back to version 1 from the page: new cases start on it again, the file holds its text,
    // and the case opened on version 2 keeps version 2.
    let on_two = app.json("clerk_wang", "POST", "/api/v1/cases", open_again()).await;
    let on_two = on_two.json()["id"].as_str().expect("id").to_owned();
    let back = app
        .form(
            "admin_qin",
            &format!("/admin/workflows/{ID}/rollback"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body.chars().take(500).collect::<String>());
    assert!(
        back.body.contains("已恢复：新案件按 v1 办理。"),
        "{}",
        back.body.chars().take(2000).collect::<String>()
    );
    assert_eq!(source(&app).await, original, "the file holds version 1's text again");
    let r = app.json("clerk_wang", "POST", "/api/v1/cases", open_again()).await;
    assert_eq!(r.json()["definition_version"], 1, "new cases start on version 1 again");
    let r = app
        .send(Some("admin_qin"), "GET", &format!("/api/v1/cases/{on_two}"), None)
        .await;
    assert_eq!(r.json()["definition_version"], 2, "the running case keeps its version");
    let missing = app
        .form(
            "admin_qin",
            &format!("/admin/workflows/{ID}/rollback"),
            &[("version", "99")],
        )
        .await;
    assert_eq!(missing.status, 404);
    // The deploy is in the audit log.
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=admin_qin", None)
        .await
        .json();
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "workflow_deployed" && e["target"] == ID)
    );
    // The diagram is drawn, of the current version (version 1 again).
    let svg = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/workflows/{ID}/diagram"),
            None,
        )
        .await;
    assert!(
        svg.body.starts_with("<svg") && svg.body.contains("已派单待签收") && !svg.body.contains("已派单（待签收）")
    );
}

per_backend!(an_admin_adds_stops_and_rekeys_an_account);
async fn an_admin_adds_stops_and_rekeys_an_account(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/users",
            json!({"id": "new.clerk", "name": "新窗口", "roles": ["intake_clerk"], "department": "governance_centre"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let password = r.json()["password"].as_str().expect("password").to_owned();
    let sign_in = |p: String| {
        let app = &app;
        async move {
            app.send(
                None,
                "POST",
                "/api/v1/session",
                Some((
                    "application/json",
                    json!({"user": "new.clerk", "password": p}).to_string(),
                )),
            )
            .await
            .status
        }
    };
    assert_eq!(sign_in(password.clone()).await, 200);
    // Refused: a role the organisation lacks, a taken id, a bad id, stopping oneself.
    for (body, code) in [
        (json!({"id": "x1", "roles": ["emperor"]}), 422),
        (json!({"id": "new.clerk", "roles": ["intake_clerk"]}), 409),
        (json!({"id": "a b", "roles": ["intake_clerk"]}), 422),
    ] {
        assert_eq!(app.json("admin_qin", "POST", "/api/v1/users", body).await.status, code);
    }
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/users/admin_qin/active",
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, 409);
    // Stopped: the password no longer signs in.
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/users/new.clerk/active",
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(sign_in(password.clone()).await, 401);
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/users/new.clerk/active",
            json!({"active": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Re-keyed: the old password is gone, the new one works.
    let r = app
        .json("admin_qin", "POST", "/api/v1/users/new.clerk/password", json!({}))
        .await;
    let fresh = r.json()["password"].as_str().expect("password").to_owned();
    assert_ne!(fresh, password);
    assert_eq!(sign_in(password).await, 401);
    assert_eq!(sign_in(fresh).await, 200);
    let users = app.send(Some("admin_qin"), "GET", "/api/v1/users", None).await.json();
    let me = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["id"] == "new.clerk")
        .expect("listed")
        .clone();
    assert_eq!(
        (me["active"].as_bool(), me["roles"][0].as_str()),
        (Some(true), Some("intake_clerk"))
    );
    assert!(!users.to_string().contains("argon2"), "no password hash is ever listed");
}

#[tokio::test]
async fn the_diagram_draws_the_text_being_edited_before_it_is_deployed() {
    let app = App::start().await;
    let original = source(&app).await;
    let edited = original.replacen("已派单待签收", "已派单（待签收·草稿）", 1);
    assert_ne!(edited, original);
    let page = app
        .form(
            "admin_qin",
            &format!("/admin/workflows/{ID}/check"),
            &[("source", &edited), ("do", "validate")],
        )
        .await;
    assert_eq!(page.status, 200);
    let diagram = &page.body[page.body.find("class=\"diagram\"").expect("diagram")..];
    let diagram = &diagram[..diagram.find("</svg>").expect("svg")];
    assert!(diagram.contains("已派单（待签收·草稿）"), "{diagram}");
    assert!(page.body.contains("流程图按正在编辑的内容绘制（尚未发布）。"));
    // Nothing deployed: the page as it is drawn afresh shows the deployed names.
    let fresh = app
        .send(Some("admin_qin"), "GET", &format!("/admin/workflows/{ID}"), None)
        .await;
    assert!(!fresh.body.contains("草稿") && !fresh.body.contains("尚未发布"));
}
