//! Recording a citizen's in-person visit (for the zero-trip and one-trip figures, 最多跑一次).

use super::{Context, Decision, note};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn record_visit(cx: &Context<'_>, case: &Case) -> Result<Decision, Rejection> {
    let Context { actor, now, .. } = *cx;
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let visits = case.visits + 1;
    let mut d = note(case, actor, now, EventKind::VisitRecorded { visits });
    d.case.visits = visits;
    Ok(d)
}
