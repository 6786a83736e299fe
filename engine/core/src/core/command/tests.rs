//! The decision function on the bundled case types.

use std::path::Path;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::*;
use crate::core::case::TaskState;
use crate::core::definition::{CompiledCaseType, Organisation};
use crate::core::event::EventKind;
use crate::load::{Bundle, LoadOptions, load_dir};
use crate::yaml::Limits;

/// `decide` with its context spelled out, as the tests read best.
pub(super) fn decide_at(
    def: &CompiledCaseType,
    org: &Organisation,
    case: Option<&Case>,
    cmd: &Command,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Decision, Rejection> {
    decide(&Context { def, org, actor, now }, case, cmd)
}

pub(super) fn bundle() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
        let opts = LoadOptions {
            today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
            limits: Limits::default(),
        };
        let (b, d) = load_dir(&root, &opts);
        assert!(!d.has_errors(), "{:?}", d.as_slice());
        b
    })
}

pub(super) fn def(id: &str) -> CompiledCaseType {
    let b = bundle();
    let ct = b.case_type(id).expect("case type");
    let ladder = ct
        .value
        .sla
        .as_ref()
        .and_then(|s| s.ladder.as_deref())
        .and_then(|l| b.ladder(l))
        .map(|l| l.value.clone());
    CompiledCaseType::compile(
        ct.value.clone(),
        1,
        b.calendar_for(&ct.value).expect("calendar").clone(),
        ladder,
    )
    .expect("compiles")
}

pub(super) fn org() -> Organisation {
    Organisation::new(bundle().organisation.as_ref().expect("org").value.clone())
}

pub(super) fn user(id: &str) -> Actor {
    Actor::for_user(&org(), id).expect("user")
}

pub(super) fn at(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("datetime");
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&n)
        .single()
        .expect("unique")
        .with_timezone(&Utc)
}

pub(super) fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

fn labour_fields() -> Map<String, Value> {
    fields(json!({
        "applicant": "张三",
        "applicant_phone": "13800138000",
        "employer": "某某水产公司",
        "category": "wages",
        "facts": "拖欠工资三个月",
    }))
}

fn open_labour() -> (CompiledCaseType, Case) {
    let d = def("labour_dispute");
    let cmd = Command::Open {
        case_id: "c1".into(),
        channel: "window_labour".into(),
        fields: labour_fields(),
        unit: None,
        number: None,
    };
    let out = decide_at(&d, &org(), None, &cmd, &user("clerk_wang"), at("2026-09-28T10:00")).expect("opens");
    (d, out.case)
}

fn act(d: &CompiledCaseType, c: &Case, action: &str, who: &str, f: Value, when: &str) -> Result<Decision, Rejection> {
    let cmd = Command::Act {
        action: action.into(),
        fields: fields(f),
        comment: Some("理由".into()),
        expected_version: None,
        assign_to: None,
    };
    decide_at(d, &org(), Some(c), &cmd, &user(who), at(when))
}

#[test]
fn opening_records_history_and_queues_the_receipt() {
    let d = def("labour_dispute");
    let cmd = Command::Open {
        case_id: "c1".into(),
        channel: "window_labour".into(),
        fields: labour_fields(),
        unit: None,
        number: None,
    };
    let out = decide_at(&d, &org(), None, &cmd, &user("clerk_wang"), at("2026-09-28T10:00")).expect("opens");
    assert_eq!(out.case.state, "registered");
    assert_eq!(out.case.version, 1);
    assert_eq!(out.events.len(), 1);
    assert!(matches!(&out.effects[..], [Effect::Notify { template, .. }] if template == "case_receipt"));
}

