//! The inbox: the tasks of my department, role and unit that I may claim, and the tasks I
//! hold, with the case's SLA status as a colour, filters, search and paging; claim and release.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yimen_engine::core::{Case, Command};
use yimen_engine::store::InboxFilter;

use super::{Chrome, Ctx, chrome, render, see_other};
use yimen_http::AppState;

/// Rows per page.
const PER_PAGE: i64 = 30;

/// One row.
pub struct Row {
    pub(crate) task_id: String,
    pub(crate) task_name: String,
    pub(crate) case_id: String,
    pub(crate) case_short: String,
    pub(crate) subject: String,
    pub(crate) case_type: String,
    pub(crate) case_state: String,
    pub(crate) unit: String,
    pub(crate) created: String,
    pub(crate) assignee: String,
    pub(crate) sla: &'static str,
    pub(crate) sla_label: &'static str,
    pub(crate) due: String,
    pub(crate) claimable: bool,
    pub(crate) mine: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<Row>,
    case_types: Vec<(String, String)>,
    state: String,
    case_type: String,
    q: String,
    page: i64,
    has_next: bool,
    prev_href: String,
    next_href: String,
    back: String,
    error: Option<String>,
    /// Tasks that reach nobody, for the department's heads and the dispatching clerks.
    unstaffed: Vec<Row>,
    /// The department's supervision records waiting for its answer.
    supervision: Vec<RecordRow>,
    /// What a bulk claim did.
    bulk: Option<String>,
    /// The colleagues away whose tasks are listed here too.
    standing_in: Vec<String>,
}

/// A supervision record waiting for the department's answer.
pub struct RecordRow {
    case_id: String,
    case_short: String,
    case_type: String,
    rung: String,
    level: String,
    state: &'static str,
    due: String,
    overdue: bool,
}

/// A waiting supervision record in the reader's words.
fn record_row(s: &AppState, lang: super::Lang, r: yimen_service::team::DueRecord) -> RecordRow {
    let loc = lang.tag();
    let defs = s.engine.definitions();
    let def = defs.current(&r.case_type);
    let rung = def
        .as_ref()
        .and_then(|d| d.ladder.as_ref())
        .and_then(|l| l.rungs.get(&r.rung))
        .map_or_else(|| r.rung.clone(), |x| x.name.get(loc).to_owned());
    RecordRow {
        case_short: super::fields::label_of(r.number.as_deref(), &r.case_id),
        case_type: def
            .as_ref()
            .map_or_else(|| r.case_type.clone(), |d| d.def.name.get(loc).to_owned()),
        rung,
        level: super::i18n::t(lang, &format!("board.level{}", r.level)).to_owned(),
        state: super::i18n::t(lang, &format!("record.{}", r.state)),
        due: super::local_ms(s, r.answer_due),
        overdue: r.overdue,
        case_id: r.case_id,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    case_type: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    taken: Option<u32>,
    #[serde(default)]
    refused: Option<u32>,
}

/// The SLA status of a case at `now`, with what to say beside it: the due instant of a running
/// clock, the time left of a paused one, how late a closed case was; `none` without a clock.
/// A stopped clock reads `closed_on_time` or `closed_late` (or `stopped` when its end cannot be
/// worked out).
pub fn sla_of(s: &AppState, case: &Case, lang: super::Lang) -> (&'static str, String) {
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return ("none", String::new());
    };
    let Some(clock) = &case.sla else {
        return ("none", String::new());
    };
    let cal = &def.calendar;
    let working = clock.counts_working_time();
    if clock.stopped {
        return match clock.settled(cal) {
            Ok(Some(end)) if end.late > 0 => (
                "closed_late",
                format!(
                    "{}{}",
                    super::i18n::t(lang, "sla.late_by"),
                    span(lang, end.late, working, cal.day_seconds())
                ),
            ),
            Ok(Some(_)) => ("closed_on_time", String::new()),
            _ => ("stopped", String::new()),
        };
    }
    let now = s.engine.now();
    let derived = clock.derive(cal, &def.warn_at, now).ok().flatten();
    let status = clock.status(derived.as_ref(), now).as_str();
    let due = match derived {
        Some(d) if clock.running() => format!("{} {}", super::i18n::t(lang, "inbox.due"), super::local(s, d.due)),
        Some(_) => match clock.left(cal, now) {
            Ok(Some(left)) => format!(
                "{}{}",
                super::i18n::t(lang, "sla.left"),
                span(lang, left, working, cal.day_seconds())
            ),
            _ => String::new(),
        },
        None => String::new(),
    };
    (status, due)
}

