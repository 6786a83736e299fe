//! Tests of who can work a task and of what the clock and the ladder say ahead: a task nobody
//! may claim, giving tasks, the timeline's rungs, a stopped or paused clock.

use serde_json::json;

use super::tests::{at, bundle, decide_at, def, fields, org, user};
use super::*;
use crate::core::case::{TaskInstance, TaskState};
use crate::core::definition::Organisation;
use crate::core::event::EventKind;

/// The bundled organisation without some users.
fn org_without(ids: &[&str]) -> Organisation {
    let mut file = bundle().organisation.as_ref().expect("org").value.clone();
    for id in ids {
        assert!(file.users.shift_remove(*id).is_some(), "{id} is a bundled user");
    }
    Organisation::new(file)
}

#[test]
fn a_task_nobody_may_claim_is_marked_told_and_given_to_someone_with_a_reason() {
    let d = def("service_request_12345");
    let f =
        fields(json!({"caller": "李四", "caller_phone": "13900139000", "category": "request", "content": "路灯不亮"}));
    let open = Command::Open {
        case_id: "s2".into(),
        channel: "hotline_12345".into(),
        fields: f,
        unit: Some("shenjiamen".into()),
        number: None,
    };
    // No hotline handler at all: the handling task reaches nobody.
    let gap = org_without(&["handler_li"]);
    let c = decide_at(&d, &gap, None, &open, &user("clerk_xia"), at("2026-11-25T09:00"))
        .expect("opens")
        .case;
    let dispatch = Command::Act {
        action: "dispatch".into(),
        fields: fields(json!({"handling_department": "hotline_12345"})),
        comment: None,
        expected_version: None,
        assign_to: None,
    };
    let out = decide_at(
        &d,
        &gap,
        Some(&c),
        &dispatch,
        &user("clerk_xia"),
        at("2026-11-25T09:05"),
    )
    .expect("dispatches");
    let task = out
        .case
        .tasks
        .iter()
        .find(|t| t.name == "handle")
        .expect("handle")
        .clone();
    assert!(task.unstaffed && task.assignee.is_none(), "{task:?}");
    let warned: Vec<&EventKind> = out
        .events
        .iter()
        .map(|e| &e.kind)
        .filter(|k| matches!(k, EventKind::TaskUnstaffed { .. }))
        .collect();
    let EventKind::TaskUnstaffed { notified, role, .. } = warned[0] else {
        unreachable!()
    };
    assert_eq!(warned.len(), 1);
    assert_eq!(role, "handler");
    // The department's head and the dispatching clerks, by name, as the centre's template says.
    let told: Vec<&str> = notified.iter().map(|u| u.as_str()).collect();
    assert_eq!(told, ["clerk_wang", "head_hotline", "clerk_xia"]);
    let notice = out.effects.iter().find_map(|e| match e {
        Effect::Notify { template, to, .. } if template == "task_unstaffed" => Some(to.clone()),
        _ => None,
    });
    let to: Vec<Option<String>> = notice.expect("a message").into_iter().map(|r| r.user).collect();
    assert_eq!(to, told.iter().map(|u| Some((*u).to_owned())).collect::<Vec<_>>());

    // The organisation gains its handler; the head gives him the task, with a reason.
    let give = |who: &str, to: &str, reason: Option<&str>| {
        let cmd = Command::Reassign {
            task: task.id.clone(),
            to_user: Some(to.into()),
            to_department: None,
            reason: reason.map(str::to_owned),
        };
        decide_at(&d, &org(), Some(&out.case), &cmd, &user(who), at("2026-11-25T09:30"))
    };
    assert_eq!(
        give("head_hotline", "handler_li", None).unwrap_err().code(),
        "invalid_field"
    );
    assert_eq!(
        give("head_hotline", "handler_li", Some("  ")).unwrap_err().code(),
        "invalid_field"
    );
    assert_eq!(
        give("head_hotline", "handler_ma", Some("转街道")).unwrap_err().code(),
        "invalid_field"
    );
    assert_eq!(
        give("head_labour", "handler_li", Some("代派")).unwrap_err().code(),
        "not_allowed"
    );
    let given = give("head_hotline", "handler_li", Some("区级承办")).expect("gives");
    let t = given.case.task(&task.id).expect("task");
    assert_eq!(
        (t.assignee.as_deref(), t.state, t.unstaffed),
        (Some("handler_li"), TaskState::Claimed, false)
    );
    assert!(given.events.iter().any(|e| matches!(&e.kind,
        EventKind::TaskReassigned { comment: Some(c), .. } if c == "区级承办")));
}

