-- Accounts: who may sign in, with which roles, department and unit. Passwords are argon2id PHC
-- strings; a missing hash means the account signs in only with API tokens.
CREATE TABLE users (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    roles           TEXT    NOT NULL,
    department      TEXT,
    unit            TEXT    NOT NULL,
    email           TEXT,
    mobile          TEXT,
    password_hash   TEXT,
    active          INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL
);

-- Server-side sessions: the cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id_sha256  TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- API tokens for machine clients: only their SHA-256 is stored.
CREATE TABLE api_tokens (
    sha256     TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL
);

-- Who did what outside a case's history: sign-ins, lock-outs, revealing personal data.
CREATE TABLE audit_log (
    at      INTEGER NOT NULL,
    user_id TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    target  TEXT   NOT NULL,
    detail  TEXT   NOT NULL
);
CREATE INDEX audit_log_by_user ON audit_log (user_id, at);
