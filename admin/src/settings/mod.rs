//! `serve`'s settings, typed and read once: each comes from the flag, else the environment
//! (`YIMEN_…`), else the config file, else the default. A value that does not parse or is out of
//! its range refuses the start with a message naming the variable or key and what it must be;
//! `yimen serve --check` prints what would be used (secrets shown only as set or not).

use std::fmt::{self, Display};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use anyhow::{Context, anyhow, bail};
use clap::Args;

use yimen_service::limits::LimitSettings;

/// Arguments of `yimen serve`. Each setting comes from the flag, else the environment, else the
/// config file, else the default (see this module).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The database: `sqlite://PATH` (created if missing) or `postgres://…` [default: sqlite://yimen.db].
    #[arg(long, env = "YIMEN_DATABASE_URL")]
    pub db: Option<String>,
    /// The address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "YIMEN_BIND")]
    pub bind: Option<SocketAddr>,
    /// The workflows directory [default: workflows].
    #[arg(long, env = "YIMEN_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
    /// The SMTP server for email: `smtp://[user:password@]host[:port][?tls=…&from=…]` (none: email
    /// stays in the outbox, marked undeliverable).
    #[arg(long, env = "YIMEN_SMTP_URL")]
    pub smtp: Option<String>,
    /// The SMS gateway's `sendsms` URL with its credentials (Kannel's interface), e.g.
    /// `http://127.0.0.1:13013/cgi-bin/sendsms?username=…&password=…&from=12345` (none: SMS stays in
    /// the outbox, marked undeliverable).
    #[arg(long, env = "YIMEN_SMS_URL")]
    pub sms: Option<String>,
    /// The address people use to reach this server, for links in messages [default: http://BIND].
    #[arg(long, env = "YIMEN_BASE_URL")]
    pub base_url: Option<String>,
    /// A TOML file with `db`, `bind`, `workflows`, `smtp`, `sms` and `base_url` keys and
    /// `[limits]`, `[engine]`, `[notify]` and `[log]` tables (see the README and `crate::settings`).
    #[arg(long, env = "YIMEN_CONFIG")]
    pub config: Option<PathBuf>,
    /// A demo centre on its own database (`sqlite://yimen-demo.db` unless `--db` says otherwise):
    /// accounts for the organisation's demo users with new passwords printed at start, and
    /// cases in every state the first time.
    #[arg(long)]
    pub demo: bool,
    /// Print the settings that would be used (secrets hidden) and exit, without starting.
    #[arg(long)]
    pub check: bool,
}

/// Every `YIMEN_…` variable `serve` reads besides its flags' own (which clap reads), with what
/// it sets. Any other `YIMEN_…` variable in the environment is named in a warning at start.
pub const VARIABLES: &[(&str, &str)] = &[
    ("YIMEN_SIGN_INS_PER_MINUTE", "limits.sign_ins_per_minute"),
    ("YIMEN_OPENINGS_PER_MINUTE", "limits.openings_per_minute"),
    ("YIMEN_UPLOADS_PER_MINUTE", "limits.uploads_per_minute"),
    ("YIMEN_HEADER_TIMEOUT_SECS", "limits.header_timeout_secs"),
    ("YIMEN_BODY_TIMEOUT_SECS", "limits.body_timeout_secs"),
    ("YIMEN_MAX_CONNECTIONS", "limits.max_connections"),
    ("YIMEN_TIMER_LEASE_MS", "engine.timer_lease_ms"),
    ("YIMEN_NOTIFY_BACKOFF_MS", "notify.backoff_ms"),
    ("YIMEN_NOTIFY_LEASE_MS", "notify.lease_ms"),
    ("YIMEN_SMS_QUIET_HOURS", "notify.sms_quiet_hours"),
    ("YIMEN_SMS_PER_HOUR", "notify.sms_per_hour"),
    ("YIMEN_SMS_TIMEOUT_MS", "notify.sms_timeout_ms"),
    ("YIMEN_SMS_REPORT_TOKEN", "notify.sms_report_token"),
    ("YIMEN_MASTER_KEY_FILE", "keys.file"),
    ("YIMEN_MASTER_KEY", "(the key file's text, as a secret)"),
    ("YIMEN_CIPHER_SUITE", "keys.suite"),
    ("YIMEN_LOG", "log.filter"),
    ("YIMEN_LOG_FORMAT", "log.format"),
];

