//! The words of refusals in the reader's language: the language of a request (the pages'
//! cookie, else `Accept-Language`), a sentence per refusal code, and a field's problem with its
//! label. The API's problem details and the pages' error pages both say them, so a Chinese
//! reader never meets the English detail and an English one never meets the Chinese.

use axum::http::HeaderMap;

pub use crate::words_table::CODES;

/// The cookie that keeps the pages' chosen language.
pub const LANG_COOKIE: &str = "yimen_lang";

/// A language of the pages and the API's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag, as the workflows' texts are keyed.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a header value names first among those the site speaks (`Accept-Language`
    /// with its weights), if any.
    pub fn preferred(accept: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in accept.split(',').enumerate().take(20) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Lang::Zh,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }
}

/// The language of a page request: the chosen one (the cookie), else the browser's, else
/// Chinese.
pub fn page_lang(headers: &HeaderMap) -> Lang {
    match cookie_value(headers, LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        Some("zh-CN" | "zh") => Lang::Zh,
        _ => accepted(headers).unwrap_or(Lang::Zh),
    }
}

/// The language of an API request: `Accept-Language`, else English (what the API always spoke).
pub fn api_lang(headers: &HeaderMap) -> Lang {
    accepted(headers).unwrap_or(Lang::En)
}

fn accepted(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::preferred)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

tokio::task_local! {
    static REQUEST_LANG: Lang;
}

/// Runs `f` with `lang` as the language of the request being served (refusals made inside
/// speak it).
pub async fn speaking<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    REQUEST_LANG.scope(lang, f).await
}

/// The language of the request being served; English outside one (the CLI, the tests' calls).
pub fn current() -> Lang {
    current_or(Lang::En)
}

/// The language of the request being served, or `default` outside one.
pub fn current_or(default: Lang) -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or(default)
}

/// The sentence for a refusal code in `lang`; empty when the code has none.
pub fn problem(lang: Lang, code: &str) -> &'static str {
    match CODES.iter().find(|(c, _, _)| *c == code) {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => "",
    }
}

/// What to say for a refusal with `code` and the English `detail`: the detail itself in
/// English (it says the most), the code's sentence in Chinese — never the other language.
pub fn refusal(lang: Lang, code: &str, detail: &str) -> String {
    match lang {
        Lang::En if !detail.is_empty() => detail.to_owned(),
        _ => {
            let said = problem(lang, code);
            if said.is_empty() {
                problem(lang, "refused").to_owned()
            } else {
                said.to_owned()
            }
        }
    }
}

/// What a page says for a refusal: the code's sentence in `lang` (a page's reader needs no
/// ids or states); without one, the English detail to an English reader and the general
/// sentence to a Chinese one.
pub fn for_people(lang: Lang, code: &str, detail: &str) -> String {
    let said = problem(lang, code);
    if said.is_empty() {
        refusal(lang, code, detail)
    } else {
        said.to_owned()
    }
}

/// A field's problem in `lang`, naming the field by `label` (its label in the case type, or its
/// id where none is known) with the limit it broke.
pub fn field_problem(lang: Lang, label: &str, p: &yimen_engine::core::FieldProblem) -> String {
    let text = crate::words_table::FIELD_PROBLEMS
        .iter()
        .find(|(c, _, _)| *c == p.code)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        });
    match text {
        Some(t) => t
            .replace("{label}", label)
            .replace("{limit}", p.limit.as_deref().unwrap_or_default()),
        None => match lang {
            Lang::En => format!("{label}: {}", p.problem),
            Lang::Zh => format!("{label}：填写内容有误。"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_follows_the_weights_and_the_order() {
        assert_eq!(Lang::preferred("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(Lang::preferred("en-GB,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::preferred("fr;q=1, en;q=0.2, zh-TW;q=0.5"), Some(Lang::Zh));
        assert_eq!(Lang::preferred("de, fr"), None);
        assert_eq!(Lang::preferred("zh;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::preferred(""), None);
        assert_eq!(Lang::preferred(";;;,q=,zh;q=abc"), Some(Lang::Zh));
    }

    #[test]
    fn a_page_takes_the_cookie_first_and_the_api_defaults_to_english() {
        let mut h = HeaderMap::new();
        h.insert("accept-language", "en-US,en;q=0.9".parse().expect("value"));
        assert_eq!(page_lang(&h), Lang::En);
        assert_eq!(api_lang(&h), Lang::En);
        h.insert("cookie", "a=b; yimen_lang=zh-CN".parse().expect("value"));
        assert_eq!(page_lang(&h), Lang::Zh);
        let none = HeaderMap::new();
        assert_eq!(page_lang(&none), Lang::Zh);
        assert_eq!(api_lang(&none), Lang::En);
    }

    #[test]
    fn a_chinese_refusal_never_carries_the_english_detail() {
        let zh = refusal(
            Lang::Zh,
            "stale_version",
            "the case changed (it is at version 9, you expected 8)",
        );
        assert_eq!(zh, "案件刚被他人更新，请刷新后重试。");
        let unknown = refusal(Lang::Zh, "no_such_code_anywhere", "an English detail");
        assert!(!unknown.is_empty() && !unknown.contains("English"), "{unknown}");
        assert_eq!(refusal(Lang::En, "stale_version", "the detail"), "the detail");
        assert_eq!(
            for_people(Lang::En, "stale_version", "the case changed (it is at version 9)"),
            "Someone else changed the case; reload and try again."
        );
        assert_eq!(
            for_people(Lang::En, "no_such_code_anywhere", "the detail"),
            "the detail"
        );
    }

    /// Every refusal code the sources give (a service error, an API error, an engine rejection)
    /// has its sentence in both languages, and no sentence is in the other language.
    #[test]
    fn every_refusal_code_in_the_sources_has_words_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["admin", "engine/core/src/core", "engine/src"] {
            collect(&root.join(dir), &mut files);
        }
        let mut missing = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for code in codes_in(&text) {
                if problem(Lang::Zh, &code).is_empty() && !missing.contains(&code) {
                    missing.push(code);
                }
            }
        }
        assert!(missing.is_empty(), "codes without words: {missing:?}");
        for (code, zh, en) in CODES.iter().chain(crate::words_table::FIELD_PROBLEMS) {
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {zh}"
            );
            assert!(
                !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {en}"
            );
        }
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() && !p.ends_with("tests") && !p.ends_with("target") {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The codes given as the second or third argument of a refusal's constructor.
    fn codes_in(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for start in ["ApiError::new(", "Error::new(", "refuse("] {
            for (i, _) in text.match_indices(start) {
                let rest = &text[i + start.len()..];
                let args: String = rest.chars().take(200).collect();
                if let Some(code) = args.split('"').nth(1)
                    && !code.is_empty()
                    && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    && args.split('"').next().is_some_and(|pre| !pre.contains(')'))
                {
                    out.push(code.to_owned());
                }
            }
        }
        for line in text
            .lines()
            .filter(|l| l.contains("Rejection::") && l.contains("=> \""))
        {
            if let Some(code) = line.split("=> \"").nth(1).and_then(|r| r.split('"').next()) {
                out.push(code.to_owned());
            }
        }
        out
    }
}
