//! The case page: its fields (personal data masked unless the role sees it or the user reveals
//! it, which is audited), state, SLA clock and what will fire when, its tasks and the actions the
//! definition allows this user (forms generated from the fields they require), supervision
//! records with their answers and reviews, the history, and the notifications sent.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use yimen_engine::core::preview::timeline;
use yimen_engine::core::{CaseStatus, SupervisionState};
use yimen_engine::model::case_type::Names;
use yimen_engine::render::is_personal;

use super::case_history::{HistoryRow, describe, record_state, who};
use super::fields::{Input, InputKind, case_label, display, input};
use super::i18n::t;
use super::{Chrome, Ctx, chrome, render};
use yimen_http::AppState;
use yimen_service::access;

/// What went wrong with a form, to show on the page.
#[derive(Debug, Default)]
pub struct Failed {
    /// The action whose form failed (kept open).
    pub action: Option<String>,
    /// The values sent.
    pub sent: serde_json::Map<String, serde_json::Value>,
    /// The field at fault.
    pub field: Option<String>,
    /// The message.
    pub message: String,
    /// The status to answer with.
    pub status: Option<StatusCode>,
    /// The person a dispatching form named.
    pub assign_to: String,
    /// Every field at fault, as the engine said (each shown beside its field in the page's words).
    pub problems: Vec<yimen_engine::core::FieldProblem>,
}

impl Failed {
    /// The problem of field `id` in the reader's words, when it has one.
    pub fn of_field(&self, lang: super::Lang, id: &str, label: &str) -> Option<String> {
        if let Some(p) = self.problems.iter().find(|p| p.field == id) {
            return Some(super::fields::said(lang, label, p));
        }
        (self.field.as_deref() == Some(id)).then(|| self.message.clone())
    }
}

struct FieldRow {
    label: String,
    value: String,
    masked: bool,
}

struct EscalateRow {
    rung: String,
    name: String,
    level: String,
    notifies: String,
}

struct TaskRow {
    id: String,
    name: String,
    whose: String,
    holder: String,
    claimable: bool,
    mine: bool,
    /// Nobody may claim it: it waits for a head or a dispatching clerk to give it to someone.
    unstaffed: bool,
    /// Whom the reader may give it to (empty: they may not).
    candidates: Vec<(String, String)>,
    /// The reader may send it back to the pool (a head, for someone else's task).
    returnable: bool,
}

struct ActionForm {
    id: String,
    name: String,
    inputs: Vec<Input>,
    comment: bool,
    open: bool,
    /// Whom a dispatching action may name as the handler, by department name.
    assignees: Vec<(String, Vec<(String, String)>)>,
    /// The person named when the form failed, and the problem with them.
    assign_sent: String,
    assign_error: Option<String>,
    /// Why it cannot be taken now (its guard is false on the case): offered disabled.
    unavailable: Option<String>,
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
    number: String,
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
    /// The reader sees personal data: the citizen's other cases are a link away.
    citizen_history: bool,
    tasks: Vec<TaskRow>,
    actions: Vec<ActionForm>,
    can_extend: bool,
    /// The rungs the reader may open by hand, with who will be told.
    escalations: Vec<EscalateRow>,
    records: Vec<RecordRow>,
    upcoming: Vec<UpcomingRow>,
    history: Vec<HistoryRow>,
    notifications: Vec<NotificationRow>,
    files: Vec<super::case_files::FilePanel>,
    notice: Option<String>,
    error: Option<String>,
}

impl Failed {
    /// The field and message of a failed upload to the case's files.
    fn attach_error(&self) -> Option<(&str, &str)> {
        match (self.action.as_deref(), self.field.as_deref()) {
            (Some("attach"), Some(f)) => Some((f, self.message.as_str())),
            _ => None,
        }
    }
}

/// What the case page's parts are drawn from: the case, its definition and the reader.
struct View<'a> {
    s: &'a AppState,
    def: &'a yimen_engine::core::CompiledCaseType,
    case: &'a yimen_engine::core::Case,
    actor: &'a yimen_engine::core::Actor,
    lang: super::Lang,
    open: bool,
}

