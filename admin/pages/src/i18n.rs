//! The pages' texts in Chinese (the default) and English. A key without a text shows `?`; a
//! test reads every template and handler and fails on a key missing here.

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

/// (key, 中文, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("nav.inbox", "我的待办", "Inbox"),
    ("nav.intake", "受理登记", "Intake"),
    ("nav.supervision", "督办", "Supervision"),
    ("nav.reports", "通报考核", "Reports"),
    ("nav.workflows", "流程配置", "Workflows"),
    ("nav.ops", "运维", "Operations"),
    ("signout", "退出", "Sign out"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("login.title", "登录", "Sign in"),
    ("login.user", "用户名", "User name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.help",
        "账号由系统管理员开设；忘记密码请联系管理员重置。",
        "Accounts are made by an administrator; ask one to reset a forgotten password.",
    ),
    (
        "login.wrong",
        "用户名或密码错误。连续输错5次，账号将锁定15分钟（管理员可解锁）。",
        "Wrong user name or password. After 5 wrong passwords an account is locked for 15 minutes (an administrator can unlock it).",
    ),
    (
        "login.bad_name",
        "用户名为2至64位字母、数字或 _ - . 符号。",
        "A user name is 2 to 64 letters, digits, _, - or .",
    ),
    (
        "login.bad_password",
        "密码过长（最多1024个字符）。",
        "The password is too long (at most 1,024 characters).",
    ),
    (
        "login.too_many",
        "此地址登录尝试过多，请稍候一分钟再试。",
        "Too many sign-in attempts from this address; wait a minute and try again.",
    ),
    (
        "login.failed",
        "暂时无法登录，请稍后再试。",
        "Signing in failed; try again shortly.",
    ),
    (
        "login.expired",
        "登录页面已过期，请重新输入。",
        "The sign-in page expired; please enter your details again.",
    ),
    ("inbox.title", "我的待办", "My inbox"),
    ("inbox.state", "状态", "State"),
    ("inbox.state.all", "全部", "All"),
    ("inbox.state.open", "待认领", "To claim"),
    ("inbox.state.claimed", "已认领", "Claimed"),
    ("inbox.case_type", "事项类型", "Case type"),
    ("inbox.search", "搜索", "Search"),
    ("inbox.search.hint", "案件编号或内容", "Case id or text"),
    ("inbox.filter", "筛选", "Filter"),
    ("inbox.empty", "没有待办任务。", "Nothing to do."),
    ("inbox.sla", "时限", "SLA"),
    ("inbox.task", "任务", "Task"),
    ("inbox.case", "案件", "Case"),
    ("inbox.case_state", "案件状态", "Case state"),
    ("inbox.unit", "所在单位", "Unit"),
    ("inbox.created", "派发时间", "Since"),
    ("inbox.holder", "经办人", "Held by"),
    ("inbox.claim", "认领", "Claim"),
    ("inbox.release", "退回待办池", "Release"),
    ("inbox.act", "办理", "Act"),
    ("inbox.due", "到期", "due"),
    ("pager.prev", "上一页", "Previous"),
    ("pager.next", "下一页", "Next"),
    ("pager.page", "第", "Page"),
    ("sla.on_time", "正常", "On time"),
    ("sla.warning", "预警", "Warning"),
    ("sla.breached", "超期", "Breached"),
    ("sla.paused", "暂停计时", "Paused"),
    ("sla.stopped", "已停止", "Stopped"),
    ("sla.none", "不计时", "No clock"),
    ("tier.district", "区级", "District"),
    ("tier.town", "镇街级", "Town"),
    ("tier.community", "社区级", "Community"),
    ("outcome.resolved", "已办结", "resolved"),
    ("outcome.unresolved", "未化解", "unresolved"),
    ("outcome.rejected", "不予受理", "rejected"),
    ("outcome.withdrawn", "已撤回", "withdrawn"),
    ("outcome.transferred", "已移交", "transferred"),
    ("outcome.merged", "已合并", "merged"),
    ("record.awaiting", "待答复", "Awaiting answer"),
    ("record.answered", "已答复待审核", "Answered, to review"),
    ("record.accepted", "已认可", "Accepted"),
    ("record.returned", "已退回重办", "Returned"),
    ("record.closed", "已关闭", "Closed"),
    ("delivery.pending", "待发送", "pending"),
    ("delivery.retrying", "重试中", "retrying"),
    ("delivery.delivered", "已送达", "delivered"),
    ("delivery.failed", "发送失败", "failed"),
    ("delivery.undeliverable", "无法发送", "undeliverable"),
    ("delivery.deferred", "延后发送", "deferred"),
    ("case.opened", "受理于", "Opened"),
    ("case.closed", "办结于", "Closed"),
    ("case.visits", "来访次数", "Visits"),
    ("case.repeats", "重复反映", "Repeats"),
    ("case.fields", "案件信息", "Details"),
    ("case.reveal", "查看完整个人信息", "Show personal data"),
    ("case.reveal.reason", "查看理由", "Reason"),
    ("case.reveal.submit", "查看", "Show"),
    (
        "case.reveal.audited",
        "查看操作将记入审计日志。",
        "Revealing is written to the audit log.",
    ),
    (
        "case.reveal.reason_required",
        "请填写查看个人信息的理由。",
        "Say why you need the personal data.",
    ),
    ("case.work", "办理", "Work"),
    ("case.no_tasks", "当前没有待办任务。", "No open task."),
    ("case.comment", "意见", "Comment"),
    ("case.comment.optional", "意见（选填）", "Comment (optional)"),
    ("case.extend", "申请延期", "Extend the time limit"),
    ("case.escalate", "提级督办", "Escalate"),
    (
        "case.escalate.confirm",
        "确定提级督办？将通知上一级督办人员。",
        "Escalate? The next level's supervisors will be told.",
    ),
    ("case.visit", "登记来访", "Record a visit"),
    ("case.supervision", "督办单", "Supervision records (督办单)"),
    ("case.level", "级别", "Level"),
    ("case.rung", "督办类型", "Supervision"),
    ("case.record.opened", "发起时间", "Opened"),
    ("case.record.due", "答复期限", "Answer due"),
    ("case.record.state", "状态", "State"),
    ("case.record.answer", "答复", "Answer"),
    ("case.record.submit", "提交答复", "Send the answer"),
    ("case.record.accept", "认可", "Accept"),
    ("case.record.return", "退回重办", "Send back"),
    ("case.upcoming", "时限提醒（将发生）", "What will fire when"),
    ("case.estimate", "预计", "estimate"),
    (
        "case.provisional",
        "节假日安排未公布，暂按规则推算",
        "provisional calendar",
    ),
    ("case.history", "办理记录", "History"),
    ("case.add_comment", "添加备注", "Add a comment"),
    ("case.notifications", "通知记录", "Notifications"),
    ("case.n.channel", "渠道", "Channel"),
    ("case.n.to", "接收人", "To"),
    ("case.n.template", "模板", "Template"),
    ("case.n.state", "状态", "State"),
    ("case.n.attempts", "尝试次数", "Attempts"),
    ("case.system", "系统", "System"),
    ("up.sla_warning", "时限预警", "SLA warning at"),
    ("up.sla_due", "办理期限届满", "SLA due"),
    ("up.rung", "督办", "Supervision rung:"),
    ("up.timer", "定时", "Timer"),
    ("ev.opened", "受理登记", "Registered"),
    ("ev.claimed", "认领任务", "Claimed task"),
    ("ev.released", "退回任务", "Released task"),
    ("ev.reassigned", "转派任务", "Reassigned task"),
    ("ev.commented", "备注", "Comment"),
    ("ev.visit", "群众来访一次", "The citizen came in person"),
    ("ev.repeated", "群众重复反映", "Repeated by the citizen"),
    ("ev.assigned", "指派任务", "Assigned task"),
    ("ev.timer", "定时触发", "Timer fired:"),
    ("ev.department", "交由承办部门", "Handed to"),
    ("ev.tier", "提级至", "Raised to"),
    ("ev.supervision_requested", "提交督办", "Submitted for supervision:"),
    ("ev.sla_started", "开始计时", "Clock started:"),
    ("ev.sla_paused", "暂停计时", "Clock paused"),
    ("ev.sla_resumed", "恢复计时", "Clock resumed"),
    ("ev.sla_extended", "延长期限", "Time limit extended by"),
    (
        "ev.sla_recomputed",
        "按新日历重算期限",
        "Due instant recomputed on the new calendar",
    ),
    ("ev.sla_met", "按期办结", "Closed within the time limit"),
    ("ev.sla_missed", "超期办结", "Closed late"),
    ("ev.sla_warning", "时限预警", "SLA warning"),
    ("ev.sla_breached", "办理超期", "SLA breached"),
    ("ev.rung", "启动督办 级别", "Supervision fired, level"),
    ("ev.recipients_missing", "通知无接收人", "No recipient for"),
    ("ev.answered", "答复督办单", "Answered the supervision record"),
    ("ev.accepted", "督办答复获认可", "Answer accepted"),
    ("ev.returned", "督办答复被退回", "Answer sent back"),
    ("ev.closed", "办结", "Closed"),
    ("done.acted", "已办理。", "Done."),
    ("done.commented", "已添加备注。", "Comment added."),
    ("done.visit", "已登记来访。", "Visit recorded."),
    ("done.extended", "已延期。", "Time limit extended."),
    ("done.escalated", "已提级督办。", "Escalated."),
    ("done.answered", "已提交答复。", "Answer sent."),
    ("done.accepted", "已认可答复。", "Answer accepted."),
    ("done.returned", "已退回重办。", "Sent back."),
    ("done.opened", "已受理登记。", "Registered."),
    (
        "done.opened_receipt",
        "已受理登记，群众回执短信已排队发送。",
        "Registered; the citizen's SMS receipt is queued.",
    ),
    (
        "done.linked",
        "该诉求为重复反映，已并入原案件。",
        "A repeat: linked to the open case.",
    ),
    (
        "done.revealed",
        "已显示完整个人信息（已记入审计日志）。",
        "Personal data shown (written to the audit log).",
    ),
    ("done.retrying", "已重新排队发送。", "Queued again."),
    ("done.account_created", "已开设账号", "Account created:"),
    ("done.password_set", "已重置密码", "Password reset for"),
    ("done.account_started", "账号已启用。", "Account enabled."),
    ("done.account_stopped", "账号已停用。", "Account stopped."),
    (
        "error.store",
        "数据库暂时不可用，未做任何更改，请稍后再试。",
        "The database is unavailable; nothing was changed. Try again shortly.",
    ),
    ("error.no_case", "没有这个案件。", "There is no such case."),
    (
        "error.no_case_type",
        "没有这个事项类型。",
        "There is no such case type.",
    ),
    ("error.no_action", "请选择要办理的操作。", "Choose an action."),
    ("intake.title", "受理登记", "Intake"),
    (
        "intake.choose",
        "选择事项类型；综合受理窗口可受理任何事项。",
        "Choose the case type; the comprehensive window takes anything.",
    ),
    ("intake.channel", "受理渠道", "Channel"),
    ("intake.unit", "发生地", "Where it arose"),
    (
        "intake.unit.help",
        "按属地确定承办层级：小事不出村、大事不出镇。",
        "Decides the tier that handles it.",
    ),
    ("intake.submit", "登记", "Register"),
    ("board.title", "督办看板", "Supervision board"),
    ("board.level1", "一级督办（中心专项督办）", "Level 1: centre"),
    (
        "board.level2",
        "二级督办（督考办重点督办）",
        "Level 2: supervision office",
    ),
    (
        "board.level3",
        "三级督办（纪委问责督办）",
        "Level 3: discipline commission",
    ),
    ("board.overdue_answers", "逾期未答复", "Answers overdue"),
    ("board.to_review", "待审核答复", "Answers to review"),
    ("board.spot_checks", "周抽查复核", "Weekly spot-check reviews"),
    ("board.none", "暂无。", "None."),
    ("board.overdue", "逾期", "overdue"),
    ("board.department", "承办部门", "Department"),
    ("reports.title", "通报与考核", "Bulletins and assessments"),
    ("reports.none", "尚未生成报表。", "No report yet."),
    ("reports.job", "报表", "Report"),
    ("reports.period", "周期", "Period"),
    ("reports.made", "生成时间", "Made"),
    ("reports.open", "查看", "Open"),
    ("reports.print", "新窗口打开（可打印）", "Open to print"),
    ("reports.missing", "没有这期报表。", "There is no such report."),
    ("ops.title", "运维", "Operations"),
    ("ops.deliveries", "通知发送异常", "Failed notifications"),
    ("ops.deliveries.none", "没有发送失败的通知。", "No failed notification."),
    ("ops.retry", "重发", "Retry"),
    ("ops.retry.none", "没有这条失败的通知。", "No such failed notification."),
    ("ops.error", "错误", "Error"),
    ("ops.timers", "定时器", "Timers"),
    ("ops.jobs", "定期任务", "Periodic jobs"),
    ("ops.jobs.failed", "定期任务失败", "Failed job runs"),
    (
        "ops.jobs.none",
        "流程未配置定期任务。",
        "The workflows declare no periodic jobs.",
    ),
    (
        "ops.jobs.notify",
        "同时发送给分发名单",
        "Also email the distribution list",
    ),
    ("ops.jobs.run", "手动运行", "Run now"),
    ("ops.jobs.new", "首次生成", "computed for the first time"),
    (
        "ops.jobs.unchanged",
        "数据未变化，结果相同",
        "unchanged: the same figures",
    ),
    (
        "ops.jobs.changed",
        "数据有变化，结果已更新",
        "changed: the data changed since the last run",
    ),
    ("ops.due", "应运行时间", "Due"),
    ("ops.finished", "完成时间", "Finished"),
    ("ops.users", "账号管理", "Accounts"),
    ("ops.users.id", "用户名", "User name"),
    ("ops.users.name", "姓名", "Name"),
    ("ops.users.roles", "角色", "Roles"),
    ("ops.users.mobile", "手机", "Mobile"),
    ("ops.users.add", "开设账号", "Add an account"),
    ("ops.users.reset", "重置密码", "Reset password"),
    (
        "ops.users.reset.confirm",
        "确定重置该账号的密码？",
        "Reset this account's password?",
    ),
    ("ops.users.stop", "停用", "Stop"),
    ("ops.users.unlock", "解锁", "Unlock"),
    (
        "error.too_many_openings",
        "一分钟内登记的案件过多，请稍候再试。已填写的内容未提交，请返回上一页重新提交。",
        "Too many cases registered in a minute: wait a moment, then go back and submit the form again.",
    ),
    (
        "ops.users.bad_text",
        "姓名（最多100字）和电子邮箱（最多200字）须各为一行文字。",
        "A name (at most 100 characters) and an email address (at most 200) are each one line of text.",
    ),
    (
        "linked.title",
        "重复反映，已并入在办案件",
        "A repeat: linked to an open case",
    ),
    (
        "linked.body",
        "该诉求与一件在办案件为同一人、同一事项，已记入该案件，不另立案。该案件由其他部门或单位承办，您只能看到以下信息。",
        "This matter is the same person's and the same matter as an open case, so it was recorded on that case instead of opening a new one. Another department or unit handles it: this is all you may see of it.",
    ),
    ("linked.case", "案件", "Case"),
    ("linked.due", "办理期限", "Due"),
    ("linked.again", "继续受理登记", "Register another matter"),
    (
        "done.account_unlocked",
        "账号已解锁，可立即登录。",
        "Account unlocked: it may sign in at once.",
    ),
    ("ops.tokens", "接口令牌", "API tokens"),
    ("ops.tokens.name", "令牌名称", "Token name"),
    ("ops.tokens.issued", "签发时间", "Issued"),
    ("ops.tokens.expires", "到期时间", "Expires"),
    ("ops.tokens.last_used", "最近使用", "Last used"),
    ("ops.tokens.never", "从未使用", "Never"),
    ("ops.tokens.days", "有效天数", "Valid for (days)"),
    ("ops.tokens.issue", "签发令牌", "Issue a token"),
    ("ops.tokens.revoke", "吊销", "Revoke"),
    (
        "ops.tokens.revoke.confirm",
        "吊销后该令牌永久失效，确定吗？",
        "A revoked token never works again. Revoke it?",
    ),
    (
        "ops.tokens.none",
        "该账号没有接口令牌。",
        "This account has no API tokens.",
    ),
    (
        "ops.tokens.once",
        "新令牌（只显示这一次，请立即交给使用方）：",
        "The new token (shown only this once; hand it over now):",
    ),
    ("ops.tokens.live", "有效", "Live"),
    ("ops.tokens.expired", "已过期", "Expired"),
    ("ops.tokens.revoked", "已吊销", "Revoked"),
    ("done.token_revoked", "令牌已吊销。", "Token revoked."),
    (
        "ops.tokens.bad_name",
        "令牌名称为1至64位字母、数字或 _ - . 符号。",
        "A token name is 1 to 64 letters, digits, _, - or .",
    ),
    (
        "ops.tokens.bad_days",
        "有效天数须在1至1095天之间。",
        "A token is valid for 1 to 1,095 days.",
    ),
    (
        "ops.tokens.exists",
        "该账号已有同名的有效令牌，请先吊销或换一个名称。",
        "The account already has a live token of that name: revoke it first or choose another name.",
    ),
    (
        "ops.tokens.missing",
        "该账号没有此名称的有效令牌。",
        "The account has no live token of that name.",
    ),
    ("ops.users.start", "启用", "Enable"),
    ("ops.users.active", "正常", "Active"),
    ("ops.users.locked", "已锁定", "Locked"),
    ("ops.users.stopped", "已停用", "Stopped"),
    (
        "ops.users.password_once",
        "新密码（只显示这一次，请转交本人）：",
        "New password (shown once; pass it on):",
    ),
    (
        "ops.users.bad_id",
        "用户名为2到64个字母、数字、下划线、点或连字符。",
        "A user name is 2 to 64 letters, digits, `_`, `.` or `-`.",
    ),
    (
        "ops.users.bad_mobile",
        "手机号码格式不对。",
        "That is not a phone number.",
    ),
    ("ops.users.exists", "该用户名已存在。", "That user name is taken."),
    ("ops.users.missing", "没有这个账号。", "There is no such account."),
    (
        "ops.users.not_self",
        "不能停用自己的账号。",
        "You cannot stop your own account.",
    ),
    ("ops.audit", "审计日志", "Audit log"),
    ("ops.audit.user", "用户", "User"),
    ("ops.audit.target", "对象", "Target"),
    ("ops.audit.action", "操作", "Action"),
    ("ops.audit.at", "时间", "When"),
    ("ops.audit.detail", "详情", "Detail"),
    ("wf.title", "流程配置", "Workflows"),
    ("wf.case_type", "事项类型", "Case type"),
    ("wf.id", "标识", "Id"),
    ("wf.current", "当前版本", "current"),
    ("wf.versions", "版本", "Versions"),
    ("wf.version", "版本", "Version"),
    ("wf.deployed", "发布时间", "Deployed"),
    ("wf.open_cases", "在办案件", "Open cases"),
    ("wf.closed_cases", "已办结", "Closed cases"),
    ("wf.diff", "比较", "Diff"),
    (
        "wf.diff.which",
        "请指定要比较的两个版本。",
        "Name the two versions to compare.",
    ),
    ("wf.diff.missing", "没有这个版本。", "No such version."),
    ("wf.diagram", "流程图", "Diagram"),
    ("wf.edit", "编辑 YAML", "Edit the YAML"),
    ("wf.validate", "校验", "Validate"),
    ("wf.scenarios", "运行测试场景", "Run the scenarios"),
    ("wf.deploy", "发布新版本", "Deploy a new version"),
    (
        "wf.deploy.confirm",
        "确定发布？新案件将使用新版本，在办案件仍按原版本办理。",
        "Deploy? New cases use the new version; running cases keep theirs.",
    ),
    (
        "wf.deploy.help",
        "发布前会自动校验并运行该事项的全部测试场景；有错误则不发布。",
        "Deploying validates and runs this case type's scenarios first; nothing is deployed on an error.",
    ),
    (
        "wf.has_errors",
        "有错误，未发布。点击错误位置可跳转到对应行。",
        "There are errors; nothing was deployed. Click a location to jump to its line.",
    ),
    ("wf.valid", "校验通过。", "Valid."),
    (
        "wf.id_changed",
        "文件中的事项标识与页面不符；请勿修改 id。",
        "The file's id differs from this case type's; do not change the id.",
    ),
    (
        "wf.scenarios_failed",
        "测试场景未通过，未发布：",
        "Scenarios failed; nothing deployed:",
    ),
    ("wf.scenarios_passed", "测试场景全部通过", "Every scenario passed"),
    ("wf.deployed_new", "已发布新版本", "Deployed as"),
    (
        "wf.unchanged",
        "内容未变化，未产生新版本。",
        "Unchanged: no new version.",
    ),
    (
        "wf.io",
        "无法读写流程文件。",
        "The workflow files could not be read or written.",
    ),
    (
        "wf.no_dir",
        "本节点未加载流程目录，无法在线编辑。",
        "This node has no workflows directory to edit.",
    ),
];

/// A text in `lang`; `?` when there is none.
pub fn t(lang: Lang, key: &str) -> &'static str {
    // A page asks for dozens of texts; look them up by key rather than scanning the table.
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| TEXTS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());
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
                if !TEXTS.iter().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{file}: {key}"));
                }
            }
        }
        assert!(seen > 100, "the scan found only {seen} keys");
        assert!(missing.is_empty(), "keys without texts: {missing:#?}");
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
        assert!(TEXTS.iter().all(|(_, zh, en)| !zh.is_empty() && !en.is_empty()));
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
