//! Moving a case into a state: tasks opened and closed, timers started and cancelled, the case
//! closed when the state is terminal, and the effects declared on actions.

use serde_json::Value;

use super::Context;
use crate::core::case::{Case, CaseStatus, OpenTimer, TaskInstance, TaskState};
use crate::core::definition::Organisation;
use crate::core::effect::Effect;
use crate::core::event::{Event, EventKind};
use crate::core::ids::{TaskId, UserId};
use crate::core::reject::Rejection;
use crate::model::Tier;
use crate::model::case_type::Effect as DeclaredEffect;

pub(super) use crate::core::supervision::Out;

/// `unit` or its nearest ancestor at `tier`, if any.
fn unit_at_tier(org: &Organisation, unit: &str, tier: Tier) -> Option<String> {
    let mut at = unit;
    for _ in 0..8 {
        match org.unit_tier(at) {
            Some(t) if t == tier => return Some(at.to_owned()),
            Some(t) if t > tier => at = org.parent(at)?,
            _ => return None,
        }
    }
    None
}

fn runs_in(list: &[String], state: Option<&str>) -> bool {
    state.is_some_and(|s| list.iter().any(|x| x == s))
}

/// Opens task `name` on `case`: its department, unit and role from the task's assignment, and
/// its holder when the assignment pools it (the least-loaded holder of the role, by specialism
/// when asked), with the assignment in the history.
fn open_task(cx: &Context<'_>, case: &mut Case, name: &str, td: &crate::model::case_type::Task, out: &mut Out) {
    let Context { org, actor, now, .. } = *cx;
    let department = match td.assign.department.as_deref() {
        None | Some("handling" | "any") => case.department.clone(),
        Some(d) => d.to_owned(),
    };
    let unit = match (td.assign.tier, case.tier) {
        (Some(Tier::District), _) | (None, Tier::District) => None,
        // A task for a tier below the case's: the staff of the unit at that tier where
        // the matter arose (a grid worker checks in their own community).
        (Some(t), ct) if t > ct => case
            .origin_unit
            .as_deref()
            .and_then(|o| unit_at_tier(org, o, t))
            .or_else(|| case.unit.clone()),
        _ => case.unit.clone(),
    };
    let role = td.assign.role.clone().unwrap_or_default();
    // Pool assignment: the least-loaded holder of the role, by specialism when asked.
    let specialism = td.assign.specialism.clone().or_else(|| {
        td.assign
            .specialism_from
            .as_ref()
            .and_then(|f| case.fields.get(f))
            .and_then(|v| v.as_str().map(str::to_owned))
    });
    let pooled = td.assign.least_loaded || td.assign.specialism.is_some() || td.assign.specialism_from.is_some();
    let assignee = if pooled {
        let pool_department = (td.assign.department.as_deref() != Some("any")).then_some(department.as_str());
        org.pick_assignee(&role, pool_department, unit.as_deref(), specialism.as_deref())
            .map(UserId::from)
    } else {
        None
    };
    let id = TaskId::from(format!("{}:t{}", case.id, case.tasks.len() + 1));
    if let Some(u) = &assignee {
        out.events.push(Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::TaskAssigned {
                task: id.clone(),
                to_user: u.clone(),
            },
        });
    }
    case.tasks.push(TaskInstance {
        id,
        name: name.to_owned(),
        state: if assignee.is_some() {
            TaskState::Claimed
        } else {
            TaskState::Open
        },
        department,
        role,
        unit,
        assignee,
        created_at: now,
        closed_at: None,
        unstaffed: false,
    });
}

