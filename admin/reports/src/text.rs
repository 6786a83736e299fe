//! Looking texts up and filling in their values.

use crate::texts::TEXTS;

/// The language a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language of a locale tag (`en…` is English; anything else Chinese).
    pub fn of(locale: &str) -> Lang {
        if locale.starts_with("en") { Lang::En } else { Lang::Zh }
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The text of `key`; `?` for a key not in the table (a test checks every key used).
    pub fn t(self, key: &str) -> &'static str {
        static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
            std::sync::OnceLock::new();
        let index = INDEX.get_or_init(|| TEXTS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());
        index
            .get(key)
            .map_or("?", |(zh, en)| if self == Lang::En { en } else { zh })
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fill(self, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in values {
            s = s.replace(&format!("{{{name}}}"), &value.to_string());
        }
        s
    }
}

/// A rate as a percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_has_both_texts_and_the_same_values() {
        let mut keys = std::collections::HashSet::new();
        for (k, zh, en) in TEXTS {
            assert!(keys.insert(*k), "`{k}` twice");
            assert!(!zh.is_empty() && !en.is_empty(), "`{k}` lacks a text");
            let names = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(
                names(zh),
                names(en),
                "`{k}` puts in different values in its two languages"
            );
        }
        // Every key the sources name is in the table.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let quoted = regex_lite_keys(&dir);
        for k in quoted {
            assert!(keys.contains(k.as_str()), "`{k}` is used but has no text");
        }
    }

    /// The keys the sources under `dir` name: the first argument of `t(…)` and `fill(…)`, and
    /// every literal shaped like a key (`col.name`, `b.title`: the column lists).
    fn regex_lite_keys(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).expect("src") {
            let p = e.expect("entry").path();
            if p.file_name()
                .is_some_and(|n| n == "texts.rs" || n == "text.rs" || n == "tests.rs")
            {
                continue;
            }
            let src = std::fs::read_to_string(&p).expect("read");
            for call in [".t(\"", ".fill(\""] {
                for part in src.split(call).skip(1) {
                    if let Some((k, _)) = part.split_once('"') {
                        out.push(k.to_owned());
                    }
                }
            }
            for lit in src.split('"').skip(1).step_by(2) {
                let keyish = lit.split_once('.').is_some_and(|(p, rest)| {
                    ["col", "a", "b", "s", "m"].contains(&p)
                        && !rest.is_empty()
                        && rest
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
                if keyish {
                    out.push(lit.to_owned());
                }
            }
        }
        assert!(out.len() > 60, "the scan found the keys: {out:?}");
        out
    }

    #[test]
    fn values_are_filled_in() {
        assert_eq!(Lang::Zh.fill("a.records", &[("n", &3)]), "3 件");
        assert_eq!(Lang::En.fill("a.records", &[("n", &3)]), "3 records");
        assert_eq!(Lang::En.t("no such key"), "?");
    }
}
