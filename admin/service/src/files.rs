//! Attachments (附件) as the service offers them: files received for a field are checked
//! against its limits with their kind read from the content (every problem at once, nothing
//! stored unless all pass), images get a thumbnail, and a file is read only by someone who may
//! see its case (and, for a personal file, personal data), each download recorded in the case's
//! history before a byte goes out.

use yimen_engine::attachment::{self, Kind as FileKind};
use yimen_engine::core::{Actor, Case, Command};
use yimen_engine::model::case_type::{Field, FieldType};
use yimen_engine::store::attachments::{Attachment, FileKey, Upload};

use crate::access;
use crate::cases;
use crate::error::{Error, Kind};
use crate::state::AppState;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 240;
/// The largest image (in pixels a side) a thumbnail is drawn from: a 48-megapixel phone photo
/// is 8,000 × 6,000.
const IMAGE_SIDE: u32 = 10_000;
/// The most memory decoding one image may take (a decompression bomb is refused, not obeyed).
const IMAGE_MEMORY: u64 = 256 * 1024 * 1024;

/// A file as it arrived.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Its name as the sender gave it.
    pub name: String,
    /// The media type the sender declared, if any.
    pub declared: Option<String>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What is wrong with a file, in terms a page can put in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It is empty.
    Empty,
    /// It is larger than the field takes (the limit in bytes).
    TooLarge(u64),
    /// Its content is no kind of file the engine recognises.
    Unknown,
    /// Its name or declared type says one kind and its content is another (declared, found).
    Mismatch(String, String),
    /// The field does not take this kind.
    NotAccepted(String),
    /// An image whose content does not decode.
    Damaged,
    /// The field would hold more files than it may (its limit).
    TooMany(usize),
}

impl Problem {
    /// The English sentence (the API's; pages use their own texts).
    pub fn detail(&self) -> String {
        match self {
            Problem::Empty => "the file is empty".into(),
            Problem::TooLarge(max) => format!("the file is larger than {}", attachment::format_size(*max)),
            Problem::Unknown => "the file's content is not a kind of file the centre accepts".into(),
            Problem::Mismatch(d, f) => format!("the file is declared as {d} but its content is {f}"),
            Problem::NotAccepted(f) => format!("this field does not take {f} files"),
            Problem::Damaged => "the image is damaged and cannot be read".into(),
            Problem::TooMany(n) => format!("the field holds at most {n} files"),
        }
    }
}

/// A refused file: its name and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The file's name (cleaned).
    pub name: String,
    /// What is wrong.
    pub problem: Problem,
}

/// Why files were not taken.
#[derive(Debug)]
pub enum ReceiveError {
    /// Some files are not acceptable (every one listed); none was stored.
    Refused(Vec<Refused>),
    /// Anything else (an unknown field, the store).
    Other(Error),
}

impl From<Error> for ReceiveError {
    fn from(e: Error) -> Self {
        ReceiveError::Other(e)
    }
}

impl ReceiveError {
    /// As one service error (for the API).
    pub fn into_error(self) -> Error {
        match self {
            ReceiveError::Other(e) => e,
            ReceiveError::Refused(list) => Error::new(
                Kind::Invalid,
                "bad_file",
                list.iter()
                    .map(|r| format!("{}: {}", r.name, r.problem.detail()))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        }
    }
}

/// A stored file, as answered to its uploader.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Received {
    /// Its reference, to name in the case's field.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind, read from its content.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A file name as kept: the last part of any path, without control characters, at most 120
/// characters; `file` when nothing is left.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    let kept = kept.trim().trim_start_matches('.').to_owned();
    if kept.is_empty() { "file".into() } else { kept }
}

/// The attachment field `field` of case type `case_type`.
pub fn field_of(s: &AppState, case_type: &str, field: &str) -> Result<Field, Error> {
    let def = s.engine.definitions().current(case_type).ok_or_else(|| {
        Error::new(
            Kind::Invalid,
            "unknown_case_type",
            format!("there is no case type `{case_type}`"),
        )
    })?;
    def.def
        .fields
        .get(field)
        .filter(|f| f.ty == FieldType::Attachment)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                Kind::Invalid,
                "not_a_file_field",
                format!("`{field}` is not a field for files of this case type"),
            )
        })
}

fn normalised(media_type: &str) -> String {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if t == "image/jpg" { "image/jpeg".into() } else { t }
}

