//! The privacy page for admins: a resident's cases found by the blind index of their phone or
//! ID number (the number is posted, never put in a link), a copy of their data to download (PIPL
//! art. 45), legal holds placed and lifted, and the privacy log. Every copy, hold and release is
//! logged.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yimen_service::privacy::{self, PersonError};

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render, see_other};
use yimen_http::{AppState, Table};
use yimen_service::access::Access;

/// The privacy routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/privacy", Admin, "Personal data: find a resident, the privacy log", page)
        .add(Method::POST, "/admin/privacy", Admin, "Find a resident's cases", find)
        .add(Method::POST, "/admin/privacy/export", Admin, "Download a resident's copy of their data (logged)", export)
        .add(Method::POST, "/admin/privacy/hold", Admin, "Place or lift a legal hold (logged)", hold)
}

struct CaseRow {
    id: String,
    short: String,
    case_type: String,
    opened: String,
    state: String,
    standing: String,
    held: bool,
    deleted: bool,
}

struct LogRow {
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    c: Chrome,
    phone: String,
    id_number: String,
    /// Neither number given.
    error: Option<String>,
    phone_error: Option<String>,
    id_error: Option<String>,
    searched: bool,
    cases: Vec<CaseRow>,
    log: Vec<LogRow>,
    notice: Option<String>,
}

/// The search form.
#[derive(Debug, Default, Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, q: axum::extract::Query<super::ops::DoneQuery>) -> Response {
    let notice = q.0.done.map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    show(&s, &ctx, PersonForm::default(), None, notice).await
}

async fn find(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<PersonForm>) -> Response {
    show(&s, &ctx, f, Some(()), None).await
}

/// Every problem of the search form at once, each beside its field: (neither given, the phone
/// number's, the ID number's).
fn form_errors(ctx: &Ctx, f: &PersonForm) -> (Option<String>, Option<String>, Option<String>) {
    let say = |key: &str| Some(t(ctx.lang, key).to_owned());
    let (phone, id) = (f.phone.trim(), f.id_number.trim());
    if phone.is_empty() && id.is_empty() {
        return (say("privacy.err.missing"), None, None);
    }
    let phone_error = (!phone.is_empty() && privacy::person(Some(phone), None) == Err(PersonError::Phone))
        .then(|| say("privacy.err.phone"))
        .flatten();
    let id_error = (!id.is_empty() && privacy::person(None, Some(id)) == Err(PersonError::IdNumber))
        .then(|| say("privacy.err.id"))
        .flatten();
    (None, phone_error, id_error)
}

async fn show(s: &AppState, ctx: &Ctx, f: PersonForm, searched: Option<()>, notice: Option<String>) -> Response {
    let store = s.engine.store();
    let (error, phone_error, id_error) = match searched {
        Some(()) => form_errors(ctx, &f),
        None => (None, None, None),
    };
    let invalid = error.is_some() || phone_error.is_some() || id_error.is_some();
    let mut cases = Vec::new();
    if searched.is_some() && !invalid {
        match privacy::person(Some(&f.phone), Some(&f.id_number)) {
            Err(_) => {}
            Ok((kind, value)) => {
                let Some(index) = privacy::index_of(store, kind, &value) else {
                    return super::error_page(StatusCode::CONFLICT, t(ctx.lang, "privacy.unsealed"));
                };
                let ids = match store.cases_of_person(kind, &index, 500).await {
                    Ok(ids) => ids,
                    Err(e) => return super::ops::store_down(ctx, e),
                };
                for id in ids {
                    match row(s, ctx, &id).await {
                        Ok(Some(r)) => cases.push(r),
                        Ok(None) => {}
                        Err(e) => return super::ops::store_down(ctx, e),
                    }
                }
            }
        }
    }
    let log = match store.privacy_log(100).await {
        Ok(l) => l,
        Err(e) => return super::ops::store_down(ctx, e),
    };
    let subjects: Vec<String> = log.iter().map(|l| l.subject.clone()).collect();
    let numbers = match store.numbers_of(&subjects).await {
        Ok(n) => n,
        Err(e) => return super::ops::store_down(ctx, e),
    };
    let log = log
        .into_iter()
        .map(|l| LogRow {
            at: super::local_ms(s, l.at),
            actor: super::case_history::who(s, &l.actor, ctx.lang),
            action: t(ctx.lang, &format!("privacy.action.{}", l.action)).to_owned(),
            // A person is logged by blind index: shown by its kind only.
            subject: match l.subject.split_once(':') {
                Some((kind, _)) => t(ctx.lang, &format!("privacy.kind.{kind}")).to_owned(),
                None => super::fields::label_of(numbers.get(&l.subject).map(String::as_str), &l.subject),
            },
            detail: detail_text(&l.action, &l.detail, ctx),
        })
        .collect();
    let c = chrome(s, ctx, "nav.ops", t(ctx.lang, "privacy.title"));
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &PrivacyPage {
            c,
            phone: f.phone,
            id_number: f.id_number,
            error,
            phone_error,
            id_error,
            searched: searched.is_some() && !invalid,
            cases,
            log,
            notice,
        },
    )
}

