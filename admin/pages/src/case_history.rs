//! The case history as people read it: each stored event described in the page's language.

use serde_json::{Map, Value};
use yimen_engine::core::{EventKind, SupervisionState};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::store::cases::StoredEvent;

use super::fields::display;
use super::i18n::{Lang, t};
use yimen_http::AppState;

/// One line of the history.
pub struct HistoryRow {
    pub at: String,
    pub who: String,
    pub what: String,
    pub detail: String,
}

/// A user's name, or the id when the organisation does not know it.
pub fn who(s: &AppState, id: &str, lang: Lang) -> String {
    if id == "system" {
        return t(lang, "case.system").to_owned();
    }
    s.engine
        .org()
        .user(id)
        .map_or_else(|| id.to_owned(), |u| u.name.clone())
}

pub fn record_state(s: SupervisionState) -> &'static str {
    match s {
        SupervisionState::Awaiting => "awaiting",
        SupervisionState::Answered => "answered",
        SupervisionState::Accepted => "accepted",
        SupervisionState::Returned => "returned",
        SupervisionState::Closed => "closed",
    }
}

/// Describes one stored event.
pub fn describe(
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
            let mut detail = fields_text(s, d, fields, lang, unmasked);
            if let Some(c) = comment {
                if !detail.is_empty() {
                    detail.push('；');
                }
                detail.push_str(c);
            }
            (format!("{name}：{} → {}", state_name(from), state_name(to)), detail)
        }
        EventKind::TaskClaimed { task } => (format!("{} {}", t(lang, "ev.claimed"), task_name(task)), String::new()),
        k @ (EventKind::TaskReleased { .. } | EventKind::TaskReassigned { .. } | EventKind::TaskUnstaffed { .. }) => {
            hand_off(s, k, lang, &task_name)
        }
        EventKind::Commented { text } => (t(lang, "ev.commented").to_owned(), text.clone()),
        k @ (EventKind::Attached { .. } | EventKind::AttachmentDownloaded { .. }) => file_event(d, k, lang),
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
        EventKind::TimerFired { timer } => (timer_said(d, timer, lang), String::new()),
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
        EventKind::Closed { outcome } => (
            format!("{}（{}）", t(lang, "ev.closed"), t(lang, &format!("outcome.{outcome}"))),
            String::new(),
        ),
        other @ (EventKind::TierRaised { .. }
        | EventKind::SupervisionRequested { .. }
        | EventKind::SlaStarted { .. }
        | EventKind::SlaPaused
        | EventKind::SlaResumed
        | EventKind::SlaExtended { .. }
        | EventKind::SlaRecomputed { .. }
        | EventKind::SlaStopped { .. }
        | EventKind::SlaWarning { .. }
        | EventKind::SlaBreached
        | EventKind::RungFired { .. }
        | EventKind::RecipientsMissing { .. }
        | EventKind::SupervisionAnswered { .. }
        | EventKind::SupervisionReviewed { .. }) => clock_event(s, other, lang, &rung_name),
    };
    HistoryRow {
        at: super::local(s, e.event.at),
        who: who(s, &e.event.actor, lang),
        what,
        detail,
    }
}

/// An action's fields as `label：value` pairs, masked unless the reader may see them.
fn fields_text(s: &AppState, d: &CaseTypeFile, m: &Map<String, Value>, lang: Lang, unmasked: bool) -> String {
    m.iter()
        .map(|(k, v)| {
            let f = d.fields.get(k);
            let label = f.map_or_else(|| k.clone(), |f| f.label.get(lang.tag()).to_owned());
            let colon = if lang == Lang::Zh { "：" } else { ": " };
            format!("{label}{colon}{}", display(f, v, lang, unmasked, s.centre_tz()))
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "；" } else { "; " })
}

/// The history's words for files added and downloaded: (what, detail).
fn file_event(d: &CaseTypeFile, kind: &EventKind, lang: Lang) -> (String, String) {
    match kind {
        EventKind::Attached { field, attachments } => (
            format!(
                "{}：{}",
                t(lang, "ev.attached"),
                d.fields
                    .get(field)
                    .map_or_else(|| field.clone(), |f| f.label.get(lang.tag()).to_owned())
            ),
            t(lang, "files.count").replace("{n}", &attachments.len().to_string()),
        ),
        _ => (t(lang, "ev.downloaded").to_owned(), String::new()),
    }
}

