//! Work between people: who may give a task to whom, the queue of tasks that reach nobody, and a
//! department's work by person as its heads see it. The rules mirror the core's commands
//! (`yimen_core::core::command` reassign and release), so a page offers only what will be taken.

use serde::Serialize;
use yimen_engine::core::Actor;
use yimen_engine::core::case::{TaskInstance, TaskState};
use yimen_engine::core::definition::Organisation;
use yimen_engine::store::InboxItem;
use yimen_engine::store::team::{Holder, Load};

use crate::error::{Error, Kind};

/// Whose unstaffed tasks a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queue {
    /// Every department's (the dispatching clerks, admins).
    All,
    /// One department's (its heads).
    Department(String),
}

impl Queue {
    /// The department filter, `None` for all.
    pub fn department(&self) -> Option<&str> {
        match self {
            Queue::All => None,
            Queue::Department(d) => Some(d),
        }
    }
}

/// The unstaffed queue `actor` answers for, if any.
pub fn queue_of(org: &Organisation, actor: &Actor) -> Option<Queue> {
    if org.dispatches(&actor.roles) || org.is_admin(&actor.roles) {
        return Some(Queue::All);
    }
    match actor.department.as_deref() {
        Some(d) if org.heads_department(&actor.roles) => Some(Queue::Department(d.to_owned())),
        _ => None,
    }
}

/// Whether `actor` may claim `task` now (the core's rule).
pub fn may_claim(actor: &Actor, task: &TaskInstance) -> bool {
    task.state == TaskState::Open && actor.may_claim(&task.department, &task.role, task.unit.as_deref())
}

/// Whether `actor` may give `task` to someone in its department (the core's rule).
pub fn may_give(org: &Organisation, actor: &Actor, task: &TaskInstance) -> bool {
    if !task.is_active() {
        return false;
    }
    let routes_anything = org.is_admin(&actor.roles) || org.dispatches(&actor.roles);
    let heads = org.heads(&actor.roles, actor.department.as_deref(), &task.department);
    let holder = task.assignee.as_deref() == Some(actor.id.as_str());
    let colleague = task.assignee.is_none() && may_claim(actor, task);
    routes_anything || heads || holder || colleague
}

/// Whether `actor` may send `task` back to its pool (its holder, the department's heads,
/// admins).
pub fn may_return(org: &Organisation, actor: &Actor, task: &TaskInstance) -> bool {
    task.state == TaskState::Claimed
        && (task.assignee.as_deref() == Some(actor.id.as_str())
            || org.is_admin(&actor.roles)
            || org.heads(&actor.roles, actor.department.as_deref(), &task.department))
}

/// The people `task` may be given to in its department, `(id, name)`, its holder left out.
pub fn candidates(org: &Organisation, task: &TaskInstance) -> Vec<(String, String)> {
    org.file
        .users
        .iter()
        .filter(|(id, _)| task.assignee.as_deref() != Some(id.as_str()))
        .filter(|(id, _)| org.may_take(id, &task.department, task).is_some())
        .map(|(id, u)| (id.clone(), u.name.clone()))
        .collect()
}

/// One person's share of a department's work.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    /// Their id (`None`: the tasks nobody holds).
    pub user: Option<String>,
    /// Their name (empty for the unheld tasks).
    pub name: String,
    /// Open tasks.
    pub open: i64,
    /// Of those, overdue.
    pub overdue: i64,
}

/// A department's work as its heads see it.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// The department.
    pub department: String,
    /// Every member of the department with their load (members without tasks too), then the
    /// tasks nobody holds.
    pub people: Vec<Person>,
    /// Tasks that reach nobody.
    pub unstaffed: i64,
    /// The tasks listed (by the holder and overdue filter asked for), oldest first.
    pub tasks: Vec<InboxItem>,
}

/// Which tasks of the department to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// `nobody`, a member's id, or empty for all.
    pub holder: String,
    /// Only overdue ones.
    pub overdue: bool,
    /// How many (1–500).
    pub limit: i64,
}

/// The department `actor` may look after: `asked`, or their own. Heads see their own only;
/// dispatching clerks and admins any.
pub fn department_for(org: &Organisation, actor: &Actor, asked: Option<&str>) -> Result<String, Error> {
    let asked = asked.filter(|d| !d.is_empty());
    let own = actor.department.as_deref();
    let any = org.dispatches(&actor.roles) || org.is_admin(&actor.roles);
    // An admin of no department, asking for none, starts at the organisation's first one.
    let first = org.file.departments.keys().next().map(String::as_str).filter(|_| any);
    let department = asked.or(own).or(first).unwrap_or_default();
    if !org.file.departments.contains_key(department) {
        return Err(Error::new(
            Kind::NotFound,
            "department_not_found",
            format!("there is no department `{department}`"),
        ));
    }
    if any || org.heads(&actor.roles, own, department) {
        Ok(department.to_owned())
    } else {
        Err(Error::new(
            Kind::Forbidden,
            "not_department_head",
            "only the department's heads, the dispatching clerks and admins see a department's work",
        ))
    }
}

