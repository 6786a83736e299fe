//! Answering a supervision record (督办单): the handling department's reply.

use super::supervise::{begin, done};
use super::transition::Out;
use super::{Context, Decision};
use crate::core::case::{Case, SupervisionState};
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;

pub(super) fn answer(cx: &Context<'_>, case: &Case, record: &str, text: &str) -> Result<Decision, Rejection> {
    let Context { actor, now, .. } = *cx;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(Rejection::BadText("an answer is 1 to 4,000 characters".into()));
    }
    if actor.department.as_deref() != Some(case.department.as_str()) {
        return Err(Rejection::NotAllowed {
            what: "answer for another department".into(),
        });
    }
    let mut next = begin(case, now)?;
    let r = next
        .supervision
        .iter_mut()
        .find(|r| r.id == record)
        .ok_or_else(|| Rejection::BadText(format!("there is no supervision record `{record}`")))?;
    if !matches!(r.state, SupervisionState::Awaiting | SupervisionState::Returned) {
        return Err(Rejection::BadText(
            "this supervision record is not waiting for an answer".into(),
        ));
    }
    r.state = SupervisionState::Answered;
    r.answer = Some(text.to_owned());
    r.answered_by = Some(actor.id.to_string());
    let mut out = Out::default();
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind: EventKind::SupervisionAnswered {
            record: record.to_owned(),
            text: text.to_owned(),
        },
    });
    Ok(done(next, out))
}
