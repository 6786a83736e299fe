//! The writer's fast path: decide a whole batch in memory, then write it with a handful of
//! multi-row statements and one commit. Any write failure or version conflict aborts the
//! transaction and the writer replays the batch one command per transaction.
//!
//! [`apply`] is five steps: [`load`] what the batch reads (its cases, idempotency keys, and the
//! fence on its timers), [`decide_job`] each command in order against the cases as the batch
//! has left them, [`Pending::rows`] turn the changed cases into rows, [`write`] them, and
//! commit. The SQL lives in `store::batch`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

use super::{EngineError, Job, Outcome, Shared};
use crate::core::case::Case;
use crate::core::command::{Command, Context, Decision, decide};
use crate::core::effect::Effect;
use crate::core::reject::Rejection;
use crate::store::StoreError;
use crate::store::batch::{
    self, BatchWrites, CaseKeyRow, ChangedCase, EventRow, IdempotencyRow, NewCase, OutboxRow, RepeatKeyRow, RungRow,
    SearchRow, TaskRow, TimerRow,
};
use crate::store::cases::{GENESIS, LoadedCase, WriteError, ms};
use crate::store::sealed::{CaseKey, Chain, case_json, event_json, person_rows, personal_of};
use crate::store::search::case_words;

mod files;
mod numbering;
use numbering::{numbered, sequence_of};

/// Why the fast path gave up (the batch is then replayed on the slow path).
#[derive(Debug)]
pub(super) enum Abort {
    /// Another node changed a case.
    Conflict,
    /// A statement failed.
    Store(StoreError),
}

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abort::Conflict => write!(f, "a case changed concurrently"),
            Abort::Store(e) => write!(f, "{e}"),
        }
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

