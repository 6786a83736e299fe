//! Admin API for what the admin pages do: accounts (list, add, reset a password, stop or
//! restart) and workflows (versions, source, diagram, validate, run scenarios, deploy, diff).
//! Both share their work with the pages (`yimen_service::auth`, `yimen_service::authoring`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use yimen_engine::runtime::EngineError;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};
use yimen_service::auth::{AccountError, NewAccount};
use yimen_service::authoring::{self, Refused};

fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::BadId => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_account_id",
            "an account id is 2 to 64 letters, digits, `_`, `-` or `.`",
        ),
        AccountError::BadMobile => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_mobile", "not a phone number"),
        AccountError::BadText => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_text",
            "a name (at most 100 characters) and an email address (at most 200) are each one line of text",
        ),
        AccountError::NotInOrganisation(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_in_organisation", m),
        AccountError::Exists => ApiError::new(StatusCode::CONFLICT, "account_exists", "that account id is taken"),
        AccountError::Missing => ApiError::new(StatusCode::NOT_FOUND, "no_account", "there is no such account"),
        AccountError::NotSelf => ApiError::new(StatusCode::CONFLICT, "not_self", "you cannot stop your own account"),
        AccountError::Failed(m) => {
            tracing::error!("accounts: {m}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the database could not take the request; nothing was changed",
            )
        }
    }
}

/// `GET /api/v1/users`.
pub async fn users(State(s): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let now = s.engine.now().timestamp_millis();
    let list = s.engine.store().accounts().await.map_err(EngineError::from)?;
    let users: Vec<_> = list
        .into_iter()
        .map(|a| {
            let locked = a.locked_until.is_some_and(|t| t > now);
            json!({"id": a.id, "name": a.name, "roles": a.roles, "department": a.department, "unit": a.unit,
                   "active": a.active, "locked": locked, "has_password": a.password_hash.is_some()})
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}

/// `POST /api/v1/users`: 201 with the generated password, shown once.
pub async fn add_user(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<NewAccount>,
) -> Result<impl IntoResponse, ApiError> {
    let id = body.value.id.clone();
    let password = yimen_service::auth::create_account(&s.engine, &actor.id, body.value)
        .await
        .map_err(account_error)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "password": password}))))
}

/// `POST /api/v1/users/{id}/password`: a new generated password, shown once.
pub async fn reset_password(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    _body: Body<super::cases::Empty>,
) -> Result<impl IntoResponse, ApiError> {
    let password = yimen_service::auth::reset_password(&s.engine, &actor.id, &id)
        .await
        .map_err(account_error)?;
    Ok(Json(json!({"id": id, "password": password})))
}

/// `POST /api/v1/users/{id}/active`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveBody {
    /// `true` to let the account sign in, `false` to stop it (its sessions end).
    active: bool,
}

pub async fn set_active(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<ActiveBody>,
) -> Result<impl IntoResponse, ApiError> {
    yimen_service::auth::set_active(&s.engine, &actor.id, &id, body.value.active)
        .await
        .map_err(account_error)?;
    Ok(Json(json!({"id": id, "active": body.value.active})))
}

/// `POST /api/v1/users/{id}/unlock`: a locked account may sign in again at once.
pub async fn unlock(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    _body: Body<super::cases::Empty>,
) -> Result<impl IntoResponse, ApiError> {
    yimen_service::auth::unlock(&s.engine, &actor.id, &id)
        .await
        .map_err(account_error)?;
    Ok(Json(json!({"id": id, "locked": false})))
}

fn token_error(e: yimen_service::auth::TokenError) -> ApiError {
    use yimen_service::auth::TokenError;
    let text = e.to_string();
    match e {
        TokenError::BadName => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_token_name", text),
        TokenError::BadDays => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_token_days", text),
        TokenError::Missing => ApiError::new(StatusCode::NOT_FOUND, "no_account", text),
        TokenError::Exists => ApiError::new(StatusCode::CONFLICT, "token_exists", text),
        TokenError::Failed(m) => account_error(AccountError::Failed(m)),
    }
}

