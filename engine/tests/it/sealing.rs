//! Personal data sealed at rest, on both backends and with both cipher suites: what the store
//! holds never shows a planted value, what the engine reads is plain, a changed ciphertext or a
//! wrong key is an error naming the case, and the history's chain holds on the ciphertext.

use crate::common;

use std::sync::Arc;

use common::{at, database, engine_with, fields, per_backend, user};
use serde_json::{Map, Value, json};
use yimen_engine::core::{Command, EventKind};
use yimen_engine::runtime::{Engine, Idempotency, ManualClock};
use yimen_engine::seal::{MasterKey, Suite};
use yimen_engine::store::outbox::NewDelivery;
use yimen_engine::store::{Store, StoreError, StoreOptions};

/// Values planted in a case: none may appear anywhere in the store.
pub const NAME: &str = "欧阳明远";
pub const PHONE: &str = "13912345678";
pub const ID_NUMBER: &str = "11010519491231002X";
pub const NOTE: &str = "申请人住东港街道海景小区7幢";

pub fn dispute() -> Map<String, Value> {
    fields(json!({
        "applicant": NAME,
        "applicant_phone": PHONE,
        "applicant_id": ID_NUMBER,
        "employer": "某水产公司",
        "category": "wages",
        "facts": "工资未发放",
    }))
}

/// Opens a labour dispute with the planted values, comments on it with the planted note, and
/// queues its citizen's SMS receipt as a delivery (as the dispatcher would). Returns its id.
pub async fn planted_case(e: &Engine, tag: &str) -> String {
    let clerk = user(e, "clerk_wang");
    let key = Idempotency {
        key: format!("clerk_wang:{tag}"),
        request_hash: "h".into(),
    };
    let opened = e
        .open_case(
            "labour_dispute",
            "window_labour",
            dispute(),
            None,
            clerk.clone(),
            Some(key.clone()),
        )
        .await
        .expect("opens");
    let id = opened.case.id.to_string();
    e.command(&id, Command::Comment { text: NOTE.into() }, clerk.clone(), None)
        .await
        .expect("comments");
    // A replay answers from the stored (sealed) answer, opened.
    let replay = e
        .open_case("labour_dispute", "window_labour", dispute(), None, clerk, Some(key))
        .await
        .expect("replays");
    assert!(replay.replayed);
    assert_eq!(replay.case.fields["applicant_phone"], json!(PHONE));
    let store = e.store();
    let now = e.now().timestamp_millis();
    for row in store.claim_outbox("n", now, now + 60_000, 100).await.expect("claim") {
        let to = [NewDelivery {
            channel: "sms".into(),
            address: PHONE.into(),
            recipient: "citizen".into(),
            undeliverable: None,
        }];
        store
            .expand_outbox(&row.idempotency_key, &row.case_id, &row.template, "n", &to, now)
            .await
            .expect("expand");
    }
    id
}

/// Every text the store holds for its cases, as one string.
pub async fn stored_text(store: &Store) -> String {
    let dump = store.dump().await.expect("dump");
    let mut all = serde_json::to_string(&dump).expect("json");
    for t in ["case_keys", "person_index", "privacy_log"] {
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {t}"))
            .fetch_all(store.pool())
            .await
            .expect("count");
        all.push_str(&rows[0].0);
    }
    all
}

pub fn planted_in(text: &str) -> Vec<&'static str> {
    [NAME, PHONE, ID_NUMBER, NOTE, "139 1234 5678"]
        .into_iter()
        .filter(|v| text.contains(v))
        .collect()
}

async fn sealed_engine(url: &str, suite: Suite) -> (Engine, Arc<MasterKey>) {
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let master = Arc::new(MasterKey::generate(suite));
    let m = master.clone();
    (engine_with(url, "a", clock, |o| o.master = Some(m)).await, master)
}

