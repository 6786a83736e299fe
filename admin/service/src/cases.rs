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

/// The case `id`, if `actor` may see it: not found when there is no such case, forbidden when
/// it belongs to another department or unit. The history is read only when the case is not
/// visible otherwise (to find who opened it).
pub async fn visible(s: &AppState, actor: &Actor, id: &str) -> Result<Case, Error> {
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
    let case = s.engine.case(id).await?.ok_or_else(|| no_case(id))?;
    let history = s.engine.history(id).await?;
    if !access::may_see(s.engine.org(), actor, &case, access::opener(&history)) {
        return Err(not_yours());
    }
    Ok((case, history))
}

/// Refuses a command on a case `actor` may not see (the core then decides what the command
/// may do); a case that does not exist is left for the engine to answer in its own words.
pub async fn check_visible(s: &AppState, actor: &Actor, id: &str) -> Result<(), Error> {
    match visible(s, actor, id).await {
        Err(e) if e.kind() == Kind::NotFound => Ok(()),
        r => r.map(|_| ()),
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
        "state": case.state,
        "status": case.status,
        "department": case.department,
        "due": due_of(s, case),
        "linked": true,
        "visible": false,
    })
}
