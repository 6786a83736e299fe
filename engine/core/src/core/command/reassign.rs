//! Giving a task to a named person or another department (assign, reassign, hand to a
//! colleague), always with a reason in the history.
//!
//! Who may: the task's holder (to a colleague of the department); anyone who may claim an
//! unheld task (likewise); the department's heads (any of its tasks, to anyone who
//! may take it); the dispatching clerks and admins (any task, to any department). The person must
//! hold the task's role in its department and work in its unit or one above it; the task moves
//! to their unit, so it stays where its holder works.

use super::Context;
use super::{Decision, note};
use crate::core::case::{Case, TaskState};
use crate::core::event::EventKind;
use crate::core::ids::UserId;
use crate::core::reject::Rejection;

/// Where the task goes.
pub(super) struct To<'a> {
    /// The person.
    pub user: Option<&'a str>,
    /// The department, when it changes.
    pub department: Option<&'a str>,
}

/// The longest reason kept.
pub(super) const REASON_MAX: usize = 500;

/// `reason`, trimmed, when given and not too long.
pub(super) fn reason_of(reason: Option<&str>, required: bool) -> Result<Option<String>, Rejection> {
    let r = reason.map(str::trim).filter(|r| !r.is_empty());
    match r {
        None if required => Err(Rejection::InvalidField {
            field: "reason".into(),
            problem: "say why the task changes hands".into(),
        }),
        Some(r) if r.chars().count() > REASON_MAX => Err(Rejection::InvalidField {
            field: "reason".into(),
            problem: format!("is longer than {REASON_MAX} characters"),
        }),
        r => Ok(r.map(str::to_owned)),
    }
}

pub(super) fn reassign(
    cx: &Context<'_>,
    case: &Case,
    task: &str,
    to: To<'_>,
    reason: Option<&str>,
) -> Result<Decision, Rejection> {
    let Context { org, actor, now, .. } = *cx;
    let t = case.task(task).ok_or_else(|| Rejection::UnknownTask(task.to_owned()))?;
    if !t.is_active() {
        return Err(Rejection::TaskState {
            task: task.to_owned(),
            problem: "is finished".into(),
        });
    }
    if to.user.is_none() && to.department.is_none() {
        return Err(Rejection::BadText("say whom to give the task to".into()));
    }
    let reason = reason_of(reason, true)?;
    let elsewhere = to.department.is_some_and(|d| d != t.department);
    let routes_anything = org.is_admin(&actor.roles) || org.dispatches(&actor.roles);
    let heads = org.heads(&actor.roles, actor.department.as_deref(), &t.department);
    let holder = actor.holds(t.assignee.as_deref());
    // Someone who may claim the unheld task may hand it to a colleague instead.
    let colleague = t.assignee.is_none() && actor.may_claim(&t.department, &t.role, t.unit.as_deref());
    let may = routes_anything || (!elsewhere && (heads || holder || colleague));
    if !may {
        return Err(Rejection::NotAllowed {
            what: if elsewhere {
                "give this task to another department".into()
            } else {
                "give this task to someone else".into()
            },
        });
    }
    let department = to.department.unwrap_or(&t.department).to_owned();
    if !org.file.departments.contains_key(&department) {
        return Err(Rejection::InvalidField {
            field: "to_department".into(),
            problem: format!("`{department}` is not a department"),
        });
    }
    let mut unit = t.unit.clone();
    if let Some(u) = to.user {
        let Some(user) = org.may_take(u, &department, t) else {
            return Err(Rejection::InvalidField {
                field: "to_user".into(),
                problem: format!(
                    "`{u}` does not hold role `{}` in `{department}` where the task is (its unit or above)",
                    t.role
                ),
            });
        };
        if t.unit.is_some() {
            unit = Some(user.unit.clone());
        }
    }
    let mut d = note(
        case,
        actor,
        now,
        EventKind::TaskReassigned {
            task: task.into(),
            to_user: to.user.map(UserId::from),
            to_department: elsewhere.then(|| department.clone()),
            to_unit: (unit != t.unit).then(|| unit.clone()).flatten(),
            comment: reason,
        },
    );
    if let Some(t) = d.case.tasks.iter_mut().find(|x| x.id == task) {
        t.department = department;
        t.unit = unit;
        t.assignee = to.user.map(UserId::from);
        t.state = if to.user.is_some() {
            TaskState::Claimed
        } else {
            TaskState::Open
        };
    }
    Ok(staffed(cx, d))
}

/// `d` with its case's tasks checked for staffing after a hand-off (a task sent to a pool or
/// a department nobody works in is marked and told, as after any move).
pub(super) fn staffed(cx: &Context<'_>, mut d: Decision) -> Decision {
    let mut out = super::transition::Out::default();
    crate::core::staffing::check(cx.org, &mut d.case, cx.actor, cx.now, &mut out);
    d.events.extend(out.events);
    d.effects.extend(out.effects);
    d
}

/// Gives the tasks an action opened (those `before` did not have active) to `user`, as a
/// dispatcher names the handler while dispatching. Who may: the admins, the dispatching
/// clerks and the heads of the tasks' department; the person must be able to take at least one
/// of them (role, department, unit), and takes each one they can.
pub(super) fn give_opened(
    cx: &Context<'_>,
    before: &Case,
    next: &mut Case,
    user: &str,
    out: &mut super::transition::Out,
) -> Result<(), Rejection> {
    let Context { org, actor, now, .. } = *cx;
    let was_open = |id: &str| before.tasks.iter().any(|t| t.id == id && t.is_active());
    let opened: Vec<usize> = (0..next.tasks.len())
        .filter(|&i| next.tasks[i].is_active() && !was_open(&next.tasks[i].id))
        .collect();
    let Some(&first) = opened.first() else {
        return Err(Rejection::InvalidField {
            field: "assign_to".into(),
            problem: "this action opens no task to give to a person".into(),
        });
    };
    let department = next.tasks[first].department.clone();
    let may = org.is_admin(&actor.roles)
        || org.dispatches(&actor.roles)
        || org.heads(&actor.roles, actor.department.as_deref(), &department);
    if !may {
        return Err(Rejection::NotAllowed {
            what: "name who takes the work".into(),
        });
    }
    let mut given = 0;
    for i in opened {
        let t = &next.tasks[i];
        let Some(u) = org.may_take(user, &t.department, t) else {
            continue;
        };
        let unit = t.unit.as_ref().map(|_| u.unit.clone());
        out.events.push(crate::core::event::Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::TaskReassigned {
                task: t.id.clone(),
                to_user: Some(UserId::from(user)),
                to_department: None,
                to_unit: (unit != t.unit).then(|| unit.clone()).flatten(),
                comment: None,
            },
        });
        let t = &mut next.tasks[i];
        t.unit = unit;
        t.assignee = Some(UserId::from(user));
        t.state = TaskState::Claimed;
        t.unstaffed = false;
        given += 1;
    }
    if given == 0 {
        let t = &next.tasks[first];
        return Err(Rejection::InvalidField {
            field: "assign_to".into(),
            problem: format!(
                "`{user}` does not hold role `{}` in `{}` where the task is (its unit or above)",
                t.role, t.department
            ),
        });
    }
    Ok(())
}
