//! A virtual year of the centre through the real engine and store on a virtual clock, with known
//! ground truth: citizens' cases in the seed's mix (12345 convenience services, 12315 market
//! supervision, grid events, comprehensive law enforcement) filed through their channels on every
//! working day; staff start and close them during office hours; a share closes late and breaches,
//! firing the ladder's first rung; grid events pause while a grid worker checks on the spot;
//! in-person visits give the zero-trip and one-trip shares; the periodic jobs run every morning.
//!
//! Deterministic for a seed: the same options give the same cases, commands and reports. The
//! ground truth each case was generated with is returned, so a test (or the `yimen simulate`
//! summary) can compare the reports with it.

mod error;
pub use error::SimulationError;
use error::setup;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value, json};

use crate::calendar::WorkCalendar;
use crate::core::{Actor, Command};
use crate::runtime::scheduler::Scheduler;
use crate::runtime::{Clock, Engine, ManualClock};

/// The seed year's mix: (case type, department, cases in the year).
pub const MIX: [(&str, &str, f64); 4] = [
    ("service_request_12345", "hotline_12345", 12_272.0),
    ("market_complaint", "four_platforms", 11_371.0),
    ("grid_event", "grid_management", 2_234.0),
    ("law_enforcement", "smart_city", 2_088.0),
];

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The generator's seed.
    pub seed: u64,
    /// Cases relative to the seed year (1.0: 27,965 cases; 100: a province).
    pub scale: f64,
    /// The year (its holidays must be published in the calendar, and January of the next).
    pub year: i32,
    /// The share of cases that close late (the seed: 5 %).
    pub late_share: f64,
    /// Keep every case's ground truth in [`Outcome::truth`] (tests compare each period with it);
    /// otherwise only the year's tally is kept, so memory stays flat at any scale.
    pub keep_truth: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 0x5eed_2025,
            scale: 1.0,
            year: 2025,
            late_share: 0.05,
            keep_truth: false,
        }
    }
}

/// What the generator decided for a case, and what happened to it.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Its case type.
    pub case_type: &'static str,
    /// The department handling it.
    pub department: &'static str,
    /// When it was opened.
    pub opened: DateTime<Utc>,
    /// When it was closed.
    pub closed: Option<DateTime<Utc>>,
    /// Whether it was planned to close after its time limit.
    pub late: bool,
    /// In-person visits.
    pub visits: u32,
}

/// Progress, once per simulated day.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The day.
    pub day: NaiveDate,
    /// Days done and in all.
    pub done: usize,
    /// Days in all.
    pub days: usize,
    /// Cases opened so far.
    pub cases: usize,
    /// Commands applied so far.
    pub commands: u64,
}

/// The year as it happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every case with its ground truth (when [`Options::keep_truth`]), in closing order.
    pub truth: Vec<Truth>,
    /// The ground truth's figures for the year.
    pub year: Count,
    /// Cases opened.
    pub cases: usize,
    /// Commands applied (opening included).
    pub commands: u64,
    /// Periodic job runs.
    pub job_runs: usize,
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn act(action: &str, f: Value) -> Command {
    Command::Act {
        action: action.into(),
        fields: f.as_object().cloned().unwrap_or_default(),
        comment: Some("处理".into()),
        expected_version: None,
        assign_to: None,
    }
}

fn open_fields(case_type: &str, i: usize) -> Map<String, Value> {
    let phone = format!("13{:09}", 100_000_000 + i);
    let v = match case_type {
        "service_request_12345" => {
            json!({"caller": "市民", "caller_phone": phone, "category": "request", "content": "诉求", "handling_department": "hotline_12345"})
        }
        "market_complaint" => {
            json!({"complainant": "消费者", "complainant_phone": phone, "business": format!("商户{i}"), "category": "quality", "facts": "投诉"})
        }
        "grid_event" => {
            json!({"reporter": "陈平", "location": "某路口", "category": "facility", "description": "设施损坏"})
        }
        _ => {
            json!({"reporter": "市民", "reporter_phone": phone, "location": format!("某地{i}"), "violation": "dumping", "facts": "乱倒垃圾"})
        }
    };
    v.as_object().cloned().unwrap_or_default()
}

