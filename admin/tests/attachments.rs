//! Attachments (附件) as staff and clients use them: files uploaded for a field and named when
//! the case opens, added to an open case, listed, downloaded byte for byte with the download in
//! the history, thumbnails for images; every bad file refused with every problem at once and
//! nothing stored; a personal file sealed in the store, hidden from a role that does not see
//! personal data, and erased with the case's key.

mod common;

use common::files::{content_type, grid_event, multipart, open_medical, pdf, photo, stored_files, upload};
use common::{App, per_backend};
use serde_json::{Value, json};

per_backend!(a_photo_goes_up_with_the_case_comes_down_whole_and_its_download_is_recorded);
async fn a_photo_goes_up_with_the_case_comes_down_whole_and_its_download_is_recorded(backend: &str) {
    let app = App::on(backend).await;
    let bytes = photo();
    let (status, got) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[("现场 1.png", "image/png", &bytes)],
    )
    .await;
    assert_eq!(status, 201, "{backend}: {got}");
    let file = got["files"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(got["files"][0]["media_type"], "image/png", "{backend}");
    assert_eq!(got["files"][0]["size"], bytes.len(), "{backend}");

    let r = app
        .json("grid_chen", "POST", "/api/v1/cases", grid_event(&[&file]))
        .await;
    assert_eq!(r.status, 201, "{backend}: {}", r.body);
    let case = r.json();
    let id = case["id"].as_str().expect("id").to_owned();
    assert_eq!(case["fields"]["photo"], json!([file]), "{backend}");
    let version = case["version"].as_i64().expect("version");

    // The handling department sees it listed and downloads it byte for byte.
    let list = app
        .send(
            Some("head_governance"),
            "GET",
            &format!("/api/v1/cases/{id}/attachments"),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{backend}: {}", list.body);
    let list = list.json();
    assert_eq!(list["files"][0]["name"], "现场 1.png", "{backend}");
    assert_eq!(list["files"][0]["thumbnail"], true, "{backend}");
    let (status, headers, down) = app
        .raw(
            "head_governance",
            "GET",
            &format!("/api/v1/cases/{id}/attachments/{file}"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status, 200, "{backend}");
    assert_eq!(down, bytes, "{backend}: the file comes back as it went up");
    assert_eq!(headers["content-type"], "image/png", "{backend}");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.png"),
        "{backend}: {disposition}"
    );

    // The download is in the history; the case did not change (an open form stays current).
    let after = app
        .send(Some("head_governance"), "GET", &format!("/api/v1/cases/{id}"), None)
        .await;
    let after = after.json();
    assert_eq!(after["version"].as_i64(), Some(version), "{backend}: {after}");
    let downloads: Vec<&Value> = after["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "attachment_downloaded")
        .collect();
    assert_eq!(downloads.len(), 1, "{backend}: {}", after["history"]);
    assert_eq!(downloads[0]["attachment"], file.as_str(), "{backend}");
    assert_eq!(downloads[0]["actor"], "head_governance", "{backend}");
    let audit = app.engine.store().audit_verify().await.expect("audit");
    assert!(
        audit.broken.is_empty(),
        "{backend}: the history's chain holds with the download in it"
    );

    // The thumbnail is a small PNG of the photo, and is not a download.
    let (status, headers, thumb) = app
        .raw(
            "head_governance",
            "GET",
            &format!("/api/v1/cases/{id}/attachments/{file}/thumbnail"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status, 200, "{backend}");
    assert_eq!(headers["content-type"], "image/png", "{backend}");
    let small = image::load_from_memory(&thumb).expect("a thumbnail decodes");
    assert_eq!((small.width(), small.height()), (240, 180), "{backend}");

    // The same file cannot be named by a second case, nor someone else's upload by anyone.
    let again = app
        .json("grid_chen", "POST", "/api/v1/cases", grid_event(&[&file]))
        .await;
    assert_eq!(again.status, 422, "{backend}: {}", again.body);
    assert!(again.body.contains("another case"), "{backend}: {}", again.body);
    let (_, other) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[("b.png", "image/png", &bytes)],
    )
    .await;
    let other = other["files"][0]["id"].as_str().expect("id").to_owned();
    let stolen = app
        .json("clerk_wang", "POST", "/api/v1/cases", grid_event(&[&other]))
        .await;
    assert_eq!(stolen.status, 422, "{backend}: {}", stolen.body);
    assert!(stolen.body.contains("someone else"), "{backend}: {}", stolen.body);
    let unknown = app
        .json(
            "grid_chen",
            "POST",
            "/api/v1/cases",
            grid_event(&["att_0123456789abcdef0123456789abcdef"]),
        )
        .await;
    assert_eq!(unknown.status, 422, "{backend}: {}", unknown.body);

    // Adding to the open case: the second file joins the first.
    let body = multipart(&[("field", "photo")], &[("file", "近景.png", "image/png", &bytes)]);
    let (status, _, added) = app
        .raw(
            "grid_chen",
            "POST",
            &format!("/api/v1/cases/{id}/attachments"),
            &content_type(),
            body,
        )
        .await;
    assert_eq!(status, 201, "{backend}: {}", String::from_utf8_lossy(&added));
    let added: Value = serde_json::from_slice(&added).expect("json");
    assert_eq!(
        added["fields"]["photo"].as_array().map(Vec::len),
        Some(2),
        "{backend}: {added}"
    );
}

per_backend!(every_bad_file_is_refused_at_once_and_nothing_is_stored);
async fn every_bad_file_is_refused_at_once_and_nothing_is_stored(backend: &str) {
    let app = App::on(backend).await;
    let good = photo();
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend([0u8; 64]);
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
    broken.extend(b"not really a jpeg at all");
    let over = {
        let mut v = good.clone();
        v.resize(10 * 1024 * 1024 + 1, 0);
        v
    };
    let before = stored_files(&app).await;
    // A good file beside five bad ones: none is stored, and each bad one is named.
    let (status, body) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[
            ("好的.png", "image/png", &good),
            ("合同.png", "image/png", &pdf("合同")),
            ("scan.pdf", "application/pdf", &pdf("扫描")),
            ("tool.png", "image/png", &exe),
            ("坏的.jpg", "image/jpeg", &broken),
            ("大.png", "image/png", &over),
        ],
    )
    .await;
    assert_eq!(status, 422, "{backend}: {body}");
    assert_eq!(body["code"], "bad_file", "{backend}: {body}");
    let detail = body["detail"].as_str().expect("detail");
    for needle in [
        "合同.png: the file is declared as image/png but its content is application/pdf",
        "scan.pdf: this field does not take application/pdf files",
        "tool.png: the file's content is not a kind of file",
        "坏的.jpg: the image is damaged",
        "大.png: the file is larger than 10.0 MB",
    ] {
        assert!(detail.contains(needle), "{backend}: `{needle}` missing from {detail}");
    }
    assert!(!detail.contains("好的.png"), "{backend}: {detail}");
    assert_eq!(stored_files(&app).await, before, "{backend}: nothing was stored");

    // Too many files for the field, a field that takes no files, a form cut off half-way.
    let ten: Vec<(&str, &str, &[u8])> = (0..10).map(|_| ("p.png", "image/png", good.as_slice())).collect();
    let (status, body) = upload(&app, "grid_chen", "grid_event", "photo", &ten).await;
    assert_eq!(status, 422, "{backend}: {body}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains("at most 9 files"),
        "{backend}: {body}"
    );
    let (status, body) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "description",
        &[("a.png", "image/png", &good)],
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("not_a_file_field")),
        "{backend}: {body}"
    );
    let mut cut = multipart(&[], &[("file", "a.png", "image/png", &good)]);
    cut.truncate(cut.len() / 2);
    let (status, _, body) = app
        .raw(
            "grid_chen",
            "POST",
            "/api/v1/attachments?case_type=grid_event&field=photo",
            &content_type(),
            cut,
        )
        .await;
    assert_eq!(status.as_u16(), 400, "{backend}: {}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("cut off"), "{backend}");
    assert_eq!(stored_files(&app).await, before, "{backend}: still nothing stored");

    // The larger limit is the upload routes' alone: a 1 MiB photo goes up, a 1 MiB JSON body
    // to any other route is refused.
    let mut big = good.clone();
    big.resize(1024 * 1024, 0);
    let (status, body) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[("big.png", "image/png", &big)],
    )
    .await;
    assert_eq!(status, 201, "{backend}: {body}");
    let filler = "字".repeat(400 * 1024);
    let r = app
        .json(
            "grid_chen",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "grid_event", "note": filler}),
        )
        .await;
    assert_eq!(r.status, 413, "{backend}: {}", r.body);
}

