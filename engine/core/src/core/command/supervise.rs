//! What the supervision commands share (`extend`, `escalate`, `answer`, `review`,
//! `recompute`, one file each): a new version of an open case, and the decision it ends in.

use chrono::{DateTime, Utc};

use super::Decision;
use super::transition::Out;
use crate::core::case::Case;
use crate::core::reject::Rejection;

pub(super) fn begin(case: &Case, now: DateTime<Utc>) -> Result<Case, Rejection> {
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let mut next = case.clone();
    next.version += 1;
    next.updated_at = now;
    Ok(next)
}

pub(super) fn done(next: Case, out: Out) -> Decision {
    Decision {
        case: next,
        events: out.events,
        effects: out.effects,
    }
}