/// The work of `department` (checked with [`department_for`] first).
pub async fn team(engine: &yimen_engine::runtime::Engine, department: &str, f: &Filter) -> Result<Team, Error> {
    let org = engine.org();
    let store = engine.store();
    let loads = store.department_load(department).await?;
    let load_of = |u: Option<&str>| {
        loads
            .iter()
            .find(|l| l.assignee.as_deref() == u)
            .cloned()
            .unwrap_or(Load {
                assignee: u.map(str::to_owned),
                open: 0,
                overdue: 0,
            })
    };
    let mut people: Vec<Person> = org
        .file
        .users
        .iter()
        .filter(|(_, u)| u.department.as_deref() == Some(department))
        .map(|(id, u)| {
            let l = load_of(Some(id));
            Person {
                user: Some(id.clone()),
                name: u.name.clone(),
                open: l.open,
                overdue: l.overdue,
            }
        })
        .collect();
    // Holders from elsewhere (an admin, someone since moved) still count where their tasks are.
    for l in loads.iter().filter(|l| l.assignee.is_some()) {
        if !people.iter().any(|p| p.user == l.assignee) {
            let id = l.assignee.clone().unwrap_or_default();
            people.push(Person {
                name: org.user(&id).map_or_else(|| id.clone(), |u| u.name.clone()),
                user: Some(id),
                open: l.open,
                overdue: l.overdue,
            });
        }
    }
    let nobody = load_of(None);
    people.push(Person {
        user: None,
        name: String::new(),
        open: nobody.open,
        overdue: nobody.overdue,
    });
    let holder = match f.holder.as_str() {
        "" => Holder::Anyone,
        "nobody" => Holder::Nobody,
        p => Holder::Person(p),
    };
    let tasks = store.department_tasks(department, holder, f.overdue, f.limit).await?;
    let unstaffed = store.unstaffed_count(Some(department)).await?;
    Ok(Team {
        department: department.to_owned(),
        people,
        unstaffed,
        tasks,
    })
}

/// The most tasks one bulk request names.
pub const BULK_MAX: usize = 100;

/// One command on many tasks.
#[derive(Debug, Clone, Default)]
pub struct Bulk {
    /// `claim`, `reassign` (to `to_user`, with a `reason`) or `release`.
    pub op: String,
    /// The tasks.
    pub tasks: Vec<String>,
    /// For `reassign`: the person.
    pub to_user: Option<String>,
    /// Why (for `reassign`, and for `release` of someone else's task).
    pub reason: Option<String>,
}

/// Runs `b` task by task, each taken or refused on its own: the outcome of each, in order.
pub async fn bulk(
    s: &crate::state::AppState,
    actor: &Actor,
    b: &Bulk,
) -> Result<Vec<(String, Result<(), Error>)>, Error> {
    if !matches!(b.op.as_str(), "claim" | "reassign" | "release") {
        return Err(Error::new(
            Kind::Invalid,
            "invalid_field",
            "`op` is `claim`, `reassign` or `release`",
        ));
    }
    if b.tasks.is_empty() || b.tasks.len() > BULK_MAX {
        return Err(Error::new(
            Kind::Invalid,
            "no_tasks_chosen",
            format!("choose from 1 to {BULK_MAX} tasks"),
        ));
    }
    let mut out = Vec::with_capacity(b.tasks.len());
    for task in &b.tasks {
        out.push((task.clone(), one(s, actor, b, task).await));
    }
    Ok(out)
}

async fn one(s: &crate::state::AppState, actor: &Actor, b: &Bulk, task: &str) -> Result<(), Error> {
    let Some((case, _)) = task.rsplit_once(":t").filter(|(c, _)| !c.is_empty()) else {
        return Err(Error::new(
            Kind::NotFound,
            "unknown_task",
            format!("there is no task `{task}`"),
        ));
    };
    let case = crate::cases::check_visible(s, actor, case).await?;
    let cmd = match b.op.as_str() {
        "claim" => yimen_engine::core::Command::Claim { task: task.into() },
        "release" => yimen_engine::core::Command::Release {
            task: task.into(),
            reason: b.reason.clone(),
        },
        _ => yimen_engine::core::Command::Reassign {
            task: task.into(),
            to_user: b.to_user.clone().map(Into::into),
            to_department: None,
            reason: b.reason.clone(),
        },
    };
    s.engine
        .command(&case, cmd, actor.clone(), None)
        .await
        .map_err(Error::from)?;
    Ok(())
}

/// A supervision record (督办单) waiting for the handling department's answer, as its inbox
/// lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DueRecord {
    /// The case.
    pub case_id: String,
    /// Its number.
    pub number: Option<String>,
    /// The case type.
    pub case_type: String,
    /// The record.
    pub record: String,
    /// Its rung.
    pub rung: String,
    /// Its level (1 centre, 2 supervision office, 3 discipline commission).
    pub level: u8,
    /// `awaiting` or `returned` (the answer was sent back).
    pub state: String,
    /// When the answer is due (UTC ms).
    pub answer_due: i64,
    /// The answer is late.
    pub overdue: bool,
}

/// The most cases read for a department's open supervision records.
const SUPERVISED_MAX: i64 = 500;

