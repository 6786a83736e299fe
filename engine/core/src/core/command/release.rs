//! Releasing a claimed task back to its inbox's pool: by its holder, or by a head of its
//! department or an admin with a reason.

use super::Context;
use super::reassign::reason_of;
use super::{Decision, note};
use crate::core::case::{Case, TaskState};
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn release(cx: &Context<'_>, case: &Case, task: &str, reason: Option<&str>) -> Result<Decision, Rejection> {
    let Context { org, actor, now, .. } = *cx;
    let t = case.task(task).ok_or_else(|| Rejection::UnknownTask(task.to_owned()))?;
    if t.state != TaskState::Claimed {
        return Err(Rejection::TaskState {
            task: task.to_owned(),
            problem: "is not claimed".into(),
        });
    }
    let holder = actor.holds(t.assignee.as_deref());
    let over = org.is_admin(&actor.roles) || org.heads(&actor.roles, actor.department.as_deref(), &t.department);
    if !holder && !over {
        return Err(Rejection::NotAllowed {
            what: "release a task someone else claimed".into(),
        });
    }
    let comment = reason_of(reason, !holder)?;
    let mut d = note(
        case,
        actor,
        now,
        EventKind::TaskReleased {
            task: task.into(),
            comment,
        },
    );
    if let Some(t) = d.case.tasks.iter_mut().find(|x| x.id == task) {
        t.state = TaskState::Open;
        t.assignee = None;
    }
    Ok(super::reassign::staffed(cx, d))
}
