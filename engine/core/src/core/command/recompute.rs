//! Re-deriving the SLA clock's instants after a calendar correction or a new year's data.

use super::supervise::{begin, done};
use super::transition::Out;
use super::{Context, Decision};
use crate::core::case::Case;
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;
use crate::core::supervision;
use chrono::{DateTime, Utc};

pub(super) fn recompute(cx: &Context<'_>, case: &Case) -> Result<Decision, Rejection> {
    let Context { def, now, .. } = *cx;
    let before: Vec<(String, DateTime<Utc>)> = case
        .timers
        .iter()
        .filter(|(k, _)| k.starts_with("sla:"))
        .map(|(k, t)| (k.clone(), t.due_at))
        .collect();
    let mut next = begin(case, now)?;
    let mut out = Out::default();
    supervision::reschedule(def, &mut next, now, &mut out)?;
    let after: Vec<(String, DateTime<Utc>)> = next
        .timers
        .iter()
        .filter(|(k, _)| k.starts_with("sla:"))
        .map(|(k, t)| (k.clone(), t.due_at))
        .collect();
    if before == after {
        return Err(Rejection::Unchanged);
    }
    let due = next.timers.get("sla:breach").map(|t| t.due_at);
    out.events.push(Event {
        actor: "system".into(),
        at: now,
        kind: EventKind::SlaRecomputed { due },
    });
    Ok(done(next, out))
}
