//! Personal data sealed at rest: the key hierarchy and the two cipher suites.
//!
//! A **master key** (32 random bytes in a key file outside the database, or an environment
//! secret) never enters the store. Each case has a **data key** of its own, stored only wrapped
//! (encrypted) by the master key; every personal value of the case is sealed with its data key,
//! so destroying that one wrapped key erases the case's personal data for good (crypto-shredding)
//! while the rest of the history stays readable. **Blind indexes** — a keyed hash of a normalised
//! phone or ID number, under a key derived from the master — find a person's cases without
//! decrypting anything.
//!
//! Two suites, chosen per installation: AES-256-GCM with SHA-256, or the national commercial
//! ciphers SM4-GCM with SM3 (GB/T 32907, GB/T 32905; 密评 under GB/T 39786 asks for these). Both
//! are RustCrypto implementations, checked in `tests.rs` against the standards' published vectors.
//!
//! A sealed value is text: `ymn1.<suite>.<hex of nonce ‖ ciphertext ‖ tag>`, its associated data
//! binding it to its case and field, so a value moved to another case or field does not open.

use std::path::Path;

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sm3::Sm3;

#[cfg(test)]
mod tests;

/// SM4 in Galois/Counter mode with a 96-bit nonce (RFC 8998).
type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// Why sealing or opening failed. None of these is ever a panic; each names what it concerns.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The key file is missing, unreadable or not a key.
    #[error("the master key at {path}: {why}")]
    KeyFile {
        /// The file.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The value is not a sealed value of this installation.
    #[error("not a sealed value ({0})")]
    Malformed(&'static str),
    /// The value was sealed with the other suite.
    #[error("sealed with {found}, but this installation uses {expected}")]
    OtherSuite {
        /// The suite the value names.
        found: &'static str,
        /// The installation's.
        expected: &'static str,
    },
    /// The value does not open with this key and context: a wrong key, another case's or
    /// field's value, or tampering.
    #[error("it does not open with this key (a wrong master key, a value from elsewhere, or a changed ciphertext)")]
    Forged,
}

/// The cipher suite of an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// AES-256-GCM for data, SHA-256 for digests and blind indexes.
    Aes256GcmSha256,
    /// SM4-GCM for data, SM3 for digests and blind indexes (the national commercial ciphers).
    Sm4GcmSm3,
}

