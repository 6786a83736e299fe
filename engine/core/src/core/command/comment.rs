//! Comments on a case.

use super::Context;
use super::{Decision, note};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::reject::Rejection;

pub(super) fn comment(cx: &Context<'_>, case: &Case, text: &str) -> Result<Decision, Rejection> {
    let Context { actor, now, .. } = *cx;
    let text = text.trim();
    if text.is_empty() {
        return Err(Rejection::BadText("a comment cannot be empty".into()));
    }
    if text.chars().count() > 2000 {
        return Err(Rejection::BadText("a comment may be at most 2,000 characters".into()));
    }
    Ok(note(case, actor, now, EventKind::Commented { text: text.to_owned() }))
}
