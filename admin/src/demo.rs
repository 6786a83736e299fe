//! `yimen serve --demo`: a living centre for a newcomer, on its own database. Every user of the
//! organisation gets an account with a freshly generated password (printed at start), and, the
//! first time, the bundled scenarios are replayed through the engine step by step so that cases
//! stand in every state the procedures reach; some are escalated by hand so the supervision
//! board has work on it. Nothing of this happens without `--demo`.

use serde_json::{Map, Value};
use yimen_engine::core::{Actor, Command};
use yimen_engine::load::Bundle;
use yimen_engine::model::scenario::Step;
use yimen_engine::runtime::Engine;

/// The database `--demo` uses unless `--db` names another.
pub const DEMO_DB: &str = "sqlite://yimen-demo.db";

/// An account made for the demo, with its password.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Sign-in name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role names.
    pub roles: String,
    /// The password, shown once.
    pub password: String,
}

/// Makes (or re-keys) an account for every user of the organisation.
pub async fn accounts(engine: &Engine) -> anyhow::Result<Vec<DemoAccount>> {
    let org = engine.org();
    let store = engine.store();
    let now = engine.now().timestamp_millis();
    // The hashes are made side by side (each on the blocking pool): one at a time, a large
    // organisation's accounts would hold the start up for a minute.
    let mut hashing = tokio::task::JoinSet::new();
    for (i, _) in org.file.users.iter().enumerate() {
        let password = yimen_service::auth::random_password()?;
        hashing.spawn(async move {
            let hash = yimen_service::auth::hash_password(password.clone()).await;
            (i, password, hash)
        });
    }
    let mut made: Vec<Option<(String, String)>> = vec![None; org.file.users.len()];
    while let Some(done) = hashing.join_next().await {
        let (i, password, hash) = done?;
        if let Some(slot) = made.get_mut(i) {
            *slot = Some((password, hash?));
        }
    }
    let mut out = Vec::new();
    for ((id, u), made) in org.file.users.iter().zip(made) {
        let (password, hash) = made.ok_or_else(|| anyhow::anyhow!("no password made for {id}"))?;
        let existing = store.account(id).await?;
        if existing.is_some() {
            store.set_password(id, &hash).await?;
            store.set_active(id, true).await?;
        } else {
            let a = yimen_service::auth::account_for_user(id, u, Some(hash));
            store.add_account(&a, now).await?;
        }
        store.audit(now, "demo", "password_set", id, "serve --demo").await?;
        let roles = u
            .roles
            .iter()
            .map(|r| {
                org.file
                    .roles
                    .get(r)
                    .map_or(r.as_str(), |x| x.name.get("zh-CN"))
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("、");
        out.push(DemoAccount {
            id: id.clone(),
            name: u.name.clone(),
            roles,
            password,
        });
    }
    Ok(out)
}

/// Makes the demo's accounts and, on an empty store, its cases: the last two weeks replayed on
/// `rewound` (then released to real time), and the bundled scenarios step by step.
pub async fn prepare(
    engine: &Engine,
    bundle: &Bundle,
    rewound: &yimen_engine::runtime::RewoundClock,
) -> anyhow::Result<Vec<DemoAccount>> {
    let accounts = accounts(engine)
        .await
        .map_err(|e| anyhow::anyhow!("demo accounts: {e}"))?;
    let fresh = engine.store().case_count().await? == 0;
    if fresh {
        let past = crate::demo_past::replay(engine, rewound)
            .await
            .map_err(|e| anyhow::anyhow!("demo past: {e}"))?;
        tracing::info!(cases = past, "demo centre's last two weeks replayed");
    }
    rewound.release();
    let seeded = seed(engine, bundle, fresh)
        .await
        .map_err(|e| anyhow::anyhow!("demo cases: {e}"))?;
    if seeded > 0 {
        tracing::info!(cases = seeded, "demo centre seeded from the bundled scenarios");
    }
    Ok(accounts)
}

/// Seeds cases the first time (`fresh`: the store was empty): each bundled scenario is replayed through the
/// engine once per prefix of its actions, so its case stops in each state along the way. Steps
/// that move the clock are skipped (the demo runs on the real clock). Returns the cases opened.
pub async fn seed(engine: &Engine, bundle: &Bundle, fresh: bool) -> anyhow::Result<usize> {
    if !fresh {
        return Ok(0);
    }
    let org = engine.org();
    let mut opened = 0;
    let mut open_ids = Vec::new();
    for sc in &bundle.scenarios {
        let s = &sc.value;
        let acts: Vec<_> = s
            .steps
            .iter()
            .filter_map(|st| match st {
                Step::Act(a) if !a.rejected => Some(a),
                _ => None,
            })
            .collect();
        for stop in 0..=acts.len() {
            let Some(def) = engine.definitions().current(&s.case_type) else {
                break;
            };
            let channel = s
                .channel
                .clone()
                .or_else(|| def.def.channels.first().cloned())
                .unwrap_or_default();
            // The clerk of the window files it; the first user holding a role otherwise.
            let opener = ["clerk_wang", "handler_li"]
                .into_iter()
                .find(|u| org.user(u).is_some())
                .and_then(|u| Actor::for_user(org, u));
            let Some(opener) = opener else { break };
            let fields: Map<String, Value> = s.fields.clone().into_iter().collect();
            let out = match engine
                .open_case(&s.case_type, &channel, fields, s.unit.clone(), opener, None)
                .await
            {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(scenario = %s.name, "demo case not opened: {e}");
                    break;
                }
            };
            if out.linked {
                break;
            }
            opened += 1;
            let id = out.case.id.clone();
            for a in acts.iter().take(stop) {
                let Some(actor) = Actor::for_user(org, &a.user) else {
                    break;
                };
                let cmd = Command::Act {
                    action: a.action.clone(),
                    fields: a.fields.clone().into_iter().collect(),
                    comment: a.comment.clone(),
                    expected_version: None,
                    assign_to: None,
                };
                if engine.command(&id, cmd, actor, None).await.is_err() {
                    break;
                }
            }
            if engine.case(&id).await.ok().flatten().is_some_and(|c| !c.is_closed()) {
                open_ids.push(id);
            }
        }
    }
    // Every fourth open case escalated by the centre's supervisor, every eighth answered.
    let supervisor = org
        .file
        .users
        .iter()
        .find(|(_, u)| {
            u.roles
                .iter()
                .any(|r| org.file.roles.get(r).and_then(|x| x.supervision_level) == Some(1))
        })
        .and_then(|(id, _)| Actor::for_user(org, id));
    if let Some(sup) = supervisor {
        // Spread the escalations over case types rather than follow the opening order.
        open_ids.sort_by(|a, b| a.chars().rev().cmp(b.chars().rev()));
        for (i, id) in open_ids.iter().enumerate() {
            if i % 4 != 0 {
                continue;
            }
            let Ok(out) = engine
                .command(
                    id,
                    Command::Escalate {
                        rung: None,
                        reason: Some("演示：超时未办结，提级督办".into()),
                    },
                    sup.clone(),
                    None,
                )
                .await
            else {
                continue;
            };
            if i % 8 == 0
                && let Some(r) = out.case.supervision.last()
                && let Some(staff) = org
                    .file
                    .users
                    .iter()
                    .find(|(_, u)| u.department.as_deref() == Some(out.case.department.as_str()))
                    .and_then(|(uid, _)| Actor::for_user(org, uid))
            {
                let cmd = Command::AnswerSupervision {
                    record: r.id.clone(),
                    text: "已督促承办人当日联系群众，明确办理时限。".into(),
                };
                let _ = engine.command(id, cmd, staff, None).await;
            }
        }
    }
    Ok(opened)
}

/// Runs every periodic job by hand for the period that holds today, so the demo's reports
/// pages show this month's bulletin, this week's spot-check (with its review cases) and this
/// year's assessment of the seeded cases. Failures are logged, not fatal.
pub async fn reports(scheduler: &yimen_engine::runtime::scheduler::Scheduler, today: chrono::NaiveDate) {
    use yimen_engine::model::schedule::JobKind;
    use yimen_engine::reports::Period;
    let jobs: Vec<(String, JobKind)> = scheduler.runnable().map(|(id, j)| (id.clone(), j.kind)).collect();
    for (id, kind) in jobs {
        let period = match kind {
            JobKind::SpotCheck => Period::week_of(today),
            JobKind::Bulletin => Period::month_of(today),
            JobKind::Assessment => Period::year_of(today),
        };
        if let Err(e) = scheduler.run_by_hand(&id, period).await {
            tracing::warn!(job = %id, "demo report not made: {e}");
        }
    }
}
