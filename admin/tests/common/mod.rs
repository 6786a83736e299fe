//! The application over a scratch SQLite database with the bundled workflows, called in
//! process through its router; one account and API token per role of the organisation.
#![allow(dead_code)]

#[allow(dead_code)]
pub mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use yimen::app::routes;
use yimen_engine::core::{Actor, Organisation};
use yimen_engine::load::{LoadOptions, load_dir};
use yimen_engine::runtime::scheduler::Scheduler;
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::store::accounts::Account;
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;
use yimen_service::{AppState, RouteInfo};

/// The running application.
pub struct App {
    pub router: Router,
    pub routes: Vec<RouteInfo>,
    pub engine: Engine,
    /// An API token per account id (a new one after [`App::with_password`]).
    pub tokens: std::sync::Mutex<BTreeMap<String, String>>,
    /// For each role, the account that holds it (and only it).
    pub by_role: BTreeMap<String, String>,
    pub _dir: tempfile::TempDir,
    /// The scratch PostgreSQL database, dropped with the app.
    pub pg: Option<PgScratch>,
}

/// A scratch PostgreSQL database for one app, dropped (with its connections) when the app is.
pub struct PgScratch {
    base: String,
    name: String,
}

impl PgScratch {
    async fn new() -> (PgScratch, String) {
        let base = std::env::var("YIMEN_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        use std::hash::{BuildHasher, RandomState};
        let tag = RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000_000;
        let name = format!("yimen_app_{}_{tag}", std::process::id());
        let admin = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at {base}: {e}; scripts/test.sh starts it and sets YIMEN_TEST_DATABASE_URL")
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        let url = match base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{name}"),
            None => panic!("YIMEN_TEST_DATABASE_URL must name a database"),
        };
        (PgScratch { base, name }, url)
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // A runtime of its own: the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = sqlx::PgPool::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Makes `async fn NAME(backend: &str)` a router test per database: `NAME::sqlite` and
/// `NAME::postgres`.
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

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

/// Generous rate limits: tests of the limits themselves set their own.
fn generous() -> yimen_service::limits::LimitSettings {
    yimen_service::limits::LimitSettings {
        sign_ins_per_minute: 1_000_000,
        openings_per_minute: 1_000_000,
        uploads_per_minute: 1_000_000,
        ..Default::default()
    }
}

impl App {
    /// The application on SQLite.
    pub async fn start() -> App {
        Self::on_with("sqlite", generous()).await
    }

    /// The application on `backend` (`sqlite` or `postgres`).
    pub async fn on(backend: &str) -> App {
        Self::on_with(backend, generous()).await
    }

    /// The application on SQLite with these limits.
    pub async fn start_with(limits: yimen_service::limits::LimitSettings) -> App {
        Self::on_with("sqlite", limits).await
    }

    /// The application on `backend` with these limits.
    pub async fn on_with(backend: &str, limits: yimen_service::limits::LimitSettings) -> App {
        Self::build(backend, limits, |_| {}).await
    }

    /// The application on `backend` with its copy of the bundled workflows changed by `edit`
    /// (given the copy's directory) before they load.
    pub async fn on_edited(backend: &str, edit: impl FnOnce(&Path)) -> App {
        Self::build(backend, generous(), edit).await
    }

    async fn build(backend: &str, limits: yimen_service::limits::LimitSettings, edit: impl FnOnce(&Path)) -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        // Authoring writes deployed files back: give it its own copy of the workflows.
        let wf = dir.path().join("workflows");
        copy(&workflows(), &wf);
        edit(&wf);
        let opts = LoadOptions {
            today: yimen_engine::Today::At(chrono::Utc::now()),
            limits: Limits::default(),
        };
        let (bundle, diags) = load_dir(&wf, &opts);
        assert!(!diags.has_errors(), "the bundled workflows load");
        let (url, pg) = match backend {
            "sqlite" => (format!("sqlite://{}", dir.path().join("app.db").display()), None),
            _ => {
                let (pg, url) = PgScratch::new().await;
                (url, Some(pg))
            }
        };
        let store = Store::open(&StoreOptions::new(&url)).await.expect("store");
        let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &bundle, 0)
            .await
            .expect("deploy");
        let org_file = bundle.organisation.as_ref().expect("org").value.clone();
        let org = Organisation::new(org_file.clone());
        // As `serve` does: personal data sealed under a master key.
        let master = Arc::new(yimen_engine::seal::MasterKey::generate(
            yimen_engine::seal::Suite::Sm4GcmSm3,
        ));
        let opts = EngineOptions {
            master: Some(master),
            ..EngineOptions::default()
        };
        let engine = Engine::start(store, defs, org, Arc::new(SystemClock), opts);
        let scheduler = match (&bundle.schedules, bundle.default_calendar()) {
            (Some(s), Some(cal)) => Some(Scheduler::new(
                engine.clone(),
                s.value.clone(),
                cal.clone(),
                Arc::new(yimen_reports::Reports::new(&engine.org().file.centre.locale)),
            )),
            _ => None,
        };
        // The organisation's users as accounts, and one account per role holding only it.
        let mut tokens = BTreeMap::new();
        let mut by_role = BTreeMap::new();
        let store = engine.store();
        let mut accounts: Vec<Account> = org_file
            .users
            .iter()
            .map(|(id, u)| account(id, u.roles.clone(), u.department.clone(), &u.unit))
            .collect();
        let district = engine.org().district().to_owned();
        for (role, _) in &org_file.roles {
            let holder = org_file
                .users
                .iter()
                .find(|(_, u)| u.roles.len() == 1 && u.roles[0] == *role)
                .map(|(id, _)| id.clone());
            let id = match holder {
                Some(h) => h,
                None => {
                    let id = format!("only_{role}");
                    let dept = org_file.departments.keys().next().cloned();
                    accounts.push(account(&id, vec![role.clone()], dept, &district));
                    id
                }
            };
            by_role.insert(role.clone(), id);
        }
        for a in &accounts {
            assert!(store.add_account(a, 0).await.expect("add"));
            let token = yimen_service::auth::random_secret().expect("secret");
            assert!(
                store
                    .add_token(&token, &a.id, "test", 0, i64::MAX)
                    .await
                    .expect("token")
            );
            tokens.insert(a.id.clone(), token);
        }
        let state = Arc::new(AppState {
            engine: engine.clone(),
            report_token: "report-token".into(),
            scheduler,
            secure_cookies: false,
            routes: std::sync::OnceLock::new(),
            tz: std::sync::OnceLock::new(),
            limits: yimen_service::limits::Limits::new(limits),
            workflows: Some(wf),
            bundle: Some(Arc::new(bundle)),
        });
        let (router, routes) = routes(state);
        App {
            router,
            routes,
            engine,
            tokens: std::sync::Mutex::new(tokens),
            by_role,
            _dir: dir,
            pg,
        }
    }

