//! The sentences of refusals and of fields' problems, in Chinese and English. The English of a
//! refusal is its general sentence; the API's English detail says more and is given instead in
//! English (see [`crate::words::refusal`]).

/// A sentence per refusal code: (code, Chinese, English).
pub const CODES: &[(&str, &str, &str)] = &[
    (
        "refused",
        "无法完成此操作，未做任何更改。",
        "That could not be done; nothing changed.",
    ),
    ("unauthenticated", "请先登录。", "Sign in first."),
    (
        "wrong_credentials",
        "用户名或密码错误；连续多次输错后账号将被暂时锁定。",
        "Wrong user name or password; after several wrong passwords the account is locked for a while.",
    ),
    (
        "invalid_user_name",
        "用户名为2至64位字母、数字或 _ - . 。",
        "A user name is 2 to 64 letters, digits, _, - or .",
    ),
    ("password_too_long", "密码过长。", "The password is too long."),
    (
        "hash_failed",
        "密码暂时无法校验，请稍后再试。",
        "The password could not be checked; try again shortly.",
    ),
    (
        "no_randomness",
        "服务器暂时无法生成随机数，请联系运维人员。",
        "The server has no randomness at the moment; tell the operator.",
    ),
    (
        "csrf",
        "页面已过期，请刷新后重试。",
        "The page has expired; reload it and try again.",
    ),
    ("not_allowed", "无权进行此操作。", "You may not do that."),
    ("forbidden", "无权进行此操作。", "You may not do that."),
    ("no_page", "没有这个页面。", "There is no such page."),
    ("not_found", "没有找到要找的内容。", "There is no such thing here."),
    ("case_not_found", "没有这个案件。", "There is no such case."),
    (
        "case_ambiguous",
        "该编号对应多个案件，请输入更完整的编号。",
        "That number fits several cases; give more of it.",
    ),
    ("unknown_case_type", "没有这个案件类型。", "There is no such case type."),
    (
        "no_case_type",
        "找不到可受理此事项的案件类型。",
        "No case type takes this matter.",
    ),
    (
        "definition_missing",
        "该案件所用的流程版本未部署，请联系管理员。",
        "The workflow version of this case is not deployed; tell an admin.",
    ),
    ("unknown_action", "该案件没有这个操作。", "The case has no such action."),
    (
        "wrong_channel",
        "此渠道不能受理这类案件。",
        "This channel does not take such cases.",
    ),
    (
        "wrong_state",
        "案件当前状态不能进行此操作。",
        "Not possible in the case's current state.",
    ),
    ("case_closed", "案件已办结。", "The case is closed."),
    (
        "stale_version",
        "案件刚被他人更新，请刷新后重试。",
        "Someone else changed the case; reload and try again.",
    ),
    (
        "conflict",
        "案件刚被他人更新，请刷新后重试。",
        "Someone else changed the case; reload and try again.",
    ),
    ("unchanged", "没有需要更改的内容。", "There was nothing to change."),
    (
        "task_state",
        "该任务已被认领或已完成。",
        "The task is already claimed or finished.",
    ),
    ("unknown_task", "没有这个任务。", "There is no such task."),
    (
        "task_held_by_other",
        "该任务由他人承办，只有承办人、本部门负责人或督办人员可以办结。",
        "Someone else holds this task: only they, their department's head or a supervisor may finish it.",
    ),
    (
        "take_over_reason_required",
        "接手他人承办的任务，请在意见中写明原因。",
        "Taking over someone else's task: give the reason as the comment.",
    ),
    (
        "guard_false",
        "不满足办理条件。",
        "The condition for this action does not hold.",
    ),
    ("comment_required", "请填写意见。", "A comment is required."),
    ("missing_field", "请填写必填项。", "A required field is missing."),
    ("invalid_field", "填写内容有误。", "A field is not valid."),
    ("bad_text", "文字为空或过长。", "The text is empty or too long."),
    (
        "calendar",
        "按工作日历无法计算期限，请联系管理员补全日历。",
        "The deadline cannot be computed on the calendar; ask an admin to extend it.",
    ),
    (
        "stale_timer",
        "该定时任务已过时，未做更改。",
        "That timer is no longer due; nothing changed.",
    ),
    (
        "timer_skipped",
        "该定时任务已过时，未做更改。",
        "That timer is no longer due; nothing changed.",
    ),
    (
        "idempotency_key_reused",
        "同一请求编号已用于另一请求。",
        "That Idempotency-Key was used for another request.",
    ),
    (
        "bad_idempotency_key",
        "请求编号（Idempotency-Key）应为1至200个字符。",
        "The Idempotency-Key header must be 1 to 200 characters.",
    ),
    (
        "rate_limited",
        "操作过于频繁，请稍候再试。",
        "Too many requests; wait a moment and try again.",
    ),
    (
        "no_tasks_chosen",
        "请先选择任务（一次最多 100 项）。",
        "Choose the tasks first (at most 100 at a time).",
    ),
    (
        "not_department_head",
        "只有本部门负责人、派单员和管理员可以查看部门工作。",
        "Only the department's heads, the dispatching clerks and admins see a department's work.",
    ),
    ("department_not_found", "没有这个部门。", "There is no such department."),
    (
        "store_unavailable",
        "数据库暂时不可用，未做任何更改。",
        "The database is unavailable; nothing changed.",
    ),
    (
        "store_full",
        "数据库磁盘已满，未做任何更改；请联系运维人员释放空间后重试。",
        "The database's disk is full; nothing changed. Ask the operator to free space, then try again.",
    ),
    (
        "store_read_only",
        "数据库当前只读，未做任何更改；恢复写入后请重试。",
        "The database takes no writes at the moment; nothing changed. Try again once it does.",
    ),
    (
        "shutting_down",
        "服务器正在停止，请稍后再试。",
        "The server is shutting down; try again shortly.",
    ),
    (
        "internal",
        "服务器内部错误，未做任何更改。",
        "Something went wrong on the server; nothing changed.",
    ),
    (
        "io",
        "流程文件无法读取或写入。",
        "The workflow files could not be read or written.",
    ),
    ("bad_query", "查询条件有误。", "The query is not valid."),
    ("bad_form", "表单内容有误。", "The form is not valid."),
    ("bad_body", "请求内容无法读取。", "The request could not be read."),
    (
        "bad_json",
        "请求内容不是有效的 JSON。",
        "The body is not valid JSON for this request.",
    ),
    ("body_too_large", "提交的内容过大。", "What was sent is too large."),
    (
        "body_cut_off",
        "提交的内容不完整，未保存任何内容，请重新提交。",
        "What was sent was cut off; nothing was saved. Send it again.",
    ),
    (
        "body_timeout",
        "提交超时，未保存任何内容，请重新提交。",
        "What was sent took too long to arrive; nothing was saved. Send it again.",
    ),
    (
        "method_not_allowed",
        "不支持此请求方法。",
        "That method is not allowed here.",
    ),
    ("bad_request", "请求有误。", "The request is not valid."),
    ("no_file", "请选择要上传的文件。", "Choose the files to upload."),
    ("bad_file", "文件无法接收。", "The file cannot be taken."),
    (
        "not_a_file_field",
        "该项不是附件字段。",
        "That field does not take files.",
    ),
    ("file_not_found", "没有这个附件。", "There is no such file."),
    (
        "file_erased",
        "该附件已随案件个人信息一并删除。",
        "The file was erased with the case's personal data.",
    ),
    (
        "bad_person",
        "请输入完整的电话号码、身份证号或姓名。",
        "Give a whole phone number, ID number or name.",
    ),
    (
        "no_personal_data",
        "您的角色不能查看个人信息，因此不能按电话、身份证号或姓名查找。",
        "Your role does not see personal data, so it cannot search by phone, ID number or name.",
    ),
    (
        "reason_required",
        "请说明查看个人信息的原因（1至500字）。",
        "Say why the personal data is needed (1 to 500 characters).",
    ),
    (
        "bad_account_id",
        "账号为2至64位字母、数字或 _ - . 。",
        "An account id is 2 to 64 letters, digits, _, - or .",
    ),
    ("bad_mobile", "手机号码有误。", "That is not a mobile number."),
    ("account_exists", "该账号已存在。", "That account id is taken."),
    ("no_account", "没有这个账号。", "There is no such account."),
    ("not_self", "不能停用自己的账号。", "You cannot stop your own account."),
    (
        "not_in_organisation",
        "该账号不在组织架构中。",
        "That account is not in the organisation.",
    ),
    ("locked", "账号已锁定。", "The account is locked."),
    ("no_token", "没有这个有效的令牌。", "There is no such live token."),
    ("token_exists", "已有同名的令牌。", "A token of that name exists."),
    ("bad_token", "令牌无效。", "The token is not valid."),
    ("bad_token_name", "令牌名称有误。", "The token's name is not valid."),
    (
        "bad_token_days",
        "令牌有效天数有误。",
        "The token's days are not valid.",
    ),
    ("invalid_absence", "休假设置有误。", "The absence is not valid."),
    (
        "absence_over",
        "该休假已结束或已取消。",
        "The absence is over or called off already.",
    ),
    (
        "no_workflows_directory",
        "此节点没有可编辑的流程目录。",
        "This node has no workflows directory to edit.",
    ),
    (
        "invalid",
        "流程有错误，未部署。",
        "The workflow has problems; nothing was deployed.",
    ),
    ("no_version", "没有这个版本。", "There is no such version."),
    (
        "not_runnable",
        "该任务不能手动运行。",
        "That job cannot be run by hand.",
    ),
    ("unknown_job", "没有这个定期任务。", "There is no such periodic job."),
    (
        "no_schedules",
        "流程中没有定期任务。",
        "The workflows declare no periodic jobs.",
    ),
    (
        "report_not_found",
        "没有这一期的报告。",
        "There is no report for that period.",
    ),
    ("bad_period", "报告期有误。", "The period is not valid."),
    (
        "review_failed",
        "抽查记录无法生成。",
        "The spot-check review could not be made.",
    ),
    (
        "export_failed",
        "导出失败，请稍后再试。",
        "The export failed; try again shortly.",
    ),
    (
        "unknown_record",
        "没有这份督办单。",
        "There is no such supervision record.",
    ),
];

