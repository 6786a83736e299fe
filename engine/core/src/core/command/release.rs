//! Releasing a claimed task back to its inbox.

use super::Context;
use super::{Decision, note};
use crate::core::case::{Case, TaskState};
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn release(cx: &Context<'_>, case: &Case, task: &str) -> Result<Decision, Rejection> {
    let Context { org, actor, now, .. } = *cx;
    let t = case.task(task).ok_or_else(|| Rejection::UnknownTask(task.to_owned()))?;
    if t.state != TaskState::Claimed {
        return Err(Rejection::TaskState {
            task: task.to_owned(),
            problem: "is not claimed".into(),
        });
    }
    if t.assignee.as_deref() != Some(actor.id.as_str()) && !org.is_admin(&actor.roles) {
        return Err(Rejection::NotAllowed {
            what: "release a task someone else claimed".into(),
        });
    }
    let mut d = note(case, actor, now, EventKind::TaskReleased { task: task.into() });
    if let Some(t) = d.case.tasks.iter_mut().find(|x| x.id == task) {
        t.state = TaskState::Open;
        t.assignee = None;
    }
    Ok(d)
}
