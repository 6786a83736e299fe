//! The case API as a client uses it: a case walked to closure, conflicts, idempotency, and bad
//! input that gets a clear 4xx and changes nothing.

use serde_json::{Value, json};

use crate::support::{Client, Server};
use crate::{run, stdout};

fn labour() -> Value {
    json!({
        "case_type": "labour_dispute",
        "channel": "window_labour",
        "fields": {
            "applicant": "张三",
            "applicant_phone": "13800138000",
            "employer": "某某水产公司",
            "category": "wages",
            "facts": "拖欠工资三个月"
        }
    })
}

fn case_count(db: &str) -> u64 {
    let out = run(&["audit", "verify", "--db", db, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    serde_json::from_slice::<Value>(&out.stdout).expect("json")["cases"]
        .as_u64()
        .expect("count")
}

/// `s` percent-encoded for a path segment.
pub(crate) fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn problem(r: &crate::support::Response, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
    assert_eq!(r.json()["code"], code, "{}", r.body);
}

#[test]
fn a_case_walks_from_intake_to_closure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let opened = clerk.post("/api/v1/cases", &labour());
    assert_eq!(opened.status, 201, "{}", opened.body);
    let case = opened.json();
    let id = case["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (case["state"].as_str(), case["version"].as_i64()),
        (Some("registered"), Some(1))
    );
    // The case has a number people can read out; it finds the case wherever an id does.
    let number = case["number"].as_str().expect("a case number").to_owned();
    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y");
    assert_eq!(number, format!("普治〔{year}〕00001号"));
    let by_number = clerk.get(&format!("/api/v1/cases/{}", percent(&number)));
    assert_eq!(by_number.status, 200, "{}", by_number.body);
    assert_eq!(by_number.json()["id"], id.as_str());
    let r = clerk.get(&format!("/api/v1/cases/{}", percent(&format!("普治〔{year}〕00002号"))));
    problem(&r, 404, "case_not_found");
    let r = clerk.post(
        &format!("/api/v1/cases/{}/comments", percent(&number)),
        &json!({"text": "按编号留言"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["id"], id.as_str());

    let r = clerk.post(
        &format!("/api/v1/cases/{id}/actions/start_mediation"),
        &json!({"expected_version": 2}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "mediating");

    // The mediator finds the task in the inbox of public legal service, mediator_grade1.
    let mediator = server.client("mediator_qian");
    let inbox = mediator.get("/api/v1/inbox").json();
    let task = inbox["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["case_id"] == id.as_str())
        .expect("the mediation task is in the inbox")["id"]
        .as_str()
        .expect("task id")
        .to_owned();
    assert_eq!(
        server.client("handler_li").get("/api/v1/inbox").json()["tasks"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let r = mediator.post(&format!("/api/v1/tasks/{task}/claim"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server
        .client("mediator_zhao")
        .post(&format!("/api/v1/tasks/{task}/claim"), &json!({}));
    problem(&r, 409, "task_state");
    let r = mediator.post(&format!("/api/v1/tasks/{task}/complete"), &json!({"action": "settle"}));
    problem(&r, 422, "missing_field");
    let r = mediator.post(
        &format!("/api/v1/tasks/{task}/complete"),
        &json!({"action": "settle", "fields": {"agreement": "分期支付"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "settled");

    let full = clerk.get(&format!("/api/v1/cases/{id}")).json();
    let kinds: Vec<&str> = full["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "commented",
            "action_taken",
            "task_claimed",
            "action_taken",
            "closed"
        ]
    );
    assert_eq!(full["history"][0]["number"], number.as_str());
    assert_eq!(full["history"][3]["actor"], "mediator_qian");

    let r = clerk.post(
        &format!("/api/v1/cases/{id}/actions/withdraw"),
        &json!({"comment": "撤回"}),
    );
    problem(&r, 409, "case_closed");
    server.signal("-TERM");
    assert!(server.wait().0.success());
    assert_eq!(case_count(&db), 1);
}

#[test]
fn a_stale_version_is_a_conflict_and_a_key_replays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let first = clerk
        .post_keyed("/api/v1/cases", &labour(), "intake-1")
        .expect("request");
    assert_eq!(first.status, 201);
    let again = clerk
        .post_keyed("/api/v1/cases", &labour(), "intake-1")
        .expect("request");
    assert_eq!(again.status, 200, "a replay answers 200 with the first result");
    assert_eq!(again.json()["id"], first.json()["id"]);
    let mut changed = labour();
    changed["fields"]["employer"] = json!("另一家公司");
    let other = clerk
        .post_keyed("/api/v1/cases", &changed, "intake-1")
        .expect("request");
    problem(&other, 422, "idempotency_key_reused");
    // The same key from another user is another key.
    let lawyer = server
        .client("handler_li")
        .post_keyed("/api/v1/cases", &labour(), "intake-1")
        .expect("request");
    assert_eq!(lawyer.status, 201);

    let id = first.json()["id"].as_str().expect("id").to_owned();
    let ok = clerk.post(
        &format!("/api/v1/cases/{id}/actions/start_mediation"),
        &json!({"expected_version": 1}),
    );
    assert_eq!(ok.status, 200);
    let stale = clerk.post(
        &format!("/api/v1/cases/{id}/actions/withdraw"),
        &json!({"expected_version": 1, "comment": "x"}),
    );
    problem(&stale, 409, "stale_version");
    server.signal("-TERM");
    assert!(server.wait().0.success());
    assert_eq!(case_count(&db), 2);
}

fn bad(c: &Client, method: &str, path: &str, body: Option<&[u8]>) -> crate::support::Response {
    c.send(method, path, body, &[]).expect("request")
}

#[test]
fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let opened = clerk.post("/api/v1/cases", &labour());
    let id = opened.json()["id"].as_str().expect("id").to_owned();

    problem(
        &bad(&clerk, "POST", "/api/v1/cases", Some(b"{\"case_type\": ")),
        400,
        "bad_json",
    );
    problem(&bad(&clerk, "POST", "/api/v1/cases", Some(b"[1, 2]")), 400, "bad_json");
    problem(
        &bad(
            &clerk,
            "POST",
            "/api/v1/cases",
            Some(b"{\"case_type\":\"x\",\"channel\":\"y\",\"extra\":1}"),
        ),
        400,
        "bad_json",
    );
    let big = vec![b' '; 10 * 1024 * 1024];
    problem(&bad(&clerk, "POST", "/api/v1/cases", Some(&big)), 413, "body_too_large");

    let mut unknown = labour();
    unknown["case_type"] = json!("tax_refund");
    problem(&clerk.post("/api/v1/cases", &unknown), 422, "unknown_case_type");
    let mut wrong = labour();
    wrong["fields"]["applicant_phone"] = json!(12345);
    problem(&clerk.post("/api/v1/cases", &wrong), 422, "invalid_field");
    let mut wrong = labour();
    wrong["fields"]["applicant_id"] = json!("110101199003071235");
    let r = clerk.post("/api/v1/cases", &wrong);
    problem(&r, 422, "invalid_field");
    assert!(r.json()["detail"].as_str().expect("detail").contains("applicant_id"));
    let mut wrong = labour();
    wrong["channel"] = json!("window_medical");
    problem(&clerk.post("/api/v1/cases", &wrong), 422, "wrong_channel");

    problem(
        &clerk.post(&format!("/api/v1/cases/{id}/actions/settle"), &json!({})),
        409,
        "wrong_state",
    );
    problem(
        &clerk.post(&format!("/api/v1/cases/{id}/actions/fly"), &json!({})),
        422,
        "unknown_action",
    );
    problem(
        &server
            .client("judge_wu")
            .post(&format!("/api/v1/cases/{id}/actions/start_mediation"), &json!({})),
        403,
        "not_allowed",
    );
    problem(
        &clerk.post("/api/v1/cases/no-such-case/actions/settle", &json!({})),
        404,
        "case_not_found",
    );
    problem(&clerk.get("/api/v1/cases/no-such-case"), 404, "case_not_found");
    problem(
        &server.client("").post("/api/v1/cases", &labour()),
        401,
        "unauthenticated",
    );
    problem(
        &server.client("mallory").post("/api/v1/cases", &labour()),
        401,
        "unauthenticated",
    );
    problem(&clerk.get("/api/v1/inbox?per_page=100000"), 400, "bad_query");
    problem(&clerk.get("/api/v1/inbox?state=lost"), 400, "bad_query");
    problem(
        &clerk.post(&format!("/api/v1/cases/{id}/comments"), &json!({"text": "   "})),
        422,
        "bad_text",
    );

    // Nothing above changed the case or created another.
    let case = clerk.get(&format!("/api/v1/cases/{id}")).json();
    assert_eq!(
        (case["version"].as_i64(), case["state"].as_str()),
        (Some(1), Some("registered"))
    );
    server.signal("-TERM");
    assert!(server.wait().0.success());
    assert_eq!(case_count(&db), 1);
}

#[test]
fn supervisors_see_what_will_fire_escalate_and_review_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let body = json!({
        "case_type": "service_request_12345",
        "channel": "hotline_12345",
        "fields": {"caller": "李某", "caller_phone": "13900000002", "category": "complaint", "content": "夜间施工噪音"}
    });
    let id = clerk.post("/api/v1/cases", &body).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let t = clerk.get(&format!("/api/v1/cases/{id}/timeline")).json();
    assert_eq!(t["sla_status"], "on_time", "{t}");
    let kinds: Vec<&str> = t["upcoming"]
        .as_array()
        .expect("upcoming")
        .iter()
        .filter_map(|u| u["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["sla_warning", "sla_due", "rung", "rung", "rung"], "{t}");

    // Level 1 opens a supervision record by hand; the department answers; the supervisor sends
    // it back, then accepts.
    problem(
        &server.client("handler_li").post(
            &format!("/api/v1/cases/{id}/escalate"),
            &json!({"reason": "超时未办结"}),
        ),
        403,
        "not_allowed",
    );
    let case = server
        .client("supervisor_han")
        .post(
            &format!("/api/v1/cases/{id}/escalate"),
            &json!({"reason": "超时未办结"}),
        )
        .json();
    let record = case["supervision"][0]["id"].as_str().expect("record").to_owned();
    assert_eq!(case["rungs"], json!(["centre_special"]));
    let handler = server.client("handler_li");
    let r = handler.post(
        &format!("/api/v1/supervision/{record}/answer"),
        &json!({"text": "已联系施工方"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let sup = server.client("supervisor_han");
    problem(
        &sup.post(
            &format!("/api/v1/supervision/{record}/review"),
            &json!({"accept": false}),
        ),
        422,
        "comment_required",
    );
    let r = sup.post(
        &format!("/api/v1/supervision/{record}/review"),
        &json!({"accept": false, "comment": "请说明整改时限"}),
    );
    assert_eq!(r.json()["supervision"][0]["state"], "returned");
    handler.post(
        &format!("/api/v1/supervision/{record}/answer"),
        &json!({"text": "周五前停工整改"}),
    );
    let r = sup.post(
        &format!("/api/v1/supervision/{record}/review"),
        &json!({"accept": true}),
    );
    assert_eq!(r.json()["supervision"][0]["state"], "accepted", "{}", r.body);

    // An extension by the department head moves the due instant.
    let before = clerk.get(&format!("/api/v1/cases/{id}/timeline")).json();
    let due = |t: &Value| {
        t["upcoming"]
            .as_array()
            .and_then(|u| u.iter().find(|x| x["kind"] == "sla_due"))
            .map(|x| x["at"].clone())
    };
    let r = server
        .client("head_hotline")
        .post(&format!("/api/v1/cases/{id}/extend"), &json!({"comment": "需会商"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let after = clerk.get(&format!("/api/v1/cases/{id}/timeline")).json();
    assert_ne!(due(&before), due(&after));
    server.signal("-TERM");
    assert!(server.wait().0.success());

    let out = run(&["case", "timeline", &id, "--db", &db]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("SLA on_time") && text.contains("sla_due"), "{text}");
}
