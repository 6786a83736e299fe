//! Taking a declared action: checks who, from where, which fields and the guard, then moves.

use serde_json::{Map, Value};

use super::Context;
use super::transition::{Out, declared_effects, enter};
use super::{Actor, Decision};
use crate::core::case::{Case, TaskInstance};
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::core::event::{Event, EventKind};
use crate::core::reject::Rejection;
use crate::expr::{self, Value as ExprValue};
use crate::model::case_type::Action;

/// Whether `actor` may take `action` on `case`.
pub(crate) fn may_take(action: &Action, case: &Case, actor: &Actor) -> bool {
    let Some(who) = &action.allowed else {
        return actor.is_system();
    };
    if actor.is_system() {
        return true;
    }
    let role_ok = who.roles.iter().any(|r| actor.roles.contains(r));
    let dept_ok = who.departments.is_empty()
        || who.departments.iter().any(|d| {
            let d = if d == "handling" { &case.department } else { d };
            actor.department.as_deref() == Some(d.as_str())
        });
    let tier_ok = who.tiers.is_empty() || actor.tier.is_some_and(|t| who.tiers.contains(&t));
    role_ok && dept_ok && tier_ok
}

/// The active tasks held by someone other than `actor` that taking `action_id` (to `to`) would
/// complete.
fn held_by_others(def: &CompiledCaseType, case: &Case, action_id: &str, to: &str, actor: &Actor) -> Vec<TaskInstance> {
    if actor.is_system() {
        return Vec::new();
    }
    let terminal = def.def.states.get(to).and_then(|s| s.terminal).is_some();
    case.tasks
        .iter()
        .filter(|t| t.is_active() && t.assignee.as_deref().is_some_and(|a| a != actor.id))
        .filter(|t| {
            def.def.tasks.get(&t.name).is_some_and(|td| {
                let stays = !terminal && td.open_in.as_slice().iter().any(|s| s == to);
                let completes = td.actions.iter().any(|a| a == action_id)
                    || (td.actions.is_empty() && td.open_in.as_slice().contains(&case.state));
                completes && !stays
            })
        })
        .cloned()
        .collect()
}

/// Whether `actor` may take over work another person holds: the head of the task's (or the
/// case's) department, or a supervisor of a level the case is at (the centre's supervisors,
/// level 1, oversee every case).
fn may_take_over(org: &Organisation, case: &Case, task: &TaskInstance, actor: &Actor) -> bool {
    let dept = actor.department.as_deref();
    let head = org.heads_department(&actor.roles)
        && (dept == Some(task.department.as_str()) || dept == Some(case.department.as_str()));
    let level = org.supervision_level(&actor.roles);
    let supervisor = level == 1 || (level > 1 && case.supervision.iter().any(|r| r.level >= level));
    head || supervisor
}

fn to_expr_value(v: Option<&Value>) -> ExprValue {
    match v {
        None | Some(Value::Null) => ExprValue::Null,
        Some(Value::Bool(b)) => ExprValue::Bool(*b),
        Some(Value::Number(n)) => n.as_f64().map_or(ExprValue::Null, ExprValue::Number),
        Some(Value::String(s)) => ExprValue::Text(s.clone()),
        Some(Value::Array(a)) => ExprValue::List(a.iter().map(|x| to_expr_value(Some(x))).collect()),
        Some(Value::Object(_)) => ExprValue::Null,
    }
}

fn case_attribute(case: &Case, name: &str) -> ExprValue {
    match name {
        "channel" => ExprValue::Text(case.channel.clone()),
        "unit" => case.unit.clone().map_or(ExprValue::Null, ExprValue::Text),
        "department" => ExprValue::Text(case.department.clone()),
        "tier" => ExprValue::Text(case.tier.as_str().to_owned()),
        "visits" => ExprValue::Number(f64::from(case.visits)),
        _ => ExprValue::Null,
    }
}

/// An action as asked for.
pub(super) struct Taken<'a> {
    /// The action.
    pub action: &'a str,
    /// The fields it sets.
    pub fields: &'a Map<String, Value>,
    /// The comment.
    pub comment: Option<&'a str>,
    /// The version the caller last saw.
    pub expected_version: Option<i64>,
    /// The person to give the tasks it opens.
    pub assign_to: Option<&'a str>,
}

