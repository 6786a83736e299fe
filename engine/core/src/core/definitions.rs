//! Every deployed version of every case type, compiled, and which version new cases start on.
//!
//! Pure: the shell (`yimen_engine::runtime::definitions`) fills it from the store; tests,
//! scenarios and simulations fill it straight from a bundle.

use std::collections::HashMap;
use std::sync::Arc;

use crate::Error;
use crate::core::definition::CompiledCaseType;
use crate::load::Bundle;
use crate::model::{CaseTypeFile, LadderFile};

/// The compiled definitions a node runs.
#[derive(Debug, Default, Clone)]
pub struct Definitions {
    /// By case type, then version (looked up by `&str` without allocating).
    compiled: HashMap<String, HashMap<i64, Arc<CompiledCaseType>>>,
    current: HashMap<String, i64>,
}

impl Definitions {
    /// Definitions straight from a bundle, all at `version` (tests, simulations, benchmarks).
    pub fn from_bundle(bundle: &Bundle, version: i64) -> Result<Definitions, Error> {
        let mut defs = Definitions::default();
        for ct in &bundle.case_types {
            let cal = bundle
                .calendar_for(&ct.value)
                .cloned()
                .ok_or_else(|| Error::Definition {
                    case_type: ct.value.id.clone(),
                    problem: "it has no calendar".into(),
                })?;
            let c = CompiledCaseType::compile(ct.value.clone(), version, cal, ladder_for(bundle, &ct.value))?;
            defs.set_current(&ct.value.id, version);
            defs.insert(c);
        }
        Ok(defs)
    }

    /// Compiles one deployed version of a case type against the bundle's calendars and ladders.
    pub fn compile(bundle: &Bundle, def: CaseTypeFile, version: i64) -> Result<CompiledCaseType, Error> {
        let calendar = bundle.calendar_for(&def).cloned().ok_or_else(|| Error::Definition {
            case_type: def.id.clone(),
            problem: format!("version {version}: its calendar is gone"),
        })?;
        let ladder = ladder_for(bundle, &def);
        CompiledCaseType::compile(def, version, calendar, ladder)
    }

    /// Adds a compiled version (replacing the same version, if any).
    pub fn insert(&mut self, compiled: CompiledCaseType) {
        self.compiled
            .entry(compiled.def.id.clone())
            .or_default()
            .insert(compiled.version, Arc::new(compiled));
    }

    /// Makes `version` the one new cases of `case_type` start on.
    pub fn set_current(&mut self, case_type: &str, version: i64) {
        self.current.insert(case_type.to_owned(), version);
    }

    /// The version new cases of `case_type` start on.
    pub fn current(&self, case_type: &str) -> Option<Arc<CompiledCaseType>> {
        let v = self.current.get(case_type)?;
        self.get(case_type, *v)
    }

    /// The version new cases of `case_type` start on, as a number.
    pub fn current_version(&self, case_type: &str) -> Option<i64> {
        self.current.get(case_type).copied()
    }

    /// A specific version.
    pub fn get(&self, case_type: &str, version: i64) -> Option<Arc<CompiledCaseType>> {
        self.compiled.get(case_type)?.get(&version).cloned()
    }

    /// The current version of every case type, sorted by id.
    pub fn all_current(&self) -> Vec<Arc<CompiledCaseType>> {
        let mut v: Vec<_> = self.current.keys().filter_map(|k| self.current(k)).collect();
        v.sort_by(|a, b| a.def.id.cmp(&b.def.id));
        v
    }
}

fn ladder_for(bundle: &Bundle, def: &CaseTypeFile) -> Option<LadderFile> {
    let id = def.sla.as_ref()?.ladder.as_deref()?;
    bundle.ladder(id).map(|l| l.value.clone())
}
