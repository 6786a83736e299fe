//! Validation as a person needs it: every field at fault at once, beside its input, in the
//! page's language with the field's own label and the limit broken; the same from the API as
//! problem details with `errors`; the browser's own constraints generated from the case type;
//! and nothing opened while anything is wrong.

mod common;

use common::App;
use serde_json::json;

/// A labour dispute as a busy window clerk might type it: a short phone number, a wrong ID
/// checksum, no employer, no kind of dispute, a negative amount and no facts.
const BAD: &[(&str, &str)] = &[
    ("channel", "window_labour"),
    ("f.applicant", "张三"),
    ("f.applicant_phone", "1380013"),
    ("f.applicant_id", "110101199003071234"),
    ("f.employer", ""),
    ("f.category", ""),
    ("f.amount", "-5"),
    ("f.facts", ""),
];

#[tokio::test]
async fn the_intake_page_says_every_problem_at_once_beside_its_field_in_the_readers_words() {
    let app = App::start().await;
    let before = app.engine.store().case_count().await.expect("count");
    let r = app.form("clerk_wang", "/intake/labour_dispute", BAD).await;
    assert_eq!(r.status, 422, "{}", r.body);
    for said in [
        "申请人电话不是有效的电话号码",
        "申请人身份证号不是有效的18位公民身份号码",
        "请填写用人单位。",
        "请填写争议类型。",
        "请求金额（元）超出允许范围（≥ 0）。",
        "请填写事实与理由。",
    ] {
        assert!(r.body.contains(said), "{said}: {}", r.body);
    }
    // Each beside its input, which says it is invalid and points at it.
    assert_eq!(r.body.matches("class=\"field-error\"").count(), 6, "{}", r.body);
    for id in [
        "applicant_phone",
        "applicant_id",
        "employer",
        "category",
        "amount",
        "facts",
    ] {
        assert!(
            r.body.contains(&format!("aria-describedby=\"err-{id}\"")) && r.body.contains(&format!("id=\"err-{id}\"")),
            "{id}: {}",
            r.body
        );
    }
    // No developer words: no field ids and no English on the Chinese page.
    assert!(!r.body.contains("the field `"), "{}", r.body);
    assert!(!r.body.contains("applicant_phone`"), "{}", r.body);
    // What was typed stays.
    assert!(r.body.contains("value=\"1380013\""), "{}", r.body);
    assert_eq!(
        app.engine.store().case_count().await.expect("count"),
        before,
        "nothing opened"
    );

    // In English, the same problems in English with the English labels.
    let r = app.form_in_english("clerk_wang", "/intake/labour_dispute", BAD).await;
    let (status, en) = (r.status.as_u16(), r.body);
    assert_eq!(status, 422, "{en}");
    assert!(
        en.contains("Fill in Employer.") && en.contains("Fill in Facts and reasons."),
        "{en}"
    );
    assert!(en.contains("Amount claimed (yuan) is out of range (≥ 0)."), "{en}");
    assert!(!en.contains("请填写"), "no Chinese on the English page: {en}");
}

#[tokio::test]
async fn the_api_lists_every_field_at_fault_with_its_code_and_limit() {
    let app = App::start().await;
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
                "applicant": "张三", "applicant_phone": "1380013", "category": "wages",
                "amount": -5, "facts": "x", "employer": "某公司", "nonsense": 1,
            }}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let p = r.json();
    assert_eq!(p["code"], "invalid_field", "{p}");
    let errors = p["errors"].as_array().expect("errors");
    let got: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default(),
                e["code"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("applicant_phone", "phone"),
            ("amount", "range"),
            ("nonsense", "unknown_field")
        ],
        "{p}"
    );
    assert_eq!(errors[1]["limit"], "≥ 0", "{p}");
    assert!(
        errors
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())),
        "{p}"
    );
}

