//! What the case page's forms do: each runs one engine command as the signed-in user, then
//! redirects to the case with a notice, or draws the page again with the failure next to the
//! field at fault.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use yimen_engine::core::{Actor, Command, Rejection};
use yimen_engine::runtime::EngineError;

use super::case::{Failed, show};
use super::fields::form_fields;
use super::i18n::{Lang, t};
use super::{Ctx, see_other};
use yimen_http::{ApiError, AppState};

/// The failure of a command as the page shows it: a field's problem next to the field, the
/// rest at the top, each in the page's language where the code is known.
pub fn failure(lang: Lang, action: Option<String>, sent: Map<String, Value>, e: EngineError) -> Failed {
    let field = match &e {
        EngineError::Rejected(Rejection::MissingField(f) | Rejection::InvalidField { field: f, .. }) => Some(f.clone()),
        EngineError::Rejected(Rejection::Fields(p)) => p.first().map(|p| p.field.clone()),
        _ => None,
    };
    let problems = match &e {
        EngineError::Rejected(Rejection::Fields(p)) => p.clone(),
        _ => Vec::new(),
    };
    let api = ApiError::from(e);
    let known = super::i18n::problem(lang, api.code());
    let message = if !problems.is_empty() {
        // Each is said beside its field; the top says only that there is something to correct.
        super::i18n::t(lang, "fp.errors").to_owned()
    } else if api.code() == "guard_false" {
        // Never the guard's expression: the page says the author's reason beside the action.
        known.to_owned()
    } else {
        // The code's sentence (in English the detail, which says more): never the other
        // language, never the versions or states behind a conflict.
        super::i18n::refusal(lang, api.code(), api.detail())
    };
    Failed {
        action,
        sent,
        field,
        message,
        status: Some(api.status()),
        assign_to: String::new(),
        problems,
    }
}

/// Runs a command from a form that shows nothing again when it fails (no action's fields).
async fn run(s: &AppState, ctx: &Ctx, id: &str, cmd: Command, done: &str) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let id = match yimen_service::cases::check_visible(s, &actor, id).await {
        Ok(id) => id,
        Err(e) => return super::refusal_page(e),
    };
    run_seen(s, ctx, actor, &id, cmd, done, Kept::default()).await
}

/// What a failed form shows again: the action whose form stays open and the values sent.
#[derive(Debug, Default)]
struct Kept {
    action: Option<String>,
    sent: Map<String, Value>,
    /// The person a dispatching form named.
    assign_to: String,
}

/// Runs a command on a case the actor has been found to see.
async fn run_seen(s: &AppState, ctx: &Ctx, actor: Actor, id: &str, cmd: Command, done: &str, kept: Kept) -> Response {
    match s.engine.command(id, cmd, actor, None).await {
        Ok(_) => match &kept.action {
            Some(a) => see_other(&format!("/cases/{id}?done={done}&action={}", super::url_encode(a))),
            None => see_other(&format!("/cases/{id}?done={done}")),
        },
        Err(EngineError::NotFound(_)) => super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case")),
        Err(e) => {
            let mut f = failure(ctx.lang, kept.action, kept.sent, e);
            f.assign_to = kept.assign_to;
            show(s, ctx, id, false, None, Some(f)).await
        }
    }
}

pub async fn act(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut data: yimen_http::FormData,
) -> Response {
    let Some(action) = super::form_value(&data.fields, "action") else {
        return super::error_page(StatusCode::BAD_REQUEST, t(ctx.lang, "error.no_action"));
    };
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let case = match yimen_service::cases::visible(&s, &actor, &id).await {
        Ok(c) => c,
        Err(e) => return super::refusal_page(e),
    };
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return super::error_page(StatusCode::CONFLICT, t(ctx.lang, "error.no_definition"));
    };
    // The action's files, with those the case already holds in the same fields.
    let received = super::case_files::receive_form(&s, &actor, &def.def, Some(&case), &mut data, ctx.lang).await;
    let form = data.fields;
    let mut fields = form_fields(&def.def, &form);
    if let Err(refused) = received {
        let (field, message) = refused.into_iter().next().unwrap_or_default();
        let f = Failed {
            action: Some(action),
            sent: fields,
            field: Some(field),
            message,
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            assign_to: String::new(),
            problems: Vec::new(),
        };
        return show(&s, &ctx, case.id.as_ref(), false, None, Some(f)).await;
    }
    // The files the case holds stay; the form's join them.
    for (fid, v) in &mut fields {
        if let Value::Array(new) = v {
            *new = yimen_engine::core::command::with_files(&case, fid, new.iter().filter_map(Value::as_str));
        }
    }
    let assign_to = super::form_value(&form, "assign_to").filter(|u| !u.trim().is_empty());
    let cmd = Command::Act {
        action: action.clone(),
        fields: fields.clone(),
        comment: super::form_value(&form, "comment"),
        expected_version: super::form_value(&form, "expected_version").and_then(|v| v.parse().ok()),
        assign_to: assign_to.clone().map(Into::into),
    };
    let kept = Kept {
        action: Some(action),
        sent: fields,
        assign_to: assign_to.unwrap_or_default(),
    };
    run_seen(&s, &ctx, actor, case.id.as_ref(), cmd, "acted", kept).await
}

pub async fn comment(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let text = super::form_value(&form, "text").unwrap_or_default();
    run(&s, &ctx, &id, Command::Comment { text }, "commented").await
}

pub async fn visit(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(&s, &ctx, &id, Command::RecordVisit, "visit").await
}

