//! Personal data sealed at the store's boundary. The pure core sees plain values; what the store
//! writes holds each personal value sealed with its case's data key (see [`crate::seal`]), and
//! what it reads is opened again — or, once the case's key is destroyed, marked deleted.
//!
//! What is sealed, for a case with a key:
//! - in the aggregate, every field its case type marks personal (`pii`, or by default a person,
//!   phone or ID number), and the repeat key (a digest of the citizen's phone and the matter);
//! - in its history, the same fields wherever an event carries fields (opened, an action, a
//!   repeat), and the free text staff write (an action's comment, a comment);
//! - the stored answer of an idempotent request (the case as it was), as the aggregate;
//! - a citizen's address on a delivery (`deliveries.sealed_address`).
//!
//! A sealed field value is a JSON object `{"sealed": "ymn1.<suite>.<hex>"}` — no field value
//! the core accepts is an object, so it cannot be mistaken for input — and a sealed text (a
//! comment, the repeat key) is the `ymn1.…` text itself: for a case with a key, every such text
//! is sealed, so none is ever taken for input either. Each value is bound to its case and to
//! where it sits (`fields.phone`, `event 3 comment`), so a value copied elsewhere does not open.
//! Once shredded, a field reads as `{"deleted_at": MS, "rule": …}` and a text as empty.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::StoreError;
use super::batch::PersonRow;
use crate::core::case::Case;
use crate::core::event::{Event, EventKind};
use crate::model::case_type::{CaseTypeFile, FieldType};
use crate::seal::{DataKey, MasterKey, SealError, Suite, is_sealed};

/// A case's key as the store holds it.
#[derive(Debug, Clone)]
pub enum CaseKey {
    /// No key: the case was written unsealed (a store opened without a master key, or a case
    /// from before sealing that `yimen keys seal-existing` has not reached yet).
    Plain,
    /// Its data key.
    Live(Arc<DataKey>),
    /// Sealed, read by a store without the master key: its values stay sealed (a reader that
    /// needs no personal data, such as a timeline or an audit, never decrypts any). Never written.
    Unopened,
    /// Its data key was destroyed: its personal data is gone for good.
    Shredded {
        /// When (UTC ms).
        at_ms: i64,
        /// Under which rule.
        rule: String,
    },
}

/// The digest of a case's hash-chained history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// SHA-256 (every case written before sealing, and the AES suite's).
    Sha256,
    /// SM3 (GB/T 32905), the national suite's.
    Sm3,
}

impl Chain {
    /// The chain a new case of an installation with `suite` gets.
    pub fn of(suite: Suite) -> Chain {
        match suite {
            Suite::Aes256GcmSha256 => Chain::Sha256,
            Suite::Sm4GcmSm3 => Chain::Sm3,
        }
    }

    /// Its stored name.
    pub fn name(self) -> &'static str {
        match self {
            Chain::Sha256 => "sha256",
            Chain::Sm3 => "sm3",
        }
    }

    /// The chain a stored name names.
    pub fn parse(s: &str) -> Option<Chain> {
        match s {
            "sha256" => Some(Chain::Sha256),
            "sm3" => Some(Chain::Sm3),
            _ => None,
        }
    }

    /// The hash of an event given the previous hash: the digest over the previous hash, the
    /// case, the position, the time, the actor and the stored payload (sealed values as sealed,
    /// so destroying a case's key leaves its chain whole).
    pub fn event_hash(self, prev: &str, case_id: &str, seq: i64, at_ms: i64, actor: &str, payload: &str) -> String {
        let text = format!("{prev}\n{case_id}\n{seq}\n{at_ms}\n{actor}\n{payload}");
        match self {
            Chain::Sha256 => super::sha256_hex(&text),
            Chain::Sm3 => Suite::Sm4GcmSm3.digest_hex(text.as_bytes()),
        }
    }
}

