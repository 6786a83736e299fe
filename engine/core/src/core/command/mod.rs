//! Commands and the decision function. One command per file; shared moves in [`transition`].

mod act;
mod answer;
mod attach;
pub use act::{guard_choices, guard_now};
pub use attach::{references, with_files};
mod claim;
mod comment;
mod escalate;
mod extend;
mod fire_timer;
mod open;
pub use open::repeat_key;
mod reassign;
mod recompute;
mod release;
mod repeat;
mod review;
mod supervise;
mod transition;
mod visit;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::case::Case;
use super::definition::{CompiledCaseType, Organisation};
use super::effect::Effect;
use super::event::Event;
use super::ids::{CaseId, TaskId, UserId};
use super::reject::Rejection;
use crate::model::Tier;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user id, or `system`.
    pub id: UserId,
    /// Roles held.
    pub roles: Vec<String>,
    /// Department, if any.
    pub department: Option<String>,
    /// Unit worked in.
    pub unit: Option<String>,
    /// Tier of that unit.
    pub tier: Option<Tier>,
    /// The colleagues this actor stands in for while they are away (休假代办): their held
    /// tasks are the actor's to act on, release or hand on. Filled by the shell from the
    /// absences running at the time of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stands_in_for: Vec<UserId>,
}

impl Actor {
    /// Whether `assignee` is this actor, or someone the actor stands in for.
    pub fn holds(&self, assignee: Option<&str>) -> bool {
        assignee.is_some_and(|a| a == self.id.as_str() || self.stands_in_for.iter().any(|u| u.as_str() == a))
    }

    /// Whether this actor may claim a task for `role` in `department` and `unit` (`None`: the
    /// whole department): the one rule the inbox, claiming, handing over and the pages share.
    pub fn may_claim(&self, department: &str, role: &str, unit: Option<&str>) -> bool {
        self.department.as_deref() == Some(department)
            && self.roles.iter().any(|r| r == role)
            && unit.is_none_or(|u| self.unit.as_deref() == Some(u))
    }

    /// The engine itself (timers).
    pub fn system() -> Self {
        Self {
            id: "system".into(),
            roles: Vec::new(),
            department: None,
            unit: None,
            tier: None,
            stands_in_for: Vec::new(),
        }
    }

    /// Whether this is the engine itself.
    pub fn is_system(&self) -> bool {
        self.id == "system" && self.roles.is_empty()
    }

    /// The actor for a user of the organisation.
    pub fn for_user(org: &Organisation, id: &str) -> Option<Self> {
        let u = org.user(id)?;
        Some(Self {
            id: id.into(),
            roles: u.roles.clone(),
            department: u.department.clone(),
            unit: Some(u.unit.clone()),
            tier: org.unit_tier(&u.unit),
            stands_in_for: Vec::new(),
        })
    }
}

/// A command on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Open a new case with this id.
    Open {
        /// The new case's id (chosen by the shell).
        case_id: CaseId,
        /// The intake channel.
        channel: String,
        /// The fields given at intake.
        fields: Map<String, Value>,
        /// The unit where the matter arose (the district when omitted).
        unit: Option<String>,
        /// The case's number, taken from the store's sequence by the shell in the transaction
        /// that opens it (none where nothing numbers cases, as in a scenario's dry run).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        number: Option<String>,
    },
    /// Take a declared action.
    Act {
        /// The action.
        action: String,
        /// Fields set by the action.
        fields: Map<String, Value>,
        /// A comment.
        comment: Option<String>,
        /// The version the caller last saw; a different current version is refused.
        expected_version: Option<i64>,
        /// The person who takes the tasks the action opens (a dispatcher names the handler).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assign_to: Option<UserId>,
    },
    /// Claim a task from the inbox.
    Claim {
        /// The task.
        task: TaskId,
    },
    /// Put a claimed task back in the inbox.
    Release {
        /// The task.
        task: TaskId,
        /// Why (required when a department head returns someone else's task to the pool).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Give a task to another user or department.
    Reassign {
        /// The task.
        task: TaskId,
        /// The new assignee.
        to_user: Option<UserId>,
        /// The new department.
        to_department: Option<String>,
        /// Why (required: the history says why work changed hands).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Add a comment to the history.
    Comment {
        /// The text.
        text: String,
    },
    /// Record that the citizen came in person.
    RecordVisit,
    /// Link a repeated complaint to this open case.
    Repeat {
        /// The channel it came through.
        channel: String,
        /// The fields given with it.
        fields: Map<String, Value>,
    },
    /// Grant an SLA extension (by an approver role), with the reason.
    Extend {
        /// The reason.
        comment: Option<String>,
    },
    /// Open a supervision rung by hand (a supervisor's decision); the next unfired rung when omitted.
    Escalate {
        /// The rung.
        rung: Option<String>,
        /// Why (required: the supervisor says what is wrong).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The handling department answers a supervision record.
    AnswerSupervision {
        /// The record.
        record: String,
        /// The answer.
        text: String,
    },
    /// A supervisor accepts an answer or sends it back.
    ReviewSupervision {
        /// The record.
        record: String,
        /// Accept (true) or send back (false).
        accept: bool,
        /// The supervisor's comment (required to send back).
        comment: Option<String>,
    },
    /// Add uploaded files to an attachment field of an open case.
    Attach {
        /// The field.
        field: String,
        /// The files' references (already uploaded for this case type and field).
        attachments: Vec<String>,
    },
    /// Record that the actor downloaded one of the case's files. The history grows; the case
    /// and its version do not change, so a form someone has open stays current.
    RecordDownload {
        /// The file's reference.
        attachment: String,
    },
    /// Re-derive the SLA clock's instants (after a calendar correction or a new year's data).
    Recompute,
    /// A durable timer expired.
    FireTimer {
        /// The timer row's key.
        key: String,
    },
}

/// What every command is decided against: the case type's compiled definition, the
/// organisation (with its workload counts, read only), who is acting, and when.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The case type's definition (the version the case runs on).
    pub def: &'a CompiledCaseType,
    /// The organisation.
    pub org: &'a Organisation,
    /// Who is acting.
    pub actor: &'a Actor,
    /// The instant of the decision.
    pub now: DateTime<Utc>,
}

/// What a command decided: the new case, the events to append and the effects to carry out.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The case after the command.
    pub case: Case,
    /// New history entries.
    pub events: Vec<Event>,
    /// Effects for the shell.
    pub effects: Vec<Effect>,
}

