//! The structural check: walks a YAML tree against a JSON Schema, converts it to JSON on the
//! way (scalars get the type the schema asks for), and reports every mismatch at its position.
//!
//! It understands the subset of JSON Schema that `schemars` emits for the model: `$ref`,
//! `type`, `properties`, `required`, `additionalProperties`, `propertyNames`, `items`, `enum`,
//! `const`, `anyOf`/`oneOf`/`allOf`, `pattern`, `minimum`/`maximum`, `minItems`, `minLength`.

use std::collections::HashMap;
use std::path::Path;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::spans::SpanIndex;
use crate::diag::{Diagnostics, suggest};
use crate::yaml::{Node, NodeKind, Scalar};

use super::spans::to_json;

/// Checks `root` against `schema`; returns the JSON value when the tree has no structural
/// error, and always the span index.
pub fn check_document(file: &Path, root: &Node, schema: &Value, diags: &mut Diagnostics) -> (Option<Value>, SpanIndex) {
    let mut c = Checker {
        file,
        root_schema: schema,
        spans: SpanIndex::default(),
        regexes: HashMap::new(),
    };
    c.spans.insert("", root.pos, root.pos);
    let before = diags.error_count();
    let value = c.check(root, schema, "", diags);
    let ok = diags.error_count() == before;
    (value.filter(|_| ok), c.spans)
}

struct Checker<'a> {
    file: &'a Path,
    root_schema: &'a Value,
    spans: SpanIndex,
    regexes: HashMap<String, Option<Regex>>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON types a schema accepts, as far as choosing a branch goes.
#[derive(Debug, Default, Clone, Copy)]
struct Accepts {
    string: bool,
    number: bool,
    integer: bool,
    boolean: bool,
    null: bool,
    array: bool,
    object: bool,
}

impl Accepts {
    fn any() -> Self {
        Accepts {
            string: true,
            number: true,
            integer: true,
            boolean: true,
            null: true,
            array: true,
            object: true,
        }
    }