/// Moves `case` (already at its new version) from `from` (None when opening) into `to`.
/// `completing` names the action that caused the move, so its tasks complete rather than cancel.
pub(super) fn enter(
    cx: &Context<'_>,
    case: &mut Case,
    from: Option<&str>,
    to: &str,
    completing: Option<&str>,
    out: &mut Out,
) -> Result<(), Rejection> {
    let Context { def, actor, now, .. } = *cx;
    case.state = to.to_owned();
    let terminal = def.def.states.get(to).and_then(|s| s.terminal);

    // Tasks: close those not open in the new state, open those that are and have no live instance.
    for t in case.tasks.iter_mut().filter(|t| t.is_active()) {
        let Some(td) = def.def.tasks.get(&t.name) else { continue };
        if terminal.is_none() && runs_in(td.open_in.as_slice(), Some(to)) {
            continue;
        }
        let completes = completing.is_some_and(|a| {
            td.actions.iter().any(|x| x == a) || (td.actions.is_empty() && runs_in(td.open_in.as_slice(), from))
        });
        t.state = if completes {
            TaskState::Completed
        } else {
            TaskState::Cancelled
        };
        t.closed_at = Some(now);
    }
    if terminal.is_none() {
        for (name, td) in &def.def.tasks {
            if !runs_in(td.open_in.as_slice(), Some(to)) || case.tasks.iter().any(|t| t.name == *name && t.is_active())
            {
                continue;
            }
            open_task(cx, case, name, td, out);
        }
    }

    // Timers: cancel those that stop running, start those that begin.
    let mut stopped = Vec::new();
    for (name, t) in &def.def.timers {
        let before = runs_in(t.running_in.as_slice(), from);
        let after = terminal.is_none() && runs_in(t.running_in.as_slice(), Some(to));
        if before && !after {
            stopped.push(name.clone());
        } else if !before && after {
            let Some(d) = def.timers.get(name) else { continue };
            let due = def
                .calendar
                .add(now, *d)
                .map_err(|e| Rejection::Calendar(e.to_string()))?;
            let key = format!("{}/{name}/{}", case.id, case.version);
            out.effects.push(Effect::StartTimer {
                key: key.clone(),
                name: name.clone(),
                due_at: due.at,
            });
            case.timers.insert(
                name.clone(),
                OpenTimer {
                    key,
                    due_at: due.at,
                    provisional: due.provisional,
                },
            );
        }
    }
    crate::core::supervision::on_enter(def, case, from, to, actor, now, out)?;
    if terminal.is_some() {
        stopped.extend(case.timers.keys().cloned());
    }
    for name in stopped {
        if let Some(t) = case.timers.remove(&name) {
            out.effects.push(Effect::CancelTimer { key: t.key });
        }
    }

    if let Some(outcome) = terminal {
        case.status = CaseStatus::Closed(outcome);
        case.closed_at = Some(now);
        let outcome = serde_json::to_value(outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        out.events.push(Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::Closed { outcome },
        });
    } else {
        crate::core::staffing::check(cx.org, case, actor, now, out);
    }
    Ok(())
}

/// Applies effects declared on an action or on opening.
pub(super) fn declared_effects(
    cx: &Context<'_>,
    case: &mut Case,
    effects: &[DeclaredEffect],
    origin: &str,
    out: &mut Out,
) -> Result<(), Rejection> {
    let Context { def, org, actor, now } = *cx;
    for (i, e) in effects.iter().enumerate() {
        match e {
            DeclaredEffect::Notify(n) => out.effects.push(Effect::Notify {
                idempotency_key: format!("{}/{}/{origin}/{i}", case.id, case.version),
                template: n.template.clone(),
                to: n.to.clone(),
                channels: n.channels.clone(),
            }),
            DeclaredEffect::RaiseTier => {
                let (tier, unit) = match case.tier {
                    Tier::Community => (
                        Tier::Town,
                        case.unit.as_deref().and_then(|u| org.parent(u)).map(str::to_owned),
                    ),
                    Tier::Town | Tier::District => (Tier::District, Some(org.district().to_owned())),
                };
                if tier != case.tier {
                    case.tier = tier;
                    case.unit = unit;
                    // The unit's tasks move up with the case; a task for the whole district (no
                    // unit) already reaches everyone above the unit and stays so.
                    for t in case.tasks.iter_mut().filter(|t| t.is_active() && t.unit.is_some()) {
                        t.unit = if tier == Tier::District {
                            None
                        } else {
                            case.unit.clone()
                        };
                    }
                    out.events.push(Event {
                        actor: actor.id.clone(),
                        at: now,
                        kind: EventKind::TierRaised {
                            tier: tier.as_str().to_owned(),
                        },
                    });
                }
            }
            DeclaredEffect::Assign(a) => {
                let from_field = match &a.department_from {
                    Some(f) => {
                        let v = case.fields.get(f).and_then(Value::as_str).unwrap_or_default();
                        if !org.file.departments.contains_key(v) {
                            return Err(Rejection::InvalidField {
                                field: f.clone(),
                                problem: if v.is_empty() {
                                    "name the department that handles the case".to_owned()
                                } else {
                                    format!("`{v}` is not a department of the organisation")
                                },
                            });
                        }
                        Some(v.to_owned())
                    }
                    None => None,
                };
                if let Some(d) = from_field.as_ref().or(a.department.as_ref()) {
                    if case.department != *d {
                        out.events.push(Event {
                            actor: actor.id.clone(),
                            at: now,
                            kind: EventKind::DepartmentChanged { department: d.clone() },
                        });
                    }
                    case.department = d.clone();
                    for t in case.tasks.iter_mut().filter(|t| t.is_active()) {
                        t.department = d.clone();
                        t.assignee = None;
                        t.state = TaskState::Open;
                    }
                }
                if let Some(tier) = a.tier {
                    case.tier = tier;
                }
            }
            DeclaredEffect::Supervise(s) => {
                // Major items are submitted for supervision: the rung fires at once.
                out.events.push(Event {
                    actor: actor.id.clone(),
                    at: now,
                    kind: EventKind::SupervisionRequested { rung: s.rung.clone() },
                });
                if !case.rungs.contains(&s.rung) {
                    crate::core::supervision::fire_rung(def, org, case, &s.rung, actor, now, out)?;
                }
            }
        }
    }
    Ok(())
}
