//! Every bundled template renders for a real case, with personal data masked.

use crate::common;

use std::sync::Arc;

use common::{at, bundle, database, engine, fields, user};
use serde_json::json;
use yimen_engine::render::{Addressee, Renderer};
use yimen_engine::runtime::ManualClock;

#[tokio::test]
async fn every_template_renders_and_masks_personal_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _) = database("sqlite", dir.path(), "render").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-16T09:00")));
    let e = engine(&url, "a", clock).await;
    let b = bundle();
    let f = fields(
        json!({"applicant": "张三丰", "applicant_phone": "13800138000", "applicant_id": "110101199003071233",
        "employer": "某水产公司", "category": "wages", "facts": "拖欠工资"}),
    );
    let case = e
        .open_case("labour_dispute", "window_labour", f, None, user(&e, "clerk_wang"), None)
        .await
        .expect("opens")
        .case;
    let def = e
        .definitions()
        .get(&case.case_type, case.definition_version)
        .expect("def");
    let r = Renderer::new(&b.templates, "普陀区社会治理中心", "https://centre.example").expect("templates compile");
    let masked = r.context(
        &def,
        e.org(),
        &case,
        Addressee {
            name: "王敏",
            sees_personal_data: false,
        },
        e.now(),
    );
    assert_eq!(masked["fields"]["applicant_phone"], "138****8000");
    assert_eq!(masked["fields"]["applicant_id"], "110101********1233");
    assert_eq!(masked["fields"]["applicant"], "张**");
    assert_eq!(
        masked["_raw"]["fields"]["applicant_phone"], "138****8000",
        "no raw values for a role that may not see them"
    );
    let open = r.context(
        &def,
        e.org(),
        &case,
        Addressee {
            name: "王敏",
            sees_personal_data: true,
        },
        e.now(),
    );
    assert_eq!(open["_raw"]["fields"]["applicant_phone"], "13800138000");
    for (id, sources) in &b.templates {
        // Report templates render with a report's context (the periodic jobs), not a case's.
        for s in sources
            .iter()
            .filter(|s| !s.uses.iter().any(|u| u.path.starts_with("report.")))
        {
            let out = r
                .render(id, &s.locale, &masked)
                .unwrap_or_else(|err| panic!("{id}.{}: {err}", s.locale));
            let all = format!("{:?}{}{:?}", out.subject, out.body, out.sms);
            assert!(!all.contains("13800138000"), "{id}: unmasked phone");
            assert!(!out.body.is_empty() || out.sms.is_some(), "{id}: nothing rendered");
        }
    }
    let receipt = r.render("case_receipt", "zh-CN", &masked).expect("renders");
    assert!(
        receipt
            .sms
            .as_deref()
            .is_some_and(|s| s.starts_with("【一门】您的劳动争议已受理")),
        "{receipt:?}"
    );
    e.shutdown().await;
}
