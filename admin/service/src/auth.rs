//! Sign-in: password hashing (argon2id), random secrets for sessions and API tokens, and the
//! acting user an account stands for.

use yimen_engine::core::{Actor, Organisation};
use yimen_engine::store::accounts::Account;

use crate::error::{Error, Kind};

/// Failed password attempts after which an account is locked.
pub const MAX_FAILURES: i64 = 5;

/// How long a lock-out lasts, in minutes.
pub const LOCKOUT_MINUTES: i64 = 15;

/// How long a session lasts without signing in again, in hours.
pub const SESSION_HOURS: i64 = 12;

/// How long an API token is valid unless its issuer says otherwise, in days.
pub const TOKEN_DAYS: i64 = 365;

/// The longest lifetime a token may be given, in days.
pub const MAX_TOKEN_DAYS: i64 = 3 * 365;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "yimen_session";

/// 32 random bytes from the operating system, as hex.
pub fn random_secret() -> Result<String, Error> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(no_randomness)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A new password of 16 letters and digits, without look-alikes.
pub fn random_password() -> Result<String, Error> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(no_randomness)?;
    Ok(b.iter()
        .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
        .collect())
}

/// The argon2id hash of a password (CPU-heavy: off the async threads).
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| {
            Error::new(
                Kind::Internal,
                "hash_failed",
                format!("the password could not be hashed: {e}"),
            )
        })
}

fn no_randomness(e: getrandom::Error) -> Error {
    Error::new(
        Kind::Internal,
        "no_randomness",
        format!("no randomness from the operating system: {e}"),
    )
}

/// A real hash of a password nobody has, to check against when the account does not exist, so
/// the time a sign-in takes does not tell which names exist.
pub async fn decoy_hash() -> String {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            let p = random_secret().unwrap_or_else(|_| "decoy".into());
            hash_password(p).await.unwrap_or_default()
        })
        .await
        .clone()
}

/// Whether `password` matches `hash` (CPU-heavy: off the async threads).
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
        .await
        .unwrap_or(false)
}

/// Checks an account's roles, department and unit against the organisation.
pub fn check_account(
    org: &yimen_engine::model::organisation::OrganisationFile,
    roles: &[String],
    department: Option<&str>,
    unit: &str,
) -> Result<(), AccountError> {
    let refuse = |msg: String| Err(AccountError::NotInOrganisation(msg));
    if roles.is_empty() {
        return refuse("an account needs at least one role".into());
    }
    if let Some(r) = roles.iter().find(|r| !org.roles.contains_key(*r)) {
        return refuse(format!("`{r}` is not a role of the organisation"));
    }
    if let Some(d) = department.filter(|d| !org.departments.contains_key(*d)) {
        return refuse(format!("`{d}` is not a department of the organisation"));
    }
    if !org.units.contains_key(unit) {
        return refuse(format!("`{unit}` is not a unit of the organisation"));
    }
    Ok(())
}

/// Whether an account id is acceptable: 2 to 64 letters, digits, `_`, `-` or `.`.
pub fn valid_account_id(id: &str) -> bool {
    (2..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The acting user an account stands for, when its roles still exist in the organisation.
pub fn actor(org: &Organisation, a: &Account) -> Option<Actor> {
    if !a.active || a.roles.iter().any(|r| !org.file.roles.contains_key(r)) {
        return None;
    }
    Some(Actor {
        id: a.id.as_str().into(),
        roles: a.roles.clone(),
        department: a.department.clone(),
        unit: Some(a.unit.clone()),
        tier: org.unit_tier(&a.unit),
        stands_in_for: Vec::new(),
    })
}

/// A new account as an admin asks for it (from a page's form or the API).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Sign-in name: 2 to 64 letters, digits, `_`, `-` or `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{2,64}$"))]
    pub id: String,
    /// Display name (one line, at most 100 characters).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub name: Option<String>,
    /// Roles of the organisation (at least one).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Unit (the district when omitted).
    #[serde(default)]
    pub unit: Option<String>,
    /// Email address (at most 200 characters).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub email: Option<String>,
    /// Mobile number.
    #[serde(default)]
    pub mobile: Option<String>,
}

/// Why an account change was refused.
#[derive(Debug)]
pub enum AccountError {
    /// The id is not acceptable.
    BadId,
    /// The mobile number is not a phone number.
    BadMobile,
    /// A name or email address over its length or not on one line.
    BadText,
    /// A role, department or unit the organisation does not have (the sentence says which).
    NotInOrganisation(String),
    /// The id is taken.
    Exists,
    /// No such account.
    Missing,
    /// An admin cannot stop their own account.
    NotSelf,
    /// The store or the system failed.
    Failed(String),
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountError::BadId => write!(f, "an account id is 2 to 64 letters, digits, `_`, `-` or `.`"),
            AccountError::BadMobile => write!(f, "not a phone number"),
            AccountError::BadText => write!(
                f,
                "a name (at most 100 characters) and an email address (at most 200) are each one line of text"
            ),
            AccountError::NotInOrganisation(m) | AccountError::Failed(m) => write!(f, "{m}"),
            AccountError::Exists => write!(f, "that account id is taken"),
            AccountError::Missing => write!(f, "there is no such account"),
            AccountError::NotSelf => write!(f, "you cannot stop your own account"),
        }
    }
}

