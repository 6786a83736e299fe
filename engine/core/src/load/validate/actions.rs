//! Checks of actions, their effects, guards and message recipients.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn check_effects(
    ctx: &Ctx,
    file: &Path,
    spans: &SpanIndex,
    c: &CaseTypeFile,
    base: &str,
    effects: &[Effect],
    diags: &mut Diagnostics,
) {
    let depts: Vec<&str> = ctx.org.departments.keys().map(String::as_str).collect();
    let roles: Vec<&str> = ctx.org.roles.keys().map(String::as_str).collect();
    for (i, e) in effects.iter().enumerate() {
        let ep = format!("{base}[{i}]");
        match e {
            Effect::Notify(n) => {
                check_notify(ctx, file, spans, &format!("{ep}.notify"), n, &roles, diags);
                if n.to.iter().any(|r| r.citizen) && c.citizen.as_ref().and_then(|cz| cz.phone.as_ref()).is_none() {
                    diags
                        .at(file, spans.value(&format!("{ep}.notify.to")), format!("{ep}.notify.to"))
                        .hint("declare `citizen: {name: <field>, phone: <field>}` in the case type")
                        .error(
                            "Y0901",
                            "the message goes to the citizen, but the case type names no citizen phone field",
                        );
                }
            }
            Effect::RaiseTier => {}
            Effect::Assign(asg) => {
                if let Some(f) = &asg.department_from {
                    let known = check_ref(
                        Site { file, spans },
                        &format!("{ep}.assign.department_from"),
                        f,
                        "field",
                        "Y0309",
                        c.fields.keys().map(String::as_str),
                        diags,
                    );
                    let wrong: Vec<&str> = c
                        .fields
                        .get(f)
                        .and_then(|fd| fd.values.as_ref())
                        .map(|vs| vs.keys().map(String::as_str).filter(|v| !depts.contains(v)).collect())
                        .unwrap_or_default();
                    if known && !wrong.is_empty() {
                        diags
                            .at(
                                file,
                                spans.value(&format!("{ep}.assign.department_from")),
                                format!("{ep}.assign.department_from"),
                            )
                            .hint("the field's values must be department ids from organisation.yaml")
                            .error(
                                "Y0316",
                                format!(
                                    "field `{f}` offers values that are not departments: {}",
                                    wrong.join(", ")
                                ),
                            );
                    }
                }
                if let Some(d) = &asg.department {
                    check_ref(
                        Site { file, spans },
                        &format!("{ep}.assign.department"),
                        d,
                        "department",
                        "Y0303",
                        depts.iter().copied(),
                        diags,
                    );
                }
                if let Some(r) = &asg.role {
                    check_ref(
                        Site { file, spans },
                        &format!("{ep}.assign.role"),
                        r,
                        "role",
                        "Y0304",
                        roles.iter().copied(),
                        diags,
                    );
                }
            }
            Effect::Supervise(s) => {
                let ladder_id = c.sla.as_ref().and_then(|s| s.ladder.as_deref());
                if ladder_id.is_some_and(|l| ctx.bundle.is_broken(FileKind::Ladder, l)) {
                    continue;
                }
                match ladder_id.and_then(|l| ctx.bundle.ladder(l)) {
                    Some(l) => {
                        check_ref(
                            Site { file, spans },
                            &format!("{ep}.supervise.rung"),
                            &s.rung,
                            "rung",
                            "Y0314",
                            l.value.rungs.keys().map(String::as_str),
                            diags,
                        );
                    }
                    None => diags
                        .at(file, spans.value(&format!("{ep}.supervise")), format!("{ep}.supervise"))
                        .hint("name a ladder under `sla.ladder`")
                        .error("Y0307", "this case type has no supervision ladder to open a record on"),
                }
            }
        }
    }
}

/// The ids a case type's actions may name.
pub(super) struct Known<'a> {
    pub(super) states: &'a [&'a str],
    pub(super) fields: &'a [&'a str],
    pub(super) roles: &'a [&'a str],
    pub(super) depts: &'a [&'a str],
    pub(super) names: &'a Names,
}

