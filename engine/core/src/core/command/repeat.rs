//! Linking a repeated complaint to the open case it repeats (重复件).

use serde_json::{Map, Value};

use super::{Context, Decision, note};
use crate::core::case::Case;
use crate::core::event::EventKind;
use crate::core::fields::check_value;
use crate::core::reject::Rejection;
use crate::model::case_type::FieldType;

/// Links a repeated complaint (same citizen, same matter, within the window) to the open case.
/// Files the citizen brought with it join the open case's attachment fields (they are evidence
/// of the same matter; the shell puts them on the case in the same transaction).
pub(super) fn repeat(
    cx: &Context<'_>,
    case: &Case,
    channel: &str,
    fields: &Map<String, Value>,
) -> Result<Decision, Rejection> {
    let Context { def, actor, now, .. } = *cx;
    if case.is_closed() {
        return Err(Rejection::Closed);
    }
    let repeats = case.repeats + 1;
    let mut d = note(
        case,
        actor,
        now,
        EventKind::Repeated {
            channel: channel.to_owned(),
            fields: fields.clone(),
            repeats,
        },
    );
    d.case.repeats = repeats;
    let file_fields = def.def.fields.iter().filter(|(_, f)| f.ty == FieldType::Attachment);
    for (id, f) in file_fields {
        let Some(Value::Array(given)) = fields.get(id).map(|v| check_value(id, f, v)).transpose()? else {
            continue;
        };
        let all = super::attach::with_files(case, id, given.iter().filter_map(Value::as_str));
        d.case
            .fields
            .insert(id.clone(), check_value(id, f, &Value::Array(all))?);
    }
    Ok(d)
}
