//! Case routes: open, read with history, act, comment, record a visit.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use yimen_engine::core::Command;
use yimen_engine::runtime::EngineError;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};
use yimen_service::access;
use yimen_service::cases::{check_visible, linked_summary, shown, visible, visible_case};

/// `POST /api/v1/cases`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    #[serde(default)]
    case_type: Option<String>,
    #[serde(default)]
    matter: Option<String>,
    #[schemars(length(min = 1))]
    channel: String,
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    unit: Option<String>,
}

/// `POST /api/v1/cases/{id}/actions/{action}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    #[serde(default)]
    fields: Map<String, Value>,
    #[serde(default)]
    expected_version: Option<i64>,
    #[serde(default)]
    comment: Option<String>,
    /// The person who takes the tasks the action opens (a dispatcher naming the handler).
    #[serde(default)]
    assign_to: Option<String>,
}

/// `POST /api/v1/cases/{id}/comments`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    text: String,
}

/// Visits carry nothing.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

pub async fn open(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<OpenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let b = body.value;
    if let Err(yimen_service::limits::RetryAfter(secs)) = s.limits.opening(&actor.id) {
        return Err(ApiError::too_many(
            secs,
            "too many cases opened with this account in a minute; wait and try again",
        ));
    }
    if b.channel.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            "`channel` is required",
        ));
    }
    let case_type = s
        .engine
        .org()
        .route(&b.channel, b.case_type.as_deref(), b.matter.as_deref())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_case_type", e.to_string()))?;
    let out = s
        .engine
        .open_case(&case_type, &b.channel, b.fields, b.unit, actor.clone(), idem)
        .await
        .map_err(|e| labelled(&s, ApiError::from(e), &case_type, None))?;
    // A repeat linked to an open case, or a replayed request, creates nothing.
    let status = if out.replayed || out.linked {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    // A repeat is linked to a case the caller may not see: they learn only that it was linked,
    // its id, state, handling department and due instant — no fields, facts, history or tasks.
    if out.linked && visible(&s, &actor, &out.case.id).await.is_err() {
        return Ok((status, Json(linked_summary(&s, &out.case))));
    }
    let mut doc = shown(&s, &actor, &out.case);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("linked".into(), json!(out.linked));
    }
    Ok((status, Json(doc)))
}

pub async fn get(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (case, history) = visible_case(&s, &actor, &id).await?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    let unmasked = access::sees_personal_data(s.engine.org(), &actor);
    Ok(Json(access::view_case(
        def.as_ref().map(|d| &d.def),
        &case,
        Some(&history),
        unmasked,
    )))
}

/// `POST /api/v1/cases/{id}/reveal`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Why the personal data is needed (kept in the audit log).
    #[schemars(length(min = 1, max = 500), regex(pattern = r"\S"))]
    reason: String,
}

/// The case's personal data unmasked, for anyone who may see the case and gives a reason; the
/// reveal is written to the audit log first.
pub async fn reveal(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<RevealBody>,
) -> Result<impl IntoResponse, ApiError> {
    let reason = body.value.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
            "say why the personal data is needed (1 to 500 characters)",
        ));
    }
    let (case, history) = visible_case(&s, &actor, &id).await?;
    let now = s.engine.now().timestamp_millis();
    s.engine
        .store()
        .audit(now, &actor.id, "personal_data_revealed", &case.id, &reason)
        .await
        .map_err(EngineError::from)?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    Ok(Json(access::view_case(
        def.as_ref().map(|d| &d.def),
        &case,
        Some(&history),
        true,
    )))
}

pub async fn act(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, action)): Path<(String, String)>,
    body: Body<ActBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let id = check_visible(&s, &actor, &id).await?;
    let b = body.value;
    let cmd = Command::Act {
        action,
        fields: b.fields,
        comment: b.comment,
        expected_version: b.expected_version,
        assign_to: b.assign_to.filter(|u| !u.trim().is_empty()).map(Into::into),
    };
    let out = match s.engine.command(&id, cmd, actor.clone(), idem).await {
        Ok(out) => out,
        Err(e) => {
            let e = ApiError::from(e);
            if e.fields().is_empty() {
                return Err(e);
            }
            // The fields at fault named by their labels in the case's own version.
            let case = s.engine.case(&id).await.ok().flatten();
            return Err(match case {
                Some(c) => labelled(&s, e, &c.case_type, Some(c.definition_version)),
                None => e,
            });
        }
    };
    Ok(Json(shown(&s, &actor, &out.case)))
}

/// A refusal of field values with the fields' labels of `case_type` (its `version`, else the
/// current one).
fn labelled(s: &AppState, e: ApiError, case_type: &str, version: Option<i64>) -> ApiError {
    let defs = s.engine.definitions();
    let def = match version {
        Some(v) => defs.get(case_type, v),
        None => defs.current(case_type),
    };
    match def {
        Some(d) if !e.fields().is_empty() => e.labelled(&d.def),
        _ => e,
    }
}

