//! Cross-checks over the whole workflows directory: references between files, the state graph of
//! each case type, guards, durations, calendar coverage, templates and schedules.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::str::FromStr;

use chrono::{Datelike, Duration as Span};

use super::templates::{TemplateSource, is_known_helper};
use super::{Bundle, LoadOptions, Loaded};
use crate::calendar;
use crate::diag::{Diagnostics, Pos, suggest};
use crate::duration::Duration;
use crate::expr::{self, ExprType, Names};
use crate::model::case_type::{Action, CaseTypeFile, Effect, FieldType, Notify};
use crate::model::{OrganisationFile, Recipient, Tier};
use crate::schema::SpanIndex;

/// Runs every cross-check, compiling calendars into the bundle on the way.
pub fn validate(bundle: &mut Bundle, opts: &LoadOptions, diags: &mut Diagnostics) {
    // Calendars first: other checks need them.
    let mut seen: HashMap<String, &Path> = HashMap::new();
    for c in &bundle.calendar_files {
        if let Some(first) = seen.get(c.value.id.as_str()) {
            diags
                .at(&c.file, c.spans.value("id"), "id")
                .hint(format!("it is already defined in {}", first.display()))
                .error("Y0313", format!("duplicate calendar id `{}`", c.value.id));
            continue;
        }
        seen.insert(c.value.id.clone(), &c.file);
        check_file_name(&c.file, &c.value.id, &c.spans, diags);
        if let Some(cal) = calendar::compile(&c.file, &c.value, &c.spans, diags) {
            check_next_year(c, &cal, opts, diags);
            bundle.calendars.insert(c.value.id.clone(), cal);
        }
    }

    let Some(org) = &bundle.organisation else {
        if !bundle.case_types.is_empty() || !bundle.ladders.is_empty() {
            diags
                .at(&bundle.root.join("organisation.yaml"), Pos::START, "")
                .hint("every workflows directory needs an organisation.yaml declaring departments, roles, units and channels")
                .error("Y0101", "organisation.yaml is missing");
        }
        return;
    };
    let ctx = Ctx::new(bundle, org);
    check_organisation(&ctx, &org.value, diags);
    let mut ids: HashMap<&str, &Path> = HashMap::new();
    for ct in &bundle.case_types {
        if let Some(first) = ids.get(ct.value.id.as_str()) {
            diags
                .at(&ct.file, ct.spans.value("id"), "id")
                .hint(format!("it is already defined in {}", first.display()))
                .error("Y0313", format!("duplicate case type id `{}`", ct.value.id));
            continue;
        }
        ids.insert(&ct.value.id, &ct.file);
        check_file_name(&ct.file, &ct.value.id, &ct.spans, diags);
        check_case_type(&ctx, ct, opts, diags);
    }
    let mut ladder_ids: HashMap<&str, &Path> = HashMap::new();
    for l in &bundle.ladders {
        if let Some(first) = ladder_ids.get(l.value.id.as_str()) {
            diags
                .at(&l.file, l.spans.value("id"), "id")
                .hint(format!("it is already defined in {}", first.display()))
                .error("Y0313", format!("duplicate ladder id `{}`", l.value.id));
            continue;
        }
        ladder_ids.insert(&l.value.id, &l.file);
        check_file_name(&l.file, &l.value.id, &l.spans, diags);
        check_ladder(&ctx, l, diags);
    }
    if let Some(s) = &bundle.schedules {
        check_schedules(&ctx, s, diags);
    }
    for s in &bundle.scenarios {
        check_scenario(&ctx, s, diags);
    }
    check_templates(&ctx, diags);
}

/// Lookups shared by the checks.
struct Ctx<'a> {
    bundle: &'a Bundle,
    org: &'a OrganisationFile,
    /// Who uses each template: (file, path, case types whose fields it may use; empty = report).
    template_refs: BTreeMap<String, Vec<TemplateRef<'a>>>,
}

struct TemplateRef<'a> {
    file: &'a Path,
    pos: Pos,
    path: String,
    /// The case types the template renders for; `None` for report (schedule) templates.
    case_types: Option<Vec<&'a CaseTypeFile>>,
}

