//! Which cases an actor may see, and a case as the actor may see it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use yimen_engine::core::{Actor, Case};
use yimen_engine::store::cases::StoredEvent;

use crate::access;
use crate::error::{Error, Kind};
use crate::state::AppState;

fn no_case(id: &str) -> Error {
    Error::new(Kind::NotFound, "case_not_found", format!("there is no case `{id}`"))
}

fn not_yours() -> Error {
    Error::new(
        Kind::Forbidden,
        "not_allowed",
        "this case belongs to another department or unit",
    )
}

/// The id of the case a person means by `text`: its id, its number (案件编号), or a start of
/// its id that no other case has. Not found when none matches; invalid when several do.
pub async fn resolve(s: &AppState, text: &str) -> Result<String, Error> {
    if let Some(id) = yimen_engine::store::numbers::as_case_id(text) {
        return Ok(id);
    }
    if text.chars().count() > 200 {
        return Err(no_case(&text.chars().take(40).collect::<String>()));
    }
    match s.engine.store().resolve_case(text).await {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(no_case(text)),
        Err(yimen_engine::store::StoreError::Ambiguous(why)) => Err(Error::new(Kind::Invalid, "case_ambiguous", why)),
        Err(e) => Err(e.into()),
    }
}

/// The case `id` (or number, as [`resolve`]), if `actor` may see it: not found when there is no
/// such case, forbidden when it belongs to another department or unit. The history is read only
/// when the case is not visible otherwise (to find who opened it).
pub async fn visible(s: &AppState, actor: &Actor, id: &str) -> Result<Case, Error> {
    let id = &resolve(s, id).await?;
    let case = s.engine.case(id).await?.ok_or_else(|| no_case(id))?;
    let org = s.engine.org();
    if access::may_see(org, actor, &case, None) {
        return Ok(case);
    }
    let history = s.engine.history(id).await?;
    if access::may_see(org, actor, &case, access::opener(&history)) {
        Ok(case)
    } else {
        Err(not_yours())
    }
}

/// The case `id` with its history, if `actor` may see it (as [`visible`]).
pub async fn visible_case(s: &AppState, actor: &Actor, id: &str) -> Result<(Case, Vec<StoredEvent>), Error> {
    let id = &resolve(s, id).await?;
    let case = s.engine.case(id).await?.ok_or_else(|| no_case(id))?;
    let history = s.engine.history(id).await?;
    if !access::may_see(s.engine.org(), actor, &case, access::opener(&history)) {
        return Err(not_yours());
    }
    Ok((case, history))
}

/// Refuses a command on a case `actor` may not see (the core then decides what the command
/// may do); returns the case's id (`id` may be its number). A case that does not exist is left
/// for the engine to answer in its own words.
pub async fn check_visible(s: &AppState, actor: &Actor, id: &str) -> Result<String, Error> {
    match visible(s, actor, id).await {
        Err(e) if e.kind() == Kind::NotFound => Ok(id.to_owned()),
        r => r.map(|c| c.id.to_string()),
    }
}

/// A case as the acting user may see it, after a command.
pub fn shown(s: &AppState, actor: &Actor, case: &Case) -> Value {
    let def = s.engine.definitions().get(&case.case_type, case.definition_version);
    access::view_case(
        def.as_ref().map(|d| &d.def),
        case,
        None,
        access::sees_personal_data(s.engine.org(), actor),
    )
}

/// The due instant of a case's running SLA clock, if it has one.
pub fn due_of(s: &AppState, case: &Case) -> Option<DateTime<Utc>> {
    let def = s.engine.definitions().get(&case.case_type, case.definition_version)?;
    let clock = case.sla.as_ref().filter(|c| c.running())?;
    clock
        .derive(&def.calendar, &def.warn_at, s.engine.now())
        .ok()
        .flatten()
        .map(|d| d.due)
}

/// What someone who may not see a case is told when their complaint was linked to it.
pub fn linked_summary(s: &AppState, case: &Case) -> Value {
    json!({
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "status": case.status,
        "department": case.department,
        "due": due_of(s, case),
        "linked": true,
        "visible": false,
    })
}
