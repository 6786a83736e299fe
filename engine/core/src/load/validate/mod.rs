//! Cross-checks over the whole workflows directory: references between files, the state graph of
//! each case type, guards, durations, calendar coverage, templates and schedules.

mod actions;
mod case_type;
mod clocks;
mod coverage;
mod organisation;
mod periodic;
mod scenario;
mod templates;

use actions::{check_action, check_effects, check_notify, check_recipients};
use case_type::check_case_type;
use organisation::{check_next_year, check_organisation};
use periodic::{check_ladder, check_schedules};
use scenario::check_scenario;
use templates::check_templates;

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
use crate::schema::{FileKind, SpanIndex};

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
        let broken = bundle.is_broken(FileKind::Organisation, "organisation");
        if !broken && (!bundle.case_types.is_empty() || !bundle.ladders.is_empty()) {
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
    // Whether every task reaches a person is asked of a bundle without errors: routing through
    // a broken organisation or case type would only repeat its errors as warnings.
    if !diags.has_errors() {
        for ct in &bundle.case_types {
            coverage::check_coverage(&ctx, ct, diags);
        }
    }
}

/// Lookups shared by the checks.
pub(super) struct Ctx<'a> {
    bundle: &'a Bundle,
    org: &'a OrganisationFile,
    /// Who uses each template: (file, path, case types whose fields it may use; empty = report).
    template_refs: BTreeMap<String, Vec<TemplateRef<'a>>>,
}

pub(super) struct TemplateRef<'a> {
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
            if let Some(n) = ct.value.sla.as_ref().and_then(|s| s.warning_notify.as_ref()) {
                add(&n.template, "sla.warning_notify.template".to_owned());
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
        if let Some(t) = &org.value.centre.unstaffed_notify {
            let path = "centre.unstaffed_notify".to_owned();
            template_refs.entry(t.clone()).or_default().push(TemplateRef {
                file: &org.file,
                pos: org.spans.value(&path),
                path,
                case_types: Some(bundle.case_types.iter().map(|c| &c.value).collect()),
            });
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

    /// Ids of `kind` that exist: loaded, or present but broken (already reported).
    fn known(&self, kind: FileKind) -> Vec<&'a str> {
        let b = self.bundle;
        let mut ids: Vec<&'a str> = match kind {
            FileKind::CaseType => b.case_types.iter().map(|c| c.value.id.as_str()).collect(),
            FileKind::Calendar => b.calendar_files.iter().map(|c| c.value.id.as_str()).collect(),
            FileKind::Ladder => b.ladders.iter().map(|c| c.value.id.as_str()).collect(),
            FileKind::TemplateHeader => b.templates.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        ids.extend(b.broken.iter().filter(|(k, _)| *k == kind).map(|(_, id)| id.as_str()));
        ids
    }

    fn role_holders(&self, role: &str) -> usize {
        self.org
            .users
            .values()
            .filter(|u| u.roles.iter().any(|r| r == role))
            .count()
    }
}

/// Where in the workflows a check looks: the file and the positions of its nodes.
#[derive(Clone, Copy)]
pub(super) struct Site<'a> {
    pub(super) file: &'a Path,
    pub(super) spans: &'a SpanIndex,
}

/// A reference check: `value` must be one of `known`; reports `code` at `path` otherwise.
pub(super) fn check_ref<'k, I>(
    site: Site<'_>,
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
        .at(site.file, site.spans.value(path), path)
        .maybe_hint(suggest(value, known))
        .error(code, format!("unknown {what} `{value}`"));
    false
}

pub(super) fn check_file_name(file: &Path, id: &str, spans: &SpanIndex, diags: &mut Diagnostics) {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem != id {
        diags
            .at(file, spans.value("id"), "id")
            .hint(format!("rename the file to `{id}.yaml`, or change the id to `{stem}`"))
            .warning("Y0313", format!("the id `{id}` differs from the file name `{stem}`"));
    }
}

pub(super) fn parse_duration(
    file: &Path,
    spans: &SpanIndex,
    path: &str,
    text: &str,
    diags: &mut Diagnostics,
) -> Option<Duration> {
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

/// The YAML path of `item` within a one-or-many value at `base`.
pub(super) fn list_item_path(base: &str, items: &[String], item: &str) -> String {
    if items.len() == 1 {
        return base.to_owned();
    }
    match items.iter().position(|s| s == item) {
        Some(i) => format!("{base}[{i}]"),
        None => base.to_owned(),
    }
}