#[test]
fn a_task_is_given_only_to_a_holder_working_in_its_unit_or_above() {
    let o = org();
    let task = TaskInstance {
        id: "c:t1".into(),
        name: "check".into(),
        state: TaskState::Open,
        department: "grid_management".into(),
        role: "grid_worker".into(),
        unit: Some("shenjiamen_c1".into()),
        assignee: None,
        created_at: at("2026-11-25T09:00"),
        closed_at: None,
        unstaffed: false,
    };
    // Its community, its town, the district: yes; a community elsewhere: no; another role: no.
    for (who, may) in [
        ("grid_chen", true),
        ("grid_wei", true),
        ("grid_bai", true),
        ("grid_ren", false),
        ("grid_xie", false),
        ("handler_pan", false),
    ] {
        assert_eq!(o.may_take(who, "grid_management", &task).is_some(), may, "{who}");
    }
    // Claiming stays within the unit itself.
    assert!(o.staffed("grid_management", "grid_worker", Some("shenjiamen_c1")));
    assert!(!o.staffed("grid_management", "grid_worker", Some("nowhere")));
    assert_eq!(
        o.unstaffed_watchers("labour_arbitration"),
        ["clerk_wang", "head_labour", "clerk_xia"]
    );
}

#[test]
fn the_timeline_lists_each_rung_still_to_come_once_and_none_once_the_answer_is_accepted() {
    let d = def("service_request_12345");
    let f =
        fields(json!({"caller": "李四", "caller_phone": "13900139000", "category": "complaint", "content": "噪音"}));
    let open = Command::Open {
        case_id: "s3".into(),
        channel: "hotline_12345".into(),
        fields: f,
        unit: None,
        number: None,
    };
    let run = |c: Option<&Case>, cmd: Command, who: &str, when: &str| {
        decide_at(&d, &org(), c, &cmd, &user(who), at(when))
            .expect("taken")
            .case
    };
    let rungs = |c: &Case, when: &str| -> Vec<String> {
        crate::core::preview::timeline(&d, c, at(when))
            .1
            .into_iter()
            .filter(|u| u.kind == "rung")
            .map(|u| u.name)
            .collect()
    };
    let c = run(None, open, "clerk_xia", "2026-11-25T09:00");
    // Before anything fired: the whole ladder from the breach.
    assert_eq!(
        rungs(&c, "2026-11-25T09:01"),
        ["centre_special", "office_key", "discipline_accountability"]
    );
    // Escalated by hand before the breach: the next rung is due on its timer, listed once.
    let c = run(
        Some(&c),
        Command::Escalate {
            rung: None,
            reason: Some("超时未签收".into()),
        },
        "supervisor_han",
        "2026-11-25T10:00",
    );
    assert_eq!(
        rungs(&c, "2026-11-25T10:01"),
        ["office_key", "discipline_accountability"]
    );
    // Answered and accepted: the ladder stops, nothing more is listed.
    let record = c.supervision[0].id.clone();
    let answer = Command::AnswerSupervision {
        record: record.clone(),
        text: "已处理".into(),
    };
    let c = run(Some(&c), answer, "head_hotline", "2026-11-25T11:00");
    let review = Command::ReviewSupervision {
        record,
        accept: true,
        comment: None,
    };
    let c = run(Some(&c), review, "supervisor_han", "2026-11-25T12:00");
    assert!(
        rungs(&c, "2026-11-25T12:01").is_empty(),
        "{:?}",
        rungs(&c, "2026-11-25T12:01")
    );
}

