//! The imperative shell: commands in through a group-committing writer, durable timers out
//! through a leased timer loop. This is where the pure core meets the store and the clock.
//!
//! Every command goes to one writer task per process. The writer takes whatever commands are
//! waiting (up to [`EngineOptions::batch_max`]), loads their cases, decides each in memory, writes
//! the whole batch — cases, events, tasks, timers, outbox rows — with a few multi-row statements,
//! and commits once before any caller hears back (when that cannot commit, it replays the batch
//! one command per transaction). A command is acknowledged only
//! after that commit, so an acknowledged command survives a crash; sharing the commit among many
//! commands is what lets a durable SQLite reach thousands of cases a second.

mod clock;
pub mod definitions;
mod fast;
mod retention;
pub mod scheduler;
mod writer;

pub use crate::core::Definitions;
pub use clock::{Clock, ManualClock, OffsetClock, RewoundClock, Sleep, SystemClock};

use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::core::case::Case;
use crate::core::command::{Actor, Command};
use crate::core::definition::{Organisation, WorkloadCounts};
use crate::core::reject::Rejection;
use crate::store::cases::{self, StoredEvent};
use crate::store::{Store, StoreError};

/// Settings of the shell.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// This node's name in timer leases (unique per process).
    pub node_id: String,
    /// The most commands committed together.
    pub batch_max: usize,
    /// How long a claimed timer stays this node's.
    pub timer_lease: chrono::Duration,
    /// The most timers claimed at once.
    pub timer_batch: i64,
    /// How often the timer loop looks for due timers when none is known to be due sooner.
    pub timer_poll: StdDuration,
    /// The centre's time zone (its organisation's calendar's), for what is dated in the centre
    /// rather than by a case type's calendar: today's date, a report's period.
    pub zone: chrono_tz::Tz,
    /// The installation's master key, when the shell has one: personal data is stored sealed
    /// under per-case data keys it wraps, and repeat keys (digests of a citizen's phone or ID
    /// number and the matter) and person indexes are its blind indexes, so no table can be
    /// reversed by hashing every phone number.
    pub master: Option<Arc<crate::seal::MasterKey>>,
}

impl Default for EngineOptions {
    /// A random node id, batches of 512, 30-second leases, 1,000 timers a claim, a 200 ms poll,
    /// UTC until the organisation's calendar says otherwise.
    fn default() -> Self {
        Self {
            node_id: format!("node-{}", uuid::Uuid::now_v7().simple()),
            batch_max: 512,
            timer_lease: chrono::Duration::seconds(30),
            timer_batch: 1000,
            timer_poll: StdDuration::from_millis(200),
            zone: chrono_tz::UTC,
            master: None,
        }
    }
}

/// Why a command did not go through.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No such case.
    #[error("there is no case `{0}`")]
    NotFound(String),
    /// The core refused it; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The case kept changing under the command; try again.
    #[error("the case was changed by another command; try again")]
    Conflict,
    /// The idempotency key was used before with a different request.
    #[error("this idempotency key was already used for a different request")]
    IdempotencyReused,
    /// A timer that another node fired or that was cancelled meanwhile.
    #[error("the timer is no longer pending here")]
    TimerSkipped,
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine is shutting down.
    #[error("the engine is shutting down")]
    Shutdown,
}

/// An idempotency key with the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key, scoped by the caller (for example to the acting user).
    pub key: String,
    /// A hash of the request body.
    pub request_hash: String,
}

/// The result of an accepted command.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case after it.
    pub case: Case,
    /// True when an idempotency key matched and the first result was returned again.
    pub replayed: bool,
    /// True when a new complaint was recognised as a repeat and linked to this open case.
    pub linked: bool,
}

/// How often the workload counts are read again from the store.
const WORKLOAD_REFRESH: StdDuration = StdDuration::from_secs(30);

/// A message to the writer.
#[derive(Debug)]
pub(crate) enum Msg {
    /// A command to apply.
    Job(Box<Job>),
    /// Finish what is queued and stop.
    Stop,
}

/// A command for the writer.
#[derive(Debug)]
pub(crate) struct Job {
    pub case_id: String,
    /// For `Open`: the case type.
    pub case_type: Option<String>,
    pub command: Command,
    pub actor: Actor,
    pub idempotency: Option<Idempotency>,
    pub reply: oneshot::Sender<Result<Outcome, EngineError>>,
}