impl Suite {
    /// Its name in settings and in sealed values.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes256GcmSha256 => "aes256gcm-sha256",
            Suite::Sm4GcmSm3 => "sm4gcm-sm3",
        }
    }

    /// The suite named `s` (as in the settings).
    pub fn parse(s: &str) -> Option<Suite> {
        [Suite::Aes256GcmSha256, Suite::Sm4GcmSm3]
            .into_iter()
            .find(|x| x.name() == s.trim())
    }

    /// The length of its data keys.
    pub fn key_len(self) -> usize {
        match self {
            Suite::Aes256GcmSha256 => 32,
            Suite::Sm4GcmSm3 => 16,
        }
    }

    /// The keyed digest (HMAC-SHA256 or HMAC-SM3) of `parts`, each length-prefixed so no two
    /// lists of parts collide.
    pub fn mac(self, key: &[u8; 32], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8; 32], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC pads a key shorter than its block (64 bytes for SHA-256 and SM3) with zeros:
            // padding it here gives the same MAC without a fallible constructor.
            let mut padded = aes_gcm::aead::Key::<M>::default();
            for (d, s) in padded.iter_mut().zip(key) {
                *d = *s;
            }
            let mut m = <M as KeyInit>::new(&padded);
            for p in parts {
                m.update(&(p.len() as u64).to_be_bytes());
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Suite::Aes256GcmSha256 => run::<Hmac<Sha256>>(key, parts),
            Suite::Sm4GcmSm3 => run::<Hmac<Sm3>>(key, parts),
        }
    }

    /// The plain digest (SHA-256 or SM3) of `bytes`, as hex.
    pub fn digest_hex(self, bytes: &[u8]) -> String {
        use sha2::Digest;
        match self {
            Suite::Aes256GcmSha256 => hex(&Sha256::digest(bytes)),
            Suite::Sm4GcmSm3 => hex(&Sm3::digest(bytes)),
        }
    }

    fn encrypt(self, key: &[u8], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, SealError> {
        fn run<C: Aead + AeadCore + KeyInit>(key: &[u8], aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, SealError> {
            let c = C::new_from_slice(key).map_err(|_| SealError::Malformed("key length"))?;
            let nonce = C::generate_nonce(&mut OsRng);
            let mut out = nonce.to_vec();
            out.extend(
                c.encrypt(&nonce, Payload { msg: plain, aad })
                    .map_err(|_| SealError::Forged)?,
            );
            Ok(out)
        }
        match self {
            Suite::Aes256GcmSha256 => run::<Aes256Gcm>(key, aad, plain),
            Suite::Sm4GcmSm3 => run::<Sm4Gcm>(key, aad, plain),
        }
    }

    fn decrypt(self, key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        fn run<C: Aead + KeyInit>(key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
            let c = C::new_from_slice(key).map_err(|_| SealError::Malformed("key length"))?;
            if sealed.len() < 12 + 16 {
                return Err(SealError::Malformed("too short"));
            }
            let (nonce, body) = sealed.split_at(12);
            c.decrypt(GenericArray::from_slice(nonce), Payload { msg: body, aad })
                .map_err(|_| SealError::Forged)
        }
        match self {
            Suite::Aes256GcmSha256 => run::<Aes256Gcm>(key, aad, sealed),
            Suite::Sm4GcmSm3 => run::<Sm4Gcm>(key, aad, sealed),
        }
    }
}

/// The installation's master key and suite: it wraps data keys and derives the index key.
#[derive(Clone)]
pub struct MasterKey {
    suite: Suite,
    bytes: [u8; 32],
    /// The blind-index key: derived from this key, or after a rotation the one the indexes
    /// were made with, stored wrapped by the new master key.
    index: [u8; 32],
    /// The key that wraps data keys (derived once).
    wrapping: Vec<u8>,
    /// The fingerprint (computed once).
    print: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself, in a log or a panic message.
        write!(f, "MasterKey({}, {})", self.suite.name(), self.fingerprint())
    }
}

const KEY_FILE_HEADER: &str = "yimen master key v1";

