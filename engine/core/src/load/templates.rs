//! Notification templates: `templates/<id>.<locale>.hbs`, an optional front matter (`subject`,
//! `sms`) between `---` lines, then the handlebars body.

use std::path::{Path, PathBuf};

use handlebars::Path as HbPath;
use handlebars::template::{HelperTemplate, Parameter, Template, TemplateElement};

use super::LoadOptions;
use super::read::{Schemas, parse_text, read_limited};
use crate::diag::{Diagnostics, Pos};
use crate::model::TemplateHeader;
use crate::schema::{FileKind, SpanIndex};

/// The locales a template may be written in; zh-CN is required for every template.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// Helpers available in templates besides handlebars' built-ins.
pub const HELPERS: [&str; 4] = ["mask", "raw", "date", "datetime"];
const BUILTINS: [&str; 8] = ["if", "unless", "each", "with", "lookup", "eq", "ne", "not"];

/// One template file.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// The template id (file name before the locale).
    pub id: String,
    /// Its locale.
    pub locale: String,
    /// The file.
    pub file: PathBuf,
    /// The front matter.
    pub header: TemplateHeader,
    /// Positions in the front matter.
    pub header_spans: SpanIndex,
    /// The body text.
    pub body: String,
    /// Variables used, with where.
    pub uses: Vec<TemplateUse>,
}

/// A variable a template uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateUse {
    /// The dotted path, e.g. `case.number` or `fields.applicant`.
    pub path: String,
    /// Where it is.
    pub pos: Pos,
}

/// Reads a template file, reporting syntax errors.
pub fn read_template(
    path: &Path,
    schemas: &Schemas,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<TemplateSource> {
    let name = path.file_name()?.to_str()?.strip_suffix(".hbs")?;
    let Some((id, locale)) = name.rsplit_once('.') else {
        diags
            .at(path, Pos::START, "")
            .hint("name templates `<id>.<locale>.hbs`, e.g. `sla_breach.zh-CN.hbs`")
            .error("Y0603", "the template's file name does not say its locale");
        return None;
    };
    if !LOCALES.contains(&locale) {
        diags
            .at(path, Pos::START, "")
            .maybe_hint(crate::diag::suggest(locale, LOCALES))
            .error("Y0603", format!("`{locale}` is not a supported locale"));
        return None;
    }
    let bytes = read_limited(path, opts.limits.max_bytes, diags)?;
    let Ok(text) = String::from_utf8(bytes) else {
        diags
            .at(path, Pos::START, "")
            .hint("save the file as UTF-8")
            .error("Y0102", "the file is not valid UTF-8");
        return None;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).replace("\r\n", "\n");
    let (header, header_spans, body, body_line) = match split_front_matter(&text) {
        Some((front, body, body_line)) => {
            // One leading newline keeps the front matter's line numbers equal to the file's.
            let shifted = format!("\n{front}");
            let parsed = if front.trim().is_empty() {
                Some((TemplateHeader::default(), SpanIndex::default(), String::new()))
            } else {
                parse_text::<TemplateHeader>(path, shifted.as_bytes(), FileKind::TemplateHeader, schemas, opts, diags)
            };
            let (h, s, _) = parsed?;
            (h, s, body.to_owned(), body_line)
        }
        None => (TemplateHeader::default(), SpanIndex::default(), text.clone(), 1),
    };
    let mut uses = Vec::new();
    compile_part(path, &body, Pos::new(body_line, 1), true, &mut uses, diags)?;
    if let Some(subject) = &header.subject {
        compile_part(path, subject, header_spans.value("subject"), false, &mut uses, diags)?;
    }
    if let Some(sms) = &header.sms {
        compile_part(path, sms, header_spans.value("sms"), false, &mut uses, diags)?;
    }
    Some(TemplateSource {
        id: id.to_owned(),
        locale: locale.to_owned(),
        file: path.to_path_buf(),
        header,
        header_spans,
        body,
        uses,
    })
}

/// Splits `---\n<front>\n---\n<body>`; returns the front, the body and the body's first line.
fn split_front_matter(text: &str) -> Option<(&str, &str, u32)> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest
        .find("\n---\n")
        .map(|i| (i, i + 5))
        .or_else(|| rest.strip_suffix("\n---").map(|r| (r.len(), rest.len())))?;
    let front = &rest[..end.0];
    let body = &rest[end.1..];
    let body_line = 3 + front.matches('\n').count() as u32;
    Some((front, body, body_line))
}