    /// The API token of `user`.
    pub fn token(&self, user: &str) -> String {
        self.tokens
            .lock()
            .expect("tokens")
            .get(user)
            .cloned()
            .unwrap_or_else(|| panic!("no token for {user}"))
    }

    /// Gives `user` this password. Setting a password ends the account's sessions and tokens,
    /// so the account gets a new API token for the test to go on with.
    pub async fn with_password(&self, user: &str, password: &str) {
        let store = self.engine.store();
        let hash = yimen_service::auth::hash_password(password.to_owned())
            .await
            .expect("hash");
        assert!(store.set_password(user, &hash).await.expect("set"));
        let token = yimen_service::auth::random_secret().expect("secret");
        let name = format!("test-{}", &token[..8]);
        assert!(store.add_token(&token, user, &name, 0, i64::MAX).await.expect("token"));
        self.tokens.lock().expect("tokens").insert(user.to_owned(), token);
    }

    /// Sends a request as `user` (anonymous when `None`) with an optional body.
    pub async fn send(&self, user: Option<&str>, method: &str, path: &str, body: Option<(&str, String)>) -> Resp {
        self.send_as(user, None, method, path, body).await
    }

    /// Sends a request as `user`, as if from the address `peer` (the accept loop puts a
    /// connection's address in the request; requests made in the process have none).
    pub async fn send_as(
        &self,
        user: Option<&str>,
        peer: Option<[u8; 4]>,
        method: &str,
        path: &str,
        body: Option<(&str, String)>,
    ) -> Resp {
        self.send_with(user, peer, &[], method, path, body).await
    }

