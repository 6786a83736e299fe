//! `yimen-service`: the layer the JSON API and the pages both stand on. It decides who may see
//! and do what ([`access`]), signs people in ([`auth`], [`session`]), limits rates
//! ([`limits`]), finds the cases an actor may see ([`cases`]) and checks and deploys edited
//! workflows ([`authoring`]). It knows no HTTP framework: its one error, [`Error`], says which
//! kind of refusal it is, and the API and the pages each say it in their own form.
#![warn(clippy::too_many_lines)]

pub mod absences;
pub mod access;
pub mod auth;
pub mod authoring;
pub mod cases;
pub mod error;
pub mod export;
pub mod files;
pub mod limits;
pub mod list;
pub mod metrics;
pub mod privacy;
pub mod session;
pub mod state;
pub mod team;

pub use error::{Error, Kind};
pub use session::{Authed, Session};
pub use state::{AppState, MAX_BODY, RouteInfo, is_api_path};

/// Text escaped for HTML (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}
