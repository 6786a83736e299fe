//! The case page: its fields (personal data masked unless the role sees it or the user reveals
//! it, which is audited), state, SLA clock and what will fire when, its tasks and the actions the
//! definition allows this user (forms generated from the fields they require), supervision
//! records with their answers and reviews, the history, and the notifications sent.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};
use yimen_engine::core::preview::timeline;
use yimen_engine::core::{Actor, Case, CaseStatus, Command, EventKind, Rejection, SupervisionState, TaskState};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::model::case_type::{Field, FieldType};
use yimen_engine::render::{is_personal, mask_value};
use yimen_engine::runtime::EngineError;
use yimen_engine::store::cases::StoredEvent;

use super::i18n::{Lang, t};
use super::{Chrome, Ctx, chrome, render, see_other};
use crate::access;
use crate::http::{ApiError, AppState};

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `<input>`.
    Input,
    /// `<textarea>`.
    Area,
    /// `<select>`.
    Select,
}

/// One form input generated from a field.
#[derive(Debug, Clone)]
pub struct Input {
    /// The field id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// How it is typed in.
    pub kind: InputKind,
    /// The `type` of an `<input>`.
    pub html_type: &'static str,
    /// The options of a `<select>`: (value, label).
    pub options: Vec<(String, String)>,
    /// The value shown (what the user sent, after an error).
    pub value: String,
    /// Whether it must be filled.
    pub required: bool,
    /// The longest text (0: no limit shown).
    pub max: u32,
    /// The `step` of a number input.
    pub step: &'static str,
    /// Help text.
    pub help: String,
    /// The problem with what was sent, next to the field.
    pub error: Option<String>,
}

/// The form input for field `id`.
pub fn input(id: &str, f: &Field, lang: Lang, required: bool, value: String, error: Option<String>) -> Input {
    let loc = lang.tag();
    let (kind, html_type, step, max) = match f.ty {
        FieldType::Enum => (InputKind::Select, "", "", 0),
        FieldType::Boolean => (InputKind::Select, "", "", 0),
        FieldType::Text if f.max_length.is_none_or(|m| m > 200) => {
            (InputKind::Area, "", "", f.max_length.unwrap_or(4000))
        }
        FieldType::Text | FieldType::Person | FieldType::Attachment => {
            (InputKind::Input, "text", "", f.max_length.unwrap_or(200))
        }
        FieldType::Phone => (InputKind::Input, "tel", "", 20),
        FieldType::IdNumber => (InputKind::Input, "text", "", 18),
        FieldType::Money => (InputKind::Input, "number", "0.01", 0),
        FieldType::Integer => (InputKind::Input, "number", "1", 0),
        FieldType::Date => (InputKind::Input, "date", "", 0),
    };
    let options = match f.ty {
        FieldType::Enum => f
            .values
            .as_ref()
            .map(|vs| vs.iter().map(|(k, v)| (k.clone(), v.get(loc).to_owned())).collect())
            .unwrap_or_default(),
        FieldType::Boolean => vec![
            ("true".into(), t(lang, "yes").to_owned()),
            ("false".into(), t(lang, "no").to_owned()),
        ],
        _ => Vec::new(),
    };
    Input {
        id: id.to_owned(),
        label: f.label.get(loc).to_owned(),
        kind,
        html_type,
        options,
        value,
        required,
        max,
        step,
        help: f.help.as_ref().map(|h| h.get(loc).to_owned()).unwrap_or_default(),
        error,
    }
}

/// The `f.<field>` values of a submitted form as field values (empty ones left out, so a
/// required field is reported missing; booleans as booleans; the core checks the rest).
pub fn form_fields(def: &CaseTypeFile, form: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in form {
        let Some(id) = k.strip_prefix("f.") else { continue };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = match def.fields.get(id).map(|f| f.ty) {
            Some(FieldType::Boolean) => match v {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            },
            _ => Value::String(v.to_owned()),
        };
        out.insert(id.to_owned(), value);
    }
    out
}

