//! `yimen bench startup`: how long `yimen serve` takes to start listening with a store holding
//! many open cases and pending timers. The store is filled first (open cases of a quiet case type
//! and of W1, whose 3-working-day timer stays pending), then `serve` is started as its own
//! process `--runs` times; each run is timed from the spawn to the "listening" line and to the
//! first answer of `/healthz`, and the server's resident memory is read right after.

use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Map, json};
use yimen_engine::core::Actor;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::store::StoreOptions;
use yimen_engine::yaml::Limits;

/// Arguments of `yimen bench startup`.
#[derive(Debug, Args)]
pub struct StartupArgs {
    /// The database; filled up to `--cases` open cases, `--timers` of them with a pending timer.
    #[arg(long)]
    pub db: String,
    /// Open cases the store must hold.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Of those, cases with a pending timer.
    #[arg(long, default_value_t = 100_000)]
    pub timers: usize,
    /// Starts to time.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// The workflows directory.
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

async fn open_many(engine: &Engine, clerk: &Actor, case_type: &'static str, n: usize) -> anyhow::Result<()> {
    let per = n.div_ceil(128);
    let mut handles = Vec::new();
    for c in 0..128 {
        let count = per.min(n.saturating_sub(c * per));
        let (engine, clerk) = (engine.clone(), clerk.clone());
        handles.push(tokio::spawn(async move {
            let mut fields = Map::new();
            fields.insert("caller".into(), json!("市民"));
            for _ in 0..count {
                engine
                    .open_case(case_type, "hotline_12345", fields.clone(), None, clerk.clone(), None)
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok(())
}

/// The bundled workflows with the two benchmark case types beside them, in a scratch
/// directory (removed by the caller), loaded.
fn startup_workflows(workflows: &std::path::Path) -> anyhow::Result<(std::path::PathBuf, yimen_engine::load::Bundle)> {
    let dir = std::env::temp_dir().join(format!("yimen-bench-startup-{}", std::process::id()));
    crate::copy_dir(workflows, &dir).context("cannot copy the workflows")?;
    std::fs::write(dir.join("cases/w1.yaml"), include_str!("../w1.yaml"))?;
    std::fs::write(dir.join("cases/idle.yaml"), include_str!("../idle.yaml"))?;
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, diags) = load::load_dir(&dir, &opts);
    if diags.has_errors() {
        anyhow::bail!("the benchmark workflows do not validate");
    }
    Ok((dir, bundle))
}

/// Runs the benchmark.
pub async fn startup(args: &StartupArgs) -> anyhow::Result<()> {
    let (dir, bundle) = startup_workflows(&args.workflows)?;
    let now = chrono::Utc::now().timestamp_millis();
    let crate::Setup {
        store,
        defs,
        org,
        clerk,
        ..
    } = crate::setup(&StoreOptions::new(&args.db), bundle, now).await?;
    let engine = Engine::start(
        store.clone(),
        defs,
        org,
        Arc::new(SystemClock),
        EngineOptions::default(),
    );
    let timers = store.timer_counts().await?;
    let pending = timers.iter().find(|(s, _)| s == "pending").map_or(0, |t| t.1);
    let held = store.case_count().await?;
    let with_timer = args.timers.saturating_sub(usize::try_from(pending).unwrap_or(0));
    let started = Instant::now();
    open_many(&engine, &clerk, "w1", with_timer).await?;
    let quiet = args
        .cases
        .saturating_sub(usize::try_from(held).unwrap_or(0) + with_timer);
    open_many(&engine, &clerk, "idle", quiet).await?;
    if with_timer + quiet > 0 {
        eprintln!(
            "opened {} cases ({with_timer} with a timer) in {:.0} s",
            with_timer + quiet,
            started.elapsed().as_secs_f64()
        );
    }
    engine.shutdown().await;
    let open = store.case_count().await?;
    let timers = store.timer_counts().await?;
    let pending = timers.iter().find(|(s, _)| s == "pending").map_or(0, |t| t.1);
    store.close().await;

    let exe = std::env::current_exe()?;
    yimen_engine::out!(
        "| run | backend | open cases | pending timers | to listening s | to first answer s | memory MiB |"
    );
    yimen_engine::out!("|---|---|---|---|---|---|---|");
    let (mut slowest, mut most) = (0.0f64, 0.0f64);
    for run in 1..=args.runs.max(1) {
        let t = Instant::now();
        let mut child = Process::new(&exe)
            .args(["serve", "--db", &args.db, "--bind", "127.0.0.1:0", "--workflows"])
            .arg(&dir)
            .env("NO_COLOR", "1")
            .env("YIMEN_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        // The log goes to standard output.
        let stdout = child.stdout.take().context("no stdout")?;
        let mut addr = None;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(i) = line.find("listening on http://") {
                addr = Some(line[i + "listening on http://".len()..].trim().to_owned());
                break;
            }
        }
        let listening = t.elapsed().as_secs_f64();
        // Keep reading the log, so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        let addr = addr.context("the server did not start")?;
        let answered = loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.1 200") {
                    break t.elapsed().as_secs_f64();
                }
            }
            if t.elapsed() > Duration::from_secs(120) {
                anyhow::bail!("the server did not answer within two minutes");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
            .map_or(0.0, |kb| kb / 1024.0);
        let _ = Process::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
        (slowest, most) = (slowest.max(answered), most.max(rss));
        yimen_engine::out!(
            "| {run} | {} | {open} | {pending} | {listening:.2} | {answered:.2} | {rss:.0} |",
            if args.db.starts_with("sqlite") {
                "sqlite"
            } else {
                "postgres"
            }
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    crate::goal(
        &format!(
            "start-up, {}",
            if args.db.starts_with("sqlite") {
                "sqlite"
            } else {
                "postgres"
            }
        ),
        format!(
            "{slowest:.2} s to the first answer, {most:.0} MiB ({open} open cases, {pending} pending timers; slowest of {} runs)",
            args.runs.max(1)
        ),
        "≤ 2 s with 1,000,000 open cases and 100,000 pending timers",
        slowest <= 2.0,
    );
    Ok(())
}