/// Data keys already unwrapped, by case: (the wrapped form they came from, the key). Bounded:
/// emptied when full. A hit spares an unwrapping (an AEAD decryption) on every load of a busy
/// case; the wrapped form must match, so a rotated or destroyed key is never served from here.
#[derive(Debug, Clone, Default)]
pub struct KeyCache(Arc<std::sync::Mutex<CachedKeys>>);

/// Case → (the wrapped form, the unwrapped key).
type CachedKeys = std::collections::HashMap<String, (String, Arc<DataKey>)>;

/// The most data keys kept unwrapped.
const KEY_CACHE_MAX: usize = 50_000;

impl KeyCache {
    fn get(&self, case_id: &str, wrapped: &str) -> Option<Arc<DataKey>> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(case_id).filter(|(w, _)| w == wrapped).map(|(_, k)| k.clone())
    }

    /// Keeps a case's unwrapped key.
    pub fn put(&self, case_id: &str, wrapped: &str, key: Arc<DataKey>) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= KEY_CACHE_MAX {
            map.clear();
        }
        map.insert(case_id.to_owned(), (wrapped.to_owned(), key));
    }

    /// Forgets a case's key (it was destroyed).
    pub fn forget(&self, case_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(case_id);
    }
}

/// The sealed values of a case as read, by place: (the plain value's JSON text, the value as
/// stored). Writing the case back reuses a sealed value whose plain value has not changed, so an
/// unchanged field is not sealed again on every command.
pub type SealedValues = std::collections::HashMap<String, (String, Value)>;

/// A row of `case_keys` as read beside a case (all `None` when the case has none).
pub(crate) type KeyColumns = (Option<String>, Option<String>, Option<i64>, Option<String>);

/// The SQL that reads [`KeyColumns`] from `case_keys k` joined to a case.
pub(crate) const KEY_COLUMNS: &str = "k.wrapped, k.chain, k.shredded_at, k.shred_rule";

/// A case's key and chain from its `case_keys` columns.
pub(crate) fn case_key(
    master: Option<&MasterKey>,
    cache: &KeyCache,
    case_id: &str,
    (wrapped, chain, shredded_at, rule): KeyColumns,
) -> Result<(CaseKey, Chain), StoreError> {
    let Some(chain) = chain else {
        return Ok((CaseKey::Plain, Chain::Sha256));
    };
    let chain =
        Chain::parse(&chain).ok_or_else(|| StoreError::Corrupt(format!("case {case_id}: unknown chain `{chain}`")))?;
    if let Some(at_ms) = shredded_at {
        let rule = rule.unwrap_or_default();
        return Ok((CaseKey::Shredded { at_ms, rule }, chain));
    }
    let wrapped = wrapped.ok_or_else(|| StoreError::Corrupt(format!("case {case_id}: its data key is missing")))?;
    let Some(master) = master else {
        return Ok((CaseKey::Unopened, chain));
    };
    if let Some(key) = cache.get(case_id, &wrapped) {
        return Ok((CaseKey::Live(key), chain));
    }
    let key = Arc::new(
        master
            .unwrap(case_id, &wrapped)
            .map_err(|e| StoreError::Sealed(format!("the data key of case {case_id}: {e}")))?,
    );
    cache.put(case_id, &wrapped, key.clone());
    Ok((CaseKey::Live(key), chain))
}

fn sealing(case_id: &str, what: &str, e: SealError) -> StoreError {
    StoreError::Sealed(format!("case {case_id}, {what}: {e}"))
}

fn seal_value(key: &DataKey, case_id: &str, place: &str, v: &Value) -> Result<Value, StoreError> {
    let sealed = key
        .seal(case_id, place, &v.to_string())
        .map_err(|e| sealing(case_id, place, e))?;
    let mut m = Map::with_capacity(1);
    m.insert("sealed".into(), Value::String(sealed));
    Ok(Value::Object(m))
}

fn sealed_text(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get("sealed").and_then(Value::as_str),
        _ => None,
    }
}