/// A sentence per field problem code: {label} and {limit} are filled in.
pub const FIELD_PROBLEMS: &[(&str, &str, &str)] = &[
    ("required", "请填写{label}。", "Fill in {label}."),
    ("not_text", "{label}应为文字。", "{label} must be text."),
    (
        "too_long",
        "{label}最多{limit}字。",
        "{label} may be at most {limit} characters.",
    ),
    ("empty", "请填写{label}。", "Fill in {label}."),
    (
        "control",
        "{label}含有不可见的控制字符。",
        "{label} contains control characters.",
    ),
    ("one_line", "{label}只能写一行。", "{label} must be on one line."),
    (
        "phone",
        "{label}不是有效的电话号码：手机号为1开头的11位数字，固话为区号加号码，例如 0580-2021234。",
        "{label} is not a phone number: a mobile is 11 digits from 1, a landline an area code and number, e.g. 0580-2021234.",
    ),
    (
        "id_number",
        "{label}不是有效的18位公民身份号码（出生日期或校验码不对）。",
        "{label} is not a valid 18-character resident identity number (its date of birth or check digit is wrong).",
    ),
    ("number", "{label}应为数字。", "{label} must be a number."),
    ("whole", "{label}应为整数。", "{label} must be a whole number."),
    (
        "fen",
        "{label}最多保留两位小数（分）。",
        "{label} may have at most two decimals.",
    ),
    (
        "range",
        "{label}超出允许范围（{limit}）。",
        "{label} is out of range ({limit}).",
    ),
    ("too_large", "{label}数值过大。", "{label} is too large."),
    (
        "date",
        "{label}不是有效日期，例如 2026-12-04。",
        "{label} is not a date, e.g. 2026-12-04.",
    ),
    ("choice", "请从列表中选择{label}。", "Choose {label} from the list."),
    ("boolean", "{label}应为是或否。", "{label} must be yes or no."),
    ("files", "{label}应为已上传的文件。", "{label} must be uploaded files."),
    (
        "too_many_files",
        "{label}最多{limit}个文件。",
        "{label} holds at most {limit} files.",
    ),
    (
        "unknown_field",
        "{label}不是此类案件的字段。",
        "{label} is not a field of this case type.",
    ),
];