/// What is wrong with one file for field `f`, if anything; its kind when nothing is.
pub fn check(f: &Field, file: &Incoming) -> Result<&'static FileKind, Problem> {
    if file.bytes.is_empty() {
        return Err(Problem::Empty);
    }
    if file.bytes.len() as u64 > f.max_bytes() {
        return Err(Problem::TooLarge(f.max_bytes()));
    }
    let found = attachment::sniff(&file.bytes)
        .and_then(attachment::kind)
        .ok_or(Problem::Unknown)?;
    let by_name = attachment::declared_by_name(&file.name);
    let by_type = file
        .declared
        .as_deref()
        .map(normalised)
        .and_then(|t| attachment::kind(&t));
    for declared in [by_name, by_type].into_iter().flatten() {
        if declared.media_type != found.media_type {
            return Err(Problem::Mismatch(
                declared.media_type.to_owned(),
                found.media_type.to_owned(),
            ));
        }
    }
    if !f.accepts(found.media_type) {
        return Err(Problem::NotAccepted(found.media_type.to_owned()));
    }
    Ok(found)
}

/// A PNG thumbnail of an image, its longest side [`THUMBNAIL_SIDE`]; `Damaged` when the image
/// does not decode within the limits.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| Problem::Damaged)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(IMAGE_SIDE);
    limits.max_image_height = Some(IMAGE_SIDE);
    limits.max_alloc = Some(IMAGE_MEMORY);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| Problem::Damaged)?;
    let small = img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let mut out = std::io::Cursor::new(Vec::new());
    small
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|_| Problem::Damaged)?;
    Ok(out.into_inner())
}

