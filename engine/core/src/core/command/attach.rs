//! Files on a case: adding uploaded files to an attachment field, and recording downloads.

use super::{Context, Decision, note};
use crate::core::case::Case;
use crate::core::event::{Event, EventKind};
use crate::core::fields::check_value;
use crate::core::reject::Rejection;
use crate::model::case_type::FieldType;
use serde_json::Value;

/// The references an attachment field of `case` holds.
pub fn references<'a>(case: &'a Case, field: &str) -> impl Iterator<Item = &'a str> {
    case.fields
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The files field `field` of `case` holds, then those of `new` it does not hold yet: what the
/// field holds once they join it (still to be checked against the field's limit).
pub fn with_files<'a>(case: &Case, field: &str, new: impl IntoIterator<Item = &'a str>) -> Vec<Value> {
    let mut all: Vec<Value> = references(case, field).map(|r| Value::String(r.to_owned())).collect();
    for r in new {
        let r = Value::String(r.trim().to_owned());
        if !all.contains(&r) {
            all.push(r);
        }
    }
    all
}

pub(super) fn attach(
    cx: &Context<'_>,
    case: &Case,
    field: &str,
    attachments: &[String],
) -> Result<Decision, Rejection> {
    let Context { def, actor, now, .. } = *cx;
    let f = def
        .def
        .fields
        .get(field)
        .filter(|f| f.ty == FieldType::Attachment)
        .ok_or_else(|| Rejection::InvalidField {
            field: field.to_owned(),
            problem: "is not a field for files".into(),
        })?;
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let held: Vec<&str> = references(case, field).collect();
    let new: Vec<String> = attachments
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !held.contains(&a.as_str()))
        .collect();
    if new.is_empty() {
        return Err(Rejection::BadText("no new file to add".into()));
    }
    let value = check_value(
        field,
        f,
        &Value::Array(with_files(case, field, new.iter().map(String::as_str))),
    )?;
    let mut d = note(
        case,
        actor,
        now,
        EventKind::Attached {
            field: field.to_owned(),
            attachments: new,
        },
    );
    d.case.fields.insert(field.to_owned(), value);
    Ok(d)
}

pub(super) fn record_download(cx: &Context<'_>, case: &Case, attachment: &str) -> Result<Decision, Rejection> {
    let Context { def, actor, now, .. } = *cx;
    let held = def
        .def
        .fields
        .iter()
        .filter(|(_, f)| f.ty == FieldType::Attachment)
        .any(|(id, _)| references(case, id).any(|r| r == attachment));
    if !held {
        return Err(Rejection::BadText("the case holds no such file".into()));
    }
    // A record, not a change: the version and the last change stay, so nobody's open form
    // goes stale because a colleague read a file.
    Ok(Decision {
        case: case.clone(),
        events: vec![Event {
            actor: actor.id.clone(),
            at: now,
            kind: EventKind::AttachmentDownloaded {
                attachment: attachment.to_owned(),
            },
        }],
        effects: Vec::new(),
    })
}