/// The variables clap reads for `serve`'s flags.
const FLAG_VARIABLES: &[&str] = &[
    "YIMEN_DATABASE_URL",
    "YIMEN_BIND",
    "YIMEN_WORKFLOWS",
    "YIMEN_SMTP_URL",
    "YIMEN_SMS_URL",
    "YIMEN_BASE_URL",
    "YIMEN_CONFIG",
];

/// The config file's keys.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    db: Option<String>,
    bind: Option<SocketAddr>,
    workflows: Option<PathBuf>,
    smtp: Option<String>,
    sms: Option<String>,
    base_url: Option<String>,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    engine: EngineFile,
    #[serde(default)]
    notify: NotifyFile,
    #[serde(default)]
    log: LogFile,
    #[serde(default)]
    keys: keys::KeysFile,
}

/// The `[limits]` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    sign_ins_per_minute: Option<u32>,
    openings_per_minute: Option<u32>,
    uploads_per_minute: Option<u32>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
}

/// The `[engine]` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineFile {
    timer_lease_ms: Option<i64>,
}

/// The `[notify]` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyFile {
    backoff_ms: Option<i64>,
    lease_ms: Option<i64>,
    sms_quiet_hours: Option<String>,
    sms_per_hour: Option<i64>,
    sms_timeout_ms: Option<u64>,
    sms_report_token: Option<String>,
}

/// The `[log]` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    filter: Option<String>,
    format: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines; coloured only when standard error is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// The settings of notification delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// The first retry's delay (each further one doubles).
    pub first_backoff: chrono::Duration,
    /// How long a node holds a claimed notification before another may take it over.
    pub lease: chrono::Duration,
    /// Night hours with no SMS (`[start, end)` in minutes from midnight), or none.
    pub sms_quiet: Option<(u32, u32)>,
    /// Most SMS to one number an hour.
    pub sms_per_hour: i64,
    /// How long a request to the SMS gateway may take.
    pub sms_timeout: StdDuration,
    /// The token gateways send delivery reports with (none: a random one each start).
    pub sms_report_token: Option<String>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The database URL.
    pub db: String,
    /// The address to listen on.
    pub bind: SocketAddr,
    /// The workflows directory.
    pub workflows: PathBuf,
    /// The SMTP URL, if any.
    pub smtp: Option<String>,
    /// The SMS gateway URL, if any.
    pub sms: Option<String>,
    /// The address people reach this server at, if set.
    pub base_url: Option<String>,
    /// A demo centre.
    pub demo: bool,
    /// Request and connection limits.
    pub limits: LimitSettings,
    /// How long a node holds a claimed timer.
    pub timer_lease: chrono::Duration,
    /// Notification delivery.
    pub notify: NotifySettings,
    /// The log filter (`tracing` directives).
    pub log_filter: String,
    /// The log format.
    pub log_format: LogFormat,
    /// The master key and the cipher suite.
    pub keys: KeySettings,
}

/// Where a value came from, for the message when it is bad.
struct Source<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    /// The environment's value of `var` (parsed), else the file's; either must lie in `range`.
    fn pick<T>(&self, var: &str, file: Option<T>, range: RangeInclusive<T>, unit: &str) -> anyhow::Result<Option<T>>
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let key = key_of(var);
        let (v, from) = match (self.env)(var) {
            Some(text) => {
                let v = text.trim().parse::<T>().map_err(|_| {
                    anyhow!(
                        "{var} must be a whole number of {unit} from {} to {}, not `{text}`",
                        range.start(),
                        range.end()
                    )
                })?;
                (v, var.to_owned())
            }
            None => match file {
                Some(v) => (v, format!("the config file's `{key}`")),
                None => return Ok(None),
            },
        };
        if !range.contains(&v) {
            bail!(
                "{from} must be from {} to {} {unit}, not {v}",
                range.start(),
                range.end()
            );
        }
        Ok(Some(v))
    }

    /// The environment's text for `var`, else the file's.
    fn text(&self, var: &str, file: Option<String>) -> Option<String> {
        (self.env)(var).or(file)
    }
}

/// The config file key a variable sets.
fn key_of(var: &str) -> &'static str {
    VARIABLES.iter().find(|(v, _)| *v == var).map_or("", |(_, k)| k)
}

