//! Checks of case types: references, fields, states and their graph, guards, timers and the SLA.

use super::actions::Known;
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::calendar::WorkCalendar;

pub(super) fn field_type(f: &crate::model::case_type::Field) -> ExprType {
    match f.ty {
        FieldType::Money | FieldType::Integer => ExprType::Number,
        FieldType::Boolean => ExprType::Bool,
        FieldType::Date => ExprType::Date,
        FieldType::Enum => ExprType::Enum(
            f.values
                .as_ref()
                .map(|v| v.keys().cloned().collect())
                .unwrap_or_default(),
        ),
        FieldType::Text | FieldType::Person | FieldType::Phone | FieldType::IdNumber | FieldType::Attachment => {
            ExprType::Text
        }
    }
}

/// Checks one case type against the organisation, the calendars and itself, section by
/// section (each `check_…` below is one part of the file).
pub(super) fn check_case_type(ctx: &Ctx, ct: &Loaded<CaseTypeFile>, opts: &LoadOptions, diags: &mut Diagnostics) {
    let (file, spans, c) = (ct.file.as_path(), &ct.spans, &ct.value);
    let org = ctx.org;
    let depts: Vec<&str> = org.departments.keys().map(String::as_str).collect();
    let roles: Vec<&str> = org.roles.keys().map(String::as_str).collect();
    let states: Vec<&str> = c.states.keys().map(String::as_str).collect();
    let actions: Vec<&str> = c.actions.keys().map(String::as_str).collect();
    let fields: Vec<&str> = c.fields.keys().map(String::as_str).collect();

    check_ref(
        Site { file, spans },
        "department",
        &c.department,
        "department",
        "Y0303",
        depts.iter().copied(),
        diags,
    );
    if let Some(f) = &c.department_from {
        check_ref(
            Site { file, spans },
            "department_from",
            f,
            "field",
            "Y0309",
            fields.iter().copied(),
            diags,
        );
    }
    for (i, ch) in c.channels.iter().enumerate() {
        check_ref(
            Site { file, spans },
            &format!("channels[{i}]"),
            ch,
            "intake channel",
            "Y0310",
            org.channels.keys().map(String::as_str),
            diags,
        );
    }
    let calendar_id = c.calendar.clone().unwrap_or_else(|| org.centre.calendar.clone());
    if let Some(cal) = &c.calendar {
        check_ref(
            Site { file, spans },
            "calendar",
            cal,
            "calendar",
            "Y0306",
            ctx.known(FileKind::Calendar),
            diags,
        );
    }
    let cal = ctx.bundle.calendars.get(&calendar_id);
    let k = Scope {
        ctx,
        opts,
        file,
        spans,
        c,
        org,
        depts: &depts,
        roles: &roles,
        states: &states,
        actions: &actions,
        fields: &fields,
        cal,
    };
    check_fields(&k, diags);
    check_states(&k, diags);
    check_actions(&k, diags);
    check_citizen(&k, diags);
    check_repeats(&k, diags);
    check_retention(&k, diags);
    check_tasks(&k, diags);
    let mut durations = super::clocks::check_timers(&k, diags);
    super::clocks::check_sla(&k, &mut durations, diags);
    super::clocks::check_coverage(&k, &durations, diags);

    // With an unknown state in an action, the graph is not what the author meant; the
    // reference errors say enough.
    let refs_ok = c
        .actions
        .values()
        .all(|a| c.states.contains_key(&a.to) && a.from.as_slice().iter().all(|f| c.states.contains_key(f)));
    if refs_ok {
        check_graph(file, spans, c, diags);
    }
}

/// What every section of a case type's check reads.
#[derive(Clone, Copy)]
pub(super) struct Scope<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) opts: &'a LoadOptions,
    pub(super) file: &'a Path,
    pub(super) spans: &'a SpanIndex,
    pub(super) c: &'a CaseTypeFile,
    pub(super) org: &'a OrganisationFile,
    pub(super) depts: &'a [&'a str],
    pub(super) roles: &'a [&'a str],
    pub(super) states: &'a [&'a str],
    pub(super) actions: &'a [&'a str],
    pub(super) fields: &'a [&'a str],
    pub(super) cal: Option<&'a WorkCalendar>,
}

