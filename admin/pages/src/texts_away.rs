//! The texts of absences and stand-ins (休假代办) and of what is wrong with a field, zh-CN and en.

/// Key, Chinese, English.
pub const AWAY_TEXTS: &[(&str, &str, &str)] = &[
    ("nav.away", "休假代办", "Away"),
    ("away.title", "休假与代办", "Away and stand-ins"),
    (
        "away.intro",
        "休假、培训或出差期间，请指定同部门同岗位的同事代办：期间您名下的任务会列入代办人的待办，由其办理、退回或转派。",
        "While you are on leave, training or a trip, name a colleague of your department with your role: your tasks appear in their inbox, and they may act on, return or hand on that work.",
    ),
    ("away.standing_in", "您正在代办：", "You stand in for: "),
    (
        "away.standing_in.inbox",
        "。其名下的任务已列入您的待办。",
        ". Their tasks are in your inbox.",
    ),
    ("away.new", "登记休假", "Set an absence"),
    ("away.person", "休假人员", "Who is away"),
    ("away.delegate", "代办人", "Stand-in"),
    ("away.from", "开始日期", "First day"),
    ("away.until", "结束日期", "Last day"),
    ("away.reason", "事由", "Reason"),
    ("away.submit", "登记", "Set"),
    ("away.list", "未结束的休假", "Absences not over"),
    ("away.none", "没有未结束的休假。", "No absences to come or running."),
    ("away.state", "状态", "State"),
    ("away.running", "进行中", "Running"),
    ("away.upcoming", "未开始", "To come"),
    ("away.cancel", "取消休假", "Call off"),
    (
        "away.done.set",
        "已登记，期间的任务将由代办人办理。",
        "Set: the stand-in takes the work during those days.",
    ),
    (
        "away.done.cancelled",
        "已取消，任务回到本人名下。",
        "Called off: the work is back with its holder.",
    ),
    ("away.link", "休假代办", "Away and stand-ins"),
    ("away.errors", "请修改以下内容：", "Please correct the following:"),
    (
        "away.problem.not_a_user",
        "该人员不是有效账号。",
        "Not an active account.",
    ),
    ("away.problem.no_delegate", "请选择代办人。", "Choose who stands in."),
    (
        "away.problem.self",
        "不能由本人代办自己。",
        "A person cannot stand in for themselves.",
    ),
    (
        "away.problem.not_a_colleague",
        "代办人须为同部门、同岗位的在岗同事。",
        "The stand-in must be an active colleague of the same department with the same role.",
    ),
    ("away.problem.bad_date", "请填写日期。", "Give a date."),
    (
        "away.problem.ends_before_start",
        "结束日期早于开始日期。",
        "The last day is before the first.",
    ),
    (
        "away.problem.in_the_past",
        "该时段已经过去。",
        "Those days are over already.",
    ),
    (
        "away.problem.too_long",
        "一次休假最长90天。",
        "An absence is at most 90 days.",
    ),
    (
        "away.problem.overlaps",
        "该人员在这些日期已有休假登记。",
        "This person is already away on some of these days.",
    ),
    (
        "away.problem.delegate_away",
        "代办人在这些日期也休假。",
        "The stand-in is away on those days too.",
    ),
    ("away.problem.no_reason", "请填写事由。", "Give a reason."),
    (
        "away.problem.reason_too_long",
        "事由最多200字。",
        "At most 200 characters.",
    ),
    ("fp.errors", "请修改以下内容：", "Please correct the following:"),
    (
        "action.unavailable",
        "当前条件下不能办理此操作。",
        "This cannot be done in the case's present state.",
    ),
    ("action.unavailable.short", "（暂不可办理）", "(not available now)"),
];
