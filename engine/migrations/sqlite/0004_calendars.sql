-- The calendar data each node last ran with, by calendar id: when a deploy brings different data
-- (a new year's holiday notice, a correction), running clocks are recomputed.
CREATE TABLE calendar_versions (
    calendar_id TEXT   PRIMARY KEY,
    sha256      TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL
);