#[test]
fn opening_refuses_bad_fields_and_channels() {
    let d = def("labour_dispute");
    let open = |f: Map<String, Value>, ch: &str| {
        decide_at(
            &d,
            &org(),
            None,
            &Command::Open {
                case_id: "c".into(),
                channel: ch.into(),
                fields: f,
                unit: None,
                number: None,
            },
            &user("clerk_wang"),
            at("2026-09-28T10:00"),
        )
    };
    let mut f = labour_fields();
    f.remove("employer");
    assert_eq!(
        open(f, "window_labour").unwrap_err(),
        Rejection::Fields(vec![crate::core::fields::required("employer")])
    );
    let mut f = labour_fields();
    f.insert("applicant_phone".into(), json!("12345"));
    assert_eq!(open(f, "window_labour").unwrap_err().code(), "invalid_field");
    // Every field at fault at once: a bad phone, a bad ID number, a missing employer.
    let mut f = labour_fields();
    f.insert("applicant_phone".into(), json!("12345"));
    f.insert("applicant_id".into(), json!("110101199003071234"));
    f.remove("employer");
    let Rejection::Fields(all) = open(f, "window_labour").unwrap_err() else {
        panic!("the field problems");
    };
    let codes: Vec<(&str, &str)> = all.iter().map(|p| (p.field.as_str(), p.code.as_str())).collect();
    assert_eq!(
        codes,
        vec![
            ("applicant_phone", "phone"),
            ("applicant_id", "id_number"),
            ("employer", "required")
        ],
        "{all:?}"
    );
    let mut f = labour_fields();
    f.insert("category".into(), json!("bonus"));
    assert_eq!(open(f, "window_labour").unwrap_err().code(), "invalid_field");
    let mut f = labour_fields();
    f.insert("salary".into(), json!(1));
    assert_eq!(open(f, "window_labour").unwrap_err().code(), "invalid_field");
    assert_eq!(
        open(labour_fields(), "window_medical").unwrap_err().code(),
        "wrong_channel"
    );
    // The comprehensive window takes anything.
    assert!(open(labour_fields(), "window_comprehensive").is_ok());
}

#[test]
fn actions_check_state_role_fields_and_comment() {
    let (d, c) = open_labour();
    assert_eq!(
        act(&d, &c, "settle", "mediator_zhao", json!({}), "2026-09-28T11:00")
            .unwrap_err()
            .code(),
        "wrong_state"
    );
    assert_eq!(
        act(&d, &c, "start_mediation", "judge_wu", json!({}), "2026-09-28T11:00")
            .unwrap_err()
            .code(),
        "not_allowed"
    );
    assert_eq!(
        act(&d, &c, "no_such", "clerk_wang", json!({}), "2026-09-28T11:00")
            .unwrap_err()
            .code(),
        "unknown_action"
    );
    let m = act(&d, &c, "start_mediation", "clerk_wang", json!({}), "2026-09-28T11:00").expect("starts");
    assert_eq!(m.case.state, "mediating");
    assert_eq!(m.case.version, 2);
    // Mediation opens a task and starts the 15-day statutory timer (Art. 14), due at the end of 13 October.
    assert!(
        m.case
            .tasks
            .iter()
            .any(|t| t.name == "mediate" && t.state == TaskState::Open)
    );
    let timer = m.case.timers.get("mediation_period").expect("timer");
    assert_eq!(timer.due_at, at("2026-10-14T00:00"));
    assert!(matches!(&m.effects[..], [Effect::StartTimer { name, .. }] if name == "mediation_period"));
    let err = act(&d, &m.case, "settle", "mediator_zhao", json!({}), "2026-09-29T10:00").unwrap_err();
    assert_eq!(err, Rejection::Fields(vec![crate::core::fields::required("agreement")]));
    let settled = act(
        &d,
        &m.case,
        "settle",
        "mediator_zhao",
        json!({"agreement": "分期支付"}),
        "2026-09-29T10:00",
    )
    .expect("settles");
    assert!(settled.case.is_closed());
    assert!(settled.case.timers.is_empty(), "closing cancels timers");
    assert!(matches!(&settled.effects[..], [Effect::CancelTimer { .. }]));
    assert!(settled.case.tasks.iter().all(|t| !t.is_active()));
    assert_eq!(
        act(
            &d,
            &settled.case,
            "withdraw",
            "clerk_wang",
            json!({}),
            "2026-09-30T10:00"
        )
        .unwrap_err(),
        Rejection::Closed
    );
}

