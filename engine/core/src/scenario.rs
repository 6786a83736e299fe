//! Running scenarios: a case of one case type on a virtual clock, through the pure core, with
//! the engine's timers fired in due order as the clock advances. What a workflow author writes in
//! `workflows/scenarios/` and `yimen test` runs.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::core::Definitions;
use crate::core::case::Case;
use crate::core::command::{Actor, Command, Context, decide};
use crate::core::definition::{Organisation, WorkloadCounts};
use crate::core::effect::Effect;
use crate::duration::Duration;
use crate::load::{Bundle, Loaded};
use crate::model::ScenarioFile;
use crate::model::scenario::Step;

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The file.
    pub file: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// `None` when it passed.
    pub failure: Option<Failure>,
}

/// Where and how a scenario failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The step (from 1; 0 for opening the case).
    pub step: usize,
    /// What was checked or done.
    pub what: String,
    /// What the scenario expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {}: {}\n    expected: {}\n    actual:   {}",
            self.step, self.what, self.expected, self.actual
        )
    }
}

fn fail(step: usize, what: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Failure {
    Failure {
        step,
        what: what.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

/// Why a scenario's step could not be taken.
#[derive(Debug, thiserror::Error)]
enum Stuck {
    /// The case's definition version is not among those loaded.
    #[error("the case type is not deployed")]
    NotDeployed,
    /// The core refused the command.
    #[error("{0}")]
    Refused(crate::core::Rejection),
    /// Timers kept firing timers.
    #[error("more than 10,000 timers fired in one step")]
    EndlessTimers,
}

struct Run<'a> {
    defs: &'a Definitions,
    org: Organisation,
    workload: WorkloadCounts,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    case: Case,
    notified: Vec<String>,
}

impl Run<'_> {
    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).format("%Y-%m-%dT%H:%M").to_string()
    }

    fn apply(&mut self, cmd: &Command, actor: &Actor) -> Result<(), Stuck> {
        let def = self
            .defs
            .get(&self.case.case_type, self.case.definition_version)
            .ok_or(Stuck::NotDeployed)?;
        let cx = Context {
            def: &def,
            org: &self.org,
            actor,
            now: self.now,
        };
        let d = decide(&cx, Some(&self.case), cmd).map_err(Stuck::Refused)?;
        self.record(&d.effects);
        self.case = d.case;
        Ok(())
    }

    fn record(&mut self, effects: &[Effect]) {
        self.workload.apply(effects);
        for e in effects {
            if let Effect::Notify { template, .. } = e {
                self.notified.push(template.clone());
            }
        }
    }

    /// Moves the clock to `to`, firing every timer that comes due on the way, in order.
    fn advance_to(&mut self, to: DateTime<Utc>) -> Result<(), Stuck> {
        for _ in 0..10_000 {
            let next = self
                .case
                .timers
                .values()
                .filter(|t| t.due_at <= to)
                .min_by_key(|t| t.due_at)
                .map(|t| (t.key.clone(), t.due_at));
            let Some((key, due)) = next else {
                self.now = to;
                return Ok(());
            };
            self.now = self.now.max(due);
            self.apply(&Command::FireTimer { key }, &Actor::system())?;
        }
        Err(Stuck::EndlessTimers)
    }
}

/// Runs one scenario.
pub fn run(bundle: &Bundle, defs: &Definitions, sc: &Loaded<ScenarioFile>) -> ScenarioResult {
    let failure = run_inner(bundle, defs, &sc.value).err();
    ScenarioResult {
        file: sc.file.clone(),
        name: sc.value.name.clone(),
        failure,
    }
}

