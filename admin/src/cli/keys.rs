//! `yimen keys`: the master key and the sealing of personal data — where a store stands, sealing
//! a store written before sealing, and rotating the master key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use yimen_engine::load::{self, LoadOptions};
use yimen_engine::seal::MasterKey;
use yimen_engine::store::reseal::Rotation;
use yimen_engine::store::{Store, StoreOptions};
use yimen_engine::yaml::Limits;

use crate::settings::{ServeArgs, Settings};

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Say which master key and suite the store is sealed under and how many cases are sealed,
    /// plain or deleted.
    Status(StoreArgs),
    /// Seal every case written before sealing (in batches, resumable, safe while `serve` runs).
    SealExisting(SealArgs),
    /// Re-wrap every data key under a new master key (resumable; stop `serve` first).
    Rotate(RotateArgs),
}

/// The store and its key, as `serve` finds them.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The database URL [default: sqlite://yimen.db].
    #[arg(long, env = "YIMEN_DATABASE_URL")]
    pub db: Option<String>,
    /// The config file whose `[keys]` names the key file and suite (as for `serve`).
    #[arg(long, env = "YIMEN_CONFIG")]
    pub config: Option<PathBuf>,
    /// The workflows directory [default: workflows].
    #[arg(long, env = "YIMEN_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
}

/// Arguments of `yimen keys seal-existing`.
#[derive(Debug, Args)]
pub struct SealArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Cases per batch.
    #[arg(long, default_value_t = 200)]
    pub batch: i64,
}

/// Arguments of `yimen keys rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The new master key's file (created when missing). Afterwards start `serve` with it.
    #[arg(long)]
    pub new_key_file: PathBuf,
    /// Data keys per batch.
    #[arg(long, default_value_t = 500)]
    pub batch: i64,
}

/// A store opened as `serve` opens it, with its master key checked.
pub struct Opened {
    /// The settings.
    pub settings: Settings,
    /// The store, sealing under its key.
    pub store: Store,
    /// The key.
    pub master: Arc<MasterKey>,
}

impl Opened {
    /// The workflows (which must validate) and the definitions deployed in the store.
    pub async fn deployed(&self) -> anyhow::Result<(load::Bundle, yimen_engine::runtime::Definitions)> {
        let opts = LoadOptions {
            today: yimen_engine::Today::At(chrono::Utc::now()),
            limits: Limits::default(),
        };
        let (bundle, diags) = load::load_dir(&self.settings.workflows, &opts);
        if diags.has_errors() {
            anyhow::bail!(
                "the workflows in {} have errors (run `yimen validate`)",
                self.settings.workflows.display()
            );
        }
        let defs = yimen_engine::runtime::definitions::load_deployed(&self.store, &bundle).await?;
        Ok((bundle, defs))
    }
}

/// Opens the store named by `args` with its master key (refusing another key, or an
/// unfinished rotation unless `rotating`).
pub async fn open(args: &StoreArgs, rotating: bool) -> anyhow::Result<Opened> {
    let serve = ServeArgs {
        db: args.db.clone(),
        bind: None,
        workflows: args.workflows.clone(),
        smtp: None,
        sms: None,
        base_url: None,
        config: args.config.clone(),
        demo: false,
        check: false,
    };
    let settings = Settings::resolve(&serve, &|k| std::env::var(k).ok())?;
    let store = Store::open(&StoreOptions::new(&settings.db))
        .await
        .with_context(|| format!("cannot open the store {}", settings.db))?;
    let master = if rotating {
        settings.keys.unlock_any(&store).await?
    } else {
        settings.keys.unlock(&store).await?
    };
    let master = Arc::new(master);
    let store = store.sealed_by(master.clone());
    Ok(Opened {
        settings,
        store,
        master,
    })
}

/// Runs a key subcommand.
pub fn run(cmd: &KeysCommand) -> ExitCode {
    super::run_async(async {
        match cmd {
            KeysCommand::Status(a) => status(a).await,
            KeysCommand::SealExisting(a) => seal_existing(a).await,
            KeysCommand::Rotate(a) => rotate(a).await,
        }
    })
}

async fn status(args: &StoreArgs) -> anyhow::Result<ExitCode> {
    let o = open(args, false).await?;
    let (sealed, plain, deleted) = o.store.seal_counts().await?;
    crate::out!(
        "sealed under master key {} ({}), from {}",
        o.master.fingerprint(),
        o.master.suite().name(),
        o.settings.keys.describe()
    );
    crate::out!(
        "cases: {} sealed, {} plain (run `yimen keys seal-existing`), {} with personal data deleted",
        sealed,
        plain,
        deleted
    );
    o.store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn seal_existing(args: &SealArgs) -> anyhow::Result<ExitCode> {
    let o = open(&args.store, false).await?;
    let (_, defs) = o.deployed().await?;
    let progress = o.store.seal_existing(&defs, args.batch).await?;
    o.store.fold_log().await?;
    crate::out!("sealed {} case(s)", progress.sealed);
    for (id, why) in &progress.refused {
        crate::out!("left plain: case {id}: {why}");
    }
    o.store.close().await;
    Ok(if progress.refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn rotate(args: &RotateArgs) -> anyhow::Result<ExitCode> {
    let o = open(&args.store, true).await?;
    // A server writing meanwhile would wrap new cases' keys under the old key.
    let _alone = super::backup::hold_alone(&o.settings.db)?;
    let (new, created) = MasterKey::load_or_create(o.master.suite(), &args.new_key_file)
        .with_context(|| format!("cannot read the new master key {}", args.new_key_file.display()))?;
    if created {
        crate::out!(
            "created a new master key at {}: back it up apart from the database",
            args.new_key_file.display()
        );
    }
    match o.store.rotate_master(&o.master, &new, args.batch).await? {
        Rotation::AlreadyDone => crate::out!("the store is already sealed under {}", new.fingerprint()),
        Rotation::Done { rewrapped } => crate::out!(
            "re-wrapped {rewrapped} data key(s): the store is sealed under {} from now on; start `serve` with {} and keep the old key as long as backups made before now are kept",
            new.fingerprint(),
            args.new_key_file.display()
        ),
    }
    o.store.close().await;
    Ok(ExitCode::SUCCESS)
}
