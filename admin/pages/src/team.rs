//! Work between people on the pages: giving a task to a named colleague (with a reason), one
//! command on many tasks (claim, give), and a department's work by person for its heads — who
//! holds what, what is overdue, what nobody holds and what reaches nobody.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yimen_engine::core::Command;
use yimen_http::{AppState, FormData};
use yimen_service::team::{Bulk, Filter, department_for};

use super::{Chrome, Ctx, chrome, render, see_other};

/// `POST /tasks/{task}/reassign`: give a task to a person, with a reason.
pub async fn reassign(State(s): State<Arc<AppState>>, ctx: Ctx, Path(task): Path<String>, form: FormData) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let get = |k: &str| form.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some((case_id, _)) = task.rsplit_once(":t") else {
        return super::error_page(StatusCode::NOT_FOUND, super::i18n::t(ctx.lang, "error.no_task"));
    };
    let case_id = match yimen_service::cases::check_visible(&s, &actor, case_id).await {
        Ok(c) => c,
        Err(e) => return super::refusal_page(e),
    };
    let cmd = Command::Reassign {
        task: task.as_str().into(),
        to_user: get("to_user").filter(|u| !u.is_empty()).map(Into::into),
        to_department: None,
        reason: get("reason"),
    };
    match s.engine.command(&case_id, cmd, actor, None).await {
        Ok(_) => see_other(&format!("/cases/{case_id}?done=given")),
        Err(e) => {
            let e = yimen_service::Error::from(e);
            let failed = super::case::Failed {
                message: super::case_files::said(ctx.lang, &e),
                status: Some(yimen_http::ApiError::from(e).status()),
                ..super::case::Failed::default()
            };
            super::case::show(&s, &ctx, &case_id, false, None, Some(failed)).await
        }
    }
}

/// `POST /tasks/bulk`: `op` on every `task` chosen; back to `back` saying how many were taken.
pub async fn bulk(State(s): State<Arc<AppState>>, ctx: Ctx, form: FormData) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let get = |k: &str| form.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let back = super::safe_next(get("back").as_deref());
    let b = Bulk {
        op: get("op").unwrap_or_default(),
        tasks: form
            .fields
            .iter()
            .filter(|(n, _)| n == "task")
            .map(|(_, v)| v.clone())
            .collect(),
        to_user: get("to_user").filter(|u| !u.is_empty()),
        reason: get("reason"),
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    match yimen_service::team::bulk(&s, &actor, &b).await {
        Ok(done) => {
            let taken = done.iter().filter(|(_, r)| r.is_ok()).count();
            see_other(&format!("{back}{sep}taken={taken}&refused={}", done.len() - taken))
        }
        Err(e) => see_other(&format!("{back}{sep}error={}", e.code())),
    }
}

/// One person's line on the department page.
struct PersonRow {
    name: String,
    open: i64,
    overdue: i64,
    href: String,
    overdue_href: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    c: Chrome,
    department: String,
    department_name: String,
    departments: Vec<(String, String)>,
    people: Vec<PersonRow>,
    unstaffed: i64,
    rows: Vec<super::inbox::Row>,
    /// The department's members, whom the chosen tasks may be given to.
    members: Vec<(String, String)>,
    holder: String,
    holder_name: String,
    overdue: bool,
    back: String,
    bulk: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamQuery {
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    taken: Option<u32>,
    #[serde(default)]
    refused: Option<u32>,
    #[serde(default)]
    error: Option<String>,
}

/// `GET /team`: a department's work by person.
pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<TeamQuery>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let org = s.engine.org();
    let loc = ctx.lang.tag();
    let department = match department_for(org, &actor, q.department.as_deref()) {
        Ok(d) => d,
        Err(e) => return super::refusal_page(e),
    };
    let overdue = q.overdue.as_deref() == Some("1");
    let f = Filter {
        holder: q.holder.clone(),
        overdue,
        limit: 200,
    };
    let team = match yimen_service::team::team(&s.engine, &department, &f).await {
        Ok(t) => t,
        Err(e) => return super::refusal_page(e),
    };
    let href = |holder: &str, overdue: bool| {
        format!(
            "/team?department={}&holder={}{}",
            super::url_encode(&department),
            super::url_encode(holder),
            if overdue { "&overdue=1" } else { "" }
        )
    };
    let nobody = super::i18n::t(ctx.lang, "team.nobody");
    let people = team
        .people
        .iter()
        .map(|p| {
            let key = p.user.as_deref().unwrap_or("nobody");
            PersonRow {
                name: if p.user.is_some() {
                    p.name.clone()
                } else {
                    nobody.to_owned()
                },
                open: p.open,
                overdue: p.overdue,
                href: href(key, false),
                overdue_href: href(key, true),
            }
        })
        .collect();
    let rows = match super::inbox::rows_of(&s, &ctx, &actor, team.tasks).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let members = org
        .file
        .users
        .iter()
        .filter(|(_, u)| u.department.as_deref() == Some(department.as_str()))
        .map(|(id, u)| (id.clone(), u.name.clone()))
        .collect();
    let departments = if org.dispatches(&actor.roles) || org.is_admin(&actor.roles) {
        org.file
            .departments
            .iter()
            .map(|(id, d)| (id.clone(), d.name.get(loc).to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let holder_name = match q.holder.as_str() {
        "" => String::new(),
        "nobody" => nobody.to_owned(),
        h => org.user(h).map_or_else(|| h.to_owned(), |u| u.name.clone()),
    };
    let bulk = match (q.taken, q.refused) {
        (Some(n), Some(m)) => Some(
            super::i18n::t(ctx.lang, "bulk.done")
                .replace("{n}", &n.to_string())
                .replace("{m}", &m.to_string()),
        ),
        _ => None,
    };
    let title = super::i18n::t(ctx.lang, "team.title");
    let c = chrome(&s, &ctx, "nav.team", title);
    render(
        StatusCode::OK,
        &TeamPage {
            c,
            department_name: super::department_name(&s, &department, loc),
            back: href(&q.holder, overdue),
            department,
            departments,
            people,
            unstaffed: team.unstaffed,
            rows,
            members,
            holder: q.holder,
            holder_name,
            overdue,
            bulk,
            error: q
                .error
                .as_deref()
                .map(|code| super::i18n::problem(ctx.lang, code).to_owned()),
        },
    )
}
