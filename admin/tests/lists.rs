//! Case lists and search as staff use them: the API's filters and pages over exactly the cases
//! the caller may see, a person search refused to a role that does not see personal data and
//! recorded for one that does, every bad filter named at once, and exports a real reader
//! decodes (Python's csv and openpyxl).

mod common;

use common::{App, per_backend};
use serde_json::{Value, json};

fn percent(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn open(app: &App, user: &str, body: Value) -> Value {
    let r = app.json(user, "POST", "/api/v1/cases", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

fn labour(facts: &str, phone: &str) -> Value {
    json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
        "applicant": "张某", "applicant_phone": phone, "employer": "某某水产公司",
        "category": "wages", "facts": facts}})
}

fn market(facts: &str) -> Value {
    json!({"case_type": "market_complaint", "channel": "hotline_12345", "fields": {
        "complainant": "周秘密", "complainant_phone": "13912345678", "business": "东港某海鲜排档",
        "category": "price", "facts": facts}})
}

fn numbers(doc: &Value) -> Vec<String> {
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["number"].as_str().expect("number").to_owned())
        .collect()
}

per_backend!(lists_search_and_pages_show_exactly_what_the_reader_may_see);
async fn lists_search_and_pages_show_exactly_what_the_reader_may_see(backend: &str) {
    let app = App::on(backend).await;
    let a = open(&app, "clerk_wang", labour("拖欠工资三个月", "13800138000")).await;
    let b = open(&app, "clerk_wang", labour("加班费未结算", "13800138001")).await;
    let m = open(&app, "handler_ma", market("夜间噪音，标价不清")).await;
    let (a, b, m) = (
        a["number"].as_str().unwrap().to_owned(),
        b["number"].as_str().unwrap().to_owned(),
        m["number"].as_str().unwrap().to_owned(),
    );

    // An administrator sees all three, newest first; a word finds its case.
    let all = app.send(Some("admin_qin"), "GET", "/api/v1/cases", None).await;
    assert_eq!(all.status, 200, "{backend}: {}", all.body);
    assert_eq!(numbers(&all.json()), [m.clone(), b.clone(), a.clone()], "{backend}");
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/cases?q={}", percent("工资")),
            None,
        )
        .await;
    assert_eq!(numbers(&r.json()), vec![a.clone()], "{backend}");
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/cases?q={}", percent("噪音")),
            None,
        )
        .await;
    assert_eq!(numbers(&r.json()), vec![m.clone()], "{backend}");
    // The clerk sees the two she opened, not the market case.
    let r = app.send(Some("clerk_wang"), "GET", "/api/v1/cases", None).await;
    assert_eq!(numbers(&r.json()), [b.clone(), a.clone()], "{backend}");
    let r = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/api/v1/cases?q={}", percent("噪音")),
            None,
        )
        .await;
    assert!(
        numbers(&r.json()).is_empty(),
        "{backend}: another department's case is not found"
    );
    // Filters, and pages that follow on.
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            "/api/v1/cases?case_type=labour_dispute&status=open&sort=oldest&limit=1",
            None,
        )
        .await;
    let doc = r.json();
    assert_eq!(numbers(&doc), vec![a.clone()], "{backend}");
    let cursor = doc["next_cursor"].as_str().expect("a next page").to_owned();
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!(
                "/api/v1/cases?case_type=labour_dispute&status=open&sort=oldest&limit=1&cursor={}",
                percent(&cursor)
            ),
            None,
        )
        .await;
    let doc = r.json();
    assert_eq!(numbers(&doc), vec![b.clone()], "{backend}");
    assert!(doc["next_cursor"].is_null(), "{backend}: the last page");

    // A person search: refused to a role that does not see personal data …
    let r = app
        .send(Some("grid_chen"), "GET", "/api/v1/cases?person=13800138000", None)
        .await;
    assert_eq!(r.status, 403, "{backend}: {}", r.body);
    // … found whole (never a part) and recorded for one that does.
    let r = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/api/v1/cases?person={}", percent("138 0013 8000")),
            None,
        )
        .await;
    assert_eq!(numbers(&r.json()), vec![a.clone()], "{backend}: {}", r.body);
    let r = app
        .send(Some("clerk_wang"), "GET", "/api/v1/cases?person=1380013", None)
        .await;
    assert!(numbers(&r.json()).is_empty(), "{backend}");
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=clerk_wang", None)
        .await;
    assert!(audit.body.contains("person_searched"), "{backend}: {}", audit.body);
    assert!(
        !audit.body.contains("13800138000"),
        "{backend}: the audit log keeps no phone number"
    );
    // Personal data is never a word.
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!("/api/v1/cases?q={}", percent("周秘密")),
            None,
        )
        .await;
    assert!(numbers(&r.json()).is_empty(), "{backend}: a name matched as text");

    // Every bad filter at once, and nothing else answered.
    let long = "x".repeat(10_000);
    let r = app
        .send(
            Some("admin_qin"),
            "GET",
            &format!(
                "/api/v1/cases?colour=red&opened_from=yesterday&limit=0&status=lost&q={}&cursor=xyz&overdue=maybe",
                percent(&long)
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 400, "{backend}: {}", r.body);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    for p in ["colour", "opened_from", "limit", "status", "`q`", "cursor", "overdue"] {
        assert!(detail.contains(p), "{backend}: `{p}` not named in: {detail}");
    }
}