pub(super) fn act(cx: &Context<'_>, case: &Case, taken: Taken<'_>) -> Result<Decision, Rejection> {
    let Context { def, org, actor, now } = *cx;
    let Taken {
        action: action_id,
        fields,
        comment,
        expected_version,
        assign_to,
    } = taken;
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    if let Some(expected) = expected_version
        && expected != case.version
    {
        return Err(Rejection::Stale {
            expected,
            actual: case.version,
        });
    }
    let Some(action) = def.def.actions.get(action_id) else {
        return Err(Rejection::UnknownAction(action_id.to_owned()));
    };
    if !action.from.as_slice().contains(&case.state) {
        return Err(Rejection::WrongState {
            action: action_id.to_owned(),
            state: case.state.clone(),
            allowed: action.from.as_slice().join(", "),
        });
    }
    if !may_take(action, case, actor) {
        return Err(Rejection::NotAllowed {
            what: format!("take `{action_id}` on this case"),
        });
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    // Work of a colleague the actor stands in for while they are away is the actor's; any
    // other holder's is taken over only with the right and a reason.
    let (stood_in, taken_over): (Vec<_>, Vec<_>) = held_by_others(def, case, action_id, &action.to, actor)
        .into_iter()
        .partition(|t| actor.holds(t.assignee.as_deref()));
    if let Some(t) = taken_over.first() {
        let holder = t.assignee.as_deref().unwrap_or_default().to_owned();
        if !may_take_over(org, case, t, actor) {
            return Err(Rejection::HeldByOther {
                task: t.name.clone(),
                holder,
            });
        }
        if comment.is_none() {
            return Err(Rejection::TakeOverReason { holder });
        }
    }
    let (given, mut problems) = crate::core::fields::checked(&def.def.fields, fields);
    let mut merged = case.fields.clone();
    merged.extend(given.clone());
    for f in &action.requires {
        if merged.get(f).is_none_or(Value::is_null) && !problems.iter().any(|p| p.field == *f) {
            problems.push(crate::core::fields::required(f));
        }
    }
    if !problems.is_empty() {
        crate::core::fields::in_order(&def.def.fields, &mut problems);
        return Err(Rejection::Fields(problems));
    }
    if action.comment_required && comment.is_none() {
        return Err(Rejection::CommentRequired(action_id.to_owned()));
    }
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(Rejection::BadText("a comment may be at most 2,000 characters".into()));
    }
    check_guard(def, action_id, action, case, &merged)?;

    let mut next = case.clone();
    next.version += 1;
    next.updated_at = now;
    next.fields = merged;
    let mut out = Out::default();
    // Work taken over from its holder: the history says whose and (in the action's comment) why.
    for t in stood_in.iter().chain(&taken_over) {
        out.events.push(Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::TaskReassigned {
                task: t.id.clone(),
                to_user: Some(actor.id.clone()),
                to_department: None,
                to_unit: None,
                comment: None,
            },
        });
        if let Some(x) = next.tasks.iter_mut().find(|x| x.id == t.id) {
            x.assignee = Some(actor.id.clone());
            x.unstaffed = false;
        }
    }
    out.events.push(Event {
        actor: actor.id.clone(),
        at: now,
        kind: EventKind::ActionTaken {
            action: action_id.to_owned(),
            from: case.state.clone(),
            to: action.to.clone(),
            fields: given,
            comment: comment.map(str::to_owned),
        },
    });
    declared_effects(cx, &mut next, &action.effects, action_id, &mut out)?;
    enter(cx, &mut next, Some(&case.state), &action.to, Some(action_id), &mut out)?;
    if let Some(user) = assign_to {
        super::reassign::give_opened(cx, case, &mut next, user, &mut out)?;
    }
    Ok(Decision {
        case: next,
        events: out.events,
        effects: out.effects,
    })
}

/// The action's guard over the case and the fields as they would be.
fn check_guard(
    def: &CompiledCaseType,
    action_id: &str,
    action: &Action,
    case: &Case,
    merged: &Map<String, Value>,
) -> Result<(), Rejection> {
    if let Some(guard) = def.guards.get(action_id) {
        let lookup = |scope: Option<&str>, name: &str| match scope {
            Some("case") => case_attribute(case, name),
            _ => to_expr_value(merged.get(name)),
        };
        let reason = match expr::eval(guard, &lookup) {
            Ok(ExprValue::Bool(true)) => None,
            Ok(_) => Some(format!("`{}` is false", action.guard.as_deref().unwrap_or_default())),
            Err(e) => Some(e.to_string()),
        };
        if let Some(reason) = reason {
            return Err(Rejection::GuardFalse {
                action: action_id.to_owned(),
                reason,
            });
        }
    }
    Ok(())
}

/// Whether `action_id`'s guard holds on `case` as it stands, for a page deciding whether to offer
/// the action: `None` when it has no guard, or when the guard reads a field the action's own
/// form sets (only what is typed can decide then).
pub fn guard_now(def: &CompiledCaseType, action_id: &str, case: &Case) -> Option<bool> {
    let guard = def.guards.get(action_id)?;
    let action = def.def.actions.get(action_id)?;
    let reads_form = std::cell::Cell::new(false);
    let lookup = |scope: Option<&str>, name: &str| match scope {
        Some("case") => case_attribute(case, name),
        _ => {
            if action.requires.iter().any(|f| f == name) {
                reads_form.set(true);
            }
            to_expr_value(case.fields.get(name))
        }
    };
    let holds = matches!(expr::eval(guard, &lookup), Ok(ExprValue::Bool(true)));
    (!reads_form.get()).then_some(holds)
}

/// For an action whose guard reads exactly one field its own form sets, and that field a
/// choice: the field and the values for which the guard holds on the case as it stands (the
/// form offers only those: 回访办结 offers the satisfied verdicts, 不满意重办 the unsatisfied
/// one). `None` when the guard reads no such field, or more than one.
pub fn guard_choices(def: &CompiledCaseType, action_id: &str, case: &Case) -> Option<(String, Vec<String>)> {
    let guard = def.guards.get(action_id)?;
    let action = def.def.actions.get(action_id)?;
    let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let first = |scope: Option<&str>, name: &str| match scope {
        Some("case") => case_attribute(case, name),
        _ => {
            if action.requires.iter().any(|f| f == name) {
                read.borrow_mut().insert(name.to_owned());
            }
            to_expr_value(case.fields.get(name))
        }
    };
    let _ = expr::eval(guard, &first);
    let read = read.into_inner();
    let [field] = read.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let f = def.def.fields.get(field.as_str())?;
    let values = f
        .values
        .as_ref()
        .filter(|_| f.ty == crate::model::case_type::FieldType::Enum)?;
    let holds = |value: &str| {
        let lookup = |scope: Option<&str>, name: &str| match scope {
            Some("case") => case_attribute(case, name),
            _ if name == field.as_str() => ExprValue::Text(value.to_owned()),
            _ => to_expr_value(case.fields.get(name)),
        };
        matches!(expr::eval(guard, &lookup), Ok(ExprValue::Bool(true)))
    };
    Some((field.clone(), values.keys().filter(|v| holds(v)).cloned().collect()))
}
