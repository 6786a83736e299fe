//! The OpenAPI 3.1 document of the JSON API, made from the route table (every API route, its
//! method, path parameters, access rule and summary) and the request bodies' types (their JSON
//! Schemas derived with `schemars`). Nothing is written by hand twice, so the document cannot
//! list a route that does not exist or miss one that does; a test checks both ways.

use serde_json::{Map, Value, json};

use yimen_http::RouteInfo;
use yimen_service::access::Access;

/// The JSON Schema of the request body of an API route, when it takes one.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use schemars::schema_for;
    let s = match (method, path) {
        ("POST", "/api/v1/session") => schema_for!(super::session::SignIn),
        ("POST", "/api/v1/cases") => schema_for!(super::cases::OpenBody),
        ("POST", "/api/v1/cases/search") => schema_for!(super::cases::SearchBody),
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
        ("POST", "/api/v1/tasks/{task}/release") => schema_for!(super::inbox::ReleaseBody),
        ("POST", "/api/v1/tasks/{task}/claim") => {
            schema_for!(super::cases::Empty)
        }
        ("POST", "/api/v1/tasks/{task}/reassign") => schema_for!(super::inbox::ReassignBody),
        ("POST", "/api/v1/tasks/{task}/complete") => schema_for!(super::inbox::CompleteBody),
        ("POST", "/api/v1/tasks/bulk") => schema_for!(super::team::BulkBody),
        ("POST", "/api/v1/absences") => schema_for!(yimen_service::absences::NewAbsence),
        ("POST", "/api/v1/absences/{id}/cancel") => schema_for!(yimen_service::absences::Nothing),
        ("POST", "/api/v1/users") => schema_for!(yimen_service::auth::NewAccount),
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

fn parameters(method: &str, path: &str) -> Vec<Value> {
    let mut out: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect();
    out.extend(query_parameters(method, path));
    out
}

/// The query parameters of the API routes that read a query string, as the handlers read them.
fn query_parameters(method: &str, path: &str) -> Vec<Value> {
    let q = |name: &str, required: bool, schema: Value| json!({"name": name, "in": "query", "required": required, "schema": schema});
    let text = json!({"type": "string"});
    let int = |min: i64, max: i64| json!({"type": "integer", "minimum": min, "maximum": max});
    match (method, path) {
        ("GET", "/api/v1/inbox") => vec![
            q("state", false, json!({"type": "string", "enum": ["open", "claimed"]})),
            q("case_type", false, text.clone()),
            q("q", false, text),
            q("page", false, int(1, 1_000_000)),
            q("per_page", false, int(1, 200)),
        ],
        ("GET", "/api/v1/cases") => {
            let short = json!({"type": "string", "maxLength": 200});
            let date = json!({"type": "string", "maxLength": 40, "description": "YYYY-MM-DD (the centre's day) or a date-time with an offset"});
            let mut v: Vec<Value> = [
                "q",
                "person",
                "number",
                "state",
                "case_type",
                "department",
                "unit",
                "channel",
                "cursor",
            ]
            .iter()
            .map(|n| q(n, false, short.clone()))
            .collect();
            v.extend(
                ["opened_from", "opened_to", "closed_from", "closed_to"]
                    .iter()
                    .map(|n| q(n, false, date.clone())),
            );
            v.extend([
                q("status", false, json!({"type": "string", "enum": ["open", "closed"]})),
                q(
                    "tier",
                    false,
                    json!({"type": "string", "enum": ["district", "town", "community"]}),
                ),
                q(
                    "overdue",
                    false,
                    json!({"type": "string", "enum": ["true", "false", "1", "0"]}),
                ),
                q("supervision_level", false, int(1, 3)),
                q("repeats", false, int(1, 1000)),
                q("sort", false, json!({"type": "string", "enum": ["newest", "oldest"]})),
                q("limit", false, int(1, 200)),
                q(
                    "format",
                    false,
                    json!({"type": "string", "enum": ["json", "csv", "xlsx"]}),
                ),
            ]);
            v
        }
        ("POST", "/api/v1/attachments") => vec![
            q("case_type", true, json!({"type": "string", "maxLength": 200})),
            q("field", true, json!({"type": "string", "maxLength": 200})),
        ],
        ("GET", "/api/v1/tasks/unstaffed") => vec![q("department", false, text.clone())],
        ("GET", "/api/v1/team") => vec![
            q("department", false, text.clone()),
            q("holder", false, text.clone()),
            q("overdue", false, json!({"type": "boolean"})),
            q("limit", false, int(1, 500)),
        ],
        ("GET", "/api/v1/audit") => vec![q("user", false, text), q("limit", false, int(1, 1000))],
        ("GET", "/api/v1/sms/reports") => vec![
            q("token", true, text.clone()),
            q("key", true, text.clone()),
            q("to", true, text),
            q("status", true, int(i64::MIN, i64::MAX)),
        ],
        ("GET", "/api/v1/workflows/{id}/diff") => {
            vec![q("from", true, int(1, i64::MAX)), q("to", true, int(1, i64::MAX))]
        }
        _ => Vec::new(),
    }
}

/// The multipart body of a route that takes files: `file` parts (and the field, for a case).
fn files_body(path: &str) -> Value {
    let mut props = Map::new();
    props.insert(
        "file".into(),
        json!({"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}}),
    );
    let mut required = vec!["file"];
    if path.contains("{id}") {
        props.insert("field".into(), json!({"type": "string", "maxLength": 200}));
        required.push("field");
    }
    json!({"required": true, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": props, "required": required
    }}}})
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// Every answer an operation can give. Any request can be malformed (400) or meet a database
/// that cannot take it (503); a request with a body can be too slow (408) or too large (413).
fn responses(r: &RouteInfo) -> Map<String, Value> {
    let mut out = Map::new();
    let mut add = |code: &str, v: Value| {
        out.insert(code.to_owned(), v);
    };
    match (r.method, r.path) {
        ("DELETE", "/api/v1/session") => add("204", json!({"description": "Signed out"})),
        ("POST", _) => {
            add("200", json!({"description": "OK (or replayed for an Idempotency-Key)"}));
            add("201", json!({"description": "Created"}));
        }
        _ => add("200", json!({"description": "OK"})),
    }
    add(
        "400",
        problem_response("Malformed request: query, path, JSON or unknown keys"),
    );
    add(
        "503",
        problem_response("The database could not take the request; nothing changed"),
    );
    if r.method != "GET" {
        add("408", problem_response("The body did not arrive in time"));
        add("413", problem_response("Body too large"));
    }
    if r.method == "POST" {
        add(
            "409",
            problem_response("Wrong state, held by another, or a concurrent change"),
        );
        add("422", problem_response("Refused: a field, guard or rule"));
    }
    if r.access != Access::Public || r.path == "/api/v1/session" {
        add("401", problem_response("Not signed in, or wrong credentials"));
    }
    if r.access != Access::Public || r.path == "/api/v1/sms/reports" {
        add(
            "403",
            problem_response("Not allowed for this role, no CSRF token, or a bad report token"),
        );
    }
    let finds = r.path.contains('{')
        || matches!(
            r.path,
            "/api/v1/deliveries/retry"
                | "/api/v1/sms/reports"
                | "/api/v1/cases/search"
                | "/api/v1/cases"
                | "/api/v1/tasks/unstaffed"
                | "/api/v1/team"
        );
    if finds {
        add(
            "404",
            problem_response("No such case, task, record, account, delivery or department"),
        );
    }
    if matches!((r.method, r.path), ("POST", "/api/v1/session" | "/api/v1/cases")) {
        add(
            "429",
            json!({
                "description": "A rate limit; try again after Retry-After seconds",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            }),
        );
    }
    out
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
        let params = parameters(r.method, r.path);
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if r.access == Access::Public {
            op.insert("security".into(), json!([]));
        }
        if r.method == "POST" && r.path.ends_with("/attachments") {
            op.insert("requestBody".into(), files_body(r.path));
        }
        if let Some(schema) = request_body(r.method, r.path) {
            op.insert(
                "requestBody".into(),
                json!({"required": false, "content": {"application/json": {"schema": schema}}}),
            );
        }
        op.insert("responses".into(), Value::Object(responses(r)));
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
                "session": {"type": "apiKey", "in": "cookie", "name": yimen_service::auth::SESSION_COOKIE, "description": "A session from POST /api/v1/session; changes also need X-CSRF-Token"}
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
                        "code": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "description": "Every field at fault (refused field values), each with a stable code, the limit broken and a sentence",
                            "items": {
                                "type": "object",
                                "required": ["field", "code", "message"],
                                "properties": {
                                    "field": {"type": "string"},
                                    "code": {"type": "string"},
                                    "limit": {"type": "string"},
                                    "message": {"type": "string"}
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}
