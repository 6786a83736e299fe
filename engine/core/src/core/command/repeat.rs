//! Linking a repeated complaint to the open case it repeats (重复件).

use serde_json::{Map, Value};

use super::{Context, Decision, note};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

/// Links a repeated complaint (same citizen, same matter, within the window) to the open case.
pub(super) fn repeat(
    cx: &Context<'_>,
    case: &Case,
    channel: &str,
    fields: &Map<String, Value>,
) -> Result<Decision, Rejection> {
    let Context { actor, now, .. } = *cx;
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