    fn add(&mut self, t: &str) {
        match t {
            "string" => self.string = true,
            "number" => self.number = true,
            "integer" => self.integer = true,
            "boolean" => self.boolean = true,
            "null" => self.null = true,
            "array" => self.array = true,
            "object" => self.object = true,
            _ => {}
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.string {
            parts.push("a string");
        }
        if self.integer && !self.number {
            parts.push("an integer");
        }
        if self.number {
            parts.push("a number");
        }
        if self.boolean {
            parts.push("true or false");
        }
        if self.array {
            parts.push("a list");
        }
        if self.object {
            parts.push("a mapping");
        }
        match parts.len() {
            0 => "nothing".into(),
            1 => parts[0].into(),
            _ => {
                let last = parts.pop().unwrap_or_default();
                format!("{} or {last}", parts.join(", "))
            }
        }
    }

    /// Whether a node of this shape fits.
    fn fits(&self, node: &Node) -> bool {
        match &node.kind {
            NodeKind::Seq(_) => self.array,
            NodeKind::Map(_) => self.object,
            NodeKind::Scalar(s) if s.is_null() => self.null,
            NodeKind::Scalar(s) => {
                self.string
                    || (self.boolean && s.as_bool().is_some())
                    || (self.integer && s.as_int().is_some())
                    || (self.number && s.as_f64().is_some())
            }
        }
    }
}

impl<'a> Checker<'a> {
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut s = schema;
        for _ in 0..32 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                return s;
            };
            let Some(name) = r.strip_prefix("#/definitions/") else {
                return s;
            };
            match self.root_schema.get("definitions").and_then(|d| d.get(name)) {
                Some(t) => s = t,
                None => return s,
            }
        }
        s
    }

    fn accepts(&self, schema: &'a Value, depth: usize) -> Accepts {
        let s = self.resolve(schema);
        if s == &Value::Bool(true) || depth > 16 {
            return Accepts::any();
        }
        let mut a = Accepts::default();
        match s.get("type") {
            Some(Value::String(t)) => a.add(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(|t| a.add(t)),
            _ => {}
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = s.get(key).and_then(Value::as_array) {
                for b in branches {
                    let ba = self.accepts(b, depth + 1);
                    a.string |= ba.string;
                    a.number |= ba.number;
                    a.integer |= ba.integer;
                    a.boolean |= ba.boolean;
                    a.null |= ba.null;
                    a.array |= ba.array;
                    a.object |= ba.object;
                }
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array)
            && let Some(first) = all.first()
        {
            return self.accepts(first, depth + 1);
        }
        if s.get("enum").is_some() || s.get("const").is_some() {
            a.string = true;
        }
        if s.get("type").is_none()
            && s.get("anyOf").is_none()
            && s.get("oneOf").is_none()
            && s.get("enum").is_none()
            && s.get("const").is_none()
        {
            return Accepts::any();
        }
        a
    }

    /// The string constants an enum-like schema allows, if it is one.
    fn enum_values(&self, schema: &'a Value) -> Option<Vec<String>> {
        let s = self.resolve(schema);
        if let Some(values) = s.get("enum").and_then(Value::as_array) {
            return Some(values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect());
        }
        if let Some(c) = s.get("const").and_then(Value::as_str) {
            return Some(vec![c.to_owned()]);
        }
        let branches = s.get("oneOf").or_else(|| s.get("anyOf"))?.as_array()?;
        let mut out = Vec::new();
        for b in branches {
            out.extend(self.enum_values(b)?);
        }
        Some(out)
    }

    fn check(&mut self, node: &Node, schema: &'a Value, path: &str, diags: &mut Diagnostics) -> Option<Value> {
        let s = self.resolve(schema);
        if s == &Value::Bool(true) {
            return Some(to_json(node));
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            let mut last = None;
            for sub in all {
                last = self.check(node, sub, path, diags);
            }
            return last;
        }
        if let Some(values) = self.enum_values(s) {
            return self.check_enum(node, &values, path, diags);
        }
        if let Some(branches) = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array) {
            return self.check_branches(node, s, branches, path, diags);
        }
        let accepts = self.accepts(s, 0);
        match &node.kind {
            NodeKind::Scalar(sc) if sc.is_null() && accepts.null => Some(Value::Null),
            NodeKind::Scalar(sc) if accepts.boolean && sc.as_bool().is_some() => sc.as_bool().map(Value::Bool),
            NodeKind::Scalar(sc) if accepts.integer && sc.as_int().is_some() => {
                let i = sc.as_int()?;
                self.check_range(node, s, i as f64, path, diags);
                Some(Value::Number(i.into()))
            }
            NodeKind::Scalar(sc) if accepts.number && sc.as_f64().is_some() => {
                let f = sc.as_f64()?;
                self.check_range(node, s, f, path, diags);
                Number::from_f64(f).map(Value::Number)
            }
            NodeKind::Scalar(sc) if accepts.string && !sc.is_null() => {
                self.check_string(node, sc, s, path, diags);
                Some(Value::String(sc.text.clone()))
            }
            NodeKind::Seq(items) if accepts.array => self.check_seq(node, items, s, path, diags),
            NodeKind::Map(entries) if accepts.object => self.check_map(node, entries, s, path, diags),
            _ => {
                self.wrong_type(node, &accepts, path, diags);
                None
            }
        }
    }

    fn wrong_type(&self, node: &Node, accepts: &Accepts, path: &str, diags: &mut Diagnostics) {
        let hint = match &node.kind {
            NodeKind::Scalar(sc) if accepts.boolean && !sc.plain => {
                Some("remove the quotes: booleans are written true or false".to_owned())
            }
            NodeKind::Scalar(sc)
                if accepts.boolean && matches!(sc.text.as_str(), "yes" | "no" | "on" | "off" | "y" | "n") =>
            {
                Some("YAML 1.2 booleans are written true or false".to_owned())
            }
            NodeKind::Scalar(sc) if (accepts.integer || accepts.number) && !sc.plain => {
                Some("remove the quotes: numbers are written without them".to_owned())
            }
            NodeKind::Scalar(sc) if sc.is_null() => Some("give it a value, or remove the key".to_owned()),
            NodeKind::Scalar(_) if accepts.array => {
                Some("write a list as `[a, b]` or as lines starting with `- `".to_owned())
            }
            _ => None,
        };
        diags.at(self.file, node.pos, path).maybe_hint(hint).error(
            "Y0202",
            format!("expected {}, found {}", accepts.describe(), node.describe()),
        );
    }

    fn check_enum(&mut self, node: &Node, values: &[String], path: &str, diags: &mut Diagnostics) -> Option<Value> {
        let text = match &node.kind {
            NodeKind::Scalar(sc) if !sc.is_null() => sc.text.clone(),
            _ => {
                let shown: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
                diags
                    .at(self.file, node.pos, path)
                    .hint(format!("use one of {}", shown.join(", ")))
                    .error(
                        "Y0202",
                        format!("expected one of the listed words, found {}", node.describe()),
                    );
                return None;
            }
        };
        if values.contains(&text) {
            return Some(Value::String(text));
        }
        diags
            .at(self.file, node.pos, path)
            .maybe_hint(suggest(&text, values.iter().map(String::as_str)))
            .error("Y0204", format!("`{text}` is not an allowed value here"));
        None
    }

    fn check_branches(
        &mut self,
        node: &Node,
        s: &'a Value,
        branches: &'a [Value],
        path: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let fitting: Vec<&'a Value> = branches.iter().filter(|b| self.accepts(b, 0).fits(node)).collect();
        match fitting.len() {
            0 => {
                let accepts = self.accepts(s, 0);
                // Null against an optional-less branch set, or a plain type mismatch.
                self.wrong_type(node, &accepts, path, diags);
                None
            }
            1 => self.check(node, fitting[0], path, diags),
            _ => {
                // Externally tagged variants: choose by the single key of the mapping.
                if let NodeKind::Map(entries) = &node.kind {
                    let tagged: Vec<(&str, &'a Value)> = fitting
                        .iter()
                        .filter_map(|b| {
                            let r = self.resolve(b);
                            let req = r.get("required")?.as_array()?;
                            if req.len() == 1 {
                                Some((req[0].as_str()?, *b))
                            } else {
                                None
                            }
                        })
                        .collect();
                    if tagged.len() == fitting.len() {
                        let Some((key, _)) = entries.first() else {
                            diags
                                .at(self.file, node.pos, path)
                                .hint(format!(
                                    "use one of {}",
                                    tagged
                                        .iter()
                                        .map(|(t, _)| format!("`{t}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ))
                                .error("Y0203", "expected one key naming what this is, found an empty mapping");
                            return None;
                        };
                        if let Some((_, b)) = tagged.iter().find(|(t, _)| *t == key.name) {
                            return self.check(node, b, path, diags);
                        }
                        diags
                            .at(self.file, key.pos, join(path, &key.name))
                            .maybe_hint(suggest(&key.name, tagged.iter().map(|(t, _)| *t)))
                            .error("Y0201", format!("unknown key `{}`", key.name));
                        return None;
                    }
                }
                // Otherwise take the first branch that checks cleanly, else the one with the fewest errors.
                let mut best: Option<(usize, Diagnostics, Option<Value>)> = None;
                for b in fitting {
                    let mut scratch = Diagnostics::new();
                    let v = self.check(node, b, path, &mut scratch);
                    let n = scratch.error_count();
                    if n == 0 {
                        diags.extend(scratch);
                        return v;
                    }
                    if best.as_ref().is_none_or(|(bn, _, _)| n < *bn) {
                        best = Some((n, scratch, v));
                    }
                }
                let (_, scratch, v) = best?;
                diags.extend(scratch);
                v
            }
        }
    }

    fn check_range(&self, node: &Node, s: &Value, v: f64, path: &str, diags: &mut Diagnostics) {
        let min = s.get("minimum").and_then(Value::as_f64);
        let max = s.get("maximum").and_then(Value::as_f64);
        let out = min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m);
        if out {
            let range = match (min, max) {
                (Some(a), Some(b)) => format!("from {a} to {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => String::new(),
            };
            diags
                .at(self.file, node.pos, path)
                .error("Y0206", format!("{v} is out of range: it must be {range}"));
        }
    }

    fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        self.regexes
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok())
            .as_ref()
    }

    fn check_string(&mut self, node: &Node, sc: &Scalar, s: &Value, path: &str, diags: &mut Diagnostics) {
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && (sc.text.chars().count() as u64) < min
        {
            diags
                .at(self.file, node.pos, path)
                .error("Y0205", "this text must not be empty");
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            let file = self.file;
            if let Some(re) = self.regex(pattern)
                && !re.is_match(&sc.text)
            {
                let (msg, hint) = pattern_message(pattern, &sc.text);
                diags.at(file, node.pos, path).hint(hint).error("Y0205", msg);
            }
        }
    }

    fn check_seq(
        &mut self,
        node: &Node,
        items: &[Node],
        s: &'a Value,
        path: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        if let Some(min) = s.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            diags.at(self.file, node.pos, path).error(
                "Y0207",
                format!("expected at least {min} item(s), found {}", items.len()),
            );
        }
        let item_schema = s.get("items").unwrap_or(&Value::Bool(true));
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            self.spans.insert(&p, item.pos, item.pos);
            match self.check(item, item_schema, &p, diags) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(Value::Array(out))
    }

    fn check_map(
        &mut self,
        node: &Node,
        entries: &[(crate::yaml::Key, Node)],
        s: &'a Value,
        path: &str,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let props = s.get("properties").and_then(Value::as_object);
        let additional = s.get("additionalProperties");
        let names = s
            .get("propertyNames")
            .and_then(|p| p.get("pattern"))
            .and_then(Value::as_str);
        let mut out = Map::new();
        let mut ok = true;
        for (key, value) in entries {
            let p = join(path, &key.name);
            self.spans.insert(&p, key.pos, value.pos);
            let sub = props.and_then(|m| m.get(&key.name));
            let sub = match (sub, additional) {
                (Some(sub), _) => sub,
                (None, Some(Value::Bool(false))) | (None, None) if props.is_some() => {
                    let candidates = props
                        .map(|m| m.keys().map(String::as_str).collect::<Vec<_>>())
                        .unwrap_or_default();
                    diags
                        .at(self.file, key.pos, &p)
                        .maybe_hint(suggest(&key.name, candidates.iter().copied()))
                        .error("Y0201", format!("unknown key `{}`", key.name));
                    ok = false;
                    continue;
                }
                (None, Some(add)) => {
                    if let Some(pattern) = names {
                        let file = self.file;
                        if let Some(re) = self.regex(pattern)
                            && !re.is_match(&key.name)
                        {
                            let (msg, hint) = pattern_message(pattern, &key.name);
                            diags.at(file, key.pos, &p).hint(hint).error("Y0205", msg);
                            ok = false;
                        }
                    }
                    add
                }
                (None, None) => &Value::Bool(true),
            };
            match self.check(value, sub, &p, diags) {
                Some(v) => {
                    out.insert(key.name.clone(), v);
                }
                None => ok = false,
            }
        }
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !entries.iter().any(|(k, _)| k.name == r) {
                    let where_ = if path.is_empty() {
                        "the file".to_owned()
                    } else {
                        format!("`{path}`")
                    };
                    diags
                        .at(self.file, node.pos, path)
                        .hint(format!("add `{r}:` to {where_}"))
                        .error("Y0203", format!("missing required key `{r}`"));
                    ok = false;
                }
            }
        }
        ok.then_some(Value::Object(out))
    }
}