    /// Sends a request as `user` with extra headers (a language cookie, `Accept-Language`).
    pub async fn send_with(
        &self,
        user: Option<&str>,
        peer: Option<[u8; 4]>,
        headers: &[(&str, &str)],
        method: &str,
        path: &str,
        body: Option<(&str, String)>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(u) = user {
            let t = self.token(u);
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut req = match body {
            Some((ty, b)) => req.header("content-type", ty).body(Body::from(b)),
            None => req.body(Body::empty()),
        }
        .expect("request");
        if let Some(ip) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40_000))));
        }
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Sends bytes as `user` and reads the answer's bytes (files up and down).
    #[allow(dead_code)]
    pub async fn raw(
        &self,
        user: &str,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token(user)))
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = axum::body::to_bytes(resp.into_body(), 128 * 1024 * 1024)
            .await
            .expect("body");
        (status, headers, bytes.to_vec())
    }

    /// Signs in with a password through the API, from the address `peer`.
    pub async fn sign_in_from(&self, peer: [u8; 4], user: &str, password: &str) -> Resp {
        let body = serde_json::json!({"user": user, "password": password}).to_string();
        self.send_as(
            None,
            Some(peer),
            "POST",
            "/api/v1/session",
            Some(("application/json", body)),
        )
        .await
    }

    pub async fn json(&self, user: &str, method: &str, path: &str, body: serde_json::Value) -> Resp {
        self.send(Some(user), method, path, Some(("application/json", body.to_string())))
            .await
    }

    pub async fn form(&self, user: &str, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.send(
            Some(user),
            "POST",
            path,
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    /// Posts a form as `user` on pages in English (the language cookie set).
    #[allow(dead_code)]
    pub async fn form_in_english(&self, user: &str, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let english = [("cookie", "yimen_lang=en")];
        let form = Some(("application/x-www-form-urlencoded", body));
        self.send_with(Some(user), None, &english, "POST", path, form).await
    }

    /// The acting user an account stands for.
    pub fn actor(&self, id: &str) -> Actor {
        Actor::for_user(self.engine.org(), id).unwrap_or_else(|| panic!("{id} is a user of the organisation"))
    }
}

fn account(id: &str, roles: Vec<String>, department: Option<String>, unit: &str) -> Account {
    Account {
        id: id.to_owned(),
        name: id.to_owned(),
        roles,
        department,
        unit: unit.to_owned(),
        email: None,
        mobile: None,
        active: true,
        failed_attempts: 0,
        locked_until: None,
        password_hash: None,
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}

/// Opens a 12345 service request as the hotline clerk (`clerk_xia`), registered at `unit` (or
/// where the clerk works): the case as the API answers it (201 asserted).
pub async fn open_request(
    app: &App,
    unit: Option<&str>,
    category: &str,
    content: &str,
    phone: &str,
) -> serde_json::Value {
    let mut body = serde_json::json!({"case_type": "service_request_12345", "channel": "hotline_12345",
        "fields": {"caller": "李某", "caller_phone": phone, "category": category, "content": content}});
    if let Some(u) = unit {
        body["unit"] = u.into();
    }
    let r = app.json("clerk_xia", "POST", "/api/v1/cases", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}
