//! `yimen serve`: load and validate the workflows, open the database, deploy the case types,
//! serve HTTP until Ctrl-C or SIGTERM, then stop cleanly.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use yimen_engine::core::Organisation;
use yimen_engine::diag::Severity;
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::runtime::{Engine, EngineOptions, SystemClock};
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use crate::app::router;
pub use crate::settings::ServeArgs;
use crate::settings::{LogFormat, Settings};
use yimen_service::AppState;

/// Runs the server; returns when it has stopped.
pub fn run(args: ServeArgs) -> ExitCode {
    let settings = match Settings::resolve(&args, &|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if args.check {
        crate::out!("{settings}");
        return ExitCode::SUCCESS;
    }
    init_tracing(&settings);
    for v in Settings::unknown_variables(std::env::vars().map(|(k, _)| k)) {
        tracing::warn!(variable = %v, "an unknown YIMEN_ variable is set and ignored (misspelt?)");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines on standard output: coloured only on a terminal (and without `NO_COLOR`), or JSON
/// lines when the settings say so.
fn init_tracing(s: &Settings) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::new(&s.log_filter);
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match s.log_format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
}

/// The periodic jobs of `bundle` over `engine`, their reports in the centre's language.
fn scheduler(bundle: &load::Bundle, engine: &Engine) -> Option<yimen_engine::runtime::scheduler::Scheduler> {
    let (s, cal) = (bundle.schedules.as_ref()?, bundle.default_calendar()?);
    Some(yimen_engine::runtime::scheduler::Scheduler::new(
        engine.clone(),
        s.value.clone(),
        cal.clone(),
        Arc::new(yimen_reports::Reports::new(&engine.org().file.centre.locale)),
    ))
}

async fn serve(args: Settings) -> anyhow::Result<ExitCode> {
    // Before anything records: what happens from the first batch on is counted.
    yimen_service::metrics::install();
    let Some(bundle) = load_valid(&args)? else {
        return Ok(ExitCode::from(1));
    };

    let store = Store::open(&StoreOptions::new(&args.db))
        .await
        .with_context(|| format!("failed to open the database {}", args.db))?;
    tracing::info!(backend = store.backend_name(), db = %args.db, "database ready");
    let master = args.keys.unlock(&store).await?;
    // While this server runs, `yimen restore` will not replace its store.
    let _in_use = crate::cli::backup::hold_in_use(&args.db).context("failed to lock the store's lock file")?;

    let now_ms = chrono::Utc::now().timestamp_millis();
    let (defs, created) = yimen_engine::runtime::definitions::deploy(&store, &bundle, now_ms)
        .await
        .context("failed to deploy the case types")?;
    for c in &created {
        tracing::info!(case_type = %c, "deployed a new version");
    }
    let Some(org) = bundle.organisation.as_ref().map(|o| Organisation::new(o.value.clone())) else {
        anyhow::bail!("the workflows have no organisation");
    };
    let mut engine_opts = EngineOptions {
        timer_lease: args.timer_lease,
        ..EngineOptions::default()
    };
    if let Some(cal) = bundle.default_calendar() {
        engine_opts.zone = cal.timezone();
    }
    engine_opts.master = Some(Arc::new(master));
    // The demo replays its past on a clock set back by hand before the service starts.
    let rewound = Arc::new(yimen_engine::runtime::RewoundClock::default());
    let clock: Arc<dyn yimen_engine::runtime::Clock> = if args.demo {
        rewound.clone()
    } else {
        Arc::new(SystemClock)
    };
    let engine = Engine::start(store.clone(), defs, org, clock, engine_opts);
    recompute_if_calendars_changed(&store, &engine, &bundle, now_ms).await?;
    let demo_accounts = if args.demo {
        crate::demo::prepare(&engine, &bundle, &rewound).await?
    } else {
        Vec::new()
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let timers = engine.spawn_timer_loop(stop_rx.clone());
    // Personal data whose retention has passed is deleted (its case's key destroyed) hourly.
    let retention = engine.spawn_retention_loop(stop_rx.clone());
    let reloading = spawn_reloader(engine.clone(), store.clone(), bundle.clone(), stop_rx.clone());
    // Periodic jobs (the monthly bulletin): each period once across nodes, caught up at start.
    let scheduler = scheduler(&bundle, &engine);
    if args.demo
        && let Some(sc) = &scheduler
    {
        crate::demo::reports(sc, sc.today()).await;
    }
    let scheduling = scheduler
        .clone()
        .map(|s| s.spawn(std::time::Duration::from_secs(30), stop_rx.clone()));

    // Register for signals before announcing the address, so a signal sent as soon as the
    // server is seen to listen is never lost to the default handler.
    let shutdown = shutdown_signal().context("failed to install the signal handlers")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("failed to listen on {}", args.bind))?;
    let addr = listener.local_addr().context("failed to read the bound address")?;
    // Notifications: the outbox dispatcher with whatever servers are configured.
    let (email, sms) = notifiers(&args)?;
    let centre = bundle
        .organisation
        .as_ref()
        .map(|o| o.value.centre.name.get("zh-CN").to_owned())
        .unwrap_or_default();
    let base_url = args.base_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    // Delivery reports come back to `/api/v1/sms/reports` with this token: from the settings,
    // else 32 bytes from the operating system's random source for this run.
    let report_token = match args.notify.sms_report_token.clone() {
        Some(t) => t,
        None => yimen_service::auth::random_secret().map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let renderer = Arc::new(
        yimen_engine::render::Renderer::new(&bundle.templates, &centre, &base_url)
            .map_err(|e| anyhow::anyhow!("templates: {e}"))?,
    );
    let dispatch_opts = yimen_dispatch::DispatchOptions {
        first_backoff: args.notify.first_backoff,
        lease: args.notify.lease,
        sms_quiet: args.notify.sms_quiet,
        sms_per_hour: args.notify.sms_per_hour,
        ..yimen_dispatch::DispatchOptions::default()
    };
    let dispatcher = yimen_dispatch::Dispatcher::new(engine.clone(), renderer, email, sms, dispatch_opts);
    let dispatching = dispatcher.spawn(stop_rx);

    if !demo_accounts.is_empty() {
        print_demo(&base_url, &demo_accounts);
    }
    tracing::info!("listening on http://{addr}");
    let state = Arc::new(AppState {
        engine: engine.clone(),
        report_token,
        scheduler,
        secure_cookies: base_url.starts_with("https://"),
        routes: std::sync::OnceLock::new(),
        tz: std::sync::OnceLock::new(),
        limits: yimen_service::limits::Limits::new(args.limits.clone()),
        workflows: Some(args.workflows.clone()),
        bundle: Some(bundle.clone()),
    });
    crate::listen::serve(listener, router(state), &args.limits, shutdown)
        .await
        .context("the HTTP server failed")?;
    // In-flight requests have finished; stop the timers, drain the writer, close the pool.
    let _ = stop_tx.send(true);
    let _ = timers.await;
    let _ = retention.await;
    if let Some(s) = scheduling {
        let _ = s.await;
    }
    let _ = dispatching.await;
    let _ = reloading.await;
    engine.shutdown().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The workflows, loaded and checked: every problem printed; `None` when any is an error.
fn load_valid(args: &Settings) -> anyhow::Result<Option<Arc<load::Bundle>>> {
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    if !args.workflows.is_dir() {
        anyhow::bail!("the workflows directory {} does not exist", args.workflows.display());
    }
    let (bundle, diags) = load::load_dir(&args.workflows, &opts);
    let bundle = Arc::new(bundle);
    let diags = diags.sorted();
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    for d in &diags {
        match d.severity {
            Severity::Error => eprintln!("{d}"),
            Severity::Warning => tracing::warn!("{d}"),
        }
    }
    if errors > 0 {
        tracing::error!(
            errors,
            "the workflows have errors; fix them (see `yimen validate`) before serving"
        );
        return Ok(None);
    }
    tracing::info!(
        workflows = %args.workflows.display(),
        files = bundle.file_count(),
        case_types = bundle.case_types.len(),
        calendars = bundle.calendars.len(),
        ladders = bundle.ladders.len(),
        templates = bundle.templates.len(),
        scenarios = bundle.scenarios.len(),
        "workflows loaded and valid"
    );
    Ok(Some(bundle))
}

/// A calendar whose data changed since the last start (a new year's notice, a correction):
/// every running clock's instants are derived again, in the background.
async fn recompute_if_calendars_changed(
    store: &Store,
    engine: &Engine,
    bundle: &load::Bundle,
    now_ms: i64,
) -> anyhow::Result<()> {
    let mut calendar_changed = false;
    for c in &bundle.calendar_files {
        let sha = yimen_engine::store::sha256_hex(&c.source);
        calendar_changed |= store
            .calendar_changed(&c.value.id, &sha, now_ms)
            .await
            .context("failed to record the calendars")?;
    }
    if calendar_changed {
        let e = engine.clone();
        tokio::spawn(async move {
            match e.recompute_clocks().await {
                Ok(n) => tracing::info!(cases = n, "calendar data changed; SLA instants recomputed"),
                Err(err) => tracing::warn!("recomputing SLA instants failed: {err}"),
            }
        });
    }
    Ok(())
}

/// Another node (or this one's pages) may deploy a new version: the definitions are reloaded
/// when the store's versions change, so every node starts new cases on the same version.
fn spawn_reloader(
    engine: Engine,
    store: Store,
    bundle: Arc<load::Bundle>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = store.definitions_stamp().await.ok();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            }
            let Ok(now) = store.definitions_stamp().await else {
                continue;
            };
            if Some(now) != last {
                match yimen_engine::runtime::definitions::load_deployed(&store, &bundle).await {
                    Ok(d) => {
                        engine.replace_definitions(d);
                        tracing::info!("a new definition version was deployed; definitions reloaded");
                        last = Some(now);
                    }
                    Err(e) => tracing::warn!("reloading definitions failed: {e}"),
                }
            }
        }
    })
}