/// A message and hint for a text that does not match a pattern, in the author's terms.
fn pattern_message(pattern: &str, text: &str) -> (String, String) {
    if pattern == super::ID_PATTERN || pattern.starts_with("^[a-z][a-z0-9_") {
        (
            format!("`{text}` is not a valid identifier"),
            "identifiers start with a lower-case letter and use only a-z, 0-9 and _ (at most 63 characters)".into(),
        )
    } else if pattern.contains("working") {
        (
            format!("`{text}` is not a duration"),
            "write a number and a unit, e.g. `3 working days`, `45 days`, `4 working hours`, `1 month`".into(),
        )
    } else if pattern.contains(r"\d{4}-\d{2}-\d{2}") {
        (
            format!("`{text}` is not a date or a date range"),
            "write `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD`".into(),
        )
    } else if pattern.contains(r"\d{2}-\d{2}") {
        (
            format!("`{text}` is not a month-day or a range of them"),
            "write `MM-DD` or `MM-DD..MM-DD`".into(),
        )
    } else if pattern == "^[0-9]{4}$" {
        (
            format!("`{text}` is not a year"),
            "years are written with four digits, e.g. `2026`".into(),
        )
    } else {
        (
            format!("`{text}` does not have the expected form"),
            format!("it must match `{pattern}`"),
        )
    }
}