/// Decides a command. Pure: the same inputs always give the same output. The organisation's
/// workload counts are only read; the tasks this decision assigned or closed come back as
/// [`Effect::WorkloadChanged`].
pub fn decide(cx: &Context<'_>, case: Option<&Case>, cmd: &Command) -> Result<Decision, Rejection> {
    let mut d = decide_inner(cx, case, cmd)?;
    let active = |c: Option<&Case>| -> Vec<UserId> {
        c.map(|c| {
            c.tasks
                .iter()
                .filter(|t| t.is_active())
                .filter_map(|t| t.assignee.clone())
                .collect()
        })
        .unwrap_or_default()
    };
    let mut net: std::collections::BTreeMap<UserId, i64> = std::collections::BTreeMap::new();
    for u in active(case) {
        *net.entry(u).or_default() -= 1;
    }
    for u in active(Some(&d.case)) {
        *net.entry(u).or_default() += 1;
    }
    let changes = net
        .into_iter()
        .filter(|(_, delta)| *delta != 0)
        .map(|(user, delta)| Effect::WorkloadChanged { user, delta });
    d.effects.extend(changes);
    Ok(d)
}

fn decide_inner(cx: &Context<'_>, case: Option<&Case>, cmd: &Command) -> Result<Decision, Rejection> {
    match (cmd, case) {
        (
            Command::Open {
                case_id,
                channel,
                fields,
                unit,
                number,
            },
            None,
        ) => open::open(cx, case_id, channel, fields, unit.as_deref(), number.as_deref()),
        (Command::Open { .. }, Some(_)) => Err(Rejection::BadText("the case already exists".into())),
        (_, None) => Err(Rejection::BadText("the case does not exist".into())),
        (
            Command::Act {
                action,
                fields,
                comment,
                expected_version,
                assign_to,
            },
            Some(c),
        ) => act::act(
            cx,
            c,
            act::Taken {
                action,
                fields,
                comment: comment.as_deref(),
                expected_version: *expected_version,
                assign_to: assign_to.as_deref(),
            },
        ),
        (Command::Claim { task }, Some(c)) => claim::claim(cx, c, task),
        (Command::Release { task, reason }, Some(c)) => release::release(cx, c, task, reason.as_deref()),
        (
            Command::Reassign {
                task,
                to_user,
                to_department,
                reason,
            },
            Some(c),
        ) => reassign::reassign(
            cx,
            c,
            task,
            reassign::To {
                user: to_user.as_deref(),
                department: to_department.as_deref(),
            },
            reason.as_deref(),
        ),
        (Command::Comment { text }, Some(c)) => comment::comment(cx, c, text),
        (Command::Attach { field, attachments }, Some(c)) => attach::attach(cx, c, field, attachments),
        (Command::RecordDownload { attachment }, Some(c)) => attach::record_download(cx, c, attachment),
        (Command::RecordVisit, Some(c)) => visit::record_visit(cx, c),
        (Command::Repeat { channel, fields }, Some(c)) => repeat::repeat(cx, c, channel, fields),
        (Command::FireTimer { key }, Some(c)) => fire_timer::fire_timer(cx, c, key),
        (Command::Recompute, Some(c)) => recompute::recompute(cx, c),
        (Command::Extend { comment }, Some(c)) => extend::extend(cx, c, comment.as_deref()),
        (Command::Escalate { rung, reason }, Some(c)) => escalate::escalate(cx, c, rung.as_deref(), reason.as_deref()),
        (Command::AnswerSupervision { record, text }, Some(c)) => answer::answer(cx, c, record, text),
        (
            Command::ReviewSupervision {
                record,
                accept,
                comment,
            },
            Some(c),
        ) => review::review(cx, c, record, *accept, comment.as_deref()),
    }
}

/// A decision that only appends `event` and bumps the version.
fn note(case: &Case, actor: &Actor, now: DateTime<Utc>, kind: super::event::EventKind) -> Decision {
    let mut case = case.clone();
    case.version += 1;
    case.updated_at = now;
    Decision {
        case,
        events: vec![Event {
            actor: actor.id.clone(),
            at: now,
            kind,
        }],
        effects: Vec::new(),
    }
}

#[cfg(test)]
mod staffing_tests;
#[cfg(test)]
mod tests;
