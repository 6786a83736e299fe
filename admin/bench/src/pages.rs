//! `yimen bench pages`: the inbox and case pages over HTTP, with the store holding many cases.
//!
//! The store is filled as for `yimen bench reports` (closed W1 lifecycles over 2025), then a
//! number of open 12345 requests is dispatched into the hotline handlers' inbox. The server
//! (the same router `serve` runs) listens on loopback in this process; `--clients` tasks, each on
//! its own keep-alive connection, load the inbox page (pages 1–3) and then case pages (a random
//! open case each time) for `--seconds` each. Prints latency percentiles, throughput and the
//! process's peak memory (server and load generator together).

use anyhow::Context as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yimen_engine::core::Command;
use yimen_engine::runtime::{Engine, EngineOptions, ManualClock};
use yimen_engine::store::StoreOptions;

use crate::{PagesArgs, bench_bundle, fill};
use yimen_service::AppState;

/// The peak and current resident memory of this process, in MiB (Linux).
pub fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// GETs `path`; returns the status.
    async fn get(&mut self, path: &str, token: &str) -> anyhow::Result<u16> {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nConnection: keep-alive\r\n\r\n"
        );
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                anyhow::bail!("the server closed the connection");
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .context("no status line")?;
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .context("the response has no Content-Length")?;
        while self.buf.len() < head_end + len {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                anyhow::bail!("the server closed the connection mid-body");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(status)
    }
}

/// A small, fast, seeded generator for picking pages (the load must not depend on the clock).
struct Pick(u64);

impl Pick {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

async fn load(
    addr: std::net::SocketAddr,
    token: &str,
    clients: usize,
    seconds: u64,
    paths: Arc<Vec<String>>,
) -> anyhow::Result<(Vec<f64>, usize)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut handles = Vec::new();
    for c in 0..clients.max(1) {
        let (token, paths) = (token.to_owned(), paths.clone());
        handles.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut pick = Pick(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1));
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let path = &paths[pick.next(paths.len())];
                let t = Instant::now();
                let status = conn.get(path, &token).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                if status != 200 {
                    if errors == 0 {
                        eprintln!("{path}: status {status} (the first error of this client)");
                    }
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((lat, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.await??;
        all.extend(lat);
        errors += e;
    }
    all.sort_by(f64::total_cmp);
    Ok((all, errors))
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[i.clamp(1, v.len()) - 1]
}

/// Opens and dispatches `missing` 12345 requests, 64 clients at a time; their ids.
async fn open_requests(
    engine: &Engine,
    clerk: &yimen_engine::core::Actor,
    missing: usize,
) -> anyhow::Result<Vec<String>> {
    let mut opened: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut handles = Vec::new();
    let per = missing.div_ceil(64);
    for c in 0..64 {
        let n = per.min(missing.saturating_sub(c * per));
        let (engine, clerk) = (engine.clone(), clerk.clone());
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..n {
                let fields = json!({"caller": "市民", "caller_phone": "13800138000", "category": "request", "content": format!("路灯不亮 {c}-{i}")});
                let out = engine
                    .open_case(
                        "service_request_12345",
                        "hotline_12345",
                        fields.as_object().cloned().unwrap_or_default(),
                        None,
                        clerk.clone(),
                        None,
                    )
                    .await
                    ?;
                let cmd = Command::Act {
                    action: "dispatch".into(),
                    fields: serde_json::json!({"handling_department": "hotline_12345"})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    comment: None,
                    expected_version: None,
                    assign_to: None,
                };
                engine
                    .command(&out.case.id, cmd, clerk.clone(), None)
                    .await
                    ?;
                ids.push(out.case.id);
            }
            Ok::<_, anyhow::Error>(ids)
        }));
    }
    for h in handles {
        opened.extend(h.await??.into_iter().map(String::from));
    }
    eprintln!("opened {missing} requests in {:.0} s", started.elapsed().as_secs_f64());
    Ok(opened)
}