impl<'a> Ctx<'a> {
    fn new(bundle: &'a Bundle, org: &'a Loaded<OrganisationFile>) -> Self {
        let mut template_refs: BTreeMap<String, Vec<TemplateRef<'a>>> = BTreeMap::new();
        for ct in &bundle.case_types {
            let mut add = |template: &str, path: String| {
                template_refs.entry(template.to_owned()).or_default().push(TemplateRef {
                    file: &ct.file,
                    pos: ct.spans.value(&path),
                    path,
                    case_types: Some(vec![&ct.value]),
                });
            };
            for (aid, a) in &ct.value.actions {
                for (i, e) in a.effects.iter().enumerate() {
                    if let Effect::Notify(n) = e {
                        add(&n.template, format!("actions.{aid}.effects[{i}].notify.template"));
                    }
                }
            }
            for (i, e) in ct.value.on_open.iter().enumerate() {
                if let Effect::Notify(n) = e {
                    add(&n.template, format!("on_open[{i}].notify.template"));
                }
            }
            for (tid, t) in &ct.value.timers {
                if let Some(n) = &t.notify {
                    add(&n.template, format!("timers.{tid}.notify.template"));
                }
            }
        }
        for l in &bundle.ladders {
            let users: Vec<&CaseTypeFile> = bundle
                .case_types
                .iter()
                .filter(|c| c.value.sla.as_ref().and_then(|s| s.ladder.as_deref()) == Some(l.value.id.as_str()))
                .map(|c| &c.value)
                .collect();
            for (rid, r) in &l.value.rungs {
                let path = format!("rungs.{rid}.template");
                template_refs.entry(r.template.clone()).or_default().push(TemplateRef {
                    file: &l.file,
                    pos: l.spans.value(&path),
                    path,
                    case_types: Some(users.clone()),
                });
            }
        }
        if let Some(s) = &bundle.schedules {
            for (jid, j) in &s.value.jobs {
                if let Some(t) = &j.template {
                    let path = format!("jobs.{jid}.template");
                    template_refs.entry(t.clone()).or_default().push(TemplateRef {
                        file: &s.file,
                        pos: s.spans.value(&path),
                        path,
                        case_types: None,
                    });
                }
            }
        }
        Ctx {
            bundle,
            org: &org.value,
            template_refs,
        }
    }

    fn role_holders(&self, role: &str) -> usize {
        self.org
            .users
            .values()
            .filter(|u| u.roles.iter().any(|r| r == role))
            .count()
    }
}

/// A reference check: `value` must be one of `known`; reports `code` at `path` otherwise.
#[allow(clippy::too_many_arguments)]
fn check_ref<'k, I>(
    file: &Path,
    spans: &SpanIndex,
    path: &str,
    value: &str,
    what: &str,
    code: &'static str,
    known: I,
    diags: &mut Diagnostics,
) -> bool
where
    I: IntoIterator<Item = &'k str> + Clone,
{
    if known.clone().into_iter().any(|k| k == value) {
        return true;
    }
    diags
        .at(file, spans.value(path), path)
        .maybe_hint(suggest(value, known))
        .error(code, format!("unknown {what} `{value}`"));
    false
}

fn check_file_name(file: &Path, id: &str, spans: &SpanIndex, diags: &mut Diagnostics) {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem != id {
        diags
            .at(file, spans.value("id"), "id")
            .hint(format!("rename the file to `{id}.yaml`, or change the id to `{stem}`"))
            .warning("Y0313", format!("the id `{id}` differs from the file name `{stem}`"));
    }
}

fn check_next_year(
    c: &Loaded<crate::model::CalendarFile>,
    cal: &calendar::WorkCalendar,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) {
    let year = opts.today.year();
    if !cal.is_published(year) && !cal.has_provisional_rule() {
        diags
            .at(&c.file, c.spans.value("years"), "years")
            .hint("add this year's holiday notice, or a `provisional:` rule")
            .error("Y0702", format!("the calendar has no data for the current year {year}"));
    }
    if opts.today.month() >= 11 && !cal.is_published(year + 1) {
        let consequence = if cal.has_provisional_rule() {
            "deadlines that reach into it are provisional until it is added"
        } else {
            "deadlines that reach into it cannot be computed"
        };
        diags
            .at(&c.file, c.spans.value("years"), "years")
            .hint(format!(
                "the State Council usually publishes the {} holiday notice in November; add it under `years:` when it is out",
                year + 1
            ))
            .warning("Y0703", format!("the calendar has no data for {} yet; {consequence}", year + 1));
    }
}

