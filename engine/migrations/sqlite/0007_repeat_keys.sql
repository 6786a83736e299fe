-- Keys that recognise a repeated complaint: the same citizen bringing the same matter again
-- while a case is open is linked to that case instead of opening a new one.
CREATE TABLE repeat_keys (
    key       TEXT    NOT NULL,
    case_id   TEXT    NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (key, case_id)
);
CREATE INDEX repeat_keys_recent ON repeat_keys (key, opened_at);
