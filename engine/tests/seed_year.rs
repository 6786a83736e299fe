//! The seed's year, reproduced: a year of cases with the seed's mix (convenience services,
//! market supervision, comprehensive governance, law enforcement), its zero-trip and one-trip
//! shares and 95 % closed on time, generated with known ground truth through the real engine on
//! a virtual clock, with the periodic jobs running as the days pass. Every figure of the 12
//! bulletins, every spot-check's sample sizes and the assessment's year must equal the truth.
//!
//! Scale: `YIMEN_SEED_YEAR_SCALE` (default 1: the seed year, 27,965 cases; 0.1 for a quick run).
//! `YIMEN_SEED_YEAR_KEEP=<file>` keeps the database there, to look at the reports with
//! `yimen report … --db sqlite://<file>`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use common::{at, fields, user};
use serde_json::{Value, json};
use yimen_engine::core::{Actor, Command};
use yimen_engine::runtime::scheduler::Scheduler;
use yimen_engine::runtime::{Engine, ManualClock};

/// The seed year's mix: (case type, department, cases in the year).
const MIX: [(&str, &str, f64); 4] = [
    ("service_request_12345", "hotline_12345", 12_272.0),
    ("market_complaint", "four_platforms", 11_371.0),
    ("grid_event", "grid_management", 2_234.0),
    ("law_enforcement", "smart_city", 2_088.0),
];

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

/// What the generator decided for a case, and what happened to it.
#[derive(Debug, Clone)]
struct Truth {
    case_type: &'static str,
    department: &'static str,
    opened: DateTime<Utc>,
    closed: Option<DateTime<Utc>>,
    late: bool,
    visits: u32,
}

fn act(action: &str, f: Value) -> Command {
    Command::Act {
        action: action.into(),
        fields: fields(f),
        comment: Some("处理".into()),
        expected_version: None,
    }
}

