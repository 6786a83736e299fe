//! Who may see and do what. Three layers, each checked in one place:
//!
//! - **Routes** carry an [`Access`] rule, enforced before the handler runs (`http::routes`); an
//!   access-matrix test walks every route with every role.
//! - **Cases** are visible by [`may_see`]: by department and unit for staff, by department for
//!   department heads, by supervision level for supervisors, to admins always. What a visible
//!   case allows (actions, claims, answers) the engine's core decides.
//! - **Personal data** (fields the case type marks, by default people, phones and ID numbers) is
//!   masked for roles that need not see it ([`view_case`]); revealing it is an audited action.

use serde_json::{Map, Value, json};
use yimen_engine::core::{Actor, Case, Organisation, TaskState};
use yimen_engine::model::CaseTypeFile;
use yimen_engine::render::mask_fields;
use yimen_engine::store::cases::StoredEvent;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without signing in (sign-in itself, health, public Open311 reads, gateway
    /// callbacks that carry their own token).
    Public,
    /// Any signed-in account; what it may see of a case is then [`may_see`].
    SignedIn,
    /// Those who oversee work: supervisors of any level, department heads and admins.
    Oversight,
    /// Admins only.
    Admin,
}

impl Access {
    /// The rule's name in the OpenAPI document and the access matrix.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::SignedIn => "signed_in",
            Access::Oversight => "oversight",
            Access::Admin => "admin",
        }
    }

    /// Whether `actor` passes the rule (signed-in rules only: `Public` needs no actor).
    pub fn allows(self, org: &Organisation, actor: &Actor) -> bool {
        match self {
            Access::Public | Access::SignedIn => true,
            Access::Oversight => oversees(org, actor),
            Access::Admin => org.is_admin(&actor.roles),
        }
    }
}

/// Whether the actor oversees work: a supervisor of any level, a department head or an admin.
pub fn oversees(org: &Organisation, actor: &Actor) -> bool {
    org.is_admin(&actor.roles) || org.supervision_level(&actor.roles) > 0 || org.heads_department(&actor.roles)
}

/// Whether `actor` may see `case`.
///
/// - Admins see every case; so do the centre's supervisors (level 1), who oversee the whole
///   centre. Supervisors of a higher level see the cases that reached their level.
/// - A department head sees every case of their department.
/// - Staff see their department's cases in their unit and the units below it.
/// - Anyone sees a case they opened (a clerk at the comprehensive window registers cases for
///   other departments) or hold or held a task of, and the open work of a colleague they stand
///   in for while that colleague is away.
pub fn may_see(org: &Organisation, actor: &Actor, case: &Case, opened_by: Option<&str>) -> bool {
    if org.is_admin(&actor.roles) {
        return true;
    }
    let level = org.supervision_level(&actor.roles);
    if level == 1 || (level > 1 && case.supervision.iter().any(|r| r.level >= level)) {
        return true;
    }
    if opened_by == Some(actor.id.as_str()) || case.tasks.iter().any(|t| t.assignee.as_deref() == Some(&actor.id)) {
        return true;
    }
    // A colleague's open work the actor stands in for while they are away.
    if case
        .tasks
        .iter()
        .any(|t| t.is_active() && actor.holds(t.assignee.as_deref()))
    {
        return true;
    }
    // The dispatching clerks: a case whose open task reaches nobody, so they can give it to
    // someone.
    if org.dispatches(&actor.roles) && case.tasks.iter().any(|t| t.unstaffed && t.state == TaskState::Open) {
        return true;
    }
    let Some(dept) = actor.department.as_deref() else {
        return false;
    };
    if org.heads_department(&actor.roles)
        && (case.department == dept || case.tasks.iter().any(|t| t.department == dept))
    {
        return true;
    }
    // Staff: a case of their department where they work, or one that is or was in their
    // department's inbox for their unit (a task for any unit, or for theirs or one below).
    let within = |u: Option<&str>| match (actor.unit.as_deref(), u) {
        (Some(mine), Some(its)) => org.unit_within(its, mine),
        (None, _) => true,
        (Some(mine), None) => mine == org.district(),
    };
    (case.department == dept && within(case.unit.as_deref()))
        || case
            .tasks
            .iter()
            .any(|t| t.department == dept && (t.unit.is_none() || within(t.unit.as_deref())))
}

