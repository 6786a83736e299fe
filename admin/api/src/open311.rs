//! Open311 GeoReport v2 under `/open311/v2`, so existing Open311 clients can file and track
//! cases: service discovery, the service list (the case types the online portal takes), service
//! definitions (their fields as attributes), creating a request (with an API token as
//! `api_key`) and reading requests. JSON and XML, as the format suffix says.
//!
//! A request becomes a case filed through the `portal` channel by the token's account. Public
//! reads never carry personal data: a request shows its status, the state as `status_notes`,
//! the responsible department and the SLA due instant as `expected_datetime`, not its fields.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use yimen_engine::core::{Actor, Case, CompiledCaseType};
use yimen_engine::model::case_type::FieldType;

use yimen_http::AppState;

/// The channel Open311 requests are filed through.
pub const CHANNEL: &str = "portal";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

fn split(name: &str) -> Option<(&str, Format)> {
    if let Some(base) = name.strip_suffix(".json") {
        Some((base, Format::Json))
    } else {
        name.strip_suffix(".xml").map(|base| (base, Format::Xml))
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes a JSON value as GeoReport XML: an array becomes repeated `item` elements.
fn to_xml(out: &mut String, name: &str, item: &str, v: &Value) {
    match v {
        Value::Array(list) => {
            out.push_str(&format!("<{name}>"));
            for x in list {
                let child = match item {
                    "services" => "service",
                    "service_requests" => "request",
                    "attributes" => "attribute",
                    "values" => "value",
                    "errors" => "error",
                    "endpoints" => "endpoint",
                    "formats" => "format",
                    other => other,
                };
                to_xml(out, child, child, x);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(m) => {
            out.push_str(&format!("<{name}>"));
            for (k, x) in m {
                to_xml(out, k, k, x);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", xml_escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn answer(status: StatusCode, fmt: Format, root: &str, v: Value) -> Response {
    match fmt {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            v.to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            to_xml(&mut out, root, root, &v);
            (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], out).into_response()
        }
    }
}

/// A GeoReport error list with the status.
fn error(status: StatusCode, fmt: Format, description: &str) -> Response {
    answer(
        status,
        fmt,
        "errors",
        json!([{"code": status.as_u16(), "description": description}]),
    )
}

/// The case types an Open311 client may file: those the online portal takes.
fn services(s: &AppState) -> Vec<Arc<CompiledCaseType>> {
    s.engine
        .definitions()
        .all_current()
        .into_iter()
        .filter(|d| d.def.channels.iter().any(|c| c == CHANNEL))
        .collect()
}

fn iso(s: &AppState, t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&s.centre_tz()).to_rfc3339()
}

/// `GET /open311/v2/{resource}`: `discovery`, `services` or `requests`, `.json` or `.xml`.
pub async fn get_resource(
    State(s): State<Arc<AppState>>,
    Path(resource): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let Some((name, fmt)) = split(&resource) else {
        return error(StatusCode::NOT_FOUND, Format::Json, "ask for a .json or .xml resource");
    };
    match name {
        "discovery" => answer(
            StatusCode::OK,
            fmt,
            "discovery",
            json!({
                "changeset": "2026-12-01T00:00:00+08:00",
                "contact": s.engine.org().file.centre.name.get("zh-CN"),
                "key_service": "API tokens are issued by the centre's administrators (yimen user token)",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": "/open311/v2",
                    "changeset": "2026-12-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"]
                }]
            }),
        ),
        "services" => {
            let list: Vec<Value> = services(&s)
                .iter()
                .map(|d| {
                    let dept = s
                        .engine
                        .org()
                        .file
                        .departments
                        .get(&d.def.department)
                        .map_or_else(|| d.def.department.clone(), |x| x.name.get("zh-CN").to_owned());
                    json!({
                        "service_code": d.def.id,
                        "service_name": d.def.name.get("zh-CN"),
                        "description": d.def.description.as_ref().map(|x| x.get("zh-CN").to_owned()).unwrap_or_default(),
                        "metadata": true,
                        "type": "realtime",
                        "keywords": d.def.name.get("en"),
                        "group": dept,
                    })
                })
                .collect();
            answer(StatusCode::OK, fmt, "services", Value::Array(list))
        }
        "requests" => list_requests(&s, fmt, &q).await,
        _ => error(StatusCode::NOT_FOUND, fmt, "no such resource"),
    }
}

/// `GET /open311/v2/services/{code}.{fmt}`: the service's fields as attributes.
pub async fn service_definition(State(s): State<Arc<AppState>>, Path(code): Path<String>) -> Response {
    let Some((code, fmt)) = split(&code) else {
        return error(StatusCode::NOT_FOUND, Format::Json, "ask for a .json or .xml resource");
    };
    let Some(d) = services(&s).into_iter().find(|d| d.def.id == code) else {
        return error(StatusCode::NOT_FOUND, fmt, "no such service_code");
    };
    let mapped = mapped_fields(&d);
    let attributes: Vec<Value> = d
        .def
        .fields
        .iter()
        .filter(|(id, f)| !mapped.contains(id) && f.ty != FieldType::Attachment)
        .filter(|(id, f)| f.required || !d.def.actions.values().any(|a| a.requires.contains(id)))
        .enumerate()
        .map(|(i, (id, f))| {
            let datatype = match f.ty {
                FieldType::Enum => "singlevaluelist",
                FieldType::Integer | FieldType::Money => "number",
                FieldType::Date => "datetime",
                FieldType::Text if f.max_length.is_none_or(|m| m > 200) => "text",
                _ => "string",
            };
            let values: Vec<Value> = f
                .values
                .as_ref()
                .map(|vs| {
                    vs.iter()
                        .map(|(k, v)| json!({"key": k, "name": v.get("zh-CN")}))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "variable": true,
                "code": id,
                "datatype": datatype,
                "required": f.required,
                "datatype_description": f.help.as_ref().map(|h| h.get("zh-CN").to_owned()).unwrap_or_default(),
                "order": i + 1,
                "description": f.label.get("zh-CN"),
                "values": values,
            })
        })
        .collect();
    answer(
        StatusCode::OK,
        fmt,
        "service_definition",
        json!({"service_code": code, "attributes": attributes}),
    )
}

/// The fields GeoReport's own parameters fill: the citizen's name and phone, the description
/// (the first required text field) and the address (a field named `address`).
fn mapped_fields(d: &CompiledCaseType) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &d.def.citizen {
        out.push(c.name.clone());
        out.extend(c.phone.clone());
    }
    out.extend(description_field(d));
    if d.def.fields.contains_key("address") {
        out.push("address".into());
    }
    out
}

