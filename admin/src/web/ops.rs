//! Operations pages for admins: notifications that failed (retry), the periodic jobs' ledger
//! (run one by hand), accounts (add, reset a password, stop or restart), the audit log.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use yimen_engine::reports::Period;
use yimen_engine::runtime::scheduler::JobError;
use yimen_engine::store::jobs::Saved;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render, see_other};
use crate::access::Access;
use crate::http::{AppState, Table};

/// The operations routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/ops", Admin, "Operations overview", overview)
        .add(Method::GET, "/admin/deliveries", Admin, "Failed notifications", deliveries)
        .add(Method::POST, "/admin/deliveries/retry", Admin, "Retry a notification", retry)
        .add(Method::GET, "/admin/jobs", Admin, "Periodic jobs", jobs)
        .add(Method::POST, "/admin/jobs/run", Admin, "Run a job by hand", run_job)
        .add(Method::GET, "/admin/users", Admin, "Accounts", users)
        .add(Method::POST, "/admin/users", Admin, "Add an account", add_user)
        .add(Method::POST, "/admin/users/{id}/password", Admin, "Reset a password", reset_password)
        .add(Method::POST, "/admin/users/{id}/active", Admin, "Stop or restart an account", set_active)
        .add(Method::POST, "/admin/users/{id}/unlock", Admin, "Unlock an account", unlock)
        .add(Method::GET, "/admin/users/{id}/tokens", Admin, "An account's API tokens", tokens)
        .add(Method::POST, "/admin/users/{id}/tokens", Admin, "Issue an API token", issue_token)
        .add(Method::POST, "/admin/users/{id}/tokens/revoke", Admin, "Revoke an API token", revoke_token)
        .add(Method::GET, "/admin/audit", Admin, "Audit log", audit)
}

fn store_down(ctx: &Ctx, e: impl std::fmt::Display) -> Response {
    super::store_down(ctx.lang, e)
}