fn open_fields(case_type: &str, i: usize) -> Value {
    let phone = format!("13{:09}", 100_000_000 + i);
    match case_type {
        "service_request_12345" => {
            json!({"caller": "市民", "caller_phone": phone, "category": "request", "content": "诉求"})
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
    }
}

/// The actions that close a case of `case_type`, with who takes each.
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

/// The actions right after opening (the clock of most types starts there).
fn starting(case_type: &str) -> Vec<(&'static str, &'static str)> {
    match case_type {
        "service_request_12345" => vec![("dispatch", "clerk_wang"), ("sign_for", "handler_li")],
        "market_complaint" => vec![("accept", "handler_ma")],
        "grid_event" => vec![("accept", "handler_li")],
        _ => vec![],
    }
}

/// The time limit of each type's SLA, as its workflow declares it (12345, grid events: the
/// centre's 3 working days; market complaints: 45 working days of mediation; law enforcement:
/// 5 working days to verify).
fn budget(case_type: &str) -> &'static str {
    match case_type {
        "market_complaint" => "45 working days",
        "law_enforcement" => "5 working days",
        _ => "3 working days",
    }
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

async fn settle(e: &Engine) {
    while e.fire_due_timers().await.expect("timers") > 0 {}
}

/// Runs `cmds` (case id, command, actor) concurrently, so the writer commits them in groups.
async fn run_all(e: &Engine, cmds: Vec<(String, Command, Actor)>) {
    let mut set = tokio::task::JoinSet::new();
    for (id, cmd, actor) in cmds {
        let e = e.clone();
        set.spawn(async move {
            e.command(&id, cmd, actor, None)
                .await
                .map_err(|err| format!("{id}: {err}"))
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("join").expect("command");
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Count {
    received: u64,
    closed: u64,
    on_time: u64,
    zero: u64,
    one: u64,
    open_at_end: u64,
}

fn truth_for(cases: &[Truth], from: NaiveDate, to: NaiveDate, dept: Option<&str>) -> Count {
    let mut c = Count::default();
    for t in cases.iter().filter(|t| dept.is_none_or(|d| d == t.department)) {
        let o = local_date(t.opened);
        if o >= from && o < to {
            c.received += 1;
        }
        match t.closed.map(local_date) {
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

fn reported(f: &Value) -> Count {
    let n = |k: &str| f[k].as_u64().unwrap_or(u64::MAX);
    Count {
        received: n("received"),
        closed: n("closed"),
        on_time: n("on_time"),
        zero: n("zero_trip"),
        one: n("one_trip"),
        open_at_end: n("open_at_end"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_year_reports_its_ground_truth() {
    let scale: f64 = std::env::var("YIMEN_SEED_YEAR_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("year.db").display());
    let clock = Arc::new(ManualClock::new(at("2024-12-31T12:00")));
    let e = common::engine(&url, "a", clock.clone()).await;
    let b = common::bundle();
    let cal = b.calendars.get("cn-mainland").expect("calendar").clone();
    let sched = Scheduler::new(e.clone(), b.schedules.expect("schedules").value, cal.clone());

    // The year's working days, and each type's cases spread evenly over them.
    let mut days = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    while d.year() == 2025 {
        if cal.day(d).expect("2025 is published").working {
            days.push(d);
        }
        d = d.succ_opt().expect("date");
    }
    let mut per_day: Vec<Vec<&'static str>> = vec![Vec::new(); days.len()];
    let mut total = 0usize;
    for (ct, _, n) in MIX {
        let n = (n * scale).round() as usize;
        total += n;
        for i in 0..n {
            per_day[i * days.len() / n].push(ct);
        }
    }
    let dept: HashMap<&str, &str> = MIX.iter().map(|(c, d, _)| (*c, *d)).collect();
    let mut rng = Rng(0x5eed_2025);
    let mut truth: Vec<Truth> = Vec::with_capacity(total);
    let mut ids: Vec<String> = Vec::with_capacity(total);
    // Late closures waiting for their day: local date → case indexes.
    let mut pending: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    let local = |d: NaiveDate, hm: &str| at(&format!("{d}T{hm}"));

    let mut step_days: Vec<NaiveDate> = days.clone();
    // Keep going into January 2026 so late cases close and the year's last jobs run.
    let mut d = NaiveDate::from_ymd_opt(2026, 1, 2).expect("date");
    while d <= NaiveDate::from_ymd_opt(2026, 1, 16).expect("date") {
        step_days.push(d);
        d = d.succ_opt().expect("date");
    }
    for (di, day) in step_days.iter().enumerate() {
        clock.set(local(*day, "09:00"));
        settle(&e).await;
        // Jobs due this morning (Monday spot-checks, first-working-day bulletins, January's
        // assessment) run before the day's work.
        clock.set(local(*day, "09:30"));
        for (job, period, r) in sched.tick().await.expect("tick") {
            assert!(r.is_ok(), "{job} {period}: {r:?}");
        }
        // Open the day's cases.
        let todays: &[&'static str] = per_day.get(di).map_or(&[], Vec::as_slice);
        clock.set(local(*day, "09:40"));
        let mut opened = Vec::new();
        for ct in todays {
            let i = truth.len();
            let unit = match *ct {
                "market_complaint" => Some("shenjiamen".to_owned()),
                "grid_event" => Some("shenjiamen_c1".to_owned()),
                _ => None,
            };
            let channel = match *ct {
                "service_request_12345" => "hotline_12345",
                "market_complaint" => "platform_12315",
                "grid_event" => "grid_report",
                _ => "platform_smart_city",
            };
            let f = fields(open_fields(ct, i));
            let out = e
                .open_case(ct, channel, f, unit, user(&e, "clerk_wang"), None)
                .await
                .expect("opens");
            assert!(!out.linked);
            let r = rng.unit();
            let visits = if r < 0.615 {
                0
            } else if r < 0.945 {
                1
            } else {
                2
            };
            // 5 % late, among cases opened before October (so every breach falls in 2025).
            let late = day.month() < 10 && rng.unit() < 0.05;
            truth.push(Truth {
                case_type: ct,
                department: dept[ct],
                opened: clock_now(&clock),
                closed: None,
                late,
                visits,
            });
            ids.push(out.case.id);
            opened.push(i);
        }
        // Start them; record visits.
        let mut cmds = Vec::new();
        for &i in &opened {
            for _ in 0..truth[i].visits {
                cmds.push((ids[i].clone(), Command::RecordVisit, user(&e, "clerk_wang")));
            }
        }
        run_all(&e, cmds).await;
        for round in 0..2 {
            let cmds: Vec<_> = opened
                .iter()
                .filter_map(|&i| {
                    starting(truth[i].case_type)
                        .get(round)
                        .map(|(a, u)| (ids[i].clone(), act(a, json!({})), user(&e, u)))
                })
                .collect();
            run_all(&e, cmds).await;
        }
        // On-time cases close within the hour; late ones wait past their limit.
        clock.set(local(*day, "10:30"));
        settle(&e).await;
        let mut closing_now: Vec<usize> = opened.iter().copied().filter(|&i| !truth[i].late).collect();
        // A late case closes on the first working day after its due instant (holidays and
        // make-up days as the calendar has them).
        for &i in opened.iter().filter(|&&i| truth[i].late) {
            let d: yimen_engine::duration::Duration = budget(truth[i].case_type).parse().expect("duration");
            let due = cal.add(truth[i].opened, d).expect("due").at;
            pending.entry(local_date(due) + Duration::days(1)).or_default().push(i);
        }
        // Late cases whose day has come (on or after their planned date).
        let due: Vec<NaiveDate> = pending.range(..=*day).map(|(d, _)| *d).collect();
        for d in due {
            closing_now.extend(pending.remove(&d).unwrap_or_default());
        }
        for round in 0..2 {
            let cmds: Vec<_> = closing_now
                .iter()
                .filter_map(|&i| {
                    closing(truth[i].case_type)
                        .get(round)
                        .cloned()
                        .map(|(a, u, f)| (ids[i].clone(), act(a, f), user(&e, u)))
                })
                .collect();
            run_all(&e, cmds).await;
        }
        for &i in &closing_now {
            truth[i].closed = Some(clock_now(&clock));
        }
    }
    assert!(pending.is_empty(), "every late case closed");
    let store = e.store();

    // The 12 bulletins equal the truth, in total and per department.
    for m in 1..=12u32 {
        let from = NaiveDate::from_ymd_opt(2025, m, 1).expect("date");
        let to = if m == 12 {
            NaiveDate::from_ymd_opt(2026, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(2025, m + 1, 1)
        }
        .expect("date");
        let period = format!("2025-{m:02}");
        let (_, data) = store
            .report_data("monthly_bulletin", &period)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("the bulletin for {period} ran"));
        let v: Value = serde_json::from_str(&data).expect("json");
        assert_eq!(
            reported(&v["total"]),
            truth_for(&truth, from, to, None),
            "{period} total"
        );
        for (_, d, _) in MIX {
            let row = v["departments"]
                .as_array()
                .expect("departments")
                .iter()
                .find(|r| r["id"] == d)
                .expect("department row");
            assert_eq!(
                reported(&row["figures"]),
                truth_for(&truth, from, to, Some(d)),
                "{period} {d}"
            );
        }
    }

    // Every late case breached once and opened one level-1 supervision record, in 2025.
    let late = truth.iter().filter(|t| t.late).count() as u64;
    let (_, year) = store
        .report_data("annual_assessment", "2025")
        .await
        .expect("read")
        .expect("the assessment ran");
    let year: Value = serde_json::from_str(&year).expect("json");
    let mut breaches = 0;
    let mut level1 = 0;
    for d in year["departments"].as_array().expect("departments") {
        breaches += d["figures"]["breaches"].as_u64().expect("breaches");
        level1 += d["figures"]["escalations"][0].as_u64().expect("escalations");
        let id = d["id"].as_str().expect("id");
        let y = truth_for(
            &truth,
            NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            Some(id),
        );
        assert_eq!(reported(&d["figures"]), y, "2025 {id}");
    }
    assert_eq!((breaches, level1), (late, late), "breaches and level-1 records in 2025");

    // Every week's spot-check drew ceil(5 %) per department and case type, at least 2 per
    // department (or all it closed).
    let mut weeks = 0;
    let mut monday = NaiveDate::from_ymd_opt(2025, 1, 6).expect("date");
    while monday <= NaiveDate::from_ymd_opt(2026, 1, 12).expect("date") {
        let week_start = monday - Duration::days(7);
        let id = format!("{}-W{:02}", week_start.iso_week().year(), week_start.iso_week().week());
        let (_, data) = store
            .report_data("weekly_spot_check", &id)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("the spot-check of {id} ran"));
        let v: Value = serde_json::from_str(&data).expect("json");
        for (_, d, _) in MIX {
            let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
            for t in truth.iter().filter(|t| t.department == d) {
                if let Some(c) = t.closed.map(local_date)
                    && c >= week_start
                    && c < monday
                {
                    *by_type.entry(t.case_type).or_default() += 1;
                }
            }
            let closed: u64 = by_type.values().sum();
            let want = by_type
                .values()
                .map(|n| (*n as f64 * 0.05).ceil() as u64)
                .sum::<u64>()
                .max(2)
                .min(closed);
            let got = v["departments"]
                .as_array()
                .expect("departments")
                .iter()
                .find(|r| r["id"] == d)
                .map_or(0, |r| r["drawn"].as_array().map_or(0, Vec::len) as u64);
            assert_eq!(got, want, "{id} {d}");
        }
        weeks += 1;
        monday += Duration::days(7);
    }
    assert!(weeks >= 52);

    // The seed's shares, by construction and as reported over the year.
    let closed = truth.iter().filter(|t| t.closed.is_some()).count() as f64;
    let zero = truth.iter().filter(|t| t.closed.is_some() && t.visits == 0).count() as f64;
    let on_time = truth.iter().filter(|t| t.closed.is_some() && !t.late).count() as f64;
    assert!((zero / closed - 0.615).abs() < 0.03, "zero-trip {}", zero / closed);
    assert!(on_time / closed > 0.95, "on time {}", on_time / closed);
    e.shutdown().await;
    e.store().close().await;
    if let Ok(keep) = std::env::var("YIMEN_SEED_YEAR_KEEP") {
        std::fs::copy(dir.path().join("year.db"), &keep).expect("keep the database");
    }
}

fn clock_now(c: &ManualClock) -> DateTime<Utc> {
    use yimen_engine::runtime::Clock;
    c.now()
}
