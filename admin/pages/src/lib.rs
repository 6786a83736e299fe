//! The pages: server-rendered HTML for staff, supervisors and admins, in Chinese by default
//! with English available, no build step and no script needed (a small `app.js` only adds
//! conveniences). Every page is a route in the same table as the API, behind the same guard,
//! and calls the same engine; forms carry the session's CSRF token, which the guard checks.
//!
//! Templates are askama files under `admin/pages/templates/`, compiled and type-checked with the
//! binary; every value is HTML-escaped unless a template says otherwise (only the reports'
//! own HTML and server-made SVG are inserted as they are).
#![warn(clippy::too_many_lines)]

mod accounts;
mod authoring;
mod away;
mod board;
mod case;
mod case_actions;
mod case_files;
mod case_history;
mod cases;
mod fields;
mod frame;
pub mod i18n;
mod inbox;
mod intake;
mod login;
mod notices;
mod ops;
mod privacy;
mod receipt;
mod reports;
mod team;
mod texts;
mod texts_away;
mod texts_files;
mod texts_list;
mod texts_tasks;
mod texts_words;

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use yimen_engine::core::Actor;

pub use i18n::Lang;

pub use frame::framed_errors;
use yimen_http::Authed;
use yimen_http::{AppState, Table};
pub use yimen_http::{error_page, url_encode};
use yimen_service::access::{self, Access};
pub use yimen_service::esc;

/// Adds the pages to the route table.
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::{Oversight, Public, SignedIn};
    let t = t
        .add(Method::GET, "/", Public, "Home: the inbox, or the sign-in page", home)
        .add(Method::GET, "/static/{file}", Public, "Style sheet and script", asset)
        .add(Method::GET, "/lang/{lang}", Public, "Switch the language (zh-CN, en)", set_lang)
        .add(Method::GET, "/login", Public, "Sign-in page", login::page)
        .add(Method::POST, "/login", Public, "Sign in", login::submit)
        .add(Method::POST, "/logout", SignedIn, "Sign out", login::logout)
        .add(Method::GET, "/inbox", SignedIn, "Inbox", inbox::page)
        .add(Method::POST, "/tasks/{task}/claim", SignedIn, "Claim a task", inbox::claim)
        .add(Method::POST, "/tasks/{task}/release", SignedIn, "Release a task", inbox::release)
        .add(Method::POST, "/tasks/{task}/reassign", SignedIn, "Give a task to a colleague, with a reason", team::reassign)
        .add(Method::POST, "/tasks/bulk", SignedIn, "Claim or give many tasks at once", team::bulk)
        .add(Method::GET, "/away", SignedIn, "Absences and who stands in", away::page)
        .add(Method::POST, "/away", SignedIn, "Set an absence", away::set)
        .add(Method::POST, "/away/{id}/cancel", SignedIn, "Call an absence off", away::cancel)
        .add(Method::GET, "/team", SignedIn, "A department's work by person (heads, dispatching clerks)", team::page)
        .add(Method::GET, "/intake", SignedIn, "Intake: choose a case type", intake::choose)
        .add(Method::GET, "/intake/{case_type}", SignedIn, "Intake form", intake::form)
        .add(Method::POST, "/intake/{case_type}", SignedIn, "Register a case", intake::submit)
        .add(Method::GET, "/cases", SignedIn, "Case list: search, filters, export", cases::page)
        .add(Method::POST, "/cases/person", SignedIn, "Find a citizen's cases (the number posted, never in a link)", cases::person)
        .add(Method::GET, "/cases/{id}", SignedIn, "Case detail", case_actions::page)
        .add(Method::GET, "/cases/{id}/receipt", SignedIn, "Intake receipt to print", receipt::page)
        .add(Method::POST, "/cases/{id}/act", SignedIn, "Take an action", case_actions::act)
        .add(Method::POST, "/cases/{id}/attachments", SignedIn, "Add files to a case", case_actions::upload)
        .add(Method::GET, "/cases/{id}/attachments/{file}", SignedIn, "Download a file (recorded in the history)", case_files::download)
        .add(Method::GET, "/cases/{id}/attachments/{file}/thumbnail", SignedIn, "An image's thumbnail", case_files::thumbnail)
        .add(Method::POST, "/cases/{id}/comment", SignedIn, "Comment", case_actions::comment)
        .add(Method::POST, "/cases/{id}/visit", SignedIn, "Record a visit", case_actions::visit)
        .add(Method::POST, "/cases/{id}/reveal", SignedIn, "Reveal personal data (audited)", case_actions::reveal)
        .add(Method::POST, "/cases/{id}/extend", SignedIn, "Extend the SLA", case_actions::extend)
        .add(Method::POST, "/cases/{id}/escalate", SignedIn, "Escalate by hand", case_actions::escalate)
        .add(Method::POST, "/supervision/{record}/answer", SignedIn, "Answer a supervision record", case_actions::answer)
        .add(Method::POST, "/supervision/{record}/review", Oversight, "Review an answer", case_actions::review)
        .add(Method::GET, "/supervision", Oversight, "Supervision board", board::page)
        .add(Method::GET, "/reports", Oversight, "Reports", reports::list)
        .add(Method::GET, "/reports/{job}/{period}", Oversight, "One report", reports::show);
    let t = authoring::routes(t);
    let t = accounts::routes(t);
    let t = privacy::routes(t);
    ops::routes(t)
}

