//! `yimen user`: accounts and API tokens. The first admin is made with `yimen user add ID
//! --admin`; there is never a default password.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::store::accounts::Account;
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use super::EXIT_USAGE;
use yimen_service::auth;

/// Account subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (its password is read from standard input with `--password-stdin`,
    /// otherwise generated and printed once).
    Add(AddArgs),
    /// Issue an API token for a machine client (printed once; only its hash is kept), list an
    /// account's tokens (`--list`) or revoke one (`--revoke NAME`).
    Token(TokenArgs),
    /// Let a locked account sign in again at once.
    Unlock(UnlockArgs),
    /// Set a new password (read from standard input, or generated and printed once); unlocks.
    Password(PasswordArgs),
    /// List the accounts.
    List(DbArgs),
}

/// Where the accounts live.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database URL.
    #[arg(long, env = "YIMEN_DATABASE_URL", default_value = "sqlite://yimen.db")]
    pub db: String,
    /// The workflows directory (roles, departments and units are checked against it).
    #[arg(long, env = "YIMEN_WORKFLOWS", default_value = "workflows")]
    pub workflows: PathBuf,
}

/// Arguments of `yimen user add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The sign-in name.
    pub id: String,
    /// Take name, roles, department, unit, email and mobile from the organisation's user of the
    /// same id.
    #[arg(long)]
    pub from_organisation: bool,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// A role (repeat for several).
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Give the account the organisation's admin role.
    #[arg(long)]
    pub admin: bool,
    /// Department.
    #[arg(long)]
    pub department: Option<String>,
    /// Unit (the district when omitted).
    #[arg(long)]
    pub unit: Option<String>,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Mobile number.
    #[arg(long)]
    pub mobile: Option<String>,
    /// Read the password from standard input.
    #[arg(long, conflicts_with = "no_password")]
    pub password_stdin: bool,
    /// No password: the account signs in with API tokens only.
    #[arg(long)]
    pub no_password: bool,
    /// Succeed without change when the account exists.
    #[arg(long)]
    pub if_missing: bool,
    #[command(flatten)]
    pub at: DbArgs,
}

/// Arguments of `yimen user token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The account.
    pub id: String,
    /// A name for the new token, unique among the account's live tokens, to revoke it by
    /// [default: `token-` and eight random hex digits, printed on standard error].
    #[arg(long)]
    pub name: Option<String>,
    /// How many days the new token is valid [default: 365].
    #[arg(long)]
    pub days: Option<i64>,
    /// List the account's tokens (name, issued, expires, last used, state) instead.
    #[arg(long, conflicts_with_all = ["revoke", "days"])]
    pub list: bool,
    /// Revoke the account's live tokens of this name instead.
    #[arg(long, value_name = "NAME", conflicts_with = "days")]
    pub revoke: Option<String>,
    #[command(flatten)]
    pub at: DbArgs,
}

/// Arguments of `yimen user unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The account.
    pub id: String,
    #[command(flatten)]
    pub at: DbArgs,
}

/// Arguments of `yimen user password`.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The account.
    pub id: String,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub at: DbArgs,
}

/// Runs an account subcommand.
pub fn run(cmd: &UserCommand) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(user(cmd)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| anyhow::anyhow!("cannot read the password: {e}"))?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    if p.chars().count() < 10 {
        return Err(anyhow::anyhow!("the password must be at least 10 characters"));
    }
    Ok(p)
}

async fn user(cmd: &UserCommand) -> anyhow::Result<()> {
    let at = match cmd {
        UserCommand::Add(a) => &a.at,
        UserCommand::Token(t) => &t.at,
        UserCommand::Unlock(u) => &u.at,
        UserCommand::Password(p) => &p.at,
        UserCommand::List(d) => d,
    };
    let opts = LoadOptions {
        today: yimen_engine::Today::At(chrono::Utc::now()),
        limits: Limits::default(),
    };
    let (bundle, _) = load::load_dir(&at.workflows, &opts);
    let org = bundle
        .organisation
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no organisation in {}", at.workflows.display()))?
        .value
        .clone();
    let store = Store::open(&StoreOptions::new(&at.db)).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let result = match cmd {
        UserCommand::Add(a) => add(a, &org, &store, now).await,
        UserCommand::Token(t) if t.list => {
            if store.account(&t.id).await?.is_none() {
                return Err(anyhow::anyhow!("there is no account `{}`", t.id));
            }
            let day = |ms: i64| {
                chrono::DateTime::from_timestamp_millis(ms)
                    .map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d %H:%M").to_string())
            };
            crate::out!("name\tissued\texpires\tlast used\tstate");
            for k in store.tokens(&t.id).await? {
                let state = if k.revoked {
                    "revoked"
                } else if k.expires_at <= now {
                    "expired"
                } else {
                    "live"
                };
                crate::out!(
                    "{}\t{}\t{}\t{}\t{state}",
                    k.name,
                    day(k.created_at),
                    day(k.expires_at),
                    k.last_used_at.map_or_else(|| "never".into(), day)
                );
            }
            Ok(())
        }
        UserCommand::Token(t) if t.revoke.is_some() => {
            let name = t.revoke.as_deref().unwrap_or_default();
            let n = auth::revoke_token(&store, now, "cli", &t.id, name).await?;
            if n == 0 {
                return Err(anyhow::anyhow!("`{}` has no live token named `{name}`", t.id));
            }
            crate::out!("revoked {n} token(s) named `{name}` of `{}`", t.id);
            Ok(())
        }
        UserCommand::Token(t) => {
            let name = match &t.name {
                Some(n) => n.clone(),
                None => format!("token-{}", &auth::random_secret()?[..8]),
            };
            let (token, expires) = auth::issue_token(&store, now, "cli", &t.id, &name, t.days).await?;
            crate::out!("{token}");
            let until = chrono::DateTime::from_timestamp_millis(expires).map(|d| d.format("%Y-%m-%d").to_string());
            eprintln!(
                "token `{name}` of `{}`, valid until {} (revoke: yimen user token {} --revoke {name})",
                t.id,
                until.unwrap_or_default(),
                t.id
            );
            Ok(())
        }
        UserCommand::Unlock(u) => {
            if !store.unlock_account(&u.id).await? {
                return Err(anyhow::anyhow!("there is no account `{}`", u.id));
            }
            store.audit(now, "cli", "account_unlocked", &u.id, "").await?;
            crate::out!("`{}` may sign in again", u.id);
            Ok(())
        }
        UserCommand::Password(p) => {
            let (password, shown) = if p.password_stdin {
                (read_password()?, false)
            } else {
                (auth::random_password()?, true)
            };
            let hash = auth::hash_password(password.clone()).await?;
            if !store.set_password(&p.id, &hash).await? {
                return Err(anyhow::anyhow!("there is no account `{}`", p.id));
            }
            store.audit(now, "cli", "password_set", &p.id, "").await?;
            if shown {
                crate::out!("password: {password}");
            }
            Ok(())
        }
        UserCommand::List(_) => list(&store, now).await,
    };
    store.close().await;
    result
}