/// The intake channel and unit of each type.
fn intake(case_type: &str) -> (&'static str, Option<&'static str>) {
    match case_type {
        "service_request_12345" => ("hotline_12345", None),
        "market_complaint" => ("platform_12315", Some("shenjiamen")),
        "grid_event" => ("grid_report", Some("shenjiamen_c1")),
        _ => ("platform_smart_city", None),
    }
}

/// The actions right after opening (the clock of most types starts there), with who takes each.
fn starting(case_type: &str) -> &'static [(&'static str, &'static str)] {
    match case_type {
        "service_request_12345" => &[("dispatch", "clerk_wang"), ("sign_for", "handler_li")],
        "market_complaint" => &[("accept", "handler_ma")],
        "grid_event" => &[("accept", "handler_li")],
        _ => &[],
    }
}

/// The actions that close a case, with who takes each (a grid event pauses between them while
/// the grid worker checks on the spot).
fn closing(case_type: &str) -> Vec<(&'static str, &'static str, Value)> {
    match case_type {
        "service_request_12345" => vec![
            ("reply", "handler_li", json!({"reply": "已办理"})),
            ("close_satisfied", "clerk_wang", json!({"satisfaction": "satisfied"})),
        ],
        "market_complaint" => vec![("agree", "handler_ma", json!({"agreement": "退货退款"}))],
        "grid_event" => vec![
            ("handled", "handler_li", json!({"result": "已修复"})),
            ("check_ok", "grid_chen", json!({})),
        ],
        _ => vec![("correct", "officer_du", json!({"decision": "责令清理"}))],
    }
}

/// The time limit of each type's SLA, as its workflow declares it (12345 and grid events: the
/// centre's 3 working days; market complaints: 45 working days of mediation; law enforcement:
/// 5 working days to verify).
pub fn budget(case_type: &str) -> &'static str {
    match case_type {
        "market_complaint" => "45 working days",
        "law_enforcement" => "5 working days",
        _ => "3 working days",
    }
}

/// The local date of an instant on the calendar's zone.
pub fn local_date(cal: &WorkCalendar, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cal.timezone()).date_naive()
}

async fn settle(e: &Engine, commands: &mut u64) -> Result<(), SimulationError> {
    loop {
        let n = e.fire_due_timers().await?;
        *commands += n as u64;
        if n == 0 {
            return Ok(());
        }
    }
}

/// Commands in flight at once: enough to fill the writer's batches many times over, few enough
/// that a province's day (tens of thousands of cases) does not hold them all in memory.
const IN_FLIGHT: usize = 4096;

