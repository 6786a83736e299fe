//! `yimen bench seal`: what sealing personal data costs a reader — reading a case and its history
//! (what the case page reads) from a store that seals nothing, and from stores sealed with each
//! suite, the same cases in each.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde_json::json;
use yimen_engine::core::Command;
use yimen_engine::out;
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::seal::{MasterKey, Suite};
use yimen_engine::store::StoreOptions;

/// Arguments of `yimen bench seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// A directory for the scratch SQLite stores (one per mode, made afresh).
    #[arg(long)]
    pub dir: PathBuf,
    /// Cases in each store (labour disputes: three personal fields, and a comment).
    #[arg(long, default_value_t = 2_000)]
    pub cases: usize,
    /// Reads measured in each store (case and history, one after another).
    #[arg(long, default_value_t = 20_000)]
    pub reads: usize,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Runs the benchmark.
pub async fn seal(args: &SealArgs) -> anyhow::Result<()> {
    out!("| store | cases | reads | mean µs | p50 µs | p99 µs | more than plain (mean) |");
    out!("|---|---|---|---|---|---|---|");
    let mut plain_mean = None;
    for (name, suite) in [
        ("plain", None),
        ("sm4gcm-sm3", Some(Suite::Sm4GcmSm3)),
        ("aes256gcm-sha256", Some(Suite::Aes256GcmSha256)),
    ] {
        let path = args.dir.join(format!("seal-{name}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let url = format!("sqlite://{}", path.display());
        let bundle = crate::bench_bundle(&args.workflows, "w1", include_str!("../w1.yaml"))?;
        let setup = crate::setup(&StoreOptions::new(&url), bundle, 0).await?;
        let engine = Engine::start(
            setup.store.clone(),
            setup.defs,
            setup.org,
            Arc::new(SystemClock),
            EngineOptions {
                master: suite.map(|s| Arc::new(MasterKey::generate(s))),
                ..EngineOptions::default()
            },
        );
        let ids = open(&engine, &setup.clerk, args.cases).await?;
        let mut took = Vec::with_capacity(args.reads);
        for r in 0..args.reads {
            let id = &ids[r % ids.len()];
            let t = Instant::now();
            let case = engine.case(id).await?;
            let history = engine.history(id).await?;
            took.push(t.elapsed().as_secs_f64() * 1e6);
            anyhow::ensure!(case.is_some() && history.len() >= 2, "case {id} did not read whole");
        }
        took.sort_by(f64::total_cmp);
        let mean = took.iter().sum::<f64>() / took.len() as f64;
        let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
        let more = plain_mean.map_or_else(|| "—".to_owned(), |p: f64| format!("{:+.1} µs", mean - p));
        out!(
            "| {name} | {} | {} | {mean:.1} | {:.1} | {:.1} | {more} |",
            ids.len(),
            took.len(),
            at(0.5),
            at(0.99)
        );
        if suite.is_none() {
            plain_mean = Some(mean);
        } else if let Some(p) = plain_mean {
            crate::goal(
                &format!("case page read, sealed with {name}"),
                format!("{:+.3} ms a read", (mean - p) / 1000.0),
                "≤ +0.2 ms",
                mean - p <= 200.0,
            );
        }
        engine.shutdown().await;
        setup.store.close().await;
    }
    Ok(())
}

async fn open(engine: &Engine, clerk: &yimen_engine::core::Actor, n: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n.max(1) {
        let fields = json!({
            "applicant": "欧阳明远", "applicant_phone": format!("139{:08}", i), "applicant_id": "11010519491231002X",
            "employer": "某水产公司", "category": "wages", "facts": "工资未发放，已三个月",
        });
        let fields = fields.as_object().cloned().unwrap_or_default();
        let c = engine
            .open_case("labour_dispute", "window_labour", fields, None, clerk.clone(), None)
            .await?;
        let id = c.case.id.to_string();
        let note = Command::Comment {
            text: "申请人称住东港街道，联系电话同上".into(),
        };
        engine.command(&id, note, clerk.clone(), None).await?;
        ids.push(id);
    }
    Ok(ids)
}