#[derive(Template)]
#[template(path = "ops.html")]
struct OverviewPage {
    c: Chrome,
    counts: Vec<(String, i64, &'static str)>,
}

async fn overview(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let store = s.engine.store();
    let deliveries = match store.delivery_counts().await {
        Ok(d) => d,
        Err(e) => return store_down(&ctx, e),
    };
    let timers = match store.timer_counts().await {
        Ok(t) => t,
        Err(e) => return store_down(&ctx, e),
    };
    let runs = match store.job_runs(500).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let mut counts: Vec<(String, i64, &'static str)> = deliveries
        .into_iter()
        .map(|(ch, st, n)| {
            let cls = if st == "failed" || st == "undeliverable" {
                "late"
            } else {
                ""
            };
            (format!("{ch} · {}", t(ctx.lang, &format!("delivery.{st}"))), n, cls)
        })
        .collect();
    counts.extend(
        timers
            .into_iter()
            .map(|(st, n)| (format!("{} · {st}", t(ctx.lang, "ops.timers")), n, "")),
    );
    let failed_jobs = runs.iter().filter(|r| r.state == "failed").count() as i64;
    counts.push((
        t(ctx.lang, "ops.jobs.failed").to_owned(),
        failed_jobs,
        if failed_jobs > 0 { "late" } else { "" },
    ));
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.title"));
    render(StatusCode::OK, &OverviewPage { c, counts })
}

struct DeliveryRow {
    key: String,
    channel: String,
    recipient: String,
    address: String,
    address_ref: String,
    template: String,
    case_id: String,
    case_short: String,
    state: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    rows: Vec<DeliveryRow>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn deliveries(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let rows = match s.engine.store().failed_deliveries(200).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let unmasked = ctx
        .authed
        .as_ref()
        .is_some_and(|a| crate::access::sees_personal_data(s.engine.org(), &a.actor));
    let rows = rows
        .into_iter()
        .map(|d| DeliveryRow {
            key: d.outbox_key,
            channel: d.channel,
            recipient: d.recipient,
            address_ref: crate::access::address_ref(&d.address),
            address: if unmasked {
                d.address
            } else {
                crate::access::mask_address(&d.address)
            },
            template: d.template,
            case_short: super::fields::short_id(&d.case_id),
            case_id: d.case_id,
            state: t(ctx.lang, &format!("delivery.{}", d.state)).to_owned(),
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let notice = q.done.map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.deliveries"));
    render(StatusCode::OK, &DeliveriesPage { c, rows, notice })
}

#[derive(Debug, Default, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    outbox_key: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    address: String,
}

async fn retry(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<RetryForm>) -> Response {
    let now = s.engine.now().timestamp_millis();
    match crate::access::retry_delivery(s.engine.store(), &f.outbox_key, &f.channel, &f.address, now).await {
        Ok(true) => see_other("/admin/deliveries?done=retrying"),
        Ok(false) => super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "ops.retry.none")),
        Err(e) => store_down(&ctx, e),
    }
}

struct RunRow {
    name: String,
    period: String,
    due: String,
    state: String,
    attempts: i64,
    finished: String,
    error: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    c: Chrome,
    jobs: Vec<(String, String)>,
    runs: Vec<RunRow>,
    notice: Option<String>,
    error: Option<String>,
}

fn job_list(s: &AppState, loc: &str) -> Vec<(String, String)> {
    s.scheduler
        .as_ref()
        .map(|sc| {
            sc.runnable()
                .map(|(id, j)| (id.clone(), j.name.get(loc).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn jobs_page(
    s: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let loc = ctx.lang.tag();
    let jobs = job_list(s, loc);
    let runs = match s.engine.store().job_runs(300).await {
        Ok(r) => r,
        Err(e) => return store_down(ctx, e),
    };
    let runs = runs
        .into_iter()
        .map(|r| RunRow {
            name: jobs
                .iter()
                .find(|(id, _)| *id == r.job)
                .map_or_else(|| r.job.clone(), |(_, n)| n.clone()),
            period: r.period,
            due: super::local_ms(s, r.due_at),
            state: r.state,
            attempts: r.attempts,
            finished: r.finished_at.map(|f| super::local_ms(s, f)).unwrap_or_default(),
            error: r.error.unwrap_or_default(),
        })
        .collect();
    let c = chrome(s, ctx, "nav.ops", t(ctx.lang, "ops.jobs"));
    render(
        status,
        &JobsPage {
            c,
            jobs,
            runs,
            notice,
            error,
        },
    )
}

async fn jobs(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    jobs_page(&s, &ctx, StatusCode::OK, None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    job: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    notify: Option<String>,
}

async fn run_job(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<RunForm>) -> Response {
    let lang = ctx.lang;
    let Some(sc) = s.scheduler.as_ref() else {
        return jobs_page(
            &s,
            &ctx,
            StatusCode::NOT_FOUND,
            None,
            Some(t(lang, "ops.jobs.none").to_owned()),
        )
        .await;
    };
    let period = match Period::parse(f.period.trim()) {
        Ok(p) => p,
        Err(e) => return jobs_page(&s, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(e.to_string())).await,
    };
    match sc.run_by_hand(&f.job, period).await {
        Ok((saved, _)) => {
            if f.notify.as_deref() == Some("true")
                && let Err(e) = sc.announce(&f.job, period).await
            {
                return store_down(&ctx, e);
            }
            let key = match saved {
                Saved::New => "ops.jobs.new",
                Saved::Unchanged => "ops.jobs.unchanged",
                Saved::Changed => "ops.jobs.changed",
            };
            let msg = format!("{} {}：{}", f.job, period.id(), t(lang, key));
            jobs_page(&s, &ctx, StatusCode::OK, Some(msg), None).await
        }
        Err(e) => {
            let status = match e {
                JobError::UnknownJob(_) => StatusCode::NOT_FOUND,
                JobError::NotRunnable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                JobError::Review(_) | JobError::Store(_) => StatusCode::CONFLICT,
            };
            jobs_page(&s, &ctx, status, None, Some(e.to_string())).await
        }
    }
}

struct UserRow {
    id: String,
    name: String,
    roles: String,
    department: String,
    unit: String,
    state: String,
    active: bool,
    locked: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserRow>,
    roles: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    units: Vec<(String, String)>,
    notice: Option<String>,
    password: Option<String>,
    error: Option<String>,
}

async fn users_page(
    s: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    password: Option<String>,
    error: Option<String>,
) -> Response {
    let loc = ctx.lang.tag();
    let org = s.engine.org();
    let now = s.engine.now().timestamp_millis();
    let accounts = match s.engine.store().accounts().await {
        Ok(a) => a,
        Err(e) => return store_down(ctx, e),
    };
    let roles: Vec<(String, String)> = org
        .file
        .roles
        .iter()
        .map(|(k, v)| (k.clone(), v.name.get(loc).to_owned()))
        .collect();
    let departments: Vec<(String, String)> = org
        .file
        .departments
        .iter()
        .map(|(k, v)| (k.clone(), v.name.get(loc).to_owned()))
        .collect();
    let units: Vec<(String, String)> = org
        .file
        .units
        .iter()
        .map(|(k, v)| (k.clone(), v.name.get(loc).to_owned()))
        .collect();
    let label = |list: &[(String, String)], k: &str| {
        list.iter()
            .find(|(id, _)| id == k)
            .map_or_else(|| k.to_owned(), |(_, n)| n.clone())
    };
    let users = accounts
        .into_iter()
        .map(|a| UserRow {
            roles: a.roles.iter().map(|r| label(&roles, r)).collect::<Vec<_>>().join("、"),
            department: a
                .department
                .as_deref()
                .map(|d| label(&departments, d))
                .unwrap_or_default(),
            unit: label(&units, &a.unit),
            state: t(
                ctx.lang,
                if !a.active {
                    "ops.users.stopped"
                } else if a.locked_until.is_some_and(|x| x > now) {
                    "ops.users.locked"
                } else {
                    "ops.users.active"
                },
            )
            .to_owned(),
            active: a.active,
            locked: a.active && a.locked_until.is_some_and(|x| x > now),
            id: a.id,
            name: a.name,
        })
        .collect();
    let c = chrome(s, ctx, "nav.ops", t(ctx.lang, "ops.users"));
    render(
        status,
        &UsersPage {
            c,
            users,
            roles,
            departments,
            units,
            notice,
            password,
            error,
        },
    )
}

async fn users(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let notice = q.done.map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    users_page(&s, &ctx, StatusCode::OK, notice, None, None).await
}

fn account_error(lang: super::Lang, e: crate::auth::AccountError) -> (StatusCode, String) {
    use crate::auth::AccountError as E;
    match e {
        E::BadId => (StatusCode::UNPROCESSABLE_ENTITY, t(lang, "ops.users.bad_id").to_owned()),
        E::BadMobile => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t(lang, "ops.users.bad_mobile").to_owned(),
        ),
        E::BadText => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t(lang, "ops.users.bad_text").to_owned(),
        ),
        E::NotInOrganisation(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        E::Exists => (StatusCode::CONFLICT, t(lang, "ops.users.exists").to_owned()),
        E::Missing => (StatusCode::NOT_FOUND, t(lang, "ops.users.missing").to_owned()),
        E::NotSelf => (StatusCode::CONFLICT, t(lang, "ops.users.not_self").to_owned()),
        E::Failed(m) => {
            tracing::error!("accounts: {m}");
            (StatusCode::SERVICE_UNAVAILABLE, t(lang, "error.store").to_owned())
        }
    }
}

async fn add_user(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    let get = |k: &str| super::form_value(&form, k);
    let new = crate::auth::NewAccount {
        id: get("id").unwrap_or_default(),
        name: get("name"),
        roles: form
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| v.trim().to_owned())
            .collect(),
        department: get("department"),
        unit: get("unit"),
        email: get("email"),
        mobile: get("mobile"),
    };
    let id = new.id.clone();
    match crate::auth::create_account(&s.engine, &admin, new).await {
        Ok(password) => {
            let notice = Some(format!("{} {id}", t(ctx.lang, "done.account_created")));
            users_page(&s, &ctx, StatusCode::OK, notice, Some(password), None).await
        }
        Err(e) => {
            let (status, msg) = account_error(ctx.lang, e);
            users_page(&s, &ctx, status, None, None, Some(msg)).await
        }
    }
}

async fn reset_password(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    match crate::auth::reset_password(&s.engine, &admin, &id).await {
        Ok(password) => {
            let notice = Some(format!("{} {id}", t(ctx.lang, "done.password_set")));
            users_page(&s, &ctx, StatusCode::OK, notice, Some(password), None).await
        }
        Err(e) => {
            let (status, msg) = account_error(ctx.lang, e);
            users_page(&s, &ctx, status, None, None, Some(msg)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_active(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActiveForm>,
) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    let active = f.active == "true";
    match crate::auth::set_active(&s.engine, &admin, &id, active).await {
        Ok(()) => see_other(&format!(
            "/admin/users?done={}",
            if active { "account_started" } else { "account_stopped" }
        )),
        Err(e) => {
            let (status, msg) = account_error(ctx.lang, e);
            users_page(&s, &ctx, status, None, None, Some(msg)).await
        }
    }
}

async fn unlock(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    match crate::auth::unlock(&s.engine, &admin, &id).await {
        Ok(()) => see_other("/admin/users?done=account_unlocked"),
        Err(e) => {
            let (status, msg) = account_error(ctx.lang, e);
            users_page(&s, &ctx, status, None, None, Some(msg)).await
        }
    }
}

struct TokenRow {
    name: String,
    issued: String,
    expires: String,
    last_used: String,
    state: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    id: String,
    tokens: Vec<TokenRow>,
    notice: Option<String>,
    token: Option<String>,
    error: Option<String>,
    name: String,
    days: String,
}

/// What the token form shows again.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    days: String,
}

async fn tokens_page(
    s: &AppState,
    ctx: &Ctx,
    id: &str,
    status: StatusCode,
    said: (Option<String>, Option<String>, Option<String>),
    form: TokenForm,
) -> Response {
    let store = s.engine.store();
    match store.account(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "ops.users.missing")),
        Err(e) => return store_down(ctx, e),
    }
    let list = match store.tokens(id).await {
        Ok(l) => l,
        Err(e) => return store_down(ctx, e),
    };
    let now = s.engine.now().timestamp_millis();
    let at = |ms: i64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms).map_or_else(String::new, |d| super::local(s, d))
    };
    let tokens = list
        .into_iter()
        .map(|k| {
            let live = !k.revoked && k.expires_at > now;
            let state = if k.revoked {
                "ops.tokens.revoked"
            } else if live {
                "ops.tokens.live"
            } else {
                "ops.tokens.expired"
            };
            TokenRow {
                issued: at(k.created_at),
                expires: at(k.expires_at),
                last_used: k
                    .last_used_at
                    .map_or_else(|| t(ctx.lang, "ops.tokens.never").to_owned(), at),
                state: t(ctx.lang, state).to_owned(),
                live,
                name: k.name,
            }
        })
        .collect();
    let (notice, token, error) = said;
    let c = chrome(s, ctx, "nav.ops", t(ctx.lang, "ops.tokens"));
    render(
        status,
        &TokensPage {
            c,
            id: id.to_owned(),
            tokens,
            notice,
            token,
            error,
            name: form.name,
            days: if form.days.is_empty() {
                crate::auth::TOKEN_DAYS.to_string()
            } else {
                form.days
            },
        },
    )
}

async fn tokens(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = q.done.map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    tokens_page(
        &s,
        &ctx,
        &id,
        StatusCode::OK,
        (notice, None, None),
        TokenForm::default(),
    )
    .await
}

fn token_error(lang: super::Lang, e: crate::auth::TokenError) -> (StatusCode, String) {
    use crate::auth::TokenError as E;
    let (status, key) = match e {
        E::BadName => (StatusCode::UNPROCESSABLE_ENTITY, "ops.tokens.bad_name"),
        E::BadDays => (StatusCode::UNPROCESSABLE_ENTITY, "ops.tokens.bad_days"),
        E::Missing => (StatusCode::NOT_FOUND, "ops.users.missing"),
        E::Exists => (StatusCode::CONFLICT, "ops.tokens.exists"),
        E::Failed(m) => {
            tracing::error!("tokens: {m}");
            (StatusCode::SERVICE_UNAVAILABLE, "error.store")
        }
    };
    (status, t(lang, key).to_owned())
}

async fn issue_token(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<TokenForm>,
) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    let now = s.engine.now().timestamp_millis();
    let days = match f.days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let (status, msg) = token_error(ctx.lang, crate::auth::TokenError::BadDays);
                return tokens_page(&s, &ctx, &id, status, (None, None, Some(msg)), f).await;
            }
        },
    };
    match crate::auth::issue_token(s.engine.store(), now, &admin, &id, f.name.trim(), days).await {
        Ok((token, _)) => {
            let mut r = tokens_page(
                &s,
                &ctx,
                &id,
                StatusCode::OK,
                (None, Some(token), None),
                TokenForm::default(),
            )
            .await;
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(e) => {
            let (status, msg) = token_error(ctx.lang, e);
            tokens_page(&s, &ctx, &id, status, (None, None, Some(msg)), f).await
        }
    }
}

async fn revoke_token(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<TokenForm>,
) -> Response {
    let admin = match ctx.actor() {
        Ok(a) => a.id.clone(),
        Err(r) => return r,
    };
    let now = s.engine.now().timestamp_millis();
    match crate::auth::revoke_token(s.engine.store(), now, &admin, &id, f.name.trim()).await {
        Ok(0) => {
            let msg = t(ctx.lang, "ops.tokens.missing").to_owned();
            tokens_page(
                &s,
                &ctx,
                &id,
                StatusCode::NOT_FOUND,
                (None, None, Some(msg)),
                TokenForm::default(),
            )
            .await
        }
        Ok(_) => see_other(&format!(
            "/admin/users/{}/tokens?done=token_revoked",
            super::url_encode(&id)
        )),
        Err(e) => {
            let (status, msg) = token_error(ctx.lang, e);
            tokens_page(&s, &ctx, &id, status, (None, None, Some(msg)), TokenForm::default()).await
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    user: String,
    target: String,
    action: String,
    actions: Vec<String>,
    rows: Vec<(String, String, String, String, bool, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    action: String,
}

/// The actions the audit log records.
const AUDIT_ACTIONS: &[&str] = &[
    "signed_in",
    "signed_out",
    "sign_in_failed",
    "sign_in_refused",
    "account_created",
    "account_stopped",
    "account_started",
    "password_set",
    "token_issued",
    "token_revoked",
    "account_unlocked",
    "personal_data_revealed",
    "workflow_deployed",
];

async fn audit(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<AuditQuery>) -> Response {
    let user: String = q.user.trim().chars().take(64).collect();
    let target: String = q.target.trim().chars().take(100).collect();
    let action = if AUDIT_ACTIONS.contains(&q.action.as_str()) {
        q.action.clone()
    } else {
        String::new()
    };
    let rows = match s.engine.store().audit_search(&user, &target, &action, 500).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let rows = rows
        .into_iter()
        .map(|(at, u, a, tg, d)| {
            let is_case = a == "personal_data_revealed";
            (super::local_ms(&s, at), u, a, tg, is_case, d)
        })
        .collect();
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.audit"));
    render(
        StatusCode::OK,
        &AuditPage {
            c,
            user,
            target,
            action,
            actions: AUDIT_ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
            rows,
        },
    )
}
