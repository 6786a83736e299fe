//! Absences (休假代办): a handler away names a colleague who stands in; while it runs the
//! colleague's inbox lists the absent handler's tasks and the colleague finishes them as their
//! holder would; calling it off gives the work back and the colleague's right ends at once. Every
//! field's problem is said at once, in the reader's words, and changes nothing.

mod common;

use common::App;
use serde_json::{Value, json};

/// A 12345 request dispatched to the four platforms' centre for 何斌, signed for by him.
async fn held_by_he(app: &App, content: &str, phone: &str) -> String {
    let r = common::open_request(app, None, "complaint", content, phone).await;
    let id = r["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "clerk_xia",
            "POST",
            &format!("/api/v1/cases/{id}/actions/dispatch"),
            json!({"fields": {"handling_department": "four_platforms"}, "assign_to": "handler_he"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .json(
            "handler_he",
            "POST",
            &format!("/api/v1/cases/{id}/actions/sign_for"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

fn days_from_today(app: &App, n: u64) -> String {
    let today = app.engine.now().with_timezone(&app.engine.zone()).date_naive();
    today
        .checked_add_days(chrono::Days::new(n))
        .expect("date")
        .format("%Y-%m-%d")
        .to_string()
}

async fn reply(app: &App, who: &str, id: &str) -> axum::http::StatusCode {
    app.json(
        who,
        "POST",
        &format!("/api/v1/cases/{id}/actions/reply"),
        json!({"fields": {"reply": "已处理"}}),
    )
    .await
    .status
}

#[tokio::test]
async fn a_stand_in_sees_and_finishes_the_absent_handlers_work_until_the_absence_is_called_off() {
    let app = App::start().await;
    let first = held_by_he(&app, "井盖缺失", "13900139010").await;
    let second = held_by_he(&app, "路面塌陷", "13900139011").await;
    // Before: the colleague neither lists nor finishes 何斌's work.
    assert_eq!(reply(&app, "handler_tang", &first).await, 409);

    let until = days_from_today(&app, 3);
    let from = days_from_today(&app, 0);
    let r = app
        .form(
            "handler_he",
            "/away",
            &[
                ("delegate", "handler_tang"),
                ("from", &from),
                ("until", &until),
                ("reason", "年休假"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = app.send(Some("handler_he"), "GET", "/away?done=set", None).await;
    assert!(
        page.body.contains("已登记") && page.body.contains("唐"),
        "{}",
        page.body
    );

    let inbox = app
        .send(Some("handler_tang"), "GET", "/api/v1/inbox", None)
        .await
        .json();
    let listed = inbox.to_string();
    assert!(
        listed.contains(&first) && listed.contains(&second),
        "the stand-in lists both: {inbox}"
    );
    let page = app.send(Some("handler_tang"), "GET", "/inbox", None).await;
    assert!(page.body.contains("您正在代办：何斌"), "{}", page.body);
    assert_eq!(
        reply(&app, "handler_tang", &first).await,
        200,
        "the stand-in finishes it"
    );
    let case = app
        .send(Some("handler_tang"), "GET", &format!("/api/v1/cases/{first}"), None)
        .await
        .json();
    assert_eq!(case["state"], "replied", "{case}");

    // Someone else may not call it off; the absent handler may, and the right ends at once.
    let listed = app.send(Some("handler_he"), "GET", "/api/v1/absences", None).await;
    let id = listed.json()["absences"][0]["id"]
        .as_str()
        .expect("absence id")
        .to_owned();
    let r = app.form("handler_li", &format!("/away/{id}/cancel"), &[]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app.form("handler_he", &format!("/away/{id}/cancel"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let inbox = app
        .send(Some("handler_tang"), "GET", "/api/v1/inbox", None)
        .await
        .json();
    assert!(
        !inbox.to_string().contains(&second),
        "the work is back with its holder: {inbox}"
    );
    assert_eq!(reply(&app, "handler_tang", &second).await, 409);
    assert_eq!(reply(&app, "handler_he", &second).await, 200);
    // The audit log keeps both.
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=handler_he", None)
        .await
        .body;
    assert!(
        audit.contains("absence_set") && audit.contains("absence_cancelled"),
        "{audit}"
    );
}

#[tokio::test]
async fn every_problem_of_an_absence_is_said_at_once_and_nothing_is_set() {
    let app = App::start().await;
    let r = app
        .form(
            "handler_he",
            "/away",
            &[("delegate", ""), ("from", "明天"), ("until", ""), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    for said in ["请选择代办人", "请填写日期", "请填写事由"] {
        assert!(r.body.contains(said), "{said}: {}", r.body);
    }
    assert_eq!(
        r.body.matches("field-error").count(),
        4,
        "one beside each field: {}",
        r.body
    );
    // Someone of another department, the past, and too long.
    let (from, until) = (days_from_today(&app, 0), days_from_today(&app, 120));
    let r = app
        .form(
            "handler_he",
            "/away",
            &[
                ("delegate", "handler_li"),
                ("from", &from),
                ("until", &until),
                ("reason", "培训"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("同部门、同岗位") && r.body.contains("最长90天"),
        "{}",
        r.body
    );
    // In English too, and over the API with every field named.
    let r = app
        .json(
            "handler_he",
            "POST",
            "/api/v1/absences",
            json!({"delegate": "handler_he", "from": "2020-01-01", "until": "2020-01-02", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("delegate") && r.body.contains("until"), "{}", r.body);
    // Another handler's absence is not his to set.
    let r = app
        .json(
            "handler_tang",
            "POST",
            "/api/v1/absences",
            json!({"user": "handler_he", "delegate": "handler_cao", "from": from, "until": from, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let listed: Value = app
        .send(Some("handler_he"), "GET", "/api/v1/absences", None)
        .await
        .json();
    assert_eq!(listed["absences"], json!([]), "nothing was set: {listed}");
}