async fn sealed_at_rest(backend: &str, suite: Suite) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(
        backend,
        dir.path(),
        &format!("sealed_{}", suite.name().replace('-', "_")),
    )
    .await;
    let (e, master) = sealed_engine(&url, suite).await;
    let id = planted_case(&e, "one").await;

    // Read through the engine: plain.
    let case = e.case(&id).await.expect("read").expect("exists");
    assert_eq!(case.fields["applicant"], json!(NAME));
    assert_eq!(case.fields["applicant_id"], json!(ID_NUMBER));
    assert_eq!(
        case.fields["employer"],
        json!("某水产公司"),
        "what is not personal stays as it is"
    );
    let history = e.history(&id).await.expect("history");
    assert!(
        matches!(&history[0].event.kind, EventKind::Opened { fields, .. } if fields["applicant_phone"] == json!(PHONE))
    );
    assert!(
        history
            .iter()
            .any(|h| matches!(&h.event.kind, EventKind::Commented { text } if text == NOTE))
    );
    let deliveries = e.store().case_deliveries(&id).await.expect("deliveries");
    assert!(
        deliveries
            .iter()
            .any(|d| d.address == PHONE && d.slot.starts_with("sealed:")),
        "{backend}: the citizen's address opens, and is stored by its blind index: {deliveries:?}"
    );

    // What the store holds: no planted value, anywhere.
    let stored = stored_text(e.store()).await;
    assert_eq!(planted_in(&stored), Vec::<&str>::new(), "{backend} {}", suite.name());
    assert!(stored.contains(&format!("ymn1.{}.", suite.name())));

    // The chain is the suite's, and it holds on the ciphertext.
    let (chain,): (String,) = sqlx::query_as("SELECT chain FROM case_keys WHERE case_id = $1")
        .bind(&id)
        .fetch_one(e.store().pool())
        .await
        .expect("key row");
    assert_eq!(chain, if suite == Suite::Sm4GcmSm3 { "sm3" } else { "sha256" });
    let report = e.store().audit_verify().await.expect("verify");
    assert!(report.broken.is_empty(), "{:?}", report.broken);

    // Every case of this phone is found by its blind index, without decrypting anything.
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM person_index WHERE kind = 'phone' AND value = $1 AND case_id = $2",
    )
    .bind(master.blind_index("phone", PHONE))
    .bind(&id)
    .fetch_one(e.store().pool())
    .await
    .expect("index");
    assert_eq!(n, 1);
    let by_name = e
        .store()
        .cases_of_person("person", &master.blind_index("person", NAME), 10)
        .await
        .expect("index");
    assert_eq!(
        by_name,
        std::slice::from_ref(&id),
        "a name is found whole by its blind index"
    );
    e.shutdown().await;

    // A store opened without the key reads the case with its personal values still sealed.
    let bare = Store::open(&StoreOptions::new(&url)).await.expect("open");
    let unopened = bare.case(&id).await.expect("reads").expect("exists");
    assert!(unopened.fields["applicant_phone"]["sealed"].is_string());
    assert_eq!(unopened.fields["employer"], json!("某水产公司"));
    bare.close().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

per_backend!(personal_data_is_sealed_at_rest_with_sm4);
async fn personal_data_is_sealed_at_rest_with_sm4(backend: &str) {
    sealed_at_rest(backend, Suite::Sm4GcmSm3).await;
}

per_backend!(personal_data_is_sealed_at_rest_with_aes);
async fn personal_data_is_sealed_at_rest_with_aes(backend: &str) {
    sealed_at_rest(backend, Suite::Aes256GcmSha256).await;
}

per_backend!(a_changed_ciphertext_or_a_wrong_key_is_an_error_naming_the_case);
async fn a_changed_ciphertext_or_a_wrong_key_is_an_error_naming_the_case(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "tampered").await;
    let (e, master) = sealed_engine(&url, Suite::Sm4GcmSm3).await;
    let id = planted_case(&e, "one").await;
    let other = planted_case(&e, "two").await;
    assert_ne!(id, other);
    e.shutdown().await;

    // Another master key: nothing opens, and each error names its case.
    let (wrong, _) = sealed_engine(&url, Suite::Sm4GcmSm3).await;
    let err = wrong.case(&id).await.expect_err("a wrong key does not open");
    assert!(err.to_string().contains(&id), "{err}");
    let refused = wrong
        .command(
            &id,
            Command::Comment { text: "x".into() },
            user(&wrong, "clerk_wang"),
            None,
        )
        .await
        .expect_err("a command on a case that does not open is refused");
    assert!(refused.to_string().contains(&id), "{refused}");
    wrong.shutdown().await;

    // One changed digit of a sealed value: that case is an error naming it; others still read.
    let store = Store::open(&StoreOptions::new(&url)).await.expect("open");
    let (data,): (String,) = sqlx::query_as("SELECT data FROM cases WHERE id = $1")
        .bind(&id)
        .fetch_one(store.pool())
        .await
        .expect("row");
    let at = data.find("ymn1.sm4gcm-sm3.").expect("a sealed value") + 40;
    let flipped = if &data[at..=at] == "0" { "1" } else { "0" };
    let changed = format!("{}{flipped}{}", &data[..at], &data[at + 1..]);
    sqlx::query("UPDATE cases SET data = $1 WHERE id = $2")
        .bind(&changed)
        .bind(&id)
        .execute(store.pool())
        .await
        .expect("tamper");
    let store = store.sealed_by(master);
    match store.case(&id).await {
        Err(StoreError::Sealed(why)) => assert!(why.contains(&id), "{why}"),
        other => panic!("a changed ciphertext must be refused, got {other:?}"),
    }
    let fine = store.case(&other).await.expect("the other case opens").expect("exists");
    assert_eq!(fine.fields["applicant_phone"], json!(PHONE));
    store.close().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

