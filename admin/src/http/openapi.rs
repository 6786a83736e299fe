//! The OpenAPI 3.1 document of the JSON API, made from the route table (every API route, its
//! method, path parameters, access rule and summary) and the request bodies' types (their JSON
//! Schemas derived with `schemars`). Nothing is written by hand twice, so the document cannot
//! list a route that does not exist or miss one that does; a test checks both ways.

use serde_json::{Map, Value, json};

use super::RouteInfo;
use crate::access::Access;

/// The JSON Schema of the request body of an API route, when it takes one.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use schemars::schema_for;
    let s = match (method, path) {
        ("POST", "/api/v1/session") => schema_for!(super::session::SignIn),
        ("POST", "/api/v1/cases") => schema_for!(super::cases::OpenBody),
        ("POST", "/api/v1/cases/{id}/reveal") => schema_for!(super::cases::RevealBody),
        ("POST", "/api/v1/cases/{id}/actions/{action}") => schema_for!(super::cases::ActBody),
        ("POST", "/api/v1/cases/{id}/comments") => schema_for!(super::cases::CommentBody),
        ("POST", "/api/v1/cases/{id}/visits") => schema_for!(super::cases::Empty),
        ("POST", "/api/v1/cases/{id}/extend") => schema_for!(super::supervision::ExtendBody),
        ("POST", "/api/v1/cases/{id}/escalate") => schema_for!(super::supervision::EscalateBody),
        ("POST", "/api/v1/supervision/{record}/answer") => schema_for!(super::supervision::AnswerBody),
        ("POST", "/api/v1/supervision/{record}/review") => schema_for!(super::supervision::ReviewBody),
        ("POST", "/api/v1/deliveries/retry") => schema_for!(super::ops::RetryBody),
        ("POST", "/api/v1/jobs/{job}/run") => schema_for!(super::reports::RunBody),
        ("POST", "/api/v1/tasks/{task}/claim" | "/api/v1/tasks/{task}/release") => {
            schema_for!(super::cases::Empty)
        }
        ("POST", "/api/v1/tasks/{task}/reassign") => schema_for!(super::inbox::ReassignBody),
        ("POST", "/api/v1/tasks/{task}/complete") => schema_for!(super::inbox::CompleteBody),
        ("POST", "/api/v1/users") => schema_for!(crate::auth::NewAccount),
        ("POST", "/api/v1/users/{id}/password") => schema_for!(super::cases::Empty),
        ("POST", "/api/v1/users/{id}/active") => schema_for!(super::manage::ActiveBody),
        ("POST", "/api/v1/users/{id}/unlock") => schema_for!(super::cases::Empty),
        ("POST", "/api/v1/users/{id}/tokens") => schema_for!(super::manage::NewToken),
        ("POST", "/api/v1/workflows/{id}/validate" | "/api/v1/workflows/{id}/deploy") => {
            schema_for!(super::manage::SourceBody)
        }
        _ => return None,
    };
    Some(s.to_value())
}

fn parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// The document.
pub fn document(routes: &[RouteInfo]) -> Value {
    let mut paths = Map::new();
    for r in routes
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path == "/healthz" || r.path == "/metrics")
    {
        let mut op = Map::new();
        op.insert("summary".into(), json!(r.summary));
        op.insert(
            "operationId".into(),
            json!(format!(
                "{}_{}",
                r.method.to_lowercase(),
                r.path.trim_start_matches('/').replace(['/', '{', '}', '-', '.'], "_")
            )),
        );
        op.insert("x-yimen-access".into(), json!(r.access.as_str()));
        let params = parameters(r.path);
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if r.access == Access::Public {
            op.insert("security".into(), json!([]));
        }
        if let Some(schema) = request_body(r.method, r.path) {
            op.insert(
                "requestBody".into(),
                json!({"required": false, "content": {"application/json": {"schema": schema}}}),
            );
        }
        let mut responses = Map::new();
        responses.insert("200".into(), json!({"description": "OK"}));
        if r.method == "POST" {
            responses.insert("201".into(), json!({"description": "Created"}));
            responses.insert("400".into(), problem_response("Malformed JSON or unknown keys"));
            responses.insert("413".into(), problem_response("Body too large"));
            responses.insert("422".into(), problem_response("Refused: a field, guard or rule"));
        }
        if r.access != Access::Public {
            responses.insert("401".into(), problem_response("Not signed in"));
            responses.insert(
                "403".into(),
                problem_response("Not allowed for this role, or no CSRF token"),
            );
        }
        if r.path.contains('{') {
            responses.insert("404".into(), problem_response("No such case, task or record"));
        }
        if r.method == "POST" {
            responses.insert("409".into(), problem_response("Wrong state or a concurrent change"));
        }
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(r.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(r.method.to_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Yimen API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cases, inboxes, supervision and reports of a one-door centre. Errors are RFC 9457 problem details with a stable `code`. `x-yimen-access` names who may call each operation: public, signed_in (what a case allows is then checked by department, unit and supervision level), oversight (supervisors, department heads, admins) or admin."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from `yimen user token`"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE, "description": "A session from POST /api/v1/session; changes also need X-CSRF-Token"}
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail", "code"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "code": {"type": "string"}
                    }
                }
            }
        }
    })
}
