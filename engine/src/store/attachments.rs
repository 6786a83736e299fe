//! Attachments (附件) in the store: a file's description and its bytes in chunks, written in one
//! transaction (an upload cut off half-way writes nothing), read chunk by chunk.
//!
//! A file is uploaded pending; the writer puts it on its case (see `runtime::fast`) in the
//! transaction of the command that names it. A personal file is sealed with a key of its own,
//! wrapped by the master key while pending and by the case's data key once on its case.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::sealed::CaseKey;
use super::{Store, StoreError};
use crate::seal::{DataKey, MasterKey, hex};

/// The size of a stored chunk.
pub const CHUNK: usize = 256 * 1024;
/// The chunk number of an image's thumbnail.
const THUMBNAIL: i64 = -1;
/// How long a pending file waits to be named by a case before it is removed.
pub const PENDING_MS: i64 = 24 * 3600 * 1000;

/// A file to store, as received and checked by the service.
#[derive(Debug)]
pub struct Upload<'a> {
    /// The case type and field it is for.
    pub case_type: &'a str,
    /// The field.
    pub field: &'a str,
    /// Its name as uploaded.
    pub name: &'a str,
    /// Its media type, read from its content.
    pub media_type: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// A thumbnail (PNG), for images.
    pub thumbnail: Option<&'a [u8]>,
    /// Whether its field holds personal data (then it is sealed).
    pub personal: bool,
    /// Who uploaded it (only they may name it on a case).
    pub uploaded_by: &'a str,
}

/// A stored file's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its reference.
    pub id: String,
    /// Its case (none while pending).
    pub case_id: Option<String>,
    /// The case type and field it was uploaded for.
    pub case_type: String,
    /// The field.
    pub field: String,
    /// Its name (empty once a personal file was erased with its case's key; sealed text when the
    /// store cannot open it).
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, hex.
    pub sha256: String,
    /// How many chunks hold it.
    pub chunks: i64,
    /// Whether it has a thumbnail.
    pub thumbnail: bool,
    /// Whether it is personal data.
    pub personal: bool,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (UTC ms).
    pub uploaded_at: i64,
    key_by: String,
    wrapped: Option<String>,
}

/// How a file's bytes open.
#[derive(Debug, Clone)]
pub enum FileKey {
    /// Stored plain.
    Plain,
    /// Sealed with this key.
    Sealed(Arc<DataKey>),
}

/// A pending file the writer puts on a case: its reference, the case, and its key sealed with
/// the case's key (none for a plain file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The file.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// Its key, wrapped by the case's data key.
    pub wrapped: Option<String>,
}

type Columns = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    String,
    i64,
);
const COLUMNS: &str = "id, case_id, case_type, field, name, media_type, size, sha256, chunks, thumbnail, personal, \
                       key_by, wrapped, uploaded_by, uploaded_at";

fn attachment(c: Columns) -> Attachment {
    Attachment {
        id: c.0,
        case_id: c.1,
        case_type: c.2,
        field: c.3,
        name: c.4,
        media_type: c.5,
        size: u64::try_from(c.6).unwrap_or_default(),
        sha256: c.7,
        chunks: c.8,
        thumbnail: c.9 != 0,
        personal: c.10 != 0,
        key_by: c.11,
        wrapped: c.12,
        uploaded_by: c.13,
        uploaded_at: c.14,
    }
}

/// A new reference: `att_` and 32 hex digits of a time-ordered UUID.
fn new_reference() -> String {
    format!("att_{}", uuid::Uuid::now_v7().simple())
}

fn sealing(id: &str, e: crate::seal::SealError) -> StoreError {
    StoreError::Sealed(format!("attachment {id}: {e}"))
}

impl Attachment {
    /// Whether it is still pending (named by no case).
    pub fn is_pending(&self) -> bool {
        self.case_id.is_none()
    }

