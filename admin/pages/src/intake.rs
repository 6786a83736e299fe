//! Intake, the one door: choose a case type, fill the form generated from its definition
//! (types, required fields, validation messages next to the field), register. A repeat of an
//! open case (same citizen and matter within the case type's window) is linked to it instead.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Map;
use yimen_engine::core::CompiledCaseType;

use super::case_actions::failure;
use super::fields::{Input, InputKind, form_fields, input};
use super::i18n::t;
use super::{Chrome, Ctx, chrome, render, see_other};
use yimen_http::AppState;

struct Kind {
    id: String,
    name: String,
    department: String,
    limit: String,
}

#[derive(Template)]
#[template(path = "intake_choose.html")]
struct ChoosePage {
    c: Chrome,
    kinds: Vec<Kind>,
}

/// A repeat linked to a case the clerk may not see: only its number, state, department and due.
#[derive(Template)]
#[template(path = "linked.html")]
struct LinkedPage {
    c: Chrome,
    id: String,
    state: String,
    department: String,
    due: String,
}

fn linked_page(s: &AppState, ctx: &Ctx, case: &yimen_engine::core::Case) -> Response {
    let loc = ctx.lang.tag();
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    let state = def
        .as_ref()
        .and_then(|d| d.def.states.get(&case.state))
        .map_or_else(|| case.state.clone(), |st| st.name.get(loc).to_owned());
    let department = s
        .engine
        .org()
        .file
        .departments
        .get(&case.department)
        .map_or_else(|| case.department.clone(), |d| d.name.get(loc).to_owned());
    let due = yimen_service::cases::due_of(s, case).map_or_else(|| "—".to_owned(), |d| super::local(s, d));
    let c = chrome(s, ctx, "nav.intake", t(ctx.lang, "linked.title"));
    render(
        StatusCode::OK,
        &LinkedPage {
            c,
            id: super::fields::case_label(case),
            state,
            department,
            due,
        },
    )
}

#[derive(Template)]
#[template(path = "intake_form.html")]
struct FormPage {
    c: Chrome,
    id: String,
    name: String,
    channels: Vec<(String, String)>,
    channel: String,
    units: Vec<(String, String)>,
    unit: String,
    inputs: Vec<Input>,
    error: Option<String>,
}

pub async fn choose(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let loc = ctx.lang.tag();
    let org = s.engine.org();
    let kinds = s
        .engine
        .definitions()
        .all_current()
        .iter()
        .filter(|d| {
            // Cases only the centre itself opens (spot-check reviews) are not filed at a window.
            d.def.channels.iter().any(|ch| {
                org.file
                    .channels
                    .get(ch)
                    .is_some_and(|c| c.kind != yimen_engine::model::organisation::ChannelKind::Internal)
            })
        })
        .map(|d| Kind {
            id: d.def.id.clone(),
            name: d.def.name.get(loc).to_owned(),
            department: super::department_name(&s, &d.def.department, loc),
            limit: d
                .def
                .sla
                .as_ref()
                .map(|x| super::receipt::budget_words(&x.budget, ctx.lang))
                .unwrap_or_default(),
        })
        .collect();
    let c = chrome(&s, &ctx, "nav.intake", t(ctx.lang, "intake.title"));
    render(StatusCode::OK, &ChoosePage { c, kinds })
}

/// What a form drawn again shows besides a failure: each field's refused files, and the names
/// of the files already uploaded with it.
#[derive(Default)]
struct Files {
    refused: Vec<(String, String)>,
    names: std::collections::HashMap<String, String>,
}

