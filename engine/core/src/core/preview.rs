//! "What will fire when": for an open case, the SLA's warnings and due instant, the rungs of the
//! ladder that would follow, and the declared timers — under the current calendar and pauses.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::case::Case;
use super::definition::CompiledCaseType;
use super::sla::SlaStatus;
use crate::duration::Duration;
use crate::model::ladder::Trigger;

/// One thing that will happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upcoming {
    /// When.
    pub at: DateTime<Utc>,
    /// What: `sla_warning`, `sla_due`, `rung`, `timer`.
    pub kind: &'static str,
    /// Its name (the warning's fraction, the rung's or timer's id).
    pub name: String,
    /// True when a year without a published holiday notice is involved.
    pub provisional: bool,
    /// True when this is an estimate that assumes nothing else happens first (later rungs).
    pub estimate: bool,
}

/// The timeline of an open case at `now`, in order; with the SLA status.
pub fn timeline(def: &CompiledCaseType, case: &Case, now: DateTime<Utc>) -> (Option<SlaStatus>, Vec<Upcoming>) {
    let mut out = Vec::new();
    let mut status = None;
    let mut unbreached_due = None;
    for (name, t) in &case.timers {
        if name.starts_with("sla:") {
            continue;
        }
        let (kind, name) = match name.strip_prefix("rung:") {
            Some(r) => ("rung", r.to_owned()),
            None => ("timer", name.clone()),
        };
        out.push(Upcoming {
            at: t.due_at,
            kind,
            name,
            provisional: t.provisional,
            estimate: false,
        });
    }
    if let Some(clock) = &case.sla {
        let derived = clock.derive(&def.calendar, &def.warn_at, now).ok().flatten();
        status = Some(clock.status(derived.as_ref(), now));
        if let Some(d) = derived.filter(|_| clock.running()) {
            let warn_text = def.def.sla.as_ref().map(|s| s.warn_at.clone()).unwrap_or_default();
            for (i, w) in d.warnings.iter().enumerate() {
                if !clock.warned.contains(&i) {
                    out.push(Upcoming {
                        at: *w,
                        kind: "sla_warning",
                        name: warn_text.get(i).cloned().unwrap_or_default(),
                        provisional: d.provisional,
                        estimate: false,
                    });
                }
            }
            if !clock.breached {
                unbreached_due = Some((d.due, d.provisional));
                out.push(Upcoming {
                    at: d.due,
                    kind: "sla_due",
                    name: clock.budget.clone(),
                    provisional: d.provisional,
                    estimate: false,
                });
            }
        }
    }
    ladder_ahead(def, case, unbreached_due, &mut out);
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.name.cmp(&b.name)));
    (status, out)
}

/// The rungs still to come, as estimates: after the rung whose timer is pending (that one is
/// listed from its timer), or, when none has fired yet, from the breach (`unbreached_due`). A
/// ladder that stopped — an answer accepted, a manual rung next, the last rung fired — lists
/// nothing more, and no rung is listed twice.
fn ladder_ahead(
    def: &CompiledCaseType,
    case: &Case,
    unbreached_due: Option<(DateTime<Utc>, bool)>,
    out: &mut Vec<Upcoming>,
) {
    let Some(ladder) = &def.ladder else { return };
    let pending = case
        .timers
        .iter()
        .find_map(|(n, t)| n.strip_prefix("rung:").map(|r| (r, t)));
    let (skip, mut at, provisional) = match (pending, case.rungs.is_empty(), unbreached_due) {
        (Some((rung, t)), _, _) => match ladder.rungs.get_index_of(rung) {
            Some(i) => (i + 1, t.due_at, t.provisional),
            None => return,
        },
        (None, true, Some((due, provisional))) => (0, due, provisional),
        _ => return,
    };
    for (id, rung) in ladder.rungs.iter().skip(skip) {
        if case.rungs.contains(id) {
            continue;
        }
        match &rung.trigger {
            Trigger::Breach if skip == 0 => {}
            Trigger::Breach | Trigger::Manual => break,
            Trigger::AfterPrevious(s) => {
                let Some(next) = s
                    .parse::<Duration>()
                    .ok()
                    .and_then(|dur| def.calendar.add(at, dur).ok())
                else {
                    break;
                };
                at = next.at;
            }
        }
        out.push(Upcoming {
            at,
            kind: "rung",
            name: id.clone(),
            provisional,
            estimate: !matches!(rung.trigger, Trigger::Breach),
        });
    }
}
