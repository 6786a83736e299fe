//! The writer's fast path: decide a whole batch in memory, then write it with a handful of
//! multi-row statements and one commit. Any write failure or version conflict aborts the
//! transaction and the writer replays the batch one command per transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{EngineError, Job, Outcome, Shared};
use crate::core::case::{Case, CaseStatus};
use crate::core::command::{Command, Context, decide};
use crate::core::effect::Effect;
use crate::core::reject::Rejection;
use crate::store::StoreError;
use crate::store::batch::{self, BatchWrites, Val};
use crate::store::cases::{GENESIS, LoadedCase, WriteError, event_hash, ms, task_state};

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
    let now_ms = ms(now);

    let mut ids: Vec<String> = batch
        .iter()
        .filter(|j| !matches!(j.command, Command::Open { .. }))
        .map(|j| j.case_id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    let mut cases: HashMap<String, LoadedCase> = batch::load_cases(&mut tx, shared.store.backend(), &ids).await?;
    let originals: HashMap<String, (i64, Case)> = cases
        .iter()
        .map(|(k, v)| (k.clone(), (v.case.version, v.case.clone())))
        .collect();
    let keys: Vec<String> = batch
        .iter()
        .filter_map(|j| j.idempotency.as_ref().map(|i| i.key.clone()))
        .collect();
    let mut idem: BTreeMap<String, (String, String)> = if keys.is_empty() {
        BTreeMap::new()
    } else {
        batch::load_idempotency(&mut tx, shared.store.backend(), &keys).await?
    };
    let timer_keys: Vec<String> = batch
        .iter()
        .filter_map(|j| match &j.command {
            Command::FireTimer { key } => Some(key.clone()),
            _ => None,
        })
        .collect();
    let fenced: HashSet<String> = if timer_keys.is_empty() {
        HashSet::new()
    } else {
        batch::fence_timers(
            &mut tx,
            shared.store.backend(),
            &timer_keys,
            &shared.opts.node_id,
            now_ms,
        )
        .await?
        .into_iter()
        .collect()
    };

    let t_load = t0.elapsed();
    let mut w = BatchWrites::default();
    let mut touched: Vec<String> = Vec::new();
    let mut new_cases: HashSet<String> = HashSet::new();
    let mut new_timers: BTreeMap<String, (String, String, i64, &'static str)> = BTreeMap::new();
    let mut failed_timers: Vec<(String, String)> = Vec::new();
    let mut results = Vec::with_capacity(batch.len());

    for job in batch {
        let r = (|| -> Result<Outcome, EngineError> {
            if let Some(k) = &job.idempotency
                && let Some((hash, response)) = idem.get(&k.key)
            {
                if *hash != k.request_hash {
                    return Err(EngineError::IdempotencyReused);
                }
                let case = serde_json::from_str(response).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                return Ok(Outcome {
                    case,
                    replayed: true,
                    linked: false,
                });
            }
            if let Command::FireTimer { key } = &job.command
                && !fenced.contains(key)
            {
                return Err(EngineError::TimerSkipped);
            }
            let before = match &job.command {
                Command::Open { .. } => None,
                _ => Some(
                    cases
                        .get(&job.case_id)
                        .ok_or_else(|| EngineError::NotFound(job.case_id.clone()))?,
                ),
            };
            let def = match (before, &job.case_type) {
                (Some(b), _) => shared.definitions().get(&b.case.case_type, b.case.definition_version),
                (None, Some(t)) => shared.definitions().current(t),
                (None, None) => None,
            }
            .ok_or_else(|| {
                EngineError::Rejected(Rejection::UnknownCaseType(job.case_type.clone().unwrap_or_default()))
            })?;
            let cx = Context {
                def: &def,
                org: &shared.org,
                actor: &job.actor,
                now,
            };
            let decision = match decide(&cx, before.map(|b| &b.case), &job.command) {
                Ok(d) => d,
                Err(r) => {
                    if let Command::FireTimer { key } = &job.command {
                        failed_timers.push((key.clone(), r.to_string()));
                    }
                    return Err(EngineError::Rejected(r));
                }
            };
            let c = &decision.case;
            let (mut seq, mut prev) = before.map_or((0, GENESIS.to_owned()), |b| (b.event_seq, b.last_hash.clone()));
            for e in &decision.events {
                seq += 1;
                let payload = json(e)?;
                let at = ms(e.at);
                let hash = event_hash(&prev, &c.id, seq, at, &e.actor, &payload);
                w.events.push(vec![
                    Val::Text(c.id.clone()),
                    Val::Int(seq),
                    Val::Text(e.kind.name().to_owned()),
                    Val::Text(e.actor.clone()),
                    Val::Int(at),
                    Val::Text(payload),
                    Val::Text(prev.clone()),
                    Val::Text(hash.clone()),
                ]);
                prev = hash;
            }
            shared.workload.apply(&decision.effects);
            for eff in &decision.effects {
                match eff {
                    Effect::StartTimer { key, name, due_at } => {
                        new_timers.insert(key.clone(), (c.id.clone(), name.clone(), ms(*due_at), "pending"));
                    }
                    Effect::CancelTimer { key } => match new_timers.get_mut(key) {
                        Some(t) => t.3 = "cancelled",
                        None => w.cancelled_timers.push(key.clone()),
                    },
                    Effect::RungFired { case_id, rung } => w.rungs.push(vec![
                        Val::Text(case_id.clone()),
                        Val::Text("sla".into()),
                        Val::Text(rung.clone()),
                        Val::Int(ms(c.updated_at)),
                    ]),
                    Effect::Notify {
                        idempotency_key,
                        template,
                        to,
                        channels,
                    } => w.outbox.push(vec![
                        Val::Text(idempotency_key.clone()),
                        Val::Text(c.id.clone()),
                        Val::Text(template.clone()),
                        Val::Text(json(to)?),
                        Val::Text(json(channels)?),
                        Val::Text("pending".into()),
                        Val::Int(ms(c.updated_at)),
                        Val::Int(ms(c.updated_at)),
                    ]),
                    Effect::WorkloadChanged { .. } => {}
                }
            }
            if before.is_none() {
                new_cases.insert(c.id.clone());
                if let Some(k) = &c.repeat_key {
                    w.repeat_keys.push(vec![
                        Val::Text(k.clone()),
                        Val::Text(c.id.clone()),
                        Val::Int(ms(c.opened_at)),
                    ]);
                }
            }
            if !touched.contains(&c.id) {
                touched.push(c.id.clone());
            }
            if let Some(k) = &job.idempotency {
                let response = json(c)?;
                w.idempotency.push(vec![
                    Val::Text(k.key.clone()),
                    Val::Text(k.request_hash.clone()),
                    Val::Text(c.id.clone()),
                    Val::Text(response.clone()),
                    Val::Int(now_ms),
                ]);
                idem.insert(k.key.clone(), (k.request_hash.clone(), response));
            }
            cases.insert(
                c.id.clone(),
                LoadedCase {
                    case: decision.case.clone(),
                    event_seq: seq,
                    last_hash: prev,
                },
            );
            Ok(Outcome {
                case: decision.case,
                replayed: false,
                linked: false,
            })
        })();
        results.push(r);
    }

    for id in &touched {
        let Some(l) = cases.get(id) else { continue };
        let c = &l.case;
        let status = match c.status {
            CaseStatus::Open => "open",
            CaseStatus::Closed(_) => "closed",
        };
        let data = json(c)?;
        if new_cases.contains(id) {
            w.new_cases.push(vec![
                Val::Text(c.id.clone()),
                Val::Text(c.case_type.clone()),
                Val::Int(c.definition_version),
                Val::Text(c.state.clone()),
                Val::Text(status.into()),
                Val::Int(c.version),
                Val::Text(c.department.clone()),
                Val::OptText(c.unit.clone()),
                Val::Text(data),
                Val::Int(l.event_seq),
                Val::Text(l.last_hash.clone()),
                Val::Int(ms(c.opened_at)),
                Val::Int(ms(c.updated_at)),
                Val::OptInt(c.closed_at.map(ms)),
            ]);
        } else if let Some((loaded_version, _)) = originals.get(id) {
            w.changed_cases.push(vec![
                Val::Text(c.id.clone()),
                Val::Text(c.state.clone()),
                Val::Text(status.into()),
                Val::Int(c.version),
                Val::Text(c.department.clone()),
                Val::OptText(c.unit.clone()),
                Val::Text(data),
                Val::Int(l.event_seq),
                Val::Text(l.last_hash.clone()),
                Val::Int(ms(c.updated_at)),
                Val::OptInt(c.closed_at.map(ms)),
                Val::Int(*loaded_version),
            ]);
        }
        let old = originals.get(id).map(|(_, c)| c);
        for t in &c.tasks {
            if old.and_then(|o| o.task(&t.id)) == Some(t) {
                continue;
            }
            w.tasks.push(vec![
                Val::Text(t.id.clone()),
                Val::Text(c.id.clone()),
                Val::Text(t.name.clone()),
                Val::Text(task_state(t.state).into()),
                Val::Text(t.department.clone()),
                Val::Text(t.role.clone()),
                Val::OptText(t.unit.clone()),
                Val::OptText(t.assignee.clone()),
                Val::Int(ms(t.created_at)),
                Val::OptInt(t.closed_at.map(ms)),
            ]);
        }
    }
    for (key, (case_id, name, due, state)) in new_timers {
        w.timers.push(vec![
            Val::Text(key),
            Val::Text(case_id),
            Val::Text(name),
            Val::Int(due),
            Val::Text(state.into()),
        ]);
    }

    let t_decide = t0.elapsed();
    let written = async {
        batch::write_batch(&mut tx, shared.store.backend(), &w).await?;
        for (key, err) in &failed_timers {
            sqlx::query("UPDATE timers SET state = 'failed', fired_at = $1, last_error = $2 WHERE key = $3")
                .bind(now_ms)
                .bind(err)
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(|e| WriteError::Store(e.into()))?;
        }
        Ok::<(), WriteError>(())
    }
    .await;
    match written {
        Ok(()) => {}
        Err(e) => {
            let _ = tx.rollback().await;
            return Err(match e {
                WriteError::Conflict => Abort::Conflict,
                WriteError::Store(s) => Abort::Store(s),
            });
        }
    }
    let t_write = t0.elapsed();
    let committed = tx.commit().await;
    tracing::trace!(
        batch = batch.len(),
        load = ?t_load,
        decide = ?(t_decide - t_load),
        write = ?(t_write - t_decide),
        commit = ?(t0.elapsed() - t_write),
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
