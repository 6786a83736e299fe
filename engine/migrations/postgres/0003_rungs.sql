-- Each supervision rung fires at most once per case and clock: the key is taken in the firing
-- transaction, so a second firing (from any node) cannot commit.
CREATE TABLE rung_firings (
    case_id  TEXT   NOT NULL,
    clock    TEXT   NOT NULL,
    rung     TEXT   NOT NULL,
    fired_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, clock, rung)
);