/// A channel's notifier, when one is configured.
type Notifier = Option<Arc<dyn yimen_notifiers::Notifier>>;

/// The notifiers the settings configure (email over SMTP, SMS through Kannel); a channel
/// without one keeps its messages in the outbox, marked undeliverable.
fn notifiers(args: &Settings) -> anyhow::Result<(Notifier, Notifier)> {
    let email: Notifier = match &args.smtp {
        Some(url) => Some(Arc::new(
            yimen_notifiers::EmailNotifier::from_url(url).context("the SMTP URL is not usable")?,
        )),
        None => {
            tracing::warn!(
                "no SMTP server is configured (YIMEN_SMTP_URL): email stays in the outbox, marked undeliverable"
            );
            None
        }
    };
    let sms: Notifier = match &args.sms {
        Some(url) => Some(Arc::new(
            yimen_notifiers::KannelNotifier::from_url_with_timeout(url, args.notify.sms_timeout)
                .context("the SMS gateway URL is not usable")?,
        )),
        None => {
            tracing::warn!(
                "no SMS gateway is configured (YIMEN_SMS_URL): SMS stays in the outbox, marked undeliverable"
            );
            None
        }
    };
    Ok((email, sms))
}

/// Prints the demo accounts for a newcomer.
fn print_demo(base_url: &str, accounts: &[crate::demo::DemoAccount]) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\n演示中心 Demo centre — sign in at {base_url}/login (new passwords at every start):\n"
    );
    let _ = writeln!(out, "  {:<22} {:<8} {:<18} password", "user", "name", "roles");
    for a in accounts {
        let _ = writeln!(out, "  {:<22} {:<8} {:<18} {}", a.id, a.name, a.roles, a.password);
    }
    let _ = writeln!(out);
    let _ = out.flush();
}

/// A future that resolves on Ctrl-C (SIGINT) or SIGTERM; the handlers are installed at once.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => tracing::info!("interrupted; shutting down"),
            _ = term.recv() => tracing::info!("terminated; shutting down"),
        }
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("interrupted; shutting down");
    })
}
