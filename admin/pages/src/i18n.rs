//! The pages' texts in Chinese (the default) and English. A key without a text shows `?`; a
//! test reads every template and handler and fails on a key missing here.

pub use crate::texts::TEXTS;

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "yimen_lang";

/// A page language.
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
}

/// Every text: the main table and the case list's.
pub fn all_texts() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TEXTS
        .iter()
        .chain(crate::texts_list::LIST_TEXTS)
        .chain(crate::texts_files::FILE_TEXTS)
        .chain(crate::texts_tasks::TASK_TEXTS)
        .chain(crate::texts_away::AWAY_TEXTS)
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

/// A sentence for a problem code from the API, in `lang` (empty when the code has none).
pub fn problem(lang: Lang, code: &str) -> &'static str {
    let (zh, en) = match code {
        "not_allowed" => ("无权进行此操作。", "You may not do that."),
        "wrong_state" => (
            "案件当前状态不能进行此操作。",
            "Not possible in the case's current state.",
        ),
        "closed" => ("案件已办结。", "The case is closed."),
        "stale" | "conflict" => (
            "案件刚被他人更新，请刷新后重试。",
            "Someone else changed the case; reload and try again.",
        ),
        "task_state" => ("该任务已被认领或已完成。", "The task is already claimed or finished."),
        "task_held_by_other" => (
            "该任务由他人承办，只有承办人、本部门负责人或督办人员可以办结。",
            "Someone else holds this task: only they, their department's head or a supervisor may finish it.",
        ),
        "take_over_reason_required" => (
            "接手他人承办的任务，请在意见中写明原因。",
            "Taking over someone else's task: give the reason as the comment.",
        ),
        "rate_limited" => (
            "操作过于频繁，请稍候再试。",
            "Too many requests; wait a moment and try again.",
        ),
        "guard_false" => ("不满足办理条件。", "The condition for this action does not hold."),
        "comment_required" => ("请填写意见。", "A comment is required."),
        "missing_field" => ("请填写必填项。", "A required field is missing."),
        "invalid_field" => ("填写内容有误。", "A field is not valid."),
        "no_tasks_chosen" => (
            "请先选择任务（一次最多 100 项）。",
            "Choose the tasks first (at most 100 at a time).",
        ),
        "not_department_head" => (
            "只有本部门负责人、派单员和管理员可以查看部门工作。",
            "Only the department's heads, the dispatching clerks and admins see a department's work.",
        ),
        "store_unavailable" => (
            "数据库暂时不可用，未做任何更改。",
            "The database is unavailable; nothing changed.",
        ),
        "store_full" => (
            "数据库磁盘已满，未做任何更改；请联系运维人员释放空间后重试。",
            "The database's disk is full; nothing changed. Ask the operator to free space, then try again.",
        ),
        "store_read_only" => (
            "数据库当前只读，未做任何更改；恢复写入后请重试。",
            "The database takes no writes at the moment; nothing changed. Try again once it does.",
        ),
        _ => ("", ""),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
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