/// A log entry's detail in the reader's words: a rule (the JSON of a localised text) in their
/// language, a count, the heads of a re-chained history, a key's change; a hold's reason as given.
fn detail_text(action: &str, detail: &str, ctx: &Ctx) -> String {
    let v = serde_json::from_str::<serde_json::Value>(detail).unwrap_or(serde_json::Value::Null);
    let short = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .chars()
            .take(12)
            .collect::<String>()
    };
    match action {
        "shred" => v
            .get(ctx.lang.tag())
            .or_else(|| v.get("zh-CN"))
            .and_then(|x| x.as_str())
            .unwrap_or(detail)
            .to_owned(),
        "export" => t(ctx.lang, "privacy.detail.export").replace("{n}", detail),
        "seal" => t(ctx.lang, "privacy.detail.seal")
            .replace("{old}", &short("old_head"))
            .replace("{new}", &short("new_head")),
        "rotate" => t(ctx.lang, "privacy.detail.rotate")
            .replace("{from}", &short("from"))
            .replace("{to}", &short("to")),
        _ => detail.to_owned(),
    }
}

async fn row(s: &AppState, ctx: &Ctx, id: &str) -> Result<Option<CaseRow>, yimen_engine::store::StoreError> {
    let store = s.engine.store();
    let Some(case) = store.case(id).await? else {
        return Ok(None);
    };
    let standing = store.key_standing(id).await?;
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    let loc = ctx.lang.tag();
    let (case_type, state) = match &def {
        Some(d) => (
            d.def.name.get(loc).to_owned(),
            d.def
                .states
                .get(&case.state)
                .map_or_else(|| case.state.clone(), |st| st.name.get(loc).to_owned()),
        ),
        None => (case.case_type.clone(), case.state.clone()),
    };
    use yimen_engine::store::privacy::Standing;
    let (text, held, deleted) = match &standing {
        Standing::Sealed => (t(ctx.lang, "privacy.sealed").to_owned(), false, false),
        Standing::Held(reason) => (format!("{}：{reason}", t(ctx.lang, "privacy.held")), true, false),
        Standing::Deleted(at) => (
            t(ctx.lang, "privacy.deleted").replace("{date}", &super::local_ms(s, *at)),
            false,
            true,
        ),
        Standing::Plain => (t(ctx.lang, "privacy.plain").to_owned(), false, false),
    };
    Ok(Some(CaseRow {
        short: super::fields::case_label(&case),
        id: id.to_owned(),
        case_type,
        opened: super::local(s, case.opened_at),
        state,
        standing: text,
        held,
        deleted,
    }))
}

async fn export(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<PersonForm>) -> Response {
    let (kind, value) = match privacy::person(Some(&f.phone), Some(&f.id_number)) {
        Ok(p) => p,
        Err(_) => return show(&s, &ctx, f, Some(()), None).await,
    };
    let store = s.engine.store();
    let Some(index) = privacy::index_of(store, kind, &value) else {
        return super::error_page(StatusCode::CONFLICT, t(ctx.lang, "privacy.unsealed"));
    };
    let Some(org) = s
        .bundle
        .as_ref()
        .and_then(|b| b.organisation.as_ref())
        .map(|o| &o.value)
    else {
        return super::error_page(StatusCode::SERVICE_UNAVAILABLE, t(ctx.lang, "error.store"));
    };
    let by = ctx.authed.as_ref().map_or_else(String::new, |a| a.actor.id.to_string());
    let defs = s.engine.definitions();
    let src = privacy::Sources {
        store,
        defs: &defs,
        org,
        zone: s.centre_tz(),
    };
    match privacy::copy(&src, kind, &index, &by, s.engine.now()).await {
        Ok((doc, _)) => (
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"personal-data.json\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => super::ops::store_down(&ctx, e),
    }
}

/// The hold form: a case, and a reason to place a hold (none lifts it).
#[derive(Debug, Default, Deserialize)]
pub struct HoldForm {
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    release: String,
}

async fn hold(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<HoldForm>) -> Response {
    let reason = f.reason.trim();
    let placing = f.release.is_empty();
    if placing && reason.is_empty() {
        return super::error_page(StatusCode::UNPROCESSABLE_ENTITY, t(ctx.lang, "privacy.err.reason"));
    }
    let by = ctx.authed.as_ref().map_or_else(String::new, |a| a.actor.id.to_string());
    let now = s.engine.now().timestamp_millis();
    let reason = placing.then_some(reason);
    match s.engine.store().set_hold(&f.case_id, reason, &by, now).await {
        Ok(true) => see_other(if placing {
            "/admin/privacy?done=held"
        } else {
            "/admin/privacy?done=released"
        }),
        Ok(false) => super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "privacy.err.nohold")),
        Err(e) => super::ops::store_down(&ctx, e),
    }
}
