//! Forms with files: `multipart/form-data` (or a plain URL-encoded form) read from the request's
//! body, which [`crate::finish`]'s body reader has already taken in whole within its limit and
//! deadline, so a file cut off half-way never reaches a handler. Only the routes that take
//! files ([`takes_files`]) get the larger limit, [`UPLOAD_MAX_BODY`].

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yimen_service::files::Incoming;

use crate::{ApiError, error_page_coded, is_api_path};

/// The largest request that carries files (several files of a field at its largest size).
pub const UPLOAD_MAX_BODY: usize = 64 * 1024 * 1024;
/// The longest text part of a form with files.
const TEXT_PART: usize = 64 * 1024;

/// Whether a request may carry files: a `multipart/form-data` POST to a route that takes them
/// (the intake form, an action's form, a case's files).
pub fn takes_files(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    *method == Method::POST
        && is_multipart(headers)
        && (path.starts_with("/intake/") || path.ends_with("/attachments") || path.ends_with("/act"))
}

/// Whether the body is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|v| v.starts_with("multipart/form-data"))
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// A form as sent: its text fields in order, and its files with the name of the part each came in.
#[derive(Debug, Default)]
pub struct FormData {
    /// Text fields, in order.
    pub fields: Vec<(String, String)>,
    /// Files: (part name, file). A file input left empty sends nothing here.
    pub files: Vec<(String, Incoming)>,
}

impl FormData {
    /// The files sent in part `name`.
    pub fn files_of(&mut self, name: &str) -> Vec<Incoming> {
        let (mine, rest) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.files = rest;
        mine.into_iter().map(|(_, f)| f).collect()
    }
}

/// Reads a multipart body in whole: every part, or why it is not a well-formed form.
pub async fn parse_multipart(content_type: &str, body: Bytes) -> Result<FormData, String> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| "the form has no boundary".to_owned())?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(UPLOAD_MAX_BODY as u64)
            .per_field(UPLOAD_MAX_BODY as u64),
    );
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut out = FormData::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("the form is cut off or malformed ({e})")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let declared = field.content_type().map(ToString::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("the form is cut off or malformed ({e})"))?;
        match file_name {
            // A file input left empty.
            Some(n) if n.is_empty() && bytes.is_empty() => {}
            Some(n) => out.files.push((
                name,
                Incoming {
                    name: n,
                    declared,
                    bytes: bytes.to_vec(),
                },
            )),
            None => {
                if bytes.len() > TEXT_PART {
                    return Err(format!("the form's field `{name}` is too long"));
                }
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| format!("the form's field `{name}` is not UTF-8 text"))?;
                out.fields.push((name, text));
            }
        }
    }
    Ok(out)
}

/// The first text field `name` of a multipart body (the CSRF check's), if it reads.
pub async fn multipart_field(headers: &HeaderMap, body: Bytes, name: &str) -> Option<String> {
    let form = parse_multipart(content_type(headers)?, body).await.ok()?;
    form.fields.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let api = is_api_path(req.uri().path());
        let refuse = |detail: String| -> Response {
            if api {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_form", detail).into_response()
            } else {
                error_page_coded(StatusCode::BAD_REQUEST, "bad_form", &detail)
            }
        };
        let multipart = is_multipart(req.headers());
        let ct = content_type(req.headers()).unwrap_or_default().to_owned();
        let body = axum::body::to_bytes(req.into_body(), UPLOAD_MAX_BODY)
            .await
            .map_err(|_| refuse("the form could not be read".into()))?;
        if multipart {
            return parse_multipart(&ct, body).await.map_err(refuse);
        }
        let fields = url::form_urlencoded::parse(&body).into_owned().collect();
        Ok(FormData {
            fields,
            files: Vec::new(),
        })
    }
}

/// A file's bytes as a download: streamed chunk by chunk from the store (a chunk that fails to
/// read or open ends the stream with an error, so the client sees a broken download rather
/// than a wrong one). `Content-Disposition` names it in UTF-8 (RFC 6266, RFC 5987).
pub fn download(
    store: yimen_engine::store::Store,
    a: &yimen_engine::store::attachments::Attachment,
    key: yimen_engine::store::attachments::FileKey,
) -> Response {
    let id = a.id.clone();
    let chunks = a.chunks;
    let stream = futures_util::stream::unfold(0i64, move |seq| {
        let (store, id, key) = (store.clone(), id.clone(), key.clone());
        async move {
            if seq >= chunks {
                return None;
            }
            let chunk = match store.attachment_chunk(&id, seq, &key).await {
                Ok(Some(b)) => Ok(Bytes::from(b)),
                Ok(None) => Err(std::io::Error::other(format!("file {id}: chunk {seq} is missing"))),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            Some((chunk, seq + 1))
        }
    });
    let mut r = axum::body::Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    let value = |s: &str| {
        header::HeaderValue::from_str(s).unwrap_or(header::HeaderValue::from_static("application/octet-stream"))
    };
    h.insert(header::CONTENT_TYPE, value(&a.media_type));
    h.insert(header::CONTENT_LENGTH, header::HeaderValue::from(a.size));
    let ascii: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::url_encode(&a.name).replace('+', "%20")
    );
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// A thumbnail (PNG), cached privately by the browser for a day (it never changes).
pub fn thumbnail(png: Vec<u8>) -> Response {
    let mut r = png.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=86400"),
    );
    r
}
