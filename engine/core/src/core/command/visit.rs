//! Recording a citizen's in-person visit (for the zero-trip and one-trip figures, 最多跑一次).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Actor, Decision, note};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn record_visit(case: &Case, actor: &Actor, now: DateTime<Utc>) -> Result<Decision, Rejection> {
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let visits = case.visits + 1;
    let mut d = note(case, actor, now, EventKind::VisitRecorded { visits });
    d.case.visits = visits;
    Ok(d)
}

/// Links a repeated complaint (same citizen, same matter, within the window) to the open case.
pub(super) fn repeat(
    case: &Case,
    channel: &str,
    fields: &Map<String, Value>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let repeats = case.repeats + 1;
    let mut d = note(
        case,
        actor,
        now,
        EventKind::Repeated {
            channel: channel.to_owned(),
            fields: fields.clone(),
            repeats,
        },
    );
    d.case.repeats = repeats;
    Ok(d)
}