fn description_field(d: &CompiledCaseType) -> Option<String> {
    d.def
        .fields
        .iter()
        .find(|(_, f)| f.required && f.ty == FieldType::Text && f.max_length.is_none_or(|m| m > 200))
        .map(|(id, _)| id.clone())
}

/// The actor an Open311 `api_key` stands for: the account of a live API token.
async fn key_holder(s: &AppState, key: &str, fmt: Format) -> Result<Actor, Response> {
    let invalid = || error(StatusCode::FORBIDDEN, fmt, "api_key is not valid");
    let user = match s
        .engine
        .store()
        .token_user(key, s.engine.now().timestamp_millis())
        .await
    {
        Ok(Some(u)) => u,
        Ok(None) => return Err(invalid()),
        Err(e) => {
            tracing::error!("open311: {e}");
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                fmt,
                "the service is unavailable; try again shortly",
            ));
        }
    };
    match s.engine.store().account(&user).await {
        Ok(Some(a)) => yimen_service::auth::actor(s.engine.org(), &a).ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

/// The case's fields from a GeoReport request: `attribute[code]` values, the citizen's name and
/// phone, the description and the place, each into the field the case type declares for it.
fn request_fields(
    d: &CompiledCaseType,
    pairs: &[(String, String)],
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Map<String, Value>, &'static str> {
    let mut fields = Map::new();
    for (k, v) in pairs {
        if let Some(code) = k.strip_prefix("attribute[").and_then(|x| x.strip_suffix(']')) {
            let v = v.trim();
            if !v.is_empty() {
                fields.insert(code.to_owned(), Value::String(v.to_owned()));
            }
        }
    }
    if let Some(c) = &d.def.citizen {
        let name = [get("last_name"), get("first_name")]
            .into_iter()
            .flatten()
            .collect::<String>();
        if !name.is_empty() {
            fields.entry(c.name.clone()).or_insert(Value::String(name));
        }
        if let (Some(f), Some(p)) = (&c.phone, get("phone")) {
            fields.entry(f.clone()).or_insert(Value::String(p));
        }
    }
    if let (Some(f), Some(text)) = (description_field(d), get("description")) {
        if text.chars().count() > 4000 {
            return Err("description is longer than 4000 characters");
        }
        fields.entry(f).or_insert(Value::String(text));
    }
    if d.def.fields.contains_key("address") {
        let place = get("address_string").or_else(|| match (get("lat"), get("long")) {
            (Some(a), Some(b)) => Some(format!("{a},{b}")),
            _ => None,
        });
        if let Some(p) = place {
            fields.entry("address".to_owned()).or_insert(Value::String(p));
        }
    }
    Ok(fields)
}

/// `POST /open311/v2/requests.{fmt}`: a form with `api_key`, `service_code`, GeoReport's own
/// fields and `attribute[code]`.
pub async fn create_request(
    State(s): State<Arc<AppState>>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fmt = match split(&resource) {
        Some(("requests", f)) => f,
        Some((_, f)) => return error(StatusCode::NOT_FOUND, f, "no such resource"),
        None => {
            return error(
                StatusCode::NOT_FOUND,
                Format::Json,
                "ask for requests.json or requests.xml",
            );
        }
    };
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            "send the request as application/x-www-form-urlencoded",
        );
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(key) = get("api_key") else {
        return error(StatusCode::FORBIDDEN, fmt, "api_key is required");
    };
    let actor = match key_holder(&s, &key, fmt).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(wait) = s.limits.opening(&actor.id) {
        let refused = error(
            StatusCode::TOO_MANY_REQUESTS,
            fmt,
            "too many requests with this api_key; wait and try again",
        );
        return yimen_http::with_retry_after(refused, wait.0);
    }
    let Some(code) = get("service_code") else {
        return error(StatusCode::BAD_REQUEST, fmt, "service_code is required");
    };
    let Some(d) = services(&s).into_iter().find(|d| d.def.id == code) else {
        return error(StatusCode::NOT_FOUND, fmt, "no such service_code");
    };
    if get("lat").is_none() && get("address_string").is_none() && get("address_id").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            "give a location: lat and long, address_string or address_id",
        );
    }
    let fields = match request_fields(&d, &pairs, &get) {
        Ok(f) => f,
        Err(too_long) => return error(StatusCode::BAD_REQUEST, fmt, too_long),
    };
    match s.engine.open_case(&d.def.id, CHANNEL, fields, None, actor, None).await {
        Ok(out) => answer(
            StatusCode::CREATED,
            fmt,
            "service_requests",
            json!([{
                "service_request_id": out.case.id,
                "service_notice": match (&out.case.number, out.linked) {
                    (Some(n), true) => format!("重复反映，已并入原诉求 {n} (a repeat: linked to the open request {n})"),
                    (Some(n), false) => format!("已受理，案件编号 {n} (received as case {n})"),
                    (None, true) => "重复反映，已并入原诉求 (a repeat: linked to the open request)".to_owned(),
                    (None, false) => "已受理 (received)".to_owned(),
                },
                "case_number": out.case.number,
                "account_id": Value::Null,
            }]),
        ),
        Err(e) => {
            let api = yimen_http::ApiError::from(e);
            let status = if api.status().is_server_error() {
                api.status()
            } else {
                StatusCode::BAD_REQUEST
            };
            error(status, fmt, api.detail())
        }
    }
}