impl Settings {
    /// The settings from the flags, the environment (looked up through `env`) and the config
    /// file the flags or environment name.
    pub fn resolve(args: &ServeArgs, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("failed to read the config file {}", p.display()))?;
                toml::from_str::<ConfigFile>(&text)
                    .with_context(|| format!("the config file {} is not valid", p.display()))?
            }
            None => ConfigFile::default(),
        };
        let src = Source { env };
        let db = args.db.clone().or(file.db).unwrap_or_else(|| {
            if args.demo {
                crate::demo::DEMO_DB.into()
            } else {
                "sqlite://yimen.db".into()
            }
        });
        Ok(Settings {
            db,
            bind: args
                .bind
                .or(file.bind)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            workflows: args
                .workflows
                .clone()
                .or(file.workflows)
                .unwrap_or_else(|| PathBuf::from("workflows")),
            smtp: args.smtp.clone().or(file.smtp).filter(|s| !s.is_empty()),
            sms: args.sms.clone().or(file.sms).filter(|s| !s.is_empty()),
            base_url: args.base_url.clone().or(file.base_url).filter(|s| !s.is_empty()),
            demo: args.demo,
            limits: limits(&src, &file.limits)?,
            timer_lease: src
                .pick(
                    "YIMEN_TIMER_LEASE_MS",
                    file.engine.timer_lease_ms,
                    200..=3_600_000,
                    "milliseconds",
                )?
                .map_or(chrono::Duration::seconds(30), chrono::Duration::milliseconds),
            notify: notify(&src, file.notify)?,
            keys: keys::keys(&src, file.keys)?,
            log_filter: log_filter(src.text("YIMEN_LOG", file.log.filter))?,
            log_format: match src.text("YIMEN_LOG_FORMAT", file.log.format).as_deref().map(str::trim) {
                None | Some("" | "text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(v) => {
                    bail!("YIMEN_LOG_FORMAT (or the config file's `log.format`) must be `text` or `json`, not `{v}`")
                }
            },
        })
    }

    /// The `YIMEN_…` variables in `vars` that `serve` does not read (likely misspelt).
    pub fn unknown_variables(vars: impl Iterator<Item = String>) -> Vec<String> {
        let mut v: Vec<String> = vars
            .filter(|k| k.starts_with("YIMEN_"))
            .filter(|k| !FLAG_VARIABLES.contains(&k.as_str()) && !VARIABLES.iter().any(|(v, _)| v == k))
            .collect();
        v.sort();
        v
    }
}

fn limits(src: &Source<'_>, f: &LimitsFile) -> anyhow::Result<LimitSettings> {
    let d = LimitSettings::default();
    let secs = StdDuration::from_secs;
    Ok(LimitSettings {
        sign_ins_per_minute: src
            .pick(
                "YIMEN_SIGN_INS_PER_MINUTE",
                f.sign_ins_per_minute,
                1..=u32::MAX,
                "attempts",
            )?
            .unwrap_or(d.sign_ins_per_minute),
        openings_per_minute: src
            .pick(
                "YIMEN_OPENINGS_PER_MINUTE",
                f.openings_per_minute,
                1..=u32::MAX,
                "cases",
            )?
            .unwrap_or(d.openings_per_minute),
        uploads_per_minute: src
            .pick("YIMEN_UPLOADS_PER_MINUTE", f.uploads_per_minute, 1..=u32::MAX, "files")?
            .unwrap_or(d.uploads_per_minute),
        header_timeout: src
            .pick("YIMEN_HEADER_TIMEOUT_SECS", f.header_timeout_secs, 1..=3600, "seconds")?
            .map_or(d.header_timeout, secs),
        body_timeout: src
            .pick("YIMEN_BODY_TIMEOUT_SECS", f.body_timeout_secs, 1..=3600, "seconds")?
            .map_or(d.body_timeout, secs),
        max_connections: src
            .pick("YIMEN_MAX_CONNECTIONS", f.max_connections, 1..=1_000_000, "connections")?
            .unwrap_or(d.max_connections),
    })
}

