//! Checks of a case type's clocks: its timers, its SLA (budget, pauses, warnings, extensions)
//! and whether the calendar covers a deadline started today.

use super::case_type::Scope;
#[allow(clippy::wildcard_imports)]
use super::*;

/// The timers; returns their durations for the calendar-coverage check.
pub(super) fn check_timers(k: &Scope<'_>, diags: &mut Diagnostics) -> Vec<(String, Duration)> {
    let Scope {
        ctx,
        file,
        spans,
        c,
        roles,
        states,
        actions,
        ..
    } = *k;
    // Timers.
    let mut durations: Vec<(String, Duration)> = Vec::new();
    for (tid, t) in &c.timers {
        let p = format!("timers.{tid}");
        for s in t.running_in.as_slice() {
            let sp = list_item_path(&format!("{p}.running_in"), t.running_in.as_slice(), s);
            check_ref(
                Site { file, spans },
                &sp,
                s,
                "state",
                "Y0301",
                states.iter().copied(),
                diags,
            );
        }
        if let Some(d) = parse_duration(file, spans, &format!("{p}.after"), &t.after, diags) {
            durations.push((format!("{p}.after"), d));
        }
        match (&t.action, &t.notify) {
            (None, None) => diags
                .at(file, spans.value(&p), p.clone())
                .hint("give the timer an `action` to take or a `notify` to send")
                .error("Y0203", "the timer does nothing when it expires"),
            (Some(a), _) => {
                if check_ref(
                    Site { file, spans },
                    &format!("{p}.action"),
                    a,
                    "action",
                    "Y0302",
                    actions.iter().copied(),
                    diags,
                ) && let Some(action) = c.actions.get(a)
                {
                    for s in t.running_in.as_slice() {
                        if !action.from.as_slice().contains(s) {
                            diags
                                .at(file, spans.value(&format!("{p}.action")), format!("{p}.action"))
                                .hint(format!(
                                    "add `{s}` to the `from` of action `{a}`, or run the timer only where it applies"
                                ))
                                .error(
                                    "Y0302",
                                    format!("the timer runs in `{s}`, where action `{a}` cannot be taken"),
                                );
                        }
                    }
                }
            }
            (None, Some(_)) => {}
        }
        if let Some(n) = &t.notify {
            check_notify(ctx, file, spans, &format!("{p}.notify"), n, roles, diags);
        }
    }
    durations
}

/// The SLA: its budget, pauses, warnings and extensions (durations added to `durations`).
pub(super) fn check_sla(k: &Scope<'_>, durations: &mut Vec<(String, Duration)>, diags: &mut Diagnostics) {
    let Scope {
        ctx,
        file,
        spans,
        c,
        roles,
        states,
        ..
    } = *k;
    // SLA.
    if let Some(sla) = &c.sla {
        if let Some(d) = parse_duration(file, spans, "sla.budget", &sla.budget, diags) {
            durations.push(("sla.budget".into(), d));
        }
        if let Some(s) = &sla.starts_in {
            check_ref(
                Site { file, spans },
                "sla.starts_in",
                s,
                "state",
                "Y0301",
                states.iter().copied(),
                diags,
            );
        }
        for (i, s) in sla.stops_in.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("sla.stops_in[{i}]"),
                s,
                "state",
                "Y0301",
                states.iter().copied(),
                diags,
            );
        }
        for (i, s) in sla.paused_in.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("sla.paused_in[{i}]"),
                s,
                "state",
                "Y0301",
                states.iter().copied(),
                diags,
            );
        }
        let mut last = 0.0;
        for (i, w) in sla.warn_at.iter().enumerate() {
            let p = format!("sla.warn_at[{i}]");
            match crate::duration::fraction(w) {
                Some(f) if f > 0.0 && f < 1.0 => {
                    if f <= last {
                        diags
                            .at(file, spans.value(&p), p)
                            .hint("list warnings from the earliest")
                            .error("Y0206", "warnings must be in increasing order");
                    }
                    last = f;
                }
                _ => diags
                    .at(file, spans.value(&p), p)
                    .hint("write a fraction of the budget between 0 and 1, e.g. `\"2/3\"` or `\"75%\"`")
                    .error("Y0206", format!("`{w}` is not a fraction of the budget")),
            }
        }
        if let Some(n) = &sla.warning_notify {
            check_notify(ctx, file, spans, "sla.warning_notify", n, roles, diags);
        }
        if let Some(x) = &sla.extensions {
            if let Some(d) = parse_duration(file, spans, "sla.extensions.by", &x.by, diags) {
                let budget_working = sla.budget.parse::<Duration>().map(|b| b.working).ok();
                if budget_working.is_some_and(|w| w != d.working) {
                    diags
                        .at(file, spans.value("sla.extensions.by"), "sla.extensions.by")
                        .hint("count an extension like the budget: both in working time or both in calendar time")
                        .error("Y0701", "the extension is not counted like the budget");
                }
                durations.push(("sla.extensions.by".into(), d));
            }
            for (i, r) in x.approvers.iter().enumerate() {
                check_ref(
                    Site { file, spans },
                    &format!("sla.extensions.approvers[{i}]"),
                    r,
                    "role",
                    "Y0304",
                    roles.iter().copied(),
                    diags,
                );
            }
        }
        if let Some(l) = &sla.ladder {
            check_ref(
                Site { file, spans },
                "sla.ladder",
                l,
                "ladder",
                "Y0307",
                ctx.known(FileKind::Ladder),
                diags,
            );
        }
    }
}

/// Calendar coverage: a deadline started today must be computable.
pub(super) fn check_coverage(k: &Scope<'_>, durations: &[(String, Duration)], diags: &mut Diagnostics) {
    let Scope {
        opts, file, spans, cal, ..
    } = *k;
    // Calendar coverage: a deadline started today must be computable.
    if let Some(cal) = cal
        && !cal.has_provisional_rule()
    {
        let last = cal.years().map(|(y, _)| y).max().unwrap_or(0);
        let today = opts.today.in_zone(cal.timezone());
        for (p, d) in durations {
            let reach = today + Span::days(d.approx_days().ceil() as i64);
            if reach.year() > last {
                diags
                    .at(file, spans.value(p), p.clone())
                    .hint(format!(
                        "add {} to calendar `{}`, or give it a `provisional:` rule",
                        reach.year(),
                        cal.id()
                    ))
                    .error(
                        "Y0702",
                        format!(
                            "a deadline of {d} started today would need calendar data for {}, which `{}` does not have",
                            reach.year(),
                            cal.id()
                        ),
                    );
            }
        }
    }
}
