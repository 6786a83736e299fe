//! A YAML reader that keeps the position of every node, refuses hostile input within fixed
//! budgets, and reports duplicate keys where they are.
//!
//! It builds a small tree ([`Node`]) from the event stream of `saphyr-parser` without recursion,
//! so depth, node count (including what aliases expand to) and file size are all bounded before
//! any memory is spent on them. Scalars stay text here; the schema check decides what type a
//! scalar must be, so `"3"` and `3` can be told apart (see [`Scalar::plain`]).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diag::Pos;

/// Limits applied while reading one file.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes in the tree, counting every node an alias expands to.
    pub max_nodes: usize,
}

impl Default for Limits {
    /// 2 MiB, 64 levels, 200,000 nodes: far above any real workflow, far below harm.
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A scalar as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The text after YAML unescaping.
    pub text: String,
    /// True for unquoted (plain) scalars, which may be numbers, booleans or null.
    pub plain: bool,
}

impl Scalar {
    /// Whether this is a YAML null (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        self.plain && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// The boolean this plain scalar spells, under YAML 1.2's core schema (no `yes`/`no`).
    pub fn as_bool(&self) -> Option<bool> {
        if !self.plain {
            return None;
        }
        match self.text.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    /// The integer this plain scalar spells.
    pub fn as_int(&self) -> Option<i64> {
        if !self.plain {
            return None;
        }
        let t = self.text.as_str();
        let body = t.strip_prefix(['-', '+']).unwrap_or(t);
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    }

    /// The number this plain scalar spells (integers included).
    pub fn as_f64(&self) -> Option<f64> {
        if let Some(i) = self.as_int() {
            return Some(i as f64);
        }
        if !self.plain {
            return None;
        }
        let t = self.text.as_str();
        let ok = t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            && t.bytes().any(|b| b.is_ascii_digit());
        if ok {
            t.parse().ok().filter(|f: &f64| f.is_finite())
        } else {
            None
        }
    }
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar (string, number, boolean or null; see [`Scalar`]).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; keys are unique (duplicates are reported and dropped).
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key's text.
    pub name: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// A node of the tree with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its content.
    pub kind: NodeKind,
    /// Where it starts.
    pub pos: Pos,
}

impl Node {
    /// A short name of the node's type for messages: "a string", "a list", "a mapping", …
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Scalar(s) if s.is_null() => "nothing (null)".into(),
            NodeKind::Scalar(s) if s.as_bool().is_some() => format!("the boolean `{}`", s.text),
            NodeKind::Scalar(s) if s.as_int().is_some() => format!("the integer `{}`", s.text),
            NodeKind::Scalar(s) if s.as_f64().is_some() => format!("the number `{}`", s.text),
            NodeKind::Scalar(s) => {
                let short: String = s.text.chars().take(40).collect();
                format!("the string `{short}`")
            }
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a mapping".into(),
        }
    }

    /// The value under `key` if this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar text if this is a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) if !s.is_null() => Some(&s.text),
            _ => None,
        }
    }
}

/// Why a file could not be read into a tree; each carries the position to report.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// The file is larger than [`Limits::max_bytes`].
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not UTF-8.
    NotUtf8 {
        /// Where the first bad byte is.
        pos: Pos,
    },
    /// Nothing but whitespace and comments.
    Empty,
    /// The YAML does not parse.
    Syntax {
        /// Where the parser stopped.
        pos: Pos,
        /// The parser's words.
        message: String,
    },
    /// More than one YAML document (`---`) in the file.
    MultipleDocuments {
        /// Where the second document starts.
        pos: Pos,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    TooDeep {
        /// Where the limit was crossed.
        pos: Pos,
        /// The limit.
        limit: usize,
    },
    /// More nodes than [`Limits::max_nodes`], usually aliases expanding exponentially.
    TooManyNodes {
        /// Where the limit was crossed.
        pos: Pos,
        /// The limit.
        limit: usize,
        /// True when an alias pushed the count over the limit.
        via_alias: bool,
    },
    /// A key that is a list or a mapping.
    ComplexKey {
        /// Where the key starts.
        pos: Pos,
    },
    /// An alias to an anchor that does not exist yet.
    UnknownAlias {
        /// Where the alias is.
        pos: Pos,
    },
}

