//! Files for the attachment tests: multipart bodies, a real photo and PDF, uploads, and what
//! the store holds.

use serde_json::{Value, json};

use super::App;

pub const BOUNDARY: &str = "yimen-test-boundary-7f3a";

/// A multipart body: text parts, then file parts (part name, file name, declared type, bytes).
pub fn multipart(texts: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in texts {
        out.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (part, name, ty, bytes) in files {
        out.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{name}\"\r\nContent-Type: {ty}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend(*bytes);
        out.extend(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

pub fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A real photo: a 640×480 PNG with a gradient.
pub fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

pub async fn upload(
    app: &App,
    user: &str,
    case_type: &str,
    field: &str,
    files: &[(&str, &str, &[u8])],
) -> (u16, Value) {
    let parts: Vec<(&str, &str, &str, &[u8])> = files.iter().map(|(n, t, b)| ("file", *n, *t, *b)).collect();
    let (status, _, body) = app
        .raw(
            user,
            "POST",
            &format!("/api/v1/attachments?case_type={case_type}&field={field}"),
            &content_type(),
            multipart(&[], &parts),
        )
        .await;
    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status.as_u16(), v)
}

pub async fn stored_files(app: &App) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.engine.store().pool())
        .await
        .expect("count");
    n
}

pub fn grid_event(photos: &[&str]) -> Value {
    json!({"case_type": "grid_event", "channel": "grid_report", "fields": {
        "reporter": "陈网格", "location": "沈家门渔港路12号", "category": "safety",
        "description": "路灯杆倾斜，有倒塌危险", "photo": photos}})
}

/// A medical dispute opened by a mediator (its appraisal report is a personal file field);
/// returns its id.
pub async fn open_medical(app: &App, facts: &str) -> String {
    let r = app
        .json(
            "mediator_zhao",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "medical_dispute", "channel": "window_medical", "fields": {
                "patient": "林某", "patient_phone": "13700137000", "hospital": "普陀区人民医院",
                "facts": facts}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_owned()
}
