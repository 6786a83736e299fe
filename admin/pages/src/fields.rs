//! Form inputs generated from a case type's fields, and field values as people read them
//! (personal data masked unless the reader may see it).

use serde_json::{Map, Value};
use yimen_engine::core::Case;
use yimen_engine::model::CaseTypeFile;
use yimen_engine::model::case_type::{Field, FieldType};
use yimen_engine::render::{is_personal, mask_value};

use super::i18n::{Lang, t};

/// How a field is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `<input>`.
    Input,
    /// `<textarea>`.
    Area,
    /// `<select>`.
    Select,
    /// `<input type="file" multiple>`, with the files already uploaded kept as hidden values.
    Files,
}

/// One form input generated from a field.
#[derive(Debug, Clone)]
pub struct Input {
    /// The field id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// How it is typed in.
    pub kind: InputKind,
    /// The `type` of an `<input>`.
    pub html_type: &'static str,
    /// The options of a `<select>`: (value, label).
    pub options: Vec<(String, String)>,
    /// The value shown (what the user sent, after an error).
    pub value: String,
    /// Whether it must be filled.
    pub required: bool,
    /// The longest text (0: no limit shown).
    pub max: u32,
    /// The `step` of a number input.
    pub step: &'static str,
    /// Help text.
    pub help: String,
    /// The problem with what was sent, next to the field.
    pub error: Option<String>,
    /// For files: the `accept` attribute (media types).
    pub accept: String,
    /// For files: those already uploaded with this form (reference, name), sent again hidden.
    pub files: Vec<(String, String)>,
    /// The browser's own check of the text (`pattern`), with `inputmode` for the keyboard.
    pub pattern: &'static str,
    pub inputmode: &'static str,
    /// The least and the greatest number (empty: none).
    pub min: String,
    pub max_value: String,
}

/// A field's problem in the reader's words, with its label and the limit it broke.
pub fn said(lang: Lang, label: &str, p: &yimen_engine::core::FieldProblem) -> String {
    yimen_http::words::field_problem(lang, label, p)
}

/// The name of what a text field's id value names (a department, a case type), in `loc`.
pub fn named(s: &yimen_http::AppState, names: yimen_engine::model::case_type::Names, id: &str, loc: &str) -> String {
    use yimen_engine::model::case_type::Names;
    match names {
        Names::Department => super::department_name(s, id, loc),
        Names::CaseType => s
            .engine
            .definitions()
            .current(id)
            .map_or_else(|| id.to_owned(), |c| c.def.name.get(loc).to_owned()),
    }
}

/// The form input for field `id`.
pub fn input(id: &str, f: &Field, lang: Lang, required: bool, value: String, error: Option<String>) -> Input {
    let loc = lang.tag();
    let (kind, html_type, step, max) = match f.ty {
        FieldType::Enum => (InputKind::Select, "", "", 0),
        FieldType::Boolean => (InputKind::Select, "", "", 0),
        FieldType::Text if f.max_length.is_none_or(|m| m > 200) => {
            (InputKind::Area, "", "", f.max_length.unwrap_or(4000))
        }
        FieldType::Attachment => (InputKind::Files, "file", "", 0),
        FieldType::Text | FieldType::Person => (InputKind::Input, "text", "", f.max_length.unwrap_or(200)),
        FieldType::Phone => (InputKind::Input, "tel", "", 20),
        FieldType::IdNumber => (InputKind::Input, "text", "", 18),
        FieldType::Money => (InputKind::Input, "number", "0.01", 0),
        FieldType::Integer => (InputKind::Input, "number", "1", 0),
        FieldType::Date => (InputKind::Input, "date", "", 0),
    };
    let options = match f.ty {
        FieldType::Enum => f
            .values
            .as_ref()
            .map(|vs| vs.iter().map(|(k, v)| (k.clone(), v.get(loc).to_owned())).collect())
            .unwrap_or_default(),
        FieldType::Boolean => vec![
            ("true".into(), t(lang, "yes").to_owned()),
            ("false".into(), t(lang, "no").to_owned()),
        ],
        _ => Vec::new(),
    };
    let accept = if f.ty == FieldType::Attachment {
        let kinds = yimen_engine::attachment::KINDS.iter().map(|k| k.media_type);
        kinds.filter(|k| f.accepts(k)).collect::<Vec<_>>().join(",")
    } else {
        String::new()
    };
    let help = match (f.ty, f.help.as_ref()) {
        (FieldType::Attachment, h) => {
            let limits = limits_text(f, lang);
            h.map_or(limits.clone(), |h| format!("{} {limits}", h.get(loc)))
        }
        (_, h) => h.map(|h| h.get(loc).to_owned()).unwrap_or_default(),
    };
    Input {
        id: id.to_owned(),
        label: f.label.get(loc).to_owned(),
        kind,
        html_type,
        options,
        value,
        required,
        max,
        step,
        help,
        error,
        accept,
        files: Vec::new(),
        // Mainland mobiles and landlines (as the core checks), and resident ID numbers.
        pattern: match f.ty {
            FieldType::Phone => r"[0-9 \-]{10,14}",
            FieldType::IdNumber => "[0-9]{17}[0-9Xx]",
            _ => "",
        },
        inputmode: match f.ty {
            FieldType::Phone => "tel",
            FieldType::Money => "decimal",
            FieldType::Integer => "numeric",
            _ => "",
        },
        min: f.min.map(|m| m.to_string()).unwrap_or_default(),
        max_value: f.max.map(|m| m.to_string()).unwrap_or_default(),
    }
}

