//! Absences (休假代办): a person away names a colleague who stands in for them. While the
//! absence runs, the colleague's inbox lists the tasks the absent person holds, and the
//! colleague may act on, return or hand on that work as its holder would (the core's
//! `Actor::holds`). Staff set their own; a department's heads and the admins set their
//! members'. Every absence set or called off is written to the audit log.

use chrono::{Days, NaiveDate, TimeZone};
use yimen_engine::core::Actor;
use yimen_engine::runtime::Engine;
use yimen_engine::store::absences::Absence;

use crate::error::{Error, Kind};

/// The longest absence, in days.
pub const MAX_DAYS: u64 = 90;
/// The longest reason, in characters.
pub const REASON_MAX: usize = 200;

/// An absence as asked for (a form or the API).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAbsence {
    /// Who is away (the asker when omitted).
    #[serde(default)]
    pub user: Option<String>,
    /// Who stands in.
    #[serde(default)]
    pub delegate: String,
    /// The first day away, `YYYY-MM-DD` in the centre's zone.
    #[serde(default)]
    pub from: String,
    /// The last day away, `YYYY-MM-DD`.
    #[serde(default)]
    pub until: String,
    /// Why (leave, training, …).
    #[serde(default)]
    pub reason: String,
}

/// What is wrong with one field of an absence: the field, a stable code the pages say in the
/// reader's words, and a sentence in English for the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field.
    pub field: &'static str,
    /// The code.
    pub code: &'static str,
    /// The sentence.
    pub detail: String,
}

fn problem(field: &'static str, code: &'static str, detail: impl Into<String>) -> Problem {
    Problem {
        field,
        code,
        detail: detail.into(),
    }
}

/// Why an absence was not set: every field's problem at once, or another refusal.
#[derive(Debug, Clone)]
pub enum Refused {
    /// The fields at fault.
    Fields(Vec<Problem>),
    /// Not allowed, or the store failed.
    Other(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        Refused::Other(e)
    }
}

fn store_error(e: yimen_engine::store::StoreError) -> Error {
    Error::from(e)
}

/// Whether `actor` may set or call off an absence of `user` (in `department`).
pub fn may_manage(engine: &Engine, actor: &Actor, user: &str, department: Option<&str>) -> bool {
    let org = engine.org();
    actor.id.as_str() == user
        || org.is_admin(&actor.roles)
        || department.is_some_and(|d| org.heads(&actor.roles, actor.department.as_deref(), d))
}

/// The colleagues who may stand in for `user`: active accounts of the same department sharing
/// one of their roles, `(id, name)`.
pub async fn colleagues(engine: &Engine, user: &str) -> Result<Vec<(String, String)>, Error> {
    let store = engine.store();
    let Some(me) = store.account(user).await.map_err(store_error)? else {
        return Ok(Vec::new());
    };
    let all = store.accounts().await.map_err(store_error)?;
    Ok(all
        .into_iter()
        .filter(|a| a.active && a.id != me.id && a.department.is_some() && a.department == me.department)
        .filter(|a| a.roles.iter().any(|r| me.roles.contains(r)))
        .map(|a| (a.id, a.name))
        .collect())
}

fn day(field: &'static str, s: &str, out: &mut Vec<Problem>) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        out.push(problem(field, "bad_date", "give a date as YYYY-MM-DD"));
    }
    d
}

