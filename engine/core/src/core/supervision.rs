//! The SLA clock's moves on state changes, and the supervision ladder: rungs that fire once per
//! case, open supervision records (督办单), notify by role, and schedule the next rung.

use chrono::{DateTime, Utc};

use super::case::{Case, OpenTimer, SupervisionRecord, SupervisionState};
use super::command::Actor;
use super::definition::{CompiledCaseType, Organisation};
use super::effect::Effect;
use super::event::{Event, EventKind};
use super::reject::Rejection;
use super::sla::SlaClock;
use crate::duration::Duration;
use crate::model::ladder::Trigger;
use crate::model::{Recipient, Tier};

/// What the clock and ladder add to a decision.
#[derive(Debug, Default)]
pub struct Out {
    /// Events.
    pub events: Vec<Event>,
    /// Effects.
    pub effects: Vec<Effect>,
}

fn event(out: &mut Out, actor: &Actor, now: DateTime<Utc>, kind: EventKind) {
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind,
    });
}

fn cancel_timers(case: &mut Case, prefix: &str, out: &mut Out) {
    let names: Vec<String> = case.timers.keys().filter(|k| k.starts_with(prefix)).cloned().collect();
    for n in names {
        if let Some(t) = case.timers.remove(&n) {
            out.effects.push(Effect::CancelTimer { key: t.key });
        }
    }
}

fn start_timer(case: &mut Case, name: &str, due: DateTime<Utc>, provisional: bool, out: &mut Out) {
    let key = format!("{}/{name}/{}", case.id, case.version);
    out.effects.push(Effect::StartTimer {
        key: key.clone(),
        name: name.to_owned(),
        due_at: due,
    });
    case.timers.insert(
        name.to_owned(),
        OpenTimer {
            key,
            due_at: due,
            provisional,
        },
    );
}

/// Re-derives the clock's warning and breach instants and replaces their timers.
pub fn reschedule(def: &CompiledCaseType, case: &mut Case, now: DateTime<Utc>, out: &mut Out) -> Result<(), Rejection> {
    cancel_timers(case, "sla:", out);
    let Some(clock) = &case.sla else { return Ok(()) };
    if !clock.running() {
        return Ok(());
    }
    let derived = clock
        .derive(&def.calendar, &def.warn_at, now)
        .map_err(|e| Rejection::Calendar(e.to_string()))?;
    let Some(d) = derived else { return Ok(()) };
    let (warned, breached) = (clock.warned.clone(), clock.breached);
    for (i, w) in d.warnings.iter().enumerate() {
        if !warned.contains(&i) {
            start_timer(case, &format!("sla:warn:{i}"), *w, d.provisional, out);
        }
    }
    if !breached {
        start_timer(case, "sla:breach", d.due, d.provisional, out);
    }
    Ok(())
}

/// Moves the clock when the case enters `to` (from `from`, `None` when opening).
pub fn on_enter(
    def: &CompiledCaseType,
    case: &mut Case,
    from: Option<&str>,
    to: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    out: &mut Out,
) -> Result<(), Rejection> {
    let Some(sla) = &def.def.sla else { return Ok(()) };
    let terminal = def.def.states.get(to).is_some_and(|s| s.terminal.is_some());
    let paused_state = sla.paused_in.iter().any(|s| s == to);
    match &mut case.sla {
        None => {
            let starts = match &sla.starts_in {
                None => from.is_none(),
                Some(s) => s == to,
            };
            if starts && !terminal {
                let mut clock = SlaClock::start(&sla.budget, now);
                if paused_state {
                    clock.pause(now);
                }
                case.sla = Some(clock);
                event(
                    out,
                    actor,
                    now,
                    EventKind::SlaStarted {
                        budget: sla.budget.clone(),
                    },
                );
                reschedule(def, case, now, out)?;
            }
        }
        Some(clock) if clock.stopped => {}
        Some(clock) => {
            if !terminal && sla.stops_in.iter().any(|s| s == to) {
                // The limit covered only this part of the procedure: the clock stops, pending
                // rungs are cancelled, open supervision records still await their answers.
                let due = clock
                    .derive(&def.calendar, &def.warn_at, now)
                    .ok()
                    .flatten()
                    .map(|d| d.due);
                let met = !clock.breached && due.is_none_or(|d| now < d);
                clock.stop(now);
                cancel_timers(case, "sla:", out);
                cancel_timers(case, "rung:", out);
                event(out, actor, now, EventKind::SlaStopped { met });
            } else if terminal {
                clock.stop(now);
                cancel_timers(case, "sla:", out);
                cancel_timers(case, "rung:", out);
                for r in case
                    .supervision
                    .iter_mut()
                    .filter(|r| r.state != SupervisionState::Accepted)
                {
                    r.state = SupervisionState::Closed;
                }
            } else if paused_state && clock.running() {
                clock.pause(now);
                event(out, actor, now, EventKind::SlaPaused);
                cancel_timers(case, "sla:", out);
            } else if !paused_state && !clock.running() {
                clock.resume(now);
                event(out, actor, now, EventKind::SlaResumed);
                reschedule(def, case, now, out)?;
            }
        }
    }
    Ok(())
}