/// What a field of a shredded case reads as: when, and the rule as stored (the JSON of the rule's
/// text, as people read it; kept as text when it is not JSON).
pub fn deleted_marker(at_ms: i64, rule: &str) -> Value {
    let rule = serde_json::from_str::<Value>(rule).unwrap_or_else(|_| Value::String(rule.to_owned()));
    serde_json::json!({ "deleted_at": at_ms, "rule": rule })
}

/// When a field's value was deleted and under which rule (as [`deleted_marker`] wrote it), if
/// it reads as deleted.
pub fn deleted_value(v: &Value) -> Option<(i64, &Value)> {
    let m = v.as_object().filter(|m| m.len() == 2)?;
    Some((m.get("deleted_at")?.as_i64()?, m.get("rule")?))
}

/// Seals the personal values of a field map in place.
fn seal_fields(
    key: &DataKey,
    case_id: &str,
    prefix: &str,
    fields: &mut Map<String, Value>,
    personal: &dyn Fn(&str) -> bool,
    reuse: Option<&SealedValues>,
) -> Result<(), StoreError> {
    for (name, v) in fields.iter_mut() {
        if personal(name) && !v.is_null() {
            let place = format!("{prefix}fields.{name}");
            let plain = v.to_string();
            *v = match reuse.and_then(|r| r.get(&place)).filter(|(p, _)| *p == plain) {
                Some((_, sealed)) => sealed.clone(),
                None => seal_value(key, case_id, &place, v)?,
            };
        }
    }
    Ok(())
}

/// Opens the sealed values of a field map in place (keeping each in `keep`, when given).
fn open_fields(
    key: &CaseKey,
    case_id: &str,
    prefix: &str,
    fields: &mut Map<String, Value>,
    mut keep: Option<&mut SealedValues>,
) -> Result<(), StoreError> {
    for (name, v) in fields.iter_mut() {
        let Some(sealed) = sealed_text(v) else { continue };
        *v = match key {
            CaseKey::Live(k) => {
                let place = format!("{prefix}fields.{name}");
                let plain = k
                    .open(case_id, &place, sealed)
                    .map_err(|e| sealing(case_id, &place, e))?;
                let value: Value = serde_json::from_str(&plain)
                    .map_err(|e| StoreError::Corrupt(format!("case {case_id}, {place}: {e}")))?;
                if let Some(keep) = keep.as_deref_mut() {
                    keep.insert(place, (value.to_string(), v.clone()));
                }
                value
            }
            CaseKey::Shredded { at_ms, rule } => deleted_marker(*at_ms, rule),
            CaseKey::Unopened => continue,
            CaseKey::Plain => {
                return Err(StoreError::Corrupt(format!(
                    "case {case_id} holds a sealed value but has no data key"
                )));
            }
        };
    }
    Ok(())
}

fn seal_text(key: &DataKey, case_id: &str, place: &str, text: &mut String) -> Result<(), StoreError> {
    *text = key.seal(case_id, place, text).map_err(|e| sealing(case_id, place, e))?;
    Ok(())
}

fn open_text(key: &CaseKey, case_id: &str, place: &str, text: &mut String) -> Result<(), StoreError> {
    match key {
        CaseKey::Plain | CaseKey::Unopened => {}
        CaseKey::Live(k) => *text = k.open(case_id, place, text).map_err(|e| sealing(case_id, place, e))?,
        CaseKey::Shredded { .. } => text.clear(),
    }
    Ok(())
}

