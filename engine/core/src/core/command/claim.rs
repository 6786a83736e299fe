//! Claiming a task from an inbox.

use super::Context;
use super::{Decision, note};
use crate::core::case::{Case, TaskState};
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn claim(cx: &Context<'_>, case: &Case, task: &str) -> Result<Decision, Rejection> {
    let Context { actor, now, .. } = *cx;
    let t = case.task(task).ok_or_else(|| Rejection::UnknownTask(task.to_owned()))?;
    match t.state {
        TaskState::Open => {}
        TaskState::Claimed => {
            return Err(Rejection::TaskState {
                task: task.to_owned(),
                problem: format!("is already claimed by {}", t.assignee.as_deref().unwrap_or("someone")),
            });
        }
        TaskState::Completed | TaskState::Cancelled => {
            return Err(Rejection::TaskState {
                task: task.to_owned(),
                problem: "is finished".into(),
            });
        }
    }
    let may = actor.may_claim(&t.department, &t.role, t.unit.as_deref());
    if !may {
        return Err(Rejection::NotAllowed {
            what: format!("claim a task for role `{}` in department `{}`", t.role, t.department),
        });
    }
    let mut d = note(case, actor, now, EventKind::TaskClaimed { task: task.into() });
    if let Some(t) = d.case.tasks.iter_mut().find(|x| x.id == task) {
        t.state = TaskState::Claimed;
        t.assignee = Some(actor.id.clone());
        t.unstaffed = false;
    }
    Ok(d)
}
