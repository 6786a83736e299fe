//! Rendering notification templates for one case and one recipient, with personal data masked.
//!
//! Phone numbers, ID numbers and names in `fields.*` are masked (`138****5678`) unless the
//! template asks for the raw value with `{{raw fields.x}}` and the recipient's role may see
//! personal data. Templates render in strict mode: a missing variable is an error, never a blank.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason};
use serde_json::{Map, Value, json};

use crate::core::case::Case;
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::load::TemplateSource;
use crate::model::CaseTypeFile;
use crate::model::case_type::{Field, FieldType};

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The email subject.
    pub subject: Option<String>,
    /// The email body.
    pub body: String,
    /// The SMS text.
    pub sms: Option<String>,
}

/// Masks a phone number: `13800138000` → `138****8000`.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Masks an identity number: the region code and the last four stay.
pub fn mask_id(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// Masks a person's name: the family name stays (`张三丰` → `张**`).
pub fn mask_name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count())),
        None => String::new(),
    }
}

/// Whether a field holds personal data (declared, or by default a person, phone or ID number).
pub fn is_personal(f: &Field) -> bool {
    f.is_personal()
}

/// The value of a field as a role that may not see personal data sees it.
pub fn mask_value(f: Option<&Field>, v: &Value) -> Value {
    let Some(f) = f.filter(|f| is_personal(f)) else {
        return v.clone();
    };
    // Only text is personal data: a null, or the marker of data deleted under retention (an
    // object, which no field value is), holds none and is shown as it is.
    let Some(s) = v.as_str() else {
        return v.clone();
    };
    Value::String(match f.ty {
        FieldType::Phone => mask_phone(s),
        FieldType::IdNumber => mask_id(s),
        FieldType::Person => mask_name(s),
        _ => "***".into(),
    })
}

/// A case's field values with personal data masked (fields the case type does not declare
/// are kept as they are: the core never stores any).
pub fn mask_fields(def: &CaseTypeFile, fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| (k.clone(), mask_value(def.fields.get(k), v)))
        .collect()
}

/// Who a notification is rendered for.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    /// Their name, as the template greets them.
    pub name: &'a str,
    /// Whether their role may see personal data unmasked (a template's `raw` then shows it).
    pub sees_personal_data: bool,
}

/// The templates of a bundle, ready to render.
#[derive(Debug)]
pub struct Renderer {
    hb: Handlebars<'static>,
    locales: BTreeMap<String, Vec<String>>,
    centre: String,
    base_url: String,
}

fn raw_helper(h: &Helper, _: &Handlebars, ctx: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let path = h
        .param(0)
        .and_then(|p| p.relative_path().cloned())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("raw", 0))?;
    let raw = ctx
        .data()
        .get("_raw")
        .and_then(|r| r.pointer(&format!("/{}", path.replace('.', "/"))));
    let value = raw
        .or_else(|| h.param(0).map(|p| p.value()))
        .cloned()
        .unwrap_or(Value::Null);
    out.write(value.as_str().map_or_else(|| value.to_string(), str::to_owned).as_str())?;
    Ok(())
}

fn mask_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let v = h.param(0).map(|p| p.value().clone()).unwrap_or(Value::Null);
    out.write(&mask_phone(v.as_str().unwrap_or_default()))?;
    Ok(())
}