impl std::error::Error for AccountError {}

/// A new, active account for a user the organisation lists, with its roles and places.
pub fn account_for_user(
    id: &str,
    u: &yimen_engine::model::organisation::User,
    password_hash: Option<String>,
) -> Account {
    Account {
        id: id.to_owned(),
        name: u.name.clone(),
        roles: u.roles.clone(),
        department: u.department.clone(),
        unit: u.unit.clone(),
        email: u.email.clone(),
        mobile: u.mobile.clone(),
        active: true,
        failed_attempts: 0,
        locked_until: None,
        password_hash,
    }
}

/// Makes an account with a generated password (returned, to be shown once) and audits it.
pub async fn create_account(
    engine: &yimen_engine::runtime::Engine,
    by: &str,
    n: NewAccount,
) -> Result<String, AccountError> {
    let org = engine.org();
    let id = n.id.trim().to_owned();
    if !valid_account_id(&id) {
        return Err(AccountError::BadId);
    }
    let unit = n
        .unit
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| org.district().to_owned());
    let department = n.department.filter(|d| !d.is_empty());
    check_account(&org.file, &n.roles, department.as_deref(), &unit)?;
    let mobile = n.mobile.filter(|m| !m.trim().is_empty());
    if mobile
        .as_deref()
        .is_some_and(|m| !yimen_engine::core::fields::is_phone(m))
    {
        return Err(AccountError::BadMobile);
    }
    let one_line = |v: &Option<String>, max: usize| {
        v.as_deref()
            .is_none_or(|x| x.chars().count() <= max && !x.chars().any(char::is_control))
    };
    if !one_line(&n.name, 100) || !one_line(&n.email, 200) {
        return Err(AccountError::BadText);
    }
    let password = random_password().map_err(|e| AccountError::Failed(e.to_string()))?;
    let hash = hash_password(password.clone())
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?;
    let account = Account {
        name: n.name.filter(|x| !x.trim().is_empty()).unwrap_or_else(|| id.clone()),
        id: id.clone(),
        roles: n.roles,
        department,
        unit,
        email: n.email.filter(|e| !e.trim().is_empty()),
        mobile,
        active: true,
        failed_attempts: 0,
        locked_until: None,
        password_hash: Some(hash),
    };
    let now = engine.now().timestamp_millis();
    let store = engine.store();
    if !store
        .add_account(&account, now)
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?
    {
        return Err(AccountError::Exists);
    }
    store
        .audit(now, by, "account_created", &id, &account.roles.join(","))
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?;
    Ok(password)
}

/// Gives an account a new generated password (returned, to be shown once); unlocks it.
pub async fn reset_password(
    engine: &yimen_engine::runtime::Engine,
    by: &str,
    id: &str,
) -> Result<String, AccountError> {
    let password = random_password().map_err(|e| AccountError::Failed(e.to_string()))?;
    let hash = hash_password(password.clone())
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?;
    let store = engine.store();
    if !store
        .set_password(id, &hash)
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?
    {
        return Err(AccountError::Missing);
    }
    store
        .audit(engine.now().timestamp_millis(), by, "password_set", id, "")
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?;
    Ok(password)
}

