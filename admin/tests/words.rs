//! One language at a time: the API's refusals in the language the client asks for
//! (`Accept-Language`), with the fields named by their labels; refusal pages inside the site's
//! frame in the reader's language; a form that went stale said without versions or states.

mod common;

use common::App;
use serde_json::json;

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The `<main>` of a page: what the page says, without the reader's name in the header.
fn main_of(page: &str) -> &str {
    let start = page.find("<main").unwrap_or(0);
    let end = page.find("</main>").unwrap_or(page.len());
    &page[start..end]
}

#[tokio::test]
async fn the_api_refuses_in_the_language_the_client_asks_for_naming_fields_by_their_labels() {
    let app = App::start().await;
    let body = json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
        "applicant": "张三", "applicant_phone": "1380013", "category": "wages",
        "amount": -5, "facts": "x", "employer": "某公司",
    }})
    .to_string();
    let send = |lang: Option<&'static str>| {
        let body = body.clone();
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = lang.map(|l| ("accept-language", l)).into_iter().collect();
            app.send_with(
                Some("clerk_wang"),
                None,
                &headers,
                "POST",
                "/api/v1/cases",
                Some(("application/json", body)),
            )
            .await
        }
    };
    let zh = send(Some("zh-CN,zh;q=0.9,en;q=0.8")).await;
    assert_eq!(zh.status, 422, "{}", zh.body);
    assert_eq!(zh.headers["content-language"], "zh-CN");
    let p = zh.json();
    assert_eq!(p["code"], "invalid_field", "{p}");
    assert!(has_chinese(p["detail"].as_str().unwrap_or_default()), "{p}");
    let messages: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(messages.len(), 2, "{p}");
    assert!(messages[0].starts_with("申请人电话不是有效的电话号码"), "{p}");
    assert!(messages[1].contains("（≥ 0）"), "{p}");
    assert!(!zh.body.contains("the field"), "no English in Chinese: {p}");

    // English asked for: the labels in English; nothing asked: English, as the API always spoke.
    let en = send(Some("en-GB,en;q=0.9")).await;
    assert_eq!(en.headers["content-language"], "en");
    assert!(
        !has_chinese(&en.body.replace("张三", "").replace("某公司", "")),
        "{}",
        en.body
    );
    assert!(
        en.body.contains("Applicant's phone is not a phone number"),
        "{}",
        en.body
    );
    let plain = send(None).await;
    assert!(
        plain.json()["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Applicant's phone"))
    );
    // Nothing was opened by any of them.
    assert_eq!(app.engine.store().case_count().await.expect("count"), 0);

    // A refusal without fields: the code's sentence in Chinese.
    let r = app
        .send_with(
            Some("clerk_wang"),
            None,
            &[("accept-language", "zh-CN")],
            "GET",
            "/api/v1/cases/no-such-case",
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.json()["detail"], "没有这个案件。", "{}", r.body);
}

