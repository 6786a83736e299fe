//! Operations routes for admins: notifications that need attention, and retrying them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use yimen_http::{ApiError, AppState};
use yimen_http::{Body, User};

fn admin_only(s: &AppState, actor: &yimen_engine::core::Actor) -> Result<(), ApiError> {
    if s.engine.org().is_admin(&actor.roles) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            "only admins see the delivery queue",
        ))
    }
}

pub async fn failed(State(s): State<Arc<AppState>>, User(actor): User) -> Result<impl IntoResponse, ApiError> {
    admin_only(&s, &actor)?;
    let store = s.engine.store();
    let unmasked = yimen_service::access::sees_personal_data(s.engine.org(), &actor);
    let failed: Vec<_> = store
        .failed_deliveries(200)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?
        .into_iter()
        .map(|mut d| {
            let r = yimen_service::access::address_ref(&d.slot);
            if !unmasked {
                d.address = yimen_service::access::mask_address(&d.address);
            }
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            v["address_ref"] = json!(r);
            v
        })
        .collect();
    let counts = store
        .delivery_counts()
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    let counts: Vec<_> = counts
        .into_iter()
        .map(|(c, st, n)| json!({"channel": c, "state": st, "count": n}))
        .collect();
    Ok(Json(json!({ "failed": failed, "counts": counts })))
}

/// `POST /api/v1/deliveries/retry`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBody {
    outbox_key: String,
    channel: String,
    /// The address, or its `address_ref` from the failed list (`ref:…`).
    address: String,
}

pub async fn retry(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    body: Body<RetryBody>,
) -> Result<impl IntoResponse, ApiError> {
    admin_only(&s, &actor)?;
    let b = body.value;
    let now = s.engine.now().timestamp_millis();
    let ok = yimen_service::access::retry_delivery(s.engine.store(), &b.outbox_key, &b.channel, &b.address, now)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    if ok {
        Ok(Json(json!({"retrying": true})))
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no failed delivery with that key, channel and address",
        ))
    }
}

/// `GET /api/v1/sms/reports`: a gateway's delivery report (Kannel's `dlr-url`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReportQuery {
    token: String,
    key: String,
    to: String,
    status: i64,
}

pub async fn report(
    State(s): State<Arc<AppState>>,
    q: Result<axum::extract::Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let axum::extract::Query(q) = q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    if q.token != s.report_token {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_token",
            "the report token is not valid",
        ));
    }
    let now = s.engine.now().timestamp_millis();
    let found = s
        .engine
        .store()
        .record_report(&q.key, "sms", &q.to, q.status, now)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    if found {
        Ok(Json(json!({"recorded": true})))
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such delivery"))
    }
}

pub async fn case_notifications(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = yimen_service::cases::visible(&s, &actor, &id).await?.id.to_string();
    let mut list = s
        .engine
        .store()
        .case_deliveries(&id)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    // A citizen's receipt goes to their phone: addresses are personal data.
    if !yimen_service::access::sees_personal_data(s.engine.org(), &actor) {
        for d in &mut list {
            d.address = yimen_service::access::mask_address(&d.address);
        }
    }
    Ok(Json(json!({ "case_id": id, "deliveries": list })))
}

/// `GET /metrics`: Prometheus text with deliveries by channel and outcome and timers by state.
pub async fn metrics(State(s): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let store = s.engine.store();
    let deliveries = store
        .delivery_counts()
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    let timers = store
        .timer_counts()
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    let mut out = yimen_service::metrics::render();
    out.push_str(
        "# HELP yimen_deliveries Notification deliveries by channel and state.\n# TYPE yimen_deliveries gauge\n",
    );
    for (channel, state, n) in deliveries {
        out.push_str(&format!(
            "yimen_deliveries{{channel=\"{channel}\",state=\"{state}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP yimen_timers Durable timers by state.\n# TYPE yimen_timers gauge\n");
    for (state, n) in timers {
        out.push_str(&format!("yimen_timers{{state=\"{state}\"}} {n}\n"));
    }
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

/// `GET /api/v1/audit?user=&limit=`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// Admins: the audit log of sign-ins, lock-outs, accounts, tokens and revealed personal data.
pub async fn audit(
    State(s): State<Arc<AppState>>,
    User(actor): User,
    axum::extract::Query(q): axum::extract::Query<AuditQuery>,
) -> Result<impl IntoResponse, ApiError> {
    if !s.engine.org().is_admin(&actor.roles) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            "only admins read the audit log",
        ));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "`limit` is from 1 to 1000",
        ));
    }
    let rows = s
        .engine
        .store()
        .audit_entries(q.user.as_deref(), limit)
        .await
        .map_err(yimen_engine::runtime::EngineError::from)?;
    let entries: Vec<_> = rows
        .into_iter()
        .map(|(at, user, action, target, detail)| {
            json!({"at": at, "user": user, "action": action, "target": target, "detail": detail})
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
