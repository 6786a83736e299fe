//! A store written before sealing, sealed in place by `yimen keys seal-existing`: afterwards no
//! planted personal value is anywhere in the SQLite file, its write-ahead log, a backup, or a
//! `pg_dump` of a PostgreSQL store; the histories verify; a resident's copy of their data is
//! found by their phone; and a rotation of the master key keeps every case and index readable.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use yimen_engine::core::{Actor, Command, Organisation};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::store::{Store, StoreOptions};

use crate::cluster::{drop_database, scratch_database};
use crate::{stdout, yimen};

const NAME: &str = "欧阳明远";
const PHONE: &str = "13912345678";
const ID_NUMBER: &str = "11010519491231002X";
const NOTE: &str = "申请人住东港街道海景小区7幢";

/// Writes three plain cases with the planted values (an engine without a master key).
fn plant(url: &str) {
    assert_eq!(plant_n(url, 3).len(), 3);
}

/// Writes `n` plain cases with the planted values; returns their ids.
fn plant_n(url: &str, n: usize) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut ids = Vec::new();
        let opts = LoadOptions {
            today: yimen_engine::Today::At(chrono::Utc::now()),
            limits: yimen_engine::yaml::Limits::default(),
        };
        let (bundle, _) = load::load_dir(&yimen_tests::workflows(), &opts);
        let store = Store::open(&StoreOptions::new(url)).await.expect("open");
        let now = chrono::Utc::now().timestamp_millis();
        let (defs, _) = yimen_engine::runtime::definitions::deploy(&store, &bundle, now)
            .await
            .expect("deploy");
        let org = Organisation::new(bundle.organisation.clone().expect("organisation").value);
        let e = Engine::start(
            store.clone(),
            defs,
            org,
            Arc::new(SystemClock),
            EngineOptions::default(),
        );
        let clerk = Actor::for_user(e.org(), "clerk_wang").expect("clerk");
        for i in 0..n {
            let fields = json!({
                "applicant": NAME, "applicant_phone": PHONE, "applicant_id": ID_NUMBER,
                "employer": format!("某水产公司{i}"), "category": "wages", "facts": "工资未发放",
            });
            let fields = fields.as_object().cloned().expect("object");
            let c = e
                .open_case("labour_dispute", "window_labour", fields, None, clerk.clone(), None)
                .await
                .expect("opens");
            e.command(
                c.case.id.as_ref(),
                Command::Comment { text: NOTE.into() },
                clerk.clone(),
                None,
            )
            .await
            .expect("comments");
            ids.push(c.case.id.to_string());
        }
        e.shutdown().await;
        store.close().await;
        ids
    })
}

fn planted(bytes: &[u8]) -> Vec<&'static str> {
    [NAME, PHONE, ID_NUMBER, NOTE]
        .into_iter()
        .filter(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
        .collect()
}

fn keys(args: &[&str], key: &Path) -> std::process::Output {
    yimen()
        .args(args)
        .env("YIMEN_MASTER_KEY_FILE", key)
        .env_remove("YIMEN_MASTER_KEY")
        .output()
        .expect("runs")
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(o)
}

