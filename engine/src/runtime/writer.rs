//! The group-committing writer: one transaction per batch, and a replay one command per
//! transaction when the batch cannot commit as a whole.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{EngineError, Job, Msg, Shared, fast};

/// How often a command is re-decided when another node changed its case meanwhile.
const CONFLICT_RETRIES: usize = 3;

pub(super) async fn run(shared: Arc<Shared>, mut rx: mpsc::Receiver<Msg>) {
    catch_up(&shared).await;
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
            // command at a time, each in its own transaction, so only the culprit fails.
            tracing::debug!(
                "fast path aborted ({why}); replaying {} commands one by one",
                batch.len()
            );
            slow_batch(shared, batch).await;
        }
    }
}

/// Replays a batch one command at a time, each in its own transaction through the same fast
/// path, so only the culprit fails; conflicts and retryable database errors are retried.
async fn slow_batch(shared: &Shared, batch: Vec<Job>) {
    for job in batch {
        let mut result = Err(EngineError::Conflict);
        for _ in 0..CONFLICT_RETRIES {
            match fast::apply(shared, std::slice::from_ref(&job)).await {
                Ok(mut results) => {
                    result = results.pop().unwrap_or(Err(EngineError::Shutdown));
                    break;
                }
                Err(fast::Abort::Conflict) => {}
                Err(fast::Abort::Store(e)) if e.is_retryable() => {}
                Err(fast::Abort::Store(e)) => {
                    result = Err(EngineError::Store(e));
                    break;
                }
            }
        }
        let _ = job.reply.send(result);
    }
}

/// Before this node writes anything else: numbers the cases written before numbering existed
/// (so their numbers come before those of cases opened from now on), and gives the search index
/// the words of cases it lacks (cases from before search).
async fn catch_up(shared: &Shared) {
    use chrono::Datelike;
    let defs = shared.definitions();
    let any_zone = defs.all_current().first().map(|d| d.calendar.timezone());
    let year_of = |case_type: &str, opened_ms: i64| {
        let at = chrono::DateTime::from_timestamp_millis(opened_ms).unwrap_or_default();
        let zone = defs.current(case_type).map(|d| d.calendar.timezone()).or(any_zone);
        match zone {
            Some(z) => at.with_timezone(&z).year(),
            None => at.year(),
        }
    };
    match shared
        .store
        .number_unnumbered(&shared.org.file.case_numbers(), &year_of)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!("numbered {n} cases opened before case numbers"),
        Err(e) => tracing::error!("numbering the cases opened before case numbers failed: {e}"),
    }
    let words_of = |case: &crate::core::case::Case| {
        let def = defs.get(&case.case_type, case.definition_version);
        crate::store::search::case_words(def.as_ref().map(|d| &d.def), case)
    };
    match shared.store.index_unindexed(&words_of).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("indexed the words of {n} cases for search"),
        Err(e) => tracing::error!("indexing cases for search failed: {e}"),
    }
}
