//! Compiled definitions: a validated case type with its guards parsed and its calendar attached,
//! and the organisation in the shape the core asks questions of.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::calendar::WorkCalendar;
use crate::duration::Duration;
use crate::expr::{self, Expr};
use crate::model::organisation::User;
use crate::model::{CaseTypeFile, LadderFile, OrganisationFile, Tier};

/// A deployed, immutable case type version.
#[derive(Debug, Clone)]
pub struct CompiledCaseType {
    /// The definition.
    pub def: CaseTypeFile,
    /// Its version.
    pub version: i64,
    /// Parsed guards by action.
    pub guards: HashMap<String, Expr>,
    /// Parsed timer durations by timer.
    pub timers: HashMap<String, Duration>,
    /// The calendar its clocks run on.
    pub calendar: WorkCalendar,
    /// The supervision ladder of its SLA, if any.
    pub ladder: Option<LadderFile>,
    /// The SLA's warning points as fractions.
    pub warn_at: Vec<f64>,
}

impl CompiledCaseType {
    /// Compiles a definition that passed validation; an error here means it did not.
    pub fn compile(
        def: CaseTypeFile,
        version: i64,
        calendar: WorkCalendar,
        ladder: Option<LadderFile>,
    ) -> Result<Self, crate::Error> {
        let problem = |problem: String| crate::Error::Definition {
            case_type: def.id.clone(),
            problem,
        };
        let mut guards = HashMap::new();
        for (id, a) in &def.actions {
            if let Some(g) = &a.guard {
                let e = expr::parse(g).map_err(|e| problem(format!("action `{id}`: guard: {}", e.message)))?;
                guards.insert(id.clone(), e);
            }
        }
        let mut timers = HashMap::new();
        for (id, t) in &def.timers {
            let d = Duration::from_str(&t.after).map_err(|e| problem(format!("timer `{id}`: {e}")))?;
            timers.insert(id.clone(), d);
        }
        let warn_at = def
            .sla
            .as_ref()
            .map(|s| s.warn_at.iter().filter_map(|w| crate::duration::fraction(w)).collect())
            .unwrap_or_default();
        Ok(Self {
            def,
            version,
            guards,
            timers,
            calendar,
            ladder,
            warn_at,
        })
    }

    /// The id of the initial state.
    pub fn initial_state(&self) -> &str {
        self.def
            .states
            .iter()
            .find(|(_, s)| s.initial)
            .map(|(k, _)| k.as_str())
            .unwrap_or_default()
    }
}

/// Why no case type could be chosen for a new case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The matter is not in the catalogue.
    #[error("`{0}` is not a matter of the catalogue")]
    UnknownMatter(String),
    /// The channel is not an intake channel.
    #[error("`{0}` is not an intake channel")]
    UnknownChannel(String),
    /// Nothing names a case type.
    #[error("channel `{0}` files several case types: name the case type or the matter")]
    NoCaseType(String),
}

/// The organisation, as the core needs it.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// The file it came from.
    pub file: OrganisationFile,
    /// Active tasks per assignee, for assignment by load (read only to the core).
    pub workload: Arc<dyn Workload>,
}

/// Active tasks per assignee: the one input of decisions that is not in the case or the command.
///
/// The core only reads it. What a decision assigns or closes comes back as
/// [`Effect::WorkloadChanged`](crate::core::Effect::WorkloadChanged); the shell applies those to
/// its counts and replaces them with the store's from time to time, which corrects any drift (a
/// decided batch that did not commit, another engine's assignments).
pub trait Workload: std::fmt::Debug + Send + Sync {
    /// The number of active tasks assigned to `user`.
    fn active_tasks(&self, user: &str) -> i64;
}

/// Counts kept in memory: what the shell and the scenario runner hand the core. Clones share
/// the counts.
#[derive(Debug, Clone, Default)]
pub struct WorkloadCounts(Arc<Mutex<HashMap<String, i64>>>);

impl Workload for WorkloadCounts {
    fn active_tasks(&self, user: &str) -> i64 {
        let m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        m.get(user).copied().unwrap_or(0)
    }
}

impl WorkloadCounts {
    /// Adds `delta` to `user`'s count (never below zero).
    pub fn adjust(&self, user: &str, delta: i64) {
        let mut m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let v = m.entry(user.to_owned()).or_insert(0);
        *v = (*v + delta).max(0);
    }

    /// Applies the workload changes among a decision's effects.
    pub fn apply(&self, effects: &[crate::core::Effect]) {
        for e in effects {
            if let crate::core::Effect::WorkloadChanged { user, delta } = e {
                self.adjust(user, *delta);
            }
        }
    }

    /// Replaces every count with the store's.
    pub fn replace(&self, counts: HashMap<String, i64>) {
        let mut m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *m = counts;
    }
}