/// Compiles one handlebars text; `start` is where it begins in the file. `multiline` texts map
/// handlebars' own line numbers; single-line header values report at the value's start.
fn compile_part(
    path: &Path,
    text: &str,
    start: Pos,
    multiline: bool,
    uses: &mut Vec<TemplateUse>,
    diags: &mut Diagnostics,
) -> Option<()> {
    let place = |line: usize, col: usize| -> Pos {
        if multiline {
            Pos::new(start.line + line.saturating_sub(1) as u32, col.max(1) as u32)
        } else {
            start
        }
    };
    match Template::compile(text) {
        Ok(t) => {
            collect(&t, false, &place, uses);
            Some(())
        }
        Err(e) => {
            let pos = e.pos().map_or(start, |(l, c)| place(l, c));
            let reason = e.reason().to_string();
            diags
                .at(path, pos, "")
                .hint("check that every `{{` has its `}}` and every `{{#block}}` its `{{/block}}`")
                .error("Y0601", format!("template syntax error: {reason}"));
            None
        }
    }
}

fn path_string(p: &HbPath) -> Option<String> {
    match p {
        HbPath::Relative((_, raw)) => Some(raw.replace('/', ".")),
        HbPath::Local(_) => None,
    }
}

fn param_uses(p: &Parameter, pos: Pos, in_block_scope: bool, uses: &mut Vec<TemplateUse>) {
    match p {
        Parameter::Path(path) if !in_block_scope => {
            if let Some(s) = path_string(path)
                && s != "this"
                && !s.starts_with("this.")
                && !s.starts_with("..")
            {
                uses.push(TemplateUse { path: s, pos });
            }
        }
        Parameter::Subexpression(sub) => {
            let name = sub.name();
            uses.push(TemplateUse {
                path: format!("@helper:{name}"),
                pos,
            });
            for p in sub.params().into_iter().flatten() {
                param_uses(p, pos, in_block_scope, uses);
            }
        }
        _ => {}
    }
}

fn helper_uses(h: &HelperTemplate, pos: Pos, in_block_scope: bool, uses: &mut Vec<TemplateUse>) -> bool {
    let is_call = !h.params.is_empty() || !h.hash.is_empty() || h.block;
    let mut scoped = in_block_scope;
    match &h.name {
        Parameter::Name(n) if is_call => {
            uses.push(TemplateUse {
                path: format!("@helper:{n}"),
                pos,
            });
            scoped |= matches!(n.as_str(), "each" | "with");
        }
        Parameter::Name(n) if !in_block_scope => uses.push(TemplateUse { path: n.clone(), pos }),
        other => param_uses(other, pos, in_block_scope, uses),
    }
    for p in &h.params {
        param_uses(p, pos, in_block_scope, uses);
    }
    for p in h.hash.values() {
        param_uses(p, pos, in_block_scope, uses);
    }
    scoped
}

fn collect(t: &Template, in_block_scope: bool, place: &dyn Fn(usize, usize) -> Pos, uses: &mut Vec<TemplateUse>) {
    for (i, el) in t.elements.iter().enumerate() {
        let pos = t.mapping.get(i).map_or(place(1, 1), |m| place(m.0, m.1));
        match el {
            TemplateElement::Expression(h) | TemplateElement::HtmlExpression(h) => {
                helper_uses(h, pos, in_block_scope, uses);
            }
            TemplateElement::HelperBlock(h) => {
                let scoped = helper_uses(h, pos, in_block_scope, uses);
                if let Some(inner) = &h.template {
                    collect(inner, scoped, place, uses);
                }
                if let Some(inner) = &h.inverse {
                    collect(inner, in_block_scope, place, uses);
                }
            }
            TemplateElement::DecoratorExpression(_)
            | TemplateElement::DecoratorBlock(_)
            | TemplateElement::PartialExpression(_)
            | TemplateElement::PartialBlock(_) => uses.push(TemplateUse {
                path: "@partial".into(),
                pos,
            }),
            // Raw text, comments, and any element kind a future handlebars adds: no variables.
            _ => {}
        }
    }
}

/// Whether `name` is a helper templates may call.
pub fn is_known_helper(name: &str) -> bool {
    HELPERS.contains(&name) || BUILTINS.contains(&name)
}