/// Runs `cmds` (case id, command, actor) concurrently, so the writer commits them in groups; at
/// most [`IN_FLIGHT`] at a time.
async fn run_all(e: &Engine, cmds: Vec<(String, Command, Actor)>, commands: &mut u64) -> Result<(), SimulationError> {
    let mut set = tokio::task::JoinSet::new();
    *commands += cmds.len() as u64;
    for (id, cmd, actor) in cmds {
        if set.len() >= IN_FLIGHT
            && let Some(r) = set.join_next().await
        {
            r??;
        }
        let e = e.clone();
        set.spawn(async move {
            e.command(&id, cmd, actor, None)
                .await
                .map(|_| ())
                .map_err(|why| SimulationError::Case { what: id, why })
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    Ok(())
}

/// The working days of `year`, and the days the simulation steps through: those, then the
/// first half of January after.
fn year_days(cal: &WorkCalendar, year: i32) -> Result<(Vec<NaiveDate>, Vec<NaiveDate>), SimulationError> {
    let mut days = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| setup("bad year"))?;
    while d.year() == year {
        if cal
            .day(d)
            .map_err(|x| SimulationError::Calendar(x.to_string()))?
            .working
        {
            days.push(d);
        }
        d = d.succ_opt().ok_or_else(|| setup("date overflow"))?;
    }
    let mut step_days = days.clone();
    let mut d = NaiveDate::from_ymd_opt(year + 1, 1, 2).ok_or_else(|| setup("bad year"))?;
    while d <= NaiveDate::from_ymd_opt(year + 1, 1, 16).ok_or_else(|| setup("bad year"))? {
        step_days.push(d);
        d = d.succ_opt().ok_or_else(|| setup("date overflow"))?;
    }
    Ok((days, step_days))
}

/// Takes the closing actions of the cases closing now.
async fn close_cases(
    e: &Engine,
    live: &HashMap<usize, (Truth, String)>,
    now_closing: &[usize],
    commands: &mut u64,
) -> Result<(), SimulationError> {
    for round in 0..2 {
        let mut cmds = Vec::new();
        for &i in now_closing {
            let (t, id) = &live[&i];
            if let Some((a, u, f)) = closing(t.case_type).get(round).cloned() {
                cmds.push((
                    id.clone(),
                    act(a, f),
                    Actor::for_user(e.org(), u).ok_or_else(|| setup(format!("the organisation has no user `{u}`")))?,
                ));
            }
        }
        run_all(e, cmds, commands).await?;
    }
    Ok(())
}

/// Puts each late case among `opened` on the day it closes: the first day after its due instant
/// (holidays and make-up days as the calendar has them).
fn schedule_late(
    cal: &WorkCalendar,
    live: &HashMap<usize, (Truth, String)>,
    opened: &[usize],
    pending: &mut BTreeMap<NaiveDate, Vec<usize>>,
) -> Result<(), SimulationError> {
    for &i in opened.iter().filter(|i| live[*i].0.late) {
        let t = &live[&i].0;
        let d: crate::duration::Duration = budget(t.case_type)
            .parse()
            .map_err(|x| SimulationError::Setup(format!("{x}")))?;
        let due = cal
            .add(t.opened, d)
            .map_err(|x| SimulationError::Calendar(x.to_string()))?
            .at;
        pending
            .entry(local_date(cal, due) + Duration::days(1))
            .or_default()
            .push(i);
    }
    Ok(())
}

/// `hm` (hours, minutes) on day `d` in the centre's time zone.
fn local_at(tz: chrono_tz::Tz, d: NaiveDate, hm: (u32, u32)) -> Result<DateTime<Utc>, SimulationError> {
    d.and_hms_opt(hm.0, hm.1, 0)
        .and_then(|n| tz.from_local_datetime(&n).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| SimulationError::Calendar(format!("no local time {d} {}:{}", hm.0, hm.1)))
}

/// Opens the day's cases, at most `IN_FLIGHT` at once; their ids in order (`first` is the
/// index of the first, for its generated fields).
async fn open_day(
    e: &Engine,
    clerk: &Actor,
    todays: &[&'static str],
    first: usize,
) -> Result<Vec<String>, SimulationError> {
    let mut set = tokio::task::JoinSet::new();
    let mut new_ids = vec![String::new(); todays.len()];
    let mut take = |r: Result<Result<(usize, String, bool), SimulationError>, tokio::task::JoinError>| {
        let (k, id, linked) = r??;
        if linked {
            return Err(setup("a generated case was linked as a repeat"));
        }
        new_ids[k] = id;
        Ok::<(), SimulationError>(())
    };
    for (k, ct) in todays.iter().enumerate() {
        if set.len() >= IN_FLIGHT
            && let Some(r) = set.join_next().await
        {
            take(r)?;
        }
        let i = first + k;
        let (channel, unit) = intake(ct);
        let (e2, clerk2) = (e.clone(), clerk.clone());
        let ct = *ct;
        set.spawn(async move {
            e2.open_case(ct, channel, open_fields(ct, i), unit.map(str::to_owned), clerk2, None)
                .await
                .map(|o| (k, o.case.id.into_string(), o.linked))
                .map_err(|why| SimulationError::Case {
                    what: format!("open {ct}"),
                    why,
                })
        });
    }
    while let Some(r) = set.join_next().await {
        take(r)?;
    }
    Ok(new_ids)
}

/// Records the day's cases' visits and takes their first actions.
async fn start_cases(
    e: &Engine,
    live: &HashMap<usize, (Truth, String)>,
    opened: &[usize],
    clerk: &Actor,
    commands: &mut u64,
) -> Result<(), SimulationError> {
    let mut cmds = Vec::new();
    for &i in opened {
        let (t, id) = &live[&i];
        for _ in 0..t.visits {
            cmds.push((id.clone(), Command::RecordVisit, clerk.clone()));
        }
    }
    run_all(e, cmds, commands).await?;
    for round in 0..2 {
        let mut cmds = Vec::new();
        for &i in opened {
            let (t, id) = &live[&i];
            if let Some((a, u)) = starting(t.case_type).get(round) {
                cmds.push((
                    id.clone(),
                    act(a, json!({})),
                    Actor::for_user(e.org(), u).ok_or_else(|| setup(format!("the organisation has no user `{u}`")))?,
                ));
            }
        }
        run_all(e, cmds, commands).await?;
    }
    Ok(())
}

/// Runs the year. The clock is moved through it; `scheduler`, when given, ticks every morning.
pub async fn run(
    e: &Engine,
    clock: &ManualClock,
    scheduler: Option<&Scheduler>,
    cal: &WorkCalendar,
    opts: &Options,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Outcome, SimulationError> {
    let tz = cal.timezone();
    let local = |d: NaiveDate, hm: (u32, u32)| local_at(tz, d, hm);
    let user =
        |id: &str| Actor::for_user(e.org(), id).ok_or_else(|| setup(format!("the organisation has no user `{id}`")));
    // The year's working days, and each type's cases spread evenly over them; the days the
    // clock steps through go on into January so late cases close and the year's jobs run.
    let (days, step_days) = year_days(cal, opts.year)?;
    let mut per_day: Vec<Vec<&'static str>> = vec![Vec::new(); days.len()];
    for (ct, _, n) in MIX {
        let n = (n * opts.scale).round() as usize;
        for i in 0..n {
            per_day[i * days.len() / n].push(ct);
        }
    }
    let dept: HashMap<&str, &'static str> = MIX.iter().map(|(c, d, _)| (*c, *d)).collect();
    let mut rng = Rng(opts.seed | 1);
    let mut truth: Vec<Truth> = Vec::new();
    // The cases still being worked on (opened today, or waiting to close late): index → (truth,
    // id). Closed ones are folded into the year's tally and dropped, so memory does not grow.
    let mut live: HashMap<usize, (Truth, String)> = HashMap::new();
    let mut opened_count = 0usize;
    let year_start = NaiveDate::from_ymd_opt(opts.year, 1, 1).ok_or_else(|| setup("bad year"))?;
    let year_end = NaiveDate::from_ymd_opt(opts.year + 1, 1, 1).ok_or_else(|| setup("bad year"))?;
    let mut year = Count::default();
    let mut commands = 0u64;
    let mut job_runs = 0usize;
    // Late closures waiting for their day: local date → case indexes.
    let mut pending: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    let clerk = user("clerk_wang")?;
    for (di, day) in step_days.iter().enumerate() {
        clock.set(local(*day, (9, 0))?);
        settle(e, &mut commands).await?;
        // Jobs due this morning (Monday spot-checks, first-working-day bulletins, January's
        // assessment) run before the day's work.
        clock.set(local(*day, (9, 30))?);
        if let Some(s) = scheduler {
            for (job, period, r) in s.tick().await? {
                job_runs += 1;
                r.map_err(|why| SimulationError::Job { job, period, why })?;
            }
        }
        // Open the day's cases.
        let todays: &[&'static str] = per_day.get(di).map_or(&[], Vec::as_slice);
        clock.set(local(*day, (9, 40))?);
        let mut opened = Vec::new();
        let mut new_ids = open_day(e, &clerk, todays, opened_count).await?;
        commands += todays.len() as u64;
        let now = clock.now();
        for (k, ct) in todays.iter().enumerate() {
            let r = rng.unit();
            let visits = if r < 0.615 {
                0
            } else if r < 0.945 {
                1
            } else {
                2
            };
            // Late ones among cases opened before October, so every breach falls in the year.
            let late = day.month() < 10 && day.year() == opts.year && rng.unit() < opts.late_share;
            let i = opened_count;
            opened_count += 1;
            opened.push(i);
            if (year_start..year_end).contains(day) {
                year.received += 1;
            }
            live.insert(
                i,
                (
                    Truth {
                        case_type: ct,
                        department: dept[ct],
                        opened: now,
                        closed: None,
                        late,
                        visits,
                    },
                    std::mem::take(&mut new_ids[k]),
                ),
            );
        }
        start_cases(e, &live, &opened, &clerk, &mut commands).await?;
        // On-time cases close within the hour; late ones wait past their limit.
        clock.set(local(*day, (10, 30))?);
        settle(e, &mut commands).await?;
        let mut closing_now: Vec<usize> = opened.iter().copied().filter(|i| !live[i].0.late).collect();
        schedule_late(cal, &live, &opened, &mut pending)?;
        let due: Vec<NaiveDate> = pending.range(..=*day).map(|(d, _)| *d).collect();
        for d in due {
            closing_now.extend(pending.remove(&d).unwrap_or_default());
        }
        close_cases(e, &live, &closing_now, &mut commands).await?;
        let now = clock.now();
        for &i in &closing_now {
            let Some((mut t, _)) = live.remove(&i) else { continue };
            t.closed = Some(now);
            if (year_start..year_end).contains(day) {
                year.closed += 1;
                year.on_time += u64::from(!t.late);
                year.zero += u64::from(t.visits == 0);
                year.one += u64::from(t.visits == 1);
            } else if local_date(cal, t.opened) < year_end {
                year.open_at_end += 1;
            }
            if opts.keep_truth {
                truth.push(t);
            }
        }
        progress(&Progress {
            day: *day,
            done: di + 1,
            days: step_days.len(),
            cases: opened_count,
            commands,
        });
    }
    if !pending.is_empty() {
        return Err(setup("some late cases were still waiting to close at the end"));
    }
    Ok(Outcome {
        truth,
        year,
        cases: opened_count,
        commands,
        job_runs,
    })
}

/// Figures of the ground truth over `[from, to)` (local dates), for one department or all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Count {
    /// Opened in the period.
    pub received: u64,
    /// Closed in the period.
    pub closed: u64,
    /// Of those, within the time limit.
    pub on_time: u64,
    /// Of those, with no visit.
    pub zero: u64,
    /// Of those, with one visit.
    pub one: u64,
    /// Opened before the end and not closed by then.
    pub open_at_end: u64,
}

/// The ground truth's figures for a period and (optionally) a department.
pub fn truth_for(cal: &WorkCalendar, cases: &[Truth], from: NaiveDate, to: NaiveDate, dept: Option<&str>) -> Count {
    let mut c = Count::default();
    for t in cases.iter().filter(|t| dept.is_none_or(|d| d == t.department)) {
        let o = local_date(cal, t.opened);
        if o >= from && o < to {
            c.received += 1;
        }
        match t.closed.map(|x| local_date(cal, x)) {
            Some(d) if d >= from && d < to => {
                c.closed += 1;
                if !t.late {
                    c.on_time += 1;
                }
                match t.visits {
                    0 => c.zero += 1,
                    1 => c.one += 1,
                    _ => {}
                }
            }
            Some(d) if d < from => {}
            _ => {
                if o < to {
                    c.open_at_end += 1;
                }
            }
        }
    }
    c
}
