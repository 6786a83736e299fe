//! Masked personal data stays masked where a holes hunt looked for it: an inbox search never
//! confirms a masked value, and the addresses of failed notifications are masked like the
//! case's data (retried by reference). Split from `holes.rs`.

mod common;

use common::{App, Resp, per_backend};
use serde_json::{Value, json};

/// A request as if from `peer` (the accept loop puts the address there).
fn market_complaint(facts: &str) -> Value {
    json!({"case_type": "market_complaint", "channel": "hotline_12345", "fields": {
        "complainant": "周秘密", "complainant_phone": "13912345678", "business": "东港某海鲜排档",
        "category": "price", "facts": facts}})
}

// --- 6. Masked data is not confirmed by searching --------------------------------------------

per_backend!(a_grid_worker_searching_the_inbox_never_matches_what_is_masked);
async fn a_grid_worker_searching_the_inbox_never_matches_what_is_masked(backend: &str) {
    let app = App::on(backend).await;
    for place in ["沈家门渔港路12号", "沈家门渔港路14号"] {
        let r = app
            .json(
                "grid_chen",
                "POST",
                "/api/v1/cases",
                json!({"case_type": "grid_event", "channel": "grid_report", "unit": "shenjiamen_c1",
                "fields": {"reporter": "陈平", "location": place, "category": "safety", "description": "电箱门损坏"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_str().expect("id").to_owned();
        for (who, action, fields) in [
            ("clerk_wang", "accept", json!({})),
            ("handler_li", "handled", json!({"result": "已加锁"})),
        ] {
            let r = app
                .json(
                    who,
                    "POST",
                    &format!("/api/v1/cases/{id}/actions/{action}"),
                    json!({"fields": fields}),
                )
                .await;
            assert_eq!(r.status, 200, "{who} {action}: {}", r.body);
        }
    }
    let count = |r: &Resp| r.json()["tasks"].as_array().expect("tasks").len();
    let all = app.send(Some("grid_chen"), "GET", "/api/v1/inbox", None).await;
    assert_eq!(count(&all), 2, "{}", all.body);
    let q = |s: &str| {
        format!(
            "/api/v1/inbox?q={}",
            url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
        )
    };
    for (term, found) in [("陈平", 0), ("陈某", 0), ("平", 0), ("渔港路", 2), ("14号", 1)] {
        let r = app.send(Some("grid_chen"), "GET", &q(term), None).await;
        assert_eq!(count(&r), found, "searching {term}: {}", r.body);
    }
    // The inbox page searches the same way.
    let links = |body: &str| body.matches("href=\"/cases/").count();
    let found = app
        .send(Some("grid_chen"), "GET", &q("渔港路").replace("/api/v1", ""), None)
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(links(&found.body), 2, "the page lists both by what it shows");
    let page = app
        .send(Some("grid_chen"), "GET", &q("陈平").replace("/api/v1", ""), None)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(links(&page.body), 0, "the page found cases by a masked name");
    // A role that sees personal data finds a case by the name: an application by 陈平 waits
    // for the legal-service head's review.
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "new_resident_rights", "channel": "hotline_12345",
            "fields": {"applicant": "陈平", "applicant_phone": "13700002222", "matter": "wages", "facts": "欠薪"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.send(Some("head_legal"), "GET", &q("陈平"), None).await;
    assert_eq!(count(&r), 1, "{}", r.body);
    // Personal data is sealed: it is found whole (by its blind index), never by a part of it.
    let r = app.send(Some("head_legal"), "GET", &q("陈"), None).await;
    assert_eq!(count(&r), 0, "a part of a name finds nothing: {}", r.body);
    let r = app.send(Some("head_legal"), "GET", &q("137-0000-2222"), None).await;
    assert_eq!(
        count(&r),
        1,
        "a phone number, however written, finds its case: {}",
        r.body
    );
}

// --- 6. (cont.) Addresses of failed notifications are masked like the case's data -------------

per_backend!(failed_notifications_show_addresses_masked_to_roles_that_see_them_masked_and_retry_by_reference);
async fn failed_notifications_show_addresses_masked_to_roles_that_see_them_masked_and_retry_by_reference(
    backend: &str,
) {
    let app = App::on(backend).await;
    // A complaint's receipt goes by SMS to the complainant; with no gateway it cannot be sent.
    let r = app
        .json("handler_ma", "POST", "/api/v1/cases", market_complaint("回执测试"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let opts = yimen_engine::load::LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: yimen_engine::yaml::Limits::default(),
    };
    let (bundle, _) = yimen_engine::load::load_dir(&common::workflows(), &opts);
    let renderer =
        yimen_engine::render::Renderer::new(&bundle.templates, "中心", "http://centre.example").expect("renderer");
    let dispatcher = yimen_dispatch::Dispatcher::new(
        app.engine.clone(),
        std::sync::Arc::new(renderer),
        None,
        None,
        yimen_dispatch::DispatchOptions::default(),
    );
    dispatcher.expand().await.expect("expand");

    let r = app
        .send(Some("admin_qin"), "GET", "/api/v1/deliveries/failed", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let failed = r.json()["failed"].as_array().expect("failed").clone();
    let receipt = failed
        .iter()
        .find(|d| d["channel"] == "sms")
        .cloned()
        .unwrap_or_else(|| panic!("the receipt is listed: {}", r.body));
    assert!(
        !r.body.contains("13912345678"),
        "the admin role masks personal data: {}",
        r.body
    );
    assert_eq!(receipt["address"], "139****5678");
    let page = app.send(Some("admin_qin"), "GET", "/admin/deliveries", None).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("13912345678"), "the page shows the number in full");
    // Retried by its reference, without the number.
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/deliveries/retry",
            json!({
            "outbox_key": receipt["outbox_key"], "channel": "sms", "address": receipt["address_ref"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
