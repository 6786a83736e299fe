//! The access matrix: every route (API and pages) with every role. The expected rule of each
//! route is written here, apart from the code that enforces it; a route added to the
//! application without a line here fails the suite, and so does a rule that lets the wrong
//! roles in or keeps the right ones out.

mod common;

use common::per_backend;

use std::collections::BTreeMap;

use common::App;
use serde_json::json;
use yimen_http::DENIED_BY;

/// (method, path, who may call it): `public`, `signed_in`, `oversight` (supervisors, department
/// heads, admins) or `admin`.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "public"),
    ("GET", "/metrics", "admin"),
    ("GET", "/api/v1/openapi.json", "public"),
    ("POST", "/api/v1/session", "public"),
    ("GET", "/api/v1/session", "signed_in"),
    ("DELETE", "/api/v1/session", "signed_in"),
    ("GET", "/api/v1/case-types", "signed_in"),
    ("GET", "/api/v1/matters", "signed_in"),
    ("POST", "/api/v1/cases", "signed_in"),
    ("GET", "/api/v1/cases", "signed_in"),
    ("GET", "/api/v1/cases/{id}", "signed_in"),
    ("POST", "/api/v1/cases/{id}/reveal", "signed_in"),
    ("POST", "/api/v1/cases/{id}/actions/{action}", "signed_in"),
    ("POST", "/api/v1/cases/{id}/comments", "signed_in"),
    ("POST", "/api/v1/cases/{id}/visits", "signed_in"),
    ("GET", "/api/v1/cases/{id}/timeline", "signed_in"),
    ("POST", "/api/v1/cases/{id}/extend", "signed_in"),
    ("POST", "/api/v1/cases/{id}/escalate", "signed_in"),
    ("GET", "/api/v1/cases/{id}/notifications", "signed_in"),
    ("POST", "/api/v1/supervision/{record}/answer", "signed_in"),
    ("POST", "/api/v1/supervision/{record}/review", "oversight"),
    ("POST", "/api/v1/cases/search", "signed_in"),
    ("POST", "/api/v1/attachments", "signed_in"),
    ("GET", "/api/v1/cases/{id}/attachments", "signed_in"),
    ("POST", "/api/v1/cases/{id}/attachments", "signed_in"),
    ("GET", "/api/v1/cases/{id}/attachments/{file}", "signed_in"),
    ("GET", "/api/v1/cases/{id}/attachments/{file}/thumbnail", "signed_in"),
    ("GET", "/api/v1/audit", "admin"),
    ("GET", "/api/v1/deliveries/failed", "admin"),
    ("POST", "/api/v1/deliveries/retry", "admin"),
    ("GET", "/api/v1/sms/reports", "public"),
    ("GET", "/api/v1/jobs", "oversight"),
    ("POST", "/api/v1/jobs/{job}/run", "admin"),
    ("GET", "/api/v1/reports/{job}/{period}", "oversight"),
    ("GET", "/api/v1/reports/{job}/{period}/html", "oversight"),
    ("GET", "/api/v1/reports/{job}/{period}/csv", "oversight"),
    ("GET", "/api/v1/inbox", "signed_in"),
    ("POST", "/api/v1/tasks/{task}/claim", "signed_in"),
    ("POST", "/api/v1/tasks/{task}/release", "signed_in"),
    ("POST", "/api/v1/tasks/{task}/reassign", "signed_in"),
    ("GET", "/api/v1/tasks/unstaffed", "signed_in"),
    ("POST", "/api/v1/tasks/bulk", "signed_in"),
    ("GET", "/api/v1/team", "signed_in"),
    ("GET", "/api/v1/absences", "signed_in"),
    ("POST", "/api/v1/absences", "signed_in"),
    ("POST", "/api/v1/absences/{id}/cancel", "signed_in"),
    ("POST", "/api/v1/tasks/{task}/complete", "signed_in"),
    ("GET", "/api/v1/users", "admin"),
    ("POST", "/api/v1/users", "admin"),
    ("POST", "/api/v1/users/{id}/password", "admin"),
    ("POST", "/api/v1/users/{id}/active", "admin"),
    ("POST", "/api/v1/users/{id}/unlock", "admin"),
    ("GET", "/api/v1/users/{id}/tokens", "admin"),
    ("POST", "/api/v1/users/{id}/tokens", "admin"),
    ("DELETE", "/api/v1/users/{id}/tokens/{name}", "admin"),
    ("GET", "/api/v1/workflows", "admin"),
    ("GET", "/api/v1/workflows/{id}", "admin"),
    ("GET", "/api/v1/workflows/{id}/diagram", "admin"),
    ("POST", "/api/v1/workflows/{id}/validate", "admin"),
    ("POST", "/api/v1/workflows/{id}/deploy", "admin"),
    ("GET", "/api/v1/workflows/{id}/diff", "admin"),
    ("GET", "/open311/v2/{resource}", "public"),
    ("POST", "/open311/v2/{resource}", "public"),
    ("GET", "/open311/v2/services/{code}", "public"),
    ("GET", "/open311/v2/requests/{id}", "public"),
    ("GET", "/", "public"),
    ("GET", "/static/{file}", "public"),
    ("GET", "/lang/{lang}", "public"),
    ("GET", "/login", "public"),
    ("POST", "/login", "public"),
    ("POST", "/logout", "signed_in"),
    ("GET", "/inbox", "signed_in"),
    ("POST", "/tasks/{task}/reassign", "signed_in"),
    ("POST", "/tasks/bulk", "signed_in"),
    ("GET", "/team", "signed_in"),
    ("GET", "/away", "signed_in"),
    ("POST", "/away", "signed_in"),
    ("POST", "/away/{id}/cancel", "signed_in"),
    ("POST", "/tasks/{task}/claim", "signed_in"),
    ("POST", "/tasks/{task}/release", "signed_in"),
    ("GET", "/intake", "signed_in"),
    ("GET", "/intake/{case_type}", "signed_in"),
    ("POST", "/intake/{case_type}", "signed_in"),
    ("GET", "/cases", "signed_in"),
    ("POST", "/cases/person", "signed_in"),
    ("GET", "/cases/{id}", "signed_in"),
    ("GET", "/cases/{id}/receipt", "signed_in"),
    ("POST", "/cases/{id}/act", "signed_in"),
    ("POST", "/cases/{id}/attachments", "signed_in"),
    ("GET", "/cases/{id}/attachments/{file}", "signed_in"),
    ("GET", "/cases/{id}/attachments/{file}/thumbnail", "signed_in"),
    ("POST", "/cases/{id}/comment", "signed_in"),
    ("POST", "/cases/{id}/visit", "signed_in"),
    ("POST", "/cases/{id}/reveal", "signed_in"),
    ("POST", "/cases/{id}/extend", "signed_in"),
    ("POST", "/cases/{id}/escalate", "signed_in"),
    ("POST", "/supervision/{record}/answer", "signed_in"),
    ("POST", "/supervision/{record}/review", "oversight"),
    ("GET", "/supervision", "oversight"),
    ("GET", "/reports", "oversight"),
    ("GET", "/reports/{job}/{period}", "oversight"),
    ("GET", "/admin/workflows", "admin"),
    ("GET", "/admin/workflows/{id}", "admin"),
    ("POST", "/admin/workflows/{id}/check", "admin"),
    ("GET", "/admin/workflows/{id}/diff", "admin"),
    ("POST", "/admin/workflows/{id}/rollback", "admin"),
    ("GET", "/admin/ops", "admin"),
    ("GET", "/admin/deliveries", "admin"),
    ("POST", "/admin/deliveries/retry", "admin"),
    ("GET", "/admin/privacy", "admin"),
    ("POST", "/admin/privacy", "admin"),
    ("POST", "/admin/privacy/export", "admin"),
    ("POST", "/admin/privacy/hold", "admin"),
    ("GET", "/admin/jobs", "admin"),
    ("POST", "/admin/jobs/run", "admin"),
    ("GET", "/admin/users", "admin"),
    ("POST", "/admin/users", "admin"),
    ("POST", "/admin/users/{id}/password", "admin"),
    ("POST", "/admin/users/{id}/active", "admin"),
    ("POST", "/admin/users/{id}/unlock", "admin"),
    ("GET", "/admin/users/{id}/tokens", "admin"),
    ("POST", "/admin/users/{id}/tokens", "admin"),
    ("POST", "/admin/users/{id}/tokens/revoke", "admin"),
    ("GET", "/admin/audit", "admin"),
];

