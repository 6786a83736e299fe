//! Reviewing a supervision record's answer: accept it (the ladder stops) or send it back with a new answer time.

use super::supervise::{begin, done};
use super::transition::Out;
use super::{Context, Decision};
use crate::core::case::{Case, SupervisionState};
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;

pub(super) fn review(
    cx: &Context<'_>,
    case: &Case,
    record: &str,
    accept: bool,
    comment: Option<&str>,
) -> Result<Decision, Rejection> {
    let Context { def, org, actor, now } = *cx;
    let mut next = begin(case, now)?;
    let r = next
        .supervision
        .iter_mut()
        .find(|r| r.id == record)
        .ok_or_else(|| Rejection::BadText(format!("there is no supervision record `{record}`")))?;
    if org.supervision_level(&actor.roles) < r.level {
        return Err(Rejection::NotAllowed {
            what: format!("review a level-{} supervision record", r.level),
        });
    }
    if r.state != SupervisionState::Answered {
        return Err(Rejection::BadText(
            "this supervision record has no answer to review".into(),
        ));
    }
    let mut out = Out::default();
    if accept {
        r.state = SupervisionState::Accepted;
    } else {
        if comment.is_none_or(|c| c.trim().is_empty()) {
            return Err(Rejection::CommentRequired("return".into()));
        }
        let within = def
            .ladder
            .as_ref()
            .and_then(|l| l.rungs.get(&r.rung))
            .and_then(|rung| rung.answer_within.parse::<crate::duration::Duration>().ok())
            .ok_or_else(|| Rejection::Calendar("the rung's answer time is unknown".into()))?;
        r.state = SupervisionState::Returned;
        r.answer_due = def
            .calendar
            .add(now, within)
            .map_err(|e| Rejection::Calendar(e.to_string()))?
            .at;
    }
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind: EventKind::SupervisionReviewed {
            record: record.to_owned(),
            accepted: accept,
            comment: comment.map(str::to_owned),
        },
    });
    if accept {
        // A satisfactory answer stops the ladder from climbing further.
        let names: Vec<String> = next.timers.keys().filter(|k| k.starts_with("rung:")).cloned().collect();
        for n in names {
            if let Some(t) = next.timers.remove(&n) {
                out.effects
                    .push(crate::core::effect::Effect::CancelTimer { key: t.key });
            }
        }
    }
    Ok(done(next, out))
}
