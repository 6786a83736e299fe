//! Holes an attacker found, each kept closed by a test that failed before its fix: a repeat
//! linked to a case the caller may not see, open redirects, another person's task finished,
//! rate limits on openings, and the smaller ones (release, caching, plain-text errors, line
//! breaks, bodies that are not objects). Sign-in and credentials are `credentials.rs`; masked
//! data confirmed by searching and masked notification addresses are `masking.rs`.

mod common;

use axum::http::{StatusCode, header};
use common::{App, per_backend};
use serde_json::{Value, json};
use yimen_service::limits::LimitSettings;

/// A request as if from `peer` (the accept loop puts the address there).
fn market_complaint(facts: &str) -> Value {
    json!({"case_type": "market_complaint", "channel": "hotline_12345", "fields": {
        "complainant": "周秘密", "complainant_phone": "13912345678", "business": "东港某海鲜排档",
        "category": "price", "facts": facts}})
}

// --- 1. A repeat linked to a case the caller may not see -------------------------------------

per_backend!(a_repeat_linked_to_a_case_the_caller_may_not_see_tells_only_its_number_state_department_and_due);
async fn a_repeat_linked_to_a_case_the_caller_may_not_see_tells_only_its_number_state_department_and_due(
    backend: &str,
) {
    let app = App::on(backend).await;
    // The four platforms' handler registers the first complaint (the hotline cannot see it).
    let first = app
        .json(
            "handler_ma",
            "POST",
            "/api/v1/cases",
            market_complaint("第一次投诉：账单多收八百元"),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .send(Some("handler_li"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await;
    assert_eq!(r.status, 403, "the hotline handler may not read the market case");
    // Accepted, the case's SLA clock runs: the summary must tell its due instant.
    let r = app
        .json(
            "handler_ma",
            "POST",
            &format!("/api/v1/cases/{id}/actions/accept"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let timeline = app
        .send(Some("handler_ma"), "GET", &format!("/api/v1/cases/{id}/timeline"), None)
        .await;
    let due: chrono::DateTime<chrono::Utc> = timeline.json()["upcoming"]
        .as_array()
        .expect("upcoming")
        .iter()
        .find(|u| u["kind"] == "sla_due")
        .and_then(|u| u["at"].as_str())
        .expect("a due instant")
        .parse()
        .expect("an instant");

    for who in ["handler_li", "grid_chen"] {
        let r = app
            .json(
                who,
                "POST",
                "/api/v1/cases",
                market_complaint(&format!("{who} 再次反映同一问题")),
            )
            .await;
        assert_eq!(r.status, 200, "{who}: {}", r.body);
        let doc = r.json();
        let mut keys: Vec<&str> = doc.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "department",
                "due",
                "id",
                "linked",
                "number",
                "state",
                "status",
                "visible"
            ],
            "{who} learns only the summary: {doc}"
        );
        assert_eq!(doc["id"], id.as_str());
        assert_eq!(
            doc["number"],
            first.json()["number"],
            "the number to quote when calling back"
        );
        assert_eq!(doc["linked"], true);
        assert_eq!(doc["department"], "four_platforms");
        assert_eq!(doc["state"], "mediating");
        let told: chrono::DateTime<chrono::Utc> = doc["due"].as_str().expect("due").parse().expect("an instant");
        assert!(
            (told - due).num_seconds().abs() < 1,
            "due {told} vs the timeline's {due}"
        );
        for secret in ["周秘密", "13912345678", "账单多收", "东港某海鲜排档", "tasks", "fields"] {
            assert!(!r.body.contains(secret), "{who} was told `{secret}`: {}", r.body);
        }
    }
    // The repeats are recorded on the open case all the same (that is the feature).
    let history = app.engine.history(&id).await.expect("history");
    let repeats = history
        .iter()
        .filter(|e| {
            serde_json::to_value(&e.event)
                .expect("event")
                .to_string()
                .contains("repeated")
        })
        .count();
    assert_eq!(repeats, 2, "both repeats are in the case's history");

    // The intake page says the same and no more.
    let form: Vec<(&str, &str)> = vec![
        ("channel", "hotline_12345"),
        ("f.complainant", "周秘密"),
        ("f.complainant_phone", "13912345678"),
        ("f.business", "东港某海鲜排档"),
        ("f.category", "price"),
        ("f.facts", "页面上第三次反映"),
    ];
    let r = app.form("handler_li", "/intake/market_complaint", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("重复反映"), "{}", r.body);
    // Named by its number, as the clerk can read it out to the caller.
    let number = first.json()["number"].as_str().expect("number").to_owned();
    assert!(
        r.body.contains(&format!("<dd class=\"case-number\">{number}</dd>")),
        "{}",
        r.body
    );
    for secret in ["账单多收", "13912345678"] {
        assert!(!r.body.contains(secret), "the page showed `{secret}`");
    }

    // Open311: the answer is the request id, whose public read shows no personal data or facts.
    let token = app.token("handler_li");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api_key", token.as_str()),
            ("service_code", "market_complaint"),
            ("first_name", "周秘密"),
            ("phone", "13912345678"),
            ("description", "Open311 上再次反映"),
            ("attribute[business]", "东港某海鲜排档"),
            ("attribute[category]", "price"),
            ("address_string", "东港"),
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
    assert_eq!(r.status, 201, "{}", r.body);
    let rid = r.json()[0]["service_request_id"].as_str().expect("id").to_owned();
    assert_eq!(rid, id, "linked to the open case");
    let read = app
        .send(None, "GET", &format!("/open311/v2/requests/{rid}.json"), None)
        .await;
    // Public reads show only requests filed through Open311, and of those only the summary.
    assert!(read.status == 200 || read.status == 404, "{}", read.body);
    for secret in ["周秘密", "13912345678", "账单多收", "再次反映"] {
        assert!(!read.body.contains(secret), "Open311 showed `{secret}`: {}", read.body);
    }
}

// --- 4. Open redirects --------------------------------------------------------------------

/// Where a browser would go for a `Location` header value on this site.
fn lands_on(location: &str) -> url::Url {
    let base = url::Url::parse("http://centre.example/").expect("base");
    base.join(location).expect("a browser can follow it")
}

per_backend!(redirects_after_a_language_switch_or_sign_in_stay_on_this_site);
async fn redirects_after_a_language_switch_or_sign_in_stay_on_this_site(backend: &str) {
    let app = App::on(backend).await;
    let evil = [
        "//evil.example",
        "/%09/evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\r\nSet-Cookie: x=1",
        "/%0d%0aLocation:%20http://evil.example",
        " //evil.example",
        "/ /evil.example",
        "///evil.example",
        "/.//evil.example",
        "http:evil.example",
    ];
    for target in evil {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("back", target)
            .finish();
        let r = app.send(None, "GET", &format!("/lang/en?{q}"), None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{target:?}");
        let loc = r.headers[header::LOCATION].to_str().expect("ascii");
        assert_eq!(lands_on(loc).host_str(), Some("centre.example"), "{target:?} → {loc:?}");
        assert!(!loc.chars().any(char::is_control), "{target:?} → {loc:?}");

        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("next", target)
            .finish();
        let r = app.send(Some("clerk_wang"), "GET", &format!("/login?{q}"), None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{target:?}");
        let loc = r.headers[header::LOCATION].to_str().expect("ascii");
        assert_eq!(
            lands_on(loc).host_str(),
            Some("centre.example"),
            "next {target:?} → {loc:?}"
        );
    }
    // Paths of the site are kept, with their query.
    let r = app
        .send(None, "GET", "/lang/en?back=%2Finbox%3Fstate%3Dopen", None)
        .await;
    assert_eq!(r.headers[header::LOCATION], "/inbox?state=open");
}

// --- 5. Another person's task ---------------------------------------------------------------

per_backend!(a_task_held_by_one_lawyer_is_not_finished_by_another_and_a_head_takes_it_over_with_a_reason);
async fn a_task_held_by_one_lawyer_is_not_finished_by_another_and_a_head_takes_it_over_with_a_reason(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json("clerk_wang", "POST", "/api/v1/cases", json!({"case_type": "new_resident_rights", "channel": "hotline_12345",
            "fields": {"applicant": "石磊", "applicant_phone": "13700001111", "matter": "wages", "facts": "工地欠薪三个月"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let r = app
        .json(
            "head_legal",
            "POST",
            &format!("/api/v1/cases/{id}/actions/grant_aid"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let case = app.engine.case(&id).await.expect("read").expect("case");
    let assist = case
        .tasks
        .iter()
        .find(|t| t.name == "assist" && t.is_active())
        .expect("assist task");
    let holder = assist.assignee.clone().expect("the pool assigned a lawyer");
    let other = if holder == "lawyer_gao" {
        "lawyer_feng"
    } else {
        "lawyer_gao"
    };
    // The holder takes the case on (the task stays open while the lawyer assists).
    let r = app
        .json(
            &holder,
            "POST",
            &format!("/api/v1/cases/{id}/actions/start_assistance"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let version = app.engine.case(&id).await.expect("read").expect("case").version;

    let r = app
        .json(
            other,
            "POST",
            &format!("/api/v1/cases/{id}/actions/refer"),
            json!({"comment": "我来转走"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["code"], "task_held_by_other");
    let r = app
        .json(
            "head_legal",
            "POST",
            &format!("/api/v1/cases/{id}/actions/refer"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "take_over_reason_required");
    let unchanged = app.engine.case(&id).await.expect("read").expect("case");
    assert_eq!(unchanged.version, version, "refusals changed nothing");

    let r = app
        .json(
            "head_legal",
            "POST",
            &format!("/api/v1/cases/{id}/actions/refer"),
            json!({"comment": "律师出差，由部门负责人转调解"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let history = app.engine.history(&id).await.expect("history");
    let text: Vec<String> = history
        .iter()
        .map(|e| serde_json::to_value(&e.event).expect("event").to_string())
        .collect();
    let taken = text
        .iter()
        .position(|e| e.contains("task_reassigned") && e.contains("head_legal"))
        .expect("the take-over is in the history");
    assert!(
        text[taken + 1].contains("律师出差"),
        "with the reason: {}",
        text[taken + 1]
    );
    // The holder may of course finish their own work (a fresh case).
}

// --- 10. Rate limits on openings --------------------------------------------------------------

per_backend!(openings_are_limited_per_account_with_retry_after);
async fn openings_are_limited_per_account_with_retry_after(backend: &str) {
    let app = App::on_with(
        backend,
        LimitSettings {
            openings_per_minute: 3,
            sign_ins_per_minute: 1_000,
            ..LimitSettings::default()
        },
    )
    .await;
    let open = |who: &'static str, n: usize| {
        app.json(who, "POST", "/api/v1/cases", json!({"channel": "hotline_12345",
            "fields": {"caller": "张三", "caller_phone": format!("1380013{n:04}"), "category": "request", "content": format!("路灯 {n}")}}))
    };
    for n in 0..3 {
        assert_eq!(open("clerk_wang", n).await.status, 201);
    }
    let r = open("clerk_wang", 3).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(r.json()["code"], "rate_limited");
    assert_eq!(
        open("handler_li", 4).await.status,
        201,
        "another account has its own quota"
    );
}

// --- 11. The smaller ones ------------------------------------------------------------------------

per_backend!(a_stranger_cannot_release_a_task_nor_learn_its_state);
async fn a_stranger_cannot_release_a_task_nor_learn_its_state(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json("handler_ma", "POST", "/api/v1/cases", market_complaint("释放测试"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let doc = r.json();
    let task = doc["tasks"][0]["id"].as_str().expect("a task").to_owned();
    let r = app
        .json(
            "handler_li",
            "POST",
            &format!("/api/v1/tasks/{task}/release"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(!r.body.contains("claimed") && !r.body.contains("open"), "{}", r.body);
}

per_backend!(answers_with_personal_data_are_never_cached_and_bad_queries_get_problem_details);
async fn answers_with_personal_data_are_never_cached_and_bad_queries_get_problem_details(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json("handler_ma", "POST", "/api/v1/cases", market_complaint("缓存测试"))
        .await;
    let id = r.json()["id"].as_str().expect("id").to_owned();
    for path in [
        format!("/api/v1/cases/{id}"),
        "/api/v1/inbox".into(),
        format!("/cases/{id}"),
    ] {
        let r = app.send(Some("handler_ma"), "GET", &path, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    for path in [
        "/api/v1/audit?limit=1%20OR%201=1",
        "/api/v1/audit?limit=-x",
        "/api/v1/inbox?page=abc",
    ] {
        let r = app.send(Some("admin_qin"), "GET", path, None).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
        assert_eq!(
            r.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{path}: {}",
            r.body
        );
        assert!(r.json()["detail"].is_string());
    }
}

per_backend!(line_breaks_in_one_line_names_are_refused);
async fn line_breaks_in_one_line_names_are_refused(backend: &str) {
    let app = App::on(backend).await;
    let mut doc = market_complaint("换行测试");
    doc["fields"]["complainant"] = json!("周\r\nBcc: x@evil.example");
    let r = app.json("handler_ma", "POST", "/api/v1/cases", doc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .json(
            "admin_qin",
            "POST",
            "/api/v1/users",
            json!({"id": "new_clerk", "name": "张\nSubject: x", "roles": ["intake_clerk"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(app.engine.store().account("new_clerk").await.expect("read").is_none());
}

// --- 12. Strict bodies ---------------------------------------------------------------------------

per_backend!(a_body_that_is_not_an_object_changes_nothing);
async fn a_body_that_is_not_an_object_changes_nothing(backend: &str) {
    let app = App::on(backend).await;
    app.with_password("clerk_wang", "correct horse 2026").await;
    for body in ["[]", "[1]", "\"x\"", "1", "null"] {
        let r = app
            .send(
                Some("admin_qin"),
                "POST",
                "/api/v1/users/clerk_wang/password",
                Some(("application/json", body.into())),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
    }
    let r = app
        .sign_in_from([10, 0, 4, 1], "clerk_wang", "correct horse 2026")
        .await;
    assert_eq!(r.status, 200, "the password was not reset");
}
