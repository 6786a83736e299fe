//! Reassigning a task to another user or department.

use super::Context;
use super::{Decision, note};
use crate::core::case::{Case, TaskState};
use crate::core::event::EventKind;
use crate::core::ids::UserId;
use crate::core::reject::Rejection;

pub(super) fn reassign(
    cx: &Context<'_>,
    case: &Case,
    task: &str,
    to_user: Option<&str>,
    to_department: Option<&str>,
) -> Result<Decision, Rejection> {
    let Context { org, actor, now, .. } = *cx;
    let t = case.task(task).ok_or_else(|| Rejection::UnknownTask(task.to_owned()))?;
    if !t.is_active() {
        return Err(Rejection::TaskState {
            task: task.to_owned(),
            problem: "is finished".into(),
        });
    }
    if to_user.is_none() && to_department.is_none() {
        return Err(Rejection::BadText("say whom to reassign the task to".into()));
    }
    let admin = org.is_admin(&actor.roles);
    let holder = t.assignee.as_deref() == Some(actor.id.as_str());
    let same_department = actor.department.as_deref() == Some(t.department.as_str());
    // The holder may hand it to a colleague; an admin may move it anywhere; moving it to another
    // department is for admins.
    if !(admin
        || (holder && to_department.is_none())
        || (same_department && to_department.is_none() && t.assignee.is_none()))
    {
        return Err(Rejection::NotAllowed {
            what: "reassign this task".into(),
        });
    }
    let department = to_department.unwrap_or(&t.department).to_owned();
    if !org.file.departments.contains_key(&department) {
        return Err(Rejection::InvalidField {
            field: "to_department".into(),
            problem: format!("`{department}` is not a department"),
        });
    }
    if let Some(u) = to_user {
        let ok = org.user(u).is_some_and(|user| {
            user.department.as_deref() == Some(department.as_str()) && user.roles.contains(&t.role)
        });
        if !ok {
            return Err(Rejection::InvalidField {
                field: "to_user".into(),
                problem: format!("`{u}` does not hold role `{}` in `{department}`", t.role),
            });
        }
    }
    let mut d = note(
        case,
        actor,
        now,
        EventKind::TaskReassigned {
            task: task.into(),
            to_user: to_user.map(UserId::from),
            to_department: to_department.map(str::to_owned),
        },
    );
    if let Some(t) = d.case.tasks.iter_mut().find(|x| x.id == task) {
        t.department = department;
        t.assignee = to_user.map(UserId::from);
        t.state = if to_user.is_some() {
            TaskState::Claimed
        } else {
            TaskState::Open
        };
    }
    Ok(d)
}