#[test]
fn a_stopped_clock_says_whether_it_was_late_and_by_how_much_and_a_paused_one_what_is_left() {
    use crate::core::sla::SlaClock;
    let d = def("service_request_12345");
    let cal = &d.calendar;
    let day = cal.day_seconds();
    // Started Wednesday 09:00 with three working days: due Monday 09:00 (the weekend between).
    let mut on_time = SlaClock::start("3 working days", at("2026-11-25T09:00"));
    on_time.stop(at("2026-11-27T16:00"));
    let end = on_time.settled(cal).expect("calendar").expect("stopped");
    assert_eq!((end.due, end.late), (at("2026-11-30T09:00"), 0));
    let mut late = SlaClock::start("3 working days", at("2026-11-25T09:00"));
    late.stop(at("2026-12-01T09:00"));
    let end = late.settled(cal).expect("calendar").expect("stopped");
    assert_eq!(end.late, day, "one working day late (the weekend does not count)");
    // Paused after one working day: two are left, whenever it is read.
    let mut paused = SlaClock::start("3 working days", at("2026-11-25T09:00"));
    paused.pause(at("2026-11-26T09:00"));
    for read in ["2026-11-26T10:00", "2026-11-28T12:00"] {
        assert_eq!(paused.left(cal, at(read)).expect("calendar"), Some(2 * day), "{read}");
    }
    assert!(paused.settled(cal).expect("calendar").is_none(), "not stopped");
    // A calendar budget counts calendar time as statutes do: five days from the 25th end with
    // the 30th, so 09:00 on 1 December is nine hours late.
    let mut statutory = SlaClock::start("5 days", at("2026-11-25T09:00"));
    statutory.stop(at("2026-12-01T09:00"));
    assert_eq!(
        statutory.settled(cal).expect("calendar").expect("stopped").late,
        9 * 3_600
    );
}

#[test]
fn a_stand_in_finishes_the_work_of_the_colleague_away_and_nobody_else_does_without_a_reason() {
    let d = def("service_request_12345");
    let org = org();
    let f =
        fields(json!({"caller": "李四", "caller_phone": "13900139000", "category": "complaint", "content": "井盖"}));
    let open = Command::Open {
        case_id: "s9".into(),
        channel: "hotline_12345".into(),
        fields: f,
        unit: None,
        number: None,
    };
    let when = at("2026-11-25T09:00");
    let c = decide_at(&d, &org, None, &open, &user("clerk_xia"), when)
        .expect("opens")
        .case;
    let act = |action: &str, f: serde_json::Value, assign_to: Option<&str>| Command::Act {
        action: action.into(),
        fields: fields(f),
        comment: None,
        expected_version: None,
        assign_to: assign_to.map(Into::into),
    };
    let dispatch = act(
        "dispatch",
        json!({"handling_department": "four_platforms"}),
        Some("handler_he"),
    );
    let c = decide_at(&d, &org, Some(&c), &dispatch, &user("clerk_xia"), when)
        .expect("dispatch")
        .case;
    let he = c.tasks.iter().find(|t| t.is_active()).expect("the handling task");
    assert_eq!(he.assignee.as_deref(), Some("handler_he"));
    let c = decide_at(
        &d,
        &org,
        Some(&c),
        &act("sign_for", json!({}), None),
        &user("handler_he"),
        when,
    )
    .expect("signs for")
    .case;
    let reply = act("reply", json!({"reply": "已修复"}), None);
    // A colleague who does not stand in: held by another.
    let refused = decide_at(&d, &org, Some(&c), &reply, &user("handler_tang"), when);
    assert!(matches!(refused, Err(Rejection::HeldByOther { .. })), "{refused:?}");
    // Standing in: taken, and the history says the task went to the stand-in.
    let mut tang = user("handler_tang");
    tang.stands_in_for = vec!["handler_he".into()];
    let out = decide_at(&d, &org, Some(&c), &reply, &tang, when).expect("the stand-in replies");
    assert_eq!(out.case.state, "replied");
    assert!(
        out.events.iter().any(
            |e| matches!(&e.kind, EventKind::TaskReassigned { to_user: Some(u), .. } if u.as_str() == "handler_tang")
        ),
        "{:?}",
        out.events
    );
    // The person named must be able to take the task.
    let wrong = act(
        "dispatch",
        json!({"handling_department": "four_platforms"}),
        Some("handler_li"),
    );
    let c2 = decide_at(
        &d,
        &org,
        None,
        &Command::Open {
            case_id: "s10".into(),
            channel: "hotline_12345".into(),
            fields: fields(
                json!({"caller": "王五", "caller_phone": "13900139001", "category": "complaint", "content": "路灯"}),
            ),
            unit: None,
            number: None,
        },
        &user("clerk_xia"),
        when,
    )
    .expect("opens")
    .case;
    let refused = decide_at(&d, &org, Some(&c2), &wrong, &user("clerk_xia"), when);
    assert!(
        matches!(&refused, Err(Rejection::InvalidField { field, .. }) if field == "assign_to"),
        "{refused:?}"
    );
}
