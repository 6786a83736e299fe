//! The rows a batch writes, one type per table, each knowing its columns in the order its
//! statement names them.

use crate::core::case::{Case, CaseStatus, TaskInstance};
use crate::store::cases::{LoadedCase, ms, task_state};

/// One column value.
#[derive(Debug, Clone)]
pub(super) enum Val {
    /// Text.
    Text(String),
    /// Optional text.
    OptText(Option<String>),
    /// Integer.
    Int(i64),
    /// Optional integer.
    OptInt(Option<i64>),
}

/// A row of one of the batch's tables: its columns, in the order its statement names them.
pub(super) trait Row {
    /// The number of columns.
    const WIDTH: usize;
    /// The column values.
    fn values(&self) -> Vec<Val>;
}

/// A new case.
#[derive(Debug)]
pub struct NewCase<'a> {
    /// The case as the batch left it, with its history's head.
    pub loaded: &'a LoadedCase,
    /// The case serialised.
    pub data: String,
    /// Who opened it.
    pub opened_by: String,
}

/// What lists filter on that changes with a case: its tier, whether its SLA clock breached,
/// the highest supervision level it reached, how often it was brought again, and who and which
/// places its tasks reached (see [`task_holders`], [`task_places`]).
fn list_columns(c: &Case) -> [Val; 6] {
    let level = c.supervision.iter().map(|r| i64::from(r.level)).max().unwrap_or(0);
    [
        Val::Text(c.tier.as_str().to_owned()),
        Val::Int(i64::from(c.sla.as_ref().is_some_and(|s| s.breached))),
        Val::Int(level),
        Val::Int(i64::from(c.repeats)),
        Val::Text(task_holders(c)),
        Val::Text(task_places(c)),
    ]
}

/// Everyone who holds or held one of the case's tasks, as `,a,b,` (sorted; empty for none), so
/// a list's scope is a check of the row it walks rather than a look-up in the tasks table.
pub fn task_holders(c: &Case) -> String {
    let set: std::collections::BTreeSet<&str> = c.tasks.iter().filter_map(|t| t.assignee.as_deref()).collect();
    joined(set)
}

/// Each department and unit the case's tasks are or were for, as `,dept@unit,dept@,` (an empty
/// unit: the task is for the whole department).
pub fn task_places(c: &Case) -> String {
    let set: std::collections::BTreeSet<String> = c
        .tasks
        .iter()
        .map(|t| format!("{}@{}", t.department, t.unit.as_deref().unwrap_or_default()))
        .collect();
    joined(set.iter().map(String::as_str).collect())
}

fn joined(set: std::collections::BTreeSet<&str>) -> String {
    if set.is_empty() {
        return String::new();
    }
    let mut out = String::from(",");
    for s in set {
        out.push_str(s);
        out.push(',');
    }
    out
}

fn status_name(c: &Case) -> &'static str {
    match c.status {
        CaseStatus::Open => "open",
        CaseStatus::Closed(_) => "closed",
    }
}

impl Row for NewCase<'_> {
    const WIDTH: usize = 24;
    fn values(&self) -> Vec<Val> {
        let l = self.loaded;
        let c = &l.case;
        vec![
            Val::Text(c.id.to_string()),
            Val::Text(c.case_type.clone()),
            Val::Int(c.definition_version),
            Val::Text(c.state.clone()),
            Val::Text(status_name(c).into()),
            Val::Int(c.version),
            Val::Text(c.department.clone()),
            Val::OptText(c.unit.clone()),
            Val::Text(self.data.clone()),
            Val::Int(l.event_seq),
            Val::Text(l.last_hash.clone()),
            Val::Int(ms(c.opened_at)),
            Val::Int(ms(c.updated_at)),
            Val::OptInt(c.closed_at.map(ms)),
            Val::OptText(c.number.clone()),
            Val::Text(c.channel.clone()),
            Val::Text(self.opened_by.clone()),
            // Its words are written in the same batch.
            Val::Int(1),
        ]
        .into_iter()
        .chain(list_columns(c))
        .collect()
    }
}

/// A changed case, written only if it is still at the version it was loaded at.
#[derive(Debug)]
pub struct ChangedCase<'a> {
    /// The case as the batch left it.
    pub loaded: &'a LoadedCase,
    /// The case serialised.
    pub data: String,
    /// The version it was loaded at (the compare-and-set's expectation).
    pub loaded_version: i64,
    /// The length of its history when loaded: also compared, since a record that changes
    /// nothing (a download) grows the history without a new version.
    pub loaded_seq: i64,
}

