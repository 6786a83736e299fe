//! Whole-state snapshots: each bundled scenario runs through the real engine (store, writer,
//! timers on a manual clock) and everything it stored — the case, its history, tasks, timers,
//! rungs, outbox, deliveries, keys — is compared with the snapshot kept beside this file
//! (`snapshots/`). What is random in a run (ids, hashes over them, node names) is redacted;
//! instants are the manual clock's and kept. The engine must also agree with the scenario
//! runner: every expected state and open task list is checked on the stored case.
//!
//! A change in what the engine stores shows as a snapshot diff to review
//! (`cargo insta review`, or `INSTA_UPDATE=always` to accept).

use std::sync::Arc;

use serde_json::{Map, Value};
use yimen_engine::core::{Actor, Command};
use yimen_engine::duration::Duration;
use yimen_engine::model::scenario::Step;
use yimen_engine::runtime::{Clock as _, Engine, ManualClock};

use crate::common;

/// Is `s` random from run to run: a UUID, a SHA-256, a node name?
fn random(s: &str) -> bool {
    let uuid = s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4;
    let sha = s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
    uuid || sha || s.starts_with("node-")
}

/// `v` with the random parts replaced: whole values, and ids inside keys such as
/// `case:<uuid>:sla`.
fn redact(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(redact_text(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (redact_text(&k), redact(v))).collect()),
        other => other,
    }
}

fn redact_text(s: &str) -> String {
    if random(s) {
        return "[random]".into();
    }
    // Ids inside longer texts (keys, links): each 36-character UUID-shaped run.
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..chars.len().min(i + 36)].iter().collect();
        if rest.len() == 36 && random(&rest) && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            out.push_str("[id]");
            i += 36;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The local instant `s` (`2026-09-28T10:00`) in the scenario's calendar.
fn start_of(e: &Engine, case_type: &str, s: &str) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let tz = e
        .definitions()
        .current(case_type)
        .expect("deployed")
        .calendar
        .timezone();
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("a start");
    tz.from_local_datetime(&naive)
        .earliest()
        .expect("a local instant")
        .to_utc()
}

/// Fires the case's timers that fall due up to `to`, each at its own instant, then sets the
/// clock to `to` (as the scenario runner does).
async fn advance(e: &Engine, clock: &ManualClock, id: &str, to: chrono::DateTime<chrono::Utc>) {
    for _ in 0..10_000 {
        let case = e.case(id).await.expect("read").expect("exists");
        let Some(due) = case.timers.values().map(|t| t.due_at).filter(|d| *d <= to).min() else {
            clock.set(to);
            return;
        };
        clock.set(clock.now().max(due));
        e.fire_due_timers().await.expect("fires");
    }
    panic!("more than 10,000 timers in one step");
}

/// The files a scenario's step names in its attachment fields, stored as uploaded by `user`
/// under the scenario's own references (so its snapshot stays the same run after run).
async fn uploaded(
    e: &Engine,
    def: &yimen_engine::model::CaseTypeFile,
    user: &str,
    fields: &indexmap::IndexMap<String, Value>,
) {
    use yimen_engine::model::case_type::FieldType;
    for (field, v) in fields {
        if def.fields.get(field).is_none_or(|f| f.ty != FieldType::Attachment) {
            continue;
        }
        for r in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
            sqlx::query(
                "INSERT INTO attachments (id, case_id, case_type, field, name, media_type, size, sha256, chunks, \
                 thumbnail, personal, key_by, wrapped, uploaded_by, uploaded_at) \
                 VALUES ($1, NULL, $2, $3, 'scenario.pdf', 'application/pdf', 0, '', 0, 0, 0, 'none', NULL, $4, 0)",
            )
            .bind(r)
            .bind(&def.id)
            .bind(field)
            .bind(user)
            .execute(e.store().pool())
            .await
            .expect("a scenario's file");
        }
    }
}

/// Runs `sc` on a fresh store and returns the stored state, redacted, rows sorted.
async fn stored_state(sc: &yimen_engine::load::Loaded<yimen_engine::model::ScenarioFile>) -> Value {
    let s = &sc.value;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let clock = Arc::new(ManualClock::new(common::at("2026-01-05T09:00")));
    let e = common::engine(&url, "snapshot", clock.clone()).await;
    clock.set(start_of(&e, &s.case_type, &s.start));
    let def = e.definitions().current(&s.case_type).expect("deployed");
    let channel = s
        .channel
        .clone()
        .or_else(|| def.def.channels.first().cloned())
        .or_else(|| {
            e.org()
                .file
                .channels
                .iter()
                .find(|(_, c)| c.takes_any)
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_default();
    let fields: Map<String, Value> = s.fields.clone().into_iter().collect();
    let clerk = Actor::system();
    let id = e
        .open_case(&s.case_type, &channel, fields, s.unit.clone(), clerk, None)
        .await
        .unwrap_or_else(|err| panic!("{}: opens: {err}", s.name))
        .case
        .id;
    for (n, step) in s.steps.iter().enumerate() {
        match step {
            Step::Act(a) => {
                let actor = Actor::for_user(e.org(), &a.user).expect("a user of the organisation");
                uploaded(&e, &def.def, &a.user, &a.fields).await;
                let cmd = Command::Act {
                    action: a.action.clone(),
                    fields: a.fields.clone().into_iter().collect(),
                    comment: a.comment.clone(),
                    expected_version: None,
                    assign_to: a.assign_to.clone().map(Into::into),
                };
                let r = e.command(&id, cmd, actor, None).await;
                assert_eq!(
                    r.is_err(),
                    a.rejected,
                    "{} step {}: `{}`: {:?}",
                    s.name,
                    n + 1,
                    a.action,
                    r.err()
                );
            }
            Step::Advance(d) => {
                let dur: Duration = d.parse().expect("a duration");
                let to = def.calendar.add(clock.now(), dur).expect("computable").at;
                advance(&e, &clock, &id, to).await;
            }
            Step::Expect(x) => {
                let case = e.case(&id).await.expect("read").expect("exists");
                if let Some(state) = &x.state {
                    assert_eq!(
                        &case.state,
                        state,
                        "{} step {}: the engine and the runner agree",
                        s.name,
                        n + 1
                    );
                }
                if let Some(tasks) = &x.tasks {
                    let mut want = tasks.clone();
                    want.sort();
                    assert_eq!(case.open_task_names(), want, "{} step {}: open tasks", s.name, n + 1);
                }
            }
        }
    }
    let dump = e.store().dump().await.expect("dump");
    e.shutdown().await;
    let mut out = Map::new();
    for (table, rows) in dump {
        let mut rows: Vec<Value> = rows.into_iter().map(|r| redact(Value::Object(r))).collect();
        rows.sort_by_cached_key(|r| r.to_string());
        out.insert(table.to_owned(), Value::Array(rows));
    }
    Value::Object(out)
}

#[tokio::test]
async fn every_bundled_scenario_stores_what_its_snapshot_says() {
    let bundle = common::bundle();
    let mut scenarios: Vec<_> = bundle.scenarios.iter().collect();
    scenarios.sort_by(|a, b| a.file.cmp(&b.file));
    assert!(scenarios.len() >= 20, "the bundled scenarios are found");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for sc in scenarios {
        let name = sc
            .file
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_owned();
        let state = stored_state(sc).await;
        assert!(
            state["case_events"].as_array().is_some_and(|a| !a.is_empty()),
            "{name}: the history is stored"
        );
        settings.bind(|| insta::assert_json_snapshot!(name, state));
    }
}
