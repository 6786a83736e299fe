//! Shared helpers for the engine's integration tests: scratch PostgreSQL databases, the bundled
//! workflows, and engines over them.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use yimen_engine::core::{Actor, Organisation};
use yimen_engine::load::{Bundle, LoadOptions, load_dir};
use yimen_engine::runtime::{Engine, EngineOptions, ManualClock};
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

pub fn pg_base() -> String {
    std::env::var("YIMEN_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh PostgreSQL database for one test, dropped by [`PgScratch::drop_db`].
pub struct PgScratch {
    pub admin: sqlx::PgPool,
    pub name: String,
    pub url: String,
}

impl PgScratch {
    pub async fn new(tag: &str) -> PgScratch {
        let base = pg_base();
        let admin = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at {base}: {e}; start it or set YIMEN_TEST_DATABASE_URL (scripts/test.sh does both)")
        });
        let name = format!("yimen_{tag}_{}_{}", std::process::id(), rand_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        let url = match base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{name}"),
            None => panic!("YIMEN_TEST_DATABASE_URL must name a database"),
        };
        PgScratch { admin, name, url }
    }

    pub async fn drop_db(self) {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&self.admin)
            .await;
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000
}

/// The bundled workflows, loaded once per test binary.
pub fn bundle() -> Bundle {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows");
    let opts = LoadOptions {
        today: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date").into(),
        limits: Limits::default(),
    };
    let (b, d) = load_dir(&root, &opts);
    assert!(!d.has_errors(), "{:?}", d.as_slice());
    b
}

/// A local instant in Asia/Shanghai.
pub fn at(s: &str) -> DateTime<Utc> {
    let n = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("datetime");
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&n)
        .single()
        .expect("unique")
        .with_timezone(&Utc)
}

/// A database for a test: a SQLite file in `dir`, or a scratch PostgreSQL database.
pub async fn database(backend: &str, dir: &Path, tag: &str) -> (String, Option<PgScratch>) {
    match backend {
        "sqlite" => (format!("sqlite://{}", dir.join(format!("{tag}.db")).display()), None),
        _ => {
            let pg = PgScratch::new(tag).await;
            (pg.url.clone(), Some(pg))
        }
    }
}

/// An engine over `url` with the bundled workflows deployed, on a manual clock.
pub async fn engine(url: &str, node: &str, clock: Arc<ManualClock>) -> Engine {
    engine_with(url, node, clock, |_| {}).await
}

/// The same, with options changed by `tune`.
pub async fn engine_with(
    url: &str,
    node: &str,
    clock: Arc<ManualClock>,
    tune: impl FnOnce(&mut EngineOptions),
) -> Engine {
    let b = bundle();
    let store = Store::open(&StoreOptions::new(url)).await.expect("open store");
    let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &b, clock_ms(&clock))
        .await
        .expect("deploy");
    let zone = b.default_calendar().expect("calendar").timezone();
    let org = Organisation::new(b.organisation.expect("org").value);
    let opts = EngineOptions {
        node_id: node.to_owned(),
        zone,
        ..EngineOptions::default()
    };
    let mut opts = opts;
    tune(&mut opts);
    Engine::start(store, defs, org, clock, opts)
}

fn clock_ms(c: &ManualClock) -> i64 {
    use yimen_engine::runtime::Clock;
    c.now().timestamp_millis()
}

/// The actor for a bundled user.
pub fn user(e: &Engine, id: &str) -> Actor {
    Actor::for_user(e.org(), id).expect("user")
}

/// The test process's metrics recorder, installed on first use.
pub fn metrics() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("no other recorder in a test process")
    })
}

/// A summed metric's value in a rendering (`name value` lines, or `name{…} value`).
pub fn metric(rendered: &str, name: &str) -> f64 {
    rendered
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Makes `async fn NAME(backend: &str)` a test per database: `NAME::sqlite` and
/// `NAME::postgres`, so a failure on one never hides the other's result (River's per-driver
/// suite).
#[allow(unused_macros)]
macro_rules! per_backend {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name("sqlite").await
            }

            #[tokio::test]
            async fn postgres() {
                super::$name("postgres").await
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use per_backend;

/// A JSON object as a field map.
pub fn fields(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().expect("object")
}

/// An action with a comment and the given fields.
pub fn act(action: &str, f: serde_json::Value) -> yimen_engine::core::Command {
    yimen_engine::core::Command::Act {
        action: action.into(),
        fields: fields(f),
        comment: Some("理由".into()),
        expected_version: None,
        assign_to: None,
    }
}

/// The 12345 request's dispatch to the hotline itself (its handling department chosen).
pub fn dispatch_to_hotline() -> yimen_engine::core::Command {
    act("dispatch", serde_json::json!({"handling_department": "hotline_12345"}))
}

/// Reports laid out as their data: the engine's tests check figures and what is stored, the
/// real layout is `yimen-reports`' (tested there).
#[derive(Debug)]
pub struct AsData;

impl yimen_engine::reports::Render for AsData {
    fn bulletin(&self, b: &yimen_engine::reports::bulletin::Bulletin) -> yimen_engine::reports::Rendered {
        as_data(b)
    }
    fn assessment(&self, a: &yimen_engine::reports::assessment::Assessment) -> yimen_engine::reports::Rendered {
        as_data(a)
    }
    fn spot_check(&self, s: &yimen_engine::reports::spot_check::SpotCheck) -> yimen_engine::reports::Rendered {
        as_data(s)
    }
}

fn as_data<T: serde::Serialize>(v: &T) -> yimen_engine::reports::Rendered {
    let json = serde_json::to_string(v).expect("json");
    yimen_engine::reports::Rendered {
        html: format!("<pre>{json}</pre>"),
        csv: json,
    }
}

/// A scheduler over `e` with the bundled jobs (or `jobs`), laying reports out as their data.
pub fn scheduler_with(
    e: &Engine,
    jobs: yimen_engine::model::schedule::SchedulesFile,
    cal: yimen_engine::calendar::WorkCalendar,
) -> yimen_engine::runtime::scheduler::Scheduler {
    yimen_engine::runtime::scheduler::Scheduler::new(e.clone(), jobs, cal, Arc::new(AsData))
}

/// Waits (up to a minute of real time) until `check` holds, polling it.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
