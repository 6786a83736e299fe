//! The pages' texts in Chinese (the default) and English. A key without a text shows `?`; a
//! test reads every template and handler and fails on a key missing here.

pub use crate::texts::TEXTS;

pub use yimen_http::words::{LANG_COOKIE, Lang};

/// Every text: the main table and the case list's.
pub fn all_texts() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TEXTS
        .iter()
        .chain(crate::texts_list::LIST_TEXTS)
        .chain(crate::texts_files::FILE_TEXTS)
        .chain(crate::texts_tasks::TASK_TEXTS)
        .chain(crate::texts_away::AWAY_TEXTS)
        .chain(crate::texts_words::WORDS_TEXTS)
}

/// A text in `lang`; `?` when there is none.
pub fn t(lang: Lang, key: &str) -> &'static str {
    // A page asks for dozens of texts; look them up by key rather than scanning the table.
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| all_texts().map(|(k, zh, en)| (*k, (*zh, *en))).collect());
    match index.get(key) {
        Some((zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        // Keys are static strings in templates and handlers (a test checks them all).
        None => "?",
    }
}

/// A stored code (`email`, `fired`, `signed_in`) of a `kind` (`channel`, `timer`, `audit`) in
/// the reader's words (the text `kind.code`), the code as it is where there is none.
pub fn coded(lang: Lang, kind: &str, code: &str) -> String {
    match t(lang, &format!("{kind}.{code}")) {
        "?" => code.to_owned(),
        text => text.to_owned(),
    }
}

/// A sentence for a refusal code in `lang` (empty when the code has none).
pub fn problem(lang: Lang, code: &str) -> &'static str {
    yimen_http::words::problem(lang, code)
}

/// A refusal in the reader's words: the code's sentence, or (in English, for a code without
/// one) the detail.
pub fn refusal(lang: Lang, code: &str, detail: &str) -> String {
    yimen_http::words::for_people(lang, code, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template or handler names has both texts, and no key is listed twice.
    #[test]
    fn every_key_used_has_texts() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut sources = Vec::new();
        for dir in ["templates", "src"] {
            for e in std::fs::read_dir(format!("{root}{dir}")).expect("dir") {
                let p = e.expect("entry").path();
                sources.push((p.display().to_string(), std::fs::read_to_string(&p).expect("read")));
            }
        }
        let re = regex::Regex::new(r#"\bt\((?:ctx\.)?lang, "([a-z_.0-9]+)"\)"#).expect("regex");
        let re_tpl = regex::Regex::new(r#"c\.t\("([a-z_.0-9]+)"\)"#).expect("regex");
        let mut missing = Vec::new();
        let mut seen = 0;
        for (file, text) in &sources {
            for cap in re.captures_iter(text).chain(re_tpl.captures_iter(text)) {
                seen += 1;
                let key = &cap[1];
                if !all_texts().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{file}: {key}"));
                }
            }
        }
        assert!(seen > 100, "the scan found only {seen} keys");
        assert!(missing.is_empty(), "keys without texts: {missing:#?}");
        let mut keys: Vec<&str> = all_texts().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
        assert!(all_texts().all(|(_, zh, en)| !zh.is_empty() && !en.is_empty()));
    }

    #[test]
    fn dynamic_keys_have_texts() {
        for prefix in ["sla", "tier", "outcome", "record", "delivery"] {
            assert!(TEXTS.iter().any(|(k, _, _)| k.starts_with(&format!("{prefix}."))));
        }
        for k in [
            "sla.on_time",
            "sla.warning",
            "sla.breached",
            "sla.paused",
            "sla.stopped",
            "sla.none",
            "tier.district",
            "tier.town",
            "tier.community",
            "outcome.resolved",
            "outcome.unresolved",
            "outcome.rejected",
            "outcome.withdrawn",
            "outcome.transferred",
            "outcome.merged",
            "record.awaiting",
            "record.answered",
            "record.accepted",
            "record.returned",
            "record.closed",
            "delivery.pending",
            "delivery.retrying",
            "delivery.delivered",
            "delivery.failed",
            "delivery.undeliverable",
            "done.acted",
            "done.commented",
            "done.visit",
            "done.extended",
            "done.escalated",
            "done.answered",
            "done.accepted",
            "done.returned",
            "done.opened",
            "done.linked",
            "done.revealed",
            "done.opened_receipt",
            "done.retrying",
            "done.account_started",
            "done.account_stopped",
            "ev.sla_met",
            "ev.sla_missed",
            "ev.accepted",
            "ev.returned",
            "ev.closed",
            "login.bad_name",
            "login.bad_password",
            "login.too_many",
            "login.wrong",
            "login.failed",
        ] {
            assert_ne!(t(Lang::Zh, k), "?", "{k}");
            assert_ne!(t(Lang::En, k), "?", "{k}");
        }
    }
}
