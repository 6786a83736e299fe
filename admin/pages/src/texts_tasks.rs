//! The texts of tasks changing hands and of work that reaches nobody (zh-CN, en), beside the
//! pages' main table.

/// Key, Chinese, English.
pub const TASK_TEXTS: &[(&str, &str, &str)] = &[
    ("ev.unstaffed", "任务无人承接", "Task reaches nobody"),
    ("ev.unstaffed_told", "已通知：", "Told: "),
    (
        "ev.unstaffed_nobody_told",
        "本部门无负责人，也无派单员可通知",
        "There is no department head or dispatching clerk to tell",
    ),
    ("list.sep", "、", ", "),
    ("task.unstaffed", "无人可承接", "Reaches nobody"),
    ("task.give", "指派给他人", "Give to someone"),
    ("task.to_user", "指派给", "Give to"),
    ("task.reason", "理由", "Reason"),
    ("task.give.submit", "指派", "Give"),
    ("task.return", "退回待领取", "Return to the pool"),
    ("done.given", "任务已指派", "The task was given"),
    ("error.no_task", "没有这项任务。", "There is no such task."),
    ("unstaffed.title", "无人承接的任务", "Tasks that reach nobody"),
    (
        "unstaffed.help",
        "这些任务所需的岗位在其部门和区域内无人担任，不会出现在任何人的待办中。请打开案件，将任务指派给能够办理的人员。",
        "Nobody holds the role these tasks need in their department and area, so they are in no one's inbox. Open the case and give the task to someone who can do it.",
    ),
    ("unstaffed.give", "去指派", "Give it to someone"),
    ("bulk.claim", "领取所选任务", "Claim the chosen tasks"),
    ("bulk.give", "指派所选任务", "Give the chosen tasks"),
    ("bulk.choose", "选择", "Choose"),
    (
        "bulk.done",
        "已办理 {n} 项，{m} 项未能办理（已被他人领取或无权办理）。",
        "{n} done, {m} not done (claimed by someone else, or not allowed).",
    ),
    ("nav.team", "本部门工作", "Department work"),
    ("team.title", "本部门工作", "Department work"),
    ("team.department", "部门", "Department"),
    ("team.unstaffed", "无人承接的任务", "Tasks that reach nobody"),
    (
        "team.unstaffed.link",
        "在待办页查看并指派",
        "See and give them from the inbox",
    ),
    ("team.load", "各人在办", "Work by person"),
    ("team.person", "人员", "Person"),
    ("team.open", "在办任务", "Open tasks"),
    ("team.overdue", "已超期", "Overdue"),
    ("team.tasks", "任务", "Tasks"),
    ("team.all", "显示全部任务", "Show every task"),
    ("team.none", "没有符合条件的任务", "No tasks match"),
    ("team.nobody", "（待领取）", "(not yet claimed)"),
];