/// Runs the benchmark.
/// The pages loaded: the inbox's first pages, open cases, the case list with the filters people
/// use, and searches by a two-character word.
fn page_paths(open: &[String]) -> [Vec<String>; 4] {
    let inbox: Vec<String> = (1..=3).map(|p| format!("/inbox?page={p}")).collect();
    // The case list with filters people use, and searches by a two-character word.
    let list: Vec<String> = [
        "/cases",
        "/cases?status=open",
        "/cases?status=closed&sort=oldest",
        "/cases?case_type=w1&opened_from=2025-06-01&opened_to=2025-06-30",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    let search: Vec<String> = ["噪音", "工资", "停车", "纠纷", "渔港", "隐患", "退款", "电梯"]
        .iter()
        .map(|w| {
            let q: String = w.bytes().map(|b| format!("%{b:02X}")).collect();
            format!("/cases?q={q}")
        })
        .collect();
    let cases: Vec<String> = open.iter().take(5000).map(|id| format!("/cases/{id}")).collect();
    [inbox, cases, list, search]
}

pub async fn pages(args: &PagesArgs, app: crate::App) -> anyhow::Result<()> {
    let bundle = bench_bundle(&args.workflows, "w1", include_str!("../w1.yaml"))?;
    let crate::Setup {
        bundle,
        store,
        defs,
        org,
        clerk,
    } = crate::setup(&StoreOptions::new(&args.db), bundle, 0).await?;
    let cal = bundle.default_calendar().context("no calendar")?.clone();
    let tz = cal.timezone();
    let at = |m: u32| {
        use chrono::TimeZone;
        tz.with_ymd_and_hms(2025, m, 15, 10, 0, 0)
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .context("bad date")
    };
    let clock = Arc::new(ManualClock::new(at(1)?));
    let engine = Engine::start(store.clone(), defs, org, clock.clone(), EngineOptions::default());
    fill(&store, &engine, &clock, &clerk, args.cases, 256, &at).await?;
    // As the hourly housekeeping would after the store grew: fresh statistics for the planner.
    store.optimize().await;
    // Open requests in the hotline handlers' inbox, on today's clock.
    clock.set(chrono::Utc::now());
    let mut open = store.open_cases_of_type("service_request_12345", 5000).await?;
    let missing = args.open.saturating_sub(open.len());
    if missing > 0 {
        open.extend(open_requests(&engine, &clerk, missing).await?);
    }
    let (total, events) = store.size().await?;
    // The handler who loads the pages, with an API token.
    let now = chrono::Utc::now().timestamp_millis();
    if store.account("handler_li").await?.is_none() {
        let u = engine.org().user("handler_li").context("no handler_li")?;
        let a = yimen_service::auth::account_for_user("handler_li", u, None);
        store.add_account(&a, now).await?;
    }
    // A token of its own for every run (a store filled by an earlier run keeps that run's live
    // token, and names are unique among live tokens).
    let token = yimen_service::auth::random_secret()?;
    let stored = store
        .add_token(
            &token,
            "handler_li",
            &format!("bench-{now}"),
            now,
            now + yimen_service::auth::TOKEN_DAYS * 86_400_000,
        )
        .await?;
    anyhow::ensure!(stored, "the benchmark's API token was not stored");
    let state = Arc::new(AppState {
        engine: engine.clone(),
        report_token: String::new(),
        scheduler: None,
        secure_cookies: false,
        routes: std::sync::OnceLock::new(),
        tz: std::sync::OnceLock::new(),
        limits: yimen_service::limits::Limits::default(),
        workflows: None,
        bundle: None,
    });
    let router = app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let [inbox, cases, list, search] = page_paths(&open);
    // Warm up: the first requests prepare statements and fill caches.
    let _ = load(addr, &token, 4, 2, Arc::new(inbox.clone())).await?;
    let _ = load(addr, &token, 4, 2, Arc::new(cases.clone())).await?;
    yimen_engine::out!(
        "| page | backend | cases in store | events | open in inbox | clients | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |"
    );
    yimen_engine::out!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let _ = load(addr, &token, 4, 2, Arc::new(search.clone())).await?;
    for (name, paths, goal_ms) in [
        ("inbox", inbox, 10.0),
        ("case", cases, 10.0),
        ("case list", list, 10.0),
        ("search", search, 50.0),
    ] {
        let t = Instant::now();
        let (lat, errors) = load(addr, &token, args.clients, args.seconds, Arc::new(paths)).await?;
        let secs = t.elapsed().as_secs_f64();
        yimen_engine::out!(
            "| {name} | {} | {total} | {events} | {} | {} | {} | {errors} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            store.backend_name(),
            open.len(),
            args.clients,
            lat.len(),
            lat.len() as f64 / secs,
            pct(&lat, 50.0),
            pct(&lat, 90.0),
            pct(&lat, 99.0),
            lat.last().copied().unwrap_or(0.0)
        );
        crate::goal(
            &format!("{name} page, {}", store.backend_name()),
            format!(
                "p99 {:.1} ms, {:.0} req/s ({total} cases, {} clients)",
                pct(&lat, 99.0),
                lat.len() as f64 / secs,
                args.clients
            ),
            &format!("p99 ≤ {goal_ms} ms at 1,000,000 cases"),
            errors == 0 && pct(&lat, 99.0) <= goal_ms,
        );
    }
    let (peak, now_rss) = memory_mib();
    yimen_engine::out!("\nmemory of the process (server and load generator): peak {peak:.0} MiB, now {now_rss:.0} MiB");
    crate::goal(
        &format!("pages' memory, {}", store.backend_name()),
        format!("peak {peak:.0} MiB (server and load generator)"),
        "≤ 200 MB",
        peak * 1.048_576 <= 200.0,
    );
    server.abort();
    engine.shutdown().await;
    store.close().await;
    Ok(())
}
