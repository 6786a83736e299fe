//! Where a checked document's nodes are ([`SpanIndex`]), and a YAML tree as JSON.

use std::collections::HashMap;

use serde_json::{Number, Value};

use crate::diag::Pos;
use crate::yaml::{Node, NodeKind};

/// Where each node of a checked document is: its key's position and its value's position, by
/// YAML path (`actions.accept.from[1]`).
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    spans: HashMap<String, (Pos, Pos)>,
}

impl SpanIndex {
    /// Where the value at `path` starts, or the start of the file.
    pub fn value(&self, path: &str) -> Pos {
        self.spans.get(path).map_or(Pos::START, |s| s.1)
    }

    /// Where the key of the value at `path` starts (the value's position for list items).
    pub fn key(&self, path: &str) -> Pos {
        self.spans.get(path).map_or(Pos::START, |s| s.0)
    }

    /// Whether `path` exists in the document.
    pub fn contains(&self, path: &str) -> bool {
        self.spans.contains_key(path)
    }

    pub(super) fn insert(&mut self, path: &str, key: Pos, value: Pos) {
        self.spans.insert(path.to_owned(), (key, value));
    }
}

/// A YAML node as JSON, with scalars typed by YAML 1.2's core schema (what an editor sees).
pub fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar(s) if s.is_null() => Value::Null,
        NodeKind::Scalar(s) => {
            if let Some(b) = s.as_bool() {
                Value::Bool(b)
            } else if let Some(i) = s.as_int() {
                Value::Number(i.into())
            } else if let Some(n) = s.as_f64().and_then(Number::from_f64) {
                Value::Number(n)
            } else {
                Value::String(s.text.clone())
            }
        }
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.name.clone(), to_json(v))).collect()),
    }
}