per_backend!(every_route_has_a_rule_in_the_matrix_and_it_is_the_enforced_one);
async fn every_route_has_a_rule_in_the_matrix_and_it_is_the_enforced_one(backend: &str) {
    let app = App::on(backend).await;
    let table: BTreeMap<(String, String), String> = app
        .routes
        .iter()
        .map(|r| ((r.method.to_owned(), r.path.to_owned()), r.access.as_str().to_owned()))
        .collect();
    let matrix: BTreeMap<(String, String), String> = MATRIX
        .iter()
        .map(|(m, p, a)| (((*m).to_owned(), (*p).to_owned()), (*a).to_owned()))
        .collect();
    let missing: Vec<_> = table.keys().filter(|k| !matrix.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "routes without a line in the access matrix: {missing:?}"
    );
    let gone: Vec<_> = matrix.keys().filter(|k| !table.contains_key(*k)).collect();
    assert!(gone.is_empty(), "matrix lines for routes that do not exist: {gone:?}");
    for (k, rule) in &table {
        assert_eq!(&matrix[k], rule, "{k:?}");
    }
}

/// Whether a role's holder passes a rule, from the role's own flags in the organisation.
fn allowed(app: &App, role: Option<&str>, rule: &str) -> bool {
    let Some(role) = role else { return rule == "public" };
    let r = &app.engine.org().file.roles[role];
    match rule {
        "public" | "signed_in" => true,
        "oversight" => r.admin || r.supervision_level.is_some() || r.heads_department,
        "admin" => r.admin,
        other => panic!("unknown rule {other}"),
    }
}