/// The aggregate as stored: its personal values sealed when the case has a key. The values are
/// swapped out and back, so nothing else of the case is copied.
pub fn case_json(
    case: &mut Case,
    key: &CaseKey,
    personal: &dyn Fn(&str) -> bool,
    reuse: Option<&SealedValues>,
) -> Result<String, StoreError> {
    let k = match key {
        CaseKey::Live(k) => k,
        CaseKey::Plain => return json(case),
        CaseKey::Unopened | CaseKey::Shredded { .. } => return unwritable(case.id.as_str(), key),
    };
    let id = case.id.to_string();
    let mut sealed = case.fields.clone();
    seal_fields(k, &id, "", &mut sealed, personal, reuse)?;
    let mut repeat = case.repeat_key.clone();
    if let Some(r) = &mut repeat {
        match reuse.and_then(|m| m.get("repeat_key")).filter(|(p, _)| p == r) {
            Some((_, Value::String(s))) => *r = s.clone(),
            _ => seal_text(k, &id, "repeat_key", r)?,
        }
    }
    std::mem::swap(&mut case.fields, &mut sealed);
    std::mem::swap(&mut case.repeat_key, &mut repeat);
    let out = json(case);
    std::mem::swap(&mut case.fields, &mut sealed);
    std::mem::swap(&mut case.repeat_key, &mut repeat);
    out
}

/// The aggregate from its stored form, its sealed values opened (or marked deleted).
pub fn open_case(case_id: &str, data: &str, key: &CaseKey) -> Result<Case, StoreError> {
    open_case_keeping(case_id, data, key, None)
}

/// [`open_case`], keeping each sealed value in `keep` for [`case_json`] to reuse.
pub fn open_case_keeping(
    case_id: &str,
    data: &str,
    key: &CaseKey,
    mut keep: Option<&mut SealedValues>,
) -> Result<Case, StoreError> {
    let mut case: Case = serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("case {case_id}: {e}")))?;
    if matches!(key, CaseKey::Plain) {
        return Ok(case);
    }
    open_fields(key, case_id, "", &mut case.fields, keep.as_deref_mut())?;
    if let Some(r) = &mut case.repeat_key {
        if matches!(key, CaseKey::Shredded { .. } | CaseKey::Unopened) || !is_sealed(r) {
            case.repeat_key = None;
        } else {
            let sealed = r.clone();
            open_text(key, case_id, "repeat_key", r)?;
            if let Some(keep) = keep {
                keep.insert("repeat_key".into(), (r.clone(), Value::String(sealed)));
            }
        }
    }
    Ok(case)
}

/// An event as stored at position `seq`: its personal values and free text sealed when the
/// case has a key.
pub fn event_json(
    case_id: &str,
    seq: i64,
    e: &Event,
    key: &CaseKey,
    personal: &dyn Fn(&str) -> bool,
) -> Result<String, StoreError> {
    let k = match key {
        CaseKey::Live(k) => k,
        CaseKey::Plain => return json(e),
        CaseKey::Unopened | CaseKey::Shredded { .. } => return unwritable(case_id, key),
    };
    let prefix = format!("event {seq} ");
    let mut e = e.clone();
    match &mut e.kind {
        EventKind::Opened { fields, .. } | EventKind::Repeated { fields, .. } => {
            seal_fields(k, case_id, &prefix, fields, personal, None)?
        }
        EventKind::ActionTaken { fields, comment, .. } => {
            seal_fields(k, case_id, &prefix, fields, personal, None)?;
            if let Some(c) = comment {
                seal_text(k, case_id, &format!("{prefix}comment"), c)?;
            }
        }
        EventKind::Commented { text } => seal_text(k, case_id, &format!("{prefix}comment"), text)?,
        EventKind::TaskReassigned { comment: Some(c), .. }
        | EventKind::TaskReleased { comment: Some(c), .. }
        | EventKind::RungFired { comment: Some(c), .. } => {
            seal_text(k, case_id, &format!("{prefix}comment"), c)?;
        }
        _ => {}
    }
    json(&e)
}

