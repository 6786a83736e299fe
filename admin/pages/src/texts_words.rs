//! Texts of the pages' frame and words for what the engine stores as codes: error pages, the
//! skip link, the diagram's text alternative, channels, timers' states and what timers do.

/// (key, Chinese, English).
pub const WORDS_TEXTS: &[(&str, &str, &str)] = &[
    ("channel.email", "电子邮件", "email"),
    ("channel.sms", "短信", "SMS"),
    ("timer.pending", "待触发", "waiting"),
    ("timer.fired", "已触发", "fired"),
    ("timer.cancelled", "已取消", "called off"),
    ("timer.skipped", "已跳过", "skipped"),
    ("up.timer.acts", "系统自动办理：{action}", "The system takes: {action}"),
    ("up.timer.reminds", "到期提醒", "A reminder"),
    (
        "ev.timer.acted",
        "到期（{after}）自动办理：{action}",
        "Due after {after}: {action} taken by the system",
    ),
    (
        "ev.timer.reminded",
        "到期（{after}）发出提醒",
        "Due after {after}: reminder sent",
    ),
    ("ev.timer.other", "定时触发", "A timer fired"),
    (
        "wf.diagram.alt",
        "流程图：各状态及其间的操作，文字说明见下方",
        "Diagram of the states and the actions between them; in words below",
    ),
    ("wf.diagram.words", "流程图的文字说明", "The diagram in words"),
    ("wf.editor.label", "流程定义（YAML）", "The workflow (YAML)"),
    ("skip_to_main", "跳到正文", "Skip to the content"),
    ("error.back_inbox", "返回我的待办", "Back to my inbox"),
    ("error.h.forbidden", "无权访问", "Not for your role"),
    ("error.h.not_found", "没有找到", "Not found"),
    ("error.h.conflict", "未能办理", "Not done"),
    ("error.h.invalid", "提交内容有误", "Not valid"),
    ("error.h.too_large", "内容过大", "Too large"),
    ("error.h.too_many", "操作过于频繁", "Too many requests"),
    ("error.h.server", "服务器暂时无法处理", "The server could not answer"),
    ("error.h.other", "未能完成", "Not done"),
];