fn withdraw() -> Command {
    Command::Act {
        action: "withdraw".into(),
        fields: Map::new(),
        comment: Some(NOTE.into()),
        expected_version: None,
        assign_to: None,
    }
}

per_backend!(retention_deletes_personal_data_for_good_and_keeps_the_chain_and_the_figures);
async fn retention_deletes_personal_data_for_good_and_keeps_the_chain_and_the_figures(backend: &str) {
    use yimen_engine::reports::{Period, bulletin};
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "retention").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    let master = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let m = master.clone();
    let e = engine_with(&url, "a", clock.clone(), |o| o.master = Some(m)).await;
    let clerk = user(&e, "clerk_wang");
    let (closed, held, open) = (
        planted_case(&e, "closed").await,
        planted_case(&e, "held").await,
        planted_case(&e, "open").await,
    );
    for id in [&closed, &held] {
        e.command(id, withdraw(), clerk.clone(), None).await.expect("withdraws");
    }
    assert!(
        e.store()
            .set_hold(&held, Some("诉讼保全"), "admin", 1)
            .await
            .expect("hold")
    );
    let b = common::bundle();
    let cal = b.calendars.get("cn-mainland").expect("calendar");
    let names = std::collections::HashMap::new();
    let rules = bulletin::Rules::counting(e.org(), cal, &names);
    let month = Period::parse("2026-11").expect("period");
    let before = bulletin::compute(e.store(), &rules, month).await.expect("bulletin");

    let (destroyed,): (String,) = sqlx::query_as("SELECT wrapped FROM case_keys WHERE case_id = $1")
        .bind(&closed)
        .fetch_one(e.store().pool())
        .await
        .expect("key row");
    // Within the 30 years nothing is deleted.
    clock.advance(chrono::Duration::days(365 * 29));
    assert_eq!(e.sweep_retention().await.expect("sweep"), 0);
    // After them, the closed case's data goes; the held one and the open one stay.
    clock.advance(chrono::Duration::days(365 * 2));
    assert_eq!(e.sweep_retention().await.expect("sweep"), 1, "{backend}");
    assert_eq!(e.sweep_retention().await.expect("sweep again"), 0, "once");

    let gone = e.case(&closed).await.expect("reads").expect("exists");
    let (when, rule) = yimen_engine::store::sealed::deleted_value(&gone.fields["applicant_phone"])
        .expect("the phone reads as deleted");
    assert_eq!(when, e.now().timestamp_millis());
    assert_eq!(rule["zh-CN"], json!("文书档案定期30年（国家档案局令第8号）"));
    assert_eq!(
        gone.fields["employer"],
        json!("某水产公司"),
        "what is not personal stays"
    );
    assert_eq!(gone.repeat_key, None);
    let history = e.history(&closed).await.expect("history");
    assert!(
        history
            .iter()
            .any(|h| matches!(&h.event.kind, EventKind::Commented { text } if text.is_empty()))
    );
    for id in [&held, &open] {
        let kept = e.case(id).await.expect("reads").expect("exists");
        assert_eq!(kept.fields["applicant_phone"], json!(PHONE), "{id} keeps its data");
    }
    // Gone for good: not even the master key opens it, and no index finds it.
    let (wrapped,): (Option<String>,) = sqlx::query_as("SELECT wrapped FROM case_keys WHERE case_id = $1")
        .bind(&closed)
        .fetch_one(e.store().pool())
        .await
        .expect("key row");
    assert_eq!(wrapped, None);
    if backend == "sqlite" {
        // Nor does the destroyed key linger in the file's free space or its log.
        let mut bytes = std::fs::read(dir.path().join("retention.db")).expect("file");
        if let Ok(wal) = std::fs::read(dir.path().join("retention.db-wal")) {
            bytes.extend(wal);
        }
        let hexed = destroyed.as_bytes();
        assert!(
            !bytes.windows(hexed.len()).any(|w| w == hexed),
            "the destroyed key is still on disk"
        );
    }
    let found = e
        .store()
        .cases_of_person("phone", &master.blind_index("phone", PHONE), 10)
        .await
        .expect("index");
    assert!(!found.contains(&closed) && found.contains(&held) && found.contains(&open));
    // A shredded case takes no more changes, with a clear refusal.
    let refused = e
        .command(&closed, Command::Comment { text: "x".into() }, clerk.clone(), None)
        .await
        .expect_err("refused");
    assert!(refused.to_string().contains("deleted"), "{refused}");
    // The history's chain is whole, and the month's figures are the same.
    let report = e.store().audit_verify().await.expect("verify");
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    let after = bulletin::compute(e.store(), &rules, month).await.expect("bulletin");
    assert_eq!(before, after, "{backend}: deleting personal data changes no figure");
    // Lifting the hold lets the next sweep delete the held case; every step is logged.
    assert!(e.store().set_hold(&held, None, "admin", 2).await.expect("release"));
    assert_eq!(e.sweep_retention().await.expect("sweep"), 1);
    let log = e.store().privacy_log(100).await.expect("log");
    let actions: Vec<(&str, &str)> = log.iter().map(|l| (l.action.as_str(), l.subject.as_str())).collect();
    for want in [
        ("hold", held.as_str()),
        ("release", &held),
        ("shred", &closed),
        ("shred", &held),
    ] {
        assert!(actions.contains(&want), "{want:?} in {actions:?}");
    }
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}

