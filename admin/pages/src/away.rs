//! Absences on the pages (`/away`, 休假代办): set one's own absence with the colleague who
//! stands in (a department head: a member's too), see those not over yet, call one off; and
//! whose work one stands in for now.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yimen_http::{AppState, FormData};
use yimen_service::absences::{NewAbsence, Problem, Refused};

use super::i18n::{Lang, t};
use super::{Chrome, Ctx, chrome, render, see_other};

struct AbsenceRow {
    id: String,
    person: String,
    delegate: String,
    from: String,
    until: String,
    reason: String,
    running: bool,
    cancellable: bool,
}

#[derive(Template)]
#[template(path = "away.html")]
struct AwayPage {
    c: Chrome,
    rows: Vec<AbsenceRow>,
    /// Whose absence the form sets: the reader, and for a head the department's members.
    people: Vec<(String, String)>,
    colleagues: Vec<(String, String)>,
    standing_in: Vec<String>,
    sent: NewAbsence,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl AwayPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AwayQuery {
    #[serde(default)]
    done: Option<String>,
}

/// A field's problem in the reader's words.
fn said(lang: Lang, p: &Problem) -> String {
    let key = format!("away.problem.{}", p.code);
    let s = t(lang, &key);
    if s == "?" { p.detail.clone() } else { s.to_owned() }
}

fn name_of(s: &AppState, id: &str) -> String {
    s.engine
        .org()
        .user(id)
        .map_or_else(|| id.to_owned(), |u| u.name.clone())
}

async fn draw(
    s: &AppState,
    ctx: &Ctx,
    sent: NewAbsence,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let engine = &s.engine;
    let zone = engine.zone();
    let now = engine.now().timestamp_millis();
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.with_timezone(&zone).format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let absences = match yimen_service::absences::visible(engine, &actor).await {
        Ok(a) => a,
        Err(e) => return super::refusal_page(e),
    };
    let mut rows = Vec::new();
    // Each absent person's department is read once, however many of their absences are listed.
    let mut departments: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
    for a in absences {
        if !departments.contains_key(&a.user_id) {
            let account = engine.store().account(&a.user_id).await.ok().flatten();
            departments.insert(a.user_id.clone(), account.and_then(|u| u.department));
        }
        let department = departments.get(&a.user_id).cloned().flatten();
        rows.push(AbsenceRow {
            cancellable: yimen_service::absences::may_manage(engine, &actor, &a.user_id, department.as_deref()),
            person: name_of(s, &a.user_id),
            delegate: name_of(s, &a.delegate),
            from: day(a.starts_at),
            until: day(a.ends_at - 1),
            reason: a.reason,
            running: a.starts_at <= now,
            id: a.id,
        });
    }
    let colleagues = yimen_service::absences::colleagues(engine, &actor.id)
        .await
        .unwrap_or_default();
    let mut people = vec![(actor.id.to_string(), name_of(s, &actor.id))];
    let org = engine.org();
    if org.heads_department(&actor.roles) || org.is_admin(&actor.roles) {
        let accounts = engine.store().accounts().await.unwrap_or_default();
        people.extend(
            accounts
                .into_iter()
                .filter(|a| a.active && a.id != actor.id.as_str() && a.department.is_some())
                .filter(|a| org.is_admin(&actor.roles) || a.department == actor.department)
                .map(|a| (a.id, a.name)),
        );
    }
    // A head choosing a member: the department's people are offered, the service checks roles.
    let mut offered = colleagues;
    for (id, name) in &people {
        if id != actor.id.as_str() && !offered.iter().any(|(o, _)| o == id) {
            offered.push((id.clone(), name.clone()));
        }
    }
    let page = AwayPage {
        c: chrome(s, ctx, "nav.away", t(ctx.lang, "away.title")),
        rows,
        people,
        colleagues: offered,
        standing_in: actor.stands_in_for.iter().map(|u| name_of(s, u)).collect(),
        sent,
        errors,
        notice,
    };
    render(status, &page)
}

/// `GET /away`.
pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<AwayQuery>) -> Response {
    let notice = match q.done.as_deref() {
        Some("set") => Some(t(ctx.lang, "away.done.set").to_owned()),
        Some("cancelled") => Some(t(ctx.lang, "away.done.cancelled").to_owned()),
        _ => None,
    };
    draw(&s, &ctx, NewAbsence::default(), Vec::new(), notice).await
}

/// `POST /away`: sets an absence; every field's problem is shown beside it at once.
pub async fn set(State(s): State<Arc<AppState>>, ctx: Ctx, form: FormData) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let get = |k: &str| super::form_value(&form.fields, k).unwrap_or_default();
    let new = NewAbsence {
        user: Some(get("user")).filter(|u| !u.is_empty()),
        delegate: get("delegate"),
        from: get("from"),
        until: get("until"),
        reason: get("reason"),
    };
    match yimen_service::absences::set(&s.engine, &actor, &new).await {
        Ok(_) => see_other("/away?done=set"),
        Err(Refused::Other(e)) => super::refusal_page(e),
        Err(Refused::Fields(problems)) => {
            let errors = problems
                .iter()
                .map(|p| (p.field.to_owned(), said(ctx.lang, p)))
                .collect();
            draw(&s, &ctx, new, errors, None).await
        }
    }
}

/// `POST /away/{id}/cancel`.
pub async fn cancel(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match yimen_service::absences::cancel(&s.engine, &actor, &id).await {
        Ok(_) => see_other("/away?done=cancelled"),
        Err(e) => super::refusal_page(e),
    }
}
