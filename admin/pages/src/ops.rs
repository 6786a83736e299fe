//! Operations pages for admins: notifications that failed (retry), the periodic jobs' ledger
//! (run one by hand), the audit log. Accounts and their tokens are `accounts.rs`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use yimen_engine::reports::Period;
use yimen_engine::runtime::scheduler::JobError;
use yimen_engine::store::jobs::Saved;

use super::i18n::t;
use super::{Chrome, Ctx, chrome, render, see_other};
use yimen_http::{AppState, Table};
use yimen_service::access::Access;

/// The operations routes (admins only).
#[rustfmt::skip]
pub fn routes(t: Table) -> Table {
    use Access::Admin;
    t
        .add(Method::GET, "/admin/ops", Admin, "Operations overview", overview)
        .add(Method::GET, "/admin/deliveries", Admin, "Failed notifications", deliveries)
        .add(Method::POST, "/admin/deliveries/retry", Admin, "Retry a notification", retry)
        .add(Method::GET, "/admin/jobs", Admin, "Periodic jobs", jobs)
        .add(Method::POST, "/admin/jobs/run", Admin, "Run a job by hand", run_job)
        .add(Method::GET, "/admin/audit", Admin, "Audit log", audit)
}

use super::i18n::coded as said;

pub(super) fn store_down(ctx: &Ctx, e: impl std::fmt::Display) -> Response {
    super::store_down(ctx.lang, e)
}