fn check_organisation(ctx: &Ctx, org: &OrganisationFile, diags: &mut Diagnostics) {
    let Some(l) = &ctx.bundle.organisation else { return };
    let (file, spans) = (&l.file, &l.spans);
    let units: Vec<&str> = org.units.keys().map(String::as_str).collect();
    let roles: Vec<&str> = org.roles.keys().map(String::as_str).collect();
    let depts: Vec<&str> = org.departments.keys().map(String::as_str).collect();
    let calendars: Vec<&str> = ctx.bundle.calendars.keys().map(String::as_str).collect();
    if !ctx
        .bundle
        .calendar_files
        .iter()
        .any(|c| c.value.id == org.centre.calendar)
    {
        check_ref(
            file,
            spans,
            "centre.calendar",
            &org.centre.calendar,
            "calendar",
            "Y0306",
            calendars.iter().copied(),
            diags,
        );
    }
    if !matches!(org.centre.locale.as_str(), "zh-CN" | "en") {
        diags
            .at(file, spans.value("centre.locale"), "centre.locale")
            .hint("use `zh-CN` or `en`")
            .error("Y0204", format!("`{}` is not a supported locale", org.centre.locale));
    }
    if let Some(fb) = &org.centre.fallback_case_type {
        let ids: Vec<&str> = ctx.bundle.case_types.iter().map(|c| c.value.id.as_str()).collect();
        check_ref(
            file,
            spans,
            "centre.fallback_case_type",
            fb,
            "case type",
            "Y0312",
            ids,
            diags,
        );
    }
    let mut roots = 0;
    for (id, u) in &org.units {
        match &u.parent {
            None => {
                roots += 1;
                if u.tier != Tier::District {
                    diags
                        .at(file, spans.value(&format!("units.{id}")), format!("units.{id}"))
                        .hint("give it a `parent:` unit")
                        .error(
                            "Y0305",
                            format!("unit `{id}` has no parent but is not at the district tier"),
                        );
                }
            }
            Some(p) => {
                let path = format!("units.{id}.parent");
                if check_ref(file, spans, &path, p, "unit", "Y0305", units.iter().copied(), diags)
                    && let Some(parent) = org.units.get(p)
                    && parent.tier >= u.tier
                {
                    diags
                        .at(file, spans.value(&path), path)
                        .hint("a town's parent is the district, a community's parent is a town")
                        .error(
                            "Y0305",
                            format!(
                                "`{p}` ({}) cannot be the parent of a {} unit",
                                parent.tier.as_str(),
                                u.tier.as_str()
                            ),
                        );
                }
            }
        }
    }
    if roots != 1 {
        diags
            .at(file, spans.value("units"), "units")
            .hint("declare exactly one district-tier unit without a parent; every other unit hangs under it")
            .error(
                "Y0305",
                format!("the organisation has {roots} top-level units, not one"),
            );
    }
    for (id, d) in &org.departments {
        check_ref(
            file,
            spans,
            &format!("departments.{id}.unit"),
            &d.unit,
            "unit",
            "Y0305",
            units.iter().copied(),
            diags,
        );
    }
    if !org.channels.values().any(|c| c.takes_any) {
        diags
            .at(file, spans.value("channels"), "channels")
            .hint("mark the comprehensive window with `takes_any: true` so nothing is turned away")
            .warning("Y0310", "no intake channel takes every case type");
    }
    for (id, u) in &org.users {
        for (i, r) in u.roles.iter().enumerate() {
            check_ref(
                file,
                spans,
                &format!("users.{id}.roles[{i}]"),
                r,
                "role",
                "Y0304",
                roles.iter().copied(),
                diags,
            );
        }
        if let Some(d) = &u.department {
            check_ref(
                file,
                spans,
                &format!("users.{id}.department"),
                d,
                "department",
                "Y0303",
                depts.iter().copied(),
                diags,
            );
        }
        check_ref(
            file,
            spans,
            &format!("users.{id}.unit"),
            &u.unit,
            "unit",
            "Y0305",
            units.iter().copied(),
            diags,
        );
        if let Some(m) = &u.mobile
            && !is_mobile(m)
        {
            let p = format!("users.{id}.mobile");
            diags
                .at(file, spans.value(&p), p)
                .hint("11 digits starting with 1, e.g. 13800138000")
                .error("Y0205", format!("`{m}` is not a mainland mobile number"));
        }
        if let Some(e) = &u.email
            && !(e.contains('@') && !e.starts_with('@') && !e.ends_with('@') && !e.contains(char::is_whitespace))
        {
            let p = format!("users.{id}.email");
            diags
                .at(file, spans.value(&p), p)
                .error("Y0205", format!("`{e}` is not an email address"));
        }
    }
}