/// A length of time as people say it: working days and hours (a working day being the
/// calendar's office hours), or days and hours.
fn span(lang: super::Lang, seconds: i64, working: bool, day_seconds: i64) -> String {
    let day = if working { day_seconds.max(1) } else { 86_400 };
    let (days, hours) = (seconds / day, (seconds % day + 1_799) / 3_600);
    let (d, h) = if working {
        ("sla.working_days", "sla.hours")
    } else {
        ("sla.days", "sla.hours")
    };
    let t = |k: &str| super::i18n::t(lang, k);
    match (days, hours) {
        (0, 0) => t("sla.under_an_hour").to_owned(),
        (0, h_) => t(h).replace("{n}", &h_.to_string()),
        (d_, 0) => t(d).replace("{n}", &d_.to_string()),
        (d_, h_) => format!(
            "{} {}",
            t(d).replace("{n}", &d_.to_string()),
            t(h).replace("{n}", &h_.to_string())
        ),
    }
}

fn href(state: &str, case_type: &str, q: &str, page: i64) -> String {
    format!(
        "/inbox?state={}&case_type={}&q={}&page={page}",
        super::url_encode(state),
        super::url_encode(case_type),
        super::url_encode(q)
    )
}

/// What an inbox row is drawn from: the reader, the definitions and the page's cases.
struct Seen<'a> {
    s: &'a AppState,
    ctx: &'a Ctx,
    actor: &'a yimen_engine::core::Actor,
    defs: &'a yimen_engine::runtime::Definitions,
    cases: &'a HashMap<String, Case>,
    unmasked: bool,
}

impl Seen<'_> {
    /// One task as its row: names in the page's language, the subject as the reader may see it.
    fn row(&self, i: yimen_engine::store::InboxItem) -> Row {
        let Seen {
            s,
            ctx,
            actor,
            defs,
            cases,
            unmasked,
        } = *self;
        let lang = ctx.lang.tag();
        let org = s.engine.org();
        let case = cases.get(&i.case_id);
        let def = case.and_then(|c| defs.get(&c.case_type, c.definition_version));
        let (sla, due) = case.map(|c| sla_of(s, c, ctx.lang)).unwrap_or(("none", String::new()));
        let task_name = def
            .as_ref()
            .and_then(|d| d.def.tasks.get(&i.name))
            .map_or_else(|| i.name.clone(), |t| t.name.get(lang).to_owned());
        let case_type = def
            .as_ref()
            .map_or_else(|| i.case_type.clone(), |d| d.def.name.get(lang).to_owned());
        let case_state = def
            .as_ref()
            .and_then(|d| d.def.states.get(&i.case_state))
            .map_or_else(|| i.case_state.clone(), |st| st.name.get(lang).to_owned());
        let subject = match (case, &def) {
            (Some(c), Some(d)) => super::fields::summary(&d.def, c, unmasked),
            _ => i.case_id.clone(),
        };
        let unit = i
            .unit
            .as_deref()
            .or(case.and_then(|c| c.unit.as_deref()))
            .and_then(|u| org.file.units.get(u).map(|x| x.name.get(lang).to_owned()))
            .unwrap_or_default();
        let mine = i.assignee.as_deref() == Some(actor.id.as_str());
        Row {
            claimable: i.state == "open" && actor.may_claim(&i.department, &i.role, i.unit.as_deref()),
            mine,
            case_short: super::fields::label_of(i.case_number.as_deref(), &i.case_id),
            assignee: i
                .assignee
                .as_deref()
                .map(|a| org.user(a).map_or_else(|| a.to_owned(), |u| u.name.clone()))
                .unwrap_or_default(),
            created: super::local_ms(s, i.created_at),
            task_id: i.id,
            task_name,
            case_id: i.case_id,
            subject,
            case_type,
            case_state,
            unit,
            sla,
            sla_label: super::i18n::t(ctx.lang, &format!("sla.{sla}")),
            due,
        }
    }
}

/// The rows of `items`, their cases read once.
pub(crate) async fn rows_of(
    s: &AppState,
    ctx: &Ctx,
    actor: &yimen_engine::core::Actor,
    items: Vec<yimen_engine::store::InboxItem>,
) -> Result<Vec<Row>, Response> {
    let ids: Vec<String> = items.iter().map(|i| i.case_id.clone()).collect();
    let cases = s
        .engine
        .store()
        .cases_by_ids(&ids)
        .await
        .map_err(|e| super::store_down(ctx.lang, e))?;
    let cases: HashMap<String, Case> = cases.into_iter().map(|c| (c.id.to_string(), c)).collect();
    let defs = s.engine.definitions();
    let seen = Seen {
        s,
        ctx,
        actor,
        defs: &defs,
        cases: &cases,
        unmasked: yimen_service::access::sees_personal_data(s.engine.org(), actor),
    };
    Ok(items.into_iter().map(|i| seen.row(i)).collect())
}

