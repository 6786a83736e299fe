//! Supervision commands: extend the SLA, escalate by hand, answer a supervision record, and
//! review the answer.

use chrono::{DateTime, Utc};

use super::transition::Out;
use super::{Actor, Decision};
use crate::core::case::{Case, SupervisionState};
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;
use crate::core::supervision;

fn begin(case: &Case, now: DateTime<Utc>) -> Result<Case, Rejection> {
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let mut next = case.clone();
    next.version += 1;
    next.updated_at = now;
    Ok(next)
}

fn done(next: Case, out: Out) -> Decision {
    Decision {
        case: next,
        events: out.events,
        effects: out.effects,
    }
}

pub(super) fn extend(
    def: &CompiledCaseType,
    case: &Case,
    comment: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
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

pub(super) fn escalate(
    def: &CompiledCaseType,
    org: &Organisation,
    case: &Case,
    rung: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let Some(ladder) = &def.ladder else {
        return Err(Rejection::BadText("this case type has no supervision ladder".into()));
    };
    let rung = match rung {
        Some(r) => r.to_owned(),
        None => ladder
            .rungs
            .keys()
            .find(|r| !case.rungs.contains(r))
            .cloned()
            .ok_or_else(|| Rejection::BadText("every rung has fired".into()))?,
    };
    let level = ladder
        .rungs
        .get(&rung)
        .map(|r| r.level)
        .ok_or_else(|| Rejection::BadText(format!("the ladder has no rung `{rung}`")))?;
    if org.supervision_level(&actor.roles) < level {
        return Err(Rejection::NotAllowed {
            what: format!("open a level-{level} supervision"),
        });
    }
    let mut next = begin(case, now)?;
    let mut out = Out::default();
    supervision::fire_rung(def, org, &mut next, &rung, actor, now, &mut out)?;
    Ok(done(next, out))
}

pub(super) fn answer(
    case: &Case,
    record: &str,
    text: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
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
    r.answered_by = Some(actor.id.clone());
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

#[allow(clippy::too_many_arguments)]
pub(super) fn review(
    def: &CompiledCaseType,
    org: &Organisation,
    case: &Case,
    record: &str,
    accept: bool,
    comment: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
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

pub(super) fn recompute(def: &CompiledCaseType, case: &Case, now: DateTime<Utc>) -> Result<Decision, Rejection> {
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
