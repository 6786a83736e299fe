//! Checks of supervision ladders and periodic schedules.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn check_ladder(ctx: &Ctx, l: &Loaded<crate::model::LadderFile>, diags: &mut Diagnostics) {
    let (file, spans) = (l.file.as_path(), &l.spans);
    let roles: Vec<&str> = ctx.org.roles.keys().map(String::as_str).collect();
    let mut prev_level = 0u8;
    for (i, (rid, r)) in l.value.rungs.iter().enumerate() {
        let p = format!("rungs.{rid}");
        if r.level < prev_level {
            diags
                .at(file, spans.value(&format!("{p}.level")), format!("{p}.level"))
                .hint("list rungs from the lowest level up")
                .error("Y0206", format!("level {} comes after level {prev_level}", r.level));
        }
        prev_level = r.level;
        match &r.trigger {
            crate::model::ladder::Trigger::AfterPrevious(d) => {
                if i == 0 {
                    diags
                        .at(file, spans.value(&format!("{p}.trigger")), format!("{p}.trigger"))
                        .hint("the first rung fires on `breach` or `manual`")
                        .error("Y0203", "the first rung has no previous rung to follow");
                }
                parse_duration(file, spans, &format!("{p}.trigger.after_previous"), d, diags);
            }
            crate::model::ladder::Trigger::Breach | crate::model::ladder::Trigger::Manual => {}
        }
        if !ctx.bundle.templates.contains_key(&r.template) {
            check_ref(
                Site { file, spans },
                &format!("{p}.template"),
                &r.template,
                "template",
                "Y0308",
                ctx.known(FileKind::TemplateHeader),
                diags,
            );
        }
        if r.channels.is_empty() {
            diags
                .at(file, spans.value(&format!("{p}.channels")), format!("{p}.channels"))
                .error("Y0207", "the rung has no channel to send on");
        }
        check_recipients(
            ctx,
            file,
            spans,
            &format!("{p}.recipients"),
            &r.recipients,
            &roles,
            diags,
        );
        parse_duration(file, spans, &format!("{p}.answer_within"), &r.answer_within, diags);
    }
    if l.value.rungs.is_empty() {
        diags
            .at(file, spans.value("rungs"), "rungs")
            .error("Y0207", "the ladder has no rungs");
    }
}

pub(super) fn check_schedules(ctx: &Ctx, s: &Loaded<crate::model::SchedulesFile>, diags: &mut Diagnostics) {
    let (file, spans) = (s.file.as_path(), &s.spans);
    let roles: Vec<&str> = ctx.org.roles.keys().map(String::as_str).collect();
    if let Some(sat) = &s.value.satisfaction {
        check_satisfaction(ctx, Site { file, spans }, sat, diags);
    }
    for (jid, j) in &s.value.jobs {
        let p = format!("jobs.{jid}");
        if let Err(e) = crate::schedule::parse(&j.cron) {
            diags
                .at(file, spans.value(&format!("{p}.cron")), format!("{p}.cron"))
                .hint("seven fields: `sec min hour day-of-month month day-of-week year`, e.g. `0 0 9 * * MON *`; day-of-week 1 = Sunday")
                .error("Y0801", e.to_string());
        }
        if let Some(t) = &j.template
            && !ctx.bundle.templates.contains_key(t)
        {
            check_ref(
                Site { file, spans },
                &format!("{p}.template"),
                t,
                "template",
                "Y0308",
                ctx.known(FileKind::TemplateHeader),
                diags,
            );
        }
        for (i, r) in j.distribute_to.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("{p}.distribute_to[{i}]"),
                r,
                "role",
                "Y0304",
                roles.iter().copied(),
                diags,
            );
        }
        if let Some(r) = &j.review {
            check_ref(
                Site { file, spans },
                &format!("{p}.review.case_type"),
                &r.case_type,
                "case type",
                "Y0312",
                ctx.known(FileKind::CaseType),
                diags,
            );
            check_ref(
                Site { file, spans },
                &format!("{p}.review.channel"),
                &r.channel,
                "intake channel",
                "Y0310",
                ctx.org.channels.keys().map(String::as_str),
                diags,
            );
        }
        let wants = |what: &str, missing: bool, diags: &mut Diagnostics| {
            if missing {
                diags
                    .at(file, spans.value(&p), p.clone())
                    .hint(format!("add `{what}:` to the job"))
                    .error("Y0203", format!("a `{}` job needs `{what}`", j.kind.as_str()));
            }
        };
        match j.kind {
            crate::model::schedule::JobKind::SpotCheck => {
                wants("sample", j.sample.is_none(), diags);
                wants("review", j.review.is_none(), diags);
            }
            crate::model::schedule::JobKind::Assessment => wants("scoring", j.scoring.is_none(), diags),
            crate::model::schedule::JobKind::Bulletin => {}
        }
        if let Some(sc) = &j.scoring {
            for (level, _) in &sc.deductions {
                if !(1..=3).contains(level) {
                    diags
                        .at(
                            file,
                            spans.value(&format!("{p}.scoring.deductions")),
                            format!("{p}.scoring.deductions"),
                        )
                        .hint("supervision levels are 1, 2 and 3")
                        .error("Y0206", format!("there is no supervision level {level}"));
                }
            }
        }
    }
}

/// The satisfaction field must be an `enum` field of some case type, and every value counted
/// must be one of its values there: a misspelt value would silently count nobody.
fn check_satisfaction(ctx: &Ctx, site: Site<'_>, sat: &crate::model::schedule::Satisfaction, diags: &mut Diagnostics) {
    let Site { file, spans } = site;
    let options: Vec<&str> = ctx
        .bundle
        .case_types
        .iter()
        .filter_map(|c| c.value.fields.get(&sat.field))
        .filter(|f| f.ty == crate::model::case_type::FieldType::Enum)
        .filter_map(|f| f.values.as_ref())
        .flat_map(|v| v.keys().map(String::as_str))
        .collect();
    if options.is_empty() {
        diags
            .at(file, spans.value("satisfaction.field"), "satisfaction.field")
            .hint("name the `enum` field where the follow-up call records the citizen's verdict")
            .error("Y0802", format!("no case type has an `enum` field `{}`", sat.field));
        return;
    }
    for (key, values) in [("satisfied", &sat.satisfied), ("unsatisfied", &sat.unsatisfied)] {
        for (i, v) in values.iter().enumerate() {
            if !options.contains(&v.as_str()) {
                let p = format!("satisfaction.{key}[{i}]");
                diags
                    .at(file, spans.value(&p), p)
                    .hint(format!("the values of `{}` are {}", sat.field, options.join(", ")))
                    .error("Y0802", format!("`{v}` is not a value of the field `{}`", sat.field));
            }
        }
    }
}