fn notify(src: &Source<'_>, f: NotifyFile) -> anyhow::Result<NotifySettings> {
    let d = yimen_dispatch::DispatchOptions::default();
    let ms = chrono::Duration::milliseconds;
    let sms_quiet = match src.text("YIMEN_SMS_QUIET_HOURS", f.sms_quiet_hours).as_deref().map(str::trim) {
        None => d.sms_quiet,
        Some("off" | "") => None,
        Some(v) => Some(yimen_dispatch::parse_quiet_hours(v).with_context(|| {
            format!("YIMEN_SMS_QUIET_HOURS (or the config file's `notify.sms_quiet_hours`) must be `HH:MM-HH:MM` or `off`, not `{v}`")
        })?),
    };
    Ok(NotifySettings {
        first_backoff: src
            .pick("YIMEN_NOTIFY_BACKOFF_MS", f.backoff_ms, 10..=3_600_000, "milliseconds")?
            .map_or(d.first_backoff, ms),
        lease: src
            .pick("YIMEN_NOTIFY_LEASE_MS", f.lease_ms, 200..=3_600_000, "milliseconds")?
            .map_or(d.lease, ms),
        sms_quiet,
        sms_per_hour: src
            .pick("YIMEN_SMS_PER_HOUR", f.sms_per_hour, 1..=1_000_000, "messages")?
            .unwrap_or(d.sms_per_hour),
        sms_timeout: src
            .pick("YIMEN_SMS_TIMEOUT_MS", f.sms_timeout_ms, 100..=300_000, "milliseconds")?
            .map_or(StdDuration::from_secs(20), StdDuration::from_millis),
        sms_report_token: src
            .text("YIMEN_SMS_REPORT_TOKEN", f.sms_report_token)
            .filter(|t| !t.trim().is_empty()),
    })
}

fn log_filter(text: Option<String>) -> anyhow::Result<String> {
    let text = text
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "info,sqlx=warn".into());
    tracing_subscriber::EnvFilter::try_new(&text)
        .map_err(|e| anyhow!("YIMEN_LOG (or the config file's `log.filter`) is not a log filter (`{text}`): {e}"))?;
    Ok(text)
}

/// A URL with its password (user-info or `password=` query value) replaced by `***`.
fn redact(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let host_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..host_end].rfind('@') {
            let info = &out[rest..rest + at];
            if let Some(colon) = info.find(':') {
                out.replace_range(rest + colon + 1..rest + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("pass") => {
                    format!("{k}=***")
                }
                _ => kv.to_owned(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

impl Display for Settings {
    /// The settings as `serve --check` prints them: in the config file's keys, secrets hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "(none)".to_owned(), redact);
        let ms = |d: chrono::Duration| d.num_milliseconds();
        writeln!(f, "db = {}", redact(&self.db))?;
        writeln!(f, "bind = {}", self.bind)?;
        writeln!(f, "workflows = {}", self.workflows.display())?;
        writeln!(f, "smtp = {}", opt(&self.smtp))?;
        writeln!(f, "sms = {}", opt(&self.sms))?;
        writeln!(f, "base_url = {}", self.base_url.as_deref().unwrap_or("(http://BIND)"))?;
        writeln!(f, "demo = {}", self.demo)?;
        let l = &self.limits;
        writeln!(f, "limits.sign_ins_per_minute = {}", l.sign_ins_per_minute)?;
        writeln!(f, "limits.openings_per_minute = {}", l.openings_per_minute)?;
        writeln!(f, "limits.uploads_per_minute = {}", l.uploads_per_minute)?;
        writeln!(f, "limits.header_timeout_secs = {}", l.header_timeout.as_secs())?;
        writeln!(f, "limits.body_timeout_secs = {}", l.body_timeout.as_secs())?;
        writeln!(f, "limits.max_connections = {}", l.max_connections)?;
        writeln!(f, "engine.timer_lease_ms = {}", ms(self.timer_lease))?;
        let n = &self.notify;
        writeln!(f, "notify.backoff_ms = {}", ms(n.first_backoff))?;
        writeln!(f, "notify.lease_ms = {}", ms(n.lease))?;
        let quiet = n.sms_quiet.map_or_else(
            || "off".to_owned(),
            |(a, b)| format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60),
        );
        writeln!(f, "notify.sms_quiet_hours = {quiet}")?;
        writeln!(f, "notify.sms_per_hour = {}", n.sms_per_hour)?;
        writeln!(f, "notify.sms_timeout_ms = {}", n.sms_timeout.as_millis())?;
        let token = if n.sms_report_token.is_some() {
            "(set)"
        } else {
            "(random at each start)"
        };
        writeln!(f, "notify.sms_report_token = {token}")?;
        writeln!(f, "keys.file = {}", self.keys.describe())?;
        writeln!(f, "keys.suite = {}", self.keys.suite.name())?;
        writeln!(f, "log.filter = {}", self.log_filter)?;
        let format = match self.log_format {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        };
        write!(f, "log.format = {format}")
    }
}

mod keys;
pub use keys::{DEFAULT_KEY_FILE, KeySettings, KeySource};

#[cfg(test)]
mod tests;
