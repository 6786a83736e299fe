//! The accounts pages for admins: add an account (its password shown once), reset a password
//! (which ends the account's sessions and tokens), stop or restart, unlock, and each account's
//! API tokens (issue with a name and a lifetime, shown once; revoke).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::i18n::t;
use super::ops::{DoneQuery, store_down};
use super::{Chrome, Ctx, chrome, render, see_other};
use yimen_http::{AppState, Table};
use yimen_service::access::Access;

/// The accounts routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/users", Admin, "Accounts", users)
        .add(Method::POST, "/admin/users", Admin, "Add an account", add_user)
        .add(Method::POST, "/admin/users/{id}/password", Admin, "Reset a password", reset_password)
        .add(Method::POST, "/admin/users/{id}/active", Admin, "Stop or restart an account", set_active)
        .add(Method::POST, "/admin/users/{id}/unlock", Admin, "Unlock an account", unlock)
        .add(Method::GET, "/admin/users/{id}/tokens", Admin, "An account's API tokens", tokens)
        .add(Method::POST, "/admin/users/{id}/tokens", Admin, "Issue an API token", issue_token)
        .add(Method::POST, "/admin/users/{id}/tokens/revoke", Admin, "Revoke an API token", revoke_token)
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

fn account_error(lang: super::Lang, e: yimen_service::auth::AccountError) -> (StatusCode, String) {
    use yimen_service::auth::AccountError as E;
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
    let new = yimen_service::auth::NewAccount {
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
    match yimen_service::auth::create_account(&s.engine, &admin, new).await {
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
    match yimen_service::auth::reset_password(&s.engine, &admin, &id).await {
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
    match yimen_service::auth::set_active(&s.engine, &admin, &id, active).await {
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
    match yimen_service::auth::unlock(&s.engine, &admin, &id).await {
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
                yimen_service::auth::TOKEN_DAYS.to_string()
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

fn token_error(lang: super::Lang, e: yimen_service::auth::TokenError) -> (StatusCode, String) {
    use yimen_service::auth::TokenError as E;
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
                let (status, msg) = token_error(ctx.lang, yimen_service::auth::TokenError::BadDays);
                return tokens_page(&s, &ctx, &id, status, (None, None, Some(msg)), f).await;
            }
        },
    };
    match yimen_service::auth::issue_token(s.engine.store(), now, &admin, &id, f.name.trim(), days).await {
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
    match yimen_service::auth::revoke_token(s.engine.store(), now, &admin, &id, f.name.trim()).await {
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