impl MasterKey {
    /// A new random master key.
    pub fn generate(suite: Suite) -> MasterKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&Aes256Gcm::generate_key(&mut OsRng));
        MasterKey::of(suite, bytes)
    }

    /// The key of these bytes, with what is derived from it computed once.
    fn of(suite: Suite, bytes: [u8; 32]) -> MasterKey {
        let mut k = MasterKey {
            suite,
            bytes,
            index: [0; 32],
            wrapping: Vec::new(),
            print: String::new(),
        };
        k.index = k.derived(b"blind index");
        k.wrapping = k.derived(b"wrap")[..suite.key_len()].to_vec();
        k.print = hex(&k.suite.mac(&k.bytes, &[b"yimen fingerprint v1"])[..8]);
        k
    }

    /// The key in `text` (the key file's content, or an environment secret): the header line,
    /// then 64 hex digits.
    pub fn parse(suite: Suite, text: &str) -> Result<MasterKey, &'static str> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err("it does not start with the line `yimen master key v1`");
        }
        let hexed = lines.next().ok_or("it holds no key")?;
        let raw = unhex(hexed).ok_or("the key is not hex")?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| "the key is not 32 bytes (64 hex digits)")?;
        if lines.next().is_some() {
            return Err("it holds more than one key");
        }
        Ok(MasterKey::of(suite, bytes))
    }

    /// The key file's content.
    pub fn to_file_text(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\n# Keep this file apart from the database and its backups: without it the\n# personal data in the store cannot be read; with it and a copy of the store, it can.\n{}\n",
            hex(&self.bytes)
        )
    }

    /// Reads the key file at `path`.
    pub fn load(suite: Suite, path: &Path) -> Result<MasterKey, SealError> {
        let key_file = |why: String| SealError::KeyFile {
            path: path.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| key_file(e.to_string()))?;
        MasterKey::parse(suite, &text).map_err(|e| key_file(e.to_owned()))
    }

    /// Reads the key file at `path`, or creates it (readable by its owner only) when there is
    /// none; says whether it was created. An existing file is never overwritten, and servers
    /// starting at once agree on one key: the key is written whole to a file of its own and
    /// linked into place, which fails if another got there first (then that key is read).
    pub fn load_or_create(suite: Suite, path: &Path) -> Result<(MasterKey, bool), SealError> {
        if path.exists() {
            return MasterKey::load(suite, path).map(|k| (k, false));
        }
        let key = MasterKey::generate(suite);
        let key_file = |e: std::io::Error| SealError::KeyFile {
            path: path.display().to_string(),
            why: e.to_string(),
        };
        let draft = path.with_extension(format!("draft-{}-{}", std::process::id(), key.fingerprint()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let written = opts.open(&draft).and_then(|mut f| {
            std::io::Write::write_all(&mut f, key.to_file_text().as_bytes())?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => Ok((key, true)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => MasterKey::load(suite, path).map(|k| (k, false)),
            Err(e) => Err(key_file(e)),
        }
    }

    /// The suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// A short public name of the key (a digest of a derived value, not of the key), stored
    /// beside what it wraps so a wrong key is refused by name rather than by failing to open.
    pub fn fingerprint(&self) -> String {
        self.print.clone()
    }

    /// A key derived from the master for one purpose (both suites' MACs are 32 bytes).
    fn derived(&self, purpose: &[u8]) -> [u8; 32] {
        let mut k = [0u8; 32];
        for (d, s) in k
            .iter_mut()
            .zip(self.suite.mac(&self.bytes, &[b"yimen key v1", purpose]))
        {
            *d = s;
        }
        k
    }

    /// A new data key for case `case_id`: the key, and its wrapped form to store.
    pub fn new_data_key(&self, case_id: &str) -> Result<(DataKey, String), SealError> {
        let mut bytes = vec![0u8; self.suite.key_len()];
        bytes.copy_from_slice(&Aes256Gcm::generate_key(&mut OsRng)[..self.suite.key_len()]);
        let dk = DataKey {
            suite: self.suite,
            bytes,
        };
        let wrapped = self.wrap(case_id, &dk)?;
        Ok((dk, wrapped))
    }

    /// `dk` wrapped for storage, bound to its case.
    pub fn wrap(&self, case_id: &str, dk: &DataKey) -> Result<String, SealError> {
        let kek = self.wrapping_key();
        let body = self.suite.encrypt(kek, &aad(&["data key", case_id]), &dk.bytes)?;
        Ok(format!("ymn1.{}.{}", self.suite.name(), hex(&body)))
    }

    /// The data key of `case_id` from its wrapped form.
    pub fn unwrap(&self, case_id: &str, wrapped: &str) -> Result<DataKey, SealError> {
        let body = parse_sealed(self.suite, wrapped)?;
        let bytes = self
            .suite
            .decrypt(self.wrapping_key(), &aad(&["data key", case_id]), &body)?;
        if bytes.len() != self.suite.key_len() {
            return Err(SealError::Malformed("data key length"));
        }
        Ok(DataKey {
            suite: self.suite,
            bytes,
        })
    }

    /// The blind-index key: the one carried over from before a rotation, or derived.
    fn index_key(&self) -> [u8; 32] {
        self.index
    }

    /// This key's blind-index key wrapped by `next` (a rotation's new master key), so that the
    /// indexes made under this key still find their cases under the next.
    pub fn wrap_index_key_for(&self, next: &MasterKey) -> Result<String, SealError> {
        let body = next
            .suite
            .encrypt(next.wrapping_key(), &aad(&["index key"]), &self.index_key())?;
        Ok(format!("ymn1.{}.{}", next.suite.name(), hex(&body)))
    }

    /// This key, making blind indexes with the index key `wrapped` under it (see
    /// [`MasterKey::wrap_index_key_for`]).
    pub fn with_index_key(mut self, wrapped: &str) -> Result<MasterKey, SealError> {
        let body = parse_sealed(self.suite, wrapped)?;
        let bytes = self.suite.decrypt(self.wrapping_key(), &aad(&["index key"]), &body)?;
        self.index = bytes.try_into().map_err(|_| SealError::Malformed("index key length"))?;
        Ok(self)
    }

    fn wrapping_key(&self) -> &[u8] {
        &self.wrapping
    }

    /// The blind index of a personal value: a keyed digest of its kind (`phone`, `id_number`)
    /// and normalised value, the same for every case, that reveals nothing without the key.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> String {
        let key = &self.index;
        hex(&self.suite.mac(key, &[kind.as_bytes(), normalised.as_bytes()])[..16])
    }
}

/// A case's data key (never stored unwrapped).
#[derive(Clone)]
pub struct DataKey {
    suite: Suite,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.suite.name())
    }
}