/// What the writer and the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Store,
    /// Replaced whole when a new version is deployed while running.
    pub defs: std::sync::RwLock<Arc<Definitions>>,
    pub org: Organisation,
    /// The counts `org` reads for assignment by load: the writer applies each decision's
    /// workload changes and a refresh replaces them with the store's.
    pub workload: WorkloadCounts,
    pub clock: Arc<dyn Clock>,
    pub opts: EngineOptions,
}

impl Shared {
    /// How a repeat key is stored and looked up: keyed under the master key when there is one.
    pub fn repeat_index(&self, key: &str) -> String {
        self.opts
            .master
            .as_ref()
            .map_or_else(|| key.to_owned(), |m| m.blind_index("repeat", key))
    }

    /// The current definitions.
    pub fn definitions(&self) -> Arc<Definitions> {
        self.defs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A running engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Msg>,
    writer: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

/// A timer handed to the writer: its key, its due instant (UTC ms) and the writer's answer.
type Fired = (String, i64, oneshot::Receiver<Result<Outcome, EngineError>>);

impl Engine {
    /// Starts the writer over `store`. The engine keeps its own workload counts for `org`
    /// (read from the store by [`Engine::refresh_workload`]). With a master key in `opts`, the
    /// store seals personal data under it (the shell has bound the store to that key).
    pub fn start(
        store: Store,
        defs: Definitions,
        org: Organisation,
        clock: Arc<dyn Clock>,
        opts: EngineOptions,
    ) -> Engine {
        let (tx, rx) = mpsc::channel(opts.batch_max * 4);
        let store = match &opts.master {
            Some(m) => store.sealed_by(m.clone()),
            None => store,
        };
        let workload = WorkloadCounts::default();
        let org = Organisation::with_workload(org.file, Arc::new(workload.clone()));
        let shared = Arc::new(Shared {
            store,
            defs: std::sync::RwLock::new(Arc::new(defs)),
            org,
            workload,
            clock,
            opts,
        });
        let handle = tokio::spawn(writer::run(shared.clone(), rx));
        Engine {
            shared,
            tx,
            writer: Arc::new(tokio::sync::Mutex::new(Some(handle))),
        }
    }

    /// A wait on the engine's clock (see [`Clock::sleep_until`]).
    pub fn sleep_until(&self, until: chrono::DateTime<chrono::Utc>, at_most: StdDuration) -> Sleep {
        self.shared.clock.sleep_until(until, at_most)
    }

    /// The centre's time zone.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.shared.opts.zone
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The organisation.
    pub fn org(&self) -> &Organisation {
        &self.shared.org
    }

    /// The definitions (a snapshot: a deploy replaces them as a whole).
    pub fn definitions(&self) -> Arc<Definitions> {
        self.shared.definitions()
    }

    /// Replaces the definitions after a deploy (running cases keep their versions, which the
    /// new set still holds).
    pub fn replace_definitions(&self, defs: Definitions) {
        let mut w = self
            .shared
            .defs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *w = Arc::new(defs);
    }

    /// The clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.clock.now()
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.shared.opts.node_id
    }

    async fn enqueue(
        &self,
        case_id: String,
        case_type: Option<String>,
        command: Command,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<oneshot::Receiver<Result<Outcome, EngineError>>, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Job(Box::new(Job {
                case_id,
                case_type,
                command,
                actor,
                idempotency,
                reply,
            })))
            .await
            .map_err(|_| EngineError::Shutdown)?;
        Ok(rx)
    }

