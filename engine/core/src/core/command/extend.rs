//! Extending the SLA (延期): by an approver role, with the reason, within the case type's allowance.

use super::supervise::{begin, done};
use super::transition::Out;
use super::{Context, Decision};
use crate::core::case::Case;
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;
use crate::core::supervision;

pub(super) fn extend(cx: &Context<'_>, case: &Case, comment: Option<&str>) -> Result<Decision, Rejection> {
    let Context { def, actor, now, .. } = *cx;
    let Some(x) = def.def.sla.as_ref().and_then(|s| s.extensions.as_ref()) else {
        return Err(Rejection::BadText("this case type allows no extension".into()));
    };
    if !x.approvers.iter().any(|r| actor.roles.contains(r)) {
        return Err(Rejection::NotAllowed {
            what: "grant an extension".into(),
        });
    }
    if comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(Rejection::CommentRequired("extend".into()));
    }
    let mut next = begin(case, now)?;
    let Some(clock) = &mut next.sla else {
        return Err(Rejection::BadText("the SLA clock has not started".into()));
    };
    if clock.stopped {
        return Err(Rejection::BadText("the SLA clock has stopped".into()));
    }
    if clock.extensions.len() as u32 >= x.max {
        return Err(Rejection::BadText(format!(
            "the case already had the {} extension(s) allowed",
            x.max
        )));
    }
    clock.extensions.push(x.by.clone());
    // An extension granted after the breach reopens the clock's breach and warnings.
    clock.breached = false;
    let mut out = Out::default();
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind: EventKind::SlaExtended { by: x.by.clone() },
    });
    supervision::reschedule(def, &mut next, now, &mut out)?;
    Ok(done(next, out))
}