/// Seals the planted store at `url` and checks what a user of the commands sees.
fn seal_and_check(url: &str, dir: &Path) {
    let key = dir.join("master.key");
    let status = ok(&keys(&["keys", "status", "--db", url], &key));
    assert!(status.contains("0 sealed, 3 plain"), "{status}");
    let sealed = ok(&keys(&["keys", "seal-existing", "--db", url, "--batch", "2"], &key));
    assert!(sealed.contains("sealed 3 case(s)"), "{sealed}");
    // Again: nothing left to do.
    let again = ok(&keys(&["keys", "seal-existing", "--db", url], &key));
    assert!(again.contains("sealed 0 case(s)"), "{again}");
    let verify = ok(&keys(&["audit", "verify", "--db", url], &key));
    assert!(verify.starts_with("intact"), "{verify}");
    // Another key is refused, by name.
    let other = keys(&["keys", "status", "--db", url], &dir.join("other.key"));
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("not under"));

    // The resident's copy: found by the phone (blind index), readable, logged.
    let copy = dir.join("copy.json");
    let export = ok(&keys(
        &[
            "person",
            "export",
            "--db",
            url,
            "--phone",
            "139-1234-5678",
            "--out",
            copy.to_str().expect("path"),
            "--by",
            "admin",
        ],
        &key,
    ));
    assert!(export.contains("wrote 3 case(s)"), "{export}");
    let text = std::fs::read_to_string(&copy).expect("copy");
    assert!(
        text.contains(NAME) && text.contains(NOTE) && text.contains("申请人电话"),
        "{text}"
    );
    let bad = keys(
        &[
            "person", "export", "--db", url, "--phone", "12345", "--out", "x.json", "--by", "admin",
        ],
        &key,
    );
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("not a mainland phone"));

    // A rotation re-wraps every key; the old key no longer opens the store, the new one does,
    // and the person is still found.
    let next = dir.join("next.key");
    let rotated = ok(&keys(
        &[
            "keys",
            "rotate",
            "--db",
            url,
            "--new-key-file",
            next.to_str().expect("path"),
        ],
        &key,
    ));
    assert!(rotated.contains("re-wrapped 3 data key(s)"), "{rotated}");
    assert!(!keys(&["keys", "status", "--db", url], &key).status.success());
    let status = ok(&keys(&["keys", "status", "--db", url], &next));
    assert!(status.contains("3 sealed, 0 plain"), "{status}");
    let copy2 = dir.join("copy2.json");
    let export = ok(&keys(
        &[
            "person",
            "export",
            "--db",
            url,
            "--id-number",
            &ID_NUMBER.to_lowercase(),
            "--out",
            copy2.to_str().expect("path"),
            "--by",
            "admin",
        ],
        &next,
    ));
    assert!(export.contains("wrote 3 case(s)"), "{export}");
}

#[test]
fn a_plain_sqlite_store_sealed_in_place_holds_no_personal_value_in_its_file_log_or_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plain.db");
    let url = format!("sqlite://{}", path.display());
    plant(&url);
    // The file and its write-ahead log together: what a closed pool left uncheckpointed is
    // still on the disk.
    let on_disk = || {
        let mut bytes = std::fs::read(&path).expect("file");
        let wal = dir.path().join("plain.db-wal");
        if wal.exists() {
            bytes.extend(std::fs::read(&wal).expect("wal"));
        }
        bytes
    };
    assert_eq!(planted(&on_disk()).len(), 4, "the store was plain");
    seal_and_check(&url, dir.path());
    assert_eq!(planted(&on_disk()), Vec::<&str>::new(), "in the file or its log");
    let backup = dir.path().join("backup.db");
    ok(&yimen()
        .args(["backup", "--db", &url, "--to", backup.to_str().expect("path")])
        .output()
        .expect("runs"));
    assert_eq!(
        planted(&std::fs::read(&backup).expect("backup")),
        Vec::<&str>::new(),
        "in a backup"
    );
    // A restore beside another key is refused before anything is written; beside its own key
    // it says which key the store needs.
    let fresh = dir.path().join("fresh.db");
    let fresh_url = format!("sqlite://{}", fresh.display());
    let from = backup.to_str().expect("path");
    let wrong = keys(
        &["restore", "--from", from, "--db", &fresh_url],
        &dir.path().join("other.key"),
    );
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr).into_owned();
    assert!(said.contains("sealed under master key"), "{said}");
    assert!(!fresh.exists(), "nothing was written");
    let restored = ok(&keys(
        &["restore", "--from", from, "--db", &fresh_url],
        &dir.path().join("next.key"),
    ));
    assert!(restored.contains("sealed under master key"), "{restored}");
}

#[test]
fn a_plain_postgresql_store_sealed_in_place_holds_no_personal_value_in_a_dump() {
    let (base, url) = scratch_database("sealing");
    let dir = tempfile::tempdir().expect("tempdir");
    plant(&url);
    let dump = |url: &str| {
        let out = std::process::Command::new("pg_dump")
            .arg(url)
            .output()
            .expect("pg_dump runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert_eq!(planted(&dump(&url)).len(), 4, "the store was plain");
    seal_and_check(&url, dir.path());
    assert_eq!(planted(&dump(&url)), Vec::<&str>::new(), "in pg_dump's output");
    drop_database(&base, &url);
}

#[test]
fn sealing_in_place_beside_a_running_server_loses_no_command_and_leaves_every_history_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("busy.db").display());
    seal_beside_a_server(&url, dir.path());
}