impl From<sqlx::Error> for Abort {
    fn from(e: sqlx::Error) -> Self {
        Abort::Store(StoreError::Database(e))
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Applies a batch; `Ok` holds one result per job, in order, after the commit.
pub(super) async fn apply(shared: &Shared, batch: &[Job]) -> Result<Vec<Result<Outcome, EngineError>>, Abort> {
    let t0 = std::time::Instant::now();
    let mut tx = shared.store.begin_write().await?;
    let now = shared.clock.now();
    let mut read = load(&mut tx, shared, batch, now).await?;
    let t_load = t0.elapsed();
    let mut pending = Pending::default();
    let results: Vec<_> = batch
        .iter()
        .map(|job| decide_job(shared, job, now, &mut read, &mut pending))
        .collect();
    let w = pending.rows(shared, &mut read)?;
    let t_decide = t0.elapsed();
    if let Err(e) = write(&mut tx, shared, &w, &pending, ms(now)).await {
        let _ = tx.rollback().await;
        return Err(match e {
            WriteError::Conflict => Abort::Conflict,
            WriteError::Store(s) => Abort::Store(s),
        });
    }
    let t_write = t0.elapsed();
    let committed = tx.commit().await;
    let t_commit = t0.elapsed();
    metrics::histogram!("yimen_writer_batch_commands").record(batch.len() as f64);
    metrics::histogram!("yimen_writer_load_seconds").record(t_load.as_secs_f64());
    metrics::histogram!("yimen_writer_decide_seconds").record((t_decide - t_load).as_secs_f64());
    metrics::histogram!("yimen_writer_write_seconds").record((t_write - t_decide).as_secs_f64());
    metrics::histogram!("yimen_writer_commit_seconds").record((t_commit - t_write).as_secs_f64());
    tracing::trace!(
        batch = batch.len(),
        load = ?t_load,
        decide = ?(t_decide - t_load),
        write = ?(t_write - t_decide),
        commit = ?(t_commit - t_write),
        "batch committed"
    );
    if let Err(e) = committed {
        tracing::error!("a batch of {} commands failed to commit: {e}", batch.len());
        return Ok(batch
            .iter()
            .map(|_| Err(EngineError::Store(StoreError::shared(&e))))
            .collect());
    }
    Ok(results)
}

/// What the batch read before deciding, kept up to date as its commands are decided.
struct Read {
    /// The cases the batch touches, as the batch has left them so far.
    cases: HashMap<String, LoadedCase>,
    /// Each loaded case's version and state before the batch (for the compare-and-set and the
    /// task diff).
    originals: HashMap<String, (i64, Case)>,
    /// Each loaded case's history length before the batch (the compare-and-set's other half).
    loaded_seqs: HashMap<String, i64>,
    /// Idempotency keys already answered: key → (request hash, the case answered).
    idem: BTreeMap<String, (String, Case)>,
    /// The batch's timers this node holds the lease on.
    fenced: HashSet<String>,
    /// The next case number of each sequence the batch opens cases in (locked until commit).
    numbers: HashMap<batch::Sequence, i64>,
    /// The sequences the batch took numbers from.
    numbered: BTreeSet<batch::Sequence>,
    /// The files the batch's commands name, as the batch has left them.
    files: HashMap<String, crate::store::attachments::Attachment>,
}

/// Step 1: the batch's cases, its idempotency keys' answers, and the fence on its timers.
async fn load(
    tx: &mut Transaction<'static, Any>,
    shared: &Shared,
    batch: &[Job],
    now: DateTime<Utc>,
) -> Result<Read, Abort> {
    let backend = shared.store.backend();
    let now_ms = ms(now);
    let mut ids: Vec<String> = batch
        .iter()
        .filter(|j| !matches!(j.command, Command::Open { .. }))
        .map(|j| j.case_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let master = shared.store.master().map(|m| &**m);
    let cache = shared.store.key_cache();
    let cases = batch::load_cases(tx, backend, master, cache, &ids).await?;
    let originals = cases
        .iter()
        .map(|(k, v)| (k.clone(), (v.case.version, v.case.clone())))
        .collect();
    let loaded_seqs = cases.iter().map(|(k, v)| (k.clone(), v.event_seq)).collect();
    let files = files::load(tx, shared, batch, &cases).await?;
    let keys: Vec<String> = batch
        .iter()
        .filter_map(|j| j.idempotency.as_ref().map(|i| i.key.clone()))
        .collect();
    let idem = if keys.is_empty() {
        BTreeMap::new()
    } else {
        batch::load_idempotency(tx, backend, master, cache, &keys).await?
    };
    let timer_keys: Vec<String> = batch
        .iter()
        .filter_map(|j| match &j.command {
            Command::FireTimer { key } => Some(key.clone()),
            _ => None,
        })
        .collect();
    let fenced = if timer_keys.is_empty() {
        HashSet::new()
    } else {
        batch::fence_timers(tx, backend, &timer_keys, &shared.opts.node_id, now_ms)
            .await?
            .into_iter()
            .collect()
    };
    let defs = shared.definitions();
    let mut sequences: Vec<batch::Sequence> = batch
        .iter()
        .filter(|j| matches!(j.command, Command::Open { .. }))
        .filter_map(|j| defs.current(j.case_type.as_deref()?))
        .map(|def| sequence_of(shared, &def, now))
        .collect();
    sequences.sort();
    sequences.dedup();
    let numbers = if sequences.is_empty() {
        HashMap::new()
    } else {
        batch::lock_sequences(tx, backend, &sequences).await?
    };
    Ok(Read {
        cases,
        originals,
        loaded_seqs,
        idem,
        fenced,
        numbers,
        numbered: BTreeSet::new(),
        files,
    })
}

/// What the decisions so far will write.
#[derive(Default)]
struct Pending {
    events: Vec<EventRow>,
    outbox: Vec<OutboxRow>,
    rungs: Vec<RungRow>,
    repeat_keys: Vec<RepeatKeyRow>,
    idempotency: Vec<IdempotencyRow>,
    cancelled_timers: Vec<String>,
    /// Timers started in the batch, by key (a later command may cancel one).
    new_timers: BTreeMap<String, TimerRow>,
    /// Timers whose firing the core refused: (key, why).
    failed_timers: Vec<(String, String)>,
    /// The cases changed, in the order first changed.
    touched: Vec<String>,
    new_cases: HashSet<String>,
    /// New cases' data keys.
    case_keys: Vec<CaseKeyRow>,
    /// Who opened each new case.
    openers: HashMap<String, String>,
    /// Pending files put on cases.
    claims: Vec<crate::store::attachments::Claim>,
}

/// Step 2, per command: answers a replayed idempotency key from the store, skips a timer
/// another node holds, decides against the case as the batch has left it, and records what
/// the decision writes.
fn decide_job(
    shared: &Shared,
    job: &Job,
    now: DateTime<Utc>,
    read: &mut Read,
    pending: &mut Pending,
) -> Result<Outcome, EngineError> {
    if let Some(k) = &job.idempotency
        && let Some((hash, case)) = read.idem.get(&k.key)
    {
        if *hash != k.request_hash {
            return Err(EngineError::IdempotencyReused);
        }
        return Ok(Outcome {
            case: case.clone(),
            replayed: true,
            linked: false,
        });
    }
    if let Command::FireTimer { key } = &job.command
        && !read.fenced.contains(key)
    {
        return Err(EngineError::TimerSkipped);
    }
    let before = match &job.command {
        Command::Open { .. } => None,
        _ => Some(
            read.cases
                .get(&job.case_id)
                .ok_or_else(|| EngineError::NotFound(job.case_id.clone()))?,
        ),
    };
    let def = match (before, &job.case_type) {
        (Some(b), _) => shared.definitions().get(&b.case.case_type, b.case.definition_version),
        (None, Some(t)) => shared.definitions().current(t),
        (None, None) => None,
    }
    .ok_or_else(|| EngineError::Rejected(Rejection::UnknownCaseType(job.case_type.clone().unwrap_or_default())))?;
    let cx = Context {
        def: &def,
        org: &shared.org,
        actor: &job.actor,
        now,
    };
    // A new case takes the next number of its sequence; the sequence moves on only if the case
    // is opened, so a refused opening leaves no gap.
    let numbered = numbered(shared, &def, &job.command, now, read)?;
    let claims = files::check(&def.def, job, read)?;
    let (command, sequence) = match &numbered {
        Some((c, seq)) => (c, Some(seq.clone())),
        None => (&job.command, None),
    };
    let decision = match decide(&cx, before.map(|b| &b.case), command) {
        Ok(d) => d,
        Err(r) => {
            if let Command::FireTimer { key } = &job.command {
                pending.failed_timers.push((key.clone(), r.to_string()));
            }
            return Err(EngineError::Rejected(r));
        }
    };
    if let Some(seq) = sequence {
        if let Some(n) = read.numbers.get_mut(&seq) {
            *n += 1;
        }
        read.numbered.insert(seq);
    }
    let head = before.map_or((0, GENESIS.to_owned()), |b| (b.event_seq, b.last_hash.clone()));
    let is_new = before.is_none();
    let (key, chain) = match before {
        Some(b) => (b.key.clone(), b.chain),
        None => pending.new_key(shared, &decision.case.id, ms(now))?,
    };
    files::claim(shared, &claims, &decision.case.id, &key, read, pending)?;
    // The sealed values as read move on to the case as the batch leaves it (not copied).
    let sealed = read
        .cases
        .get_mut(&job.case_id)
        .map(|l| std::mem::take(&mut l.sealed))
        .unwrap_or_default();
    let personal = personal_of(Some(&def.def));
    let (seq, last_hash) = pending.chain_events(&decision, head, &key, chain, &personal)?;
    shared.workload.apply(&decision.effects);
    pending.effects(&decision)?;
    pending.touch(shared, &decision.case, is_new);
    if is_new {
        pending
            .openers
            .insert(decision.case.id.to_string(), job.actor.id.to_string());
    }
    let mut case = decision.case;
    if let Some(k) = &job.idempotency {
        let response = case_json(&mut case, &key, &personal, Some(&sealed))?;
        pending.idempotency.push(IdempotencyRow {
            key: k.key.clone(),
            request_hash: k.request_hash.clone(),
            case_id: case.id.to_string(),
            response,
            at: ms(now),
        });
        read.idem.insert(k.key.clone(), (k.request_hash.clone(), case.clone()));
    }
    read.cases.insert(
        case.id.to_string(),
        LoadedCase {
            case: case.clone(),
            event_seq: seq,
            last_hash,
            key,
            chain,
            sealed,
        },
    );
    Ok(Outcome {
        case,
        replayed: false,
        linked: false,
    })
}

impl Pending {
    /// A new case's key and chain: a fresh data key, wrapped, when the store seals.
    fn new_key(&mut self, shared: &Shared, case_id: &str, now_ms: i64) -> Result<(CaseKey, Chain), StoreError> {
        let Some(master) = shared.store.master() else {
            return Ok((CaseKey::Plain, Chain::Sha256));
        };
        let (key, wrapped) = master
            .new_data_key(case_id)
            .map_err(|e| StoreError::Sealed(format!("a data key for case {case_id}: {e}")))?;
        let chain = Chain::of(master.suite());
        let key = std::sync::Arc::new(key);
        shared.store.key_cache().put(case_id, &wrapped, key.clone());
        self.case_keys.push(CaseKeyRow {
            case_id: case_id.to_owned(),
            wrapped,
            master: master.fingerprint(),
            chain: chain.name(),
            at: now_ms,
        });
        Ok((CaseKey::Live(key), chain))
    }

    /// Appends the decision's events to the case's hash chain from `(seq, hash)`; returns the
    /// chain's new head.
    fn chain_events(
        &mut self,
        d: &Decision,
        head: (i64, String),
        key: &CaseKey,
        chain: Chain,
        personal: &dyn Fn(&str) -> bool,
    ) -> Result<(i64, String), StoreError> {
        let (mut seq, mut prev) = head;
        let id = &d.case.id;
        for e in &d.events {
            seq += 1;
            let payload = event_json(id, seq, e, key, personal)?;
            let at = ms(e.at);
            let hash = chain.event_hash(&prev, id, seq, at, &e.actor, &payload);
            self.events.push(EventRow {
                case_id: id.to_string(),
                seq,
                kind: e.kind.name(),
                actor: e.actor.to_string(),
                at,
                payload,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        Ok((seq, prev))
    }

    /// Records the decision's effects: timers started and cancelled, rungs fired, notifications.
    fn effects(&mut self, d: &Decision) -> Result<(), StoreError> {
        let c = &d.case;
        for eff in &d.effects {
            match eff {
                Effect::StartTimer { key, name, due_at } => {
                    let row = TimerRow {
                        key: key.clone(),
                        case_id: c.id.to_string(),
                        name: name.clone(),
                        due_at: ms(*due_at),
                        state: "pending",
                    };
                    self.new_timers.insert(key.clone(), row);
                }
                Effect::CancelTimer { key } => match self.new_timers.get_mut(key) {
                    Some(t) => t.state = "cancelled",
                    None => self.cancelled_timers.push(key.clone()),
                },
                Effect::RungFired { case_id, rung } => self.rungs.push(RungRow {
                    case_id: case_id.to_string(),
                    rung: rung.clone(),
                    at: ms(c.updated_at),
                }),
                Effect::Notify {
                    idempotency_key,
                    template,
                    to,
                    channels,
                } => self.outbox.push(OutboxRow {
                    key: idempotency_key.clone(),
                    case_id: c.id.to_string(),
                    template: template.clone(),
                    recipients: json(to)?,
                    channels: json(channels)?,
                    at: ms(c.updated_at),
                }),
                Effect::WorkloadChanged { .. } => {}
            }
        }
        Ok(())
    }

    /// Notes that the case changed (and, for a new one, its repeat key).
    fn touch(&mut self, shared: &Shared, c: &Case, is_new: bool) {
        if is_new {
            self.new_cases.insert(c.id.to_string());
            if let Some(k) = &c.repeat_key {
                self.repeat_keys.push(RepeatKeyRow {
                    key: shared.repeat_index(k),
                    case_id: c.id.to_string(),
                    opened_at: ms(c.opened_at),
                });
            }
        }
        if !self.touched.contains(&c.id.to_string()) {
            self.touched.push(c.id.to_string());
        }
    }

    /// Step 3: every row the batch writes: each touched case once (new, or changed with the
    /// version it was loaded at, its personal values sealed), the tasks that differ from before
    /// the batch, the timers, the blind indexes of phone and ID numbers new to a case.
    fn rows<'a>(&mut self, shared: &Shared, read: &'a mut Read) -> Result<BatchWrites<'a>, StoreError> {
        let defs = shared.definitions();
        let mut data = Vec::with_capacity(self.touched.len());
        let mut persons = Vec::new();
        let mut search = Vec::new();
        for id in &self.touched {
            let Some(l) = read.cases.get_mut(id) else { continue };
            let def = defs.get(&l.case.case_type, l.case.definition_version);
            let def = def.as_ref().map(|d| &d.def);
            data.push(case_json(&mut l.case, &l.key, &personal_of(def), Some(&l.sealed))?);
            // Its words, when new or when they changed (an action that sets no text keeps them).
            let before = read.originals.get(id).map(|(_, c)| c);
            if before.is_none_or(|o| o.fields != l.case.fields || o.number != l.case.number) {
                let terms = case_words(def, &l.case);
                if before.is_none_or(|o| case_words(def, o) != terms) {
                    search.push(SearchRow {
                        case_id: id.clone(),
                        terms,
                        replaces: before.is_some(),
                    });
                }
            }
            if let (Some(master), CaseKey::Live(_)) = (shared.store.master(), &l.key) {
                let old = read.originals.get(id).map(|(_, c)| &c.fields);
                persons.extend(person_rows(master, def, id, &l.case.fields, old));
            }
        }
        persons.sort();
        persons.dedup();
        let read: &'a Read = read;
        let mut w = BatchWrites::default();
        let mut data = data.into_iter();
        for id in &self.touched {
            let Some(l) = read.cases.get(id) else { continue };
            let data = data.next().unwrap_or_default();
            if self.new_cases.contains(id) {
                let opened_by = self.openers.get(id).cloned().unwrap_or_default();
                w.new_cases.push(NewCase {
                    loaded: l,
                    data,
                    opened_by,
                });
            } else if let Some((loaded_version, _)) = read.originals.get(id) {
                w.changed_cases.push(ChangedCase {
                    loaded: l,
                    data,
                    loaded_version: *loaded_version,
                    loaded_seq: read.loaded_seqs.get(id).copied().unwrap_or_default(),
                });
            }
            let old = read.originals.get(id).map(|(_, c)| c);
            let changed = l
                .case
                .tasks
                .iter()
                .filter(|t| old.and_then(|o| o.task(&t.id)) != Some(*t));
            w.tasks.extend(changed.map(|task| TaskRow {
                case_id: &l.case.id,
                task,
            }));
        }
        w.persons = persons;
        w.search = search;
        w.sequences = read
            .numbered
            .iter()
            .filter_map(|s| read.numbers.get(s).map(|n| (s.clone(), *n)))
            .collect();
        w.case_keys = std::mem::take(&mut self.case_keys);
        w.events = std::mem::take(&mut self.events);
        w.outbox = std::mem::take(&mut self.outbox);
        w.rungs = std::mem::take(&mut self.rungs);
        w.repeat_keys = std::mem::take(&mut self.repeat_keys);
        w.idempotency = std::mem::take(&mut self.idempotency);
        w.cancelled_timers = std::mem::take(&mut self.cancelled_timers);
        w.timers = std::mem::take(&mut self.new_timers).into_values().collect();
        Ok(w)
    }
}

/// Step 4: the batch's rows, and the timers whose firing was refused marked failed.
async fn write(
    tx: &mut Transaction<'static, Any>,
    shared: &Shared,
    w: &BatchWrites<'_>,
    pending: &Pending,
    now_ms: i64,
) -> Result<(), WriteError> {
    batch::write_batch(tx, shared.store.backend(), w).await?;
    batch::advance_sequences(tx, &w.sequences).await?;
    crate::store::attachments::claim_in(tx, &pending.claims).await?;
    batch::fail_timers(tx, &pending.failed_timers, now_ms).await
}
