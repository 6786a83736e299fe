//! Notifications in the reader's words: the channel (`短信`), the message by its template's name
//! in the reader's language (`受理回执`), and who it went to (`当事人` for the citizen, a person by
//! name).

use yimen_http::AppState;

use crate::i18n::{Lang, t};

/// A channel (`email`, `sms`) named.
pub fn channel(lang: Lang, ch: &str) -> String {
    crate::i18n::coded(lang, "channel", ch)
}

/// A template by the name its front matter gives in the reader's language (the Chinese file's,
/// else any), its id only when no file names it.
pub fn template(s: &AppState, id: &str, lang: Lang) -> String {
    let sources = s.bundle.as_ref().and_then(|b| b.templates.get(id));
    let named = |loc: &str| {
        sources
            .into_iter()
            .flatten()
            .find(|src| src.locale == loc)
            .and_then(|src| src.header.name.clone())
    };
    named(lang.tag())
        .or_else(|| named("zh-CN"))
        .unwrap_or_else(|| id.to_owned())
}

/// Who a notification went to: the citizen, a person of the organisation by name.
pub fn recipient(s: &AppState, id: &str, lang: Lang) -> String {
    if id == "citizen" {
        return t(lang, "notice.citizen").to_owned();
    }
    crate::case_history::who(s, id, lang)
}