#[tokio::test]
async fn a_refusal_page_stands_in_the_sites_frame_in_the_readers_language() {
    let app = App::start().await;
    // A clerk opening the admins' page, in English: the navigation, an English heading and
    // sentence, and no Chinese in what the page says.
    let english = [("cookie", "yimen_lang=en")];
    let r = app
        .send_with(Some("clerk_wang"), None, &english, "GET", "/admin/ops", None)
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.contains("<nav>") && r.body.contains("href=\"/inbox\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    let main = main_of(&r.body);
    assert!(
        main.contains("Not for your role") && main.contains("You may not do that."),
        "{main}"
    );
    assert!(!has_chinese(main), "{main}");
    // A page that does not exist, in Chinese (the browser's language, no cookie).
    let zh = [("accept-language", "zh-CN,zh;q=0.9")];
    let r = app
        .send_with(Some("clerk_wang"), None, &zh, "GET", "/no/such/page", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("<nav>"), "{}", r.body);
    let main = main_of(&r.body);
    assert!(main.contains("没有这个页面。"), "{main}");
    assert!(!main.contains("No such page") && !main.contains("Home"), "{main}");
    // Not signed in: the plain page, still in the reader's language.
    let r = app.send_with(None, None, &english, "GET", "/no/such/page", None).await;
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("There is no such page.") && !has_chinese(&r.body),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_form_gone_stale_is_said_without_versions_or_states_in_either_language() {
    let app = App::start().await;
    let r = common::open_request(&app, None, "complaint", "楼下噪音", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    let stale = [
        ("action", "dispatch"),
        ("f.handling_department", "hotline_12345"),
        ("expected_version", "0"),
    ];
    let path = format!("/cases/{id}/act");
    let zh = app.form("clerk_xia", &path, &stale).await;
    assert_eq!(zh.status, 409, "{}", zh.body);
    assert!(zh.body.contains("案件刚被他人更新，请刷新后重试。"), "{}", zh.body);
    // The engine's detail (the versions) is not shown: only the sentence.
    assert!(
        !zh.body.contains("you expected") && !zh.body.contains("is at version"),
        "{}",
        zh.body
    );
    let en = app.form_in_english("clerk_xia", &path, &stale).await;
    assert_eq!(en.status, 409, "{}", en.body);
    assert!(
        en.body.contains("Someone else changed the case; reload and try again."),
        "{}",
        en.body
    );
    assert!(!en.body.contains("you expected"), "{}", en.body);
}

#[tokio::test]
async fn the_flash_says_which_action_was_taken_where_the_case_is_now_and_who_handles_it() {
    let app = App::start().await;
    let r = common::open_request(&app, None, "complaint", "楼下噪音", "13900139000").await;
    let id = r["id"].as_str().expect("id").to_owned();
    let done = app
        .form(
            "clerk_xia",
            &format!("/cases/{id}/act"),
            &[("action", "dispatch"), ("f.handling_department", "smart_city")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let to = done.headers["location"].to_str().expect("location").to_owned();
    assert!(to.contains("done=acted&action=dispatch"), "{to}");
    let zh = app.send(Some("clerk_xia"), "GET", &to, None).await;
    assert!(
        zh.body
            .contains("已办理「派单」，案件现为「已派单待签收」，承办单位：智慧城管中心。"),
        "{}",
        zh.body
    );
    let english = [("cookie", "yimen_lang=en")];
    let en = app.send_with(Some("clerk_xia"), None, &english, "GET", &to, None).await;
    assert!(en.body.contains("Dispatch: done. The case is now "), "{}", en.body);
    assert!(en.body.contains("handled by Smart City"), "{}", en.body);
    // An action the case does not have says only the general words.
    let odd = app
        .send(
            Some("clerk_xia"),
            "GET",
            &format!("/cases/{id}?done=acted&action=nonsense"),
            None,
        )
        .await;
    assert!(odd.body.contains("已办理。"), "{}", odd.body);
}

#[tokio::test]
async fn a_report_is_shown_in_the_page_in_the_readers_language_with_names_in_it() {
    let app = App::start().await;
    let r = common::open_request(&app, None, "complaint", "楼下噪音", "13900139000").await;
    assert!(r["id"].is_string());
    let run = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/jobs/monthly_bulletin/run",
            json!({"period": "2026-11"}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    let english = [("cookie", "yimen_lang=en")];
    let en = app
        .send_with(
            Some("admin_qin"),
            None,
            &english,
            "GET",
            "/reports/monthly_bulletin/2026-11",
            None,
        )
        .await;
    assert_eq!(en.status, 200, "{}", en.body);
    // Inside the page, not a frame that cuts it off; in English, naming departments in English.
    assert!(!en.body.contains("<iframe"), "{}", en.body);
    assert!(en.body.contains("<article class=\"report-body card\">"), "{}", en.body);
    let main = main_of(&en.body);
    assert!(main.contains("12345 Public Service Hotline"), "{main}");
    let outside_names = main.replace("普陀区社会治理中心", "");
    assert!(!has_chinese(&outside_names), "no Chinese in the English report: {main}");
    // In Chinese, the same report in Chinese; the stored page (the centre's language) is unchanged.
    let zh = app
        .send(Some("admin_qin"), "GET", "/reports/monthly_bulletin/2026-11", None)
        .await;
    assert!(main_of(&zh.body).contains("12345政务服务热线"), "{}", zh.body);
    let stored = app
        .send(
            Some("admin_qin"),
            "GET",
            "/api/v1/reports/monthly_bulletin/2026-11/html",
            None,
        )
        .await;
    assert!(stored.body.contains("12345政务服务热线"), "{}", stored.body);
}