impl DataKey {
    /// `plain` sealed for field `field` of case `case_id`.
    pub fn seal(&self, case_id: &str, field: &str, plain: &str) -> Result<String, SealError> {
        let body = self
            .suite
            .encrypt(&self.bytes, &aad(&["value", case_id, field]), plain.as_bytes())?;
        Ok(format!("ymn1.{}.{}", self.suite.name(), hex(&body)))
    }

    /// The value of field `field` of case `case_id` from its sealed form.
    pub fn open(&self, case_id: &str, field: &str, sealed: &str) -> Result<String, SealError> {
        let body = parse_sealed(self.suite, sealed)?;
        let plain = self
            .suite
            .decrypt(&self.bytes, &aad(&["value", case_id, field]), &body)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed("not text"))
    }
}

impl DataKey {
    /// `other` (a file's own key) sealed with this case key, bound to case `case_id` and file
    /// `file`: the file then opens only while the case's key lives.
    pub fn wrap_key(&self, case_id: &str, file: &str, other: &DataKey) -> Result<String, SealError> {
        self.seal(case_id, &format!("file key {file}"), &hex(&other.bytes))
    }

    /// A file's own key from its form sealed by [`DataKey::wrap_key`].
    pub fn unwrap_key(&self, case_id: &str, file: &str, sealed: &str) -> Result<DataKey, SealError> {
        let text = self.open(case_id, &format!("file key {file}"), sealed)?;
        let bytes = unhex(&text).ok_or(SealError::Malformed("file key"))?;
        if bytes.len() != self.suite.key_len() {
            return Err(SealError::Malformed("file key length"));
        }
        Ok(DataKey {
            suite: self.suite,
            bytes,
        })
    }

    /// Bytes sealed under this key, bound to `parts` (a file and its chunk's number):
    /// nonce ‖ ciphertext ‖ tag.
    pub fn seal_bytes(&self, parts: &[&str], plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut ad = vec!["bytes"];
        ad.extend_from_slice(parts);
        self.suite.encrypt(&self.bytes, &aad(&ad), plain)
    }

    /// Bytes sealed by [`DataKey::seal_bytes`] with the same `parts`.
    pub fn open_bytes(&self, parts: &[&str], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut ad = vec!["bytes"];
        ad.extend_from_slice(parts);
        self.suite.decrypt(&self.bytes, &aad(&ad), sealed)
    }
}

/// Whether `s` looks like a sealed value (of either suite).
pub fn is_sealed(s: &str) -> bool {
    s.starts_with("ymn1.")
}

fn parse_sealed(suite: Suite, s: &str) -> Result<Vec<u8>, SealError> {
    let rest = s.strip_prefix("ymn1.").ok_or(SealError::Malformed("no prefix"))?;
    let (name, body) = rest.split_once('.').ok_or(SealError::Malformed("no suite"))?;
    if name != suite.name() {
        let found = Suite::parse(name).ok_or(SealError::Malformed("an unknown suite"))?;
        return Err(SealError::OtherSuite {
            found: found.name(),
            expected: suite.name(),
        });
    }
    unhex(body).ok_or(SealError::Malformed("not hex"))
}

/// Associated data: the parts, length-prefixed.
fn aad(parts: &[&str]) -> Vec<u8> {
    let mut out = b"yimen v1".to_vec();
    for p in parts {
        out.extend((p.len() as u32).to_be_bytes());
        out.extend(p.as_bytes());
    }
    out
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes from hex (either case); `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}