/// Checks every file for field `field` of case type `case_type` (the field already holding
/// `held` files) and, only if all pass, stores them pending for `actor` to name on a case.
pub async fn receive(
    s: &AppState,
    actor: &Actor,
    case_type: &str,
    field: &str,
    files: Vec<Incoming>,
    held: usize,
) -> Result<Vec<Received>, ReceiveError> {
    let f = field_of(s, case_type, field)?;
    let personal = f.is_personal();
    // Every file counts against the account's quota, refused or not.
    for _ in &files {
        if let Err(wait) = s.limits.upload(&actor.id) {
            return Err(Error::too_many(
                wait.0,
                format!("too many files uploaded with this account; try again in {} s", wait.0),
            )
            .into());
        }
    }
    let mut refused = Vec::new();
    if held + files.len() > f.file_limit() {
        refused.push(Refused {
            name: String::new(),
            problem: Problem::TooMany(f.file_limit()),
        });
    }
    // Decoding images for thumbnails is work for a blocking thread.
    let checked = tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .map(|file| {
                let name = clean_name(&file.name);
                let thumb = match check(&f, &file) {
                    Ok(kind) if kind.image => thumbnail(&file.bytes).map(|t| (kind, Some(t))),
                    Ok(kind) => Ok((kind, None)),
                    Err(p) => Err(p),
                };
                (name, file.bytes, thumb)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| Error::new(Kind::Internal, "internal", format!("checking the files failed: {e}")))?;
    refused.extend(checked.iter().filter_map(|(name, _, r)| {
        r.as_ref().err().map(|p| Refused {
            name: name.clone(),
            problem: p.clone(),
        })
    }));
    if !refused.is_empty() {
        return Err(ReceiveError::Refused(refused));
    }
    let now = s.engine.now().timestamp_millis();
    let mut out = Vec::with_capacity(checked.len());
    for (name, bytes, r) in &checked {
        let Ok((kind, thumb)) = r else { continue };
        let upload = Upload {
            case_type,
            field,
            name,
            media_type: kind.media_type,
            bytes,
            thumbnail: thumb.as_deref(),
            personal,
            uploaded_by: &actor.id,
        };
        let id = s
            .engine
            .store()
            .put_attachment(&upload, now)
            .await
            .map_err(Error::from)?;
        out.push(Received {
            id,
            name: name.clone(),
            media_type: kind.media_type.to_owned(),
            size: bytes.len() as u64,
        });
    }
    Ok(out)
}

/// Receives files for an attachment field of an open case and adds them to it (one command).
pub async fn attach(
    s: &AppState,
    actor: &Actor,
    case_id: &str,
    field: &str,
    files: Vec<Incoming>,
) -> Result<Case, ReceiveError> {
    let case = cases::visible(s, actor, case_id).await?;
    let f = field_of(s, &case.case_type, field)?;
    if f.is_personal() && !access::sees_personal_data(s.engine.org(), actor) {
        return Err(Error::new(
            Kind::Forbidden,
            "not_allowed",
            "this field holds personal data, which your role does not see",
        )
        .into());
    }
    let held = yimen_engine::core::command::references(&case, field).count();
    let got = receive(s, actor, &case.case_type, field, files, held).await?;
    let command = Command::Attach {
        field: field.to_owned(),
        attachments: got.into_iter().map(|r| r.id).collect(),
    };
    let out = s
        .engine
        .command(&case.id, command, actor.clone(), None)
        .await
        .map_err(Error::from)?;
    Ok(out.case)
}

/// Whether `actor` may see file `a` of a case they may see: every file, but a personal one only
/// for a role that sees personal data.
pub fn may_read(s: &AppState, actor: &Actor, a: &Attachment) -> bool {
    !a.personal || access::sees_personal_data(s.engine.org(), actor)
}

/// The files of case `case_id` that `actor` may see (the case's visibility checked), oldest first.
pub async fn list(s: &AppState, actor: &Actor, case_id: &str) -> Result<(Case, Vec<Attachment>), Error> {
    let case = cases::visible(s, actor, case_id).await?;
    let all = s.engine.store().attachments_of(&case.id).await?;
    let shown = all.into_iter().filter(|a| may_read(s, actor, a)).collect();
    Ok((case, shown))
}

/// File `file` of case `case_id`, if `actor` may read it (not found otherwise, so a hidden
/// file's existence is not told).
pub async fn find(s: &AppState, actor: &Actor, case_id: &str, file: &str) -> Result<(Case, Attachment), Error> {
    let case = cases::visible(s, actor, case_id).await?;
    let not_found = || Error::new(Kind::NotFound, "file_not_found", "the case has no such file");
    if !attachment::is_reference(file) {
        return Err(not_found());
    }
    let a = s.engine.store().attachment(file).await?.ok_or_else(not_found)?;
    if a.case_id.as_deref() != Some(case.id.as_str()) || !may_read(s, actor, &a) {
        return Err(not_found());
    }
    Ok((case, a))
}

/// Opens file `file` of case `case_id` for download: records the download in the case's
/// history first (so no file goes out unrecorded), then gives the key to read its chunks.
pub async fn open(s: &AppState, actor: &Actor, case_id: &str, file: &str) -> Result<(Attachment, FileKey), Error> {
    let (case, a) = find(s, actor, case_id, file).await?;
    let key = s.engine.store().file_key(&a).await.map_err(|_| {
        Error::new(
            Kind::NotFound,
            "file_erased",
            "the file was erased with the case's personal data",
        )
    })?;
    let record = Command::RecordDownload {
        attachment: a.id.clone(),
    };
    s.engine
        .command(&case.id, record, actor.clone(), None)
        .await
        .map_err(Error::from)?;
    Ok((a, key))
}

/// The thumbnail of image `file` of case `case_id` (not a download: nothing is recorded).
pub async fn thumbnail_of(s: &AppState, actor: &Actor, case_id: &str, file: &str) -> Result<Vec<u8>, Error> {
    let (_, a) = find(s, actor, case_id, file).await?;
    s.engine
        .store()
        .attachment_thumbnail(&a)
        .await
        .ok()
        .flatten()
        .ok_or_else(|| Error::new(Kind::NotFound, "file_not_found", "the file has no thumbnail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::new(w, h);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).expect("png");
        out.into_inner()
    }

    #[test]
    fn a_thumbnail_is_drawn_only_within_the_image_limits() {
        // Small files both: a picture's side, not its file size, is what decoding costs.
        let wide = png(IMAGE_SIDE + 1, 1);
        let fits = png(IMAGE_SIDE, 2);
        assert!(wide.len() < 64 * 1024 && fits.len() < 64 * 1024);
        assert_eq!(thumbnail(&wide), Err(Problem::Damaged));
        let t = image::load_from_memory(&thumbnail(&fits).expect("within the limits")).expect("png");
        assert_eq!(t.width(), THUMBNAIL_SIDE);
        assert_eq!(thumbnail(b"\x89PNG\r\n\x1a\nnot a png"), Err(Problem::Damaged));
    }

    #[test]
    fn a_name_keeps_only_its_last_part_without_control_characters() {
        assert_eq!(clean_name("C:\\fakepath\\现场.jpg"), "现场.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\r\n.pdf"), "ab.pdf");
        assert_eq!(clean_name(".hidden"), "hidden");
        assert_eq!(clean_name("///"), "file");
        assert_eq!(clean_name(&"长".repeat(300)).chars().count(), 120);
    }
}