    async fn run(
        &self,
        case_id: String,
        case_type: Option<String>,
        command: Command,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome, EngineError> {
        let rx = self.enqueue(case_id, case_type, command, actor, idempotency).await?;
        rx.await.map_err(|_| EngineError::Shutdown)?
    }

    /// Opens a case. The id is chosen here (time-ordered UUID), never inside the core.
    pub async fn open_case(
        &self,
        case_type: &str,
        channel: &str,
        fields: Map<String, Value>,
        unit: Option<String>,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome, EngineError> {
        let Some(def) = self.shared.definitions().current(case_type) else {
            return Err(Rejection::UnknownCaseType(case_type.to_owned()).into());
        };
        // A repeated complaint (same citizen, same matter, within the window) is linked to the
        // open case instead of opening another.
        if let Some(r) = &def.def.repeats
            && let Ok(values) = crate::core::fields::check_values(&def.def.fields, &fields)
            && let Some(key) = crate::core::repeat_key(&def.def, &values)
        {
            let window = r
                .within
                .parse::<crate::duration::Duration>()
                .map(|d| (d.approx_days() * 86_400_000.0).ceil() as i64)
                .unwrap_or(0);
            let since = self.now().timestamp_millis() - window;
            let key = self.shared.repeat_index(&key);
            if let Some(existing) = cases::open_repeat_of(self.shared.store.pool(), &key, since).await? {
                let command = Command::Repeat {
                    channel: channel.to_owned(),
                    fields,
                };
                let mut out = self.run(existing, None, command, actor, idempotency).await?;
                out.linked = !out.replayed;
                return Ok(out);
            }
        }
        let case_id = uuid::Uuid::now_v7().to_string();
        let command = Command::Open {
            case_id: case_id.as_str().into(),
            channel: channel.to_owned(),
            fields,
            unit,
            number: None,
        };
        self.run(case_id, Some(case_type.to_owned()), command, actor, idempotency)
            .await
    }

    /// Runs any other command on an existing case.
    pub async fn command(
        &self,
        case_id: &str,
        command: Command,
        actor: Actor,
        idempotency: Option<Idempotency>,
    ) -> Result<Outcome, EngineError> {
        self.run(case_id.to_owned(), None, command, actor, idempotency).await
    }

    /// A case as stored now.
    pub async fn case(&self, id: &str) -> Result<Option<Case>, EngineError> {
        Ok(self.shared.store.case(id).await?)
    }

    /// A case's history.
    pub async fn history(&self, id: &str) -> Result<Vec<StoredEvent>, EngineError> {
        Ok(self.shared.store.history(id).await?)
    }

    /// Claims the timers due now and hands them to the writer; returns the claimed keys with the
    /// receivers of their results.
    async fn claim_and_enqueue(&self) -> Result<Vec<Fired>, EngineError> {
        let now = self.shared.clock.now();
        let now_ms = now.timestamp_millis();
        let lease = (now + self.shared.opts.timer_lease).timestamp_millis();
        let claimed = self
            .shared
            .store
            .claim_due_timers(&self.shared.opts.node_id, now_ms, lease, self.shared.opts.timer_batch)
            .await?;
        let mut waiting = Vec::with_capacity(claimed.len());
        for t in claimed {
            let cmd = Command::FireTimer { key: t.key.clone() };
            let rx = self.enqueue(t.case_id, None, cmd, Actor::system(), None).await?;
            waiting.push((t.key, t.due_at, rx));
        }
        Ok(waiting)
    }

    /// Waits for fired timers; returns how many applied, and releases those that failed.
    async fn settle(&self, waiting: Vec<Fired>) -> Result<usize, EngineError> {
        let mut applied = 0;
        for (key, due_at, rx) in waiting {
            match rx.await {
                Ok(Ok(_)) => {
                    applied += 1;
                    // How late the timer fired: from its due instant to its firing's commit.
                    let lag = (self.shared.clock.now().timestamp_millis() - due_at).max(0);
                    metrics::histogram!("yimen_timer_lag_seconds").record(lag as f64 / 1000.0);
                }
                Ok(Err(EngineError::TimerSkipped | EngineError::Rejected(_))) => {}
                Ok(Err(e)) => {
                    // Not fired (a persistent conflict, the database busy): let it go at once.
                    tracing::warn!("timer {key} could not fire and is released for another try: {e}");
                    if let Err(e) = self.shared.store.release_timer(&key, &self.shared.opts.node_id).await {
                        tracing::warn!(
                            "timer {key} could not be released; it will be retried when its lease ends: {e}"
                        );
                    }
                }
                Err(_) => return Err(EngineError::Shutdown),
            }
        }
        Ok(applied)
    }

    /// Replaces the workload counts used for assignment by load with the store's (which also
    /// counts other engines' assignments).
    pub async fn refresh_workload(&self) -> Result<(), EngineError> {
        let counts = cases::workload(self.shared.store.pool()).await?;
        self.shared.workload.replace(counts);
        Ok(())
    }

    /// Claims the timers due now and fires them through the writer; returns how many applied.
    pub async fn fire_due_timers(&self) -> Result<usize, EngineError> {
        let waiting = self.claim_and_enqueue().await?;
        self.settle(waiting).await
    }

    /// Runs the timer loop until `stop` turns true: fires what is due, then waits on the
    /// engine's clock until the next due instant, or the poll interval of real time, whichever
    /// is sooner.
    pub fn spawn_timer_loop(&self, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            // On PostgreSQL claiming is pipelined with firing: while the writer applies one claim's
            // timers, the next due ones are claimed, so a burst does not wait for the previous
            // batch's commit.
            let mut in_flight = tokio::task::JoinSet::new();
            let mut workload_at: Option<std::time::Instant> = None;
            loop {
                if *stop.borrow() {
                    break;
                }
                if workload_at.is_none_or(|t| t.elapsed() > WORKLOAD_REFRESH) {
                    if let Err(e) = engine.refresh_workload().await {
                        tracing::warn!("workload counts could not be refreshed: {e}");
                    }
                    workload_at = Some(std::time::Instant::now());
                }
                while in_flight.try_join_next().is_some() {}
                metrics::counter!("yimen_timer_passes_total").increment(1);
                let claimed = match engine.claim_and_enqueue().await {
                    Ok(w) => w,
                    Err(EngineError::Shutdown) => break,
                    Err(e) => {
                        tracing::warn!("the timer loop failed: {e}");
                        Vec::new()
                    }
                };
                if !claimed.is_empty() {
                    if engine.shared.store.backend() == crate::store::Backend::Sqlite {
                        // One writer at a time on SQLite: a claim would only queue behind the
                        // batch it feeds, so settle first.
                        if let Err(EngineError::Shutdown) = engine.settle(claimed).await {
                            break;
                        }
                    } else {
                        let e = engine.clone();
                        in_flight.spawn(async move {
                            let _ = e.settle(claimed).await;
                        });
                        tokio::task::yield_now().await;
                    }
                    continue;
                }
                // Until the next known due instant on the engine's clock, or the poll interval
                // for timers not yet known (set by another node).
                let poll = engine.shared.opts.timer_poll;
                let now = engine.now();
                let next = match engine.shared.store.next_timer_due(now.timestamp_millis()).await {
                    Ok(Some(due)) => chrono::DateTime::from_timestamp_millis(due).unwrap_or(now),
                    _ => now + chrono::Duration::from_std(poll).unwrap_or(chrono::Duration::MAX),
                };
                tokio::select! {
                    () = engine.shared.clock.sleep_until(next, poll) => {}
                    _ = stop.changed() => {}
                }
            }
            while in_flight.join_next().await.is_some() {}
        })
    }