/// An event from its stored form at position `seq`, its sealed values opened (or cleared).
pub fn open_event(case_id: &str, seq: i64, payload: &str, key: &CaseKey) -> Result<Event, StoreError> {
    let mut e: Event =
        serde_json::from_str(payload).map_err(|err| StoreError::Corrupt(format!("event {case_id}#{seq}: {err}")))?;
    if matches!(key, CaseKey::Plain) {
        return Ok(e);
    }
    let prefix = format!("event {seq} ");
    match &mut e.kind {
        EventKind::Opened { fields, .. } | EventKind::Repeated { fields, .. } => {
            open_fields(key, case_id, &prefix, fields, None)?
        }
        EventKind::ActionTaken { fields, comment, .. } => {
            open_fields(key, case_id, &prefix, fields, None)?;
            if let Some(c) = comment {
                open_text(key, case_id, &format!("{prefix}comment"), c)?;
            }
        }
        EventKind::Commented { text } => open_text(key, case_id, &format!("{prefix}comment"), text)?,
        EventKind::TaskReassigned { comment: Some(c), .. }
        | EventKind::TaskReleased { comment: Some(c), .. }
        | EventKind::RungFired { comment: Some(c), .. } => {
            open_text(key, case_id, &format!("{prefix}comment"), c)?;
        }
        _ => {}
    }
    Ok(e)
}

/// A citizen's address sealed for one delivery.
pub fn seal_address(key: &DataKey, case_id: &str, channel: &str, address: &str) -> Result<String, StoreError> {
    let place = format!("address {channel}");
    key.seal(case_id, &place, address)
        .map_err(|e| sealing(case_id, &place, e))
}

/// A citizen's address opened (empty once shredded).
pub fn open_address(key: &CaseKey, case_id: &str, channel: &str, sealed: &str) -> Result<String, StoreError> {
    let mut text = sealed.to_owned();
    open_text(key, case_id, &format!("address {channel}"), &mut text)?;
    Ok(text)
}

/// A case whose values cannot be sealed again is never written: its values would be lost.
fn unwritable(case_id: &str, key: &CaseKey) -> Result<String, StoreError> {
    Err(StoreError::Sealed(match key {
        CaseKey::Shredded { .. } => format!("case {case_id}: its personal data was deleted; it takes no more changes"),
        _ => format!("case {case_id} is sealed, and the store was opened without its master key"),
    }))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The blind indexes of the names, phone and ID numbers among `fields` (those declared so by `def`)
/// that are new or changed since `old`.
pub fn person_rows(
    master: &MasterKey,
    def: Option<&CaseTypeFile>,
    case_id: &str,
    fields: &Map<String, Value>,
    old: Option<&Map<String, Value>>,
) -> Vec<PersonRow> {
    let mut out = Vec::new();
    for (name, v) in fields {
        let kind = match def.and_then(|d| d.fields.get(name)).map(|f| f.ty) {
            Some(FieldType::Phone) => "phone",
            Some(FieldType::IdNumber) => "id_number",
            Some(FieldType::Person) => "person",
            _ => continue,
        };
        let Some(text) = v.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
            continue;
        };
        if old.and_then(|o| o.get(name)) == Some(v) {
            continue;
        }
        out.push(PersonRow {
            kind,
            value: master.blind_index(kind, text),
            case_id: case_id.to_owned(),
        });
    }
    out
}

/// What a search term names, as a person is indexed: a phone number (without spaces or dashes),
/// an ID number (in capitals), or else a name.
pub fn person_term(term: &str) -> (&'static str, String) {
    use crate::core::fields::{is_id_number, is_phone};
    let upper = term.to_ascii_uppercase();
    if is_phone(term) {
        ("phone", term.replace([' ', '-'], ""))
    } else if is_id_number(&upper) {
        ("id_number", upper)
    } else {
        ("person", term.to_owned())
    }
}

/// Which fields of a case type are personal data (as [`crate::render::is_personal`]).
pub fn personal_of(def: Option<&CaseTypeFile>) -> impl Fn(&str) -> bool + '_ {
    move |name: &str| {
        def.and_then(|d| d.fields.get(name))
            .is_some_and(crate::render::is_personal)
    }
}
