//! Checks of `organisation.yaml` and of calendars against today.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn check_next_year(
    c: &Loaded<crate::model::CalendarFile>,
    cal: &calendar::WorkCalendar,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) {
    let today = opts.today.in_zone(cal.timezone());
    let year = today.year();
    if !cal.is_published(year) && !cal.has_provisional_rule() {
        diags
            .at(&c.file, c.spans.value("years"), "years")
            .hint("add this year's holiday notice, or a `provisional:` rule")
            .error("Y0702", format!("the calendar has no data for the current year {year}"));
    }
    if today.month() >= 11 && !cal.is_published(year + 1) {
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

pub(super) fn check_organisation(ctx: &Ctx, org: &OrganisationFile, diags: &mut Diagnostics) {
    let Some(l) = &ctx.bundle.organisation else { return };
    let (file, spans) = (&l.file, &l.spans);
    let units: Vec<&str> = org.units.keys().map(String::as_str).collect();
    if !ctx
        .bundle
        .calendar_files
        .iter()
        .any(|c| c.value.id == org.centre.calendar)
    {
        check_ref(
            Site { file, spans },
            "centre.calendar",
            &org.centre.calendar,
            "calendar",
            "Y0306",
            ctx.known(FileKind::Calendar),
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
        check_ref(
            Site { file, spans },
            "centre.fallback_case_type",
            fb,
            "case type",
            "Y0312",
            ctx.known(FileKind::CaseType),
            diags,
        );
    }
    if let Some(n) = &org.centre.case_numbers {
        check_case_numbers(ctx, Site { file, spans }, n, diags);
    }
    check_units(Site { file, spans }, org, diags);
    for (id, d) in &org.departments {
        check_ref(
            Site { file, spans },
            &format!("departments.{id}.unit"),
            &d.unit,
            "unit",
            "Y0305",
            units.iter().copied(),
            diags,
        );
    }
    for (id, m) in &org.matters {
        check_ref(
            Site { file, spans },
            &format!("matters.{id}.case_type"),
            &m.case_type,
            "case type",
            "Y0312",
            ctx.known(FileKind::CaseType),
            diags,
        );
    }
    for (id, ch) in &org.channels {
        let Some(t) = &ch.case_type else { continue };
        let path = format!("channels.{id}.case_type");
        if check_ref(
            Site { file, spans },
            &path,
            t,
            "case type",
            "Y0312",
            ctx.known(FileKind::CaseType),
            diags,
        ) && !ch.takes_any
            && let Some(ct) = ctx.bundle.case_types.iter().find(|c| c.value.id == *t)
            && !ct.value.channels.iter().any(|c| c == id)
        {
            diags
                .at(file, spans.value(&path), path)
                .hint(format!("add `{id}` to the `channels` of case type `{t}`"))
                .error(
                    "Y0310",
                    format!("case type `{t}` does not take cases from channel `{id}`"),
                );
        }
    }
    if !org.channels.values().any(|c| c.takes_any) {
        diags
            .at(file, spans.value("channels"), "channels")
            .hint("mark the comprehensive window with `takes_any: true` so nothing is turned away")
            .warning("Y0310", "no intake channel takes every case type");
    }
    check_users(Site { file, spans }, org, diags);
}

/// The case-number pattern parses, and numbers of different sequences cannot collide.
fn check_case_numbers(ctx: &Ctx, site: Site<'_>, n: &crate::model::organisation::CaseNumbers, diags: &mut Diagnostics) {
    use crate::model::organisation::NumberPiece;
    let Site { file, spans } = site;
    let path = "centre.case_numbers.format";
    let has_prefix = match n.pieces() {
        Ok(p) => Some(p.contains(&NumberPiece::Prefix)),
        Err(why) => {
            diags
                .at(file, spans.value(path), path)
                .hint("e.g. `{prefix}〔{year}〕{seq:5}号`")
                .error("Y0205", format!("the case-number format is not valid: {why}"));
            None
        }
    };
    if has_prefix == Some(false) && !n.case_types.is_empty() {
        diags
            .at(file, spans.value(path), path)
            .hint("add `{prefix}` to the format")
            .error(
                "Y0205",
                "case types have prefixes of their own, but the format has no `{prefix}`: their numbers would collide",
            );
    }
    if has_prefix == Some(false) && !n.prefix.is_empty() {
        diags
            .at(file, spans.value(path), path)
            .hint("add `{prefix}` to the format, or remove the prefix")
            .warning("Y0205", format!("the prefix `{}` is not used by the format", n.prefix));
    }
    for (ct, prefix) in &n.case_types {
        let p = format!("centre.case_numbers.case_types.{ct}");
        check_ref(site, &p, ct, "case type", "Y0312", ctx.known(FileKind::CaseType), diags);
        if prefix.trim().is_empty() || prefix.contains(['{', '}']) {
            diags
                .at(file, spans.value(&p), p)
                .hint("a prefix is a short text such as `劳`, without braces")
                .error("Y0205", format!("`{prefix}` is not a prefix"));
        }
    }
    if n.prefix.contains(['{', '}']) {
        let p = "centre.case_numbers.prefix";
        diags
            .at(file, spans.value(p), p)
            .hint("a prefix is a short text such as `普治`, without braces")
            .error("Y0205", format!("`{}` is not a prefix", n.prefix));
    }
}

pub(super) fn is_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
}

/// The units: one district root, every other unit under a unit of a higher tier.
fn check_units(site: Site<'_>, org: &OrganisationFile, diags: &mut Diagnostics) {
    let Site { file, spans } = site;
    let units: Vec<&str> = org.units.keys().map(String::as_str).collect();
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
                if check_ref(
                    Site { file, spans },
                    &path,
                    p,
                    "unit",
                    "Y0305",
                    units.iter().copied(),
                    diags,
                ) && let Some(parent) = org.units.get(p)
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
}

/// The users: known roles, department and unit; a mainland mobile number and an email address
/// when given.
fn check_users(site: Site<'_>, org: &OrganisationFile, diags: &mut Diagnostics) {
    let Site { file, spans } = site;
    let units: Vec<&str> = org.units.keys().map(String::as_str).collect();
    let roles: Vec<&str> = org.roles.keys().map(String::as_str).collect();
    let depts: Vec<&str> = org.departments.keys().map(String::as_str).collect();
    for (id, u) in &org.users {
        for (i, r) in u.roles.iter().enumerate() {
            check_ref(
                Site { file, spans },
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
                Site { file, spans },
                &format!("users.{id}.department"),
                d,
                "department",
                "Y0303",
                depts.iter().copied(),
                diags,
            );
        }
        check_ref(
            Site { file, spans },
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