fn is_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_duration(file: &Path, spans: &SpanIndex, path: &str, text: &str, diags: &mut Diagnostics) -> Option<Duration> {
    match Duration::from_str(text) {
        Ok(d) => Some(d),
        Err(e) => {
            diags
                .at(file, spans.value(path), path)
                .hint("write a number and a unit, e.g. `3 working days`, `45 days`, `4 working hours`, `1 month`")
                .error("Y0701", e.to_string());
            None
        }
    }
}

fn field_type(f: &crate::model::case_type::Field) -> ExprType {
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

#[allow(clippy::too_many_lines)]
fn check_case_type(ctx: &Ctx, ct: &Loaded<CaseTypeFile>, opts: &LoadOptions, diags: &mut Diagnostics) {
    let (file, spans, c) = (ct.file.as_path(), &ct.spans, &ct.value);
    let org = ctx.org;
    let depts: Vec<&str> = org.departments.keys().map(String::as_str).collect();
    let roles: Vec<&str> = org.roles.keys().map(String::as_str).collect();
    let states: Vec<&str> = c.states.keys().map(String::as_str).collect();
    let actions: Vec<&str> = c.actions.keys().map(String::as_str).collect();
    let fields: Vec<&str> = c.fields.keys().map(String::as_str).collect();

    check_ref(
        file,
        spans,
        "department",
        &c.department,
        "department",
        "Y0303",
        depts.iter().copied(),
        diags,
    );
    for (i, ch) in c.channels.iter().enumerate() {
        check_ref(
            file,
            spans,
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
            file,
            spans,
            "calendar",
            cal,
            "calendar",
            "Y0306",
            ctx.bundle.calendar_files.iter().map(|f| f.value.id.as_str()),
            diags,
        );
    }
    let cal = ctx.bundle.calendars.get(&calendar_id);

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

    // Guards' names.
    let names = Names {
        fields: c.fields.iter().map(|(k, f)| (k.clone(), field_type(f))).collect(),
    };

    // Actions.
    for (aid, a) in &c.actions {
        let p = format!("actions.{aid}");
        check_action(ctx, file, spans, &p, a, &states, &fields, &roles, &depts, &names, diags);
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

    // The citizen's fields.
    if let Some(cz) = &c.citizen {
        for (key, value, ty) in [
            ("name", Some(&cz.name), FieldType::Person),
            ("phone", cz.phone.as_ref(), FieldType::Phone),
            ("id_number", cz.id_number.as_ref(), FieldType::IdNumber),
        ] {
            let Some(value) = value else { continue };
            let p = format!("citizen.{key}");
            if check_ref(file, spans, &p, value, "field", "Y0309", fields.iter().copied(), diags)
                && let Some(f) = c.fields.get(value)
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

    // Tasks.
    for (tid, t) in &c.tasks {
        let p = format!("tasks.{tid}");
        for s in t.open_in.as_slice() {
            let sp = list_item_path(&format!("{p}.open_in"), t.open_in.as_slice(), s);
            check_ref(file, spans, &sp, s, "state", "Y0301", states.iter().copied(), diags);
        }
        if let Some(d) = &t.assign.department
            && d != "handling"
        {
            check_ref(
                file,
                spans,
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
                    file,
                    spans,
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
                file,
                spans,
                &format!("{p}.actions[{i}]"),
                a,
                "action",
                "Y0302",
                actions.iter().copied(),
                diags,
            );
        }
    }

    // Timers.
    let mut durations: Vec<(String, Duration)> = Vec::new();
    for (tid, t) in &c.timers {
        let p = format!("timers.{tid}");
        for s in t.running_in.as_slice() {
            let sp = list_item_path(&format!("{p}.running_in"), t.running_in.as_slice(), s);
            check_ref(file, spans, &sp, s, "state", "Y0301", states.iter().copied(), diags);
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
                    file,
                    spans,
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
            check_notify(ctx, file, spans, &format!("{p}.notify"), n, &roles, diags);
        }
    }

    // SLA.
    if let Some(sla) = &c.sla {
        if let Some(d) = parse_duration(file, spans, "sla.budget", &sla.budget, diags) {
            durations.push(("sla.budget".into(), d));
        }
        if let Some(s) = &sla.starts_in {
            check_ref(
                file,
                spans,
                "sla.starts_in",
                s,
                "state",
                "Y0301",
                states.iter().copied(),
                diags,
            );
        }
        for (i, s) in sla.paused_in.iter().enumerate() {
            check_ref(
                file,
                spans,
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
            match parse_fraction(w) {
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
        if let Some(x) = &sla.extensions {
            if let Some(d) = parse_duration(file, spans, "sla.extensions.by", &x.by, diags) {
                durations.push(("sla.extensions.by".into(), d));
            }
            for (i, r) in x.approvers.iter().enumerate() {
                check_ref(
                    file,
                    spans,
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
                file,
                spans,
                "sla.ladder",
                l,
                "ladder",
                "Y0307",
                ctx.bundle.ladders.iter().map(|l| l.value.id.as_str()),
                diags,
            );
        }
    }

    // Calendar coverage: a deadline started today must be computable.
    if let Some(cal) = cal
        && !cal.has_provisional_rule()
    {
        let last = cal.years().map(|(y, _)| y).max().unwrap_or(0);
        for (p, d) in &durations {
            let reach = opts.today + Span::days(d.approx_days().ceil() as i64);
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

    check_graph(file, spans, c, diags);
}

fn parse_fraction(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(p) = s.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().map(|v| v / 100.0);
    }
    if let Some((a, b)) = s.split_once('/') {
        let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return (b != 0.0).then_some(a / b);
    }
    s.parse().ok()
}

/// The YAML path of `item` within a one-or-many value at `base`.
fn list_item_path(base: &str, items: &[String], item: &str) -> String {
    if items.len() == 1 {
        return base.to_owned();
    }
    match items.iter().position(|s| s == item) {
        Some(i) => format!("{base}[{i}]"),
        None => base.to_owned(),
    }
}

fn check_effects(
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
                if let Some(d) = &asg.department {
                    check_ref(
                        file,
                        spans,
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
                        file,
                        spans,
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
                let ladder = c
                    .sla
                    .as_ref()
                    .and_then(|s| s.ladder.as_deref())
                    .and_then(|l| ctx.bundle.ladder(l));
                match ladder {
                    Some(l) => {
                        check_ref(
                            file,
                            spans,
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

#[allow(clippy::too_many_arguments)]
fn check_action(
    ctx: &Ctx,
    file: &Path,
    spans: &SpanIndex,
    p: &str,
    a: &Action,
    states: &[&str],
    fields: &[&str],
    roles: &[&str],
    depts: &[&str],
    names: &Names,
    diags: &mut Diagnostics,
) {
    for s in a.from.as_slice() {
        let fp = list_item_path(&format!("{p}.from"), a.from.as_slice(), s);
        check_ref(file, spans, &fp, s, "state", "Y0301", states.iter().copied(), diags);
    }
    check_ref(
        file,
        spans,
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
                file,
                spans,
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
                    file,
                    spans,
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
            file,
            spans,
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
                for err in expr::check(&e, names) {
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
fn guard_offset(ctx: &Ctx, file: &Path, pos: Pos) -> u32 {
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

fn check_notify(
    ctx: &Ctx,
    file: &Path,
    spans: &SpanIndex,
    p: &str,
    n: &Notify,
    roles: &[&str],
    diags: &mut Diagnostics,
) {
    if !ctx.bundle.templates.contains_key(&n.template) {
        let known: Vec<&str> = ctx.bundle.templates.keys().map(String::as_str).collect();
        check_ref(
            file,
            spans,
            &format!("{p}.template"),
            &n.template,
            "template",
            "Y0308",
            known,
            diags,
        );
    }
    check_recipients(ctx, file, spans, &format!("{p}.to"), &n.to, roles, diags);
}

fn check_recipients(
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
                    file,
                    spans,
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

/// Reachability from the initial state, and a path to a terminal state from every state.
fn check_graph(file: &Path, spans: &SpanIndex, c: &CaseTypeFile, diags: &mut Diagnostics) {
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

fn check_ladder(ctx: &Ctx, l: &Loaded<crate::model::LadderFile>, diags: &mut Diagnostics) {
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
            let known: Vec<&str> = ctx.bundle.templates.keys().map(String::as_str).collect();
            check_ref(
                file,
                spans,
                &format!("{p}.template"),
                &r.template,
                "template",
                "Y0308",
                known,
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

fn check_schedules(ctx: &Ctx, s: &Loaded<crate::model::SchedulesFile>, diags: &mut Diagnostics) {
    let (file, spans) = (s.file.as_path(), &s.spans);
    let roles: Vec<&str> = ctx.org.roles.keys().map(String::as_str).collect();
    for (jid, j) in &s.value.jobs {
        let p = format!("jobs.{jid}");
        if let Err(e) = crate::schedule::parse(&j.cron) {
            diags
                .at(file, spans.value(&format!("{p}.cron")), format!("{p}.cron"))
                .hint("seven fields: `sec min hour day-of-month month day-of-week year`, e.g. `0 0 9 * * MON *`; day-of-week 1 = Sunday")
                .error("Y0801", e);
        }
        if let Some(t) = &j.template
            && !ctx.bundle.templates.contains_key(t)
        {
            let known: Vec<&str> = ctx.bundle.templates.keys().map(String::as_str).collect();
            check_ref(
                file,
                spans,
                &format!("{p}.template"),
                t,
                "template",
                "Y0308",
                known,
                diags,
            );
        }
        for (i, r) in j.distribute_to.iter().enumerate() {
            check_ref(
                file,
                spans,
                &format!("{p}.distribute_to[{i}]"),
                r,
                "role",
                "Y0304",
                roles.iter().copied(),
                diags,
            );
        }
    }
}

fn check_scenario(ctx: &Ctx, s: &Loaded<crate::model::ScenarioFile>, diags: &mut Diagnostics) {
    let (file, spans, sc) = (s.file.as_path(), &s.spans, &s.value);
    if chrono::NaiveDateTime::parse_from_str(&sc.start, "%Y-%m-%dT%H:%M").is_err() {
        diags
            .at(file, spans.value("start"), "start")
            .hint("write a local date and time, e.g. `2026-09-30T16:00`")
            .error("Y0205", format!("`{}` is not a date and time", sc.start));
    }
    if let Some(ch) = &sc.channel {
        check_ref(
            file,
            spans,
            "channel",
            ch,
            "intake channel",
            "Y0310",
            ctx.org.channels.keys().map(String::as_str),
            diags,
        );
    }
    let ids: Vec<&str> = ctx.bundle.case_types.iter().map(|c| c.value.id.as_str()).collect();
    if !check_ref(
        file,
        spans,
        "case_type",
        &sc.case_type,
        "case type",
        "Y0312",
        ids,
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
            file,
            spans,
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
    for (i, step) in sc.steps.iter().enumerate() {
        let p = format!("steps[{i}]");
        match step {
            crate::model::scenario::Step::Act(a) => {
                check_ref(
                    file,
                    spans,
                    &format!("{p}.act.action"),
                    &a.action,
                    "action",
                    "Y0302",
                    c.actions.keys().map(String::as_str),
                    diags,
                );
                check_ref(
                    file,
                    spans,
                    &format!("{p}.act.as"),
                    &a.user,
                    "user",
                    "Y0315",
                    ctx.org.users.keys().map(String::as_str),
                    diags,
                );
                for k in a.fields.keys() {
                    check_ref(
                        file,
                        spans,
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
                if let Some(st) = &e.state {
                    check_ref(
                        file,
                        spans,
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
                        file,
                        spans,
                        &format!("{p}.expect.tasks[{j}]"),
                        t,
                        "task",
                        "Y0302",
                        c.tasks.keys().map(String::as_str),
                        diags,
                    );
                }
                for (j, r) in e.rungs.iter().flatten().enumerate() {
                    check_ref(
                        file,
                        spans,
                        &format!("{p}.expect.rungs[{j}]"),
                        r,
                        "rung",
                        "Y0314",
                        rungs.iter().map(String::as_str),
                        diags,
                    );
                }
                if let Some(sla) = &e.sla {
                    check_ref(
                        file,
                        spans,
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
        }
    }
}

/// The variables every case template may use besides `fields.<id>`.
pub const CASE_VARIABLES: [&str; 22] = [
    "case.id",
    "case.number",
    "case.type",
    "case.type_name",
    "case.state",
    "case.state_name",
    "case.department",
    "case.department_name",
    "case.unit",
    "case.unit_name",
    "case.tier",
    "case.channel",
    "case.channel_name",
    "case.opened_at",
    "case.due_at",
    "case.url",
    "recipient.name",
    "rung.level",
    "rung.name",
    "rung.answer_due",
    "centre.name",
    "case.supervision_level",
];

/// The variables report (schedule) templates may use.
pub const REPORT_VARIABLES: [&str; 6] = [
    "report.title",
    "report.period",
    "report.url",
    "report.summary",
    "recipient.name",
    "centre.name",
];

fn check_templates(ctx: &Ctx, diags: &mut Diagnostics) {
    for (id, sources) in &ctx.bundle.templates {
        if !sources.iter().any(|s| s.locale == "zh-CN") {
            let first = &sources[0];
            diags
                .at(&first.file, Pos::START, "")
                .hint(format!(
                    "add `{id}.zh-CN.hbs`; Chinese is the default language of messages"
                ))
                .error("Y0603", format!("template `{id}` has no zh-CN version"));
        }
        let refs = ctx.template_refs.get(id);
        if refs.is_none() {
            diags
                .at(&sources[0].file, Pos::START, "")
                .hint("reference it from an action, timer, ladder rung or job, or delete it")
                .warning("Y0604", format!("template `{id}` is not used anywhere"));
        }
        for src in sources {
            check_template_uses(src, refs.map(Vec::as_slice).unwrap_or(&[]), diags);
        }
    }
}

fn check_template_uses(src: &TemplateSource, refs: &[TemplateRef], diags: &mut Diagnostics) {
    let for_cases = refs.is_empty() || refs.iter().any(|r| r.case_types.is_some());
    let for_reports = refs.is_empty() || refs.iter().any(|r| r.case_types.is_none());
    let mut known: Vec<String> = Vec::new();
    if for_cases {
        known.extend(CASE_VARIABLES.iter().map(|s| (*s).to_owned()));
    }
    if for_reports {
        known.extend(REPORT_VARIABLES.iter().map(|s| (*s).to_owned()));
    }
    for u in &src.uses {
        if let Some(helper) = u.path.strip_prefix("@helper:") {
            if !is_known_helper(helper) {
                diags
                    .at(&src.file, u.pos, "")
                    .maybe_hint(suggest(
                        helper,
                        super::templates::HELPERS
                            .iter()
                            .copied()
                            .chain(["if", "unless", "each", "with"]),
                    ))
                    .error("Y0602", format!("unknown helper `{helper}`"));
            }
            continue;
        }
        if u.path == "@partial" {
            diags
                .at(&src.file, u.pos, "")
                .hint("write the text out; templates stand alone")
                .error("Y0602", "partials are not supported in templates");
            continue;
        }
        if let Some(field) = u.path.strip_prefix("fields.") {
            if !for_cases {
                diags
                    .at(&src.file, u.pos, "")
                    .error("Y0602", format!("`{}` is not available in a report template", u.path));
                continue;
            }
            for r in refs {
                for ct in r.case_types.iter().flatten() {
                    if !ct.fields.contains_key(field) {
                        diags
                            .at(&src.file, u.pos, "")
                            .hint(format!(
                                "it renders for case type `{}` through `{}` ({}:{}:{}); add the field there or drop it here",
                                ct.id,
                                r.path,
                                r.file.display(),
                                r.pos.line,
                                r.pos.column
                            ))
                            .error("Y0602", format!("`{}` is used, but case type `{}` has no field `{field}`", u.path, ct.id));
                    }
                }
            }
            continue;
        }
        if !known.iter().any(|k| *k == u.path) {
            diags
                .at(&src.file, u.pos, "")
                .maybe_hint(suggest(&u.path, known.iter().map(String::as_str)))
                .error("Y0602", format!("`{}` is not a variable templates can use", u.path));
        }
    }
}