fn form_page(
    s: &AppState,
    ctx: &Ctx,
    def: &CompiledCaseType,
    sent: &[(String, String)],
    failed: Option<super::case::Failed>,
    files: &Files,
) -> Response {
    let loc = ctx.lang.tag();
    let org = s.engine.org();
    let d = &def.def;
    let value = |name: &str| {
        sent.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let channels: Vec<(String, String)> = d
        .channels
        .iter()
        .filter_map(|ch| {
            org.file
                .channels
                .get(ch)
                .map(|c| (ch.clone(), c.name.get(loc).to_owned()))
        })
        .collect();
    let units: Vec<(String, String)> = org
        .file
        .units
        .iter()
        .map(|(id, u)| (id.clone(), u.name.get(loc).to_owned()))
        .collect();
    let actor_unit = ctx
        .authed
        .as_ref()
        .and_then(|a| a.actor.unit.clone())
        .unwrap_or_default();
    let unit = Some(value("unit")).filter(|u| !u.is_empty()).unwrap_or(actor_unit);
    let failed = failed.unwrap_or_default();
    let inputs = d
        .fields
        .iter()
        // Fields an action requires are filled when that action is taken, not at the window.
        .filter(|(id, f)| f.required || !d.actions.values().any(|a| a.requires.contains(id)))
        .map(|(id, f)| {
            let refused = files.refused.iter().find(|(k, _)| k == id).map(|(_, m)| m.clone());
            let err = failed.of_field(ctx.lang, id, f.label.get(loc)).or(refused);
            let mut i = input(id, f, ctx.lang, f.required, value(&format!("f.{id}")), err);
            let key = format!("f.{id}");
            i.files = sent
                .iter()
                .filter(|(k, v)| *k == key && files.names.contains_key(v))
                .map(|(_, v)| (v.clone(), files.names[v].clone()))
                .collect();
            i
        })
        .collect();
    let name = d.name.get(loc).to_owned();
    let c = chrome(s, ctx, "nav.intake", format!("{}：{name}", t(ctx.lang, "intake.title")));
    // Every field at fault, listed above the form too (a screen reader hears them at once).
    let listed: Vec<String> = failed
        .problems
        .iter()
        .map(|p| {
            let label = d.fields.get(&p.field).map_or(p.field.as_str(), |f| f.label.get(loc));
            super::fields::said(ctx.lang, label, p)
        })
        .collect();
    let error = if listed.is_empty() {
        (!failed.message.is_empty() && failed.field.is_none()).then(|| failed.message.clone())
    } else {
        Some(format!("{}{}", t(ctx.lang, "fp.errors"), listed.join(" ")))
    };
    let channel = value("channel");
    render(
        failed.status.unwrap_or(StatusCode::OK),
        &FormPage {
            c,
            id: d.id.clone(),
            name,
            channels,
            channel,
            units,
            unit,
            inputs,
            error,
        },
    )
}

// A page is the natural error of a page handler.
#[allow(clippy::result_large_err)]
fn definition(s: &AppState, ctx: &Ctx, id: &str) -> Result<Arc<CompiledCaseType>, Response> {
    s.engine
        .definitions()
        .current(id)
        .ok_or_else(|| super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case_type")))
}

pub async fn form(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    match definition(&s, &ctx, &id) {
        Ok(def) => form_page(&s, &ctx, &def, &[], None, &Files::default()),
        Err(r) => r,
    }
}

pub async fn submit(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    mut data: yimen_http::FormData,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let def = match definition(&s, &ctx, &id) {
        Ok(d) => d,
        Err(r) => return r,
    };
    if let Err(wait) = s.limits.opening(&actor.id) {
        let refused = super::error_page(StatusCode::TOO_MANY_REQUESTS, t(ctx.lang, "error.too_many_openings"));
        return yimen_http::with_retry_after(refused, wait.0);
    }
    // The files first: a refused file leaves the case unopened and the form shown again with
    // every field's refusal, keeping the files that were taken.
    let refused = super::case_files::receive_form(&s, &actor, &def.def, None, &mut data, ctx.lang).await;
    let form = data.fields;
    if let Err(refused) = refused {
        let names = super::case_files::names(&s, &form).await;
        let failed = super::case::Failed {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            ..Default::default()
        };
        return form_page(&s, &ctx, &def, &form, Some(failed), &Files { refused, names });
    }
    let get = |name: &str| super::form_value(&form, name);
    let fields = form_fields(&def.def, &form);
    let channel = get("channel").unwrap_or_default();
    match s
        .engine
        .open_case(&def.def.id, &channel, fields.clone(), get("unit"), actor, None)
        .await
    {
        Ok(out) if out.linked => {
            let actor = ctx.actor().ok().cloned();
            let sees = match actor {
                Some(a) => yimen_service::cases::visible(&s, &a, &out.case.id).await.is_ok(),
                None => false,
            };
            if sees {
                see_other(&format!("/cases/{}?done=linked", out.case.id))
            } else {
                linked_page(&s, &ctx, &out.case)
            }
        }
        Ok(out) => {
            // Say the citizen's receipt is queued only when the case type sends one.
            let receipt = def.def.on_open.iter().any(|e| match e {
                yimen_engine::model::case_type::Effect::Notify(n) => n.to.iter().any(|r| r.citizen),
                _ => false,
            });
            let done = if receipt { "opened_receipt" } else { "opened" };
            see_other(&format!("/cases/{}?done={done}", out.case.id))
        }
        Err(e) => {
            let f = failure(ctx.lang, None, Map::new(), e);
            let names = super::case_files::names(&s, &form).await;
            let files = Files {
                refused: Vec::new(),
                names,
            };
            form_page(&s, &ctx, &def, &form, Some(f), &files)
        }
    }
}