/// Stops an account (its sessions end) or lets it sign in again.
pub async fn set_active(
    engine: &yimen_engine::runtime::Engine,
    by: &str,
    id: &str,
    active: bool,
) -> Result<(), AccountError> {
    if !active && id == by {
        return Err(AccountError::NotSelf);
    }
    let store = engine.store();
    if !store
        .set_active(id, active)
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?
    {
        return Err(AccountError::Missing);
    }
    let action = if active { "account_started" } else { "account_stopped" };
    store
        .audit(engine.now().timestamp_millis(), by, action, id, "")
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))
}

/// Why a token could not be issued.
#[derive(Debug)]
pub enum TokenError {
    /// The name is not 1 to 64 letters, digits, `_`, `-` or `.`.
    BadName,
    /// The lifetime is not 1 to [`MAX_TOKEN_DAYS`] days.
    BadDays,
    /// No such account.
    Missing,
    /// The account has a live token of that name.
    Exists,
    /// The store or the system failed.
    Failed(String),
}

impl std::error::Error for TokenError {}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::BadName => write!(f, "a token name is 1 to 64 letters, digits, `_`, `-` or `.`"),
            TokenError::BadDays => write!(f, "a token is valid for 1 to {MAX_TOKEN_DAYS} days"),
            TokenError::Missing => write!(f, "there is no such account"),
            TokenError::Exists => write!(
                f,
                "the account already has a live token of that name; revoke it first or choose another name"
            ),
            TokenError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Whether a token name is acceptable: 1 to 64 letters, digits, `_`, `-` or `.`.
pub fn valid_token_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Issues an API token for `user` (returned, to be shown once; only its hash is kept), valid
/// for `days` days ([`TOKEN_DAYS`] when `None`), and audits it as done `by`.
pub async fn issue_token(
    store: &yimen_engine::store::Store,
    now_ms: i64,
    by: &str,
    user: &str,
    name: &str,
    days: Option<i64>,
) -> Result<(String, i64), TokenError> {
    if !valid_token_name(name) {
        return Err(TokenError::BadName);
    }
    let days = days.unwrap_or(TOKEN_DAYS);
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(TokenError::BadDays);
    }
    let failed = |e: yimen_engine::store::StoreError| TokenError::Failed(e.to_string());
    if store.account(user).await.map_err(failed)?.is_none() {
        return Err(TokenError::Missing);
    }
    let token = random_secret().map_err(|e| TokenError::Failed(e.to_string()))?;
    let expires = now_ms + days * 86_400_000;
    if !store
        .add_token(&token, user, name, now_ms, expires)
        .await
        .map_err(failed)?
    {
        return Err(TokenError::Exists);
    }
    store
        .audit(now_ms, by, "token_issued", user, name)
        .await
        .map_err(failed)?;
    Ok((token, expires))
}

/// Revokes `user`'s live tokens named `name` and audits it; how many were revoked.
pub async fn revoke_token(
    store: &yimen_engine::store::Store,
    now_ms: i64,
    by: &str,
    user: &str,
    name: &str,
) -> Result<u64, TokenError> {
    let failed = |e: yimen_engine::store::StoreError| TokenError::Failed(e.to_string());
    if store.account(user).await.map_err(failed)?.is_none() {
        return Err(TokenError::Missing);
    }
    let n = store.revoke_tokens(user, name).await.map_err(failed)?;
    if n > 0 {
        store
            .audit(now_ms, by, "token_revoked", user, name)
            .await
            .map_err(failed)?;
    }
    Ok(n)
}

/// Lets a locked account sign in again at once (an admin's decision), audited.
pub async fn unlock(engine: &yimen_engine::runtime::Engine, by: &str, id: &str) -> Result<(), AccountError> {
    let store = engine.store();
    if !store
        .unlock_account(id)
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))?
    {
        return Err(AccountError::Missing);
    }
    store
        .audit(engine.now().timestamp_millis(), by, "account_unlocked", id, "")
        .await
        .map_err(|e| AccountError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_differ() {
        let (a, b) = (random_secret().expect("secret"), random_secret().expect("secret"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let p = random_password().expect("password");
        assert_eq!(p.chars().count(), 16);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric() && !"l1I0Oo".contains(c)));
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("正确的密码 correct".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码 correct".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h.clone()).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }
}