/// A duplicate key found while reading; the first occurrence is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    /// The key.
    pub name: String,
    /// Where it appears again.
    pub pos: Pos,
    /// Where it first appeared.
    pub first: Pos,
    /// The YAML path of the mapping holding it.
    pub path: String,
}

/// A successfully read document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The root node.
    pub root: Node,
    /// Duplicate keys (reported as errors by the caller; the document is still usable).
    pub duplicates: Vec<DuplicateKey>,
}

fn pos_of(span: &Span) -> Pos {
    let m = span.start;
    Pos::new(
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

/// Reads bytes into a tree.
pub fn read_bytes(bytes: &[u8], limits: Limits) -> Result<Document, ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            // `good` is valid UTF-8 by construction.
            let good = std::str::from_utf8(good).unwrap_or_default();
            let line = good.matches('\n').count() + 1;
            let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Err(ReadError::NotUtf8 {
                pos: Pos::new(line as u32, col as u32),
            });
        }
    };
    read_str(text, limits)
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
        nodes: usize,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
        seen: HashMap<String, Pos>,
        nodes: usize,
        path: String,
    },
}

/// Reads a string into a tree.
pub fn read_str(text: &str, limits: Limits) -> Result<Document, ReadError> {
    if text.len() > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size: text.len(),
            limit: limits.max_bytes,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new_from_str(text);
    let mut t = Tree {
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        total_nodes: 0,
        root: None,
        duplicates: Vec::new(),
    };
    let mut docs = 0usize;
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| {
            let pos = Pos::new(e.marker().line() as u32, e.marker().col() as u32 + 1);
            // The scanner has its own nesting limit for flow collections; report it as ours.
            if e.info().contains("recursion limit") {
                ReadError::TooDeep {
                    pos,
                    limit: limits.max_depth,
                }
            } else {
                ReadError::Syntax {
                    pos,
                    message: e.info().to_string(),
                }
            }
        })?;
        let pos = pos_of(&span);
        // A finished node (with its anchor id and node count) to attach to the parent.
        let finished: Option<(Node, usize, usize)> = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    return Err(ReadError::MultipleDocuments { pos });
                }
                None
            }
            Event::Alias(id) => {
                let Some((node, count)) = t.anchors.get(&id).cloned() else {
                    return Err(ReadError::UnknownAlias { pos });
                };
                t.count(count, pos, true)?;
                Some((node, 0, count))
            }
            Event::Scalar(value, style, anchor, _tag) => {
                t.count(1, pos, false)?;
                let scalar = Scalar {
                    text: value.into_owned(),
                    plain: matches!(style, ScalarStyle::Plain),
                };
                let kind = NodeKind::Scalar(scalar);
                Some((Node { kind, pos }, anchor, 1))
            }
            Event::SequenceStart(anchor, _) => t.open(true, anchor, pos).map(|()| None)?,
            Event::MappingStart(anchor, _) => t.open(false, anchor, pos).map(|()| None)?,
            Event::SequenceEnd => Some(t.close(true, pos)?),
            Event::MappingEnd => Some(t.close(false, pos)?),
        };
        if let Some((node, anchor, count)) = finished {
            if anchor != 0 {
                t.anchors.insert(anchor, (node.clone(), count));
            }
            t.attach(node, count)?;
        }
    }
    let (root, duplicates) = (t.root, t.duplicates);
    match root {
        None => Err(ReadError::Empty),
        Some((node, _)) => {
            if let NodeKind::Scalar(s) = &node.kind
                && s.is_null()
            {
                return Err(ReadError::Empty);
            }
            Ok(Document { root: node, duplicates })
        }
    }
}