impl View<'_> {
    /// The case's fields as the reader may see them, and whether any is masked.
    fn fields(&self, unmasked: bool) -> (Vec<FieldRow>, bool) {
        let (d, case, lang) = (&self.def.def, self.case, self.lang);
        let loc = lang.tag();
        let mut fields = Vec::new();
        let mut masked = false;
        for (fid, f) in &d.fields {
            let Some(v) = case.fields.get(fid) else { continue };
            let is_masked = !unmasked && is_personal(f) && v.is_string();
            masked |= is_masked;
            // An id is said by its name (the field naming the case's department holds an id).
            let own = (d.department_from.as_deref() == Some(fid)).then_some(Names::Department);
            let names = f.names.or(own);
            let value = match (v.as_str(), names) {
                (Some(id), Some(n)) => super::fields::named(self.s, n, id, loc),
                _ => display(Some(f), v, lang, unmasked, self.s.centre_tz()),
            };
            fields.push(FieldRow {
                label: f.label.get(loc).to_owned(),
                value,
                masked: is_masked,
            });
        }
        (fields, masked)
    }

    /// The rungs the reader may open by hand, each with its level and who will be told.
    fn escalations(&self) -> Vec<EscalateRow> {
        let View {
            s, case, actor, lang, ..
        } = *self;
        let def = self.def;
        yimen_service::team::escalations(s.engine.org(), def, case, actor)
            .into_iter()
            .map(|e| EscalateRow {
                name: def
                    .ladder
                    .as_ref()
                    .and_then(|l| l.rungs.get(&e.rung))
                    .map_or_else(|| e.rung.clone(), |r| r.name.get(lang.tag()).to_owned()),
                level: t(lang, &format!("board.level{}", e.level)).to_owned(),
                notifies: if e.notifies.is_empty() {
                    t(lang, "escalate.nobody").to_owned()
                } else {
                    e.notifies.join(t(lang, "list.sep"))
                },
                rung: e.rung,
            })
            .collect()
    }

    /// The live tasks, with who holds them and whether the reader may claim them.
    fn tasks(&self) -> Vec<TaskRow> {
        let View {
            s, case, actor, lang, ..
        } = *self;
        let (d, loc, org) = (&self.def.def, lang.tag(), s.engine.org());
        case.tasks
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
                let claimable = yimen_service::team::may_claim(actor, tk);
                let candidates = if yimen_service::team::may_give(org, actor, tk) {
                    yimen_service::team::candidates(org, tk)
                } else {
                    Vec::new()
                };
                TaskRow {
                    id: tk.id.to_string(),
                    name: d
                        .tasks
                        .get(&tk.name)
                        .map_or_else(|| tk.name.clone(), |x| x.name.get(loc).to_owned()),
                    whose: format!("{dept} · {role}"),
                    holder: tk.assignee.as_deref().map(|a| who(s, a, lang)).unwrap_or_default(),
                    claimable,
                    mine,
                    unstaffed: tk.unstaffed,
                    candidates,
                    returnable: !mine && yimen_service::team::may_return(org, actor, tk),
                }
            })
            .collect()
    }

    /// The forms of the actions the reader may take now (the one whose form failed kept open
    /// with what was sent and the error beside its field).
    fn actions(&self, failed: &Failed) -> Vec<ActionForm> {
        let View {
            case,
            actor,
            lang,
            open,
            ..
        } = *self;
        let (d, loc) = (&self.def.def, lang.tag());
        let mut actions = Vec::new();
        if open {
            for (aid, a) in &d.actions {
                let Some(allowed) = &a.allowed else { continue };
                if !a.from.as_slice().contains(&case.state) || !allowed.roles.iter().any(|r| actor.roles.contains(r)) {
                    continue;
                }
                // An action whose guard is false on the case as it stands is offered disabled
                // with the author's reason (or hidden, where the author says so).
                let unavailable = match yimen_engine::core::command::guard_now(self.def, aid, case) {
                    Some(false) if a.guard_hides => continue,
                    Some(false) => Some(a.guard_reason.as_ref().map_or_else(
                        || super::i18n::t(lang, "action.unavailable").to_owned(),
                        |r| r.get(loc).to_owned(),
                    )),
                    _ => None,
                };
                let this = failed.action.as_deref() == Some(aid.as_str());
                // A choice the guard reads offers only the values it allows.
                let allowed_values = yimen_engine::core::command::guard_choices(self.def, aid, case);
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
                        let error = this.then(|| failed.of_field(lang, fid, f.label.get(loc))).flatten();
                        // Files the case already holds meet the requirement.
                        let held = yimen_engine::core::command::references(case, fid).next().is_some();
                        let mut i = input(fid, f, lang, !held, value, error);
                        if let Some((_, values)) = allowed_values.as_ref().filter(|(field, _)| field == fid) {
                            i.options.retain(|(v, _)| values.contains(v));
                        }
                        i
                    })
                    .collect();
                let org = self.s.engine.org();
                let assignees = yimen_service::team::dispatch_candidates(org, d, a, actor)
                    .into_iter()
                    .map(|(dep, people)| (super::department_name(self.s, &dep, loc), people))
                    .collect();
                let assign_failed = this && failed.field.as_deref() == Some("assign_to");
                actions.push(ActionForm {
                    id: aid.clone(),
                    name: a.name.get(loc).to_owned(),
                    inputs,
                    comment: a.comment_required,
                    open: this,
                    assignees,
                    assign_sent: if this { failed.assign_to.clone() } else { String::new() },
                    assign_error: assign_failed.then(|| failed.message.clone()),
                    unavailable,
                });
            }
        }
        actions
    }

    /// The SLA clock's status and due instant, and what will fire when (nothing once closed).
    fn clock(&self, now: chrono::DateTime<chrono::Utc>) -> (&'static str, String, Vec<UpcomingRow>) {
        let View {
            s,
            def,
            case,
            lang,
            open,
            ..
        } = *self;
        let loc = lang.tag();
        // What will fire when (nothing once closed); the status and what to say beside it as
        // every list says them (a closed case: on time or late, and by how much).
        let upcoming = if open { timeline(def, case, now).1 } else { Vec::new() };
        let (sla, due) = super::inbox::sla_of(s, case, lang);
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
                    _ => super::case_history::timer_ahead(&def.def, &u.name, lang),
                },
                estimate: u.estimate,
                provisional: u.provisional,
            })
            .collect();
        (sla, due, upcoming)
    }

    /// The case's notifications, addresses masked unless the reader may see them.
    async fn notifications(&self, unmasked: bool) -> Result<Vec<NotificationRow>, yimen_engine::store::StoreError> {
        let View { s, case, lang, .. } = *self;
        let notifications = s.engine.store().case_deliveries(&case.id).await?;
        Ok(notifications
            .into_iter()
            .map(|n| NotificationRow {
                channel: super::notices::channel(lang, &n.channel),
                to: format!(
                    "{} {}",
                    super::notices::recipient(s, &n.recipient, lang),
                    if unmasked {
                        n.address
                    } else {
                        access::mask_address(&n.address)
                    }
                ),
                template: super::notices::template(s, &n.template, lang),
                state: t(lang, &format!("delivery.{}", n.state)).to_owned(),
                attempts: n.attempts,
            })
            .collect())
    }

    /// The supervision records, with what the reader may do with each.
    fn records(&self, level: u8, now: chrono::DateTime<chrono::Utc>) -> Vec<RecordRow> {
        let View {
            s,
            def,
            case,
            actor,
            lang,
            open,
        } = *self;
        let loc = lang.tag();
        case.supervision
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
            .collect()
    }
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
    let (case, history) = match yimen_service::cases::visible_case(s, &actor, id).await {
        Ok(x) => x,
        Err(e) => return super::refusal_page(e),
    };
    let lang = ctx.lang;
    let loc = lang.tag();
    let org = s.engine.org();
    let Some(def) = s.engine.definitions().get(&case.case_type, case.definition_version) else {
        return super::error_page(StatusCode::CONFLICT, t(lang, "error.no_definition"));
    };
    let d = &def.def;
    let unmasked = reveal || access::sees_personal_data(org, &actor);
    let now = s.engine.now();
    let failed = failed.unwrap_or_default();

    let v = View {
        s,
        def: &def,
        case: &case,
        actor: &actor,
        lang,
        open: !case.is_closed(),
    };
    let (fields, masked) = v.fields(unmasked);

    let open = v.open;
    let tasks = v.tasks();

    let actions = v.actions(&failed);
    let level = org.supervision_level(&actor.roles);
    let can_extend = open
        && d.sla
            .as_ref()
            .and_then(|x| x.extensions.as_ref())
            .is_some_and(|e| e.approvers.iter().any(|r| actor.roles.contains(r)));
    let escalations = v.escalations();

    let records = v.records(level, now);

    let (sla, due, upcoming) = v.clock(now);

    let events = history;
    let mut history: Vec<HistoryRow> = events
        .iter()
        .map(|e| describe(s, d, def.ladder.as_ref(), e, lang, unmasked))
        .collect();
    let notifications = match v.notifications(unmasked).await {
        Ok(n) => n,
        Err(e) => return super::store_down(lang, e),
    };
    let (files, names) = match super::case_files::panels(s, d, &case, &actor, lang, failed.attach_error()).await {
        Ok(f) => f,
        Err(e) => return super::store_down(lang, e),
    };
    // A download names its file where the reader may see it.
    for (row, e) in history.iter_mut().zip(&events) {
        if let yimen_engine::core::EventKind::AttachmentDownloaded { attachment } = &e.event.kind
            && let Some(name) = names.get(attachment)
        {
            row.detail.clone_from(name);
        }
    }

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
            id: case.id.to_string(),
            number: case_label(&case),
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
            citizen_history: access::sees_personal_data(org, &actor) && d.citizen.is_some(),
            tasks,
            actions,
            can_extend,
            escalations,
            records,
            upcoming,
            history,
            notifications,
            files,
            notice,
            error: (!failed.message.is_empty() && failed.field.is_none()).then(|| failed.message.clone()),
        },
    )
}