impl Run<'_> {
    /// Checks step `n`'s expectations against the case as it now is.
    fn expect(&self, n: usize, e: &crate::model::scenario::Expect) -> Result<(), Failure> {
        let def = self
            .defs
            .get(&self.case.case_type, self.case.definition_version)
            .ok_or_else(|| fail(n, "expect", "a definition", "none"))?;
        if let Some(state) = &e.state
            && *state != self.case.state
        {
            return Err(fail(n, "state", state.clone(), self.case.state.clone()));
        }
        if let Some(tasks) = &e.tasks {
            let mut want = tasks.clone();
            want.sort();
            let got = self.case.open_task_names();
            if want != got {
                return Err(fail(n, "open tasks", format!("{want:?}"), format!("{got:?}")));
            }
        }
        if let Some(users) = &e.assigned {
            let mut want = users.clone();
            want.sort();
            let got = self.case.task_holders();
            if want != got {
                return Err(fail(n, "task holders", format!("{want:?}"), format!("{got:?}")));
            }
        }
        let derived = self
            .case
            .sla
            .as_ref()
            .and_then(|c| c.derive(&def.calendar, &def.warn_at, self.now).ok().flatten());
        if let Some(sla) = &e.sla {
            let got = self
                .case
                .sla
                .as_ref()
                .map_or("not started", |c| c.status(derived.as_ref(), self.now).as_str());
            if sla != got {
                return Err(fail(n, "SLA status", sla.clone(), got));
            }
        }
        if let Some(due) = &e.due {
            let got = derived
                .as_ref()
                .map_or_else(|| "none".to_owned(), |d| self.local(d.due));
            if *due != got {
                return Err(fail(n, "SLA due", due.clone(), got));
            }
        }
        if let Some(rungs) = &e.rungs
            && *rungs != self.case.rungs
        {
            return Err(fail(
                n,
                "rungs fired",
                format!("{rungs:?}"),
                format!("{:?}", self.case.rungs),
            ));
        }
        if let Some(tier) = &e.tier
            && tier != self.case.tier.as_str()
        {
            return Err(fail(n, "tier", tier.clone(), self.case.tier.as_str()));
        }
        if let Some(notified) = &e.notified
            && *notified != self.notified
        {
            return Err(fail(
                n,
                "messages queued",
                format!("{notified:?}"),
                format!("{:?}", self.notified),
            ));
        }
        Ok(())
    }
}

fn run_inner(bundle: &Bundle, defs: &Definitions, sc: &ScenarioFile) -> Result<(), Failure> {
    let def = defs.current(&sc.case_type).ok_or_else(|| {
        fail(
            0,
            "open the case",
            format!("case type `{}`", sc.case_type),
            "not deployed",
        )
    })?;
    let workload = WorkloadCounts::default();
    let org = Organisation::with_workload(
        bundle
            .organisation
            .as_ref()
            .ok_or_else(|| fail(0, "load", "an organisation", "none"))?
            .value
            .clone(),
        std::sync::Arc::new(workload.clone()),
    );
    let tz = def.calendar.timezone();
    let start = NaiveDateTime::parse_from_str(&sc.start, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| fail(0, "start", "a local date and time", sc.start.clone()))?;
    let channel = sc
        .channel
        .clone()
        .or_else(|| def.def.channels.first().cloned())
        .or_else(|| {
            org.file
                .channels
                .iter()
                .find(|(_, c)| c.takes_any)
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_default();
    let fields: Map<String, Value> = sc.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let clerk = Actor {
        id: "scenario".into(),
        roles: Vec::new(),
        department: None,
        unit: None,
        tier: None,
        stands_in_for: Vec::new(),
    };
    let open = Command::Open {
        case_id: "scenario".into(),
        channel,
        fields,
        unit: sc.unit.clone(),
        number: None,
    };
    let cx = Context {
        def: &def,
        org: &org,
        actor: &clerk,
        now: start,
    };
    let opened = decide(&cx, None, &open).map_err(|r| fail(0, "open the case", "it opens", r.to_string()))?;
    let mut run = Run {
        defs,
        org,
        workload,
        tz,
        now: start,
        case: opened.case,
        notified: Vec::new(),
    };
    run.record(&opened.effects);

    for (i, step) in sc.steps.iter().enumerate() {
        let n = i + 1;
        match step {
            Step::Act(a) => {
                let actor = Actor::for_user(&run.org, &a.user)
                    .ok_or_else(|| fail(n, "act", format!("user `{}`", a.user), "unknown"))?;
                let cmd = Command::Act {
                    action: a.action.clone(),
                    fields: a.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    comment: a.comment.clone(),
                    expected_version: None,
                    assign_to: a.assign_to.clone().map(Into::into),
                };
                let what = format!("`{}` as {}", a.action, a.user);
                match (run.apply(&cmd, &actor), a.rejected) {
                    (Ok(()), false) | (Err(_), true) => {}
                    (Ok(()), true) => return Err(fail(n, what, "refused", "accepted")),
                    (Err(e), false) => return Err(fail(n, what, "accepted", format!("refused: {e}"))),
                }
            }
            Step::Advance(d) => {
                let dur = Duration::from_str(d).map_err(|e| fail(n, "advance", "a duration", e.to_string()))?;
                let to = def
                    .calendar
                    .add(run.now, dur)
                    .map_err(|e| fail(n, format!("advance {d}"), "a computable instant", e.to_string()))?;
                run.advance_to(to.at)
                    .map_err(|e| fail(n, format!("advance {d}"), "timers fire", e.to_string()))?;
            }
            Step::Expect(e) => {
                run.expect(n, e)?;
            }
        }
    }
    Ok(())
}
