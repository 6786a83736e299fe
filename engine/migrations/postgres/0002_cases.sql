-- Cases and everything written with them in one transaction. Times are UTC milliseconds from
-- the engine's clock. The aggregate is stored as JSON in `data`; the columns beside it are what
-- queries filter on.
CREATE TABLE cases (
    id                 TEXT    PRIMARY KEY,
    case_type          TEXT    NOT NULL,
    definition_version BIGINT  NOT NULL,
    state              TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    version            BIGINT  NOT NULL,
    department         TEXT    NOT NULL,
    unit               TEXT,
    data               TEXT    NOT NULL,
    event_seq          BIGINT  NOT NULL,
    last_hash          TEXT    NOT NULL,
    opened_at          BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    closed_at          BIGINT
);
CREATE INDEX cases_by_type_state ON cases (case_type, state);
CREATE INDEX cases_by_department ON cases (department, status);

-- The append-only history; each event's hash covers the previous event's hash.
CREATE TABLE case_events (
    case_id   TEXT   NOT NULL,
    seq       BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    actor     TEXT   NOT NULL,
    at        BIGINT NOT NULL,
    payload   TEXT   NOT NULL,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE tasks (
    id         TEXT   PRIMARY KEY,
    case_id    TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    state      TEXT   NOT NULL,
    department TEXT   NOT NULL,
    role       TEXT   NOT NULL,
    unit       TEXT,
    assignee   TEXT,
    created_at BIGINT NOT NULL,
    closed_at  BIGINT
);
CREATE INDEX tasks_inbox ON tasks (department, role, state, created_at);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state);

-- Durable timers. A node claims due rows with a lease; the firing transaction marks the row
-- fired only while the lease is its own (fencing), together with the case's change.
CREATE TABLE timers (
    key         TEXT   PRIMARY KEY,
    case_id     TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    due_at      BIGINT NOT NULL,
    state       TEXT   NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    fired_at    BIGINT,
    last_error  TEXT
);
CREATE INDEX timers_due ON timers (state, due_at);

-- Notification intents, written in the case's transaction; delivered by the dispatcher.
CREATE TABLE outbox (
    idempotency_key TEXT   PRIMARY KEY,
    case_id         TEXT   NOT NULL,
    template        TEXT   NOT NULL,
    recipients      TEXT   NOT NULL,
    channels        TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Idempotency keys: the first result of a keyed request, returned again for a repeat.
CREATE TABLE idempotency (
    key          TEXT   PRIMARY KEY,
    request_hash TEXT   NOT NULL,
    case_id      TEXT   NOT NULL,
    response     TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