per_backend!(the_list_page_finds_cases_and_says_every_bad_filter_beside_its_field);
async fn the_list_page_finds_cases_and_says_every_bad_filter_beside_its_field(backend: &str) {
    let app = App::on(backend).await;
    let a = open(&app, "clerk_wang", labour("拖欠工资三个月", "13800138000")).await;
    let number = a["number"].as_str().expect("number").to_owned();
    let page = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/cases?q={}", percent("工资")),
            None,
        )
        .await;
    assert_eq!(page.status, 200, "{backend}: {}", page.body);
    assert!(
        page.body
            .contains(&format!("<small class=\"case-number\">{number}</small>")),
        "{backend}"
    );
    assert!(
        page.body.contains("导出 CSV") && page.body.contains("format=csv"),
        "{backend}"
    );
    // The person field is there for a role that sees personal data, not for one that does not.
    assert!(page.body.contains("name=\"person\""), "{backend}");
    let grid = app.send(Some("grid_chen"), "GET", "/cases", None).await;
    assert_eq!(grid.status, 200, "{backend}: {}", grid.body);
    assert!(!grid.body.contains("name=\"person\""), "{backend}");
    assert!(!grid.body.contains(&number), "{backend}: another department's case");
    // Nothing matches: said so.
    let none = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/cases?q={}", percent("噪音")),
            None,
        )
        .await;
    assert!(none.body.contains("没有符合条件的案件"), "{backend}");
    // Bad filters: each said beside its field, at once, in the reader's words.
    let bad = app
        .send(
            Some("clerk_wang"),
            "GET",
            "/cases?opened_from=2026-13-40&opened_to=soon&supervision_level=9&status=lost",
            None,
        )
        .await;
    assert_eq!(bad.status, 422, "{backend}: {}", bad.body);
    assert!(bad.body.contains("查询条件有误"), "{backend}");
    for (id, words) in [("e-from", "请填写日期"), ("e-to", "请填写日期")] {
        assert!(
            bad.body.contains(&format!("id=\"{id}\">{words}")),
            "{backend}: {id}: {}",
            bad.body
        );
    }
    assert!(
        bad.body.contains("超出允许范围") && bad.body.contains("不是本中心的可选项"),
        "{backend}"
    );
    assert!(!bad.body.contains(&number), "{backend}: no list with bad filters");
    // A person search by a role that may not: refused beside the field, nothing listed.
    let refused = app
        .send(Some("grid_chen"), "GET", "/cases?person=13800138000", None)
        .await;
    assert_eq!(refused.status, 403, "{backend}: {}", refused.body);
    assert!(refused.body.contains("不能按当事人查询"), "{backend}");
}