/// What every page knows about the request: who, in which language, at which path.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The signed-in user, if any.
    pub authed: Option<Authed>,
    /// The page language.
    pub lang: Lang,
    /// The path and query, to come back to after switching language or signing in.
    pub here: String,
}

impl Ctx {
    /// The acting user (pages behind a signed-in rule always have one).
    #[allow(clippy::result_large_err)]
    pub fn actor(&self) -> Result<&Actor, Response> {
        self.authed
            .as_ref()
            .map(|a| &a.actor)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }

    /// The session's CSRF token for forms.
    pub fn csrf(&self) -> String {
        self.authed
            .as_ref()
            .and_then(|a| a.session.as_ref())
            .map(|s| s.csrf.clone())
            .unwrap_or_default()
    }
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _s: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let lang = yimen_http::words::page_lang(&parts.headers);
        Ok(Ctx {
            authed: parts.extensions.get::<Authed>().cloned(),
            lang,
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

/// A link in the header.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where.
    pub href: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Whether it is the current section.
    pub active: bool,
}

/// The frame around every page: title, header, navigation, language switch, sign-out.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The language.
    pub lang: Lang,
    /// The page title.
    pub title: String,
    /// The centre's name.
    pub centre: String,
    /// Who is signed in (`name (id)`), if anyone.
    pub user: Option<String>,
    /// The user's roles, named.
    pub roles: String,
    /// The CSRF token for forms.
    pub csrf: String,
    /// The sections this user may open.
    pub nav: Vec<NavLink>,
    /// The current path, for the language switch.
    pub here: String,
}

impl Chrome {
    /// A UI text in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The `lang` attribute.
    pub fn lang_tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The path to come back to, encoded for a query string.
    pub fn here_encoded(&self) -> String {
        url_encode(&self.here)
    }
}

/// Builds the frame for a page in section `section`.
pub fn chrome(s: &AppState, ctx: &Ctx, section: &str, title: impl Into<String>) -> Chrome {
    let org = s.engine.org();
    let loc = ctx.lang.tag();
    let mut nav = Vec::new();
    let mut roles = String::new();
    let mut user = None;
    if let Some(a) = &ctx.authed {
        let actor = &a.actor;
        let mut add = |href: &'static str, key: &str| {
            nav.push(NavLink {
                href,
                label: i18n::t(ctx.lang, key),
                active: section == key,
            });
        };
        add("/inbox", "nav.inbox");
        add("/cases", "nav.cases");
        add("/intake", "nav.intake");
        if yimen_service::team::queue_of(org, actor).is_some() {
            add("/team", "nav.team");
        }
        if access::oversees(org, actor) {
            add("/supervision", "nav.supervision");
            add("/reports", "nav.reports");
        }
        if org.is_admin(&actor.roles) {
            add("/admin/workflows", "nav.workflows");
            add("/admin/ops", "nav.ops");
        }
        let name = org
            .user(&actor.id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| actor.id.to_string());
        user = Some(format!("{name} ({})", actor.id));
        roles = actor
            .roles
            .iter()
            .map(|r| org.file.roles.get(r).map_or(r.as_str(), |x| x.name.get(loc)).to_owned())
            .collect::<Vec<_>>()
            .join("、");
    }
    Chrome {
        lang: ctx.lang,
        title: title.into(),
        centre: org.file.centre.name.get(loc).to_owned(),
        user,
        roles,
        csrf: ctx.csrf(),
        nav,
        here: ctx.here.clone(),
    }
}