#[derive(Template)]
#[template(path = "ops.html")]
struct OverviewPage {
    c: Chrome,
    counts: Vec<(String, i64, &'static str)>,
}

async fn overview(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let store = s.engine.store();
    let deliveries = match store.delivery_counts().await {
        Ok(d) => d,
        Err(e) => return store_down(&ctx, e),
    };
    let timers = match store.timer_counts().await {
        Ok(t) => t,
        Err(e) => return store_down(&ctx, e),
    };
    let runs = match store.job_runs(500).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let mut counts: Vec<(String, i64, &'static str)> = deliveries
        .into_iter()
        .map(|(ch, st, n)| {
            let cls = if st == "failed" || st == "undeliverable" {
                "late"
            } else {
                ""
            };
            (
                format!(
                    "{} · {}",
                    super::notices::channel(ctx.lang, &ch),
                    said(ctx.lang, "delivery", &st)
                ),
                n,
                cls,
            )
        })
        .collect();
    counts.extend(timers.into_iter().map(|(st, n)| {
        (
            format!("{} · {}", t(ctx.lang, "ops.timers"), said(ctx.lang, "timer", &st)),
            n,
            "",
        )
    }));
    let failed_jobs = runs.iter().filter(|r| r.state == "failed").count() as i64;
    counts.push((
        t(ctx.lang, "ops.jobs.failed").to_owned(),
        failed_jobs,
        if failed_jobs > 0 { "late" } else { "" },
    ));
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.title"));
    render(StatusCode::OK, &OverviewPage { c, counts })
}

struct DeliveryRow {
    key: String,
    channel: String,
    channel_name: String,
    recipient: String,
    address: String,
    address_ref: String,
    template: String,
    case_id: String,
    case_short: String,
    state: String,
    attempts: i64,
    error: String,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    rows: Vec<DeliveryRow>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub(super) done: Option<String>,
}

async fn deliveries(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let rows = match s.engine.store().failed_deliveries(200).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let unmasked = ctx
        .authed
        .as_ref()
        .is_some_and(|a| yimen_service::access::sees_personal_data(s.engine.org(), &a.actor));
    let ids: Vec<String> = rows.iter().map(|d| d.case_id.clone()).collect();
    let numbers = match s.engine.store().numbers_of(&ids).await {
        Ok(n) => n,
        Err(e) => return store_down(&ctx, e),
    };
    let rows = rows
        .into_iter()
        .map(|d| DeliveryRow {
            key: d.outbox_key,
            channel_name: super::notices::channel(ctx.lang, &d.channel),
            channel: d.channel,
            recipient: super::notices::recipient(&s, &d.recipient, ctx.lang),
            address_ref: yimen_service::access::address_ref(&d.slot),
            address: if unmasked {
                d.address
            } else {
                yimen_service::access::mask_address(&d.address)
            },
            template: super::notices::template(&s, &d.template, ctx.lang),
            case_short: super::fields::label_of(numbers.get(&d.case_id).map(String::as_str), &d.case_id),
            case_id: d.case_id,
            state: t(ctx.lang, &format!("delivery.{}", d.state)).to_owned(),
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let notice = q.done.map(|d| t(ctx.lang, &format!("done.{d}")).to_owned());
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.deliveries"));
    render(StatusCode::OK, &DeliveriesPage { c, rows, notice })
}

#[derive(Debug, Default, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    outbox_key: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    address: String,
}

async fn retry(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<RetryForm>) -> Response {
    let now = s.engine.now().timestamp_millis();
    match yimen_service::access::retry_delivery(s.engine.store(), &f.outbox_key, &f.channel, &f.address, now).await {
        Ok(true) => see_other("/admin/deliveries?done=retrying"),
        Ok(false) => super::error_page(StatusCode::NOT_FOUND, t(ctx.lang, "ops.retry.none")),
        Err(e) => store_down(&ctx, e),
    }
}

struct RunRow {
    failed: bool,
    name: String,
    period: String,
    due: String,
    state: String,
    attempts: i64,
    finished: String,
    error: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    c: Chrome,
    jobs: Vec<(String, String)>,
    /// Each job with when it runs next.
    next: Vec<(String, String)>,
    runs: Vec<RunRow>,
    notice: Option<String>,
    error: Option<String>,
}

fn job_list(s: &AppState, loc: &str) -> Vec<(String, String)> {
    s.scheduler
        .as_ref()
        .map(|sc| {
            sc.runnable()
                .map(|(id, j)| (id.clone(), j.name.get(loc).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn jobs_page(
    s: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let loc = ctx.lang.tag();
    let jobs = job_list(s, loc);
    let runs = match s.engine.store().job_runs(300).await {
        Ok(r) => r,
        Err(e) => return store_down(ctx, e),
    };
    let runs = runs
        .into_iter()
        .map(|r| RunRow {
            failed: r.state == "failed",
            name: jobs
                .iter()
                .find(|(id, _)| *id == r.job)
                .map_or_else(|| r.job.clone(), |(_, n)| n.clone()),
            period: r.period,
            due: super::local_ms(s, r.due_at),
            state: t(ctx.lang, &format!("job.state.{}", r.state)).to_owned(),
            attempts: r.attempts,
            finished: r.finished_at.map(|f| super::local_ms(s, f)).unwrap_or_default(),
            error: r.error.unwrap_or_default(),
        })
        .collect();
    let now = s.engine.now();
    let next = jobs
        .iter()
        .map(|(id, name)| {
            let at = s.scheduler.as_ref().and_then(|sc| sc.next_run(id, now));
            (name.clone(), at.map(|a| super::local(s, a)).unwrap_or_default())
        })
        .collect();
    let c = chrome(s, ctx, "nav.ops", t(ctx.lang, "ops.jobs"));
    render(
        status,
        &JobsPage {
            c,
            next,
            jobs,
            runs,
            notice,
            error,
        },
    )
}

async fn jobs(State(s): State<Arc<AppState>>, ctx: Ctx) -> Response {
    jobs_page(&s, &ctx, StatusCode::OK, None, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    job: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    notify: Option<String>,
}

async fn run_job(State(s): State<Arc<AppState>>, ctx: Ctx, axum::Form(f): axum::Form<RunForm>) -> Response {
    let lang = ctx.lang;
    let Some(sc) = s.scheduler.as_ref() else {
        return jobs_page(
            &s,
            &ctx,
            StatusCode::NOT_FOUND,
            None,
            Some(t(lang, "ops.jobs.none").to_owned()),
        )
        .await;
    };
    let period = match Period::parse(f.period.trim()) {
        Ok(p) => p,
        Err(e) => return jobs_page(&s, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, Some(e.to_string())).await,
    };
    match sc.run_by_hand(&f.job, period).await {
        Ok((saved, _)) => {
            if f.notify.as_deref() == Some("true")
                && let Err(e) = sc.announce(&f.job, period).await
            {
                return store_down(&ctx, e);
            }
            let key = match saved {
                Saved::New => "ops.jobs.new",
                Saved::Unchanged => "ops.jobs.unchanged",
                Saved::Changed => "ops.jobs.changed",
            };
            let msg = format!("{} {}：{}", f.job, period.id(), t(lang, key));
            jobs_page(&s, &ctx, StatusCode::OK, Some(msg), None).await
        }
        Err(e) => {
            let status = match e {
                JobError::UnknownJob(_) => StatusCode::NOT_FOUND,
                JobError::NotRunnable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                JobError::Review(_) | JobError::Store(_) => StatusCode::CONFLICT,
            };
            jobs_page(&s, &ctx, status, None, Some(e.to_string())).await
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    user: String,
    target: String,
    action: String,
    actions: Vec<(String, String)>,
    rows: Vec<(String, String, String, String, bool, String)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    action: String,
}

/// The actions the audit log records.
const AUDIT_ACTIONS: &[&str] = &[
    "signed_in",
    "signed_out",
    "sign_in_failed",
    "sign_in_refused",
    "account_created",
    "account_stopped",
    "account_started",
    "password_set",
    "token_issued",
    "token_revoked",
    "account_unlocked",
    "personal_data_revealed",
    "person_searched",
    "citizen_history_read",
    "absence_set",
    "absence_cancelled",
    "workflow_deployed",
];

async fn audit(State(s): State<Arc<AppState>>, ctx: Ctx, Query(q): Query<AuditQuery>) -> Response {
    let user: String = q.user.trim().chars().take(64).collect();
    let target: String = q.target.trim().chars().take(100).collect();
    let action = if AUDIT_ACTIONS.contains(&q.action.as_str()) {
        q.action.clone()
    } else {
        String::new()
    };
    let rows = match s.engine.store().audit_search(&user, &target, &action, 500).await {
        Ok(r) => r,
        Err(e) => return store_down(&ctx, e),
    };
    let rows = rows
        .into_iter()
        .map(|(at, u, a, tg, d)| {
            let is_case = a == "personal_data_revealed";
            (super::local_ms(&s, at), u, said(ctx.lang, "audit", &a), tg, is_case, d)
        })
        .collect();
    let c = chrome(&s, &ctx, "nav.ops", t(ctx.lang, "ops.audit"));
    render(
        StatusCode::OK,
        &AuditPage {
            c,
            user,
            target,
            action,
            actions: AUDIT_ACTIONS
                .iter()
                .map(|a| ((*a).to_owned(), said(ctx.lang, "audit", a)))
                .collect(),
            rows,
        },
    )
}