/// The fields: types, values, masks and their references.
fn check_fields(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope { file, spans, c, .. } = *k;
    // Fields.
    for (id, f) in &c.fields {
        let p = format!("fields.{id}");
        let is_enum = f.ty == FieldType::Enum;
        match (&f.values, is_enum) {
            (None, true) => diags
                .at(file, spans.value(&format!("{p}.type")), format!("{p}.type"))
                .hint("list the allowed values under `values:`")
                .error("Y0203", format!("enum field `{id}` has no `values`")),
            (Some(v), true) if v.is_empty() => diags
                .at(file, spans.value(&format!("{p}.values")), format!("{p}.values"))
                .error("Y0207", format!("enum field `{id}` has an empty list of values")),
            (Some(_), false) => diags
                .at(file, spans.key(&format!("{p}.values")), format!("{p}.values"))
                .hint("only `enum` fields have `values`")
                .error("Y0201", format!("`values` does not apply to a {} field", f.ty.as_str())),
            _ => {}
        }
        let numeric = matches!(f.ty, FieldType::Integer | FieldType::Money);
        for (key, present) in [("min", f.min.is_some()), ("max", f.max.is_some())] {
            if present && !numeric {
                diags
                    .at(file, spans.key(&format!("{p}.{key}")), format!("{p}.{key}"))
                    .hint("`min` and `max` apply to integer and money fields")
                    .error("Y0201", format!("`{key}` does not apply to a {} field", f.ty.as_str()));
            }
        }
        if let (Some(a), Some(b)) = (f.min, f.max)
            && a > b
        {
            diags
                .at(file, spans.value(&format!("{p}.min")), format!("{p}.min"))
                .error("Y0206", format!("`min` ({a}) is greater than `max` ({b})"));
        }
        check_attachment_limits(k, id, f, diags);
        if f.max_length.is_some() && f.ty != FieldType::Text {
            diags
                .at(file, spans.key(&format!("{p}.max_length")), format!("{p}.max_length"))
                .hint("`max_length` applies to text fields")
                .error(
                    "Y0201",
                    format!("`max_length` does not apply to a {} field", f.ty.as_str()),
                );
        }
    }
}

/// An attachment field's limits: only on attachment fields, known kinds, sizes and counts
/// within the engine's ceilings.
fn check_attachment_limits(k: &Scope<'_>, id: &str, f: &crate::model::case_type::Field, diags: &mut Diagnostics) {
    use crate::attachment::{CEILING_BYTES, CEILING_FILES, KINDS, is_known_pattern, parse_size};
    let Scope { file, spans, .. } = *k;
    let p = format!("fields.{id}");
    if f.names.is_some() && f.ty != FieldType::Text {
        diags
            .at(file, spans.key(&format!("{p}.names")), format!("{p}.names"))
            .hint("`names` applies to text fields that hold an id")
            .error("Y0201", format!("`names` does not apply to a {} field", f.ty.as_str()));
    }
    if f.ty != FieldType::Attachment {
        let set = [
            ("accept", !f.accept.is_empty()),
            ("max_size", f.max_size.is_some()),
            ("max_files", f.max_files.is_some()),
        ];
        for (key, _) in set.iter().filter(|(_, present)| *present) {
            diags
                .at(file, spans.key(&format!("{p}.{key}")), format!("{p}.{key}"))
                .hint("`accept`, `max_size` and `max_files` apply to attachment fields")
                .error("Y0201", format!("`{key}` does not apply to a {} field", f.ty.as_str()));
        }
        return;
    }
    for (i, a) in f.accept.iter().enumerate() {
        if !is_known_pattern(a) {
            let known: Vec<&str> = KINDS.iter().map(|k| k.media_type).collect();
            diags
                .at(
                    file,
                    spans.value(&format!("{p}.accept[{i}]")),
                    format!("{p}.accept[{i}]"),
                )
                .hint(format!(
                    "recognised kinds: {}, or a family such as `image/*`",
                    known.join(", ")
                ))
                .error("Y0208", format!("`{a}` is not a kind of file the engine recognises"));
        }
    }
    if let Some(s) = &f.max_size {
        match parse_size(s) {
            None => diags
                .at(file, spans.value(&format!("{p}.max_size")), format!("{p}.max_size"))
                .hint("write a whole number and KB or MB, e.g. `10 MB`")
                .error("Y0208", format!("`{s}` is not a size")),
            Some(b) if b > CEILING_BYTES => diags
                .at(file, spans.value(&format!("{p}.max_size")), format!("{p}.max_size"))
                .error(
                    "Y0208",
                    format!("`{s}` is over the largest file the engine stores (50 MB)"),
                ),
            Some(_) => {}
        }
    }
    if let Some(n) = f.max_files
        && !(1..=CEILING_FILES).contains(&n)
    {
        diags
            .at(file, spans.value(&format!("{p}.max_files")), format!("{p}.max_files"))
            .error(
                "Y0208",
                format!("`max_files` must be between 1 and {CEILING_FILES}, not {n}"),
            );
    }
}

