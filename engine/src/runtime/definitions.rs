//! Filling the core's [`Definitions`] from the store: deploying a bundle's case types and
//! compiling every version ever deployed, so running cases keep theirs.

use crate::core::Definitions;
use crate::load::{Bundle, parse_case_type};
use crate::store::{Store, StoreError};

/// Deploys every case type of a validated bundle (a new version where the text changed) and
/// compiles every version ever deployed. Returns the definitions and a line per new version.
pub async fn deploy(store: &Store, bundle: &Bundle, now_ms: i64) -> Result<(Definitions, Vec<String>), StoreError> {
    let mut defs = Definitions::default();
    let mut log = Vec::new();
    for ct in &bundle.case_types {
        let d = store.deploy(&ct.value.id, &ct.source, now_ms).await?;
        if d.created {
            log.push(format!("{} v{}", d.case_type, d.version));
        }
        defs.set_current(&ct.value.id, d.version);
    }
    for (case_type, version, source) in store.definitions().await? {
        let def = match parse_case_type(&source) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(%case_type, version, "a deployed definition no longer parses; its cases cannot move: {e}");
                continue;
            }
        };
        match Definitions::compile(bundle, def, version) {
            Ok(c) => defs.insert(c),
            Err(e) => {
                tracing::error!(%case_type, version, "a deployed definition does not compile; its cases cannot move: {e}")
            }
        }
    }
    Ok((defs, log))
}

/// The versions already deployed, without deploying anything (for read-only tools); the newest
/// version of each case type is its current one.
pub async fn load_deployed(store: &Store, bundle: &Bundle) -> Result<Definitions, StoreError> {
    let mut defs = Definitions::default();
    for (case_type, version, source) in store.definitions().await? {
        let Ok(def) = parse_case_type(&source) else { continue };
        if let Ok(c) = Definitions::compile(bundle, def, version) {
            if defs.current_version(&case_type).is_none_or(|cur| cur < version) {
                defs.set_current(&case_type, version);
            }
            defs.insert(c);
        }
    }
    Ok(defs)
}