pub async fn extend(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let comment = super::form_value(&form, "comment");
    run(&s, &ctx, &id, Command::Extend { comment }, "extended").await
}

pub async fn escalate(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let cmd = Command::Escalate {
        rung: super::form_value(&form, "rung").filter(|r| !r.is_empty()),
        reason: super::form_value(&form, "reason"),
    };
    run(&s, &ctx, &id, cmd, "escalated").await
}

fn record_case(record: &str) -> Option<String> {
    record
        .rsplit_once(":s")
        .map(|(c, _)| c.to_owned())
        .filter(|c| !c.is_empty())
}

/// Answers a supervision record (the handling department's reply).
pub async fn answer(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(record): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let text = super::form_value(&form, "text").unwrap_or_default();
    on_record(&s, &ctx, record, "answered", |record| Command::AnswerSupervision {
        record,
        text,
    })
    .await
}

/// Accepts or returns a supervision record's answer.
pub async fn review(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(record): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let accept = super::form_value(&form, "accept").as_deref() == Some("true");
    let comment = super::form_value(&form, "comment");
    let done = if accept { "accepted" } else { "returned" };
    on_record(&s, &ctx, record, done, |record| Command::ReviewSupervision {
        record,
        accept,
        comment,
    })
    .await
}

/// Runs a command on the case a supervision record (`<case>:s<n>`) belongs to.
async fn on_record(
    s: &AppState,
    ctx: &Ctx,
    record: String,
    done: &str,
    cmd: impl FnOnce(String) -> Command,
) -> Response {
    let Some(id) = record_case(&record) else {
        return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case"));
    };
    run(s, ctx, &id, cmd(record), done).await
}

/// Shows the case with its personal data, after writing the reason to the audit log.
pub async fn reveal(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let actor: Actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let reason: String = super::form_value(&form, "reason")
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect();
    if reason.is_empty() {
        let f = Failed {
            message: t(ctx.lang, "case.reveal.reason_required").to_owned(),
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            ..Failed::default()
        };
        return show(&s, &ctx, &id, false, None, Some(f)).await;
    }
    let id = match yimen_service::cases::visible(&s, &actor, &id).await {
        Ok(c) => c.id.to_string(),
        Err(e) => return super::refusal_page(e),
    };
    let now = s.engine.now().timestamp_millis();
    if let Err(e) = s
        .engine
        .store()
        .audit(now, &actor.id, "personal_data_revealed", &id, &reason)
        .await
    {
        return super::refusal_page(ApiError::from(e));
    }
    show(&s, &ctx, &id, true, Some(t(ctx.lang, "done.revealed").to_owned()), None).await
}

/// `POST /cases/{id}/attachments`: the form's files added to its field.
pub async fn upload(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut form: yimen_http::FormData,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let field = super::form_value(&form.fields, "field").unwrap_or_default();
    let sent = form.files_of("file");
    let fail = |message: String, status: StatusCode| Failed {
        action: Some("attach".into()),
        sent: Map::new(),
        field: Some(field.clone()),
        message,
        status: Some(status),
        assign_to: String::new(),
        problems: Vec::new(),
    };
    if sent.is_empty() {
        let f = fail(t(ctx.lang, "file.none").to_owned(), StatusCode::UNPROCESSABLE_ENTITY);
        return show(&s, &ctx, &id, false, None, Some(f)).await;
    }
    match yimen_service::files::attach(&s, &actor, &id, &field, sent).await {
        Ok(case) => see_other(&format!("/cases/{}?done=attached#files", case.id)),
        Err(yimen_service::files::ReceiveError::Refused(list)) => {
            let f = fail(
                super::case_files::refusal_text(ctx.lang, &list),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            show(&s, &ctx, &id, false, None, Some(f)).await
        }
        Err(yimen_service::files::ReceiveError::Other(e)) => {
            let status = yimen_http::ApiError::from(e.clone()).status();
            if status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN {
                return super::refusal_page(e);
            }
            let f = fail(super::case_files::said(ctx.lang, &e), status);
            show(&s, &ctx, &id, false, None, Some(f)).await
        }
    }
}

/// What the flash says after an action: which action was taken, the state the case is in now
/// and, when it has one, the department handling it ("已办理「派单」，案件现为「已派单」，承办
/// 单位：12345政务服务热线。"); `None` when the action is not one of the case's.
pub async fn acted_notice(s: &AppState, lang: Lang, id: &str, action: &str) -> Option<String> {
    let case = s.engine.case(id).await.ok().flatten()?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version)?;
    let loc = lang.tag();
    let name = def.def.actions.get(action)?.name.get(loc);
    let state = def
        .def
        .states
        .get(&case.state)
        .map_or(case.state.as_str(), |st| st.name.get(loc));
    let department = super::department_name(s, &case.department, loc);
    Some(
        t(lang, "done.acted_as")
            .replace("{action}", name)
            .replace("{state}", state)
            .replace("{department}", &department),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

/// `GET /cases/{id}`: the case page, with the flash of what was just done.
pub async fn page(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let acted = match (q.done.as_deref(), q.action.as_deref()) {
        (Some("acted"), Some(a)) => acted_notice(&s, ctx.lang, &id, a).await,
        _ => None,
    };
    let notice = acted.or_else(|| q.done.as_deref().map(|d| t(ctx.lang, &format!("done.{d}")).to_owned()));
    super::case::show(&s, &ctx, &id, false, notice, None).await
}