impl Row for ChangedCase<'_> {
    const WIDTH: usize = 19;
    fn values(&self) -> Vec<Val> {
        let l = self.loaded;
        let c = &l.case;
        vec![
            Val::Text(c.id.to_string()),
            Val::Text(c.state.clone()),
            Val::Text(status_name(c).into()),
            Val::Int(c.version),
            Val::Text(c.department.clone()),
            Val::OptText(c.unit.clone()),
            Val::Text(self.data.clone()),
            Val::Int(l.event_seq),
            Val::Text(l.last_hash.clone()),
            Val::Int(ms(c.updated_at)),
            Val::OptInt(c.closed_at.map(ms)),
            Val::Int(self.loaded_version),
        ]
        .into_iter()
        .chain(list_columns(c))
        .chain([Val::Int(self.loaded_seq)])
        .collect()
    }
}

/// A case's words for search ([`crate::store::search::case_words`]).
#[derive(Debug)]
pub struct SearchRow {
    /// The case.
    pub case_id: String,
    /// Its words, space-separated.
    pub terms: String,
    /// Whether the case had words before (they are replaced).
    pub replaces: bool,
}

impl Row for SearchRow {
    const WIDTH: usize = 2;
    fn values(&self) -> Vec<Val> {
        vec![Val::Text(self.case_id.clone()), Val::Text(self.terms.clone())]
    }
}

/// One entry of a case's hash-chained history.
#[derive(Debug)]
pub struct EventRow {
    /// The case.
    pub case_id: String,
    /// Its place in the case's history (from 1).
    pub seq: i64,
    /// The event's kind.
    pub kind: &'static str,
    /// Who acted.
    pub actor: String,
    /// When, in UTC milliseconds.
    pub at: i64,
    /// The event as JSON.
    pub payload: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Row for EventRow {
    const WIDTH: usize = 8;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.case_id.clone()),
            Val::Int(self.seq),
            Val::Text(self.kind.into()),
            Val::Text(self.actor.clone()),
            Val::Int(self.at),
            Val::Text(self.payload.clone()),
            Val::Text(self.prev_hash.clone()),
            Val::Text(self.hash.clone()),
        ]
    }
}

/// A task as it now stands (inserted, or updated when it exists).
#[derive(Debug)]
pub struct TaskRow<'a> {
    /// The case it belongs to.
    pub case_id: &'a str,
    /// The task.
    pub task: &'a TaskInstance,
}

impl Row for TaskRow<'_> {
    const WIDTH: usize = 11;
    fn values(&self) -> Vec<Val> {
        let t = self.task;
        vec![
            Val::Text(t.id.to_string()),
            Val::Text(self.case_id.to_owned()),
            Val::Text(t.name.clone()),
            Val::Text(task_state(t.state).into()),
            Val::Text(t.department.clone()),
            Val::Text(t.role.clone()),
            Val::OptText(t.unit.clone()),
            Val::OptText(t.assignee.as_ref().map(ToString::to_string)),
            Val::Int(ms(t.created_at)),
            Val::OptInt(t.closed_at.map(ms)),
            Val::Int(i64::from(t.unstaffed)),
        ]
    }
}

/// A timer started in the batch (already cancelled when the batch also cancelled it).
#[derive(Debug)]
pub struct TimerRow {
    /// Its key.
    pub key: String,
    /// The case.
    pub case_id: String,
    /// Its name in the case.
    pub name: String,
    /// When it is due, in UTC milliseconds.
    pub due_at: i64,
    /// `pending` or `cancelled`.
    pub state: &'static str,
}

impl Row for TimerRow {
    const WIDTH: usize = 5;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.key.clone()),
            Val::Text(self.case_id.clone()),
            Val::Text(self.name.clone()),
            Val::Int(self.due_at),
            Val::Text(self.state.into()),
        ]
    }
}

/// A notification queued in the outbox.
#[derive(Debug)]
pub struct OutboxRow {
    /// Its idempotency key (a retry is the same message).
    pub key: String,
    /// The case.
    pub case_id: String,
    /// The template.
    pub template: String,
    /// The recipients as JSON.
    pub recipients: String,
    /// The channels as JSON.
    pub channels: String,
    /// When it was queued (and is first due), in UTC milliseconds.
    pub at: i64,
}

