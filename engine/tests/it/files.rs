//! Attachments in the store: a pending personal file sealed under the master key is carried
//! through a rotation of that key and still opens once its case names it.

use crate::common;

use std::sync::Arc;

use common::{at, database, engine_with, fields, per_backend, user};
use serde_json::json;
use yimen_engine::runtime::ManualClock;
use yimen_engine::seal::{MasterKey, Suite};
use yimen_engine::store::attachments::{FileKey, Upload};
use yimen_engine::store::reseal::Rotation;

per_backend!(a_pending_personal_file_still_opens_on_its_case_after_a_master_key_rotation);
async fn a_pending_personal_file_still_opens_on_its_case_after_a_master_key_rotation(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _pg) = database(backend, dir.path(), "files_rotation").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let old = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let m = old.clone();
    let e = engine_with(&url, "a", clock.clone(), |o| o.master = Some(m)).await;
    let now = e.now().timestamp_millis();
    e.store()
        .bind_master_key(old.suite().name(), &old.fingerprint(), now)
        .await
        .expect("bind");
    let bytes = b"%PDF-1.4\n% appraisal of the patient\n%%EOF\n";
    let upload = Upload {
        case_type: "medical_dispute",
        field: "appraisal_report",
        name: "鉴定意见.pdf",
        media_type: "application/pdf",
        bytes,
        thumbnail: None,
        personal: true,
        uploaded_by: "mediator_zhao",
    };
    let file = e.store().put_attachment(&upload, now).await.expect("stored");

    let new = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let done = e.store().rotate_master(&old, &new, 100).await.expect("rotates");
    assert!(matches!(done, Rotation::Done { .. }), "{backend}: {done:?}");
    e.shutdown().await;

    let m = new.clone();
    let e = engine_with(&url, "b", clock, |o| o.master = Some(m)).await;
    let opened = e
        .open_case(
            "medical_dispute",
            "window_medical",
            fields(
                json!({"patient": "林某", "patient_phone": "13700137000", "hospital": "普陀区人民医院",
                "facts": "术后感染", "appraisal_report": [file]}),
            ),
            None,
            user(&e, "mediator_zhao"),
            None,
        )
        .await
        .unwrap_or_else(|err| panic!("{backend}: the case names the file after the rotation: {err}"));
    let a = e.store().attachment(&file).await.expect("read").expect("the file");
    assert_eq!(a.case_id.as_deref(), Some(opened.case.id.as_str()), "{backend}");
    assert_eq!(a.name, "鉴定意见.pdf", "{backend}: the name opens under the new key");
    let key = e.store().file_key(&a).await.expect("key");
    assert!(matches!(key, FileKey::Sealed(_)), "{backend}");
    let chunk = e.store().attachment_chunk(&file, 0, &key).await.expect("chunk");
    assert_eq!(chunk.as_deref(), Some(&bytes[..]), "{backend}");
}