pub async fn page(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<InboxQuery>) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let lang = ctx.lang.tag();
    let state = match q.state.as_str() {
        "open" | "claimed" => q.state.clone(),
        _ => String::new(),
    };
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let search: String = q.q.trim().chars().take(100).collect();
    let defs = s.engine.definitions();
    let case_types: Vec<(String, String)> = defs
        .all_current()
        .iter()
        .map(|d| (d.def.id.clone(), d.def.name.get(lang).to_owned()))
        .collect();
    let case_type = if case_types.iter().any(|(id, _)| *id == q.case_type) {
        q.case_type.clone()
    } else {
        String::new()
    };
    let filter = InboxFilter {
        user: actor.id.to_string(),
        department: actor.department.clone(),
        roles: actor.roles.clone(),
        unit: actor.unit.clone(),
        stands_in_for: actor.stands_in_for.iter().map(ToString::to_string).collect(),
        state: (!state.is_empty()).then(|| state.clone()),
        case_type: (!case_type.is_empty()).then(|| case_type.clone()),
        search: (!search.is_empty()).then(|| search.clone()),
        limit: PER_PAGE + 1,
        offset: (page - 1) * PER_PAGE,
    };
    let store = s.engine.store();
    let mut items = match yimen_service::access::inbox(&s.engine, &actor, &filter).await {
        Ok(i) => i,
        Err(e) => return super::store_down(ctx.lang, e),
    };
    let has_next = items.len() as i64 > PER_PAGE;
    items.truncate(PER_PAGE as usize);
    let rows = match rows_of(&s, &ctx, &actor, items).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    // The queue of tasks that reach nobody, for those who answer for it.
    let unstaffed = match yimen_service::team::queue_of(s.engine.org(), &actor) {
        Some(queue) if page == 1 => match store.unstaffed_tasks(queue.department(), PER_PAGE).await {
            Ok(items) => match rows_of(&s, &ctx, &actor, items).await {
                Ok(r) => r,
                Err(r) => return r,
            },
            Err(e) => return super::store_down(ctx.lang, e),
        },
        _ => Vec::new(),
    };
    let supervision = if page == 1 {
        match yimen_service::team::supervision_due(&s.engine, &actor).await {
            Ok(due) => due.into_iter().map(|r| record_row(&s, ctx.lang, r)).collect(),
            Err(e) => return super::refusal_page(e),
        }
    } else {
        Vec::new()
    };
    let bulk = match (q.taken, q.refused) {
        (Some(n), Some(m)) => Some(
            super::i18n::t(ctx.lang, "bulk.done")
                .replace("{n}", &n.to_string())
                .replace("{m}", &m.to_string()),
        ),
        _ => None,
    };
    let title = super::i18n::t(ctx.lang, "inbox.title");
    let c = chrome(&s, &ctx, "nav.inbox", title);
    let back = href(&state, &case_type, &search, page);
    let error = q
        .error
        .as_deref()
        .map(|code| super::i18n::problem(ctx.lang, code).to_owned());
    render(
        StatusCode::OK,
        &InboxPage {
            rows,
            case_types,
            prev_href: href(&state, &case_type, &search, page - 1),
            next_href: href(&state, &case_type, &search, page + 1),
            state,
            case_type,
            q: search,
            page,
            has_next,
            back,
            c,
            error,
            unstaffed,
            supervision,
            bulk,
            standing_in: actor
                .stands_in_for
                .iter()
                .map(|u| s.engine.org().user(u).map_or_else(|| u.to_string(), |x| x.name.clone()))
                .collect(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn task_command(s: &AppState, ctx: &Ctx, task: &str, f: &BackForm, claim: bool) -> Response {
    let back = f.back.as_str();
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let back = super::safe_next(Some(back));
    let Some((case_id, _)) = task.rsplit_once(":t") else {
        return super::error_page(StatusCode::NOT_FOUND, super::i18n::t(ctx.lang, "error.no_task"));
    };
    if let Err(e) = yimen_service::cases::check_visible(s, &actor, case_id).await {
        return super::refusal_page(e);
    }
    let cmd = if claim {
        Command::Claim { task: task.into() }
    } else {
        Command::Release {
            task: task.into(),
            reason: f.reason.clone(),
        }
    };
    match s.engine.command(case_id, cmd, actor, None).await {
        Ok(_) if claim => see_other(&format!("/cases/{case_id}")),
        Ok(_) => see_other(&back),
        Err(e) => {
            let e = yimen_http::ApiError::from(e);
            let sep = if back.contains('?') { '&' } else { '?' };
            see_other(&format!("{back}{sep}error={}", e.code()))
        }
    }
}

pub async fn claim(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(task): Path<String>,
    axum::Form(f): axum::Form<BackForm>,
) -> Response {
    task_command(&s, &ctx, &task, &f, true).await
}

pub async fn release(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(task): Path<String>,
    axum::Form(f): axum::Form<BackForm>,
) -> Response {
    task_command(&s, &ctx, &task, &f, false).await
}
