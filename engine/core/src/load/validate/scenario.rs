//! Checks of scenarios against the case types they drive.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn check_scenario(ctx: &Ctx, s: &Loaded<crate::model::ScenarioFile>, diags: &mut Diagnostics) {
    let (file, spans, sc) = (s.file.as_path(), &s.spans, &s.value);
    if chrono::NaiveDateTime::parse_from_str(&sc.start, "%Y-%m-%dT%H:%M").is_err() {
        diags
            .at(file, spans.value("start"), "start")
            .hint("write a local date and time, e.g. `2026-09-30T16:00`")
            .error("Y0205", format!("`{}` is not a date and time", sc.start));
    }
    if let Some(ch) = &sc.channel {
        check_ref(
            Site { file, spans },
            "channel",
            ch,
            "intake channel",
            "Y0310",
            ctx.org.channels.keys().map(String::as_str),
            diags,
        );
    }
    if !check_ref(
        Site { file, spans },
        "case_type",
        &sc.case_type,
        "case type",
        "Y0312",
        ctx.known(FileKind::CaseType),
        diags,
    ) {
        return;
    }
    let Some(ct) = ctx.bundle.case_type(&sc.case_type) else {
        return;
    };
    let c = &ct.value;
    let fields: Vec<&str> = c.fields.keys().map(String::as_str).collect();
    for k in sc.fields.keys() {
        check_ref(
            Site { file, spans },
            &format!("fields.{k}"),
            k,
            "field",
            "Y0309",
            fields.iter().copied(),
            diags,
        );
    }
    let rungs: Vec<String> = c
        .sla
        .as_ref()
        .and_then(|s| s.ladder.as_deref())
        .and_then(|l| ctx.bundle.ladder(l))
        .map(|l| l.value.rungs.keys().cloned().collect())
        .unwrap_or_default();
    // A ladder that failed to load is reported in its own file; its rungs are not checked here.
    let ladder_broken = c
        .sla
        .as_ref()
        .and_then(|s| s.ladder.as_deref())
        .is_some_and(|l| ctx.bundle.is_broken(FileKind::Ladder, l));
    for (i, step) in sc.steps.iter().enumerate() {
        let p = format!("steps[{i}]");
        match step {
            crate::model::scenario::Step::Act(a) => {
                check_ref(
                    Site { file, spans },
                    &format!("{p}.act.action"),
                    &a.action,
                    "action",
                    "Y0302",
                    c.actions.keys().map(String::as_str),
                    diags,
                );
                check_ref(
                    Site { file, spans },
                    &format!("{p}.act.as"),
                    &a.user,
                    "user",
                    "Y0315",
                    ctx.org.users.keys().map(String::as_str),
                    diags,
                );
                if let Some(u) = &a.assign_to {
                    check_ref(
                        Site { file, spans },
                        &format!("{p}.act.assign_to"),
                        u,
                        "user",
                        "Y0315",
                        ctx.org.users.keys().map(String::as_str),
                        diags,
                    );
                }
                for k in a.fields.keys() {
                    check_ref(
                        Site { file, spans },
                        &format!("{p}.act.fields.{k}"),
                        k,
                        "field",
                        "Y0309",
                        fields.iter().copied(),
                        diags,
                    );
                }
            }
            crate::model::scenario::Step::Advance(d) => {
                let dp = format!("{p}.advance");
                parse_duration(file, spans, &dp, d, diags);
            }
            crate::model::scenario::Step::Expect(e) => {
                let rungs = (!ladder_broken).then_some(rungs.as_slice());
                check_expectation(Site { file, spans }, c, &p, e, rungs, diags);
            }
        }
    }
}

/// A scenario's `expect` step: known state, tasks and rungs (`rungs` is `None` when the ladder
/// failed to load, reported in its own file), an SLA status and a local due date and time.
fn check_expectation(
    site: Site<'_>,
    c: &crate::model::CaseTypeFile,
    p: &str,
    e: &crate::model::scenario::Expect,
    rungs: Option<&[String]>,
    diags: &mut Diagnostics,
) {
    let Site { file, spans } = site;
    if let Some(st) = &e.state {
        check_ref(
            Site { file, spans },
            &format!("{p}.expect.state"),
            st,
            "state",
            "Y0301",
            c.states.keys().map(String::as_str),
            diags,
        );
    }
    for (j, t) in e.tasks.iter().flatten().enumerate() {
        check_ref(
            Site { file, spans },
            &format!("{p}.expect.tasks[{j}]"),
            t,
            "task",
            "Y0302",
            c.tasks.keys().map(String::as_str),
            diags,
        );
    }
    for (j, r) in e.rungs.iter().flatten().enumerate().filter(|_| rungs.is_some()) {
        check_ref(
            Site { file, spans },
            &format!("{p}.expect.rungs[{j}]"),
            r,
            "rung",
            "Y0314",
            rungs.unwrap_or_default().iter().map(String::as_str),
            diags,
        );
    }
    if let Some(sla) = &e.sla {
        check_ref(
            Site { file, spans },
            &format!("{p}.expect.sla"),
            sla,
            "SLA status",
            "Y0204",
            ["on_time", "warning", "breached", "paused", "stopped"],
            diags,
        );
    }
    if let Some(due) = &e.due
        && chrono::NaiveDateTime::parse_from_str(due, "%Y-%m-%dT%H:%M").is_err()
    {
        let dp = format!("{p}.expect.due");
        diags
            .at(file, spans.value(&dp), dp)
            .hint("write a local date and time, e.g. `2026-10-10T16:00`")
            .error("Y0205", format!("`{due}` is not a date and time"));
    }
}
