//! Diagnostics: every problem the loader and validator find, with a stable code, a location
//! (file, line, column, YAML path) and a hint an author can act on.
//!
//! Validation never stops at the first problem: each stage pushes into a [`Diagnostics`]
//! collection and the caller decides at the end (see `docs/diagnostics.md` for every code).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The definition cannot be deployed.
    Error,
    /// The definition works, but something is probably wrong or will soon be.
    Warning,
}

/// A position in a source file; both numbers start at 1 and count characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

impl Pos {
    /// A position at `line`, `column` (both from 1).
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    /// The start of a file.
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file, as given to the loader (relative paths stay relative).
    pub file: PathBuf,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
    /// The YAML path of the offending node, e.g. `actions.accept.to`; empty for the whole file.
    pub path: String,
    /// Error or warning.
    pub severity: Severity,
    /// A stable code, e.g. `Y0201`; documented in `docs/diagnostics.md`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// The location as `file:line:col`.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {sev}[{}]: {}", self.location(), self.code, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// A growing list of diagnostics.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a diagnostic at `file:pos`; finish it with [`Builder::error`] or [`Builder::warning`].
    pub fn at<'a>(&'a mut self, file: &Path, pos: Pos, path: impl Into<String>) -> Builder<'a> {
        Builder {
            sink: self,
            file: file.to_path_buf(),
            pos,
            path: path.into(),
            hint: None,
        }
    }

    /// Adds a finished diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Whether any error (not warning) was found.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// The diagnostics in file, line, column order (stable for equal positions).
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.items.dedup();
        self.items
    }

    /// The diagnostics in the order they were found.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A diagnostic being built; see [`Diagnostics::at`].
pub struct Builder<'a> {
    sink: &'a mut Diagnostics,
    file: PathBuf,
    pos: Pos,
    path: String,
    hint: Option<String>,
}

impl Builder<'_> {
    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint line if there is one.
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// Records an error.
    pub fn error(self, code: &'static str, message: impl Into<String>) {
        self.finish(Severity::Error, code, message.into());
    }

    /// Records a warning.
    pub fn warning(self, code: &'static str, message: impl Into<String>) {
        self.finish(Severity::Warning, code, message.into());
    }

    fn finish(self, severity: Severity, code: &'static str, message: String) {
        self.sink.items.push(Diagnostic {
            file: self.file,
            line: self.pos.line,
            column: self.pos.column,
            path: self.path,
            severity,
            code,
            message,
            hint: self.hint,
        });
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// A hint naming the closest candidate, or listing a few of them.
pub fn suggest<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(best) = did_you_mean(word, candidates.clone()) {
        return Some(format!("did you mean `{best}`?"));
    }
    let mut all: Vec<&str> = candidates.into_iter().collect();
    if all.is_empty() {
        return None;
    }
    all.sort_unstable();
    let shown: Vec<String> = all.iter().take(8).map(|c| format!("`{c}`")).collect();
    let more = if all.len() > 8 {
        format!(" and {} more", all.len() - 8)
    } else {
        String::new()
    };
    Some(format!("expected one of {}{more}", shown.join(", ")))
}

/// Levenshtein distance over characters (optimal string alignment, so a swap costs 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_prefer_close_words() {
        assert_eq!(did_you_mean("stats", ["states", "actions"]), Some("states"));
        assert_eq!(did_you_mean("acitons", ["states", "actions"]), Some("actions"));
        assert_eq!(did_you_mean("zzz", ["states", "actions"]), None);
    }

    #[test]
    fn display_has_location_code_and_hint() {
        let mut ds = Diagnostics::new();
        ds.at(Path::new("a.yaml"), Pos::new(3, 5), "x")
            .hint("do this")
            .error("Y0201", "bad");
        let text = ds.as_slice()[0].to_string();
        assert_eq!(text, "a.yaml:3:5: error[Y0201]: bad\n  = hint: do this");
    }
}
