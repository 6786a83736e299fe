-- One row per message to one address on one channel, expanded from an outbox row. The key
-- (outbox key, channel, address) is what makes a retry after a crash the same message.
CREATE TABLE deliveries (
    outbox_key      TEXT   NOT NULL,
    channel         TEXT   NOT NULL,
    address         TEXT   NOT NULL,
    recipient       TEXT   NOT NULL,
    case_id         TEXT   NOT NULL,
    template        TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    gateway_id      TEXT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (outbox_key, channel, address)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