    /// Derives the SLA instants of every running clock again (after a calendar changed); returns
    /// how many cases' instants moved.
    pub async fn recompute_clocks(&self) -> Result<usize, EngineError> {
        let ids = self.shared.store.cases_with_running_clocks().await?;
        let mut moved = 0;
        for chunk in ids.chunks(1000) {
            let mut waiting = Vec::with_capacity(chunk.len());
            for id in chunk {
                waiting.push(
                    self.enqueue(id.clone(), None, Command::Recompute, Actor::system(), None)
                        .await?,
                );
            }
            for rx in waiting {
                match rx.await {
                    Ok(Ok(_)) => moved += 1,
                    Ok(Err(EngineError::Rejected(Rejection::Unchanged))) => {}
                    Ok(Err(e)) => tracing::warn!("a clock could not be recomputed: {e}"),
                    Err(_) => return Err(EngineError::Shutdown),
                }
            }
        }
        Ok(moved)
    }

    /// Lets the writer finish what is queued, stops it, and waits for it. Call after the HTTP
    /// server has finished its in-flight requests.
    pub async fn shutdown(&self) {
        let handle = self.writer.lock().await.take();
        let _ = self.tx.send(Msg::Stop).await;
        if let Some(h) = handle {
            let _ = h.await;
        }
    }
}