/// The `f.<field>` values of a submitted form as field values (empty ones left out, so a
/// required field is reported missing; booleans as booleans; the core checks the rest).
pub fn form_fields(def: &CaseTypeFile, form: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in form {
        let Some(id) = k.strip_prefix("f.") else { continue };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = match def.fields.get(id).map(|f| f.ty) {
            // Files come as several values of one name: a list of references.
            Some(FieldType::Attachment) => {
                let list = out.entry(id.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = list {
                    a.push(Value::String(v.to_owned()));
                }
                continue;
            }
            Some(FieldType::Boolean) => match v {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            },
            _ => Value::String(v.to_owned()),
        };
        out.insert(id.to_owned(), value);
    }
    out
}

/// A field value for people: enum labels, yes/no, masked personal data, and for personal data
/// deleted under retention when and under which rule (dated in the centre's zone `tz`).
pub fn display(f: Option<&Field>, v: &Value, lang: Lang, unmasked: bool, tz: chrono_tz::Tz) -> String {
    if let Some((at, rule)) = yimen_engine::store::sealed::deleted_value(v) {
        let date = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let rule = rule
            .get(lang.tag())
            .or_else(|| rule.get("zh-CN"))
            .and_then(Value::as_str)
            .or(rule.as_str())
            .unwrap_or_default();
        return t(lang, "personal.deleted")
            .replace("{date}", &date)
            .replace("{rule}", rule);
    }
    if let (Some(f), Value::Array(files)) = (f.filter(|f| f.ty == FieldType::Attachment), v) {
        if !unmasked && is_personal(f) {
            return t(lang, "files.hidden").to_owned();
        }
        return t(lang, "files.count").replace("{n}", &files.len().to_string());
    }
    let v = if unmasked { v.clone() } else { mask_value(f, v) };
    match (f.map(|f| f.ty), &v) {
        (_, Value::Null) => String::new(),
        (Some(FieldType::Enum), Value::String(s)) => f
            .and_then(|f| f.values.as_ref())
            .and_then(|vs| vs.get(s))
            .map_or_else(|| s.clone(), |l| l.get(lang.tag()).to_owned()),
        (_, Value::Bool(b)) => t(lang, if *b { "yes" } else { "no" }).to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A short label for a case in lists: its first non-personal text field, cut to 40 characters.
pub fn summary(def: &CaseTypeFile, case: &Case, unmasked: bool) -> String {
    let text = def
        .fields
        .iter()
        .filter(|(_, f)| f.ty == FieldType::Text && (unmasked || !is_personal(f)))
        .find_map(|(id, _)| case.fields.get(id).and_then(Value::as_str).filter(|s| !s.is_empty()));
    match text {
        Some(s) if s.chars().count() > 40 => format!("{}…", s.chars().take(40).collect::<String>()),
        Some(s) => s.to_owned(),
        None => case_label(case),
    }
}

/// How a case is named to people: its number (案件编号); the first eight characters of its id
/// only for a case that has none yet.
pub fn case_label(case: &Case) -> String {
    label_of(case.number.as_deref(), &case.id)
}

/// A case's name from its number, if known, and its id.
pub fn label_of(number: Option<&str>, id: &str) -> String {
    number.map_or_else(|| id.chars().take(8).collect(), str::to_owned)
}

/// What a field takes, in the reader's words: how many files, how large, which kinds.
pub fn limits_text(f: &Field, lang: Lang) -> String {
    let kinds: Vec<&str> = yimen_engine::attachment::KINDS
        .iter()
        .filter(|k| f.accepts(k.media_type))
        .map(|k| t(lang, &format!("kind.{}", k.extensions[0])))
        .collect();
    t(lang, "files.limits")
        .replace("{n}", &f.file_limit().to_string())
        .replace("{size}", &yimen_engine::attachment::format_size(f.max_bytes()))
        .replace("{kinds}", &kinds.join(if lang == Lang::Zh { "、" } else { ", " }))
}
