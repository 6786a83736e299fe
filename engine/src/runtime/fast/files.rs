//! Files in the writer: the uploaded files a command names are checked against what was
//! uploaded (for this case type and field, by this person, and not on another case) before the
//! core decides, and put on the case in the command's own transaction after it accepts, so a
//! refused command leaves its files pending and an accepted one never names a missing file.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::{Any, Transaction};

use super::{Abort, Job, Pending, Read, Shared};
use crate::core::command::Command;
use crate::core::reject::Rejection;
use crate::model::case_type::{CaseTypeFile, FieldType};
use crate::runtime::EngineError;
use crate::store::LoadedCase;
use crate::store::attachments::{self, Attachment, Claim};
use crate::store::sealed::CaseKey;

/// The files a command names: (field, reference) pairs, for fields that hold files.
fn named(def: &CaseTypeFile, cmd: &Command) -> Vec<(String, String)> {
    let fields = match cmd {
        Command::Open { fields, .. } | Command::Act { fields, .. } | Command::Repeat { fields, .. } => fields,
        Command::Attach { field, attachments } => {
            return attachments
                .iter()
                .map(|a| (field.clone(), a.trim().to_owned()))
                .collect();
        }
        _ => return Vec::new(),
    };
    let refs = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.trim().to_owned()],
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_owned())
                .collect(),
            _ => Vec::new(),
        }
    };
    fields
        .iter()
        .filter(|(k, _)| def.fields.get(*k).is_some_and(|f| f.ty == FieldType::Attachment))
        .flat_map(|(k, v)| refs(v).into_iter().map(move |r| (k.clone(), r)))
        .filter(|(_, r)| crate::attachment::is_reference(r))
        .collect()
}

/// Whether a command could name a file at all: an `Attach`, or fields holding a value of a
/// reference's form. Most commands do not, and cost nothing more.
fn may_name_files(cmd: &Command) -> bool {
    let is_ref = |v: &Value| v.as_str().is_some_and(|s| crate::attachment::is_reference(s.trim()));
    match cmd {
        Command::Attach { .. } => true,
        Command::Open { fields, .. } | Command::Act { fields, .. } | Command::Repeat { fields, .. } => {
            fields.values().any(|v| match v {
                Value::Array(a) => a.iter().any(is_ref),
                v => is_ref(v),
            })
        }
        _ => false,
    }
}

/// The definition a job runs against, as [`load`] can tell before deciding.
fn def_of(
    shared: &Shared,
    job: &Job,
    cases: &HashMap<String, LoadedCase>,
) -> Option<std::sync::Arc<crate::core::definition::CompiledCaseType>> {
    let defs = shared.definitions();
    match cases.get(&job.case_id) {
        Some(l) => defs.get(&l.case.case_type, l.case.definition_version),
        None => defs.current(job.case_type.as_deref()?),
    }
}

/// Step 1's part: every file the batch's commands name, as stored.
pub(super) async fn load(
    tx: &mut Transaction<'static, Any>,
    shared: &Shared,
    batch: &[Job],
    cases: &HashMap<String, LoadedCase>,
) -> Result<HashMap<String, Attachment>, Abort> {
    let mut ids: Vec<String> = Vec::new();
    for job in batch.iter().filter(|j| may_name_files(&j.command)) {
        if let Some(def) = def_of(shared, job, cases) {
            ids.extend(named(&def.def, &job.command).into_iter().map(|(_, r)| r));
        }
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort();
    ids.dedup();
    Ok(attachments::load_in(tx, &ids).await?)
}

fn refused(field: &str, problem: &str) -> EngineError {
    EngineError::Rejected(Rejection::InvalidField {
        field: field.to_owned(),
        problem: problem.to_owned(),
    })
}

/// Before deciding: the pending files the command would put on its case, or why it cannot.
pub(super) fn check(def: &CaseTypeFile, job: &Job, read: &Read) -> Result<Vec<String>, EngineError> {
    let mut claims = Vec::new();
    if !may_name_files(&job.command) {
        return Ok(claims);
    }
    for (field, r) in named(def, &job.command) {
        let Some(a) = read.files.get(&r) else {
            return Err(refused(
                &field,
                "names a file that was never uploaded, or was removed unused after a day",
            ));
        };
        match &a.case_id {
            Some(c) if *c == job.case_id && a.field == field => {}
            Some(_) => return Err(refused(&field, "names a file of another case or field")),
            None if a.case_type != def.id || a.field != field => {
                return Err(refused(&field, "names a file uploaded for another form"));
            }
            None if a.uploaded_by != job.actor.id.as_str() => {
                return Err(refused(&field, "names a file someone else uploaded"));
            }
            None => claims.push(r),
        }
    }
    claims.sort();
    claims.dedup();
    Ok(claims)
}

/// After the core accepted: puts the command's pending files on its case (in the batch as read,
/// so a later command in the batch sees them there), each personal file's key now sealed with
/// the case's.
pub(super) fn claim(
    shared: &Shared,
    ids: &[String],
    case_id: &str,
    key: &CaseKey,
    read: &mut Read,
    pending: &mut Pending,
) -> Result<(), EngineError> {
    let master = shared.store.master().map(|m| &**m);
    for id in ids {
        let Some(a) = read.files.get_mut(id) else { continue };
        let wrapped = a.rewrap(master, case_id, key)?;
        a.case_id = Some(case_id.to_owned());
        pending.claims.push(Claim {
            id: id.clone(),
            case_id: case_id.to_owned(),
            wrapped,
        });
    }
    Ok(())
}
