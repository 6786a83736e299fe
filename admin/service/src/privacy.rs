//! A resident's own data (PIPL art. 45: a copy on request), found by the blind index of their
//! phone or ID number, for the `yimen person export` command and the privacy page alike. Every
//! copy is recorded in the privacy log, by index, never by number.

use serde_json::{Map, Value, json};
use yimen_engine::core::fields::{is_id_number, is_phone};
use yimen_engine::model::OrganisationFile;
use yimen_engine::runtime::Definitions;
use yimen_engine::store::{Store, StoreError};

/// Why a number does not name a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonError {
    /// Neither a phone nor an ID number was given.
    Missing,
    /// The phone number is not a mainland number.
    Phone,
    /// The ID number is not a resident identity card number.
    IdNumber,
}

/// The kind and normalised value a person is looked up by, normalised as intake normalises
/// them (a phone without spaces or dashes, an ID number in capitals).
pub fn person(phone: Option<&str>, id_number: Option<&str>) -> Result<(&'static str, String), PersonError> {
    match (
        phone.map(str::trim).filter(|p| !p.is_empty()),
        id_number.map(str::trim).filter(|i| !i.is_empty()),
    ) {
        (Some(p), _) => {
            if !is_phone(p) {
                return Err(PersonError::Phone);
            }
            Ok(("phone", p.replace([' ', '-'], "")))
        }
        (None, Some(i)) => {
            let i = i.to_ascii_uppercase();
            if !is_id_number(&i) {
                return Err(PersonError::IdNumber);
            }
            Ok(("id_number", i))
        }
        (None, None) => Err(PersonError::Missing),
    }
}

/// The blind index a person is found by; `None` when the store seals nothing.
pub fn index_of(store: &Store, kind: &str, value: &str) -> Option<String> {
    store.master().map(|m| m.blind_index(kind, value))
}

/// What a copy is made from.
pub struct Sources<'a> {
    /// The store (sealing under its key).
    pub store: &'a Store,
    /// The deployed definitions.
    pub defs: &'a Definitions,
    /// The organisation (department names).
    pub org: &'a OrganisationFile,
    /// The centre's time zone.
    pub zone: chrono_tz::Tz,
}

/// Every case of the person with blind index `index` (of `kind`), their fields under their
/// Chinese labels and their histories, as a readable document; logged as an export by `by`.
pub async fn copy(
    src: &Sources<'_>,
    kind: &str,
    index: &str,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Value, usize), StoreError> {
    let Sources { store, defs, org, zone } = *src;
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string();
    let ids = store.cases_of_person(kind, index, 10_000).await?;
    let mut cases = Vec::new();
    for id in &ids {
        let Some(case) = store.case(id).await? else { continue };
        let def = defs.get(&case.case_type, case.definition_version);
        let d = def.as_ref().map(|d| &d.def);
        let label = |f: &str| {
            d.and_then(|d| d.fields.get(f))
                .map_or_else(|| f.to_owned(), |f| f.label.get("zh-CN").to_owned())
        };
        let fields: Map<String, Value> = case.fields.iter().map(|(k, v)| (label(k), v.clone())).collect();
        let history: Vec<Value> = store
            .history(id)
            .await?
            .into_iter()
            .map(|e| {
                let mut v = serde_json::to_value(&e.event).unwrap_or_default();
                v["at"] = json!(local(e.event.at));
                v
            })
            .collect();
        cases.push(json!({
            "case": case.id,
            "case_type": d.map_or_else(|| case.case_type.clone(), |d| d.name.get("zh-CN").to_owned()),
            "opened": local(case.opened_at),
            "closed": case.closed_at.map(local),
            "state": d
                .and_then(|d| d.states.get(&case.state))
                .map_or_else(|| case.state.clone(), |s| s.name.get("zh-CN").to_owned()),
            "department": org
                .departments
                .get(&case.department)
                .map_or_else(|| case.department.clone(), |dep| dep.name.get("zh-CN").to_owned()),
            "fields": fields,
            "history": history,
        }));
    }
    let doc = json!({
        "title": "个人信息副本（《中华人民共和国个人信息保护法》第四十五条）",
        "exported": local(now),
        "by": by,
        "cases": cases,
    });
    store
        .log_privacy(
            by,
            "export",
            &format!("{kind}:{index}"),
            &ids.len().to_string(),
            now.timestamp_millis(),
        )
        .await?;
    Ok((doc, ids.len()))
}
