//! Case numbers (案件编号) where people meet them: the API's answer and reads by number, the
//! inbox, the case page's title, Open311's receipt and read, and the repeat notice for a case
//! the caller may not see. References that are not a case are a clear 404, never a 500.

mod common;

use common::{App, per_backend};
use serde_json::json;

fn percent(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

per_backend!(a_case_is_named_and_found_by_its_number_everywhere);
async fn a_case_is_named_and_found_by_its_number_everywhere(backend: &str) {
    let app = App::on(backend).await;
    let labour = json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
        "applicant": "张某", "applicant_phone": "13800138000", "employer": "某某水产公司",
        "category": "wages", "facts": "拖欠工资三个月"}});
    let opened = app.json("clerk_wang", "POST", "/api/v1/cases", labour).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let case = opened.json();
    let id = case["id"].as_str().expect("id").to_owned();
    let number = case["number"].as_str().expect("number").to_owned();
    assert!(
        number.starts_with("普治〔") && number.ends_with("00001号"),
        "{backend}: {number}"
    );
    let by = |path: &str| format!("/api/v1/cases/{}{path}", percent(&number));

    // The API reads and acts by number as by id.
    let r = app.send(Some("clerk_wang"), "GET", &by(""), None).await;
    assert_eq!(r.status, 200, "{backend}: {}", r.body);
    assert_eq!(r.json()["id"], id.as_str());
    let r = app.send(Some("clerk_wang"), "GET", &by("/timeline"), None).await;
    assert_eq!(r.status, 200, "{backend}: {}", r.body);
    let r = app
        .json(
            "clerk_wang",
            "POST",
            &by("/actions/start_mediation"),
            json!({"expected_version": 1}),
        )
        .await;
    assert_eq!(r.status, 200, "{backend}: {}", r.body);
    assert_eq!(r.json()["state"], "mediating");
    for (what, path) in [
        ("a number of no case", percent("普治〔2026〕99999号")),
        ("a start of an id", id[..4].to_owned()),
        ("garbage", percent("'; DROP TABLE cases; --")),
        ("a long text", "9".repeat(5000)),
    ] {
        let r = app
            .send(Some("clerk_wang"), "GET", &format!("/api/v1/cases/{path}"), None)
            .await;
        assert_eq!(r.status, 404, "{backend}: {what}: {}", r.body);
        assert_eq!(r.json()["code"], "case_not_found", "{backend}: {what}");
    }

    // The case page is titled with the number, and opens from it.
    let row = format!("<small class=\"case-number\">{number}</small>");
    let page = app
        .send(Some("clerk_wang"), "GET", &format!("/cases/{}", percent(&number)), None)
        .await;
    assert_eq!(page.status, 200, "{backend}: {}", page.body);
    assert!(page.body.contains(&row), "{backend}: {}", page.body);

    // The mediator's inbox names the case by number, and finds it by number (and not by another).
    let search = |q: &str| format!("/inbox?q={}", percent(q));
    let inbox = app.send(Some("mediator_qian"), "GET", &search(&number), None).await;
    assert_eq!(inbox.status, 200, "{backend}: {}", inbox.body);
    assert!(inbox.body.contains(&row), "{backend}: the inbox row shows the number");
    let other = app
        .send(Some("mediator_qian"), "GET", &search("普治〔2026〕99999号"), None)
        .await;
    assert!(!other.body.contains(&row), "{backend}: another number does not find it");
    let api_inbox = app
        .send(Some("mediator_qian"), "GET", "/api/v1/inbox", None)
        .await
        .json();
    assert!(
        api_inbox["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["case_number"] == number.as_str()),
        "{backend}: {api_inbox}"
    );

    // Open311: the receipt carries the new number; a read by number finds the request.
    let token = app.token("handler_li");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api_key", token.as_str()),
            ("service_code", "market_complaint"),
            ("first_name", "吴某"),
            ("phone", "13700000001"),
            ("description", "另一商户未明码标价"),
            ("attribute[business]", "朱家尖某民宿"),
            ("attribute[category]", "price"),
            ("address_string", "朱家尖"),
        ])
        .finish();
    let r = app
        .send(
            None,
            "POST",
            "/open311/v2/requests.json",
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await;
    assert_eq!(r.status, 201, "{backend}: {}", r.body);
    let second = r.json()[0]["case_number"].as_str().expect("case_number").to_owned();
    assert!(second.ends_with("00002号"), "{backend}: {second}");
    assert!(
        r.json()[0]["service_notice"]
            .as_str()
            .expect("notice")
            .contains(&second)
    );
    let read = app
        .send(
            None,
            "GET",
            &format!("/open311/v2/requests/{}.json", percent(&second)),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{backend}: {}", read.body);
    assert_eq!(read.json()[0]["case_number"], second.as_str());
}

per_backend!(the_intake_receipt_carries_the_number_the_promise_and_how_to_follow);
async fn the_intake_receipt_carries_the_number_the_promise_and_how_to_follow(backend: &str) {
    let app = App::on(backend).await;
    let labour = json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
        "applicant": "张某", "applicant_phone": "13800138000", "employer": "某某水产公司",
        "category": "wages", "facts": "拖欠工资三个月"}});
    let opened = app.json("clerk_wang", "POST", "/api/v1/cases", labour).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let number = opened.json()["number"].as_str().expect("number").to_owned();
    let id = opened.json()["id"].as_str().expect("id").to_owned();
    let case_page = app.send(Some("clerk_wang"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        case_page.body.contains(&format!("/cases/{id}/receipt")),
        "{backend}: the case page links its receipt"
    );
    let r = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/cases/{}/receipt", percent(&number)),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{backend}: {}", r.body);
    for want in [
        number.as_str(),
        "受理回执",
        "劳动争议",
        "张某",
        "凭本回执上的案件编号",
        "承诺答复期限",
        "class=\"receipt\"",
    ] {
        assert!(
            r.body.contains(want),
            "{backend}: the receipt lacks `{want}`: {}",
            r.body
        );
    }
    let thermal = app
        .send(
            Some("clerk_wang"),
            "GET",
            &format!("/cases/{id}/receipt?layout=thermal"),
            None,
        )
        .await;
    assert!(thermal.body.contains("class=\"receipt thermal\""), "{backend}");
    // A role that does not see personal data gets the name masked.
    let sup = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}/receipt"), None)
        .await;
    assert_eq!(sup.status, 200, "{backend}");
    assert!(!sup.body.contains("张某") && sup.body.contains("张*"), "{backend}");
}
