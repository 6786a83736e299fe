//! The hourly housekeeping: personal data deleted when its retention has passed, files nobody
//! named removed, the planner's statistics refreshed.

use std::time::Duration as StdDuration;

use super::{Engine, EngineError};
use crate::store::StoreError;

/// How often retention is swept at most, in real time.
const RETENTION_SWEEP: StdDuration = StdDuration::from_secs(3600);

impl Engine {
    /// Deletes the personal data of every closed case whose case type's retention has passed
    /// since it closed (the retention of the case type's current definition: a records
    /// schedule, not a step of the workflow), unless it is on legal hold; each deletion is
    /// recorded. Safe on several nodes at once. Returns how many cases it deleted.
    pub async fn sweep_retention(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let store = &self.shared.store;
        let mut shredded = 0;
        for def in self.shared.definitions().all_current() {
            let Some(r) = &def.def.retention else { continue };
            let Some(cutoff) = now.checked_sub_months(chrono::Months::new(r.years.saturating_mul(12))) else {
                continue;
            };
            let rule = serde_json::to_string(&r.rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            loop {
                let due = store
                    .due_for_shredding(&def.def.id, cutoff.timestamp_millis(), 500)
                    .await?;
                let mut done = 0;
                for id in &due {
                    if store
                        .shred_case(id, &rule, "system", self.now().timestamp_millis())
                        .await?
                        .is_ok()
                    {
                        done += 1;
                    }
                }
                shredded += done;
                if due.len() < 500 || done == 0 {
                    break;
                }
            }
        }
        if shredded > 0 {
            // On SQLite, the log's earlier pages (which held the destroyed keys) are folded in
            // and emptied; the file itself overwrites what is deleted (`secure_delete`).
            store.fold_log().await?;
            metrics::counter!("yimen_cases_shredded_total").increment(shredded as u64);
            tracing::info!(cases = shredded, "personal data deleted: retention passed");
        }
        Ok(shredded)
    }

    /// Sweeps retention ([`Engine::sweep_retention`]) now and then every hour of the engine's
    /// clock, until `stop`.
    pub fn spawn_retention_loop(&self, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                match engine.sweep_retention().await {
                    Ok(_) | Err(EngineError::Shutdown) => {}
                    Err(e) => tracing::warn!("the retention sweep failed: {e}"),
                }
                // The hourly housekeeping also removes files uploaded a day ago that no case
                // named, and refreshes the planner's statistics.
                let before = crate::store::cases::ms(engine.now()) - crate::store::attachments::PENDING_MS;
                match engine.shared.store.sweep_pending_attachments(before).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("removed {n} uploaded files no case named within a day"),
                    Err(e) => tracing::warn!("removing unnamed uploaded files failed: {e}"),
                }
                engine.shared.store.optimize().await;
                let next = engine.now() + chrono::Duration::hours(1);
                let wait = engine.shared.clock.sleep_until(next, RETENTION_SWEEP);
                tokio::select! {
                    _ = stop.changed() => break,
                    () = wait => {}
                }
            }
        })
    }
}
