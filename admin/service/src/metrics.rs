//! The process's metrics in the Prometheus text format: histograms recorded where the work
//! happens (the writer's batches, timer lag, deliveries, HTTP requests per route) through the
//! `metrics` facade, and one recorder per process that `/metrics` renders.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds of the buckets of every histogram in seconds: from half a millisecond (a page
/// from memory) to a minute (an SMS gateway that answers late).
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Bucket bounds of the writer's batch sizes (commands per commit).
const BATCH: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). `None` when
/// another recorder was installed first, or the buckets were refused: metrics are then not
/// recorded, and `/metrics` says so rather than showing nothing as if all were quiet.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full("yimen_writer_batch_commands".into()), BATCH));
            // One error type for both steps (the exporter's own), logged once.
            builder
                .and_then(PrometheusBuilder::install_recorder)
                .inspect_err(|e| tracing::warn!("metrics are not recorded: {e}"))
                .ok()
        })
        .as_ref()
}

/// Everything recorded so far, in the Prometheus text format (installing the recorder if no
/// one has yet).
pub fn render() -> String {
    match install() {
        Some(h) => h.render(),
        None => "# metrics are not recorded in this process (another recorder was installed first)\n".to_owned(),
    }
}