/// The states: one initial state, known references, at least one terminal state.
fn check_states(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope { file, spans, c, .. } = *k;
    // States.
    let initials: Vec<&str> = c
        .states
        .iter()
        .filter(|(_, s)| s.initial)
        .map(|(k, _)| k.as_str())
        .collect();
    match initials.len() {
        0 => diags
            .at(file, spans.key("states"), "states")
            .hint("mark the state a new case starts in with `initial: true`")
            .error("Y0401", "no state is marked `initial: true`"),
        1 => {}
        _ => {
            for s in &initials[1..] {
                let p = format!("states.{s}.initial");
                diags
                    .at(file, spans.value(&p), p)
                    .hint(format!("`{}` is already the initial state", initials[0]))
                    .error("Y0401", "more than one state is marked initial");
            }
        }
    }
    for (id, s) in &c.states {
        if s.initial && s.terminal.is_some() {
            let p = format!("states.{id}.terminal");
            diags
                .at(file, spans.value(&p), p)
                .error("Y0404", format!("`{id}` cannot be both initial and terminal"));
        }
    }
    if !c.states.values().any(|s| s.terminal.is_some()) {
        diags
            .at(file, spans.key("states"), "states")
            .hint("mark the states where a case ends with `terminal: resolved` (or another outcome)")
            .error("Y0405", "no state is terminal, so no case could ever close");
    }
}

/// The actions, their guards and effects, and the effects on opening.
fn check_actions(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope {
        ctx,
        file,
        spans,
        c,
        depts,
        roles,
        states,
        fields,
        ..
    } = *k;
    // Guards' names.
    let names = Names {
        fields: c.fields.iter().map(|(k, f)| (k.clone(), field_type(f))).collect(),
    };

    // Actions.
    for (aid, a) in &c.actions {
        let p = format!("actions.{aid}");
        let known = Known {
            states,
            fields,
            roles,
            depts,
            names: &names,
        };
        check_action(ctx, Site { file, spans }, &p, a, &known, diags);
        for from in a.from.as_slice() {
            if let Some(s) = c.states.get(from)
                && s.terminal.is_some()
            {
                let fp = list_item_path(&format!("{p}.from"), a.from.as_slice(), from);
                diags
                    .at(file, spans.value(&fp), fp)
                    .hint("a closed case does not move; reopen it with a separate state if the procedure allows")
                    .error("Y0404", format!("`{from}` is terminal, so no action can start from it"));
            }
        }
        check_effects(ctx, file, spans, c, &format!("{p}.effects"), &a.effects, diags);
    }
    check_effects(ctx, file, spans, c, "on_open", &c.on_open, diags);
}

