-- Periodic jobs: one ledger row per (job, period). The primary key is what makes a period run
-- once across engines; the lease fences the outcome to the node that claimed it.
CREATE TABLE job_runs (
    job             TEXT    NOT NULL,
    period          TEXT    NOT NULL,
    due_at          BIGINT NOT NULL,
    state           TEXT    NOT NULL,
    attempts        BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    next_attempt_at BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT,
    result_sha256   TEXT,
    error           TEXT,
    PRIMARY KEY (job, period)
);
CREATE INDEX job_runs_due ON job_runs (state, next_attempt_at);

-- Outputs of periodic jobs, kept for the admin pages; a re-run replaces them.
CREATE TABLE reports (
    job        TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    html       TEXT    NOT NULL,
    csv        TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (job, period)
);

CREATE INDEX cases_opened ON cases (opened_at);
CREATE INDEX cases_closed ON cases (closed_at);
CREATE INDEX case_events_by_kind ON case_events (kind, at);
