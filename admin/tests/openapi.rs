//! The OpenAPI document served at `/api/v1/openapi.json` stays true: it lists exactly the API
//! routes the application has, each with its access rule; every body-taking route has a schema;
//! the schemas accept what the API accepts and refuse what it refuses.

mod common;

use std::collections::BTreeSet;

use common::App;
use serde_json::{Value, json};

#[tokio::test]
async fn the_document_lists_every_api_route_and_nothing_else() {
    let app = App::start().await;
    let r = app.send(None, "GET", "/api/v1/openapi.json", None).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let api: BTreeSet<(String, String)> = app
        .routes
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path == "/healthz" || r.path == "/metrics")
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented, api);
    for r in app.routes.iter().filter(|r| r.path.starts_with("/api/")) {
        let op = &doc["paths"][r.path][r.method.to_lowercase()];
        assert_eq!(op["x-yimen-access"], r.access.as_str(), "{} {}", r.method, r.path);
        // Every path parameter is declared.
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
            assert!(
                declared.contains(&seg.trim_matches(['{', '}'])),
                "{} {}",
                r.method,
                r.path
            );
        }
        if r.method == "POST" && r.path != "/api/v1/sms/reports" {
            let content = &op["requestBody"]["content"];
            assert!(
                content["application/json"]["schema"].is_object()
                    || content["multipart/form-data"]["schema"].is_object(),
                "POST {} has a body schema",
                r.path
            );
        }
    }
}

fn validates(schema: &Value, body: &Value) -> bool {
    jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("a schema that compiles: {e}"))
        .is_valid(body)
}

#[tokio::test]
async fn the_schemas_accept_what_the_api_accepts_and_refuse_unknown_keys() {
    let app = App::start().await;
    let doc = app.send(None, "GET", "/api/v1/openapi.json", None).await.json();
    let schema = |method: &str, path: &str| {
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    let open = json!({"channel": "hotline_12345", "fields": {"caller": "张三", "caller_phone": "13800138000", "category": "request", "content": "路灯"}});
    assert!(validates(&schema("post", "/api/v1/cases"), &open));
    let r = app.json("clerk_wang", "POST", "/api/v1/cases", open).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let wrong = json!({"channel": "hotline_12345", "colour": "blue"});
    assert!(
        !validates(&schema("post", "/api/v1/cases"), &wrong),
        "an unknown key is refused by the schema"
    );
    let r = app.json("clerk_wang", "POST", "/api/v1/cases", wrong).await;
    assert_eq!(r.status, 400, "and by the API: {}", r.body);
    let review = json!({"accept": true, "comment": "好"});
    assert!(validates(
        &schema("post", "/api/v1/supervision/{record}/review"),
        &review
    ));
    assert!(!validates(
        &schema("post", "/api/v1/supervision/{record}/review"),
        &json!({"accept": "yes"})
    ));
    let session = json!({"user": "clerk_wang", "password": "b"});
    assert!(validates(&schema("post", "/api/v1/session"), &session));
    // What the server refuses the schema refuses too: a name outside the account-id alphabet,
    // a missing password, an empty channel, a float-free period pattern.
    for (path, bad) in [
        ("/api/v1/session", json!({"user": "a", "password": "b"})),
        ("/api/v1/session", json!({"user": "clerk_wang"})),
        ("/api/v1/cases", json!({"channel": ""})),
        ("/api/v1/jobs/{job}/run", json!({"period": ""})),
        ("/api/v1/cases/{id}/reveal", json!({"reason": ""})),
    ] {
        assert!(!validates(&schema("post", path), &bad), "{path}: {bad}");
        let url = path.replace("{job}", "monthly_bulletin").replace("{id}", "nope");
        let r = app.json("admin_qin", "POST", &url, bad.clone()).await;
        assert!(r.status.is_client_error(), "{path} {bad}: {}", r.status);
    }
}