/// The history's words for what the SLA clock and the supervision ladder did: (what, detail).
fn clock_event(s: &AppState, kind: &EventKind, lang: Lang, rung_name: &dyn Fn(&str) -> String) -> (String, String) {
    match kind {
        EventKind::TierRaised { tier } => (
            format!("{} {}", t(lang, "ev.tier"), t(lang, &format!("tier.{tier}"))),
            String::new(),
        ),
        EventKind::SupervisionRequested { rung } => (
            format!("{} {}", t(lang, "ev.supervision_requested"), rung_name(rung)),
            String::new(),
        ),
        EventKind::SlaStarted { budget } => (
            format!(
                "{} {}",
                t(lang, "ev.sla_started"),
                super::receipt::budget_words(budget, lang)
            ),
            String::new(),
        ),
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
        EventKind::RungFired {
            rung, level, comment, ..
        } => (
            format!("{} {level}：{}", t(lang, "ev.rung"), rung_name(rung)),
            comment.clone().unwrap_or_default(),
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
        // `describe` hands over only the kinds above.
        _ => (String::new(), String::new()),
    }
}

/// A task changing hands, or reaching nobody, as the history says it: names of people,
/// departments and units, and the reason given.
fn hand_off(s: &AppState, kind: &EventKind, lang: Lang, task_name: &dyn Fn(&str) -> String) -> (String, String) {
    let org = s.engine.org();
    let loc = lang.tag();
    let department = |d: &str| {
        org.file
            .departments
            .get(d)
            .map_or_else(|| d.to_owned(), |x| x.name.get(loc).to_owned())
    };
    let unit = |u: &str| {
        org.file
            .units
            .get(u)
            .map_or_else(|| u.to_owned(), |x| x.name.get(loc).to_owned())
    };
    match kind {
        EventKind::TaskReleased { task, comment } => (
            format!("{} {}", t(lang, "ev.released"), task_name(task)),
            comment.clone().unwrap_or_default(),
        ),
        EventKind::TaskReassigned {
            task,
            to_user,
            to_department,
            to_unit,
            comment,
        } => {
            let to: Vec<String> = [
                to_department.as_deref().map(department),
                to_unit.as_deref().map(unit),
                to_user.as_deref().map(|u| who(s, u, lang)),
            ]
            .into_iter()
            .flatten()
            .collect();
            (
                format!("{} {} → {}", t(lang, "ev.reassigned"), task_name(task), to.join(" ")),
                comment.clone().unwrap_or_default(),
            )
        }
        EventKind::TaskUnstaffed {
            task,
            department: d,
            role,
            unit: u,
            notified,
        } => {
            let role = org
                .file
                .roles
                .get(role)
                .map_or_else(|| role.clone(), |r| r.name.get(loc).to_owned());
            let at = u.as_deref().map(unit).unwrap_or_default();
            let told: Vec<String> = notified.iter().map(|n| who(s, n, lang)).collect();
            let detail = if told.is_empty() {
                t(lang, "ev.unstaffed_nobody_told").to_owned()
            } else {
                format!("{}{}", t(lang, "ev.unstaffed_told"), told.join(t(lang, "list.sep")))
            };
            (
                format!(
                    "{} {}：{}{}{}",
                    t(lang, "ev.unstaffed"),
                    task_name(task),
                    department(d),
                    at,
                    role
                ),
                detail,
            )
        }
        _ => (String::new(), String::new()),
    }
}

/// A timer that fired, said by what it does and after how long (timers have ids, not names).
fn timer_said(d: &CaseTypeFile, timer: &str, lang: Lang) -> String {
    let loc = lang.tag();
    let Some(tm) = d.timers.get(timer) else {
        return t(lang, "ev.timer.other").to_owned();
    };
    let after = super::receipt::budget_words(&tm.after, lang);
    match tm.action.as_ref().and_then(|a| d.actions.get(a)) {
        Some(a) => t(lang, "ev.timer.acted")
            .replace("{after}", &after)
            .replace("{action}", a.name.get(loc)),
        None => t(lang, "ev.timer.reminded").replace("{after}", &after),
    }
}

/// A timer still to fire, said by what it will do (timers have ids, not names).
pub fn timer_ahead(d: &CaseTypeFile, timer: &str, lang: Lang) -> String {
    let loc = lang.tag();
    let action = d
        .timers
        .get(timer)
        .and_then(|tm| tm.action.as_ref())
        .and_then(|a| d.actions.get(a));
    match (d.timers.get(timer), action) {
        (Some(_), Some(a)) => t(lang, "up.timer.acts").replace("{action}", a.name.get(loc)),
        (Some(_), None) => t(lang, "up.timer.reminds").to_owned(),
        (None, _) => t(lang, "up.timer").to_owned(),
    }
}