#[tokio::test]
async fn the_form_carries_the_browsers_own_constraints() {
    let app = App::start().await;
    let page = app
        .send(Some("clerk_wang"), "GET", "/intake/labour_dispute", None)
        .await;
    assert_eq!(page.status, 200);
    let input = |name: &str| -> String {
        let at = page
            .body
            .find(&format!("name=\"f.{name}\""))
            .unwrap_or_else(|| panic!("{name}: {}", page.body));
        let start = page.body[..at].rfind('<').unwrap_or(0);
        let end = at + page.body[at..].find('>').unwrap_or(0);
        page.body[start..end].to_owned()
    };
    let phone = input("applicant_phone");
    assert!(
        phone.contains("type=\"tel\"") && phone.contains("pattern=") && phone.contains("required"),
        "{phone}"
    );
    assert!(
        input("applicant_id").contains("pattern=\"[0-9]{17}[0-9Xx]\""),
        "{}",
        input("applicant_id")
    );
    let amount = input("amount");
    assert!(
        amount.contains("min=\"0\"") && amount.contains("inputmode=\"decimal\""),
        "{amount}"
    );
    assert!(input("employer").contains("maxlength=\"200\""), "{}", input("employer"));
}

#[tokio::test]
async fn an_action_whose_guard_is_false_is_offered_disabled_with_the_authors_reason_never_the_expression() {
    let app = App::start().await;
    let complaint = common::open_request(&app, None, "complaint", "噪音扰民", "13900139000").await;
    let id = complaint["id"].as_str().expect("id");
    let page = app.send(Some("clerk_xia"), "GET", &format!("/cases/{id}"), None).await;
    let form = page
        .body
        .split("data-action=\"answer_directly\"")
        .nth(1)
        .and_then(|rest| rest.split("</form>").next())
        .unwrap_or_else(|| panic!("the action is offered: {}", page.body))
        .to_owned();
    assert!(form.contains("disabled"), "disabled on a complaint: {form}");
    assert!(
        page.body.contains("仅咨询、建议类诉求可直接答复") && page.body.contains("（暂不可办理）"),
        "{}",
        page.body
    );
    // Sent anyway: refused in words, never the guard's expression.
    let r = app
        .form(
            "clerk_xia",
            &format!("/cases/{id}/act"),
            &[("action", "answer_directly"), ("f.reply", "已答复")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(!r.body.contains("category in"), "{}", r.body);
    // On a consultation the same action is open to take.
    let consultation = common::open_request(&app, None, "consultation", "办证材料", "13900139001").await;
    let id = consultation["id"].as_str().expect("id");
    let page = app.send(Some("clerk_xia"), "GET", &format!("/cases/{id}"), None).await;
    assert!(!page.body.contains("（暂不可办理）"), "{}", page.body);
}

#[tokio::test]
async fn a_follow_up_offers_each_closing_action_only_the_verdicts_its_guard_allows() {
    let app = App::start().await;
    let r = common::open_request(&app, None, "complaint", "楼下噪音", "13900139020").await;
    let id = r["id"].as_str().expect("id").to_owned();
    for (who, action, body) in [
        (
            "clerk_xia",
            "dispatch",
            json!({"fields": {"handling_department": "hotline_12345"}, "assign_to": "handler_li"}),
        ),
        ("handler_li", "sign_for", json!({})),
        ("handler_li", "reply", json!({"fields": {"reply": "已协调物业处理"}})),
    ] {
        let r = app
            .json(who, "POST", &format!("/api/v1/cases/{id}/actions/{action}"), body)
            .await;
        assert_eq!(r.status, 200, "{action}: {}", r.body);
    }
    let page = app.send(Some("clerk_xia"), "GET", &format!("/cases/{id}"), None).await;
    assert_eq!(page.status, 200);
    let form = |action: &str| -> String {
        let start = page
            .body
            .find(&format!("data-action=\"{action}\""))
            .unwrap_or_else(|| panic!("{action} is offered: {}", page.body));
        let rest = &page.body[start..];
        rest[..rest.find("</form>").unwrap_or(rest.len())].to_owned()
    };
    // Both are offered (the verdict is not known before the call); each offers only its verdicts.
    let close = form("close_satisfied");
    for v in ["satisfied", "basically_satisfied", "unreachable"] {
        assert!(close.contains(&format!("value=\"{v}\"")), "{v} in {close}");
    }
    assert!(!close.contains("value=\"unsatisfied\""), "{close}");
    let reopen = form("reopen_unsatisfied");
    assert!(reopen.contains("value=\"unsatisfied\""), "{reopen}");
    assert!(
        !reopen.contains("value=\"satisfied\"") && !reopen.contains("value=\"unreachable\""),
        "{reopen}"
    );
}
