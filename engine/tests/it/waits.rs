//! The running loops wait on the engine's clock: with an hour's real-time poll, the timer loop
//! and the scheduler still wake as soon as a manual clock is moved past what is due.

use std::sync::Arc;

use chrono::Duration;
use yimen_engine::runtime::{Clock as _, ManualClock};

use crate::common::{self, at, database, engine, per_backend};

per_backend!(the_timer_loop_wakes_when_the_clock_reaches_a_timer);
async fn the_timer_loop_wakes_when_the_clock_reaches_a_timer(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "wake").await;
    let clock = Arc::new(ManualClock::new(at("2026-09-28T10:00")));
    // An hour's poll: only the clock can wake the loop within the test.
    let e = common::engine_with(&url, "a", clock.clone(), |o| {
        o.timer_poll = std::time::Duration::from_secs(3600);
    })
    .await;
    let id = crate::runtime::mediating(&e).await;
    let case = e.case(&id).await.expect("read").expect("exists");
    let due = case.timers.values().map(|t| t.due_at).min().expect("a running timer");
    let version = case.version;
    // The loop starts, finds the timer not yet due and waits on the clock.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let looping = e.spawn_timer_loop(stop_rx);
    let passes = || common::metric(&common::metrics().render(), "yimen_timer_passes_total");
    common::eventually("the loop's first pass", || async { passes() >= 1.0 }).await;
    // A fired timer is a command on the case: its version moves on.
    let fired = |e: yimen_engine::runtime::Engine, id: String| async move {
        e.case(&id).await.ok().flatten().is_some_and(|c| c.version > version)
    };
    assert!(
        !fired(e.clone(), id.to_string()).await,
        "{backend}: not before it is due"
    );
    clock.set(due + Duration::seconds(1));
    common::eventually("the timer fires once the clock reaches it", || {
        fired(e.clone(), id.to_string())
    })
    .await;
    let _ = stop_tx.send(true);
    looping.await.expect("the loop stops");
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(the_running_scheduler_wakes_when_the_clock_reaches_a_job);
async fn the_running_scheduler_wakes_when_the_clock_reaches_a_job(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "wakes").await;
    // Installed on Tuesday 29 December 2026. The next job due is the December bulletin: the
    // 1st of January is a holiday, so it moves to Monday 4 January 09:00.
    let clock = Arc::new(ManualClock::new(at("2026-12-29T10:00")));
    let e = engine(&url, "a", clock.clone()).await;
    let b = common::bundle();
    let s = common::scheduler_with(
        &e,
        b.schedules.expect("schedules").value,
        b.calendars["cn-mainland"].clone(),
    );
    assert_eq!(s.next_due(clock.now()), Some(at("2027-01-04T09:00")), "{backend}");
    // Past the nominal fire on the holiday, the moved run is still the next one due.
    assert_eq!(s.next_due(at("2027-01-02T12:00")), Some(at("2027-01-04T09:00")));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // An hour's poll: only the clock can wake it within the test.
    let running = s.spawn(std::time::Duration::from_secs(3600), stop_rx);
    let passes = || common::metric(&common::metrics().render(), "yimen_scheduler_passes_total");
    common::eventually("the first pass", || async { passes() >= 1.0 }).await;
    assert!(
        e.store().job_runs(10).await.expect("ledger").is_empty(),
        "{backend}: nothing due yet"
    );
    clock.set(at("2027-01-04T09:00"));
    common::eventually("the bulletin runs when the clock reaches it", || async {
        e.store()
            .job_runs(10)
            .await
            .expect("ledger")
            .iter()
            .any(|r| r.job == "monthly_bulletin" && r.period == "2026-12" && r.state == "done")
    })
    .await;
    let _ = stop_tx.send(true);
    running.await.expect("stops");
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