/// The roles among `to` that resolve to no user for this case.
pub fn unresolved_roles(org: &Organisation, case: &Case, to: &[Recipient]) -> Vec<String> {
    to.iter()
        .filter(|r| !r.citizen && org.recipients(r, case).next().is_none())
        .filter_map(|r| r.user.clone().or_else(|| r.role.clone()))
        .collect()
}

/// Fires a rung of the case's ladder once: records it under a unique key, opens a supervision
/// record, notifies, raises the tier if the rung says so, and schedules the next rung.
pub fn fire_rung(
    def: &CompiledCaseType,
    org: &Organisation,
    case: &mut Case,
    rung_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    out: &mut Out,
) -> Result<(), Rejection> {
    let Some(ladder) = &def.ladder else {
        return Err(Rejection::BadText("this case type has no supervision ladder".into()));
    };
    let Some(rung) = ladder.rungs.get(rung_id) else {
        return Err(Rejection::BadText(format!("the ladder has no rung `{rung_id}`")));
    };
    if case.rungs.iter().any(|r| r == rung_id) {
        return Err(Rejection::BadText(format!(
            "rung `{rung_id}` has already fired for this case"
        )));
    }
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let answer_within: Duration = rung
        .answer_within
        .parse()
        .map_err(|_| Rejection::Calendar(format!("rung `{rung_id}`: bad duration")))?;
    let answer_due = def
        .calendar
        .add(now, answer_within)
        .map_err(|e| Rejection::Calendar(e.to_string()))?;
    let record = SupervisionRecord {
        id: format!("{}:s{}", case.id, case.supervision.len() + 1),
        rung: rung_id.to_owned(),
        level: rung.level,
        opened_at: now,
        answer_due: answer_due.at,
        state: SupervisionState::Awaiting,
        answer: None,
        answered_by: None,
    };
    event(
        out,
        actor,
        now,
        EventKind::RungFired {
            rung: rung_id.to_owned(),
            level: rung.level,
            record: record.id.clone(),
            comment: None,
        },
    );
    case.supervision.push(record);
    case.rungs.push(rung_id.to_owned());
    cancel_timers(case, &format!("rung:{rung_id}"), out);
    out.effects.push(Effect::RungFired {
        case_id: case.id.clone(),
        rung: rung_id.to_owned(),
    });
    out.effects.push(Effect::Notify {
        idempotency_key: format!("{}/rung/{rung_id}", case.id),
        template: rung.template.clone(),
        to: rung.recipients.clone(),
        channels: rung.channels.clone(),
    });
    let missing = unresolved_roles(org, case, &rung.recipients);
    if !missing.is_empty() {
        event(
            out,
            actor,
            now,
            EventKind::RecipientsMissing {
                template: rung.template.clone(),
                roles: missing,
            },
        );
    }
    if rung.raises_tier && case.tier != Tier::District {
        let (tier, unit) = match case.tier {
            Tier::Community => (
                Tier::Town,
                case.unit.as_deref().and_then(|u| org.parent(u)).map(str::to_owned),
            ),
            _ => (Tier::District, Some(org.district().to_owned())),
        };
        case.tier = tier;
        case.unit = unit;
        event(
            out,
            actor,
            now,
            EventKind::TierRaised {
                tier: tier.as_str().to_owned(),
            },
        );
    }
    // The next rung that follows this one after a time.
    let ids: Vec<&String> = ladder.rungs.keys().collect();
    if let Some(pos) = ids.iter().position(|r| *r == rung_id)
        && let Some(next_id) = ids.get(pos + 1)
        && let Some(next) = ladder.rungs.get(*next_id)
        && let Trigger::AfterPrevious(d) = &next.trigger
    {
        let d: Duration = d
            .parse()
            .map_err(|_| Rejection::Calendar(format!("rung `{next_id}`: bad duration")))?;
        let due = def
            .calendar
            .add(now, d)
            .map_err(|e| Rejection::Calendar(e.to_string()))?;
        start_timer(case, &format!("rung:{next_id}"), due.at, due.provisional, out);
    }
    Ok(())
}

/// The rungs whose trigger is the SLA's breach.
pub fn breach_rungs(def: &CompiledCaseType) -> Vec<String> {
    def.ladder
        .as_ref()
        .map(|l| {
            l.rungs
                .iter()
                .filter(|(_, r)| matches!(r.trigger, Trigger::Breach))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}
