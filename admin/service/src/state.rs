//! What the API's handlers and the pages share: the engine and the server's settings, and the
//! list of routes (filled when the router is built).

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use yimen_engine::runtime::Engine;

use crate::access::Access;

/// The largest request body accepted.
pub const MAX_BODY: usize = 256 * 1024;

/// What the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// The token gateways present with delivery reports.
    pub report_token: String,
    /// The periodic jobs, when the workflows declare any.
    pub scheduler: Option<yimen_engine::runtime::scheduler::Scheduler>,
    /// Mark the session cookie `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// The route table (filled when the router is built; the OpenAPI document is made from it).
    pub routes: OnceLock<Vec<RouteInfo>>,
    /// The workflows directory the server loaded (authoring writes deployed files back here).
    pub workflows: Option<std::path::PathBuf>,
    /// The bundle loaded at start (calendars and ladders for reloading definitions).
    pub bundle: Option<Arc<yimen_engine::load::Bundle>>,
    /// The centre's time zone, for showing instants (taken from the calendar on first use).
    pub tz: OnceLock<chrono_tz::Tz>,
    /// Rate limits and time-outs (per node).
    pub limits: crate::limits::Limits,
}

impl AppState {
    /// The centre's time zone: its organisation's calendar's, else the engine's.
    pub fn centre_tz(&self) -> chrono_tz::Tz {
        *self.tz.get_or_init(|| {
            self.bundle
                .as_ref()
                .and_then(|b| b.default_calendar())
                .map_or_else(|| self.engine.zone(), yimen_engine::calendar::WorkCalendar::timezone)
        })
    }

    /// Today's date in the centre, by the engine's clock.
    pub fn today(&self) -> NaiveDate {
        self.engine.now().with_timezone(&self.centre_tz()).date_naive()
    }

    /// An instant in the centre's time zone, to the minute.
    pub fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.centre_tz()).format("%Y-%m-%d %H:%M").to_string()
    }
}

/// One route as the route table records it.
#[derive(Debug, Clone, Serialize)]
pub struct RouteInfo {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path pattern (`/api/v1/cases/{id}`).
    pub path: &'static str,
    /// Who may call it.
    #[serde(serialize_with = "access_name")]
    pub access: Access,
    /// What it does, in one line.
    pub summary: &'static str,
}

fn access_name<S: serde::Serializer>(a: &Access, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.as_str())
}

impl RouteInfo {
    /// Whether the route is part of the JSON API (problem details) rather than a page.
    pub fn is_api(&self) -> bool {
        is_api_path(self.path)
    }
}

/// Whether a path answers in JSON (API, Open311, machine endpoints) rather than HTML.
pub fn is_api_path(path: &str) -> bool {
    ["/api/", "/open311/", "/metrics", "/healthz"]
        .iter()
        .any(|p| path.starts_with(p))
}
