//! The intake receipt (受理回执) a clerk prints for the citizen: the case number, what was
//! registered and when, the promised answer date from the SLA clock, the handling department and
//! how to follow the case. A4 by default; `?layout=thermal` for a 58–80 mm receipt printer.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::i18n::t;
use super::{Chrome, Ctx, Lang, chrome, render};
use yimen_http::AppState;

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    c: Chrome,
    thermal: bool,
    case_id: String,
    number: String,
    centre: String,
    case_type: String,
    opened: String,
    citizen: String,
    department: String,
    due: String,
    follow_up: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    layout: Option<String>,
}

/// A budget as declared (`3 working days`, `60 days`) in the reader's words.
pub fn budget_words(budget: &str, lang: Lang) -> String {
    let parts: Vec<&str> = budget.split_whitespace().collect();
    let (n, working, unit) = match parts.as_slice() {
        [n, "working", unit] => (*n, true, *unit),
        [n, unit] => (*n, false, *unit),
        _ => return budget.to_owned(),
    };
    let unit = unit.trim_end_matches('s');
    match lang {
        Lang::En => budget.to_owned(),
        Lang::Zh => {
            let u = match (unit, working) {
                ("day", true) => "个工作日",
                ("day", false) => "日",
                ("hour", true) => "个工作小时",
                ("hour", false) => "小时",
                ("minute", _) => "分钟",
                ("week", _) => "周",
                ("month", _) => "个月",
                _ => return budget.to_owned(),
            };
            format!("{n}{u}")
        }
    }
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let case = match yimen_service::cases::visible(&s, &actor, &id).await {
        Ok(c) => c,
        Err(e) => return super::refusal_page(e),
    };
    let lang = ctx.lang;
    let loc = lang.tag();
    let org = s.engine.org();
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return super::error_page(StatusCode::CONFLICT, t(ctx.lang, "error.no_definition"));
    };
    let d = &def.def;
    let unmasked = yimen_service::access::sees_personal_data(org, &actor);
    let citizen = d
        .citizen
        .as_ref()
        .and_then(|c| d.fields.get(&c.name).zip(case.fields.get(&c.name)))
        .map(|(f, v)| super::fields::display(Some(f), v, lang, unmasked, s.centre_tz()))
        .unwrap_or_default();
    // The promised date: the running clock's due instant, or the budget it will run once it
    // starts (a clock that starts on acceptance).
    let due = match yimen_service::cases::due_of(&s, &case) {
        Some(at) => super::local(&s, at),
        None => match &d.sla {
            Some(sla) => t(lang, "receipt.within").replace("{budget}", &budget_words(&sla.budget, lang)),
            None => String::new(),
        },
    };
    let follow_up = org
        .file
        .centre
        .follow_up
        .as_ref()
        .map_or_else(|| t(lang, "receipt.follow_up").to_owned(), |f| f.get(loc).to_owned());
    let number = super::fields::case_label(&case);
    let page = ReceiptPage {
        c: chrome(&s, &ctx, "nav.intake", format!("{} {number}", t(lang, "receipt.title"))),
        thermal: q.layout.as_deref() == Some("thermal"),
        case_id: case.id.to_string(),
        number,
        centre: org.file.centre.name.get(loc).to_owned(),
        case_type: d.name.get(loc).to_owned(),
        opened: super::local(&s, case.opened_at),
        citizen,
        department: super::department_name(&s, &case.department, loc),
        due,
        follow_up,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_said_in_the_readers_words() {
        assert_eq!(budget_words("3 working days", Lang::Zh), "3个工作日");
        assert_eq!(budget_words("60 days", Lang::Zh), "60日");
        assert_eq!(budget_words("2 months", Lang::Zh), "2个月");
        assert_eq!(budget_words("3 working days", Lang::En), "3 working days");
        assert_eq!(budget_words("whenever", Lang::Zh), "whenever");
    }
}
