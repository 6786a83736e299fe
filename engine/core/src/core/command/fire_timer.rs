//! A durable timer expired: take its action as the engine, or send its message.

use chrono::{DateTime, Utc};
use serde_json::Map;

use super::Context;
use super::transition::Out;
use super::{Actor, Decision};
use crate::core::case::Case;
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::core::effect::Effect;
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;

pub(super) fn fire_timer(cx: &Context<'_>, case: &Case, key: &str) -> Result<Decision, Rejection> {
    let Context { def, org, now, .. } = *cx;
    let Some((name, _)) = case.timers.iter().find(|(_, t)| t.key == key) else {
        return Err(Rejection::StaleTimer(key.to_owned()));
    };
    let name = name.clone();
    if name.starts_with("sla:") || name.starts_with("rung:") {
        return clock_timer(def, org, case, &name, now);
    }
    let Some(timer) = def.def.timers.get(&name) else {
        return Err(Rejection::StaleTimer(key.to_owned()));
    };
    let system = Actor::system();
    let fired = Event {
        actor: system.id.clone(),
        at: now,
        kind: EventKind::TimerFired { timer: name.clone() },
    };
    let mut base = case.clone();
    base.timers.remove(&name);
    let mut decision = match &timer.action {
        Some(action) => {
            let as_system = Context { actor: &system, ..*cx };
            let mut d = super::act::act(
                &as_system,
                &base,
                super::act::Taken {
                    action,
                    fields: &Map::new(),
                    comment: None,
                    expected_version: None,
                    assign_to: None,
                },
            )?;
            d.events.insert(0, fired);
            d
        }
        None => {
            let mut c = base;
            c.version += 1;
            c.updated_at = now;
            Decision {
                case: c,
                events: vec![fired],
                effects: Vec::new(),
            }
        }
    };
    if let Some(n) = &timer.notify {
        let mut out = Out::default();
        out.effects.push(Effect::Notify {
            idempotency_key: format!("{key}/notify"),
            template: n.template.clone(),
            to: n.to.clone(),
            channels: n.channels.clone(),
        });
        decision.effects.extend(out.effects);
    }
    Ok(decision)
}

/// The SLA clock's and the ladder's own timers.
fn clock_timer(
    def: &CompiledCaseType,
    org: &Organisation,
    case: &Case,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let system = Actor::system();
    let mut next = case.clone();
    next.timers.remove(name);
    next.version += 1;
    next.updated_at = now;
    let mut out = Out::default();
    if let Some(i) = name.strip_prefix("sla:warn:") {
        let index: usize = i.parse().map_err(|_| Rejection::StaleTimer(name.to_owned()))?;
        if let Some(clock) = &mut next.sla {
            clock.warned.push(index);
        }
        out.events.push(Event {
            actor: system.id.clone(),
            at: now,
            kind: EventKind::SlaWarning { index },
        });
        if let Some(n) = def.def.sla.as_ref().and_then(|s| s.warning_notify.as_ref()) {
            out.effects.push(crate::core::effect::Effect::Notify {
                idempotency_key: format!("{}/sla/warning/{index}", case.id),
                template: n.template.clone(),
                to: n.to.clone(),
                channels: n.channels.clone(),
            });
        }
    } else if name == "sla:breach" {
        if let Some(clock) = &mut next.sla {
            clock.breached = true;
        }
        out.events.push(Event {
            actor: system.id.clone(),
            at: now,
            kind: EventKind::SlaBreached,
        });
        for rung in crate::core::supervision::breach_rungs(def) {
            if !next.rungs.contains(&rung) {
                crate::core::supervision::fire_rung(def, org, &mut next, &rung, &system, now, &mut out)?;
            }
        }
    } else if let Some(rung) = name.strip_prefix("rung:") {
        crate::core::supervision::fire_rung(def, org, &mut next, rung, &system, now, &mut out)?;
    }
    Ok(Decision {
        case: next,
        events: out.events,
        effects: out.effects,
    })
}