impl Organisation {
    /// Wraps a validated organisation; nobody has any active task.
    pub fn new(file: OrganisationFile) -> Self {
        Self::with_workload(file, Arc::new(WorkloadCounts::default()))
    }

    /// Wraps a validated organisation with the counts the shell keeps.
    pub fn with_workload(file: OrganisationFile, workload: Arc<dyn Workload>) -> Self {
        Self { file, workload }
    }

    /// The case type a new case is filed as: the one the request names; else the one its matter
    /// (from the catalogue) is routed to; else the channel's own case type; else, on a channel
    /// that takes anything, the centre's fallback. `None` when none of these applies.
    pub fn route(&self, channel: &str, case_type: Option<&str>, matter: Option<&str>) -> Result<String, RouteError> {
        if let Some(t) = case_type.filter(|t| !t.is_empty()) {
            return Ok(t.to_owned());
        }
        if let Some(m) = matter.filter(|m| !m.is_empty()) {
            return self
                .file
                .matters
                .get(m)
                .map(|m| m.case_type.clone())
                .ok_or_else(|| RouteError::UnknownMatter(m.to_owned()));
        }
        let ch = self
            .file
            .channels
            .get(channel)
            .ok_or_else(|| RouteError::UnknownChannel(channel.to_owned()))?;
        if let Some(t) = &ch.case_type {
            return Ok(t.clone());
        }
        match (&self.file.centre.fallback_case_type, ch.takes_any) {
            (Some(t), true) => Ok(t.clone()),
            _ => Err(RouteError::NoCaseType(channel.to_owned())),
        }
    }

    /// The least-loaded user holding `role` in `department` (any, when `None`; and `unit`, when given) with
    /// `specialism` (any, when `None`); ties go to the first by id. When nobody has the
    /// specialism, the least-loaded holder of the role.
    pub fn pick_assignee(
        &self,
        role: &str,
        department: Option<&str>,
        unit: Option<&str>,
        specialism: Option<&str>,
    ) -> Option<String> {
        let holders: Vec<(&String, &User)> = self
            .file
            .users
            .iter()
            .filter(|(_, u)| u.roles.iter().any(|r| r == role))
            .filter(|(_, u)| department.is_none_or(|x| u.department.as_deref().is_none_or(|d| d == x)))
            .filter(|(_, u)| unit.is_none_or(|x| u.unit == x))
            .collect();
        let least = |c: &mut dyn Iterator<Item = &(&String, &User)>| {
            c.map(|(id, _)| (self.workload.active_tasks(id), (*id).clone()))
                .min()
                .map(|(_, id)| id)
        };
        if let Some(s) = specialism {
            let mut with = holders.iter().filter(|(_, u)| u.specialisms.iter().any(|x| x == s));
            if let Some(id) = least(&mut with) {
                return Some(id);
            }
        }
        least(&mut holders.iter())
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.file.users.get(id)
    }

    /// The tier of a unit.
    pub fn unit_tier(&self, unit: &str) -> Option<Tier> {
        self.file.units.get(unit).map(|u| u.tier)
    }

    /// The unit above `unit`.
    pub fn parent(&self, unit: &str) -> Option<&str> {
        self.file.units.get(unit)?.parent.as_deref()
    }

    /// The district unit (the root).
    pub fn district(&self) -> &str {
        self.file
            .units
            .iter()
            .find(|(_, u)| u.parent.is_none())
            .map(|(k, _)| k.as_str())
            .unwrap_or_default()
    }

    /// Whether a channel takes every case type.
    pub fn takes_any(&self, channel: &str) -> bool {
        self.file.channels.get(channel).is_some_and(|c| c.takes_any)
    }

    /// The highest supervision level among `roles` (0 for none).
    pub fn supervision_level(&self, roles: &[String]) -> u8 {
        roles
            .iter()
            .filter_map(|r| self.file.roles.get(r).and_then(|r| r.supervision_level))
            .max()
            .unwrap_or(0)
    }

    /// Whether any role of `roles` heads a department.
    pub fn heads_department(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.file.roles.get(r).is_some_and(|r| r.heads_department))
    }

    /// Whether any role of `roles` may see personal data unmasked.
    pub fn sees_personal_data(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.file.roles.get(r).is_some_and(|r| r.sees_personal_data))
    }

    /// Whether `unit` is `ancestor` or lies below it.
    pub fn unit_within(&self, unit: &str, ancestor: &str) -> bool {
        let mut at = Some(unit);
        // Units form a tree validated to be acyclic; the bound guards against a broken file.
        for _ in 0..64 {
            match at {
                Some(u) if u == ancestor => return true,
                Some(u) => at = self.parent(u),
                None => return false,
            }
        }
        false
    }

    /// Whether any role of `roles` is an admin role.
    pub fn is_admin(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| self.file.roles.get(r).is_some_and(|r| r.admin))
    }
}
