//! The JSON Schema of every file kind, derived from [`crate::model`], and the structural check
//! that applies it to a YAML tree with exact positions ([`check`]).
//!
//! The schema is emitted as draft-07 because editors' YAML language servers support that draft
//! fully. The same schema drives the check, so what an editor underlines and what
//! `yimen validate` reports agree.

mod check;
mod spans;

pub use check::check_document;
pub use spans::{SpanIndex, to_json};

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use crate::model;

/// The pattern every identifier (state, action, field, department, …) must match.
pub const ID_PATTERN: &str = r"^[a-z][a-z0-9_]{0,62}$";

/// The kinds of file in a workflows directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `cases/*.yaml`.
    CaseType,
    /// `organisation.yaml`.
    Organisation,
    /// `calendars/*.yaml`.
    Calendar,
    /// `ladders/*.yaml`.
    Ladder,
    /// `schedules.yaml`.
    Schedules,
    /// `scenarios/*.yaml`.
    Scenario,
    /// The front matter of `templates/*.hbs`.
    TemplateHeader,
}

impl FileKind {
    /// Every kind, in the order `yimen schema --all` prints them.
    pub const ALL: [FileKind; 7] = [
        FileKind::CaseType,
        FileKind::Organisation,
        FileKind::Calendar,
        FileKind::Ladder,
        FileKind::Schedules,
        FileKind::Scenario,
        FileKind::TemplateHeader,
    ];

    /// The name used on the command line (`yimen schema --kind case-type`).
    pub fn name(self) -> &'static str {
        match self {
            FileKind::CaseType => "case-type",
            FileKind::Organisation => "organisation",
            FileKind::Calendar => "calendar",
            FileKind::Ladder => "ladder",
            FileKind::Schedules => "schedules",
            FileKind::Scenario => "scenario",
            FileKind::TemplateHeader => "template-header",
        }
    }

    /// The kind with this command-line name.
    pub fn from_name(name: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The JSON Schema (draft-07) of this kind of file.
    pub fn schema(self) -> Value {
        match self {
            FileKind::CaseType => schema_for::<model::CaseTypeFile>(),
            FileKind::Organisation => schema_for::<model::OrganisationFile>(),
            FileKind::Calendar => schema_for::<model::CalendarFile>(),
            FileKind::Ladder => schema_for::<model::LadderFile>(),
            FileKind::Schedules => schema_for::<model::SchedulesFile>(),
            FileKind::Scenario => schema_for::<model::ScenarioFile>(),
            FileKind::TemplateHeader => schema_for::<model::TemplateHeader>(),
        }
    }
}

fn schema_for<T: JsonSchema>() -> Value {
    let schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    add_key_patterns(&mut value);
    value
}

/// Maps keyed by identifier (`states`, `actions`, `departments`, …) get a `propertyNames`
/// pattern so editors and the check reject keys that are not identifiers. Calendar years and
/// scenario field values keep their own rules.
fn add_key_patterns(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            let is_object = match obj.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            let is_id_map = is_object
                && !obj.contains_key("properties")
                && !obj.contains_key("propertyNames")
                && obj.get("additionalProperties").is_some_and(Value::is_object);
            if is_id_map {
                let mut names = Map::new();
                names.insert("pattern".into(), Value::String(ID_PATTERN.into()));
                obj.insert("propertyNames".into(), Value::Object(names));
            }
            for v in obj.values_mut() {
                add_key_patterns(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_key_patterns),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_draft07_schema() {
        for kind in FileKind::ALL {
            let s = kind.schema();
            assert_eq!(
                s["$schema"],
                "http://json-schema.org/draft-07/schema#",
                "{}",
                kind.name()
            );
            assert_eq!(FileKind::from_name(kind.name()), Some(kind));
        }
    }

    #[test]
    fn id_maps_carry_a_key_pattern() {
        let s = FileKind::CaseType.schema();
        assert_eq!(s["properties"]["states"]["propertyNames"]["pattern"], ID_PATTERN);
    }
}