/// The supervision records waiting for an answer from `actor`'s department, soonest due first:
/// awaiting, or returned for a better answer (accepted, answered and closed ones are not).
pub async fn supervision_due(engine: &yimen_engine::runtime::Engine, actor: &Actor) -> Result<Vec<DueRecord>, Error> {
    let Some(department) = actor.department.clone() else {
        return Ok(Vec::new());
    };
    let scope = yimen_engine::store::search::Scope {
        all: true,
        ..Default::default()
    };
    let q = yimen_engine::store::search::CaseQuery {
        department: Some(department),
        supervision_level: Some(1),
        status: Some("open".into()),
        oldest_first: true,
        limit: SUPERVISED_MAX,
        ..Default::default()
    };
    let page = engine.store().list_cases(&scope, &q).await?;
    let now = engine.now();
    let mut out: Vec<DueRecord> = page
        .cases
        .iter()
        .flat_map(|c| {
            c.supervision
                .iter()
                .filter(|r| {
                    matches!(
                        r.state,
                        yimen_engine::core::SupervisionState::Awaiting | yimen_engine::core::SupervisionState::Returned
                    )
                })
                .map(move |r| DueRecord {
                    case_id: c.id.to_string(),
                    number: c.number.clone(),
                    case_type: c.case_type.clone(),
                    record: r.id.clone(),
                    rung: r.rung.clone(),
                    level: r.level,
                    state: if r.state == yimen_engine::core::SupervisionState::Returned {
                        "returned".into()
                    } else {
                        "awaiting".into()
                    },
                    answer_due: r.answer_due.timestamp_millis(),
                    overdue: now > r.answer_due,
                })
        })
        .collect();
    out.sort_by(|a, b| (a.answer_due, &a.record).cmp(&(b.answer_due, &b.record)));
    Ok(out)
}

/// A rung a supervisor may open by hand, with the people its message will reach now.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// The rung.
    pub rung: String,
    /// Its level.
    pub level: u8,
    /// Who its message goes to, by name (the handling department's heads, the supervisors of
    /// its level, as the ladder says), in the organisation file's order.
    pub notifies: Vec<String>,
}

/// The rungs of `case`'s ladder `actor` may open now: not fired yet, at their level or below.
pub fn escalations(
    org: &Organisation,
    def: &yimen_engine::core::CompiledCaseType,
    case: &yimen_engine::core::Case,
    actor: &Actor,
) -> Vec<Escalation> {
    let level = org.supervision_level(&actor.roles);
    let Some(ladder) = def.ladder.as_ref().filter(|_| !case.is_closed() && level > 0) else {
        return Vec::new();
    };
    ladder
        .rungs
        .iter()
        .filter(|(id, r)| r.level <= level && !case.rungs.contains(id))
        .map(|(id, r)| {
            let mut notifies: Vec<String> = Vec::new();
            for to in &r.recipients {
                for (_, u) in org.recipients(to, case) {
                    if !notifies.contains(&u.name) {
                        notifies.push(u.name.clone());
                    }
                }
            }
            Escalation {
                rung: id.clone(),
                level: r.level,
                notifies,
            }
        })
        .collect()
}

/// The people an action that sends the case to a department (an `assign` effect) may name as
/// the taker of the tasks it opens, by department `(department id, [(id, name)])`, for a reader
/// who may name one: the admins and dispatching clerks (every department the action can send
/// to), a department's heads (their own). Empty for any other action or reader. The core checks
/// the unit when the action is taken.
pub fn dispatch_candidates(
    org: &Organisation,
    def: &yimen_engine::model::case_type::CaseTypeFile,
    action: &yimen_engine::model::case_type::Action,
    actor: &Actor,
) -> Vec<(String, Vec<(String, String)>)> {
    use yimen_engine::model::case_type::Effect;
    let mut departments: Vec<String> = Vec::new();
    for e in &action.effects {
        let Effect::Assign(a) = e else { continue };
        departments.extend(a.department.iter().cloned());
        let values = a
            .department_from
            .as_ref()
            .and_then(|f| def.fields.get(f))
            .and_then(|f| f.values.as_ref());
        departments.extend(values.into_iter().flat_map(|v| v.keys().cloned()));
    }
    let everywhere = org.is_admin(&actor.roles) || org.dispatches(&actor.roles);
    departments.retain(|d| everywhere || org.heads(&actor.roles, actor.department.as_deref(), d));
    let roles: Vec<&str> = def
        .tasks
        .values()
        .filter(|t| t.open_in.as_slice().contains(&action.to))
        .filter_map(|t| t.assign.role.as_deref())
        .collect();
    departments
        .into_iter()
        .filter_map(|d| {
            let people: Vec<(String, String)> = org
                .file
                .users
                .iter()
                .filter(|(_, u)| u.department.as_deref() == Some(d.as_str()))
                .filter(|(_, u)| u.roles.iter().any(|r| roles.contains(&r.as_str())))
                .map(|(id, u)| (id.clone(), u.name.clone()))
                .collect();
            (!people.is_empty()).then_some((d, people))
        })
        .collect()
}
