//! Where the master key comes from and which cipher suite seals personal data: `[keys]` in the
//! config file, `YIMEN_MASTER_KEY_FILE`, `YIMEN_MASTER_KEY` (the key file's text itself, as a
//! secret from the environment) and `YIMEN_CIPHER_SUITE`.

use std::path::PathBuf;

use anyhow::Context as _;
use anyhow::bail;
use yimen_engine::seal::{MasterKey, SealError, Suite};
use yimen_engine::store::Store;
use yimen_engine::store::keys::KeyBinding;

use super::Source;

/// The `[keys]` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeysFile {
    file: Option<PathBuf>,
    suite: Option<String>,
}

/// Where the master key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file (created at the first start when missing).
    File(PathBuf),
    /// The key's text from `YIMEN_MASTER_KEY`.
    Secret(String),
}

/// The master key's source and the cipher suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    /// Where the key is.
    pub source: KeySource,
    /// The suite (SM4-GCM with SM3 unless set).
    pub suite: Suite,
}

/// The key file used when none is named: beside the working directory, not in the database.
pub const DEFAULT_KEY_FILE: &str = "yimen-master.key";

pub(super) fn keys(src: &Source<'_>, f: KeysFile) -> anyhow::Result<KeySettings> {
    let suite = match src.text("YIMEN_CIPHER_SUITE", f.suite) {
        None => Suite::Sm4GcmSm3,
        Some(name) => match Suite::parse(&name) {
            Some(s) => s,
            None => bail!(
                "YIMEN_CIPHER_SUITE (or the config file's `keys.suite`) must be `sm4gcm-sm3` or `aes256gcm-sha256`, not `{name}`"
            ),
        },
    };
    let source = match (src.env)("YIMEN_MASTER_KEY") {
        Some(text) => {
            if let Err(why) = MasterKey::parse(suite, &text) {
                bail!("YIMEN_MASTER_KEY is not a master key: {why}");
            }
            KeySource::Secret(text)
        }
        None => KeySource::File(
            src.text("YIMEN_MASTER_KEY_FILE", f.file.map(|p| p.display().to_string()))
                .map_or_else(|| PathBuf::from(DEFAULT_KEY_FILE), PathBuf::from),
        ),
    };
    Ok(KeySettings { source, suite })
}

impl KeySettings {
    /// The master key, and whether it was made now (a key file that did not exist yet).
    pub fn master_key(&self) -> Result<(MasterKey, bool), SealError> {
        match &self.source {
            KeySource::Secret(text) => {
                MasterKey::parse(self.suite, text)
                    .map(|k| (k, false))
                    .map_err(|why| SealError::KeyFile {
                        path: "YIMEN_MASTER_KEY".into(),
                        why: why.to_owned(),
                    })
            }
            KeySource::File(path) => MasterKey::load_or_create(self.suite, path),
        }
    }

    /// How `serve --check` names the source (never the key).
    pub fn describe(&self) -> String {
        match &self.source {
            KeySource::File(p) => p.display().to_string(),
            KeySource::Secret(_) => "(YIMEN_MASTER_KEY)".into(),
        }
    }

    /// The master key, made at the first start when the key file is missing, and checked against
    /// the store: a store sealed under another key refuses the start rather than read garbage, and
    /// so does a store whose key rotation is unfinished.
    pub async fn unlock(&self, store: &Store) -> anyhow::Result<MasterKey> {
        let keys = self;
        if let Some(next) = store.rotation_pending().await? {
            anyhow::bail!(
                "a rotation of the master key to {next} is unfinished: run `yimen keys rotate --new-key-file …` again with that key to finish it"
            );
        }
        keys.unlock_any(store).await
    }

    /// [`KeySettings::unlock`] without the check for an unfinished rotation (for the rotation itself).
    pub async fn unlock_any(&self, store: &Store) -> anyhow::Result<MasterKey> {
        let keys = self;
        let (key, created) = keys.master_key().context("cannot read the master key")?;
        if created {
            let msg = format!(
                "created a new master key at {}: back it up apart from the database and its backups; without it the personal data in this store cannot be read",
                keys.describe()
            );
            eprintln!("{msg}");
            tracing::warn!("{msg}");
        }
        let (suite, print) = (key.suite().name(), key.fingerprint());
        let now_ms = chrono::Utc::now().timestamp_millis();
        match store.bind_master_key(suite, &print, now_ms).await? {
            KeyBinding::Bound => {
                tracing::info!(suite, key = %print, "the store is sealed under this master key from now on")
            }
            KeyBinding::Same => tracing::info!(suite, key = %print, "master key checked"),
            KeyBinding::Other {
                suite: theirs,
                fingerprint,
            } => anyhow::bail!(
                "this store is sealed under master key {fingerprint} ({theirs}), not under {print} ({suite}) from {}: start with the key file that belongs to this database",
                keys.describe()
            ),
        }
        // After a rotation the blind indexes are made with the key they were made with before it.
        match store.wrapped_index_key().await? {
            Some(w) => key
                .with_index_key(&w)
                .context("the store's blind-index key does not open with this master key"),
            None => Ok(key),
        }
    }
}
