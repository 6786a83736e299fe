//! Coverage: every task of a case type reaches a person. For every unit a case can be opened in
//! (every unit of the organisation, moved to the case type's tier as opening does), every
//! department the task can be in (its own, or the handling department and every department an
//! action or a field can hand the case to) and every tier a raise can take the case to, the task
//! is routed as the engine routes it; a (department, unit, role) nobody may claim is a warning
//! (Y0902) at the task, naming the places. At run time such a task waits in the unstaffed queue.

use std::collections::BTreeSet;

use super::{Ctx, Loaded};
use crate::diag::Diagnostics;
use crate::model::case_type::{CaseTypeFile, Effect, Task};
use crate::model::{OrganisationFile, Tier};

/// The most places named in one warning.
const NAMED: usize = 6;

/// Warns at each task of `ct` that some opening can route to nobody.
pub(super) fn check_coverage(ctx: &Ctx, ct: &Loaded<CaseTypeFile>, diags: &mut Diagnostics) {
    let c = &ct.value;
    let org = ctx.org;
    let departments = handling_departments(c);
    let raises = can_raise(ctx, c);
    for (tid, t) in &c.tasks {
        let Some(role) = t.assign.role.as_deref() else { continue };
        let task_departments: Vec<&str> = match t.assign.department.as_deref() {
            Some("any") => continue,
            None | Some("handling") => departments.iter().map(String::as_str).collect(),
            Some(d) => vec![d],
        };
        let pooled = t.assign.least_loaded || t.assign.specialism.is_some() || t.assign.specialism_from.is_some();
        let mut missing: BTreeSet<(String, String)> = BTreeSet::new();
        for (origin, (tier, unit)) in places(ctx.org, c.tier, raises) {
            let task_unit = task_unit(org, t, tier, &unit, &origin);
            for d in &task_departments {
                let reached = reaches(org, d, role, task_unit.as_deref(), pooled);
                if !reached {
                    let at = task_unit
                        .as_deref()
                        .map_or_else(|| "any unit".to_owned(), |u| unit_name(ctx.org, u));
                    missing.insert(((*d).to_owned(), at));
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let mut named: Vec<String> = missing
            .iter()
            .take(NAMED)
            .map(|(d, u)| format!("`{d}` at {u}"))
            .collect();
        if missing.len() > NAMED {
            named.push(format!("and {} more", missing.len() - NAMED));
        }
        let path = format!("tasks.{tid}");
        diags
            .at(&ct.file, ct.spans.key(&path), path)
            .hint(
                "add users holding the role there, give the task a tier whose unit has them (`assign: { tier: district }`), \
                 or let the dispatching action choose the department; until then such tasks wait in the unstaffed queue \
                 of the department's heads and the dispatching clerks",
            )
            .warning(
                "Y0902",
                format!("task `{tid}` can reach role `{role}` where nobody holds it: {}", named.join(", ")),
            );
    }
}

/// The departments a task of the handling department can be in: the case type's, and every one
/// an assignment can hand the case to (named, or the values of the field it reads).
fn handling_departments(c: &CaseTypeFile) -> BTreeSet<String> {
    let mut out = BTreeSet::from([c.department.clone()]);
    let effects = c
        .actions
        .values()
        .flat_map(|a| a.effects.iter())
        .chain(c.on_open.iter());
    for e in effects {
        let Effect::Assign(a) = e else { continue };
        out.extend(a.department.iter().cloned());
        if let Some(values) = a
            .department_from
            .as_ref()
            .and_then(|f| c.fields.get(f))
            .and_then(|f| f.values.as_ref())
        {
            out.extend(values.keys().cloned());
        }
    }
    out
}

/// Whether a case of `c` can be raised to a higher tier (an action's effect, an assignment's
/// tier, or a rung of its ladder).
fn can_raise(ctx: &Ctx, c: &CaseTypeFile) -> bool {
    let by_action = c
        .actions
        .values()
        .flat_map(|a| a.effects.iter())
        .any(|e| matches!(e, Effect::RaiseTier) || matches!(e, Effect::Assign(a) if a.tier.is_some()));
    let ladder = c.sla.as_ref().and_then(|s| s.ladder.as_deref());
    let by_rung = ctx
        .bundle
        .ladders
        .iter()
        .filter(|l| Some(l.value.id.as_str()) == ladder)
        .any(|l| l.value.rungs.values().any(|r| r.raises_tier));
    by_action || by_rung
}

/// Every (origin unit, (tier, unit)) a case can sit at: opened in each unit, moved up to the
/// case type's tier as opening does, and, when it can be raised, each unit above.
fn places(org: &OrganisationFile, declared: Option<Tier>, raises: bool) -> Vec<(String, (Tier, String))> {
    let tier_of = |u: &str| org.units.get(u).map_or(Tier::District, |x| x.tier);
    let parent = |u: &str| org.units.get(u).and_then(|x| x.parent.clone());
    let mut out = Vec::new();
    for origin in org.units.keys() {
        let tier = declared.unwrap_or_else(|| tier_of(origin));
        let mut unit = origin.clone();
        for _ in 0..8 {
            match parent(&unit) {
                Some(p) if tier_of(&unit) > tier => unit = p,
                _ => break,
            }
        }
        out.push((origin.clone(), (tier, unit.clone())));
        if raises {
            let mut at = unit;
            for _ in 0..8 {
                let Some(p) = parent(&at) else { break };
                out.push((origin.clone(), (tier_of(&p), p.clone())));
                at = p;
            }
        }
    }
    out
}

/// Whether a task for `role` in `department` and `unit` reaches someone: a user who may claim
/// it (the engine's `Organisation::may_claim`: in the department, holding the role, in the
/// task's unit when it has one), or, for a pooled task, one the pool picks (a holder of the
/// role of no department or this one, in the unit when it has one).
fn reaches(org: &OrganisationFile, department: &str, role: &str, unit: Option<&str>, pooled: bool) -> bool {
    org.users.values().any(|u| {
        let in_unit = unit.is_none_or(|x| x == u.unit);
        let holds = u.roles.iter().any(|r| r == role);
        let claims = u.department.as_deref() == Some(department);
        let picked = pooled && u.department.as_deref().is_none_or(|d| d == department);
        holds && in_unit && (claims || picked)
    })
}

/// The unit a task is opened for, as the engine's `open_task` decides it.
fn task_unit(org: &OrganisationFile, t: &Task, tier: Tier, unit: &str, origin: &str) -> Option<String> {
    match (t.assign.tier, tier) {
        (Some(Tier::District), _) | (None, Tier::District) => None,
        (Some(want), at) if want > at => {
            let mut u = origin;
            for _ in 0..8 {
                let Some(x) = org.units.get(u) else { break };
                match x.tier {
                    t if t == want => return Some(u.to_owned()),
                    t if t > want => u = x.parent.as_deref()?,
                    _ => break,
                }
            }
            Some(unit.to_owned())
        }
        _ => Some(unit.to_owned()),
    }
}

/// A unit as the warning names it: its Chinese name and id.
fn unit_name(org: &OrganisationFile, unit: &str) -> String {
    org.units.get(unit).map_or_else(
        || format!("`{unit}`"),
        |u| format!("{} (`{unit}`)", u.name.get("zh-CN")),
    )
}