/// `yimen user add`: a new account, from the organisation's user or as given, with a password
/// generated (shown once) unless one is read from standard input.
async fn add(
    a: &AddArgs,
    org: &yimen_engine::model::organisation::OrganisationFile,
    store: &Store,
    now: i64,
) -> anyhow::Result<()> {
    if !auth::valid_account_id(&a.id) {
        return Err(anyhow::anyhow!(
            "an account id is 2 to 64 letters, digits, `_`, `-` or `.`"
        ));
    }
    if store.account(&a.id).await?.is_some() {
        if a.if_missing {
            return Ok(());
        }
        return Err(anyhow::anyhow!("the account `{}` exists", a.id));
    }
    let known = org.users.get(&a.id).filter(|_| a.from_organisation);
    if a.from_organisation && known.is_none() {
        return Err(anyhow::anyhow!("the organisation has no user `{}`", a.id));
    }
    let mut roles = a.roles.clone();
    if let Some(u) = known {
        roles.extend(u.roles.iter().cloned());
    }
    if a.admin {
        let admin = org
            .roles
            .iter()
            .find(|(_, r)| r.admin)
            .map(|(id, _)| id.clone())
            .ok_or_else(|| anyhow::anyhow!("the organisation has no admin role"))?;
        roles.push(admin);
    }
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(anyhow::anyhow!(
            "give the account a role (`--role`), `--admin`, or `--from-organisation`"
        ));
    }
    let department = a
        .department
        .clone()
        .or_else(|| known.and_then(|u| u.department.clone()));
    let district = org
        .units
        .iter()
        .find(|(_, u)| u.parent.is_none())
        .map(|(k, _)| k.clone())
        .unwrap_or_default();
    let unit = a
        .unit
        .clone()
        .or_else(|| known.map(|u| u.unit.clone()))
        .unwrap_or(district);
    auth::check_account(org, &roles, department.as_deref(), &unit)?;
    let (password, shown) = if a.no_password {
        (None, None)
    } else if a.password_stdin {
        (Some(read_password()?), None)
    } else {
        let p = auth::random_password()?;
        (Some(p.clone()), Some(p))
    };
    let hash = match password {
        Some(p) => Some(auth::hash_password(p).await?),
        None => None,
    };
    let account = Account {
        id: a.id.clone(),
        name: a
            .name
            .clone()
            .or_else(|| known.map(|u| u.name.clone()))
            .unwrap_or_else(|| a.id.clone()),
        roles,
        department,
        unit,
        email: a.email.clone().or_else(|| known.and_then(|u| u.email.clone())),
        mobile: a.mobile.clone().or_else(|| known.and_then(|u| u.mobile.clone())),
        active: true,
        failed_attempts: 0,
        locked_until: None,
        password_hash: hash,
    };
    store.add_account(&account, now).await?;
    store
        .audit(now, "cli", "account_created", &account.id, &account.roles.join(","))
        .await?;
    crate::out!("created `{}` ({})", account.id, account.roles.join(", "));
    if let Some(p) = shown {
        crate::out!("password: {p}");
        crate::out!("(shown once; change it with `yimen user password {}`)", account.id);
    }
    Ok(())
}

/// `yimen user list`: every account, one per line, tab-separated, locked ones marked.
async fn list(store: &Store, now: i64) -> anyhow::Result<()> {
    for a in store.accounts().await? {
        crate::out!(
            "{}\t{}\t{}\t{}\t{}{}",
            a.id,
            a.name,
            a.roles.join(","),
            a.department.as_deref().unwrap_or("-"),
            a.unit,
            if a.locked_until.is_some_and(|t| t > now) {
                "\tlocked"
            } else {
                ""
            }
        );
    }
    Ok(())
}
