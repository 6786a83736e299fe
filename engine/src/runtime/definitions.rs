//! Every deployed version of every case type, compiled, and which version new cases start on.

use std::collections::HashMap;
use std::sync::Arc;

use crate::calendar::WorkCalendar;
use crate::core::definition::CompiledCaseType;
use crate::load::{Bundle, parse_case_type};
use crate::store::{Store, StoreError};

/// The compiled definitions a node runs.
#[derive(Debug, Default, Clone)]
pub struct Definitions {
    /// By case type, then version (looked up by `&str` without allocating).
    compiled: HashMap<String, HashMap<i64, Arc<CompiledCaseType>>>,
    current: HashMap<String, i64>,
}

impl Definitions {
    /// Deploys every case type of a validated bundle (a new version where the text changed) and
    /// compiles every version ever deployed, so running cases keep theirs.
    pub async fn deploy(store: &Store, bundle: &Bundle, now_ms: i64) -> Result<(Definitions, Vec<String>), StoreError> {
        let mut defs = Definitions::default();
        let mut log = Vec::new();
        for ct in &bundle.case_types {
            let d = store.deploy(&ct.value.id, &ct.source, now_ms).await?;
            if d.created {
                log.push(format!("{} v{}", d.case_type, d.version));
            }
            defs.current.insert(ct.value.id.clone(), d.version);
        }
        for (case_type, version, source) in store.definitions().await? {
            let def = match parse_case_type(&source) {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(%case_type, version, "a deployed definition no longer parses; its cases cannot move: {e}");
                    continue;
                }
            };
            let Some(calendar) = calendar_for(bundle, &def) else {
                tracing::error!(%case_type, version, "a deployed definition's calendar is gone; its cases cannot move");
                continue;
            };
            let ladder = ladder_for(bundle, &def);
            match CompiledCaseType::compile(def, version, calendar, ladder) {
                Ok(c) => {
                    defs.compiled.entry(case_type).or_default().insert(version, Arc::new(c));
                }
                Err(e) => tracing::error!(%case_type, version, "a deployed definition does not compile: {e}"),
            }
        }
        Ok((defs, log))
    }

    /// The versions already deployed, without deploying anything (for read-only tools); the
    /// newest version of each case type is its current one.
    pub async fn load_deployed(store: &Store, bundle: &Bundle) -> Result<Definitions, StoreError> {
        let mut defs = Definitions::default();
        for (case_type, version, source) in store.definitions().await? {
            let Ok(def) = parse_case_type(&source) else { continue };
            let Some(calendar) = calendar_for(bundle, &def) else {
                continue;
            };
            let ladder = ladder_for(bundle, &def);
            if let Ok(c) = CompiledCaseType::compile(def, version, calendar, ladder) {
                let cur = defs.current.entry(case_type.clone()).or_insert(version);
                *cur = (*cur).max(version);
                defs.compiled.entry(case_type).or_default().insert(version, Arc::new(c));
            }
        }
        Ok(defs)
    }

    /// Definitions straight from a bundle, all at `version` (tests, simulations, benchmarks).
    pub fn from_bundle(bundle: &Bundle, version: i64) -> Result<Definitions, String> {
        let mut defs = Definitions::default();
        for ct in &bundle.case_types {
            let cal = calendar_for(bundle, &ct.value).ok_or_else(|| format!("{}: no calendar", ct.value.id))?;
            let c = CompiledCaseType::compile(ct.value.clone(), version, cal, ladder_for(bundle, &ct.value))?;
            defs.current.insert(ct.value.id.clone(), version);
            defs.compiled
                .entry(ct.value.id.clone())
                .or_default()
                .insert(version, Arc::new(c));
        }
        Ok(defs)
    }

    /// The version new cases of `case_type` start on.
    pub fn current(&self, case_type: &str) -> Option<Arc<CompiledCaseType>> {
        let v = self.current.get(case_type)?;
        self.get(case_type, *v)
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

fn calendar_for(bundle: &Bundle, def: &crate::model::CaseTypeFile) -> Option<WorkCalendar> {
    bundle.calendar_for(def).cloned()
}

fn ladder_for(bundle: &Bundle, def: &crate::model::CaseTypeFile) -> Option<crate::model::LadderFile> {
    let id = def.sla.as_ref()?.ladder.as_deref()?;
    bundle.ladder(id).map(|l| l.value.clone())
}
