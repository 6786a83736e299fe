//! Arbitrary JSON (and bytes that are not JSON) posted to every API route that takes a body:
//! the answer is always a 2xx or a 4xx problem document, never a server error, and the store is
//! intact afterwards. `YIMEN_FUZZ_CASES` sets the budget for a long run by hand.

mod common;

use common::App;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("13800138000"),
            Just("110101199003071233"),
            Just("request"),
            Just("dispatch"),
            Just("hotline_12345"),
            Just("service_request_12345"),
            Just("<script>alert(1)</script>"),
            Just("'; DROP TABLE cases; --"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("channel".to_owned()),
                    Just("case_type".to_owned()),
                    Just("fields".to_owned()),
                    Just("action".to_owned()),
                    Just("text".to_owned()),
                    Just("accept".to_owned()),
                    Just("reason".to_owned()),
                    Just("source".to_owned()),
                    Just("caller".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn no_json_body_or_garbage_makes_a_server_error() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = rt.block_on(App::start());
    let id = rt.block_on(async {
        let r = app
            .json(
                "clerk_wang",
                "POST",
                "/api/v1/cases",
                json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯"}}),
            )
            .await;
        r.json()["id"].as_str().expect("id").to_owned()
    });
    let paths: Vec<String> = app
        .routes
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/"))
        // Deploying would rewrite the workflows; its validation twin takes the same body.
        .filter(|r| !r.path.ends_with("/deploy"))
        .map(|r| {
            r.path
                .replace("{id}", &id)
                .replace("{task}", &format!("{id}:t1"))
                .replace("{record}", &format!("{id}:s1"))
                .replace("{action}", "dispatch")
                .replace("{job}", "monthly_bulletin")
        })
        .collect();
    assert!(paths.len() >= 15, "{paths:?}");
    let cases = std::env::var("YIMEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config::with_cases(cases));
    let users = ["clerk_wang", "admin_qin", "supervisor_han"];
    let result = runner.run(
        &(
            arbitrary_json(),
            0..paths.len(),
            0..users.len(),
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        |(body, p, u, garbage)| {
            let path = &paths[p];
            for sent in [body.to_string(), String::from_utf8_lossy(&garbage).into_owned()] {
                let r = rt.block_on(app.send(Some(users[u]), "POST", path, Some(("application/json", sent.clone()))));
                prop_assert!(
                    !r.status.is_server_error(),
                    "POST {path} with {sent}: {} {}",
                    r.status,
                    r.body
                );
                if r.status.is_client_error() {
                    prop_assert_eq!(
                        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
                        Some("application/problem+json")
                    );
                }
            }
            Ok(())
        },
    );
    result.expect("every answer is a 2xx or a 4xx problem");
    let audit = rt.block_on(app.engine.store().audit_verify()).expect("verify");
    assert!(audit.broken.is_empty(), "the histories are intact");
    rt.block_on(app.engine.shutdown());
}