pub async fn comment(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<CommentBody>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let id = check_visible(&s, &actor, &id).await?;
    let out = s
        .engine
        .command(&id, Command::Comment { text: body.value.text }, actor.clone(), idem)
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&s, &actor, &out.case))))
}

pub async fn visit(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<Empty>,
) -> Result<impl IntoResponse, ApiError> {
    let idem = body.idempotency_for(&actor);
    let id = check_visible(&s, &actor, &id).await?;
    let out = s.engine.command(&id, Command::RecordVisit, actor.clone(), idem).await?;
    Ok((StatusCode::CREATED, Json(shown(&s, &actor, &out.case))))
}

/// `GET /api/v1/cases`: the cases the caller may see, filtered and a page at a time; with
/// `format=csv` or `format=xlsx`, every match (up to the export's limit) as a file.
pub async fn list(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<axum::response::Response, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    answer(s, actor, &pairs).await
}

/// `POST /api/v1/cases/search`: the filters of `GET /api/v1/cases` in a JSON body, so a phone
/// or ID number searched for never sits in a URL (and so in no proxy's or browser's log).
#[derive(Debug, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[schemars(length(max = 200))]
    q: Option<String>,
    /// A citizen's phone number, ID number or name, whole (roles that see personal data only).
    #[schemars(length(max = 200))]
    person: Option<String>,
    #[schemars(length(max = 200))]
    citizen_of: Option<String>,
    #[schemars(length(max = 200))]
    person_ref: Option<String>,
    #[schemars(length(max = 200))]
    number: Option<String>,
    #[schemars(length(max = 200))]
    state: Option<String>,
    #[schemars(length(max = 200))]
    case_type: Option<String>,
    #[schemars(length(max = 200))]
    department: Option<String>,
    #[schemars(length(max = 200))]
    unit: Option<String>,
    #[schemars(length(max = 200))]
    channel: Option<String>,
    #[schemars(length(max = 200))]
    cursor: Option<String>,
    #[schemars(length(max = 40))]
    opened_from: Option<String>,
    #[schemars(length(max = 40))]
    opened_to: Option<String>,
    #[schemars(length(max = 40))]
    closed_from: Option<String>,
    #[schemars(length(max = 40))]
    closed_to: Option<String>,
    #[schemars(length(max = 10))]
    status: Option<String>,
    #[schemars(length(max = 20))]
    tier: Option<String>,
    overdue: Option<bool>,
    #[schemars(range(min = 1, max = 3))]
    supervision_level: Option<i64>,
    #[schemars(range(min = 1, max = 1000))]
    repeats: Option<i64>,
    #[schemars(length(max = 10))]
    sort: Option<String>,
    #[schemars(range(min = 1, max = 200))]
    limit: Option<i64>,
    #[schemars(length(max = 10))]
    format: Option<String>,
}

pub async fn search(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<SearchBody>,
) -> Result<axum::response::Response, ApiError> {
    // The same parameters as the query string's, read by the same rules.
    let pairs: Vec<(String, String)> = match serde_json::to_value(&body.value) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::Null => None,
                Value::String(t) => Some((k, t)),
                other => Some((k, other.to_string())),
            })
            .collect(),
        _ => Vec::new(),
    };
    answer(s, actor, &pairs).await
}

/// A list as the API answers it, from its parameters.
async fn answer(
    s: Arc<AppState>,
    actor: yimen_engine::core::Actor,
    pairs: &[(String, String)],
) -> Result<axum::response::Response, ApiError> {
    use yimen_service::list::{self, Format};
    // A bad filter is a bad query, as everywhere in the API (400, every problem named).
    let req = list::parse(&s, pairs).map_err(|p| {
        let e = list::refusal(&p);
        ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.detail())
    })?;
    let lang = s.engine.org().file.centre.locale.clone();
    match req.format {
        Format::Page => {
            let page = list::list(&s, &actor, &req.query).await?;
            let unmasked = access::sees_personal_data(s.engine.org(), &actor);
            let cases: Vec<Value> = page
                .cases
                .iter()
                .map(|c| {
                    let def = s.engine.definitions().get(&c.case_type, c.definition_version);
                    let mut v = access::view_case(def.as_ref().map(|d| &d.def), c, None, unmasked);
                    v["due"] = json!(yimen_service::cases::due_of(&s, c));
                    v
                })
                .collect();
            let next = page.next.map(|c| c.encode());
            let mut doc = json!({"cases": cases, "next_cursor": next});
            // The person as the next pages may name them without their number.
            if let Some(p) = &req.query.person {
                doc["person_ref"] = json!(s.engine.store().person_ref(p));
            }
            Ok(Json(doc).into_response())
        }
        Format::Csv => Ok(yimen_http::export::csv(s, actor, req.query, lang).await?),
        Format::Xlsx => Ok(yimen_http::export::xlsx(s, actor, req.query, lang).await?),
    }
}
