//! The privacy page, as an admin uses it: a resident found by phone or ID number (never by a
//! part of it), their copy downloaded, a legal hold placed and lifted, each step in the privacy
//! log in the reader's words — and no resident's number on the page or in a link.

mod common;

use axum::http::{StatusCode, header};
use common::{App, per_backend};
use serde_json::json;

const NAME: &str = "欧阳明远";
const PHONE: &str = "13912345678";

per_backend!(an_admin_finds_a_resident_downloads_their_copy_and_holds_a_case);
async fn an_admin_finds_a_resident_downloads_their_copy_and_holds_a_case(backend: &str) {
    let app = App::on(backend).await;
    let r = app
        .json(
            "clerk_wang",
            "POST",
            "/api/v1/cases",
            json!({"case_type": "labour_dispute", "channel": "window_labour", "fields": {
                "applicant": NAME, "applicant_phone": PHONE, "applicant_id": "11010519491231002X",
                "employer": "某水产公司", "category": "wages", "facts": "工资未发放"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();

    // Only admins.
    let denied = app.send(Some("clerk_wang"), "GET", "/admin/privacy", None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let page = app.send(Some("admin_qin"), "GET", "/admin/privacy", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("个人信息日志"), "{}", page.body);

    // A wrong number is said in the user's words and finds nothing.
    let bad = app.form("admin_qin", "/admin/privacy", &[("phone", "1391234")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("手机号格式不对"), "{}", bad.body);
    let both = app
        .form(
            "admin_qin",
            "/admin/privacy",
            &[("phone", "1391234"), ("id_number", "110105")],
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        both.body.contains("手机号格式不对") && both.body.contains("身份证号不对"),
        "every field's error at once: {}",
        both.body
    );
    let empty = app.form("admin_qin", "/admin/privacy", &[("phone", " ")]).await;
    assert!(empty.body.contains("请填写手机号或身份证号"), "{}", empty.body);
    let none = app
        .form("admin_qin", "/admin/privacy", &[("phone", "13900000000")])
        .await;
    assert!(none.body.contains("没有找到该居民的案件"), "{}", none.body);

    // The number, however written, finds the case.
    let found = app
        .form("admin_qin", "/admin/privacy", &[("phone", "139 1234 5678")])
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains(&format!("/cases/{id}")), "{}", found.body);
    assert!(found.body.contains("加密保存") && found.body.contains("劳动争议"));
    let by_id = app
        .form("admin_qin", "/admin/privacy", &[("id_number", "11010519491231002x")])
        .await;
    assert!(by_id.body.contains(&format!("/cases/{id}")), "{}", by_id.body);

    // The copy: a JSON attachment with the resident's data under its labels.
    let copy = app
        .form("admin_qin", "/admin/privacy/export", &[("phone", PHONE)])
        .await;
    assert_eq!(copy.status, 200, "{}", copy.body);
    let disposition = copy.headers.get(header::CONTENT_DISPOSITION).expect("attachment");
    assert!(disposition.to_str().expect("text").starts_with("attachment"));
    assert_eq!(copy.headers.get(header::CACHE_CONTROL).expect("no-store"), "no-store");
    let doc = copy.json();
    assert_eq!(doc["cases"][0]["fields"]["申请人"], json!(NAME), "{doc}");
    assert_eq!(doc["cases"][0]["case_type"], json!("劳动争议"));

    // A hold needs a reason; placed, it shows on the case's row; lifted, it goes.
    let no_reason = app
        .form("admin_qin", "/admin/privacy/hold", &[("case_id", &id), ("reason", " ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("请填写保全理由"));
    let held = app
        .form(
            "admin_qin",
            "/admin/privacy/hold",
            &[("case_id", &id), ("reason", "法院保全裁定")],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let found = app.form("admin_qin", "/admin/privacy", &[("phone", PHONE)]).await;
    assert!(found.body.contains("法律保全中：法院保全裁定"), "{}", found.body);
    let lifted = app
        .form(
            "admin_qin",
            "/admin/privacy/hold",
            &[("case_id", &id), ("release", "1")],
        )
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER);
    let unknown = app
        .form(
            "admin_qin",
            "/admin/privacy/hold",
            &[("case_id", "nope"), ("reason", "x")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The log says what happened, in words, and never shows the resident's number.
    let page = app.send(Some("admin_qin"), "GET", "/admin/privacy", None).await;
    for said in [
        "导出副本",
        "设置保全",
        "解除保全",
        "某居民（按手机号）",
        "1 件案件",
        "法院保全裁定",
    ] {
        assert!(page.body.contains(said), "{said} in {}", page.body);
    }
    for secret in [PHONE, NAME, "139 1234 5678"] {
        assert!(!page.body.contains(secret), "{secret} shown on the privacy page");
    }
}
