//! A durable timer expired: take its action as the engine, or send its message.

use chrono::{DateTime, Utc};
use serde_json::Map;

use super::transition::Out;
use super::{Actor, Decision};
use crate::core::case::Case;
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::core::effect::Effect;
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;

pub(super) fn fire_timer(
    def: &CompiledCaseType,
    org: &Organisation,
    case: &Case,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    let Some((name, _)) = case.timers.iter().find(|(_, t)| t.key == key) else {
        return Err(Rejection::StaleTimer(key.to_owned()));
    };
    let name = name.clone();
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
            let mut d = super::act::act(def, org, &base, action, &Map::new(), None, None, &system, now)?;
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