/// Who opened a case, from its history.
pub fn opener(history: &[StoredEvent]) -> Option<&str> {
    history.first().map(|e| e.event.actor.as_str())
}

/// An email address or phone number masked like a field of personal data.
pub fn mask_address(a: &str) -> String {
    match a.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => yimen_engine::render::mask_phone(a),
    }
}

/// A reference to a delivery's address that names it without showing it (`ref:` and the
/// first 16 hex digits of its SHA-256), for retry forms shown to roles that see it masked.
pub fn address_ref(address: &str) -> String {
    format!("ref:{}", &yimen_engine::store::sha256_hex(address)[..16])
}

/// Resolves what a retry names as the address — the address itself or its [`address_ref`] —
/// among the failed deliveries of `outbox_key` on `channel`.
pub async fn retry_delivery(
    store: &yimen_engine::store::Store,
    outbox_key: &str,
    channel: &str,
    address: &str,
    now_ms: i64,
) -> Result<bool, yimen_engine::store::StoreError> {
    if !address.starts_with("ref:") {
        return store.retry_delivery(outbox_key, channel, address, now_ms).await;
    }
    let named = store
        .failed_addresses(outbox_key, channel)
        .await?
        .into_iter()
        .find(|a| address_ref(a) == address);
    match named {
        Some(a) => store.retry_delivery(outbox_key, channel, &a, now_ms).await,
        None => Ok(false),
    }
}

/// Whether the actor sees personal data unmasked without asking.
pub fn sees_personal_data(org: &Organisation, actor: &Actor) -> bool {
    org.sees_personal_data(&actor.roles)
}

/// A case as `actor` may see it, as JSON: personal data masked unless the actor's role sees it
/// or `reveal` (an audited request) is set; the history's field values masked the same way.
pub fn view_case(def: Option<&CaseTypeFile>, case: &Case, history: Option<&[StoredEvent]>, unmasked: bool) -> Value {
    let mut doc = serde_json::to_value(case).unwrap_or_default();
    let mask = |m: &Map<String, Value>| match def {
        Some(d) if !unmasked => Value::Object(mask_fields(d, m)),
        _ => Value::Object(m.clone()),
    };
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("fields".into(), mask(&case.fields));
        obj.insert("personal_data_masked".into(), json!(!unmasked && def.is_some()));
        // The repeat key is derived from the citizen's ID number or phone: never shown.
        obj.remove("repeat_key");
        if let Some(h) = history {
            let events: Vec<Value> = h
                .iter()
                .map(|e| {
                    let mut v = serde_json::to_value(e).unwrap_or_default();
                    if let Some(fields) = v.get("fields").and_then(Value::as_object).cloned() {
                        v["fields"] = mask(&fields);
                    }
                    v
                })
                .collect();
            obj.insert("history".into(), Value::Array(events));
        }
    }
    doc
}

/// The actor's inbox page. For a role that does not see personal data a search matches only
/// what the actor is shown of a case (its masked view), never the masked values themselves —
/// otherwise searching `陈平` would confirm the name behind `陈*`.
pub async fn inbox(
    engine: &yimen_engine::runtime::Engine,
    actor: &Actor,
    filter: &yimen_engine::store::InboxFilter,
) -> Result<Vec<yimen_engine::store::InboxItem>, yimen_engine::store::StoreError> {
    let store = engine.store();
    if sees_personal_data(engine.org(), actor) {
        return store.inbox(filter).await;
    }
    let term = filter.search.as_deref().unwrap_or_default().to_lowercase();
    let defs = engine.definitions();
    let keep = |data: &str| {
        let Ok(case) = serde_json::from_str::<Case>(data) else {
            return false;
        };
        if case.id.to_lowercase() == term {
            return true;
        }
        let def = defs.get(&case.case_type, case.definition_version);
        let Some(def) = def.as_ref() else { return false };
        let shown = view_case(Some(&def.def), &case, None, false);
        shown.to_string().to_lowercase().contains(&term)
    };
    store.inbox_checked(filter, Some(&keep)).await
}