impl Renderer {
    /// Registers every template (body, subject and SMS text per locale).
    pub fn new(
        templates: &BTreeMap<String, Vec<TemplateSource>>,
        centre: &str,
        base_url: &str,
    ) -> Result<Self, crate::Error> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        hb.register_helper("raw", Box::new(raw_helper));
        hb.register_helper("mask", Box::new(mask_helper));
        let mut locales = BTreeMap::new();
        for (id, sources) in templates {
            let mut ls = Vec::new();
            for t in sources {
                let name = format!("{id}.{}", t.locale);
                let bad = |e: handlebars::TemplateError| crate::Error::Template {
                    template: name.clone(),
                    problem: e.to_string(),
                };
                hb.register_template_string(&format!("{name}.body"), &t.body)
                    .map_err(bad)?;
                if let Some(s) = &t.header.subject {
                    hb.register_template_string(&format!("{name}.subject"), s)
                        .map_err(bad)?;
                }
                if let Some(s) = &t.header.sms {
                    hb.register_template_string(&format!("{name}.sms"), s).map_err(bad)?;
                }
                ls.push(t.locale.clone());
            }
            locales.insert(id.clone(), ls);
        }
        Ok(Self {
            hb,
            locales,
            centre: centre.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The context a case's templates see, for one recipient.
    pub fn context(
        &self,
        def: &CompiledCaseType,
        org: &Organisation,
        case: &Case,
        recipient: Addressee<'_>,
        now: DateTime<Utc>,
    ) -> Value {
        let Addressee {
            name: recipient_name,
            sees_personal_data,
        } = recipient;
        let tz = def.calendar.timezone();
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let mut masked = mask_fields(&def.def, &case.fields);
        for k in def.def.fields.keys() {
            masked.entry(k.clone()).or_insert(Value::String(String::new()));
        }
        let raw = if sees_personal_data {
            Value::Object(case.fields.clone())
        } else {
            Value::Object(masked.clone())
        };
        let due = case
            .sla
            .as_ref()
            .and_then(|c| c.derive(&def.calendar, &def.warn_at, now).ok().flatten())
            .map(|d| local(d.due));
        let rung = case.supervision.last();
        let rung_def = rung.and_then(|r| def.ladder.as_ref().and_then(|l| l.rungs.get(&r.rung)));
        let text = |t: Option<&crate::model::Text>| t.map(|t| t.get("zh-CN").to_owned()).unwrap_or_default();
        json!({
            "case": {
                "id": case.id,
                "number": case_number(case),
                "type": case.case_type,
                "type_name": def.def.name.get("zh-CN"),
                "state": case.state,
                "state_name": text(def.def.states.get(&case.state).map(|s| &s.name)),
                "department": case.department,
                "department_name": text(org.file.departments.get(&case.department).map(|d| &d.name)),
                "unit": case.unit.clone().unwrap_or_default(),
                "unit_name": text(case.unit.as_ref().and_then(|u| org.file.units.get(u)).map(|u| &u.name)),
                "tier": case.tier.as_str(),
                "channel": case.channel,
                "channel_name": text(org.file.channels.get(&case.channel).map(|c| &c.name)),
                "opened_at": local(case.opened_at),
                "due_at": due.unwrap_or_default(),
                "url": format!("{}/cases/{}", self.base_url, case.id),
                "supervision_level": rung.map_or(0, |r| r.level),
            },
            "fields": masked,
            "recipient": { "name": recipient_name },
            "rung": {
                "level": rung.map_or(0, |r| r.level),
                "name": text(rung_def.map(|r| &r.name)),
                "answer_due": rung.map(|r| local(r.answer_due)).unwrap_or_default(),
            },
            "centre": { "name": self.centre },
            "_raw": { "fields": raw },
        })
    }

    /// The context a report's announcement sees: `report.title`, `report.period`, `report.url`,
    /// `report.summary`, `recipient.name`, `centre.name`.
    pub fn report_context(&self, title: &str, period: &str, path: &str, summary: &str, recipient_name: &str) -> Value {
        json!({
            "report": {
                "title": title,
                "period": period,
                "url": format!("{}{path}", self.base_url),
                "summary": summary,
            },
            "recipient": { "name": recipient_name },
            "centre": { "name": self.centre },
        })
    }

    /// Renders `template` in `locale` (zh-CN when that locale is missing).
    pub fn render(&self, template: &str, locale: &str, ctx: &Value) -> Result<Rendered, crate::Error> {
        let locales = self.locales.get(template).ok_or_else(|| crate::Error::Template {
            template: template.to_owned(),
            problem: "there is no such template".into(),
        })?;
        let locale = if locales.iter().any(|l| l == locale) {
            locale
        } else {
            "zh-CN"
        };
        let name = format!("{template}.{locale}");
        let part = |p: &str| -> Result<Option<String>, crate::Error> {
            let key = format!("{name}.{p}");
            if self.hb.get_template(&key).is_none() {
                return Ok(None);
            }
            self.hb.render(&key, ctx).map(Some).map_err(|e| crate::Error::Template {
                template: key.clone(),
                problem: e.to_string(),
            })
        };
        Ok(Rendered {
            // A subject is one header line: line breaks and other control characters in the
            // values it shows become spaces, so no value can add a header.
            subject: part("subject")?.map(|s| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()),
            body: part("body")?.unwrap_or_default(),
            sms: part("sms")?,
        })
    }
}

/// The case's number (案件编号); for a case not numbered yet, [`number_of`] its id.
pub fn case_number(case: &Case) -> String {
    case.number.clone().unwrap_or_else(|| number_of(&case.id))
}

/// What stands for the number of a case known only by its id (a report written before case
/// numbers): the time-ordered id's first twelve hex digits, upper case.
pub fn number_of(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .take(12)
        .collect::<String>()
        .to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_id("110101199003071233"), "110101********1233");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_phone("123"), "***");
    }
}
