//! Work that reaches a person: a task routed to a role, department and unit nobody holds waits in
//! the unstaffed queue of the department's heads and the dispatching clerks (with a warning in
//! the history and a message to them by name), who give it to someone with a reason; hand-offs
//! between people (give, send back, many at once) keep to who may take the task; a department's
//! head sees the work by person. Supervision reaching the handler is in `supervision_work.rs`.

mod common;

use common::{App, per_backend};
use serde_json::{Value, json};

/// The bundled workflows with the 12345 request's handling task left at the unit where the
/// request was registered (as it was before the task was given the district tier): a request
/// registered at Shenjiamen then reaches no hotline handler, all of whom work at the district.
async fn app_with_a_gap(backend: &str) -> App {
    App::on_edited(backend, |wf| {
        let path = wf.join("cases/service_request_12345.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        let edited = text.replace(
            "assign: { department: handling, role: handler, tier: district }",
            "assign: { department: handling, role: handler }",
        );
        assert_ne!(
            edited, text,
            "the handling task's assignment is where the test expects it"
        );
        std::fs::write(&path, edited).expect("write");
    })
    .await
}

/// A 12345 request registered at Shenjiamen and dispatched: its `handle` task's id.
async fn dispatched_at_shenjiamen(app: &App, content: &str) -> (String, String) {
    let r = common::open_request(app, Some("shenjiamen"), "complaint", content, "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "clerk_xia",
            "POST",
            &format!("/api/v1/cases/{id}/actions/dispatch"),
            json!({"fields": {"handling_department": "hotline_12345"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let task = active_task(&r.json(), "handle");
    (id, task["id"].as_str().expect("task id").to_owned())
}

fn active_task(case: &Value, name: &str) -> Value {
    case["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["name"] == name && (t["state"] == "open" || t["state"] == "claimed"))
        .cloned()
        .unwrap_or_else(|| panic!("no active `{name}` task in {case}"))
}

fn task_ids(doc: &Value) -> Vec<String> {
    doc["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

per_backend!(a_task_nobody_can_claim_reaches_the_heads_queue_and_is_given_with_a_reason);
async fn a_task_nobody_can_claim_reaches_the_heads_queue_and_is_given_with_a_reason(backend: &str) {
    let app = app_with_a_gap(backend).await;
    let (id, task) = dispatched_at_shenjiamen(&app, "夜间施工噪音").await;

    // Nobody may claim it: not in the district handler's inbox, and marked on the case.
    let inbox = app.send(Some("handler_li"), "GET", "/api/v1/inbox", None).await.json();
    assert!(!task_ids(&inbox).contains(&task), "{inbox}");
    let case = app
        .send(Some("head_hotline"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    assert_eq!(active_task(&case, "handle")["unstaffed"], true, "{case}");
    let claim = app
        .json("handler_li", "POST", &format!("/api/v1/tasks/{task}/claim"), json!({}))
        .await;
    assert_eq!(claim.status, 403, "{}", claim.body);

    // The warning names who was told, and a message to each of them is queued.
    let warning = case["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|e| e["kind"] == "task_unstaffed")
        .cloned()
        .expect("a task_unstaffed event");
    assert_eq!(warning["unit"], "shenjiamen");
    assert_eq!(warning["notified"], json!(["clerk_wang", "head_hotline", "clerk_xia"]));
    let dump = app.engine.store().dump().await.expect("dump");
    let notices: Vec<&serde_json::Map<String, Value>> = dump["outbox"]
        .iter()
        .filter(|r| r["template"] == "task_unstaffed" && r["case_id"] == json!(id))
        .collect();
    assert_eq!(notices.len(), 1, "{:?}", dump["outbox"]);

    // The queue: the department's head and the dispatching clerks see it; a handler does not.
    for who in ["head_hotline", "clerk_wang"] {
        let q = app.send(Some(who), "GET", "/api/v1/tasks/unstaffed", None).await;
        assert_eq!(q.status, 200, "{who}: {}", q.body);
        assert_eq!(task_ids(&q.json()), vec![task.clone()], "{who}");
    }
    let other_head = app
        .send(Some("head_labour"), "GET", "/api/v1/tasks/unstaffed", None)
        .await;
    assert!(task_ids(&other_head.json()).is_empty(), "{}", other_head.body);
    let handler = app
        .send(Some("handler_li"), "GET", "/api/v1/tasks/unstaffed", None)
        .await;
    assert_eq!(handler.status, 403, "{}", handler.body);

    // Giving it: a reason is required; the person must hold the role in the department; only
    // those who answer for the task may give it.
    let give = |who: &'static str, body: Value| {
        let app = &app;
        let path = format!("/api/v1/tasks/{task}/reassign");
        async move { app.json(who, "POST", &path, body).await }
    };
    let r = give("head_hotline", json!({"to_user": "handler_li"})).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["code"].clone()),
        (422, json!("invalid_field")),
        "{}",
        r.body
    );
    let r = give("head_hotline", json!({"to_user": "handler_ma", "reason": "街道处置"})).await;
    assert_eq!(r.status, 422, "a handler of another department: {}", r.body);
    let r = give(
        "arbitrator_zhou",
        json!({"to_user": "handler_li", "reason": "代为指派"}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = give(
        "head_hotline",
        json!({"to_user": "handler_li", "reason": "街道无人，区级承办"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let handle = active_task(&r.json(), "handle");
    assert_eq!(handle["assignee"], "handler_li");
    assert_eq!(handle["unit"], "putuo", "the task moves to its holder's unit");
    assert!(handle.get("unstaffed").is_none_or(|v| v == false), "{handle}");

    // Now in his inbox, out of the queue, and the history says who gave it and why.
    let inbox = app.send(Some("handler_li"), "GET", "/api/v1/inbox", None).await.json();
    assert!(task_ids(&inbox).contains(&task), "{inbox}");
    let q = app
        .send(Some("head_hotline"), "GET", "/api/v1/tasks/unstaffed", None)
        .await
        .json();
    assert!(task_ids(&q).is_empty(), "{q}");
    let case = app
        .send(Some("head_hotline"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    let given = case["history"]
        .as_array()
        .expect("history")
        .iter()
        .rev()
        .find(|e| e["kind"] == "task_reassigned")
        .cloned()
        .expect("a task_reassigned event");
    assert_eq!(
        (
            given["actor"].clone(),
            given["to_user"].clone(),
            given["comment"].clone()
        ),
        (json!("head_hotline"), json!("handler_li"), json!("街道无人，区级承办"))
    );
    // The reason is sealed at rest like a comment.
    let dump = app.engine.store().dump().await.expect("dump");
    let stored = dump["case_events"]
        .iter()
        .filter(|e| e["kind"] == "task_reassigned")
        .map(|e| e["payload"].to_string())
        .collect::<String>();
    assert!(!stored.is_empty() && !stored.contains("街道无人"), "{stored}");

    // The head sends it back to the pool: with a reason only.
    let back = app
        .json(
            "head_hotline",
            "POST",
            &format!("/api/v1/tasks/{task}/release"),
            json!({}),
        )
        .await;
    assert_eq!(back.status, 422, "{}", back.body);
    let back = app
        .json(
            "head_hotline",
            "POST",
            &format!("/api/v1/tasks/{task}/release"),
            json!({"reason": "重新分配"}),
        )
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(active_task(&back.json(), "handle")["state"], "open");
}

per_backend!(a_head_sees_the_work_by_person_and_gives_many_tasks_at_once);
async fn a_head_sees_the_work_by_person_and_gives_many_tasks_at_once(backend: &str) {
    let app = app_with_a_gap(backend).await;
    let mut tasks = Vec::new();
    for n in 0..3 {
        tasks.push(dispatched_at_shenjiamen(&app, &format!("路灯不亮{n}")).await.1);
    }
    let team = app.send(Some("head_hotline"), "GET", "/api/v1/team", None).await;
    assert_eq!(team.status, 200, "{}", team.body);
    let team = team.json();
    assert_eq!(team["department"], "hotline_12345");
    assert_eq!(team["unstaffed"], 3, "{team}");
    let nobody = team["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["user"].is_null())
        .cloned();
    assert_eq!(nobody.expect("the unheld tasks")["open"], 3);

    // Many at once: each taken or refused on its own, a task nobody has refused by name.
    let mut chosen = tasks.clone();
    chosen.push("no-such-case:t1".into());
    let r = app
        .json(
            "head_hotline",
            "POST",
            "/api/v1/tasks/bulk",
            json!({"op": "reassign", "tasks": chosen, "to_user": "handler_li", "reason": "集中办理"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = r.json();
    assert_eq!((r["taken"].clone(), r["refused"].clone()), (json!(3), json!(1)), "{r}");
    let team = app
        .send(Some("head_hotline"), "GET", "/api/v1/team?holder=handler_li", None)
        .await
        .json();
    let li = team["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["user"] == "handler_li")
        .cloned()
        .expect("handler_li");
    assert_eq!(
        (li["open"].clone(), li["overdue"].clone()),
        (json!(3), json!(0)),
        "{team}"
    );
    assert_eq!(team["unstaffed"], 0, "{team}");
    assert_eq!(task_ids(&team).len(), 3, "{team}");

    // An empty choice, too many, an unknown operation: refused before anything happens.
    for body in [
        json!({"op": "claim", "tasks": []}),
        json!({"op": "claim", "tasks": vec!["x:t1"; 101]}),
        json!({"op": "delete", "tasks": ["x:t1"]}),
    ] {
        let r = app
            .json("head_hotline", "POST", "/api/v1/tasks/bulk", body.clone())
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
    }
    // Only a department's heads, the dispatching clerks and admins see its work.
    let r = app.send(Some("handler_li"), "GET", "/api/v1/team", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .send(
            Some("head_labour"),
            "GET",
            "/api/v1/team?department=hotline_12345",
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .send(Some("clerk_wang"), "GET", "/api/v1/team?department=hotline_12345", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .send(Some("clerk_wang"), "GET", "/api/v1/team?department=nowhere", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn the_pages_show_the_queue_and_give_the_task_in_the_readers_words() {
    let app = app_with_a_gap("sqlite").await;
    let (id, task) = dispatched_at_shenjiamen(&app, "井盖缺失").await;
    let inbox = app.send(Some("head_hotline"), "GET", "/inbox", None).await;
    assert!(inbox.body.contains("无人承接的任务"), "{}", inbox.body);
    assert!(inbox.body.contains(&format!("/cases/{id}")), "{}", inbox.body);
    let page = app
        .send(Some("head_hotline"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(
        page.body.contains("无人可承接") && page.body.contains("指派给"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<option value=\"handler_li\">李强</option>"),
        "{}",
        page.body
    );
    // A handler of the department sees no form to give a task he may not give.
    let li_page = app.send(Some("handler_li"), "GET", &format!("/cases/{id}"), None).await;
    assert!(!li_page.body.contains("指派给"), "{}", li_page.body);
    // The history says it in words, naming who was told.
    assert!(page.body.contains("任务无人承接"), "{}", page.body);
    assert!(page.body.contains("已通知："), "{}", page.body);

    let r = app
        .form(
            "head_hotline",
            &format!("/tasks/{task}/reassign"),
            &[("to_user", "handler_li"), ("reason", "区级承办")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = app
        .send(Some("head_hotline"), "GET", &format!("/cases/{id}?done=given"), None)
        .await;
    assert!(page.body.contains("任务已指派"), "{}", page.body);
    assert!(
        page.body.contains("转派任务") && page.body.contains("李强") && page.body.contains("区级承办"),
        "{}",
        page.body
    );
    // Without a reason the page says what is missing and nothing changes.
    let r = app
        .form(
            "head_hotline",
            &format!("/tasks/{task}/reassign"),
            &[("to_user", "handler_li")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("填写内容有误"), "{}", r.body);
    // The department page counts it by person.
    let team = app.send(Some("head_hotline"), "GET", "/team", None).await;
    assert_eq!(team.status, 200, "{}", team.body);
    assert!(
        team.body.contains("本部门工作") && team.body.contains("李强"),
        "{}",
        team.body
    );
}

#[tokio::test]
async fn dispatch_chooses_the_department_and_may_name_the_handler_in_it() {
    let app = App::start().await;
    let r = common::open_request(&app, None, "complaint", "路灯损坏", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    let page = app.send(Some("clerk_xia"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        page.body.contains("承办单位") && page.body.contains("指定承办人（可选）"),
        "the dispatch form asks where and (optionally) who: {}",
        page.body
    );
    assert!(
        page.body
            .contains("<optgroup label=\"智慧城管中心\"><option value=\"handler_lu\">陆洋</option>"),
        "the handlers are offered by department: {}",
        page.body
    );
    // A handler of another department: refused beside the field, and nothing moves.
    let dispatch = |who: &'static str| {
        [
            ("action", "dispatch"),
            ("f.handling_department", "smart_city"),
            ("assign_to", who),
        ]
    };
    let r = app
        .form("clerk_xia", &format!("/cases/{id}/act"), &dispatch("handler_li"))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("<option value=\"handler_li\" selected>") && r.body.contains("field-error"),
        "the form keeps the choice and says what is wrong with it: {}",
        r.body
    );
    let case = app
        .send(Some("clerk_xia"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    assert_eq!(case["state"], "received", "{case}");
    // Without a department the dispatch is refused too.
    let r = app
        .json(
            "clerk_xia",
            "POST",
            &format!("/api/v1/cases/{id}/actions/dispatch"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    let r = app
        .form("clerk_xia", &format!("/cases/{id}/act"), &dispatch("handler_lu"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let case = app
        .send(Some("clerk_xia"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    let task = active_task(&case, "handle");
    assert_eq!(case["department"], "smart_city", "{case}");
    assert_eq!(task["assignee"], "handler_lu", "{case}");
    assert_eq!(task["department"], "smart_city", "{case}");
    let inbox = app.send(Some("handler_lu"), "GET", "/api/v1/inbox", None).await.json();
    assert!(inbox.to_string().contains(&id), "the named handler has it: {inbox}");
    // The hotline's own handler no longer acts on it.
    let r = app
        .json(
            "handler_li",
            "POST",
            &format!("/api/v1/cases/{id}/actions/sign_for"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Over the API as well: a person for an action that opens no task is refused.
    let r2 = common::open_request(&app, None, "consultation", "办证材料", "13900139001").await;
    let id2 = r2["id"].as_str().expect("id");
    let r = app
        .json(
            "clerk_xia",
            "POST",
            &format!("/api/v1/cases/{id2}/actions/answer_directly"),
            json!({"fields": {"reply": "身份证"}, "assign_to": "handler_li"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("assign_to"), "{}", r.body);
}

#[tokio::test]
async fn an_admin_of_no_department_opens_the_team_page_at_the_first_department_and_may_choose() {
    let app = App::start().await;
    // Before: 404 "there is no department ``" for an account without a department.
    let page = app.send(Some("admin_qin"), "GET", "/team", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<select name=\"department\">"), "{}", page.body);
    let first = app
        .engine
        .org()
        .file
        .departments
        .keys()
        .next()
        .cloned()
        .expect("a department");
    assert!(
        page.body.contains(&format!("<option value=\"{first}\" selected>")),
        "{}",
        page.body
    );
    // A handler (no head, no dispatcher) is still refused.
    let r = app.send(Some("handler_li"), "GET", "/team", None).await;
    assert_eq!(r.status, 403, "{}", r.body);
}