impl Row for OutboxRow {
    const WIDTH: usize = 8;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.key.clone()),
            Val::Text(self.case_id.clone()),
            Val::Text(self.template.clone()),
            Val::Text(self.recipients.clone()),
            Val::Text(self.channels.clone()),
            Val::Text("pending".into()),
            Val::Int(self.at),
            Val::Int(self.at),
        ]
    }
}

/// A ladder rung fired (unique per case, clock and rung).
#[derive(Debug)]
pub struct RungRow {
    /// The case.
    pub case_id: String,
    /// The rung.
    pub rung: String,
    /// When, in UTC milliseconds.
    pub at: i64,
}

impl Row for RungRow {
    const WIDTH: usize = 4;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.case_id.clone()),
            Val::Text("sla".into()),
            Val::Text(self.rung.clone()),
            Val::Int(self.at),
        ]
    }
}

/// The key a new case recognises repeated complaints by.
#[derive(Debug)]
pub struct RepeatKeyRow {
    /// The key.
    pub key: String,
    /// The case.
    pub case_id: String,
    /// When the case was opened, in UTC milliseconds.
    pub opened_at: i64,
}

impl Row for RepeatKeyRow {
    const WIDTH: usize = 3;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.key.clone()),
            Val::Text(self.case_id.clone()),
            Val::Int(self.opened_at),
        ]
    }
}

/// A request's idempotency key with the answer it got.
#[derive(Debug)]
pub struct IdempotencyRow {
    /// The key.
    pub key: String,
    /// The request's hash (a different request under the same key is refused).
    pub request_hash: String,
    /// The case.
    pub case_id: String,
    /// The answer, as JSON.
    pub response: String,
    /// When, in UTC milliseconds.
    pub at: i64,
}

impl Row for IdempotencyRow {
    const WIDTH: usize = 5;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.key.clone()),
            Val::Text(self.request_hash.clone()),
            Val::Text(self.case_id.clone()),
            Val::Text(self.response.clone()),
            Val::Int(self.at),
        ]
    }
}

/// Everything a batch writes.
#[derive(Debug, Default)]
pub struct BatchWrites<'a> {
    /// New cases.
    pub new_cases: Vec<NewCase<'a>>,
    /// Changed cases.
    pub changed_cases: Vec<ChangedCase<'a>>,
    /// Events.
    pub events: Vec<EventRow>,
    /// Tasks (upserted).
    pub tasks: Vec<TaskRow<'a>>,
    /// New timers (possibly already cancelled within the batch).
    pub timers: Vec<TimerRow>,
    /// Keys of timers started before this batch and cancelled in it.
    pub cancelled_timers: Vec<String>,
    /// Outbox rows.
    pub outbox: Vec<OutboxRow>,
    /// Idempotency rows.
    pub idempotency: Vec<IdempotencyRow>,
    /// Rung firings.
    pub rungs: Vec<RungRow>,
    /// Keys of new cases that recognise a repeated complaint.
    pub repeat_keys: Vec<RepeatKeyRow>,
    /// New cases' data keys.
    pub case_keys: Vec<CaseKeyRow>,
    /// Blind indexes of the people of the cases.
    pub persons: Vec<PersonRow>,
    /// The words of new cases and of cases whose words changed.
    pub search: Vec<SearchRow>,
    /// The case-number sequences the batch took numbers from, with their next values.
    pub sequences: Vec<(super::Sequence, i64)>,
}

/// A new case's data key, wrapped.
#[derive(Debug)]
pub struct CaseKeyRow {
    /// The case.
    pub case_id: String,
    /// The data key wrapped by the master key.
    pub wrapped: String,
    /// The master key's fingerprint.
    pub master: String,
    /// The digest of the case's chain.
    pub chain: &'static str,
    /// When, in UTC milliseconds.
    pub at: i64,
}

impl Row for CaseKeyRow {
    const WIDTH: usize = 5;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.case_id.clone()),
            Val::Text(self.wrapped.clone()),
            Val::Text(self.master.clone()),
            Val::Text(self.chain.into()),
            Val::Int(self.at),
        ]
    }
}

/// A blind index of a person of a case (a keyed digest of a normalised phone or ID number, or
/// of a name as written).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersonRow {
    /// `phone`, `id_number` or `person`.
    pub kind: &'static str,
    /// The blind index.
    pub value: String,
    /// The case.
    pub case_id: String,
}

impl Row for PersonRow {
    const WIDTH: usize = 3;
    fn values(&self) -> Vec<Val> {
        vec![
            Val::Text(self.kind.into()),
            Val::Text(self.value.clone()),
            Val::Text(self.case_id.clone()),
        ]
    }
}
