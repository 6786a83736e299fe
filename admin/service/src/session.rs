//! Signing in and out: password sign-in with lock-out after repeated failures, and the
//! server-side session it starts (its id travels in an HTTP-only cookie, its CSRF token in
//! every change a page makes).

use yimen_engine::core::Actor;

use crate::auth;
use crate::error::{Error, Kind};
use crate::state::AppState;

/// The session behind a cookie-authenticated request, if that is how it was authenticated.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session id (the cookie's value).
    pub id: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// The acting user of a request that passed the route guard.
#[derive(Debug, Clone)]
pub struct Authed {
    /// Who is acting.
    pub actor: Actor,
    /// The session, for cookie sign-ins.
    pub session: Option<Session>,
}

/// The one answer to a failed sign-in, whatever failed: an unknown name, a wrong password or a
/// locked account all look alike, so the answer tells nobody which names exist.
fn wrong() -> Error {
    Error::new(
        Kind::Unauthenticated,
        "wrong_credentials",
        format!(
            "wrong user name or password; after {} wrong passwords an account is locked for {} minutes (an admin can unlock it)",
            auth::MAX_FAILURES,
            auth::LOCKOUT_MINUTES
        ),
    )
}

/// The longest password accepted (argon2 over more is work an attacker would choose).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A session just begun.
#[derive(Debug)]
pub struct Started {
    /// Its CSRF token.
    pub csrf: String,
    /// The account.
    pub account: yimen_engine::store::accounts::Account,
    /// The session id (the cookie's value).
    pub session: String,
    /// How long the session lasts, in seconds (the cookie's `Max-Age`).
    pub max_age: i64,
}

/// Checks a password and starts a new session. In order, each refusal before any work is done:
///
/// 1. A name outside the account-id alphabet or a password over 1 KiB: 422, nothing stored.
/// 2. More attempts from the source address than its quota: 429 with `Retry-After` (per node),
///    before any account is touched, so one client cannot lock every account out.
/// 3. One attempt taken from the account in the store, atomically, *before* the password is
///    checked: at most [`auth::MAX_FAILURES`] checks per lock window however many requests
///    arrive at once on however many nodes.
///
/// An unknown name, a locked account and a wrong password get the same answer after the same
/// work (one argon2 verification each).
pub async fn password_sign_in(
    s: &AppState,
    peer: Option<std::net::IpAddr>,
    user: &str,
    password: String,
) -> Result<Started, Error> {
    if !auth::valid_account_id(user) {
        return Err(Error::new(
            Kind::Invalid,
            "invalid_user_name",
            "a user name is 2 to 64 letters, digits, `_`, `-` or `.`",
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Error::new(
            Kind::Invalid,
            "password_too_long",
            format!("a password is at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if let Err(crate::limits::RetryAfter(secs)) = s.limits.sign_in(peer) {
        return Err(Error::too_many(
            secs,
            "too many sign-in attempts from this address; wait and try again",
        ));
    }
    let store = s.engine.store();
    let now = s.engine.now().timestamp_millis();
    let db = Error::from;
    let account = store.account(user).await.map_err(db)?.filter(|a| a.active);
    let lock_until = now + auth::LOCKOUT_MINUTES * 60_000;
    let taken = match &account {
        Some(a) => store
            .take_sign_in_attempt(&a.id, auth::MAX_FAILURES, now, lock_until)
            .await
            .map_err(db)?,
        None => false,
    };
    let hash = match (&account, taken) {
        (Some(a), true) => a.password_hash.clone(),
        _ => None,
    };
    // The same work whatever the case, so timing does not tell which names exist or are locked.
    let ok = match hash {
        Some(h) => auth::verify_password(password, h).await,
        None => {
            let _ = auth::verify_password(password, auth::decoy_hash().await).await;
            false
        }
    };
    let Some(account) = account.clone().filter(|_| ok) else {
        let (action, what) = match (&account, taken) {
            (None, _) => ("sign_in_failed", "unknown account"),
            (Some(_), false) => ("sign_in_refused", "locked"),
            (Some(_), true) => ("sign_in_failed", "wrong password"),
        };
        store.audit(now, user, action, "", what).await.map_err(db)?;
        return Err(wrong());
    };
    store.sign_in_succeeded(&account.id).await.map_err(db)?;
    // A fresh session id at every sign-in: an id planted before sign-in is never promoted.
    let sid = auth::random_secret()?;
    let csrf = auth::random_secret()?;
    let ttl = auth::SESSION_HOURS * 3_600_000;
    store
        .start_session(&sid, &account.id, &csrf, now, now + ttl)
        .await
        .map_err(db)?;
    store.audit(now, &account.id, "signed_in", "", "").await.map_err(db)?;
    Ok(Started {
        csrf,
        account,
        session: sid,
        max_age: ttl / 1000,
    })
}

/// Ends a cookie session, with an audit entry (nothing to end for an API token).
pub async fn end_session(s: &AppState, a: &Authed) -> Result<(), Error> {
    let Some(sess) = &a.session else { return Ok(()) };
    let store = s.engine.store();
    store.end_session(&sess.id).await.map_err(Error::from)?;
    let now = s.engine.now().timestamp_millis();
    store
        .audit(now, &a.actor.id, "signed_out", "", "")
        .await
        .map_err(Error::from)?;
    Ok(())
}