// A command that waits while another transaction gives its case a key writes under that key. On
// PostgreSQL it failed while the writer read the key joined to its locking read of the case (the
// joined row as before the wait: the comment was written unsealed); the key is now read after the
// lock is taken.
per_backend!(a_command_waiting_on_a_case_being_sealed_sees_its_new_key);
async fn a_command_waiting_on_a_case_being_sealed_sees_its_new_key(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, pg) = database(backend, dir.path(), "race").await;
    let clock = Arc::new(ManualClock::new(at("2026-11-02T10:00")));
    // A plain case, written before sealing.
    let plain = engine_with(&url, "a", clock.clone(), |_| {}).await;
    let id = planted_case(&plain, "race").await;
    plain.shutdown().await;
    let master = Arc::new(MasterKey::generate(Suite::Sm4GcmSm3));
    let m = master.clone();
    let e = engine_with(&url, "a", clock, |o| o.master = Some(m)).await;
    let before = e.case(&id).await.expect("reads").expect("exists").version;
    // Another connection holds the case (as `seal-existing` does) and gives it a key...
    let other = Store::open(&StoreOptions::new(&url)).await.expect("open");
    let mut tx = other.begin_write().await.expect("begin");
    if backend == "postgres" {
        sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind(&id)
            .execute(&mut *tx)
            .await
            .expect("lock");
    }
    // ...while a command on the case waits for it.
    let waiting = {
        let (e, id) = (e.clone(), id.clone());
        tokio::spawn(async move {
            let clerk = user(&e, "clerk_wang");
            e.command(
                &id,
                Command::Comment {
                    text: "封存之后的备注".into(),
                },
                clerk,
                None,
            )
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "{backend}: the command waits for the case");
    let (_, wrapped) = master.new_data_key(&id).expect("key");
    sqlx::query("INSERT INTO case_keys (case_id, wrapped, master, chain, created_at) VALUES ($1, $2, $3, 'sha256', 0)")
        .bind(&id)
        .bind(&wrapped)
        .bind(master.fingerprint())
        .execute(&mut *tx)
        .await
        .expect("key row");
    tx.commit().await.expect("commit");
    // The command, let through, seals what it writes under the case's new key.
    let done = waiting.await.expect("task").expect("the comment is taken");
    assert_eq!(done.case.version, before + 1, "{backend}");
    let (payload,): (String,) = sqlx::query_as(
        "SELECT payload FROM case_events WHERE case_id = $1 AND kind = 'commented' ORDER BY seq DESC LIMIT 1",
    )
    .bind(&id)
    .fetch_one(other.pool())
    .await
    .expect("last event");
    assert!(
        !payload.contains("封存之后的备注"),
        "{backend}: written unsealed after the case got a key: {payload}"
    );
    other.close().await;
    e.shutdown().await;
    if let Some(pg) = pg {
        pg.drop_db().await;
    }
}