/// The citizen's fields (name, phone, ID number) name fields of the right types.
fn check_citizen(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope {
        file, spans, c, fields, ..
    } = *k;
    // The citizen's fields.
    if let Some(cz) = &c.citizen {
        for (key, value, ty) in [
            ("name", Some(&cz.name), FieldType::Person),
            ("phone", cz.phone.as_ref(), FieldType::Phone),
            ("id_number", cz.id_number.as_ref(), FieldType::IdNumber),
        ] {
            let Some(value) = value else { continue };
            let p = format!("citizen.{key}");
            if check_ref(
                Site { file, spans },
                &p,
                value,
                "field",
                "Y0309",
                fields.iter().copied(),
                diags,
            ) && let Some(f) = c.fields.get(value)
                && f.ty != ty
            {
                diags
                    .at(file, spans.value(&p), p)
                    .hint(format!("point it at a `{}` field", ty.as_str()))
                    .error(
                        "Y0202",
                        format!("`{value}` is a {} field, not a {} field", f.ty.as_str(), ty.as_str()),
                    );
            }
        }
    }
}

/// How long personal data is kept: a bounded number of years, declared wherever the case type
/// holds personal data.
fn check_retention(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope { file, spans, c, .. } = *k;
    match &c.retention {
        Some(r) if !(1..=100).contains(&r.years) => diags
            .at(file, spans.value("retention.years"), "retention.years")
            .hint("keep personal data for 1 to 100 years after closing, as the rule cited says")
            .error("Y0707", "the retention is not between 1 and 100 years"),
        None if c.fields.values().any(crate::model::case_type::Field::is_personal) => diags
            .at(file, spans.key("fields"), "fields")
            .hint("add `retention: { years: N, rule: { zh-CN: …, en: … } }` citing the rule that sets the period")
            .warning(
                "Y0707",
                "the case type holds personal data but declares no retention: it is kept until deleted by hand",
            ),
        _ => {}
    }
}

/// Repeated complaints: the fields that identify one, and the window.
fn check_repeats(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope {
        file, spans, c, fields, ..
    } = *k;
    // Repeated complaints.
    if let Some(r) = &c.repeats {
        if let Some(d) = parse_duration(file, spans, "repeats.within", &r.within, diags)
            && d.working
        {
            diags
                .at(file, spans.value("repeats.within"), "repeats.within")
                .hint("write calendar time, e.g. `30 days`")
                .error("Y0701", "the repeat window is calendar time, not working time");
        }
        for (i, f) in r.fields.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("repeats.match[{i}]"),
                f,
                "field",
                "Y0309",
                fields.iter().copied(),
                diags,
            );
        }
        if c.citizen
            .as_ref()
            .is_none_or(|z| z.phone.is_none() && z.id_number.is_none())
        {
            diags
                .at(file, spans.value("repeats"), "repeats")
                .hint("declare `citizen: { name: …, phone: … }` (or `id_number`) so a repeat can be recognised")
                .error("Y0203", "`repeats` needs the citizen's phone or ID number field");
        }
    }
}

