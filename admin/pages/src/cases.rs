//! The case list (案件查询): every case the reader may see, searched by words, number or (for
//! roles that see personal data) a citizen's phone, ID number or name, filtered, a page at a
//! time, and exported as CSV or Excel with the same filters.

use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use yimen_engine::core::Case;
use yimen_service::list::{self, Format, Problem};

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render};
use yimen_http::AppState;

/// One row.
struct Row {
    case_id: String,
    number: String,
    subject: String,
    case_type: String,
    state: String,
    department: String,
    opened: String,
    sla: &'static str,
    sla_label: &'static str,
    due: String,
}

/// The filters as the form shows them again, and each one's problem.
#[derive(Default)]
struct Form {
    q: String,
    person_ref: String,
    citizen_of: String,
    status: String,
    case_type: String,
    department: String,
    overdue: bool,
    supervision_level: String,
    opened_from: String,
    opened_to: String,
    sort: String,
    problems: Vec<(String, String)>,
}

impl Form {
    /// The problem of `param`, in the reader's words (empty when none).
    fn problem(&self, param: &str) -> &str {
        self.problems
            .iter()
            .find(|(p, _)| p == param)
            .map_or("", |(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    c: Chrome,
    form: Form,
    rows: Vec<Row>,
    case_types: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    sees_personal_data: bool,
    searched: bool,
    later: bool,
    next_href: String,
    first_href: String,
    csv_href: String,
    xlsx_href: String,
    error: Option<String>,
}

/// The query string without its `cursor` and `format`, for the links that keep the filters.
fn keep(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            pairs
                .iter()
                .filter(|(k, v)| k != "cursor" && k != "format" && !v.is_empty()),
        )
        .finish()
}

fn with(base: &str, extra: &str) -> String {
    match (base.is_empty(), extra.is_empty()) {
        (true, true) => "/cases".to_owned(),
        (true, false) => format!("/cases?{extra}"),
        (false, true) => format!("/cases?{base}"),
        (false, false) => format!("/cases?{base}&{extra}"),
    }
}

fn row(s: &AppState, ctx: &Ctx, c: &Case, unmasked: bool) -> Row {
    let lang = ctx.lang.tag();
    let def = s.engine.definitions().get(&c.case_type, c.definition_version);
    let (sla, due) = super::inbox::sla_of(s, c, ctx.lang);
    Row {
        case_id: c.id.to_string(),
        number: super::fields::case_label(c),
        subject: def.as_ref().map_or_else(
            || super::fields::case_label(c),
            |d| super::fields::summary(&d.def, c, unmasked),
        ),
        case_type: def
            .as_ref()
            .map_or_else(|| c.case_type.clone(), |d| d.def.name.get(lang).to_owned()),
        state: def
            .as_ref()
            .and_then(|d| d.def.states.get(&c.state))
            .map_or_else(|| c.state.clone(), |st| st.name.get(lang).to_owned()),
        department: super::department_name(s, &c.department, lang),
        opened: super::local(s, c.opened_at),
        sla,
        sla_label: t(ctx.lang, &format!("sla.{sla}")),
        due,
    }
}

fn form_of(pairs: &[(String, String)]) -> Form {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.chars().take(list::MAX_TEXT).collect::<String>())
            .unwrap_or_default()
    };
    Form {
        q: get("q"),
        citizen_of: get("citizen_of"),
        person_ref: get("person_ref"),
        status: get("status"),
        case_type: get("case_type"),
        department: get("department"),
        overdue: matches!(get("overdue").as_str(), "true" | "1"),
        supervision_level: get("supervision_level"),
        opened_from: get("opened_from"),
        opened_to: get("opened_to"),
        sort: get("sort"),
        problems: Vec::new(),
    }
}

/// The problem in the reader's words.
fn problem_text(ctx: &Ctx, p: &Problem) -> String {
    t(ctx.lang, &format!("list.problem.{}", p.code)).to_owned()
}

/// `POST /cases/person`: a search by a citizen's phone, ID number or name, posted so the number
/// never sits in a link, the browser's history or a log; answered by the list of that person's
/// cases, whose links carry only a reference to them.
pub async fn person(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let term = super::form_value(&form, "person").unwrap_or_default();
    match list::person_ref(&s, &actor, &term).await {
        Ok(r) => super::see_other(&format!("/cases?person_ref={r}")),
        Err(e) if e.code() == "bad_person" => super::see_other("/cases?person_ref=-"),
        Err(e) => super::refusal_page(yimen_http::ApiError::from(e)),
    }
}

pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, RawQuery(raw): RawQuery) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let lang = ctx.lang.tag();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        // The form sends every field; an empty one is no filter.
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let org = s.engine.org();
    let unmasked = yimen_service::access::sees_personal_data(org, &actor);
    let mut form = form_of(&pairs);
    let mut rows = Vec::new();
    let mut next = None;
    let mut error = None;
    let mut status = StatusCode::OK;
    match list::parse(&s, &pairs) {
        Err(problems) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            form.problems = problems
                .iter()
                .map(|p| (p.param.clone(), problem_text(&ctx, p)))
                .collect();
            error = Some(t(ctx.lang, "list.fix").to_owned());
        }
        Ok(req) if req.format != Format::Page => {
            let r = match req.format {
                Format::Csv => yimen_http::export::csv(s.clone(), actor, req.query, lang.to_owned()).await,
                _ => yimen_http::export::xlsx(s.clone(), actor, req.query, lang.to_owned()).await,
            };
            return r.unwrap_or_else(super::refusal_page);
        }
        Ok(req) => match list::list(&s, &actor, &req.query).await {
            Ok(p) => {
                rows = p.cases.iter().map(|c| row(&s, &ctx, c, unmasked)).collect();
                next = p.next.map(|c| c.encode());
            }
            Err(e) if e.code() == "no_personal_data" => {
                status = StatusCode::FORBIDDEN;
                form.problems
                    .push(("person".into(), t(ctx.lang, "list.problem.no_personal_data").to_owned()));
                error = Some(t(ctx.lang, "list.fix").to_owned());
            }
            Err(e) => return super::refusal_page(yimen_http::ApiError::from(e)),
        },
    }
    let defs = s.engine.definitions();
    let case_types = defs
        .all_current()
        .iter()
        .map(|d| (d.def.id.clone(), d.def.name.get(lang).to_owned()))
        .collect();
    let departments = org
        .file
        .departments
        .iter()
        .map(|(id, d)| (id.clone(), d.name.get(lang).to_owned()))
        .collect();
    let base = keep(&pairs);
    let cursor = next
        .map(|n| format!("cursor={}", super::url_encode(&n)))
        .unwrap_or_default();
    let page = CasesPage {
        c: chrome(&s, &ctx, "nav.cases", t(ctx.lang, "list.title")),
        searched: !pairs.is_empty(),
        later: pairs.iter().any(|(k, _)| k == "cursor"),
        next_href: if cursor.is_empty() {
            String::new()
        } else {
            with(&base, &cursor)
        },
        first_href: with(&base, ""),
        csv_href: with(&base, "format=csv"),
        xlsx_href: with(&base, "format=xlsx"),
        form,
        rows,
        case_types,
        departments,
        sees_personal_data: unmasked,
        error,
    };
    render(status, &page)
}
