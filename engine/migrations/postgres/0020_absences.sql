-- Absences (休假代办): a person away from `starts_at` to `ends_at` (UTC ms, the end excluded)
-- names a colleague who stands in for them. While it runs the colleague sees and acts on the
-- tasks the absent person holds. A cancelled absence keeps its row (`cancelled_at`), so who stood
-- in for whom stays on record.
CREATE TABLE absences (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    delegate TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX absences_delegate ON absences (delegate, ends_at);
CREATE INDEX absences_user ON absences (user_id, ends_at);
