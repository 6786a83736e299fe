//! Compiled definitions: a validated case type with its guards parsed and its calendar attached,
//! and the organisation in the shape the core asks questions of.

use std::collections::HashMap;
use std::str::FromStr;

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
    ) -> Result<Self, String> {
        let mut guards = HashMap::new();
        for (id, a) in &def.actions {
            if let Some(g) = &a.guard {
                let e = expr::parse(g).map_err(|e| format!("action `{id}`: guard: {}", e.message))?;
                guards.insert(id.clone(), e);
            }
        }
        let mut timers = HashMap::new();
        for (id, t) in &def.timers {
            let d = Duration::from_str(&t.after).map_err(|e| format!("timer `{id}`: {e}"))?;
            timers.insert(id.clone(), d);
        }
        let warn_at = def
            .sla
            .as_ref()
            .map(|s| s.warn_at.iter().filter_map(|w| super::sla::fraction(w)).collect())
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

/// The organisation, as the core needs it.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// The file it came from.
    pub file: OrganisationFile,
}

impl Organisation {
    /// Wraps a validated organisation.
    pub fn new(file: OrganisationFile) -> Self {
        Self { file }
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

    /// Whether any role of `roles` is an admin role.
    pub fn is_admin(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| self.file.roles.get(r).is_some_and(|r| r.admin))
    }
}