pub(super) fn check_action(ctx: &Ctx, site: Site<'_>, p: &str, a: &Action, known: &Known<'_>, diags: &mut Diagnostics) {
    let Site { file, spans } = site;
    let Known {
        states,
        fields,
        roles,
        depts,
        names,
    } = *known;
    for s in a.from.as_slice() {
        let fp = list_item_path(&format!("{p}.from"), a.from.as_slice(), s);
        check_ref(
            Site { file, spans },
            &fp,
            s,
            "state",
            "Y0301",
            states.iter().copied(),
            diags,
        );
    }
    check_ref(
        Site { file, spans },
        &format!("{p}.to"),
        &a.to,
        "state",
        "Y0301",
        states.iter().copied(),
        diags,
    );
    if let Some(who) = &a.allowed {
        if who.roles.is_empty() {
            diags
                .at(
                    file,
                    spans.value(&format!("{p}.allowed.roles")),
                    format!("{p}.allowed.roles"),
                )
                .hint("name at least one role, or remove `allowed` for actions only the engine takes")
                .error("Y0207", "no role may take this action");
        }
        for (i, r) in who.roles.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("{p}.allowed.roles[{i}]"),
                r,
                "role",
                "Y0304",
                roles.iter().copied(),
                diags,
            );
        }
        for (i, d) in who.departments.iter().enumerate() {
            if d != "handling" {
                check_ref(
                    Site { file, spans },
                    &format!("{p}.allowed.departments[{i}]"),
                    d,
                    "department",
                    "Y0303",
                    depts.iter().copied(),
                    diags,
                );
            }
        }
    }
    for (i, f) in a.requires.iter().enumerate() {
        check_ref(
            Site { file, spans },
            &format!("{p}.requires[{i}]"),
            f,
            "field",
            "Y0309",
            fields.iter().copied(),
            diags,
        );
    }
    if let Some(g) = &a.guard {
        let gp = format!("{p}.guard");
        let base = spans.value(&gp);
        // Column of the guard text inside the line: quoted scalars start one character later.
        let offset = guard_offset(ctx, file, base);
        match expr::parse(g) {
            Err(e) => diags
                .at(file, Pos::new(base.line, base.column + offset + e.col - 1), gp)
                .error("Y0501", format!("the guard does not parse: {}", e.message)),
            Ok(e) => {
                let errors = expr::check(&e, names);
                // A sound guard without words for the person it stops.
                if errors.is_empty() && a.guard_reason.is_none() {
                    diags
                        .at(file, spans.key(&gp), gp.clone())
                        .hint("add `guard_reason: { zh-CN: …, en: … }` saying what must be true first, as a person would")
                        .warning(
                            "Y0504",
                            "the guard has no `guard_reason`: a person shown the action disabled, or refused, is told nothing they can act on",
                        );
                }
                for err in errors {
                    diags
                        .at(file, Pos::new(base.line, base.column + offset + err.col - 1), &gp)
                        .maybe_hint(err.hint)
                        .error(err.code, err.message);
                }
            }
        }
    }
}

/// 1 when the scalar at `pos` starts with a quote (the guard's text begins one column later).
pub(super) fn guard_offset(ctx: &Ctx, file: &Path, pos: Pos) -> u32 {
    let source = ctx
        .bundle
        .case_types
        .iter()
        .find(|c| c.file == file)
        .map(|c| c.source.as_str())
        .unwrap_or("");
    let line = source.lines().nth(pos.line.saturating_sub(1) as usize).unwrap_or("");
    match line.chars().nth(pos.column.saturating_sub(1) as usize) {
        Some('"' | '\'') => 1,
        _ => 0,
    }
}

pub(super) fn check_notify(
    ctx: &Ctx,
    file: &Path,
    spans: &SpanIndex,
    p: &str,
    n: &Notify,
    roles: &[&str],
    diags: &mut Diagnostics,
) {
    if !ctx.bundle.templates.contains_key(&n.template) {
        check_ref(
            Site { file, spans },
            &format!("{p}.template"),
            &n.template,
            "template",
            "Y0308",
            ctx.known(FileKind::TemplateHeader),
            diags,
        );
    }
    check_recipients(ctx, file, spans, &format!("{p}.to"), &n.to, roles, diags);
}

pub(super) fn check_recipients(
    ctx: &Ctx,
    file: &Path,
    spans: &SpanIndex,
    p: &str,
    to: &[Recipient],
    roles: &[&str],
    diags: &mut Diagnostics,
) {
    if to.is_empty() {
        diags
            .at(file, spans.value(p), p)
            .hint("name a role or `citizen: true`")
            .error("Y0901", "the message has no recipients");
    }
    for (i, r) in to.iter().enumerate() {
        let rp = format!("{p}[{i}]");
        match (&r.role, r.citizen) {
            (Some(_), true) | (None, false) => diags
                .at(file, spans.value(&rp), rp)
                .hint("write either `role: <role>` or `citizen: true`")
                .error("Y0901", "a recipient is either a role or the citizen"),
            (Some(role), false) => {
                if check_ref(
                    Site { file, spans },
                    &format!("{rp}.role"),
                    role,
                    "role",
                    "Y0304",
                    roles.iter().copied(),
                    diags,
                ) && ctx.role_holders(role) == 0
                {
                    diags
                        .at(file, spans.value(&format!("{rp}.role")), format!("{rp}.role"))
                        .hint("add a user with this role to the organisation (or to the user database) before cases need it")
                        .warning("Y0901", format!("no user in the organisation holds role `{role}`, so this message would reach nobody"));
                }
            }
            (None, true) => {}
        }
    }
}