/// `GET /api/v1/users/{id}/tokens`: an account's tokens (never the tokens themselves).
pub async fn tokens(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let store = s.engine.store();
    if store.account(&id).await.map_err(EngineError::from)?.is_none() {
        return Err(token_error(yimen_service::auth::TokenError::Missing));
    }
    let now = s.engine.now().timestamp_millis();
    let list: Vec<_> = store
        .tokens(&id)
        .await
        .map_err(EngineError::from)?
        .into_iter()
        .map(|t| {
            let at = |ms: i64| chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms);
            json!({"name": t.name, "created_at": at(t.created_at), "expires_at": at(t.expires_at),
                   "last_used_at": t.last_used_at.and_then(at), "revoked": t.revoked,
                   "live": !t.revoked && t.expires_at > now})
        })
        .collect();
    Ok(Json(json!({"id": id, "tokens": list})))
}

/// `POST /api/v1/users/{id}/tokens`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1 to 64 letters, digits, `_`, `-` or `.`; unique among the account's live tokens.
    #[schemars(length(min = 1, max = 64), regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    name: String,
    /// Days the token is valid (365 when omitted).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1095))]
    days: Option<i64>,
}

/// Issues a token: 201 with the token, shown once.
pub async fn add_token(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    let now = s.engine.now().timestamp_millis();
    let b = body.value;
    let (token, expires) = yimen_service::auth::issue_token(s.engine.store(), now, &actor.id, &id, &b.name, b.days)
        .await
        .map_err(token_error)?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"id": id, "name": b.name, "token": token,
                    "expires_at": chrono::DateTime::<chrono::Utc>::from_timestamp_millis(expires)})),
    ))
}

/// `DELETE /api/v1/users/{id}/tokens/{name}`: revokes the account's live tokens of that name
/// (for good); 404 when there is none.
pub async fn revoke_token(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path((id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let now = s.engine.now().timestamp_millis();
    let n = yimen_service::auth::revoke_token(s.engine.store(), now, &actor.id, &id, &name)
        .await
        .map_err(token_error)?;
    if n == 0 {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_token",
            format!("the account has no live token named `{name}`"),
        ));
    }
    Ok(Json(json!({"id": id, "name": name, "revoked": n})))
}

/// `GET /api/v1/workflows`: every case type with its versions.
pub async fn workflows(State(s): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let store = s.engine.store();
    let mut out = Vec::new();
    for d in s.engine.definitions().all_current() {
        out.push(versions_of(&s, &d.def.id, d.version, store).await?);
    }
    Ok(Json(json!({ "workflows": out })))
}

async fn versions_of(
    s: &AppState,
    id: &str,
    current: i64,
    store: &yimen_engine::store::Store,
) -> Result<serde_json::Value, ApiError> {
    let counts = store.cases_per_version(id).await.map_err(EngineError::from)?;
    let versions: Vec<_> = store
        .definition_versions(id)
        .await
        .map_err(EngineError::from)?
        .into_iter()
        .map(|(v, at)| {
            let (open, closed) = counts
                .iter()
                .find(|(x, _, _)| *x == v)
                .map_or((0, 0), |(_, o, c)| (*o, *c));
            json!({"version": v, "deployed_at": chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at),
                   "open_cases": open, "closed_cases": closed})
        })
        .collect();
    let def = s.engine.definitions().current(id);
    Ok(json!({
        "id": id,
        "name": def.as_ref().map(|d| d.def.name.get("zh-CN").to_owned()),
        "name_en": def.as_ref().map(|d| d.def.name.get("en").to_owned()),
        "current": current,
        "versions": versions,
    }))
}

fn no_case_type(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_case_type",
        format!("there is no case type `{id}`"),
    )
}