#[test]
fn guards_decide_and_say_why() {
    let d = def("service_request_12345");
    let f = fields(
        json!({"caller": "李四", "caller_phone": "13900139000", "category": "complaint", "content": "噪音扰民"}),
    );
    let open = Command::Open {
        case_id: "s1".into(),
        channel: "hotline_12345".into(),
        fields: f,
        unit: None,
        number: None,
    };
    let c = decide_at(&d, &org(), None, &open, &user("clerk_wang"), at("2026-11-25T09:00"))
        .expect("opens")
        .case;
    let err = act(
        &d,
        &c,
        "answer_directly",
        "clerk_wang",
        json!({"reply": "已答复"}),
        "2026-11-25T09:10",
    )
    .unwrap_err();
    assert_eq!(err.code(), "guard_false");
    assert!(err.to_string().contains("category in"), "{err}");
}

#[test]
fn a_timer_fires_once_and_a_stale_timer_is_refused() {
    let (d, c) = open_labour();
    let m = act(&d, &c, "start_mediation", "clerk_wang", json!({}), "2026-09-28T11:00")
        .expect("starts")
        .case;
    let key = m.timers["mediation_period"].key.clone();
    let fire = Command::FireTimer { key: key.clone() };
    let fired = decide_at(&d, &org(), Some(&m), &fire, &Actor::system(), at("2026-10-14T00:00")).expect("fires");
    assert_eq!(fired.case.state, "mediation_failed");
    assert_eq!(
        fired.events[0].kind,
        EventKind::TimerFired {
            timer: "mediation_period".into()
        }
    );
    assert_eq!(fired.events[0].actor, "system");
    let again = decide_at(
        &d,
        &org(),
        Some(&fired.case),
        &fire,
        &Actor::system(),
        at("2026-10-14T00:01"),
    );
    assert_eq!(again.unwrap_err(), Rejection::StaleTimer(key));
}

#[test]
fn tasks_are_claimed_by_their_role_in_their_department() {
    let d = def("service_request_12345");
    let f = fields(
        json!({"caller": "李四", "caller_phone": "13900139000", "category": "complaint", "content": "噪音扰民"}),
    );
    let open = Command::Open {
        case_id: "s1".into(),
        channel: "hotline_12345".into(),
        fields: f,
        unit: None,
        number: None,
    };
    let c = decide_at(&d, &org(), None, &open, &user("clerk_wang"), at("2026-11-25T09:00"))
        .expect("opens")
        .case;
    let c = act(
        &d,
        &c,
        "dispatch",
        "clerk_wang",
        json!({"handling_department": "hotline_12345"}),
        "2026-11-25T09:05",
    )
    .expect("dispatch")
    .case;
    let task = c
        .tasks
        .iter()
        .find(|t| t.name == "handle" && t.is_active())
        .expect("handle task")
        .id
        .clone();
    let claim = |c: &Case, who: &str| {
        decide_at(
            &d,
            &org(),
            Some(c),
            &Command::Claim { task: task.clone() },
            &user(who),
            at("2026-11-25T09:10"),
        )
    };
    assert_eq!(claim(&c, "arbitrator_zhou").unwrap_err().code(), "not_allowed");
    let claimed = claim(&c, "handler_li").expect("claims").case;
    assert_eq!(
        claimed.task(&task).and_then(|t| t.assignee.clone()).as_deref(),
        Some("handler_li")
    );
    assert_eq!(claim(&claimed, "handler_li").unwrap_err().code(), "task_state");
    let release = Command::Release {
        task: task.clone(),
        reason: None,
    };
    let released = decide_at(
        &d,
        &org(),
        Some(&claimed),
        &release,
        &user("handler_li"),
        at("2026-11-25T09:11"),
    )
    .expect("releases");
    assert_eq!(released.case.task(&task).map(|t| t.state), Some(TaskState::Open));
}

#[test]
fn stale_versions_are_refused() {
    let (d, c) = open_labour();
    let cmd = Command::Act {
        action: "start_mediation".into(),
        fields: Map::new(),
        comment: None,
        expected_version: Some(7),
        assign_to: None,
    };
    let err = decide_at(&d, &org(), Some(&c), &cmd, &user("clerk_wang"), at("2026-09-28T11:00")).unwrap_err();
    assert_eq!(err, Rejection::Stale { expected: 7, actual: 1 });
}