per_backend!(a_citizens_history_lists_every_case_of_their_phone_without_the_phone_in_a_link);
async fn a_citizens_history_lists_every_case_of_their_phone_without_the_phone_in_a_link(backend: &str) {
    let app = App::on(backend).await;
    let first = open(&app, "clerk_wang", labour("拖欠工资三个月", "13800138000")).await;
    // The same citizen again (the phone written otherwise), and someone else.
    let again = open(&app, "clerk_wang", labour("加班费未结算", "138-0013-8000")).await;
    let other = open(&app, "clerk_wang", labour("未签劳动合同", "13800138009")).await;
    let id = first["id"].as_str().expect("id");
    let history = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/api/v1/cases?citizen_of={id}&sort=oldest"),
            None,
        )
        .await;
    assert_eq!(history.status, 200, "{backend}: {}", history.body);
    let got = numbers(&history.json());
    assert_eq!(
        got,
        vec![
            first["number"].as_str().unwrap().to_owned(),
            again["number"].as_str().unwrap().to_owned()
        ],
        "{backend}"
    );
    assert!(!got.contains(&other["number"].as_str().unwrap().to_owned()));
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=clerk_wang", None)
        .await;
    assert!(audit.body.contains("citizen_history_read"), "{backend}: {}", audit.body);
    // A role without personal data, or a reader who may not see the case, is refused.
    let r = app
        .send(
            Some("supervisor_han"),
            "GET",
            &format!("/api/v1/cases?citizen_of={id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{backend}: {}", r.body);
    let r = app
        .send(
            Some("handler_li"),
            "GET",
            &format!("/api/v1/cases?citizen_of={id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{backend}: {}", r.body);
    let r = app
        .send(Some("clerk_wang"), "GET", "/api/v1/cases?citizen_of=13800138000", None)
        .await;
    assert_eq!(
        r.status, 400,
        "{backend}: only a case id, never a phone number, in the link"
    );
    // The case page links the history for a role that sees personal data.
    let page = app.send(Some("clerk_wang"), "GET", &format!("/cases/{id}"), None).await;
    assert!(page.body.contains(&format!("/cases?citizen_of={id}")), "{backend}");
    let page = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(!page.body.contains("citizen_of="), "{backend}");
}

per_backend!(a_person_search_on_the_page_is_posted_and_its_links_never_hold_the_number);
async fn a_person_search_on_the_page_is_posted_and_its_links_never_hold_the_number(backend: &str) {
    let app = App::on(backend).await;
    let a = open(&app, "clerk_wang", labour("拖欠工资三个月", "13800138000")).await;
    let number = a["number"].as_str().expect("number").to_owned();
    let r = app
        .form("clerk_wang", "/cases/person", &[("person", "138 0013 8000")])
        .await;
    assert_eq!(r.status, 303, "{backend}: {}", r.body);
    let to = r
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert!(to.starts_with("/cases?person_ref="), "{backend}: {to}");
    assert!(
        !to.contains("13800138000"),
        "{backend}: the number is in the link: {to}"
    );
    let page = app.send(Some("clerk_wang"), "GET", &to, None).await;
    assert_eq!(page.status, 200, "{backend}: {}", page.body);
    assert!(page.body.contains(&number), "{backend}: the citizen's case is listed");
    assert!(
        !page.body.contains("13800138000"),
        "{backend}: nor anywhere on the page"
    );
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=clerk_wang", None)
        .await;
    assert!(audit.body.contains("person_searched"), "{backend}");
    // Another citizen's reference finds nothing of hers; a role without personal data may not.
    let other = app
        .form("clerk_wang", "/cases/person", &[("person", "13900000000")])
        .await;
    let to2 = other
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    let page = app.send(Some("clerk_wang"), "GET", &to2, None).await;
    assert!(!page.body.contains(&number), "{backend}");
    let r = app
        .form("grid_chen", "/cases/person", &[("person", "13800138000")])
        .await;
    assert_eq!(r.status, 403, "{backend}: {}", r.body);
    let r = app.send(Some("grid_chen"), "GET", &to, None).await;
    assert_eq!(r.status, 403, "{backend}: a reference does not open it to them either");
    // An empty search is said beside the field; a forged reference is refused.
    let r = app.form("clerk_wang", "/cases/person", &[("person", " ")]).await;
    let to3 = r
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    let page = app.send(Some("clerk_wang"), "GET", &to3, None).await;
    assert!(page.body.contains("请填写完整的电话号码"), "{backend}: {}", page.body);
}

per_backend!(the_api_searches_a_person_with_the_number_in_the_body_and_pages_by_reference);
async fn the_api_searches_a_person_with_the_number_in_the_body_and_pages_by_reference(backend: &str) {
    let app = App::on(backend).await;
    let mut mine = Vec::new();
    for facts in ["拖欠工资三个月", "加班费未结算", "社保未缴"] {
        let c = open(&app, "clerk_wang", labour(facts, "13800138000")).await;
        mine.push(c["number"].as_str().expect("number").to_owned());
    }
    open(&app, "clerk_wang", labour("另一位", "13900000000")).await;
    mine.reverse();
    // The number in the body, whole; two a page; the next page named by reference and cursor.
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases/search",
            json!({"person": "138 0013 8000", "limit": 2, "status": "open"}),
        )
        .await;
    assert_eq!(r.status, 200, "{backend}: {}", r.body);
    let doc = r.json();
    assert_eq!(numbers(&doc), mine[..2].to_vec(), "{backend}");
    let person_ref = doc["person_ref"].as_str().expect("a reference").to_owned();
    assert!(!person_ref.contains("13800138000"), "{backend}");
    let cursor = doc["next_cursor"].as_str().expect("a next page").to_owned();
    let next = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!(
                "/api/v1/cases?person_ref={person_ref}&limit=2&status=open&cursor={}",
                percent(&cursor)
            ),
            None,
        )
        .await;
    assert_eq!(numbers(&next.json()), mine[2..].to_vec(), "{backend}: {}", next.body);
    // Recorded; refused to a role without personal data; a part of a number finds nothing; bad
    // filters are every one named; an unknown key is refused.
    let audit = app
        .send(Some("admin_qin"), "GET", "/api/v1/audit?user=clerk_wang", None)
        .await;
    assert!(audit.body.contains("person_searched"), "{backend}");
    let r = app
        .json(
            "grid_chen",
            "POST",
            "/api/v1/cases/search",
            json!({"person": "13800138000"}),
        )
        .await;
    assert_eq!(r.status, 403, "{backend}: {}", r.body);
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases/search",
            json!({"person": "1380013"}),
        )
        .await;
    assert!(numbers(&r.json()).is_empty(), "{backend}");
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases/search",
            json!({"status": "shut", "opened_from": "2026-02-30"}),
        )
        .await;
    assert_eq!(r.status, 400, "{backend}: {}", r.body);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        detail.contains("status") && detail.contains("opened_from"),
        "{backend}: {detail}"
    );
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases/search",
            json!({"phone": "13800138000"}),
        )
        .await;
    assert_eq!(r.status, 400, "{backend}: an unknown key: {}", r.body);
}