fn request_doc(s: &AppState, c: &Case) -> Value {
    let org = s.engine.org();
    let def = s.engine.definitions().get(&c.case_type, c.definition_version);
    let due = def.as_ref().and_then(|d| {
        c.sla
            .as_ref()
            .and_then(|clock| clock.derive(&d.calendar, &d.warn_at, s.engine.now()).ok().flatten())
            .map(|x| iso(s, x.due))
    });
    json!({
        "service_request_id": c.id,
        "case_number": c.number,
        "status": if c.is_closed() { "closed" } else { "open" },
        "status_notes": def.as_ref().and_then(|d| d.def.states.get(&c.state)).map(|st| st.name.get("zh-CN").to_owned()).unwrap_or_default(),
        "service_name": def.as_ref().map(|d| d.def.name.get("zh-CN").to_owned()).unwrap_or_default(),
        "service_code": c.case_type,
        "agency_responsible": org.file.departments.get(&c.department).map(|x| x.name.get("zh-CN").to_owned()).unwrap_or_default(),
        "requested_datetime": iso(s, c.opened_at),
        "updated_datetime": iso(s, c.updated_at),
        "expected_datetime": due,
    })
}

async fn list_requests(s: &AppState, fmt: Format, q: &[(String, String)]) -> Response {
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let Some(ids) = get("service_request_id") {
        let ids: Vec<String> = ids
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .take(100)
            .collect();
        let cases = match s.engine.store().cases_by_ids(&ids).await {
            Ok(c) => c,
            Err(_) => return error(StatusCode::SERVICE_UNAVAILABLE, fmt, "the service is unavailable"),
        };
        let list: Vec<Value> = cases
            .iter()
            .filter(|c| c.channel == CHANNEL)
            .map(|c| request_doc(s, c))
            .collect();
        return answer(StatusCode::OK, fmt, "service_requests", Value::Array(list));
    }
    let parse = |k: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        match get(k) {
            None => Ok(None),
            Some(v) => chrono::DateTime::parse_from_rfc3339(&v)
                .map(|d| Some(d.with_timezone(&chrono::Utc)))
                .map_err(|_| format!("{k} must be a W3C date-time with an offset")),
        }
    };
    let now = s.engine.now();
    let (start, end) = match (parse("start_date"), parse("end_date")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(m), _) | (_, Err(m)) => return error(StatusCode::BAD_REQUEST, fmt, &m),
    };
    let end = end.unwrap_or(now);
    let start = start.unwrap_or(end - chrono::Duration::days(90));
    if start > end || end - start > chrono::Duration::days(90) {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            "start_date and end_date span at most 90 days",
        );
    }
    let mut types: Vec<String> = services(s).iter().map(|d| d.def.id.clone()).collect();
    if let Some(code) = get("service_code") {
        if !types.contains(&code) {
            return error(StatusCode::NOT_FOUND, fmt, "no such service_code");
        }
        types = vec![code];
    }
    let status = get("status");
    let cases = match s
        .engine
        .store()
        .cases_of_channel(
            CHANNEL,
            &types,
            start.timestamp_millis(),
            end.timestamp_millis() + 1,
            1000,
        )
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("open311: {e}");
            return error(StatusCode::SERVICE_UNAVAILABLE, fmt, "the service is unavailable");
        }
    };
    let list: Vec<Value> = cases
        .iter()
        .filter(|c| match status.as_deref() {
            None => true,
            Some(st) => st
                .split(',')
                .any(|x| (x == "closed") == c.is_closed() && (x == "open" || x == "closed")),
        })
        .map(|c| request_doc(s, c))
        .collect();
    answer(StatusCode::OK, fmt, "service_requests", Value::Array(list))
}

/// `GET /open311/v2/requests/{id}.{fmt}`.
pub async fn get_request(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Some((id, fmt)) = split(&id) else {
        return error(StatusCode::NOT_FOUND, Format::Json, "ask for a .json or .xml resource");
    };
    // The id as given, or the case's number (案件编号).
    let case = match yimen_engine::store::numbers::as_case_id(id) {
        Some(id) => s.engine.case(&id).await,
        None => match s.engine.store().case_id_by_number(id).await {
            Ok(Some(id)) => s.engine.case(&id).await,
            Ok(None) => Ok(None),
            Err(e) => Err(e.into()),
        },
    };
    match case {
        Ok(Some(c)) if c.channel == CHANNEL => {
            answer(StatusCode::OK, fmt, "service_requests", json!([request_doc(&s, &c)]))
        }
        Ok(_) => error(StatusCode::NOT_FOUND, fmt, "no such service_request_id"),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, fmt, "the service is unavailable"),
    }
}