/// Sets an absence; every field's problem is reported at once and nothing is written then.
pub async fn set(engine: &Engine, actor: &Actor, new: &NewAbsence) -> Result<Absence, Refused> {
    let store = engine.store();
    let zone = engine.zone();
    let now = engine.now();
    let user = new
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or(actor.id.as_str());
    let account = store.account(user).await.map_err(store_error)?;
    let Some(account) = account.filter(|a| a.active) else {
        return Err(Refused::Fields(vec![problem(
            "user",
            "not_a_user",
            format!("`{user}` is not an active account"),
        )]));
    };
    if !may_manage(engine, actor, user, account.department.as_deref()) {
        return Err(Error::new(
            Kind::Forbidden,
            "forbidden",
            "only the person, a head of their department or an admin sets an absence",
        )
        .into());
    }
    let mut out = Vec::new();
    let delegate = new.delegate.trim();
    if delegate.is_empty() {
        out.push(problem("delegate", "no_delegate", "name the colleague who stands in"));
    } else if delegate == user {
        out.push(problem("delegate", "self", "a person cannot stand in for themselves"));
    } else if !colleagues(engine, user).await?.iter().any(|(id, _)| id == delegate) {
        out.push(problem(
            "delegate",
            "not_a_colleague",
            format!("`{delegate}` is not an active colleague of the same department with one of the same roles"),
        ));
    }
    let today = now.with_timezone(&zone).date_naive();
    let (starts_at, ends_at) = days_and_reason(new, today, zone, &mut out);
    let reason = new.reason.trim();
    if out.is_empty() {
        let running = store
            .absences(&[user.to_owned(), delegate.to_owned()], now.timestamp_millis())
            .await
            .map_err(store_error)?;
        let overlaps = |a: &Absence| a.starts_at < ends_at && starts_at < a.ends_at;
        if running.iter().any(|a| a.user_id == user && overlaps(a)) {
            out.push(problem(
                "from",
                "overlaps",
                "an absence of this person already covers some of these days",
            ));
        }
        if running.iter().any(|a| a.user_id == delegate && overlaps(a)) {
            out.push(problem(
                "delegate",
                "delegate_away",
                "the colleague is away during these days too",
            ));
        }
    }
    if !out.is_empty() {
        return Err(Refused::Fields(out));
    }
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(|_| Error::new(Kind::Internal, "internal", "no randomness for an id"))?;
    let a = Absence {
        id: format!("ab-{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        user_id: user.to_owned(),
        delegate: delegate.to_owned(),
        starts_at,
        ends_at,
        reason: reason.to_owned(),
        created_by: actor.id.to_string(),
        created_at: now.timestamp_millis(),
        cancelled_at: None,
    };
    store.add_absence(&a).await.map_err(store_error)?;
    let detail = format!(
        "{} stands in for {} ({} to {})",
        a.delegate,
        a.user_id,
        new.from.trim(),
        new.until.trim()
    );
    store
        .audit(a.created_at, &actor.id, "absence_set", &a.user_id, &detail)
        .await
        .map_err(store_error)?;
    Ok(a)
}

/// The days' and the reason's problems into `out`; the absence's span in UTC ms (from the first
/// day's midnight to the midnight after the last, in the centre's zone).
fn days_and_reason(new: &NewAbsence, today: NaiveDate, zone: chrono_tz::Tz, out: &mut Vec<Problem>) -> (i64, i64) {
    let from = day("from", &new.from, out);
    let until = day("until", &new.until, out);
    let span = match (from, until) {
        (Some(f), Some(u)) => {
            if u < f {
                out.push(problem(
                    "until",
                    "ends_before_start",
                    "the last day is before the first",
                ));
            } else if u < today {
                out.push(problem("until", "in_the_past", "the absence is over already"));
            } else if (u - f).num_days() >= i64::try_from(MAX_DAYS).unwrap_or(90) {
                out.push(problem(
                    "until",
                    "too_long",
                    format!("an absence is at most {MAX_DAYS} days"),
                ));
            }
            Some((f, u))
        }
        _ => None,
    };
    let reason = new.reason.trim();
    if reason.is_empty() {
        out.push(problem("reason", "no_reason", "say why (leave, training, …)"));
    } else if reason.chars().count() > REASON_MAX {
        out.push(problem(
            "reason",
            "reason_too_long",
            format!("at most {REASON_MAX} characters"),
        ));
    }
    let midnight = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(0, |t| t.timestamp_millis())
    };
    span.map_or((0, 0), |(f, u)| {
        (midnight(f), midnight(u.checked_add_days(Days::new(1)).unwrap_or(u)))
    })
}

/// Calls an absence off now (it stops at once; its row stays on record).
pub async fn cancel(engine: &Engine, actor: &Actor, id: &str) -> Result<Absence, Error> {
    let store = engine.store();
    let not_found = || Error::new(Kind::NotFound, "not_found", "no such absence");
    let a = store.absence(id).await.map_err(store_error)?.ok_or_else(not_found)?;
    let department = store
        .account(&a.user_id)
        .await
        .map_err(store_error)?
        .and_then(|u| u.department);
    if !may_manage(engine, actor, &a.user_id, department.as_deref()) {
        return Err(not_found());
    }
    let now = engine.now().timestamp_millis();
    if !store.cancel_absence(id, now).await.map_err(store_error)? {
        return Err(Error::new(
            Kind::Conflict,
            "absence_over",
            "the absence is over or called off already",
        ));
    }
    store
        .audit(now, &actor.id, "absence_cancelled", &a.user_id, &a.id)
        .await
        .map_err(store_error)?;
    Ok(a)
}

/// The absences an actor sees, not over yet: their own and those they stand in for, and for a
/// head their department's (an admin: everyone's).
pub async fn visible(engine: &Engine, actor: &Actor) -> Result<Vec<Absence>, Error> {
    let store = engine.store();
    let org = engine.org();
    let now = engine.now().timestamp_millis();
    if org.is_admin(&actor.roles) {
        return store.absences(&[], now).await.map_err(store_error);
    }
    let mut users = vec![actor.id.to_string()];
    if org.heads_department(&actor.roles) {
        let all = store.accounts().await.map_err(store_error)?;
        users.extend(
            all.into_iter()
                .filter(|a| a.department.is_some() && a.department == actor.department)
                .map(|a| a.id),
        );
    }
    users.sort();
    users.dedup();
    store.absences(&users, now).await.map_err(store_error)
}

/// A request that carries nothing.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nothing {}
