//! Work that reaches a person: a task routed to a role, department and unit nobody holds waits in
//! the unstaffed queue of the department's heads and the dispatching clerks (with a warning in
//! the history and a message to them by name), who give it to someone with a reason; hand-offs
//! between people (give, send back, many at once) keep to who may take the task; a department's
//! head sees the work by person.

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
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345", "unit": "shenjiamen",
                   "fields": {"caller": "李某", "caller_phone": "13900139000", "category": "complaint", "content": content}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "clerk_xia",
            "POST",
            &format!("/api/v1/cases/{id}/actions/dispatch"),
            json!({}),
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

per_backend!(a_supervision_record_waits_in_the_handling_departments_inbox_until_answered);
async fn a_supervision_record_waits_in_the_handling_departments_inbox_until_answered(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345",
                   "fields": {"caller": "李某", "caller_phone": "13900139000", "category": "complaint", "content": "占道经营"}}),
        )
        .await;
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/escalate"),
            json!({"reason": "超时未办结"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let records = |who: &'static str| {
        let app = &app;
        async move {
            let inbox = app.send(Some(who), "GET", "/api/v1/inbox", None).await.json();
            inbox["supervision"].as_array().expect("supervision").clone()
        }
    };
    // In the inbox of everyone of the handling department, with its level and due time; not
    // elsewhere.
    let due = records("handler_li").await;
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(
        (due[0]["level"].clone(), due[0]["state"].clone()),
        (json!(1), json!("awaiting"))
    );
    assert_eq!(due[0]["overdue"], false);
    assert!(due[0]["answer_due"].as_i64().is_some_and(|ms| ms > 0));
    assert_eq!(records("head_hotline").await.len(), 1);
    assert!(records("arbitrator_zhou").await.is_empty());
    let record = due[0]["record"].as_str().expect("record").to_owned();
    // Answered: it leaves the inbox; sent back: it returns; answered and accepted: gone.
    let answer = |text: &'static str| {
        let app = &app;
        let path = format!("/api/v1/supervision/{record}/answer");
        async move { app.json("handler_li", "POST", &path, json!({"text": text})).await }
    };
    assert_eq!(answer("已现场劝离").await.status, 200);
    assert!(records("handler_li").await.is_empty());
    let review = |accept: bool| {
        let app = &app;
        let path = format!("/api/v1/supervision/{record}/review");
        async move {
            app.json(
                "supervisor_han",
                "POST",
                &path,
                json!({"accept": accept, "comment": "请说明长效措施"}),
            )
            .await
        }
    };
    assert_eq!(review(false).await.status, 200);
    let back = records("handler_li").await;
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0]["state"], "returned");
    assert_eq!(answer("已约谈摊主并纳入巡查").await.status, 200);
    assert_eq!(review(true).await.status, 200);
    assert!(records("handler_li").await.is_empty());
    // The board no longer lists an accepted record.
    let board = app.send(Some("supervisor_han"), "GET", "/supervision", None).await;
    assert!(!board.body.contains(&format!("/cases/{id}")), "{}", board.body);
    // The page says it in the reader's words before it is answered.
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345",
                   "fields": {"caller": "王某", "caller_phone": "13900139001", "category": "complaint", "content": "噪音"}}),
        )
        .await;
    let other = r.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{other}/escalate"),
            json!({"reason": "超时未办结"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = app.send(Some("handler_li"), "GET", "/inbox", None).await;
    assert!(
        page.body.contains("待答复的督办单") && page.body.contains("中心专项督办"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("/cases/{other}#supervision")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn escalating_asks_for_a_reason_and_a_level_the_supervisor_may_open_and_says_who_is_told() {
    let app = App::start().await;
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345",
                   "fields": {"caller": "李某", "caller_phone": "13900139000", "category": "complaint", "content": "垃圾未清运"}}),
        )
        .await;
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/cases/{id}/escalate");
    // No reason, a blank one: refused, nothing fired.
    for body in [json!({}), json!({"reason": "  "})] {
        let r = app.json("supervisor_han", "POST", &path, body).await;
        assert_eq!(
            (r.status.as_u16(), r.json()["code"].clone()),
            (422, json!("invalid_field")),
            "{}",
            r.body
        );
    }
    let case = app
        .send(Some("supervisor_han"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await
        .json();
    assert!(case["supervision"].as_array().is_none_or(Vec::is_empty), "{case}");
    // The page offers the levels the supervisor may open, each naming who will be told.
    let page = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(page.body.contains("value=\"centre_special\""), "{}", page.body);
    assert!(
        !page.body.contains("value=\"office_key\""),
        "a level-1 supervisor may not open level 2"
    );
    // The ladder's level 1 goes to the handling department's head and the centre's supervisors.
    assert!(page.body.contains("将通知：卫东、韩"), "{}", page.body);
    let r = app
        .form(
            "supervisor_han",
            &format!("/cases/{id}/escalate"),
            &[("rung", "centre_special"), ("reason", "两日无人联系来电人")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(
        page.body.contains("两日无人联系来电人"),
        "the reason is in the history: {}",
        page.body
    );
    assert!(
        !page.body.contains("value=\"centre_special\""),
        "a fired rung is not offered again"
    );
}

#[tokio::test]
async fn a_paused_case_shows_what_is_left_and_a_closed_one_whether_it_was_on_time() {
    let app = App::start().await;
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345",
                   "fields": {"caller": "李某", "caller_phone": "13900139000", "category": "request", "content": "路灯不亮"}}),
        )
        .await;
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let act = |who: &'static str, action: &'static str, fields: Value| {
        let app = &app;
        let path = format!("/api/v1/cases/{id}/actions/{action}");
        async move {
            let r = app.json(who, "POST", &path, json!({"fields": fields})).await;
            assert_eq!(r.status, 200, "{action}: {}", r.body);
        }
    };
    act("clerk_xia", "dispatch", json!({})).await;
    let running = app.send(Some("handler_li"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        running.body.contains("正常") && running.body.contains("到期"),
        "{}",
        running.body
    );
    act("handler_li", "sign_for", json!({})).await;
    act("handler_li", "reply", json!({"reply": "已报修"})).await;
    // Paused while the follow-up call is due: the time left, not a due instant.
    let paused = app.send(Some("handler_li"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        paused.body.contains("暂停计时") && paused.body.contains("暂停中，剩余 "),
        "{}",
        paused.body
    );
    assert!(paused.body.contains("个工作日"), "{}", paused.body);
    act("clerk_xia", "close_satisfied", json!({"satisfaction": "satisfied"})).await;
    // Closed within its time: said so, in the case page and the list, not "stopped".
    let closed = app.send(Some("clerk_xia"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        closed.body.contains("按时办结") && !closed.body.contains("已停止"),
        "{}",
        closed.body
    );
    let list = app.send(Some("clerk_xia"), "GET", "/cases", None).await;
    assert!(list.body.contains("按时办结"), "{}", list.body);
}

#[tokio::test]
async fn the_board_filters_by_department_level_and_lateness_and_exports_what_it_lists() {
    let app = App::start().await;
    let r = app
        .json(
            "clerk_xia",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "service_request_12345", "channel": "hotline_12345",
                   "fields": {"caller": "李某", "caller_phone": "13900139000", "category": "complaint", "content": "噪音"}}),
        )
        .await;
    let case = r.json();
    let (id, number) = (
        case["id"].as_str().expect("id").to_owned(),
        case["number"].as_str().expect("number").to_owned(),
    );
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/escalate"),
            json!({"reason": "超时未办结"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = |q: &'static str| {
        let app = &app;
        let link = format!("/cases/{id}");
        async move {
            let page = app
                .send(Some("supervisor_han"), "GET", &format!("/supervision{q}"), None)
                .await;
            assert_eq!(page.status, 200, "{q}: {}", page.body);
            page.body.contains(&link)
        }
    };
    assert!(listed("").await);
    assert!(listed("?department=hotline_12345").await);
    assert!(!listed("?department=labour_arbitration").await);
    assert!(listed("?level=1").await);
    assert!(!listed("?level=2").await);
    assert!(!listed("?overdue=1").await, "its answer is not late yet");
    let csv = app
        .send(
            Some("supervisor_han"),
            "GET",
            "/supervision?department=hotline_12345&format=csv",
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.body.starts_with('\u{feff}') && csv.body.contains(&number) && csv.body.contains("中心专项督办"),
        "{}",
        csv.body
    );
    let none = app
        .send(
            Some("supervisor_han"),
            "GET",
            "/supervision?department=labour_arbitration&format=csv",
            None,
        )
        .await;
    assert_eq!(none.body.lines().count(), 1, "only the header: {}", none.body);
}
