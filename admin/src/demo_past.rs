//! The demo's past: before the service starts, two weeks of 12345 requests are replayed on a
//! clock set back by hand, each step at the instant it happened and every timer fired when it
//! fell due, so the demo shows what a centre's days leave behind — a warning, breaches, each
//! supervision level, records answered, sent back, accepted and overdue, a case closed late and
//! one on time, a paused clock, a task misrouted to a department where nobody can take it. The
//! engine decides everything; nothing is written around it.

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use serde_json::{Map, Value, json};
use yimen_engine::core::case::SupervisionState;
use yimen_engine::core::{Actor, Command};
use yimen_engine::runtime::{Engine, RewoundClock};

/// The case type the past is made of.
const CASE_TYPE: &str = "service_request_12345";
/// How far back the first request came in, in calendar days.
const DAYS_BACK: u64 = 16;

/// What happens to a request.
#[derive(Debug, Clone)]
enum Do {
    /// Registered by the hotline's clerk.
    Open { content: &'static str, phone: &'static str },
    /// Dispatched to a department, for a named handler.
    Dispatch { department: &'static str, to: &'static str },
    /// Signed for by its handler.
    Sign(&'static str),
    /// Answered to the caller by its handler.
    Reply(&'static str),
    /// Closed after the follow-up call.
    Close,
    /// The handling department answers the supervision record of a level.
    Answer { level: u8, by: &'static str },
    /// The level's supervisor accepts the answer or sends it back.
    Review { level: u8, by: &'static str, accept: bool },
    /// The handling task sent by mistake to a department without handlers.
    Misroute,
}

/// When a step happens: days after the first request at a local hour, or minutes after the
/// moment that leaves the warning's request past its warning now.
#[derive(Debug, Clone, Copy)]
enum When {
    Day(u64, u32),
    Warned(i64),
}

/// One step of the plan.
struct Step {
    at: DateTime<Utc>,
    story: usize,
    what: Do,
}

/// The plan: (request, when, what). Request 0 is never signed for (the ladder climbs all three
/// levels; its first answer is sent back as not saying when the work will be done); 1 is signed
/// for and never answered (level 1 answered and waiting for review, later levels open); 2 is
/// late but its answer to level 1 is accepted (the ladder stops); 3 is late and nobody answers;
/// 4 is closed late; 5 on time; 6 is answered to the caller and waits for the follow-up call
/// (its clock paused); 7 is misrouted yesterday to a department where nobody can take it; 8 has
/// two thirds of its time gone (the warning).
const PLAN: &[(usize, When, Do)] = &[
    (
        0,
        When::Day(0, 10),
        Do::Open {
            content: "渔港路路灯整排不亮",
            phone: "13900000101",
        },
    ),
    (
        0,
        When::Day(0, 11),
        Do::Dispatch {
            department: "smart_city",
            to: "handler_lu",
        },
    ),
    (
        0,
        When::Day(3, 10),
        Do::Answer {
            level: 1,
            by: "handler_lu",
        },
    ),
    (
        0,
        When::Day(3, 15),
        Do::Review {
            level: 1,
            by: "supervisor_han",
            accept: false,
        },
    ),
    (
        1,
        When::Day(2, 9),
        Do::Open {
            content: "小区门口占道经营",
            phone: "13900000102",
        },
    ),
    (
        1,
        When::Day(2, 10),
        Do::Dispatch {
            department: "four_platforms",
            to: "handler_he",
        },
    ),
    (1, When::Day(2, 14), Do::Sign("handler_he")),
    (
        1,
        When::Day(5, 10),
        Do::Answer {
            level: 1,
            by: "handler_he",
        },
    ),
    (
        2,
        When::Day(5, 9),
        Do::Open {
            content: "邻里噪音纠纷反复",
            phone: "13900000103",
        },
    ),
    (
        2,
        When::Day(5, 10),
        Do::Dispatch {
            department: "governance_centre",
            to: "handler_gu",
        },
    ),
    (2, When::Day(5, 11), Do::Sign("handler_gu")),
    (
        2,
        When::Day(8, 10),
        Do::Answer {
            level: 1,
            by: "handler_gu",
        },
    ),
    (
        2,
        When::Day(8, 16),
        Do::Review {
            level: 1,
            by: "supervisor_han",
            accept: true,
        },
    ),
    (
        3,
        When::Day(8, 9),
        Do::Open {
            content: "公交站牌破损",
            phone: "13900000104",
        },
    ),
    (
        3,
        When::Day(8, 10),
        Do::Dispatch {
            department: "hotline_12345",
            to: "handler_li",
        },
    ),
    (
        4,
        When::Day(1, 9),
        Do::Open {
            content: "自来水水压不足",
            phone: "13900000105",
        },
    ),
    (
        4,
        When::Day(1, 10),
        Do::Dispatch {
            department: "hotline_12345",
            to: "handler_li",
        },
    ),
    (4, When::Day(1, 11), Do::Sign("handler_li")),
    (4, When::Day(8, 15), Do::Reply("handler_li")),
    (4, When::Day(9, 10), Do::Close),
    (
        5,
        When::Day(11, 9),
        Do::Open {
            content: "楼道堆放杂物",
            phone: "13900000106",
        },
    ),
    (
        5,
        When::Day(11, 10),
        Do::Dispatch {
            department: "hotline_12345",
            to: "handler_li",
        },
    ),
    (5, When::Day(11, 11), Do::Sign("handler_li")),
    (5, When::Day(12, 15), Do::Reply("handler_li")),
    (5, When::Day(13, 10), Do::Close),
    (
        6,
        When::Day(13, 9),
        Do::Open {
            content: "共享单车乱停放",
            phone: "13900000107",
        },
    ),
    (
        6,
        When::Day(13, 10),
        Do::Dispatch {
            department: "smart_city",
            to: "handler_lu",
        },
    ),
    (6, When::Day(13, 11), Do::Sign("handler_lu")),
    (6, When::Day(14, 15), Do::Reply("handler_lu")),
    (
        7,
        When::Day(DAYS_BACK - 1, 9),
        Do::Open {
            content: "广告牌松动有坠落风险",
            phone: "13900000108",
        },
    ),
    (7, When::Day(DAYS_BACK - 1, 10), Do::Misroute),
    (
        8,
        When::Warned(0),
        Do::Open {
            content: "路面井盖缺失",
            phone: "13900000109",
        },
    ),
    (
        8,
        When::Warned(20),
        Do::Dispatch {
            department: "four_platforms",
            to: "handler_tang",
        },
    ),
    (8, When::Warned(90), Do::Sign("handler_tang")),
];

/// The plan's steps at their instants, latest first (taken from the end).
fn plan(at: &dyn Fn(u64, u32) -> DateTime<Utc>, warning_open: DateTime<Utc>) -> Vec<Step> {
    let mut steps: Vec<Step> = PLAN
        .iter()
        .map(|(story, when, what)| Step {
            at: match *when {
                When::Day(d, h) => at(d, h),
                When::Warned(m) => warning_open + chrono::Duration::minutes(m),
            },
            story: *story,
            what: what.clone(),
        })
        .collect();
    steps.sort_by_key(|s| std::cmp::Reverse((s.at, s.story)));
    steps
}

/// Replays the past on `clock` (which the engine reads), then lets it run on in real time.
/// Returns the requests opened. Steps the engine refuses are logged and skipped.
pub async fn replay(engine: &Engine, clock: &RewoundClock) -> anyhow::Result<usize> {
    let now = Utc::now();
    let zone = engine.zone();
    let first = now.with_timezone(&zone).date_naive() - Days::new(DAYS_BACK);
    let at = |day: u64, hour: u32| {
        let d = first + Days::new(day);
        let t = d.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
        zone.from_local_datetime(&t)
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
    };
    let Some(warning_open) = warning_start(engine, now) else {
        anyhow::bail!("the 12345 request type has no SLA to show a warning on");
    };
    let mut steps = plan(&at, warning_open);
    let mut ids: Vec<Option<String>> = vec![None; PLAN.iter().map(|(n, ..)| n + 1).max().unwrap_or(0)];
    // A step on a supervision record waits for the record: a record opens when the ladder says,
    // which depends on the weekends and holidays of these two weeks; until then it is tried again
    // four hours later.
    while let Some(step) = steps.pop() {
        goto(engine, clock, step.at).await?;
        let id = ids.get(step.story).cloned().flatten();
        match (&step.what, id) {
            (Do::Open { content, phone }, _) => {
                if let Some(opened) = open(engine, content, phone).await
                    && let Some(slot) = ids.get_mut(step.story)
                {
                    *slot = Some(opened);
                }
            }
            (what, Some(id)) => match act(engine, &id, what).await {
                Ok(()) => {}
                Err(Taken::NotYet) => {
                    let later = step.at + chrono::Duration::hours(4);
                    if later < now {
                        let i = steps
                            .iter()
                            .position(|s| (s.at, s.story) < (later, step.story))
                            .unwrap_or(steps.len());
                        steps.insert(i, Step { at: later, ..step });
                    }
                }
                Err(Taken::Refused(e)) => tracing::debug!(case = %id, "demo step {what:?} not taken: {e}"),
            },
            (what, None) => tracing::debug!("demo step {what:?} has no case"),
        }
    }
    goto(engine, clock, Utc::now()).await?;
    clock.release();
    Ok(ids.iter().flatten().count())
}

/// Moves the clock to `to`, firing every timer at the instant it falls due on the way.
async fn goto(engine: &Engine, clock: &RewoundClock, to: DateTime<Utc>) -> anyhow::Result<()> {
    for _ in 0..100_000 {
        let next = engine.store().next_timer_due(to.timestamp_millis()).await?;
        let Some(due) = next.and_then(DateTime::from_timestamp_millis).filter(|d| *d <= to) else {
            clock.set(to);
            return Ok(());
        };
        clock.set(due.max(engine.now()));
        engine.fire_due_timers().await?;
    }
    anyhow::bail!("the demo's past fires more than 100,000 timers")
}

/// When a request must come in for its clock to be past the warning now: two and a half
/// working days back on the case type's calendar (searched by the hour).
fn warning_start(engine: &Engine, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let def = engine.definitions().current(CASE_TYPE)?;
    let (warn, budget) = ("2 working days".parse().ok()?, "3 working days".parse().ok()?);
    (1..24 * 14).map(|h| now - chrono::Duration::hours(h)).find(|t| {
        let warned = def
            .calendar
            .add(*t, warn)
            .is_ok_and(|d| d.at + chrono::Duration::hours(1) <= now);
        let due = def
            .calendar
            .add(*t, budget)
            .is_ok_and(|d| d.at > now + chrono::Duration::hours(2));
        warned && due
    })
}

fn user(engine: &Engine, id: &str) -> anyhow::Result<Actor> {
    Actor::for_user(engine.org(), id).ok_or_else(|| anyhow::anyhow!("`{id}` is not a user of the organisation"))
}

async fn open(engine: &Engine, content: &str, phone: &str) -> Option<String> {
    let fields: Map<String, Value> = json!({
        "caller": "演示市民", "caller_phone": phone, "category": "complaint", "content": content,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let clerk = user(engine, "clerk_xia").ok()?;
    match engine
        .open_case(CASE_TYPE, "hotline_12345", fields, None, clerk, None)
        .await
    {
        Ok(o) => Some(o.case.id.to_string()),
        Err(e) => {
            tracing::debug!("demo request not opened: {e}");
            None
        }
    }
}

fn action(name: &str, fields: Value, assign_to: Option<&str>) -> Command {
    Command::Act {
        action: name.into(),
        fields: fields.as_object().cloned().unwrap_or_default(),
        comment: None,
        expected_version: None,
        assign_to: assign_to.map(Into::into),
    }
}

/// Why a step was not taken.
enum Taken {
    /// Its supervision record has not opened (or been answered) yet.
    NotYet,
    /// The engine refused it.
    Refused(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Taken {
    fn from(e: E) -> Self {
        Taken::Refused(e.into())
    }
}

async fn act(engine: &Engine, id: &str, what: &Do) -> Result<(), Taken> {
    let case = engine.case(id).await?.ok_or_else(|| anyhow::anyhow!("no case"))?;
    let record = |level: u8, answered: bool| {
        let waiting = |s: &SupervisionState| {
            if answered {
                matches!(s, SupervisionState::Answered)
            } else {
                matches!(s, SupervisionState::Awaiting | SupervisionState::Returned)
            }
        };
        case.supervision
            .iter()
            .rev()
            .find(|r| r.level == level && waiting(&r.state))
            .map(|r| r.id.clone())
            .ok_or(Taken::NotYet)
    };
    let (cmd, who) = match what {
        Do::Open { .. } => return Ok(()),
        Do::Dispatch { department, to } => (
            action("dispatch", json!({"handling_department": department}), Some(to)),
            "clerk_xia",
        ),
        Do::Sign(by) => (action("sign_for", json!({}), None), *by),
        Do::Reply(by) => (action("reply", json!({"reply": "已现场核实并处理完毕。"}), None), *by),
        Do::Close => (
            action("close_satisfied", json!({"satisfaction": "satisfied"}), None),
            "clerk_xia",
        ),
        Do::Answer { level, by } => (
            Command::AnswerSupervision {
                record: record(*level, false)?,
                text: "已督促承办人联系来电人，三日内办结。".into(),
            },
            *by,
        ),
        Do::Review { level, by, accept } => (
            Command::ReviewSupervision {
                record: record(*level, true)?,
                accept: *accept,
                comment: (!accept).then(|| "答复未说明办理时限，请补充。".to_owned()),
            },
            *by,
        ),
        Do::Misroute => {
            let dispatch = action("dispatch", json!({"handling_department": "hotline_12345"}), None);
            engine.command(id, dispatch, user(engine, "clerk_xia")?, None).await?;
            let case = engine.case(id).await?.ok_or_else(|| anyhow::anyhow!("no case"))?;
            let task = case
                .tasks
                .iter()
                .find(|t| t.is_active())
                .ok_or_else(|| anyhow::anyhow!("no task"))?;
            (
                Command::Reassign {
                    task: task.id.clone(),
                    to_user: None,
                    to_department: Some("supervision_office".into()),
                    reason: Some("按来电内容转交".into()),
                },
                "clerk_xia",
            )
        }
    };
    engine.command(id, cmd, user(engine, who)?, None).await?;
    Ok(())
}