#[test]
fn sealing_in_place_beside_a_running_server_on_postgresql_loses_no_command() {
    let (base, url) = scratch_database("sealing_busy");
    let dir = tempfile::tempdir().expect("tempdir");
    seal_beside_a_server(&url, dir.path());
    drop_database(&base, &url);
}

/// Seals a store of 40 plain cases while `serve` opens new cases and the clerk comments on the
/// plain ones; then every acknowledged command is there once and every history verifies.
fn seal_beside_a_server(url: &str, dir: &Path) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let url = url.to_owned();
    let planted = plant_n(&url, 40);
    let key = dir.join("master.key");
    let key_text = key.to_str().expect("path").to_owned();
    let server = crate::support::Server::start_with_env(
        &["serve", "--db", &url, "--bind", "127.0.0.1:0"],
        &[("YIMEN_MASTER_KEY_FILE", key_text.as_str())],
    );
    let token = server.token("clerk_wang");
    let openers = crate::support::Openers::start(&server.addr, &token, 2, 0);
    // Meanwhile the clerk comments on the plain cases being sealed, one after another.
    let stop = Arc::new(AtomicBool::new(false));
    let commenter = {
        let (stop, planted) = (stop.clone(), planted.clone());
        let client = crate::support::Client {
            addr: server.addr.clone(),
            token: Some(token.clone()),
        };
        std::thread::spawn(move || {
            let mut acked: std::collections::BTreeMap<String, usize> = Default::default();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = &planted[n % planted.len()];
                n += 1;
                let r = client.post(
                    &format!("/api/v1/cases/{id}/comments"),
                    &json!({"text": format!("跟进{n}")}),
                );
                if r.status == 201 {
                    *acked.entry(id.clone()).or_default() += 1;
                }
            }
            acked
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let sealed = ok(&keys(&["keys", "seal-existing", "--db", &url, "--batch", "5"], &key));
    assert!(sealed.contains("sealed 40 case(s)"), "{sealed}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let comments = commenter.join().expect("the commenter");
    let opened = openers.finish();
    assert!(
        comments.values().sum::<usize>() > 0,
        "the comments went on during sealing"
    );
    assert!(!opened.acked.is_empty(), "and so did new cases");
    let status = ok(&keys(&["keys", "status", "--db", &url], &key));
    assert!(status.contains(" 0 plain"), "{status}");
    if url.starts_with("sqlite") {
        // A rotation needs the store alone: a running server would wrap keys under the old key.
        let next = dir.join("next.key");
        let busy = keys(
            &[
                "keys",
                "rotate",
                "--db",
                &url,
                "--new-key-file",
                next.to_str().expect("path"),
            ],
            &key,
        );
        assert!(!busy.status.success());
        let said = String::from_utf8_lossy(&busy.stderr).into_owned();
        assert!(said.contains("in use"), "{said}");
    }
    let verify = ok(&keys(&["audit", "verify", "--db", &url], &key));
    assert!(verify.starts_with("intact"), "{verify}");
    // Every acknowledged comment is in its case's history, readable under the key.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let text = std::fs::read_to_string(&key).expect("key file");
        let master = yimen_engine::seal::MasterKey::parse(yimen_engine::seal::Suite::Sm4GcmSm3, &text).expect("key");
        let store = Store::open(&StoreOptions::new(&url))
            .await
            .expect("open")
            .sealed_by(Arc::new(master));
        for id in &planted {
            let history = store.history(id).await.expect("history opens");
            let notes = history
                .iter()
                .filter(|e| matches!(&e.event.kind, yimen_engine::core::EventKind::Commented { text } if text.starts_with("跟进")))
                .count();
            assert_eq!(notes, comments.get(id).copied().unwrap_or(0), "case {id}: every acknowledged comment, once");
        }
        for marker in opened.acked.values() {
            assert!(store.case(marker).await.expect("reads").is_some(), "{marker} was acknowledged");
        }
        store.close().await;
    });
    drop(server);
}
