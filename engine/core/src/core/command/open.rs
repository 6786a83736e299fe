//! Opening a case from any intake channel.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Context;
use super::Decision;
use super::transition::{Out, declared_effects, enter};
use crate::core::case::{Case, CaseStatus};
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;
use crate::model::{CaseTypeFile, Tier};

/// The key that recognises a repeat of a case with these values: the case type, the citizen
/// (ID number, else phone) and the values of the `repeats.match` fields. `None` when the case
/// type does not look for repeats or the citizen is not identified.
pub fn repeat_key(d: &CaseTypeFile, values: &Map<String, Value>) -> Option<String> {
    use sha2::{Digest, Sha256};
    let r = d.repeats.as_ref()?;
    let c = d.citizen.as_ref()?;
    let text = |f: &Option<String>| {
        f.as_ref()
            .and_then(|f| values.get(f))
            .and_then(Value::as_str)
            .map(|s| {
                s.chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_uppercase()
            })
            .filter(|s| !s.is_empty())
    };
    let who = text(&c.id_number)
        .map(|s| format!("id:{s}"))
        .or_else(|| text(&c.phone).map(|s| format!("phone:{s}")))?;
    let mut h = Sha256::new();
    h.update(d.id.as_bytes());
    h.update([0]);
    h.update(who.as_bytes());
    for f in &r.fields {
        h.update([0]);
        let v = values.get(f).cloned().unwrap_or(Value::Null);
        let v = match v {
            Value::String(s) => Value::String(s.trim().to_lowercase()),
            v => v,
        };
        h.update(v.to_string().as_bytes());
    }
    Some(format!("{:x}", h.finalize()))
}

pub(super) fn open(
    cx: &Context<'_>,
    case_id: &str,
    channel: &str,
    fields: &Map<String, Value>,
    unit: Option<&str>,
    number: Option<&str>,
) -> Result<Decision, Rejection> {
    let Context { def, org, actor, now } = *cx;
    let d = &def.def;
    if !d.channels.iter().any(|c| c == channel) && !org.takes_any(channel) {
        return Err(Rejection::WrongChannel {
            case_type: d.id.clone(),
            channel: channel.to_owned(),
        });
    }
    // Every field's problem at once: the invalid ones and the required ones left empty.
    let (values, mut problems) = crate::core::fields::checked(&d.fields, fields);
    for (id, f) in &d.fields {
        if f.required && !values.contains_key(id) && !problems.iter().any(|p| p.field == *id) {
            problems.push(crate::core::fields::required(id));
        }
    }
    if !problems.is_empty() {
        crate::core::fields::in_order(&d.fields, &mut problems);
        return Err(Rejection::Fields(problems));
    }
    let unit = match unit {
        Some(u) if org.unit_tier(u).is_none() => {
            return Err(Rejection::InvalidField {
                field: "unit".into(),
                problem: format!("`{u}` is not a unit of the organisation"),
            });
        }
        Some(u) => u.to_owned(),
        None => org.district().to_owned(),
    };
    // The declared tier of the case type wins; otherwise the tier of the unit where it arose.
    let tier = d.tier.unwrap_or_else(|| org.unit_tier(&unit).unwrap_or(Tier::District));
    // The unit at the handling tier: the unit itself, or its ancestor at that tier (a community's
    // town for a case type handled by towns; the district for the district).
    let origin = unit.clone();
    let mut unit = unit;
    for _ in 0..8 {
        match (org.unit_tier(&unit), org.parent(&unit)) {
            (Some(t), Some(parent)) if t > tier => unit = parent.to_owned(),
            _ => break,
        }
    }
    let origin_unit = (origin != unit).then_some(origin);
    // A case type may take its handling department from a field (a review of another
    // department's case); the value must name a department.
    let mut department = d.department.clone();
    if let Some(f) = &d.department_from
        && let Some(v) = values.get(f).and_then(Value::as_str)
    {
        if !org.file.departments.contains_key(v) {
            return Err(Rejection::InvalidField {
                field: f.clone(),
                problem: format!("`{v}` is not a department of the organisation"),
            });
        }
        v.clone_into(&mut department);
    }
    let mut case = Case {
        id: case_id.into(),
        number: number.map(str::to_owned),
        case_type: d.id.clone(),
        definition_version: def.version,
        state: String::new(),
        status: CaseStatus::Open,
        version: 1,
        channel: channel.to_owned(),
        fields: values.clone(),
        department,
        unit: Some(unit),
        tier,
        opened_at: now,
        updated_at: now,
        closed_at: None,
        visits: 0,
        tasks: Vec::new(),
        timers: BTreeMap::new(),
        sla: None,
        rungs: Vec::new(),
        supervision: Vec::new(),
        repeats: 0,
        repeat_key: repeat_key(d, &values),
        origin_unit,
    };
    let mut out = Out::default();
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind: EventKind::Opened {
            channel: channel.to_owned(),
            fields: values,
            number: number.map(str::to_owned),
        },
    });
    declared_effects(cx, &mut case, &d.on_open, "open", &mut out)?;
    enter(cx, &mut case, None, def.initial_state(), None, &mut out)?;
    Ok(Decision {
        case,
        events: out.events,
        effects: out.effects,
    })
}