/// `GET /api/v1/workflows/{id}`: versions and the source as it is on disk.
pub async fn workflow(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let def = s.engine.definitions().current(&id).ok_or_else(|| no_case_type(&id))?;
    let mut doc = versions_of(&s, &id, def.version, s.engine.store()).await?;
    let source = authoring::source(&s, &id).await.map_err(refused)?;
    doc["source"] = json!(source);
    Ok(Json(doc))
}

/// `GET /api/v1/workflows/{id}/diagram`: the state machine as SVG.
pub async fn diagram(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let def = s.engine.definitions().current(&id).ok_or_else(|| no_case_type(&id))?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        authoring::diagram(&def.def, "zh-CN"),
    ))
}

/// A refusal as problem details; a report (diagnostics, scenarios) goes with it.
fn refused(r: Refused) -> ApiError {
    match r {
        Refused::NoDirectory => ApiError::new(
            StatusCode::CONFLICT,
            "no_workflows_directory",
            "this node has no workflows directory to edit",
        ),
        Refused::UnknownCaseType => ApiError::new(StatusCode::NOT_FOUND, "unknown_case_type", "no such case type"),
        Refused::Io(e) => {
            tracing::error!("authoring: {e}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "io",
                "the workflow files could not be read or written",
            )
        }
        Refused::Store(e) => {
            tracing::error!("authoring: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the database could not take the request; nothing was changed",
            )
        }
        Refused::Invalid(_) | Refused::IdChanged(_) | Refused::ScenariosFailed(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "the workflow has problems")
        }
    }
}

fn refused_with_report(r: Refused) -> Response {
    let (code, detail, report) = match r {
        Refused::Invalid(rep) => (
            "invalid_workflow",
            "the workflows have errors; nothing was deployed",
            rep,
        ),
        Refused::IdChanged(rep) => ("id_changed", "the file's id is not this case type's", rep),
        Refused::ScenariosFailed(rep) => ("scenarios_failed", "a scenario failed; nothing was deployed", rep),
        other => return refused(other).into_response(),
    };
    let body = json!({
        "type": format!("urn:yimen:problem:{code}"),
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": detail,
        "code": code,
        "diagnostics": report.diagnostics,
        "scenarios": report.scenarios,
    });
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /api/v1/workflows/{id}/validate` and `…/deploy`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceBody {
    /// The case type's YAML.
    #[serde(default)]
    source: String,
    /// Also run the case type's scenarios (validate only; deploy always runs them).
    #[serde(default)]
    scenarios: bool,
}

pub async fn validate(State(s): State<Arc<AppState>>, Path(id): Path<String>, body: Body<SourceBody>) -> Response {
    match authoring::check(&s, &id, &body.value.source, body.value.scenarios).await {
        Ok((report, _)) => {
            Json(json!({"valid": true, "diagnostics": report.diagnostics, "scenarios": report.scenarios}))
                .into_response()
        }
        Err(r) => refused_with_report(r),
    }
}

pub async fn deploy(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    Path(id): Path<String>,
    body: Body<SourceBody>,
) -> Response {
    match authoring::deploy(&s, &id, &body.value.source, &actor.id).await {
        Ok(d) => Json(json!({"version": d.version, "created": d.created, "diagnostics": d.report.diagnostics, "scenarios": d.report.scenarios}))
            .into_response(),
        Err(r) => refused_with_report(r),
    }
}

/// `GET /api/v1/workflows/{id}/diff?from=&to=`.
#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub async fn diff(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    q: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Ok(Query(DiffQuery {
        from: Some(from),
        to: Some(to),
    })) = q
    else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "give `from` and `to` versions",
        ));
    };
    let text = authoring::diff(&s, &id, from, to)
        .await
        .map_err(refused)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_version", "no such version"))?;
    Ok(([(header::CONTENT_TYPE, "text/x-diff; charset=utf-8")], text))
}