    /// For a pending personal file: its key sealed with `case_key` for case `case_id` (what the
    /// writer stores when it puts the file on the case). `None` for a plain file.
    pub fn rewrap(
        &self,
        master: Option<&MasterKey>,
        case_id: &str,
        case_key: &CaseKey,
    ) -> Result<Option<String>, StoreError> {
        if self.key_by != "master" {
            return Ok(None);
        }
        let (Some(master), Some(wrapped), CaseKey::Live(ck)) = (master, &self.wrapped, case_key) else {
            return Err(StoreError::Sealed(format!(
                "attachment {}: its key cannot be carried to case {case_id}",
                self.id
            )));
        };
        let fk = master.unwrap(&self.id, wrapped).map_err(|e| sealing(&self.id, e))?;
        ck.wrap_key(case_id, &self.id, &fk)
            .map(Some)
            .map_err(|e| sealing(&self.id, e))
    }
}

impl Store {
    /// Stores an uploaded file, pending, in one transaction; returns its reference. A personal
    /// file is sealed (with no master key configured it is stored plain, as the store's other
    /// personal data is).
    pub async fn put_attachment(&self, u: &Upload<'_>, now_ms: i64) -> Result<String, StoreError> {
        let id = new_reference();
        let sealed = match (u.personal, self.master()) {
            (true, Some(m)) => Some(m.new_data_key(&id).map_err(|e| sealing(&id, e))?),
            _ => None,
        };
        let seal = |seq: i64, bytes: &[u8]| -> Result<Vec<u8>, StoreError> {
            match &sealed {
                Some((fk, _)) => fk
                    .seal_bytes(&[&id, &seq.to_string()], bytes)
                    .map_err(|e| sealing(&id, e)),
                None => Ok(bytes.to_vec()),
            }
        };
        let name = match &sealed {
            Some((fk, _)) => fk.seal(&id, "name", u.name).map_err(|e| sealing(&id, e))?,
            None => u.name.to_owned(),
        };
        let (key_by, wrapped) = match &sealed {
            Some((_, w)) => ("master", Some(w.clone())),
            None => ("none", None),
        };
        let chunks: Vec<&[u8]> = u.bytes.chunks(CHUNK).collect();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO attachments (id, case_id, case_type, field, name, media_type, size, sha256, chunks, \
             thumbnail, personal, key_by, wrapped, uploaded_by, uploaded_at) \
             VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(u.case_type)
        .bind(u.field)
        .bind(&name)
        .bind(u.media_type)
        .bind(i64::try_from(u.bytes.len()).unwrap_or(i64::MAX))
        .bind(hex(&Sha256::digest(u.bytes)))
        .bind(chunks.len() as i64)
        .bind(i64::from(u.thumbnail.is_some()))
        .bind(i64::from(u.personal))
        .bind(key_by)
        .bind(wrapped)
        .bind(u.uploaded_by)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let parts = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| (i as i64, *c))
            .chain(u.thumbnail.map(|t| (THUMBNAIL, t)));
        for (seq, bytes) in parts {
            sqlx::query("INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(seq)
                .bind(seal(seq, bytes)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The files with these references (any that exist), as stored.
    pub async fn attachments(&self, ids: &[String]) -> Result<Vec<Attachment>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(a) = self.attachment(id).await? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// One file's description, its name opened where the store can.
    pub async fn attachment(&self, id: &str) -> Result<Option<Attachment>, StoreError> {
        let row: Option<Columns> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let Some(mut a) = row.map(attachment) else {
            return Ok(None);
        };
        self.open_name(&mut a).await?;
        Ok(Some(a))
    }

    /// The files on a case, oldest first, names opened where the store can.
    pub async fn attachments_of(&self, case_id: &str) -> Result<Vec<Attachment>, StoreError> {
        let rows: Vec<Columns> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE case_id = $1 ORDER BY uploaded_at, id"
        ))
        .bind(case_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut a = attachment(r);
            self.open_name(&mut a).await?;
            out.push(a);
        }
        Ok(out)
    }

    /// Opens a sealed file's name; a file erased with its case's key (or sealed for a store
    /// without the master key) keeps no name.
    async fn open_name(&self, a: &mut Attachment) -> Result<(), StoreError> {
        match self.file_key(a).await {
            Ok(FileKey::Sealed(k)) => {
                a.name = k.open(&a.id, "name", &a.name).map_err(|e| sealing(&a.id, e))?;
            }
            Ok(FileKey::Plain) => {}
            Err(_) => a.name.clear(),
        }
        Ok(())
    }

    /// The key a file's bytes open with. An error for a file whose key is gone (erased with its
    /// case's) or that this store cannot open (no master key).
    pub async fn file_key(&self, a: &Attachment) -> Result<FileKey, StoreError> {
        let wrapped = || {
            a.wrapped
                .as_deref()
                .ok_or_else(|| StoreError::Sealed(format!("attachment {}: its key was erased", a.id)))
        };
        match a.key_by.as_str() {
            "none" => Ok(FileKey::Plain),
            "master" => {
                let master = self
                    .master()
                    .ok_or_else(|| StoreError::Sealed(format!("attachment {}: no master key", a.id)))?;
                let k = master.unwrap(&a.id, wrapped()?).map_err(|e| sealing(&a.id, e))?;
                Ok(FileKey::Sealed(Arc::new(k)))
            }
            "case" => {
                let case_id = a.case_id.as_deref().unwrap_or_default();
                let (key, _) = self.case_key(case_id).await?;
                let CaseKey::Live(ck) = key else {
                    return Err(StoreError::Sealed(format!(
                        "attachment {}: the key of case {case_id} is not available",
                        a.id
                    )));
                };
                let k = ck
                    .unwrap_key(case_id, &a.id, wrapped()?)
                    .map_err(|e| sealing(&a.id, e))?;
                Ok(FileKey::Sealed(Arc::new(k)))
            }
            other => Err(StoreError::Corrupt(format!(
                "attachment {}: unknown key holder `{other}`",
                a.id
            ))),
        }
    }

    /// Chunk `seq` of a file (−1: its thumbnail), opened.
    pub async fn attachment_chunk(&self, id: &str, seq: i64, key: &FileKey) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT data FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
                .bind(id)
                .bind(seq)
                .fetch_optional(self.pool())
                .await?;
        let Some((data,)) = row else { return Ok(None) };
        match key {
            FileKey::Plain => Ok(Some(data)),
            FileKey::Sealed(k) => k
                .open_bytes(&[id, &seq.to_string()], &data)
                .map(Some)
                .map_err(|e| sealing(id, e)),
        }
    }

