//! Attachments (附件) on the pages: a photo taken at intake and shown as a thumbnail, a bad file
//! said beside its field in the reader's words with no case opened, a page download recorded and
//! named in the history, and a personal file hidden from a role that does not see personal data.

mod common;

use common::files::{content_type, multipart, open_medical, pdf, photo, stored_files};
use common::{App, per_backend};

per_backend!(the_pages_take_a_photo_at_intake_show_its_thumbnail_and_say_what_is_wrong_with_a_bad_one);
async fn the_pages_take_a_photo_at_intake_show_its_thumbnail_and_say_what_is_wrong_with_a_bad_one(backend: &str) {
    let app = App::on(backend).await;
    let texts = [
        ("channel", "grid_report"),
        ("f.reporter", "陈网格"),
        ("f.location", "沈家门渔港路12号"),
        ("f.category", "safety"),
        ("f.description", "路灯杆倾斜"),
    ];
    let before = stored_files(&app).await;
    // A file that only claims to be a photo: the form comes back with the problem beside the
    // field in Chinese, and no case is opened.
    let bad = multipart(&texts, &[("file.photo", "现场.png", "image/png", &pdf("不是照片"))]);
    let (status, _, page) = app
        .raw("grid_chen", "POST", "/intake/grid_event", &content_type(), bad)
        .await;
    let page = String::from_utf8_lossy(&page).into_owned();
    assert_eq!(status.as_u16(), 422, "{backend}: {page}");
    assert!(
        page.contains("现场.png：文件名表明是PNG 图片，但内容是PDF 文件"),
        "{backend}: the problem is said beside the field: {page}"
    );
    assert_eq!(stored_files(&app).await, before, "{backend}");
    let (cases,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cases")
        .fetch_one(app.engine.store().pool())
        .await
        .expect("count");
    assert_eq!(cases, 0, "{backend}: no case was opened");

    // The real photo: the case opens with it, the page shows its thumbnail and name.
    let good = multipart(&texts, &[("file.photo", "现场.png", "image/png", &photo())]);
    let (status, headers, _) = app
        .raw("grid_chen", "POST", "/intake/grid_event", &content_type(), good)
        .await;
    assert_eq!(status.as_u16(), 303, "{backend}");
    let to = headers["location"].to_str().expect("location").to_owned();
    let id = to
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let page = app.send(Some("grid_chen"), "GET", &format!("/cases/{id}"), None).await;
    assert_eq!(page.status, 200, "{backend}");
    let file = app.engine.store().attachments_of(&id).await.expect("files")[0]
        .id
        .clone();
    assert!(
        page.body
            .contains(&format!("<img src=\"/cases/{id}/attachments/{file}/thumbnail\"")),
        "{backend}: the thumbnail is on the page"
    );
    assert!(
        page.body.contains("现场.png") && page.body.contains("附件"),
        "{backend}"
    );
    let text = regex::Regex::new("<[^>]*>").expect("re").replace_all(&page.body, "");
    assert!(
        !text.contains("att_"),
        "{backend}: no raw reference is shown as text: {text}"
    );

    // A page download is recorded like an API one, and the history names the file.
    let (status, _, bytes) = app
        .raw(
            "grid_chen",
            "GET",
            &format!("/cases/{id}/attachments/{file}"),
            "text/plain",
            Vec::new(),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{backend}");
    assert_eq!(bytes, photo(), "{backend}");
    let page = app.send(Some("grid_chen"), "GET", &format!("/cases/{id}"), None).await;
    assert!(
        page.body.contains("下载附件") && page.body.matches("现场.png").count() >= 2,
        "{backend}: the history names the downloaded file"
    );
}

per_backend!(the_case_page_hides_a_personal_file_from_a_role_that_does_not_see_personal_data);
async fn the_case_page_hides_a_personal_file_from_a_role_that_does_not_see_personal_data(backend: &str) {
    let app = App::on(backend).await;
    let id = open_medical(&app, "术后感染").await;
    let body = multipart(
        &[("field", "appraisal_report")],
        &[("file", "林某鉴定意见.pdf", "application/pdf", &pdf("结论"))],
    );
    let (status, headers, _) = app
        .raw(
            "mediator_zhao",
            "POST",
            &format!("/cases/{id}/attachments"),
            &content_type(),
            body,
        )
        .await;
    assert_eq!(status.as_u16(), 303, "{backend}");
    assert!(
        headers["location"]
            .to_str()
            .expect("to")
            .ends_with("done=attached#files"),
        "{backend}"
    );
    let theirs = app
        .send(Some("mediator_zhao"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert!(theirs.body.contains("林某鉴定意见.pdf"), "{backend}");
    let sup = app
        .send(Some("supervisor_han"), "GET", &format!("/cases/{id}"), None)
        .await;
    assert_eq!(sup.status, 200, "{backend}");
    assert!(
        !sup.body.contains("鉴定意见.pdf") && !sup.body.contains("/attachments/att_"),
        "{backend}: {}",
        sup.body
    );
    assert!(
        sup.body.contains("含个人信息的附件，已隐藏"),
        "{backend}: the field says its files are hidden"
    );
    assert!(
        theirs.body.contains("1 个文件"),
        "{backend}: the mediator's field counts the file"
    );
}
