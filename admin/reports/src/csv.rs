//! CSV as spreadsheet programs read it: UTF-8 with a byte-order mark (so they read the Chinese),
//! a header in the report's language, and fields quoted where they must be.

use crate::text::Lang;

/// A CSV being written.
#[derive(Debug)]
pub struct Csv {
    lang: Lang,
    head: Vec<&'static str>,
    body: String,
}

impl Csv {
    /// A CSV whose header starts with the texts of `keys`.
    pub fn new(lang: Lang, keys: &[&str]) -> Csv {
        let mut c = Csv {
            lang,
            head: Vec::new(),
            body: String::new(),
        };
        c.header(keys);
        c
    }

    /// More header cells.
    pub fn header(&mut self, keys: &[&str]) {
        self.head.extend(keys.iter().map(|k| self.lang.t(k)));
    }

    /// A row of fields already quoted with [`field`] where they hold text.
    pub fn row(&mut self, cells: &[String]) {
        self.body.push_str(&cells.join(","));
        self.body.push('\n');
    }

    /// The whole file.
    pub fn finish(self) -> String {
        let head: Vec<String> = self.head.iter().map(|h| field(h)).collect();
        format!("\u{feff}{}\n{}", head.join(","), self.body)
    }
}

/// A text field, quoted when it holds a comma, a quote or a line break.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