#[test]
fn decisions_are_deterministic() {
    let (d, c) = open_labour();
    let a = act(&d, &c, "start_mediation", "clerk_wang", json!({}), "2026-09-28T11:00").expect("ok");
    let b = act(&d, &c, "start_mediation", "clerk_wang", json!({}), "2026-09-28T11:00").expect("ok");
    assert_eq!(a, b);
}

fn open_medical() -> (CompiledCaseType, Case) {
    let d = def("medical_dispute");
    let cmd = Command::Open {
        case_id: "m1".into(),
        channel: "window_medical".into(),
        fields: fields(
            json!({"patient": "林某", "patient_phone": "13700137000", "hospital": "某医院", "facts": "术后感染"}),
        ),
        unit: None,
        number: None,
    };
    let out = decide_at(&d, &org(), None, &cmd, &user("mediator_zhao"), at("2026-09-28T10:00")).expect("opens");
    (d, out.case)
}

const FILE_A: &str = "att_0000000000000000000000000000000a";
const FILE_B: &str = "att_0000000000000000000000000000000b";

#[test]
fn files_join_a_field_a_download_changes_nothing_and_a_repeat_brings_its_files() {
    let (d, c) = open_medical();
    let who = user("mediator_zhao");
    let now = at("2026-09-29T10:00");
    let attach = |c: &Case, field: &str, refs: &[&str]| {
        let cmd = Command::Attach {
            field: field.into(),
            attachments: refs.iter().map(|r| (*r).to_owned()).collect(),
        };
        decide_at(&d, &org(), Some(c), &cmd, &who, now)
    };
    let one = attach(&c, "appraisal_report", &[FILE_A]).expect("attaches");
    assert_eq!(one.case.fields["appraisal_report"], json!([FILE_A]));
    assert_eq!(one.case.version, c.version + 1);
    assert!(
        matches!(&one.events[0].kind, EventKind::Attached { attachments, .. } if attachments == &vec![FILE_A.to_owned()])
    );
    // Again the same file: nothing new. A text field, a malformed reference: refused.
    assert!(attach(&one.case, "appraisal_report", &[FILE_A]).is_err());
    assert!(matches!(
        attach(&one.case, "facts", &[FILE_B]),
        Err(Rejection::InvalidField { .. } | Rejection::Fields(_))
    ));
    assert!(matches!(
        attach(&one.case, "appraisal_report", &["../x"]),
        Err(Rejection::InvalidField { .. } | Rejection::Fields(_))
    ));
    // More than `max_files` (5 for this field) is refused.
    let many: Vec<String> = (0..5).map(|i| format!("att_{i:032x}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(matches!(
        attach(&one.case, "appraisal_report", &many),
        Err(Rejection::InvalidField { .. } | Rejection::Fields(_))
    ));

    // A download is recorded, and neither the version nor the last change moves.
    let read = Command::RecordDownload {
        attachment: FILE_A.into(),
    };
    let r = decide_at(&d, &org(), Some(&one.case), &read, &who, at("2026-09-30T10:00")).expect("records");
    assert_eq!(
        (r.case.version, r.case.updated_at),
        (one.case.version, one.case.updated_at)
    );
    assert!(matches!(&r.events[0].kind, EventKind::AttachmentDownloaded { attachment } if attachment == FILE_A));
    let unknown = Command::RecordDownload {
        attachment: FILE_B.into(),
    };
    assert!(decide_at(&d, &org(), Some(&one.case), &unknown, &who, now).is_err());

    // A repeat of the matter brings its files into the open case's field.
    let repeat = Command::Repeat {
        channel: "window_medical".into(),
        fields: fields(json!({"patient": "林某", "appraisal_report": [FILE_B, FILE_A]})),
    };
    let r = decide_at(&d, &org(), Some(&one.case), &repeat, &who, now).expect("links");
    assert_eq!(r.case.fields["appraisal_report"], json!([FILE_A, FILE_B]));
    assert_eq!(r.case.repeats, 1);
}
