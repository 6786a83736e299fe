//! Checks of notification templates: locales, use, and the variables they name.

#[allow(clippy::wildcard_imports)]
use super::*;

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

pub(super) fn check_templates(ctx: &Ctx, diags: &mut Diagnostics) {
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
        for src in sources
            .iter()
            .filter(|s| s.header.name.as_deref().is_none_or(|n| n.trim().is_empty()))
        {
            diags
                .at(&src.file, Pos::START, "")
                .hint("add `name: 受理回执` (in the file's language) to its front matter")
                .warning("Y0606", format!("template `{id}` ({}) has no name", src.locale));
        }
        let refs = ctx.template_refs.get(id);
        let users_broken = ctx
            .bundle
            .broken
            .iter()
            .any(|(k, _)| matches!(k, FileKind::CaseType | FileKind::Ladder | FileKind::Schedules));
        if refs.is_none() && !users_broken {
            diags
                .at(&sources[0].file, Pos::START, "")
                .hint("reference it from an action, timer, ladder rung or job, or delete it")
                .warning("Y0604", format!("template `{id}` is not used anywhere"));
        }
        for src in sources {
            check_template_uses(src, refs.map(Vec::as_slice).unwrap_or(&[]), diags);
            check_sms_length(src, diags);
        }
    }
}

pub(super) fn check_template_uses(src: &TemplateSource, refs: &[TemplateRef], diags: &mut Diagnostics) {
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
                        crate::load::templates::HELPERS
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
        if !known.contains(&u.path) {
            diags
                .at(&src.file, u.pos, "")
                .maybe_hint(suggest(&u.path, known.iter().map(String::as_str)))
                .error("Y0602", format!("`{}` is not a variable templates can use", u.path));
        }
    }
}

/// A sample length for a template variable, in characters (Chinese names and numbers as the
/// centre's data has them).
fn sample_len(var: &str) -> usize {
    match var {
        "case.number" => 12,
        "case.due_at" | "case.opened_at" | "rung.answer_due" => 16,
        "rung.name" => 7,
        "case.type_name" | "case.department_name" => 10,
        "recipient.name" => 3,
        "centre.name" => 10,
        "case.url" => 60,
        v if v.starts_with("fields.") => 10,
        _ => 10,
    }
}

/// Segments an SMS of `text` takes: GSM 7-bit 160 (153 when concatenated), otherwise UCS-2 70 (67).
pub(super) fn sms_segments(len: usize, gsm: bool) -> usize {
    let (single, multi) = if gsm { (160, 153) } else { (70, 67) };
    if len <= single { 1 } else { len.div_ceil(multi) }
}

/// Warns when a template's SMS text, rendered with sample values, needs more segments than it allows.
pub(super) fn check_sms_length(src: &TemplateSource, diags: &mut Diagnostics) {
    let Some(sms) = &src.header.sms else { return };
    let mut len = 0usize;
    let mut gsm = true;
    let mut rest = sms.as_str();
    while let Some(open) = rest.find("{{") {
        let lit = &rest[..open];
        len += lit.chars().count();
        gsm &= lit.is_ascii();
        let Some(close) = rest[open..].find("}}") else { break };
        let var = rest[open + 2..open + close].trim();
        let var = var.split_whitespace().last().unwrap_or(var);
        len += sample_len(var);
        if !var.starts_with("case.number") && !var.starts_with("case.url") {
            gsm = false;
        }
        rest = &rest[open + close + 2..];
    }
    len += rest.chars().count();
    gsm &= rest.is_ascii();
    let allowed = src.header.sms_segments.unwrap_or(1) as usize;
    let needed = sms_segments(len, gsm);
    if needed > allowed {
        diags
            .at(&src.file, src.header_spans.value("sms"), "sms")
            .hint(format!(
                "shorten the text, or allow it with `sms_segments: {needed}` (each segment is billed)"
            ))
            .warning(
                "Y0605",
                format!("a sample SMS is about {len} characters: {needed} segments, more than the {allowed} allowed"),
            );
    }
}