/// The tasks: where they run, who they go to, their escalation.
fn check_tasks(k: &Scope<'_>, diags: &mut Diagnostics) {
    let Scope {
        file,
        spans,
        c,
        org,
        depts,
        roles,
        states,
        actions,
        fields,
        ..
    } = *k;
    // Tasks.
    for (tid, t) in &c.tasks {
        let p = format!("tasks.{tid}");
        if let Some(f) = &t.assign.specialism_from {
            let sp = format!("{p}.assign.specialism_from");
            if check_ref(
                Site { file, spans },
                &sp,
                f,
                "field",
                "Y0309",
                fields.iter().copied(),
                diags,
            ) && c.fields.get(f).is_some_and(|x| x.ty != FieldType::Enum)
            {
                diags
                    .at(file, spans.value(&sp), sp)
                    .hint("point it at an enum field whose values name specialisms")
                    .error("Y0202", format!("`{f}` is not an enum field"));
            }
        }
        if let Some(sp) = &t.assign.specialism
            && !org.users.values().any(|u| u.specialisms.iter().any(|x| x == sp))
        {
            let path = format!("{p}.assign.specialism");
            diags
                .at(file, spans.value(&path), path)
                .hint("give some users of the organisation this word in their `specialisms`")
                .warning(
                    "Y0901",
                    format!("nobody has the specialism `{sp}`; tasks go to the least-loaded holder of the role"),
                );
        }
        for s in t.open_in.as_slice() {
            let sp = list_item_path(&format!("{p}.open_in"), t.open_in.as_slice(), s);
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
        if let Some(d) = &t.assign.department
            && d != "handling"
            && d != "any"
        {
            check_ref(
                Site { file, spans },
                &format!("{p}.assign.department"),
                d,
                "department",
                "Y0303",
                depts.iter().copied(),
                diags,
            );
        }
        match &t.assign.role {
            Some(r) => {
                check_ref(
                    Site { file, spans },
                    &format!("{p}.assign.role"),
                    r,
                    "role",
                    "Y0304",
                    roles.iter().copied(),
                    diags,
                );
            }
            None => diags
                .at(file, spans.value(&format!("{p}.assign")), format!("{p}.assign"))
                .hint("say whose inbox the task goes to, e.g. `role: handler`")
                .error("Y0203", "a task's `assign` needs a `role`"),
        }
        for (i, a) in t.actions.iter().enumerate() {
            check_ref(
                Site { file, spans },
                &format!("{p}.actions[{i}]"),
                a,
                "action",
                "Y0302",
                actions.iter().copied(),
                diags,
            );
        }
    }
}

/// Reachability from the initial state, and a path to a terminal state from every state.
pub(super) fn check_graph(file: &Path, spans: &SpanIndex, c: &CaseTypeFile, diags: &mut Diagnostics) {
    let Some(initial) = c.states.iter().find(|(_, s)| s.initial).map(|(k, _)| k.as_str()) else {
        return;
    };
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in c.actions.values() {
        for f in a.from.as_slice() {
            if c.states.contains_key(f) && c.states.contains_key(&a.to) {
                edges.entry(f.as_str()).or_default().insert(a.to.as_str());
            }
        }
    }
    let mut reached: BTreeSet<&str> = BTreeSet::from([initial]);
    let mut queue = VecDeque::from([initial]);
    while let Some(s) = queue.pop_front() {
        for t in edges.get(s).into_iter().flatten() {
            if reached.insert(t) {
                queue.push_back(t);
            }
        }
    }
    let terminals: BTreeSet<&str> = c
        .states
        .iter()
        .filter(|(_, s)| s.terminal.is_some())
        .map(|(k, _)| k.as_str())
        .collect();
    let mut can_end: BTreeSet<&str> = terminals.clone();
    loop {
        let before = can_end.len();
        for (from, tos) in &edges {
            if tos.iter().any(|t| can_end.contains(t)) {
                can_end.insert(from);
            }
        }
        if can_end.len() == before {
            break;
        }
    }
    for id in c.states.keys() {
        let p = format!("states.{id}");
        if !reached.contains(id.as_str()) {
            diags
                .at(file, spans.key(&p), &p)
                .hint(format!("add an action with `to: {id}`, or remove the state"))
                .error(
                    "Y0402",
                    format!("state `{id}` cannot be reached from the initial state `{initial}`"),
                );
        } else if !can_end.contains(id.as_str()) && !terminals.is_empty() {
            diags
                .at(file, spans.key(&p), &p)
                .hint("add an action from it that leads, directly or not, to a terminal state")
                .error("Y0403", format!("a case in state `{id}` can never be closed"));
        }
    }
}
