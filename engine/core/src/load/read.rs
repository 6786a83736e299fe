//! Reading one file: size and encoding checks, the YAML tree, the schema check, and serde.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::LoadOptions;
use crate::diag::{Diagnostics, Pos};
use crate::schema::{FileKind, SpanIndex, check_document};
use crate::yaml::{self, ReadError};

/// A file's typed content with where each part of it is.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The file, as found under the root.
    pub file: PathBuf,
    /// Its content.
    pub value: T,
    /// Positions by YAML path.
    pub spans: SpanIndex,
    /// The source text (for deploy-time hashing and the authoring pages).
    pub source: String,
}

/// The schemas, generated once per load.
#[derive(Default)]
pub struct Schemas {
    cache: OnceLock<BTreeMap<FileKind, Value>>,
}

impl Schemas {
    pub fn get(&self, kind: FileKind) -> &Value {
        let all = self
            .cache
            .get_or_init(|| FileKind::ALL.into_iter().map(|k| (k, k.schema())).collect());
        // Every kind is in the map by construction.
        &all[&kind]
    }
}

/// Every file under `root`, relative to it, sorted, skipping hidden entries. Depth is bounded.
pub fn list_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![(PathBuf::new(), 0usize)];
    while let Some((rel, depth)) = stack.pop() {
        for entry in std::fs::read_dir(root.join(&rel))? {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child = rel.join(&name);
            let ft = entry.file_type()?;
            if ft.is_dir() && depth < 4 {
                stack.push((child, depth + 1));
            } else if ft.is_file() {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads at most `limit + 1` bytes of a file, so a huge file costs no more than the limit.
pub fn read_limited(path: &Path, limit: usize, diags: &mut Diagnostics) -> Option<Vec<u8>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            diags
                .at(path, Pos::START, "")
                .error("Y0101", format!("cannot read the file: {e}"));
            return None;
        }
    };
    let mut buf = Vec::new();
    if let Err(e) = file.take(limit as u64 + 1).read_to_end(&mut buf) {
        diags
            .at(path, Pos::START, "")
            .error("Y0101", format!("cannot read the file: {e}"));
        return None;
    }
    if buf.len() > limit {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(buf.len() as u64);
        diags
            .at(path, Pos::START, "")
            .hint("a workflow file this large is almost certainly not meant to be here; split it or remove it")
            .error(
                "Y0103",
                format!("the file is {} bytes, more than the {limit} bytes allowed", size),
            );
        return None;
    }
    Some(buf)
}

/// Reports a [`ReadError`] as a diagnostic.
pub fn report_read_error(path: &Path, err: ReadError, diags: &mut Diagnostics) {
    match err {
        ReadError::TooLarge { size, limit } => diags.at(path, Pos::START, "").error(
            "Y0103",
            format!("the file is {size} bytes, more than the {limit} bytes allowed"),
        ),
        ReadError::NotUtf8 { pos } => diags
            .at(path, pos, "")
            .hint("save the file as UTF-8")
            .error("Y0102", "the file is not valid UTF-8"),
        ReadError::Empty => diags
            .at(path, Pos::START, "")
            .hint("write the definition, or delete the file")
            .error("Y0104", "the file is empty"),
        ReadError::Syntax { pos, message } => diags
            .at(path, pos, "")
            .hint("check indentation (spaces, not tabs), quotes and colons")
            .error("Y0105", format!("YAML syntax error: {message}")),
        ReadError::MultipleDocuments { pos } => diags
            .at(path, pos, "")
            .hint("put each definition in its own file")
            .error("Y0109", "the file holds more than one YAML document"),
        ReadError::TooDeep { pos, limit } => diags
            .at(path, pos, "")
            .error("Y0106", format!("the file nests deeper than {limit} levels")),
        ReadError::TooManyNodes { pos, limit, via_alias } => {
            let b = diags.at(path, pos, "");
            if via_alias {
                b.hint("aliases (`*name`) that repeat anchors expand exponentially; write the values out")
                    .error("Y0107", format!("aliases expand to more than {limit} values"))
            } else {
                b.error("Y0107", format!("the file holds more than {limit} values"))
            }
        }
        ReadError::ComplexKey { pos } => diags
            .at(path, pos, "")
            .hint("keys are plain words such as `states` or an id")
            .error("Y0111", "a key must be a plain value, not a list or a mapping"),
        ReadError::UnknownAlias { pos } => diags
            .at(path, pos, "")
            .hint("define the anchor (`&name`) before using it")
            .error("Y0105", "this alias refers to an anchor that is not defined before it"),
    }
}

/// Reads, checks and deserializes one YAML text of `kind`.
pub fn parse_text<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
    kind: FileKind,
    schemas: &Schemas,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<(T, SpanIndex, String)> {
    let doc = match yaml::read_bytes(bytes, opts.limits) {
        Ok(doc) => doc,
        Err(e) => {
            report_read_error(path, e, diags);
            return None;
        }
    };
    for d in &doc.duplicates {
        let p = if d.path.is_empty() {
            d.name.clone()
        } else {
            format!("{}.{}", d.path, d.name)
        };
        diags
            .at(path, d.pos, p)
            .hint(format!(
                "the first `{}` is at line {}, column {}",
                d.name, d.first.line, d.first.column
            ))
            .error("Y0108", format!("duplicate key `{}`", d.name));
    }
    let (value, spans) = check_document(path, &doc.root, schemas.get(kind), diags);
    let value = value?;
    match serde_json::from_value::<T>(value) {
        Ok(v) => Some((v, spans, String::from_utf8_lossy(bytes).into_owned())),
        Err(e) => {
            // The schema check should have caught this; say so rather than guess a location.
            diags.at(path, doc.root.pos, "").error(
                "Y0299",
                format!("the file does not match the {} format: {e}", kind.name()),
            );
            None
        }
    }
}

/// Reads one YAML file of `kind`.
pub fn read<T: DeserializeOwned>(
    path: &Path,
    kind: FileKind,
    schemas: &Schemas,
    opts: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Loaded<T>> {
    let bytes = read_limited(path, opts.limits.max_bytes, diags)?;
    let (value, spans, source) = parse_text(path, &bytes, kind, schemas, opts, diags)?;
    Some(Loaded {
        file: path.to_path_buf(),
        value,
        spans,
        source,
    })
}

/// The id a file declares (its top-level `id:`), or what its name says when that cannot be read:
/// the file stem, or the template id before the locale.
pub fn declared_id(path: &Path, kind: FileKind, opts: &LoadOptions) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if kind == FileKind::TemplateHeader {
        return stem.split('.').next().unwrap_or(stem).to_owned();
    }
    if kind == FileKind::Organisation || kind == FileKind::Schedules {
        return kind.name().to_owned();
    }
    let mut scratch = Diagnostics::new();
    read_limited(path, opts.limits.max_bytes, &mut scratch)
        .and_then(|b| yaml::read_bytes(&b, opts.limits).ok())
        .and_then(|doc| doc.root.get("id").and_then(|n| n.as_str()).map(str::to_owned))
        .unwrap_or_else(|| stem.to_owned())
}