    /// A file's thumbnail, opened.
    pub async fn attachment_thumbnail(&self, a: &Attachment) -> Result<Option<Vec<u8>>, StoreError> {
        if !a.thumbnail {
            return Ok(None);
        }
        let key = self.file_key(a).await?;
        self.attachment_chunk(&a.id, THUMBNAIL, &key).await
    }

    /// Removes pending files uploaded before `before_ms` that no case named; returns how many.
    pub async fn sweep_pending_attachments(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM attachment_chunks WHERE attachment_id IN \
             (SELECT id FROM attachments WHERE case_id IS NULL AND uploaded_at < $1)",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM attachments WHERE case_id IS NULL AND uploaded_at < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }
}

/// The files `ids` names, read in the writer's transaction (names left as stored).
pub(crate) async fn load_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Attachment>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for id in ids {
        let row: Option<Columns> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(r) = row {
            out.insert(id.clone(), attachment(r));
        }
    }
    Ok(out)
}

/// Puts pending files on their cases, in the writer's transaction; a file another node put on
/// a case meanwhile makes the batch conflict (and run again).
pub(crate) async fn claim_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    claims: &[Claim],
) -> Result<(), super::WriteError> {
    for c in claims {
        let key_by = if c.wrapped.is_some() { "case" } else { "none" };
        let done = sqlx::query(
            "UPDATE attachments SET case_id = $1, wrapped = $2, key_by = $3 WHERE id = $4 AND case_id IS NULL",
        )
        .bind(&c.case_id)
        .bind(&c.wrapped)
        .bind(key_by)
        .bind(&c.id)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from)?;
        if done.rows_affected() != 1 {
            return Err(super::WriteError::Conflict);
        }
    }
    Ok(())
}
