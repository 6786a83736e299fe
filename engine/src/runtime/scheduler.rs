//! Periodic jobs on the engine's clock: each (job, period) runs exactly once through the ledger
//! in the store, missed periods are caught up oldest first, failures are retried and then left
//! for an admin.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::Engine;
use crate::calendar::WorkCalendar;
use crate::model::schedule::{Job, JobKind, SchedulesFile};
use crate::reports::{Period, Render, Rendered, assessment, bulletin, spot_check};
use crate::store::StoreError;
use crate::store::jobs::{NewReport, Saved};

/// Periodic jobs over one engine.
#[derive(Debug, Clone)]
pub struct Scheduler {
    engine: Engine,
    jobs: SchedulesFile,
    calendar: WorkCalendar,
    names: HashMap<String, String>,
    render: Arc<dyn Render>,
    /// How long a claimed run is this node's.
    pub lease: Duration,
    /// The first retry's delay (doubled for each further attempt).
    pub retry: Duration,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No such job.
    #[error("there is no job `{0}`")]
    UnknownJob(String),
    /// The job's kind is not built yet.
    #[error("job `{0}` is of a kind this engine cannot run yet")]
    NotRunnable(String),
    /// A spot-check review could not be opened.
    #[error("a spot-check review could not be opened: {0}")]
    Review(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, JobError> {
    serde_json::to_string(v).map_err(|e| JobError::Store(StoreError::Corrupt(e.to_string())))
}

impl Scheduler {
    /// A scheduler for `jobs` on `engine`, in `calendar`'s time zone and working days, whose
    /// reports `render` lays out.
    pub fn new(engine: Engine, jobs: SchedulesFile, calendar: WorkCalendar, render: Arc<dyn Render>) -> Scheduler {
        let locale = engine.org().file.centre.locale.clone();
        let names = engine
            .definitions()
            .all_current()
            .iter()
            .map(|c| (c.def.id.clone(), c.def.name.get(&locale).to_owned()))
            .collect();
        Scheduler {
            engine,
            jobs,
            calendar,
            names,
            render,
            lease: Duration::minutes(10),
            retry: Duration::minutes(5),
        }
    }

    /// Today's date in the centre, by the engine's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.engine.now().with_timezone(&self.calendar.timezone()).date_naive()
    }

    /// The jobs this engine runs.
    pub fn runnable(&self) -> impl Iterator<Item = (&String, &Job)> {
        self.jobs.jobs.iter()
    }

    /// When `job` runs next after `now` (moved to a working day when the job says so).
    pub fn next_run(&self, job: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let j = self.jobs.jobs.get(job)?;
        let schedule = crate::schedule::parse(&j.cron).ok()?;
        crate::schedule::next_after(&schedule, now, &self.calendar, j.on_working_day)
            .ok()
            .flatten()
    }

    /// The case type of spot-check reviews, if a spot-check job declares one.
    pub fn review_case_type(&self) -> Option<&str> {
        self.jobs
            .jobs
            .values()
            .find_map(|j| j.review.as_ref().map(|r| r.case_type.as_str()))
    }

    /// The runs of `job` due after `after` up to `now`: the period each covers and when it was
    /// due (moved to a working day when the job says so), oldest first.
    pub fn due_between(&self, job: &Job, after: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(Period, DateTime<Utc>)> {
        let Ok(schedule) = crate::schedule::parse(&job.cron) else {
            return Vec::new();
        };
        let tz = self.calendar.timezone();
        let mut out = Vec::new();
        // Nominal fires decide the period; the working-day move decides when it is due.
        for nominal in schedule.after(&after.with_timezone(&tz)).take(10_000) {
            let nominal_utc = nominal.with_timezone(&Utc);
            let due = if job.on_working_day {
                crate::schedule::next_after(&schedule, nominal_utc - Duration::seconds(1), &self.calendar, true)
                    .ok()
                    .flatten()
                    .unwrap_or(nominal_utc)
            } else {
                nominal_utc
            };
            if due > now {
                break;
            }
            out.push((Period::covered_by(job.kind, nominal.date_naive()), due));
        }
        out
    }

    /// Runs every due period of every job not yet in the ledger, and every run whose retry is
    /// due; returns what ran: (job, period, outcome).
    pub async fn tick(&self) -> Result<Vec<(String, String, Result<Saved, JobError>)>, StoreError> {
        let now = self.engine.now();
        let store = self.engine.store();
        let mut todo: Vec<(String, Period, DateTime<Utc>)> = Vec::new();
        for (id, job) in self.runnable() {
            // Periods due since the last run, or since the centre was installed (the first
            // deployment): a new installation does not report on months before it existed.
            let after = match store.last_job_due(id).await? {
                Some(ms) => DateTime::from_timestamp_millis(ms).unwrap_or(now),
                None => match store.installed_at().await? {
                    Some(ms) => DateTime::from_timestamp_millis(ms).unwrap_or(now),
                    None => now,
                },
            };
            for (p, due) in self.due_between(job, after, now) {
                todo.push((id.clone(), p, due));
            }
        }
        for (job, period, due) in store.unfinished_job_runs(now.timestamp_millis()).await? {
            if let Ok(p) = Period::parse(&period)
                && let Some(d) = DateTime::from_timestamp_millis(due)
            {
                todo.push((job, p, d));
            }
        }
        todo.sort_by_key(|(job, _, due)| (*due, job.clone()));
        todo.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut ran = Vec::new();
        for (job, period, due) in todo {
            let node = self.engine.node_id().to_owned();
            let now_ms = self.engine.now().timestamp_millis();
            let claimed = store
                .claim_job_run(
                    &job,
                    &period.id(),
                    due.timestamp_millis(),
                    &node,
                    now_ms,
                    now_ms + self.lease.num_milliseconds(),
                )
                .await?;
            if !claimed {
                continue;
            }
            match self.run(&job, period).await {
                Ok((saved, sha)) => {
                    let now_ms = self.engine.now().timestamp_millis();
                    self.announce(&job, period).await?;
                    store.finish_job_run(&job, &period.id(), &node, now_ms, &sha).await?;
                    ran.push((job, period.id(), Ok(saved)));
                }
                Err(e) => {
                    let attempts = store
                        .job_runs(10_000)
                        .await?
                        .into_iter()
                        .find(|r| r.job == job && r.period == period.id())
                        .map_or(1, |r| r.attempts);
                    let delay = self.retry * 2_i32.saturating_pow(u32::try_from(attempts - 1).unwrap_or(0).min(10));
                    let retry_at = self.engine.now() + delay;
                    tracing::warn!("job {job} for {} failed (attempt {attempts}): {e}", period.id());
                    store
                        .fail_job_run(&job, &period.id(), &node, &e.to_string(), retry_at.timestamp_millis())
                        .await?;
                    ran.push((job, period.id(), Err(e)));
                }
            }
        }
        Ok(ran)
    }

    /// Computes and stores `job`'s output for `period` (by hand or from [`Scheduler::tick`]);
    /// says whether the figures are new, unchanged or changed, with their hash.
    pub async fn run(&self, job_id: &str, period: Period) -> Result<(Saved, String), JobError> {
        let job = self
            .jobs
            .jobs
            .get(job_id)
            .ok_or_else(|| JobError::UnknownJob(job_id.to_owned()))?;
        let now_ms = self.engine.now().timestamp_millis();
        let store = self.engine.store();
        match job.kind {
            JobKind::Bulletin => {
                let b = self.bulletin(period, job.criticise.as_ref()).await?;
                let data = json(&b)?;
                let Rendered { html, csv } = self.render.bulletin(&b);
                Ok(store
                    .save_report(
                        NewReport {
                            job: job_id,
                            period: &period.id(),
                            kind: "bulletin",
                            data: &data,
                            html: &html,
                            csv: &csv,
                        },
                        now_ms,
                    )
                    .await?)
            }
            JobKind::Assessment => {
                let scoring = job
                    .scoring
                    .as_ref()
                    .ok_or_else(|| JobError::NotRunnable(job_id.to_owned()))?;
                let year = self.bulletin(period, None).await?;
                let a = assessment::score(&year, scoring);
                let data = json(&a)?;
                let Rendered { html, csv } = self.render.assessment(&a);
                Ok(store
                    .save_report(
                        NewReport {
                            job: job_id,
                            period: &period.id(),
                            kind: "assessment",
                            data: &data,
                            html: &html,
                            csv: &csv,
                        },
                        now_ms,
                    )
                    .await?)
            }
            JobKind::SpotCheck => {
                let (Some(sample), Some(review)) = (&job.sample, &job.review) else {
                    return Err(JobError::NotRunnable(job_id.to_owned()));
                };
                let seed = spot_check::seed(job_id, &period.id());
                let what = spot_check::Draw {
                    period,
                    sample,
                    seed: &seed,
                    exclude: &review.case_type,
                };
                let mut draw =
                    spot_check::draw(store, self.engine.org(), self.calendar.timezone(), &what, &self.names).await?;
                // One review per drawn case; the idempotency key makes a re-run (after a crash
                // half-way, or by hand) find the reviews already opened instead of opening more.
                for d in &mut draw.departments {
                    for c in &mut d.drawn {
                        let mut fields = serde_json::Map::new();
                        // The drawn case by its number, as people name it (every path that takes a
                        // case takes its number too); by id only if it has none.
                        let drawn = if c.number.is_empty() { &c.case_id } else { &c.number };
                        fields.insert("sampled_case".into(), drawn.clone().into());
                        fields.insert("sampled_case_type".into(), c.case_type.clone().into());
                        fields.insert("reviewed_department".into(), d.id.clone().into());
                        fields.insert("period".into(), period.id().into());
                        let key = format!("job:{job_id}:{}:{}", period.id(), c.case_id);
                        let idem = super::Idempotency {
                            request_hash: crate::store::sha256_hex(&key),
                            key,
                        };
                        let out = self
                            .engine
                            .open_case(
                                &review.case_type,
                                &review.channel,
                                fields,
                                None,
                                crate::core::Actor::system(),
                                Some(idem),
                            )
                            .await
                            .map_err(|e| JobError::Review(e.to_string()))?;
                        c.review_number = out.case.number.clone();
                        c.review = Some(out.case.id.into_string());
                    }
                }
                let data = json(&draw)?;
                let Rendered { html, csv } = self.render.spot_check(&draw);
                Ok(store
                    .save_report(
                        NewReport {
                            job: job_id,
                            period: &period.id(),
                            kind: "spot_check",
                            data: &data,
                            html: &html,
                            csv: &csv,
                        },
                        now_ms,
                    )
                    .await?)
            }
        }
    }

    /// Runs `job` for `period` by hand (an admin, `yimen report`): like [`Scheduler::run`], and a
    /// run the ledger holds as failed or retrying is then marked done.
    pub async fn run_by_hand(&self, job_id: &str, period: Period) -> Result<(Saved, String), JobError> {
        let (saved, sha) = self.run(job_id, period).await?;
        let now_ms = self.engine.now().timestamp_millis();
        self.engine
            .store()
            .settle_job_run(job_id, &period.id(), now_ms, &sha)
            .await?;
        Ok((saved, sha))
    }

    /// Queues the email announcing `job`'s report for `period` to its distribution list (once
    /// per job and period, however often this is called).
    pub async fn announce(&self, job: &str, period: Period) -> Result<(), StoreError> {
        let Some(j) = self.jobs.jobs.get(job) else {
            return Ok(());
        };
        let Some(t) = &j.template else { return Ok(()) };
        if j.distribute_to.is_empty() {
            return Ok(());
        }
        let to: Vec<crate::model::Recipient> = j
            .distribute_to
            .iter()
            .map(|r| crate::model::Recipient {
                role: Some(r.clone()),
                of: Some(crate::model::RecipientScope::District),
                ..crate::model::Recipient::default()
            })
            .collect();
        let to = serde_json::to_string(&to).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now_ms = self.engine.now().timestamp_millis();
        self.engine
            .store()
            .enqueue_report_notice(job, &period.id(), t, &to, now_ms)
            .await
    }

    /// The bulletin's figures for `period` (a month, or a year for the assessment).
    async fn bulletin(
        &self,
        period: Period,
        rules: Option<&crate::model::schedule::Criticise>,
    ) -> Result<bulletin::Bulletin, JobError> {
        let rules = bulletin::Rules {
            org: self.engine.org(),
            calendar: &self.calendar,
            case_type_names: &self.names,
            criticise: rules,
            review_case_type: self.review_case_type(),
            satisfaction: self.jobs.satisfaction.as_ref(),
        };
        Ok(bulletin::compute(self.engine.store(), &rules, period).await?)
    }

    /// The next instant after `now` at which a job falls due (moved to a working day where the
    /// job says so: a fire that fell on a holiday before `now` may still be due after it, so
    /// fires from a fortnight back are looked at); retries are not counted, the poll finds them.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = self.calendar.timezone();
        let from = (now - Duration::days(15)).with_timezone(&tz);
        self.jobs
            .jobs
            .values()
            .filter_map(|job| {
                let schedule = crate::schedule::parse(&job.cron).ok()?;
                schedule
                    .after(&from)
                    .take(1_000)
                    .map(|nominal| {
                        let nominal = nominal.with_timezone(&Utc);
                        if job.on_working_day {
                            crate::schedule::next_after(&schedule, nominal - Duration::seconds(1), &self.calendar, true)
                                .ok()
                                .flatten()
                                .unwrap_or(nominal)
                        } else {
                            nominal
                        }
                    })
                    .find(|due| *due > now)
            })
            .min()
    }

    /// Runs [`Scheduler::tick`] until `stop` turns true: after each pass it waits on the
    /// engine's clock until the next job falls due, or `poll` of real time (for retries and
    /// runs another node left), whichever is sooner.
    pub fn spawn(self, poll: StdDuration, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if *stop.borrow() {
                    break;
                }
                match self.tick().await {
                    Ok(ran) => {
                        for (job, period, r) in ran {
                            match r {
                                Ok(s) => tracing::info!("job {job} for {period}: {s:?}"),
                                Err(e) => tracing::warn!("job {job} for {period} failed: {e}"),
                            }
                        }
                    }
                    Err(e) => tracing::warn!("the scheduler failed: {e}"),
                }
                metrics::counter!("yimen_scheduler_passes_total").increment(1);
                let now = self.engine.now();
                let next = self
                    .next_due(now)
                    .unwrap_or_else(|| now + Duration::from_std(poll).unwrap_or(Duration::MAX));
                tokio::select! {
                    () = self.engine.sleep_until(next, poll) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }
}
