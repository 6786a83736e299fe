//! Escalating by hand (人工督办): a supervisor opens a ladder rung before its time.

use super::supervise::{begin, done};
use super::transition::Out;
use super::{Context, Decision};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::reject::Rejection;
use crate::core::supervision;

pub(super) fn escalate(
    cx: &Context<'_>,
    case: &Case,
    rung: Option<&str>,
    reason: Option<&str>,
) -> Result<Decision, Rejection> {
    let Context { def, org, actor, now } = *cx;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let Some(reason) = reason else {
        return Err(Rejection::InvalidField {
            field: "reason".into(),
            problem: "say why the case is escalated".into(),
        });
    };
    if reason.chars().count() > 1000 {
        return Err(Rejection::InvalidField {
            field: "reason".into(),
            problem: "is longer than 1,000 characters".into(),
        });
    }
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
    for e in &mut out.events {
        if let EventKind::RungFired { comment, .. } = &mut e.kind {
            *comment = Some(reason.to_owned());
        }
    }
    Ok(done(next, out))
}
