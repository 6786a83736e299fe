//! Supervision reaching the handler and what its pages say: a supervision record waits in the
//! handling department's inbox until answered; escalating by hand asks for a reason and a level
//! and names who is told; the board filters and exports; the clock says what is left of a paused
//! case and whether a closed one was on time.

mod common;

use common::{App, per_backend};
use serde_json::{Value, json};

/// The centre's supervisor escalates `id` by hand (level 1), with a reason.
async fn escalate(app: &App, id: &str) {
    let r = app
        .json(
            "supervisor_han",
            "POST",
            &format!("/api/v1/cases/{id}/escalate"),
            json!({"reason": "超时未办结"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

per_backend!(a_supervision_record_waits_in_the_handling_departments_inbox_until_answered);
async fn a_supervision_record_waits_in_the_handling_departments_inbox_until_answered(backend: &str) {
    let app = App::on(backend).await;
    let r = common::open_request(&app, None, "complaint", "占道经营", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    escalate(&app, &id).await;
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
    let r = common::open_request(&app, None, "complaint", "噪音", "13900139001").await;
    let other = r["id"].as_str().expect("id").to_owned();
    escalate(&app, &other).await;
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
    let r = common::open_request(&app, None, "complaint", "垃圾未清运", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
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
    assert!(
        page.body.contains("将通知：<span data-content>卫东、韩"),
        "{}",
        page.body
    );
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
    let r = common::open_request(&app, None, "request", "路灯不亮", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    let act = |who: &'static str, action: &'static str, fields: Value| {
        let app = &app;
        let path = format!("/api/v1/cases/{id}/actions/{action}");
        async move {
            let r = app.json(who, "POST", &path, json!({"fields": fields})).await;
            assert_eq!(r.status, 200, "{action}: {}", r.body);
        }
    };
    act("clerk_xia", "dispatch", json!({"handling_department": "hotline_12345"})).await;
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
    let r = common::open_request(&app, None, "complaint", "噪音", "13900139000").await;
    let case = r;
    let (id, number) = (
        case["id"].as_str().expect("id").to_owned(),
        case["number"].as_str().expect("number").to_owned(),
    );
    escalate(&app, &id).await;
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