per_backend!(every_role_gets_what_each_route_allows_and_a_403_otherwise);
async fn every_role_gets_what_each_route_allows_and_a_403_otherwise(backend: &str) {
    let app = App::on(backend).await;
    // A case with a task and a supervision record, for the routes that name one.
    let opened = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯不亮"}}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "clerk_wang",
            "POST",
            &format!("/api/v1/cases/{id}/actions/dispatch"),
            json!({"fields": {"handling_department": "hotline_12345"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/escalate"),
            json!({"reason": "超时未办结"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let case = r.json();
    let task = case["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["state"] == "open")
        .expect("an open task")["id"]
        .as_str()
        .expect("task id")
        .to_owned();
    let record = case["supervision"][0]["id"].as_str().expect("record").to_owned();
    let fill = |path: &str| {
        path.replace("{id}", &id)
            .replace("{task}", &task)
            .replace("{record}", &record)
            .replace("{action}", "reply")
            .replace("{job}", "monthly_bulletin")
            .replace("{period}", "2026-11")
            .replace("{file}", "app.css")
            .replace("{lang}", "en")
            .replace("{case_type}", "service_request_12345")
            .replace("{code}", "service_request_12345.json")
            .replace("{resource}", "services.json")
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    let mut who: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    who.extend(
        app.by_role
            .iter()
            .map(|(role, user)| (Some(role.clone()), Some(user.clone()))),
    );
    for (method, path, rule) in MATRIX {
        // Signing out ends the token's session only for cookies; the token stays valid.
        for (role, user) in &who {
            let url = match *path {
                // An admin page about an account: the admin's own, so nothing changes for others.
                p if p.starts_with("/admin/users/{id}") || p.starts_with("/api/v1/users/{id}") => {
                    p.replace("{id}", user.as_deref().unwrap_or("nobody"))
                }
                // A case type's authoring pages and API.
                p if p.starts_with("/admin/workflows/{id}") || p.starts_with("/api/v1/workflows/{id}") => {
                    p.replace("{id}", "service_request_12345")
                }
                p => fill(p),
            };
            // Keep the accounts usable: no route may stop or re-key the account that calls it.
            let url = if url.ends_with("/active") || url.ends_with("/password") {
                url.replace(user.as_deref().unwrap_or("nobody"), "nobody")
            } else {
                url
            };
            let body = match *method {
                "POST" if url.starts_with("/api/") || url.starts_with("/open311/") => {
                    Some(("application/json", "{}".to_owned()))
                }
                "POST" => Some(("application/x-www-form-urlencoded", String::new())),
                _ => None,
            };
            let r = app.send(user.as_deref(), method, &url, body).await;
            let denied_by_rule = r.headers.contains_key(DENIED_BY);
            // The guard's own 401 (a handler may answer 401 for a wrong password).
            let unauthenticated = r.status == 401 && r.body.contains("\"code\":\"unauthenticated\"");
            let ok = if allowed(&app, role.as_deref(), rule) {
                !denied_by_rule && !unauthenticated
            } else if user.is_none() {
                // Without credentials: 401 for the API, the sign-in page for pages.
                unauthenticated
                    || (r.status == 303
                        && r.headers
                            .get("location")
                            .is_some_and(|l| l.to_str().is_ok_and(|l| l.starts_with("/login"))))
            } else {
                r.status == 403 && denied_by_rule
            };
            checked += 1;
            if !ok {
                wrong.push(format!(
                    "{method} {url} as {role:?}: {} {}",
                    r.status,
                    r.body.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    assert!(checked > 1000, "the matrix covered only {checked} requests");
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
}

per_backend!(another_department_or_unit_cannot_open_a_case_by_its_url);
async fn another_department_or_unit_cannot_open_a_case_by_its_url(backend: &str) {
    let app = App::on(backend).await;
    let opened = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {"applicant": "张三", "applicant_phone": "13800138000", "employer": "某水产公司", "category": "wages", "facts": "拖欠工资"}}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.json()["id"].as_str().expect("id").to_owned();
    // The opener, the handling department's head, the centre's supervisor and an admin see it.
    for user in [
        "clerk_wang",
        "head_labour",
        "supervisor_han",
        "admin_qin",
        "arbitrator_zhou",
    ] {
        let r = app.send(Some(user), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(r.status, 200, "{user}: {}", r.body);
        let page = app.send(Some(user), "GET", &format!("/cases/{id}"), None).await;
        assert_eq!(page.status, 200, "{user}");
        let receipt = app.send(Some(user), "GET", &format!("/cases/{id}/receipt"), None).await;
        assert_eq!(receipt.status, 200, "{user}");
        // The list shows exactly what the case's own page lets through.
        let list = app.send(Some(user), "GET", "/api/v1/cases", None).await;
        assert!(list.body.contains(&id), "{user}: the case is missing from their list");
    }
    // Staff of other departments, a grid worker in a community, a level-2 supervisor before the
    // case reached their level: refused, by the API and the page, and for every command.
    for user in [
        "handler_li",
        "grid_chen",
        "mediator_qian",
        "head_hotline",
        "supervisor_yang",
    ] {
        let r = app.send(Some(user), "GET", &format!("/api/v1/cases/{id}"), None).await;
        assert_eq!(r.status, 403, "{user}: {}", r.body);
        assert_eq!(r.json()["code"], "not_allowed");
        let page = app.send(Some(user), "GET", &format!("/cases/{id}"), None).await;
        assert_eq!(page.status, 403, "{user}");
        let receipt = app.send(Some(user), "GET", &format!("/cases/{id}/receipt"), None).await;
        assert_eq!(receipt.status, 403, "{user}");
        let list = app.send(Some(user), "GET", "/api/v1/cases", None).await;
        assert_eq!(list.status, 200, "{user}: {}", list.body);
        assert!(
            !list.body.contains(&id),
            "{user}: a case they may not see is in their list"
        );
        assert!(
            !page.body.contains("张三") && !page.body.contains("13800138000"),
            "{user} sees nothing of it"
        );
        for (path, body) in [
            (format!("/api/v1/cases/{id}/comments"), json!({"text": "x"})),
            (format!("/api/v1/cases/{id}/timeline"), json!({})),
            (format!("/api/v1/cases/{id}/notifications"), json!({})),
            (format!("/api/v1/cases/{id}/actions/start_mediation"), json!({})),
        ] {
            let method = if path.ends_with("timeline") || path.ends_with("notifications") {
                "GET"
            } else {
                "POST"
            };
            let r = if method == "GET" {
                app.send(Some(user), "GET", &path, None).await
            } else {
                app.json(user, "POST", &path, body).await
            };
            assert_eq!(r.status, 403, "{user} {path}: {}", r.body);
        }
        let page = app.form(user, &format!("/cases/{id}/comment"), &[("text", "x")]).await;
        assert_eq!(page.status, 403, "{user}");
    }
    // Nothing was changed by the refused requests: the history holds the opening only.
    let r = app
        .send(Some("admin_qin"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await;
    let kinds: Vec<String> = r.json()["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!kinds.contains(&"commented".to_owned()), "{kinds:?}");
}

per_backend!(personal_data_is_masked_for_roles_that_need_not_see_it_and_revealing_is_audited);
async fn personal_data_is_masked_for_roles_that_need_not_see_it_and_revealing_is_audited(backend: &str) {
    let app = App::on(backend).await;
    let opened = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {"applicant": "张三丰", "applicant_phone": "13800138000", "applicant_id": "110101199003071233", "employer": "某水产公司", "category": "wages", "facts": "拖欠工资"}}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let id = opened.json()["id"].as_str().expect("id").to_owned();
    // The clerk's role sees personal data; the centre's supervisor's does not.
    let clerk = app
        .send(Some("clerk_wang"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    assert_eq!(clerk["fields"]["applicant_phone"], "13800138000");
    let sup = app
        .send(Some("supervisor_han"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await;
    let doc = sup.json();
    assert_eq!(doc["fields"]["applicant_phone"], "138****8000");
    assert_eq!(doc["fields"]["applicant_id"], "110101********1233");
    assert_eq!(doc["fields"]["applicant"], "张**");
    assert_eq!(doc["personal_data_masked"], true);
    assert!(
        !sup.body.contains("13800138000") && !sup.body.contains("110101199003071233"),
        "nowhere in the document, history included"
    );
    let page = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(!page.body.contains("13800138000") && page.body.contains("138****8000"));
    // Revealing needs a reason, is written to the audit log, and shows the data.
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/reveal"),
            json!({"reason": "回访核实"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["fields"]["applicant_phone"], "13800138000");
    let page = app
        .form(
            "supervisor_han",
            &format!("/cases/{id}/reveal"),
            &[("reason", "电话回访")],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("13800138000"));
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=supervisor_han", None)
        .await
        .json();
    let reveals: Vec<&serde_json::Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "personal_data_revealed")
        .collect();
    assert_eq!(reveals.len(), 2, "{audit}");
    assert!(reveals.iter().all(|e| e["target"] == id.as_str()));
    assert!(reveals.iter().any(|e| e["detail"] == "回访核实"));
    // Someone who may not see the case cannot reveal it either, and nothing is logged.
    let r = app
        .json(
            "handler_li",
            "POST",
            &format!("/api/v1/cases/{id}/reveal"),
            json!({"reason": "好奇"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=handler_li", None)
        .await
        .json();
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["action"] != "personal_data_revealed")
    );
}