/// A field value for people: enum labels, yes/no, masked personal data.
pub fn display(f: Option<&Field>, v: &Value, lang: Lang, unmasked: bool) -> String {
    let v = if unmasked { v.clone() } else { mask_value(f, v) };
    match (f.map(|f| f.ty), &v) {
        (_, Value::Null) => String::new(),
        (Some(FieldType::Enum), Value::String(s)) => f
            .and_then(|f| f.values.as_ref())
            .and_then(|vs| vs.get(s))
            .map_or_else(|| s.clone(), |l| l.get(lang.tag()).to_owned()),
        (_, Value::Bool(b)) => t(lang, if *b { "yes" } else { "no" }).to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A short label for a case in lists: its first non-personal text field, cut to 40 characters.
pub fn summary(def: &CaseTypeFile, case: &Case, unmasked: bool) -> String {
    let text = def
        .fields
        .iter()
        .filter(|(_, f)| f.ty == FieldType::Text && (unmasked || !is_personal(f)))
        .find_map(|(id, _)| case.fields.get(id).and_then(Value::as_str).filter(|s| !s.is_empty()));
    match text {
        Some(s) if s.chars().count() > 40 => format!("{}…", s.chars().take(40).collect::<String>()),
        Some(s) => s.to_owned(),
        None => short_id(&case.id),
    }
}

/// The first eight characters of an id, for people.
pub fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

struct FieldRow {
    label: String,
    value: String,
    masked: bool,
}

struct TaskRow {
    id: String,
    name: String,
    whose: String,
    holder: String,
    claimable: bool,
    mine: bool,
}

struct ActionForm {
    id: String,
    name: String,
    inputs: Vec<Input>,
    comment: bool,
    open: bool,
}

struct RecordRow {
    id: String,
    level: u8,
    rung: String,
    opened: String,
    due: String,
    state: String,
    answer: String,
    answered_by: String,
    overdue: bool,
    can_answer: bool,
    can_review: bool,
}

struct UpcomingRow {
    at: String,
    what: String,
    estimate: bool,
    provisional: bool,
}

struct HistoryRow {
    at: String,
    who: String,
    what: String,
    detail: String,
}

struct NotificationRow {
    channel: String,
    to: String,
    template: String,
    state: String,
    attempts: i64,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    id: String,
    short_id: String,
    case_type: String,
    state: String,
    sla: &'static str,
    sla_key: String,
    due: String,
    department: String,
    unit: String,
    tier: String,
    channel: String,
    opened: String,
    closed: String,
    outcome: String,
    visits: u32,
    repeats: u32,
    version: i64,
    open: bool,
    fields: Vec<FieldRow>,
    masked: bool,
    tasks: Vec<TaskRow>,
    actions: Vec<ActionForm>,
    can_extend: bool,
    can_escalate: bool,
    records: Vec<RecordRow>,
    upcoming: Vec<UpcomingRow>,
    history: Vec<HistoryRow>,
    notifications: Vec<NotificationRow>,
    notice: Option<String>,
    error: Option<String>,
}

/// What went wrong with a form, to show on the page.
#[derive(Debug, Default)]
pub struct Failed {
    /// The action whose form failed (kept open).
    pub action: Option<String>,
    /// The values sent.
    pub sent: Map<String, Value>,
    /// The field at fault.
    pub field: Option<String>,
    /// The message.
    pub message: String,
    /// The status to answer with.
    pub status: Option<StatusCode>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let notice = q.done.as_deref().map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    show(&s, &ctx, &id, false, notice, None).await
}

fn who(s: &AppState, id: &str, lang: Lang) -> String {
    if id == "system" {
        return t(lang, "case.system").to_owned();
    }
    s.engine
        .org()
        .user(id)
        .map_or_else(|| id.to_owned(), |u| u.name.clone())
}

/// Draws the case page for the acting user.
pub async fn show(
    s: &AppState,
    ctx: &Ctx,
    id: &str,
    reveal: bool,
    notice: Option<String>,
    failed: Option<Failed>,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let (case, history) = match crate::http::visible_case(s, &actor, id).await {
        Ok(x) => x,
        Err(e) => return super::api_error_page(&e),
    };
    let lang = ctx.lang;
    let loc = lang.tag();
    let org = s.engine.org();
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return super::error_page(StatusCode::CONFLICT, "the case's definition version is not deployed");
    };
    let d = &def.def;
    let unmasked = reveal || access::sees_personal_data(org, &actor);
    let now = s.engine.now();
    let failed = failed.unwrap_or_default();

    let mut fields = Vec::new();
    let mut masked = false;
    for (fid, f) in &d.fields {
        let Some(v) = case.fields.get(fid) else { continue };
        let is_masked = !unmasked && is_personal(f) && !v.is_null();
        masked |= is_masked;
        fields.push(FieldRow {
            label: f.label.get(loc).to_owned(),
            value: display(Some(f), v, lang, unmasked),
            masked: is_masked,
        });
    }

    let open = !case.is_closed();
    let tasks = case
        .tasks
        .iter()
        .filter(|t| t.is_active())
        .map(|tk| {
            let dept = super::department_name(s, &tk.department, loc);
            let role = org
                .file
                .roles
                .get(&tk.role)
                .map_or_else(|| tk.role.clone(), |x| x.name.get(loc).to_owned());
            let mine = tk.assignee.as_deref() == Some(actor.id.as_str());
            let claimable = tk.state == TaskState::Open
                && actor.department.as_deref() == Some(tk.department.as_str())
                && actor.roles.contains(&tk.role);
            TaskRow {
                id: tk.id.clone(),
                name: d
                    .tasks
                    .get(&tk.name)
                    .map_or_else(|| tk.name.clone(), |x| x.name.get(loc).to_owned()),
                whose: format!("{dept} · {role}"),
                holder: tk.assignee.as_deref().map(|a| who(s, a, lang)).unwrap_or_default(),
                claimable,
                mine,
            }
        })
        .collect();

    let mut actions = Vec::new();
    if open {
        for (aid, a) in &d.actions {
            let Some(allowed) = &a.allowed else { continue };
            if !a.from.as_slice().contains(&case.state) || !allowed.roles.iter().any(|r| actor.roles.contains(r)) {
                continue;
            }
            let this = failed.action.as_deref() == Some(aid.as_str());
            let inputs = a
                .requires
                .iter()
                .filter_map(|fid| d.fields.get(fid).map(|f| (fid, f)))
                .map(|(fid, f)| {
                    let sent = if this {
                        failed.sent.get(fid)
                    } else {
                        case.fields.get(fid)
                    };
                    let value = sent
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default();
                    let error = (this && failed.field.as_deref() == Some(fid.as_str())).then(|| failed.message.clone());
                    input(fid, f, lang, true, value, error)
                })
                .collect();
            actions.push(ActionForm {
                id: aid.clone(),
                name: a.name.get(loc).to_owned(),
                inputs,
                comment: a.comment_required,
                open: this,
            });
        }
    }
    let level = org.supervision_level(&actor.roles);
    let can_extend = open
        && d.sla
            .as_ref()
            .and_then(|x| x.extensions.as_ref())
            .is_some_and(|e| e.approvers.iter().any(|r| actor.roles.contains(r)));
    let can_escalate = open && level > 0 && def.ladder.is_some();

    let records = case
        .supervision
        .iter()
        .map(|r| {
            let active = matches!(r.state, SupervisionState::Awaiting | SupervisionState::Returned);
            RecordRow {
                id: r.id.clone(),
                level: r.level,
                rung: def
                    .ladder
                    .as_ref()
                    .and_then(|l| l.rungs.get(&r.rung))
                    .map_or_else(|| r.rung.clone(), |x| x.name.get(loc).to_owned()),
                opened: super::local(s, r.opened_at),
                due: super::local(s, r.answer_due),
                state: t(lang, &format!("record.{}", record_state(r.state))).to_owned(),
                answer: r.answer.clone().unwrap_or_default(),
                answered_by: r.answered_by.as_deref().map(|a| who(s, a, lang)).unwrap_or_default(),
                overdue: active && now > r.answer_due,
                can_answer: open && active && actor.department.as_deref() == Some(case.department.as_str()),
                can_review: open && r.state == SupervisionState::Answered && level >= r.level,
            }
        })
        .collect();

    let (status, upcoming) = if open {
        timeline(&def, &case, now)
    } else {
        (case.sla.as_ref().map(|c| c.status(None, now)), Vec::new())
    };
    let sla = match (&case.sla, status) {
        (Some(_), Some(st)) => st.as_str(),
        _ => "none",
    };
    let (_, due) = super::inbox::sla_of(s, &case);
    let upcoming = upcoming
        .into_iter()
        .map(|u| UpcomingRow {
            at: super::local(s, u.at),
            what: match u.kind {
                "sla_warning" => format!("{} {}", t(lang, "up.sla_warning"), u.name),
                "sla_due" => format!("{} ({})", t(lang, "up.sla_due"), u.name),
                "rung" => format!(
                    "{} {}",
                    t(lang, "up.rung"),
                    def.ladder
                        .as_ref()
                        .and_then(|l| l.rungs.get(&u.name))
                        .map_or_else(|| u.name.clone(), |x| x.name.get(loc).to_owned())
                ),
                _ => format!("{} {}", t(lang, "up.timer"), u.name),
            },
            estimate: u.estimate,
            provisional: u.provisional,
        })
        .collect();

    let history = history
        .iter()
        .map(|e| describe(s, d, def.ladder.as_ref(), e, lang, unmasked))
        .collect();
    let notifications = match s.engine.store().case_deliveries(&case.id).await {
        Ok(n) => n,
        Err(e) => return super::store_down(lang, e),
    };
    let notifications = notifications
        .into_iter()
        .map(|n| NotificationRow {
            channel: n.channel,
            to: format!(
                "{} {}",
                who(s, &n.recipient, lang),
                if unmasked {
                    n.address
                } else {
                    access::mask_address(&n.address)
                }
            ),
            template: n.template,
            state: t(lang, &format!("delivery.{}", n.state)).to_owned(),
            attempts: n.attempts,
        })
        .collect();

    let name_of_unit = |u: Option<&str>| {
        u.and_then(|u| org.file.units.get(u))
            .map(|x| x.name.get(loc).to_owned())
            .unwrap_or_default()
    };
    let title = d.name.get(loc).to_owned();
    let c = chrome(s, ctx, "", title.clone());
    let status_code = failed.status.unwrap_or(StatusCode::OK);
    render(
        status_code,
        &CasePage {
            c,
            id: case.id.clone(),
            short_id: short_id(&case.id),
            case_type: title,
            state: d
                .states
                .get(&case.state)
                .map_or_else(|| case.state.clone(), |x| x.name.get(loc).to_owned()),
            sla,
            sla_key: format!("sla.{sla}"),
            due,
            department: super::department_name(s, &case.department, loc),
            unit: name_of_unit(case.unit.as_deref()),
            tier: t(lang, &format!("tier.{}", case.tier.as_str())).to_owned(),
            channel: org
                .file
                .channels
                .get(&case.channel)
                .map_or_else(|| case.channel.clone(), |x| x.name.get(loc).to_owned()),
            opened: super::local(s, case.opened_at),
            closed: case.closed_at.map(|x| super::local(s, x)).unwrap_or_default(),
            outcome: match &case.status {
                CaseStatus::Closed(o) => serde_json::to_value(o)
                    .ok()
                    .and_then(|v| v.as_str().map(|x| t(lang, &format!("outcome.{x}")).to_owned()))
                    .unwrap_or_default(),
                CaseStatus::Open => String::new(),
            },
            visits: case.visits,
            repeats: case.repeats,
            version: case.version,
            open,
            fields,
            masked,
            tasks,
            actions,
            can_extend,
            can_escalate,
            records,
            upcoming,
            history,
            notifications,
            notice,
            error: (!failed.message.is_empty() && failed.field.is_none()).then(|| failed.message.clone()),
        },
    )
}

fn record_state(s: SupervisionState) -> &'static str {
    match s {
        SupervisionState::Awaiting => "awaiting",
        SupervisionState::Answered => "answered",
        SupervisionState::Accepted => "accepted",
        SupervisionState::Returned => "returned",
        SupervisionState::Closed => "closed",
    }
}