/// The name of a department in `loc` (its id when the organisation has none).
pub fn department_name(s: &AppState, id: &str, loc: &str) -> String {
    s.engine
        .org()
        .file
        .departments
        .get(id)
        .map_or_else(|| id.to_owned(), |d| d.name.get(loc).to_owned())
}

/// The trimmed, non-empty value of `name` in a submitted form.
pub fn form_value(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Renders a template as a page (a template error is a 500 page, never a panic).
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("page template failed: {e}");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be drawn")
        }
    }
}

/// An instant in the centre's time zone, to the minute.
pub fn local(s: &AppState, t: DateTime<Utc>) -> String {
    s.local(t)
}

/// An instant given in UTC milliseconds, as [`local`].
pub fn local_ms(s: &AppState, ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(String::new, |t| local(s, t))
}

/// The page when the database could not answer: logged, said plainly, never shown as empty
/// figures.
pub fn store_down(lang: Lang, e: impl std::fmt::Display) -> Response {
    tracing::error!("a page could not read the store: {e}");
    error_page(StatusCode::SERVICE_UNAVAILABLE, i18n::t(lang, "error.store"))
}

/// A refusal of the service layer or the API as a page with its status.
pub fn refusal_page(e: impl Into<yimen_http::ApiError>) -> Response {
    let e = e.into();
    yimen_http::error_page_coded(e.status(), e.code(), e.detail())
}

/// A redirect after a form (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Only paths of this site are followed after sign-in or a language switch: the target is
/// parsed as a browser would (WHATWG URL) against a placeholder origin and kept only when it
/// stays on that origin. Control characters, white space and backslashes (which browsers drop
/// or read as `/`), `//` and schemes, also when percent-encoded, give the home page instead.
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(n) = next else { return HOME.to_owned() };
    let path = n.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decoded(path);
    let suspicious =
        |s: &str| !s.starts_with('/') || s.starts_with("//") || s.chars().any(|c| c.is_control() || c == '\\');
    if n.len() > 2000 || n.chars().any(char::is_whitespace) || suspicious(n) || suspicious(&decoded) {
        return HOME.to_owned();
    }
    let Ok(base) = url::Url::parse("http://origin.invalid/") else {
        return HOME.to_owned();
    };
    match base.join(n) {
        Ok(u) if u.origin() == base.origin() && !u.path().starts_with("//") => {
            let mut out = u.path().to_owned();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            out
        }
        _ => HOME.to_owned(),
    }
}

/// `s` with its `%XX` escapes decoded (as text; invalid UTF-8 replaced).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn home(ctx: Ctx) -> Response {
    if ctx.authed.is_some() {
        Redirect::to("/inbox").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

async fn set_lang(
    axum::extract::Path(lang): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let tag = if lang == "en" { "en" } else { "zh-CN" };
    let mut r = see_other(&safe_next(q.get("back").map(String::as_str)));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={tag}; Path=/; Max-Age=31536000; SameSite=Lax",
        i18n::LANG_COOKIE
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
/// The workflow editor, bundled by `tools/editor/build.sh` (the authoring page alone loads it).
const EDITOR_JS: &str = include_str!("../static/editor.js");

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, ty) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "editor.js" => (EDITOR_JS, "text/javascript; charset=utf-8"),
        _ => return error_page(StatusCode::NOT_FOUND, "no such file"),
    };
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