/// The tree being built from the parser's events.
struct Tree {
    limits: Limits,
    /// The collections still open, innermost last.
    stack: Vec<Frame>,
    /// Anchored nodes with their node counts (an alias counts them again).
    anchors: HashMap<usize, (Node, usize)>,
    total_nodes: usize,
    root: Option<(Node, usize)>,
    duplicates: Vec<DuplicateKey>,
}

impl Tree {
    /// Counts `n` more nodes, refusing past the limit (`via_alias`: they came through an alias).
    fn count(&mut self, n: usize, pos: Pos, via_alias: bool) -> Result<(), ReadError> {
        self.total_nodes = self.total_nodes.saturating_add(n);
        if self.total_nodes > self.limits.max_nodes {
            return Err(ReadError::TooManyNodes {
                pos,
                limit: self.limits.max_nodes,
                via_alias,
            });
        }
        Ok(())
    }

    /// Opens a sequence or a mapping, within the depth limit and never as a key.
    fn open(&mut self, seq: bool, anchor: usize, pos: Pos) -> Result<(), ReadError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(ReadError::TooDeep {
                pos,
                limit: self.limits.max_depth,
            });
        }
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(ReadError::ComplexKey { pos });
        }
        self.count(1, pos, false)?;
        if seq {
            self.stack.push(Frame::Seq {
                pos,
                anchor,
                items: Vec::new(),
                nodes: 1,
            });
        } else {
            let path = current_path(&self.stack);
            self.stack.push(Frame::Map {
                pos,
                anchor,
                entries: Vec::new(),
                key: None,
                seen: HashMap::new(),
                nodes: 1,
                path,
            });
        }
        Ok(())
    }

    /// Closes the innermost collection (a sequence when `seq`): the node, its anchor, its count.
    fn close(&mut self, seq: bool, at: Pos) -> Result<(Node, usize, usize), ReadError> {
        match (seq, self.stack.pop()) {
            (
                true,
                Some(Frame::Seq {
                    pos,
                    anchor,
                    items,
                    nodes,
                }),
            ) => Ok((
                Node {
                    kind: NodeKind::Seq(items),
                    pos,
                },
                anchor,
                nodes,
            )),
            (
                false,
                Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    nodes,
                    ..
                }),
            ) => Ok((
                Node {
                    kind: NodeKind::Map(entries),
                    pos,
                },
                anchor,
                nodes,
            )),
            _ => Err(ReadError::Syntax {
                pos: at,
                message: if seq {
                    "unbalanced sequence end".into()
                } else {
                    "unbalanced mapping end".into()
                },
            }),
        }
    }

    /// Attaches a finished node to its parent: an item, a key, or a key's value (a key seen
    /// before is recorded as a duplicate and its second value dropped); the root otherwise.
    fn attach(&mut self, node: Node, count: usize) -> Result<(), ReadError> {
        match self.stack.last_mut() {
            None => self.root = Some((node, count)),
            Some(Frame::Seq { items, nodes, .. }) => {
                *nodes = nodes.saturating_add(count);
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                key,
                seen,
                nodes,
                path,
                ..
            }) => {
                *nodes = nodes.saturating_add(count);
                match key.take() {
                    None => {
                        let NodeKind::Scalar(s) = node.kind else {
                            return Err(ReadError::ComplexKey { pos: node.pos });
                        };
                        *key = Some(Key {
                            name: s.text,
                            pos: node.pos,
                        });
                    }
                    Some(k) => {
                        if let Some(first) = seen.get(&k.name) {
                            self.duplicates.push(DuplicateKey {
                                name: k.name.clone(),
                                pos: k.pos,
                                first: *first,
                                path: path.clone(),
                            });
                        } else {
                            seen.insert(k.name.clone(), k.pos);
                            entries.push((k, node));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The YAML path of the innermost open mapping's pending key, for duplicate-key messages.
fn current_path(stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack {
        match frame {
            Frame::Map { key: Some(k), .. } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&k.name);
            }
            Frame::Seq { items, .. } => out.push_str(&format!("[{}]", items.len())),
            Frame::Map { key: None, .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