fn describe(
    s: &AppState,
    d: &CaseTypeFile,
    ladder: Option<&yimen_engine::model::LadderFile>,
    e: &StoredEvent,
    lang: Lang,
    unmasked: bool,
) -> HistoryRow {
    let rung_name = |r: &str| {
        ladder
            .and_then(|l| l.rungs.get(r))
            .map_or_else(|| r.to_owned(), |x| x.name.get(lang.tag()).to_owned())
    };
    let loc = lang.tag();
    let state_name = |st: &str| {
        d.states
            .get(st)
            .map_or_else(|| st.to_owned(), |x| x.name.get(loc).to_owned())
    };
    let task_name = |task: &str| {
        // Task ids are `<case>:t<n>`; the history names the task by id.
        task.rsplit_once(":t")
            .map_or_else(|| task.to_owned(), |(_, n)| format!("#{n}"))
    };
    let fields_text = |m: &Map<String, Value>| {
        m.iter()
            .map(|(k, v)| {
                let f = d.fields.get(k);
                let label = f.map_or_else(|| k.clone(), |f| f.label.get(loc).to_owned());
                format!("{label}：{}", display(f, v, lang, unmasked))
            })
            .collect::<Vec<_>>()
            .join("；")
    };
    let org = s.engine.org();
    let (what, detail) = match &e.event.kind {
        EventKind::Opened { channel, .. } => (
            format!(
                "{}（{}）",
                t(lang, "ev.opened"),
                org.file
                    .channels
                    .get(channel)
                    .map_or_else(|| channel.clone(), |c| c.name.get(loc).to_owned())
            ),
            String::new(),
        ),
        EventKind::ActionTaken {
            action,
            from,
            to,
            fields,
            comment,
        } => {
            let name = d
                .actions
                .get(action)
                .map_or_else(|| action.clone(), |a| a.name.get(loc).to_owned());
            let mut detail = fields_text(fields);
            if let Some(c) = comment {
                if !detail.is_empty() {
                    detail.push('；');
                }
                detail.push_str(c);
            }
            (format!("{name}：{} → {}", state_name(from), state_name(to)), detail)
        }
        EventKind::TaskClaimed { task } => (format!("{} {}", t(lang, "ev.claimed"), task_name(task)), String::new()),
        EventKind::TaskReleased { task } => (format!("{} {}", t(lang, "ev.released"), task_name(task)), String::new()),
        EventKind::TaskReassigned {
            task,
            to_user,
            to_department,
        } => (
            format!("{} {}", t(lang, "ev.reassigned"), task_name(task)),
            [to_user.as_deref(), to_department.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        EventKind::Commented { text } => (t(lang, "ev.commented").to_owned(), text.clone()),
        EventKind::VisitRecorded { .. } => (t(lang, "ev.visit").to_owned(), String::new()),
        EventKind::Repeated { repeats, .. } => (format!("{} ({repeats})", t(lang, "ev.repeated")), String::new()),
        EventKind::TaskAssigned { task, to_user } => (
            format!(
                "{} {} → {}",
                t(lang, "ev.assigned"),
                task_name(task),
                who(s, to_user, lang)
            ),
            String::new(),
        ),
        EventKind::TimerFired { timer } => (format!("{} {timer}", t(lang, "ev.timer")), String::new()),
        EventKind::DepartmentChanged { department } => (
            format!(
                "{} {}",
                t(lang, "ev.department"),
                org.file
                    .departments
                    .get(department)
                    .map_or_else(|| department.clone(), |x| x.name.get(loc).to_owned())
            ),
            String::new(),
        ),
        EventKind::TierRaised { tier } => (
            format!("{} {}", t(lang, "ev.tier"), t(lang, &format!("tier.{tier}"))),
            String::new(),
        ),
        EventKind::SupervisionRequested { rung } => (
            format!("{} {}", t(lang, "ev.supervision_requested"), rung_name(rung)),
            String::new(),
        ),
        EventKind::SlaStarted { budget } => (format!("{} {budget}", t(lang, "ev.sla_started")), String::new()),
        EventKind::SlaPaused => (t(lang, "ev.sla_paused").to_owned(), String::new()),
        EventKind::SlaResumed => (t(lang, "ev.sla_resumed").to_owned(), String::new()),
        EventKind::SlaExtended { by } => (format!("{} {by}", t(lang, "ev.sla_extended")), String::new()),
        EventKind::SlaRecomputed { due } => (
            t(lang, "ev.sla_recomputed").to_owned(),
            due.map(|x| super::local(s, x)).unwrap_or_default(),
        ),
        EventKind::SlaStopped { met } => (
            t(lang, if *met { "ev.sla_met" } else { "ev.sla_missed" }).to_owned(),
            String::new(),
        ),
        EventKind::SlaWarning { .. } => (t(lang, "ev.sla_warning").to_owned(), String::new()),
        EventKind::SlaBreached => (t(lang, "ev.sla_breached").to_owned(), String::new()),
        EventKind::RungFired { rung, level, .. } => (
            format!("{} {level}：{}", t(lang, "ev.rung"), rung_name(rung)),
            String::new(),
        ),
        EventKind::RecipientsMissing { template, roles } => (
            format!("{} {template}", t(lang, "ev.recipients_missing")),
            roles.join(", "),
        ),
        EventKind::SupervisionAnswered { text, .. } => (t(lang, "ev.answered").to_owned(), text.clone()),
        EventKind::SupervisionReviewed { accepted, comment, .. } => (
            t(lang, if *accepted { "ev.accepted" } else { "ev.returned" }).to_owned(),
            comment.clone().unwrap_or_default(),
        ),
        EventKind::Closed { outcome } => (
            format!("{}（{}）", t(lang, "ev.closed"), t(lang, &format!("outcome.{outcome}"))),
            String::new(),
        ),
    };
    HistoryRow {
        at: super::local(s, e.event.at),
        who: who(s, &e.event.actor, lang),
        what,
        detail,
    }
}

/// The failure of a command as the page shows it: a field's problem next to the field, the
/// rest at the top, each in the page's language where the code is known.
pub fn failure(lang: Lang, action: Option<String>, sent: Map<String, Value>, e: EngineError) -> Failed {
    let field = match &e {
        EngineError::Rejected(Rejection::MissingField(f) | Rejection::InvalidField { field: f, .. }) => Some(f.clone()),
        _ => None,
    };
    let api = ApiError::from(e);
    let known = super::i18n::problem(lang, api.code());
    let message = if known.is_empty() || field.is_some() {
        api.detail().to_owned()
    } else {
        format!("{known}（{}）", api.detail())
    };
    Failed {
        action,
        sent,
        field,
        message,
        status: Some(api.status()),
    }
}

async fn run(
    s: &AppState,
    ctx: &Ctx,
    id: &str,
    cmd: Command,
    done: &str,
    action: Option<String>,
    sent: Map<String, Value>,
) -> Response {
    let actor = match ctx.actor() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    if let Err(e) = crate::http::cases_check_visible(s, &actor, id).await {
        return super::api_error_page(&e);
    }
    match s.engine.command(id, cmd, actor, None).await {
        Ok(_) => see_other(&format!("/cases/{id}?done={done}")),
        Err(EngineError::NotFound(_)) => super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case")),
        Err(e) => {
            let f = failure(ctx.lang, action, sent, e);
            show(s, ctx, id, false, None, Some(f)).await
        }
    }
}

pub async fn act(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let Some(action) = super::form_value(&form, "action") else {
        return super::error_page(StatusCode::BAD_REQUEST, t(ctx.lang, "error.no_action"));
    };
    let case = match s.engine.case(&id).await {
        Ok(Some(c)) => c,
        Ok(None) => return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case")),
        Err(e) => return super::api_error_page(&ApiError::from(e)),
    };
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return super::error_page(StatusCode::CONFLICT, "the case's definition version is not deployed");
    };
    let fields = form_fields(&def.def, &form);
    let cmd = Command::Act {
        action: action.clone(),
        fields: fields.clone(),
        comment: super::form_value(&form, "comment"),
        expected_version: super::form_value(&form, "expected_version").and_then(|v| v.parse().ok()),
    };
    run(&s, &ctx, &id, cmd, "acted", Some(action), fields).await
}

pub async fn comment(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let text = super::form_value(&form, "text").unwrap_or_default();
    run(&s, &ctx, &id, Command::Comment { text }, "commented", None, Map::new()).await
}

pub async fn visit(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(&s, &ctx, &id, Command::RecordVisit, "visit", None, Map::new()).await
}

pub async fn extend(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let comment = super::form_value(&form, "comment");
    run(&s, &ctx, &id, Command::Extend { comment }, "extended", None, Map::new()).await
}

pub async fn escalate(State(s): State<Arc<AppState>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(
        &s,
        &ctx,
        &id,
        Command::Escalate { rung: None },
        "escalated",
        None,
        Map::new(),
    )
    .await
}

fn record_case(record: &str) -> Option<String> {
    record
        .rsplit_once(":s")
        .map(|(c, _)| c.to_owned())
        .filter(|c| !c.is_empty())
}

pub async fn answer(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(record): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let Some(id) = record_case(&record) else {
        return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case"));
    };
    let text = super::form_value(&form, "text").unwrap_or_default();
    let cmd = Command::AnswerSupervision { record, text };
    run(&s, &ctx, &id, cmd, "answered", None, Map::new()).await
}

pub async fn review(
    State(s): State<Arc<AppState>>,
    ctx: Ctx,
    Path(record): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let Some(id) = record_case(&record) else {
        return super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "error.no_case"));
    };
    let accept = super::form_value(&form, "accept").as_deref() == Some("true");
    let cmd = Command::ReviewSupervision {
        record,
        accept,
        comment: super::form_value(&form, "comment"),
    };
    run(
        &s,
        &ctx,
        &id,
        cmd,
        if accept { "accepted" } else { "returned" },
        None,
        Map::new(),
    )
    .await
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
    if let Err(e) = crate::http::visible(&s, &actor, &id).await {
        return super::api_error_page(&e);
    }
    let now = s.engine.now().timestamp_millis();
    if let Err(e) = s
        .engine
        .store()
        .audit(now, &actor.id, "personal_data_revealed", &id, &reason)
        .await
    {
        return super::api_error_page(&ApiError::from(EngineError::from(e)));
    }
    show(&s, &ctx, &id, true, Some(t(ctx.lang, "done.revealed").to_owned()), None).await
}