per_backend!(a_personal_file_is_sealed_hidden_from_roles_without_personal_data_and_erased_with_the_case);
async fn a_personal_file_is_sealed_hidden_from_roles_without_personal_data_and_erased_with_the_case(backend: &str) {
    let app = App::on(backend).await;
    let id = open_medical(&app, "术后感染，患方要求赔偿").await;
    let secret = "林某鉴定结论：医疗过错参与度40%";
    let body = multipart(
        &[("field", "appraisal_report")],
        &[("file", "林某鉴定意见.pdf", "application/pdf", &pdf(secret))],
    );
    let (status, _, added) = app
        .raw(
            "mediator_zhao",
            "POST",
            &format!("/api/v1/cases/{id}/attachments"),
            &content_type(),
            body,
        )
        .await;
    assert_eq!(status, 201, "{backend}: {}", String::from_utf8_lossy(&added));
    let list = app
        .send(
            Some("mediator_zhao"),
            "GET",
            &format!("/api/v1/cases/{id}/attachments"),
            None,
        )
        .await
        .json();
    let file = list["files"][0]["id"].as_str().expect("file").to_owned();
    assert_eq!(list["files"][0]["name"], "林某鉴定意见.pdf", "{backend}");

    // In the store: the name and every chunk sealed; neither the name nor the text readable.
    let pool = app.engine.store().pool();
    let (name, key_by): (String, String) = sqlx::query_as("SELECT name, key_by FROM attachments WHERE id = $1")
        .bind(&file)
        .fetch_one(pool)
        .await
        .expect("row");
    assert!(name.starts_with("ymn1.") && !name.contains("林某"), "{backend}: {name}");
    assert_eq!(key_by, "case", "{backend}: the file's key is held by the case's");
    let chunks: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT data FROM attachment_chunks WHERE attachment_id = $1")
        .bind(&file)
        .fetch_all(pool)
        .await
        .expect("chunks");
    assert!(!chunks.is_empty(), "{backend}");
    for (c,) in &chunks {
        assert!(
            !String::from_utf8_lossy(c).contains("鉴定"),
            "{backend}: a chunk is readable"
        );
        assert!(!c.starts_with(b"%PDF"), "{backend}: a chunk is plain");
    }

    // A supervisor sees the case but not personal data: the file is neither listed nor served.
    let theirs = app
        .send(
            Some("supervisor_han"),
            "GET",
            &format!("/api/v1/cases/{id}/attachments"),
            None,
        )
        .await;
    assert_eq!(theirs.status, 200, "{backend}: {}", theirs.body);
    assert_eq!(theirs.json()["files"], json!([]), "{backend}");
    let (status, _, _) = app
        .raw(
            "supervisor_han",
            "GET",
            &format!("/api/v1/cases/{id}/attachments/{file}"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status.as_u16(), 404, "{backend}");
    // The mediator reads it whole.
    let (status, _, down) = app
        .raw(
            "mediator_zhao",
            "GET",
            &format!("/api/v1/cases/{id}/attachments/{file}"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{backend}");
    assert!(String::from_utf8_lossy(&down).contains(secret), "{backend}");

    // Shredding the case's key erases the file: its bytes are gone and nothing serves it.
    let done = app
        .engine
        .store()
        .shred_case(&id, "\"test\"", "admin_qin", 1)
        .await
        .expect("shred");
    assert!(done.is_ok(), "{backend}");
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = $1")
        .bind(&file)
        .fetch_one(pool)
        .await
        .expect("count");
    assert_eq!(left, 0, "{backend}");
    let (status, _, _) = app
        .raw(
            "mediator_zhao",
            "GET",
            &format!("/api/v1/cases/{id}/attachments/{file}"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status.as_u16(), 404, "{backend}");
}

per_backend!(an_account_uploading_too_many_files_in_a_minute_is_told_to_wait_and_others_are_not);
async fn an_account_uploading_too_many_files_in_a_minute_is_told_to_wait_and_others_are_not(backend: &str) {
    let limits = yimen_service::limits::LimitSettings {
        uploads_per_minute: 3,
        openings_per_minute: 1_000_000,
        sign_ins_per_minute: 1_000_000,
        ..Default::default()
    };
    let app = App::on_with(backend, limits).await;
    let good = photo();
    let before = stored_files(&app).await;
    // Two files, then one: three within the quota.
    let (status, body) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[("a.png", "image/png", &good), ("b.png", "image/png", &good)],
    )
    .await;
    assert_eq!(status, 201, "{backend}: {body}");
    let (status, _) = upload(
        &app,
        "grid_chen",
        "grid_event",
        "photo",
        &[("c.png", "image/png", &good)],
    )
    .await;
    assert_eq!(status, 201, "{backend}");
    // The fourth is refused with how long to wait, and nothing more is stored.
    let parts = multipart(&[], &[("file", "d.png", "image/png", &good)]);
    let (status, headers, body) = app
        .raw(
            "grid_chen",
            "POST",
            "/api/v1/attachments?case_type=grid_event&field=photo",
            &content_type(),
            parts,
        )
        .await;
    assert_eq!(status.as_u16(), 429, "{backend}: {}", String::from_utf8_lossy(&body));
    let wait: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{backend}: {wait}");
    assert_eq!(stored_files(&app).await, before + 3, "{backend}");
    // Another account has its own quota.
    let (status, _) = upload(
        &app,
        "handler_li",
        "grid_event",
        "photo",
        &[("e.png", "image/png", &good)],
    )
    .await;
    assert_eq!(status, 201, "{backend}");
}
