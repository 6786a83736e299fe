//! The group-committing writer: one transaction per batch, one savepoint per command.

use std::sync::Arc;

use sqlx::{Any, Transaction};
use tokio::sync::mpsc;

use super::{EngineError, Job, Msg, Outcome, Shared, fast};
use crate::core::command::{Command, decide};
use crate::store::StoreError;
use crate::store::cases::{self, WriteError};
use crate::store::timers;

/// How often a command is re-decided when another node changed its case meanwhile.
const CONFLICT_RETRIES: usize = 3;

pub(super) async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<Msg>) {
    let mut stop = false;
    while !stop {
        let Some(first) = rx.recv().await else { break };
        let mut batch = Vec::new();
        match first {
            Msg::Job(j) => batch.push(*j),
            Msg::Stop => break,
        }
        while batch.len() < shared.opts.batch_max {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(*j),
                Ok(Msg::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        apply_batch(&shared, batch).await;
    }
    rx.close();
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Job(j) = msg {
            let _ = j.reply.send(Err(EngineError::Shutdown));
        }
    }
}

async fn apply_batch(shared: &Shared, batch: Vec<Job>) {
    match fast::apply(shared, &batch).await {
        Ok(results) => {
            for (job, r) in batch.into_iter().zip(results) {
                let _ = job.reply.send(r);
            }
        }
        Err(why) => {
            // A conflict with another node, or a write that failed: replay the batch one
            // command at a time, each in its own savepoint, so only the culprit fails.
            tracing::debug!(
                "fast path aborted ({why}); replaying {} commands one by one",
                batch.len()
            );
            slow_batch(shared, batch).await;
        }
    }
}

async fn slow_batch(shared: &Shared, batch: Vec<Job>) {
    let mut tx = match shared.store.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            for j in batch {
                let _ = j
                    .reply
                    .send(Err(EngineError::Store(StoreError::Unavailable(msg.clone()))));
            }
            return;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        results.push(apply_with_savepoint(shared, &mut tx, job).await);
    }
    match tx.commit().await {
        Ok(()) => {
            for (job, r) in batch.into_iter().zip(results) {
                let _ = job.reply.send(r);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            tracing::error!("a batch of {} commands failed to commit: {msg}", batch.len());
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(EngineError::Store(StoreError::Unavailable(msg.clone()))));
            }
        }
    }
}

async fn exec(tx: &mut Transaction<'static, Any>, sql: &'static str) -> Result<(), EngineError> {
    sqlx::query(sql)
        .execute(&mut **tx)
        .await
        .map_err(|e| EngineError::Store(e.into()))?;
    Ok(())
}

async fn apply_with_savepoint(
    shared: &Shared,
    tx: &mut Transaction<'static, Any>,
    job: &Job,
) -> Result<Outcome, EngineError> {
    for _ in 0..CONFLICT_RETRIES {
        exec(tx, "SAVEPOINT cmd").await?;
        match apply(shared, tx, job).await {
            Ok(o) => {
                exec(tx, "RELEASE SAVEPOINT cmd").await?;
                return Ok(o);
            }
            Err(e) => {
                exec(tx, "ROLLBACK TO SAVEPOINT cmd").await?;
                exec(tx, "RELEASE SAVEPOINT cmd").await?;
                match e {
                    EngineError::Conflict => continue,
                    EngineError::Rejected(r) if matches!(job.command, Command::FireTimer { .. }) => {
                        // The timer's effect is refused (its guard no longer holds, say): record that
                        // on the row so it is visible and not retried for ever.
                        if let Command::FireTimer { key } = &job.command {
                            let now = shared.clock.now().timestamp_millis();
                            timers::mark_failed(tx, key, now, &r.to_string()).await?;
                        }
                        return Err(EngineError::Rejected(r));
                    }
                    other => return Err(other),
                }
            }
        }
    }
    Err(EngineError::Conflict)
}

async fn apply(shared: &Shared, tx: &mut Transaction<'static, Any>, job: &Job) -> Result<Outcome, EngineError> {
    if let Some(idem) = &job.idempotency
        && let Some((hash, response)) = cases::idempotent_result(tx, &idem.key).await?
    {
        if hash != idem.request_hash {
            return Err(EngineError::IdempotencyReused);
        }
        let case = serde_json::from_str(&response).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        return Ok(Outcome { case, replayed: true });
    }
    let before = match &job.command {
        Command::Open { .. } => None,
        _ => Some(
            cases::load_case(tx, shared.store.backend(), &job.case_id)
                .await?
                .ok_or_else(|| EngineError::NotFound(job.case_id.clone()))?,
        ),
    };
    let def = match (&before, &job.case_type) {
        (Some(b), _) => shared.defs.get(&b.case.case_type, b.case.definition_version),
        (None, Some(t)) => shared.defs.current(t),
        (None, None) => None,
    }
    .ok_or_else(|| {
        let t = before
            .as_ref()
            .map(|b| format!("{} v{}", b.case.case_type, b.case.definition_version))
            .or_else(|| job.case_type.clone())
            .unwrap_or_default();
        EngineError::Rejected(crate::core::reject::Rejection::UnknownCaseType(t))
    })?;
    let now = shared.clock.now();
    if let Command::FireTimer { key } = &job.command
        && !timers::fence_and_fire(tx, key, &shared.opts.node_id, now.timestamp_millis()).await?
    {
        return Err(EngineError::TimerSkipped);
    }
    let decision = decide(
        &def,
        &shared.org,
        before.as_ref().map(|b| &b.case),
        &job.command,
        &job.actor,
        now,
    )?;
    cases::write_decision(tx, before.as_ref(), &decision)
        .await
        .map_err(|e| match e {
            WriteError::Conflict => EngineError::Conflict,
            WriteError::Store(s) => EngineError::Store(s),
        })?;
    if let Some(idem) = &job.idempotency {
        let response = serde_json::to_string(&decision.case).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        cases::record_idempotent(
            tx,
            &idem.key,
            &idem.request_hash,
            &decision.case.id,
            &response,
            now.timestamp_millis(),
        )
        .await?;
    }
    Ok(Outcome {
        case: decision.case,
        replayed: false,
    })
}
