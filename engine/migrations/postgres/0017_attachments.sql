-- Attachments (附件): each uploaded file's description, and its bytes in chunks of 256 KiB, so
-- backups and every node hold them and a download streams chunk by chunk.
--
-- A file is uploaded before the case or the action that names it (`case_id` NULL: pending);
-- the writer puts it on its case in the transaction of the accepted command that references it,
-- and only for the case type, field and person it was uploaded for. Pending files nobody named
-- are removed after a day.
--
-- A personal file (its field is marked `pii`) is sealed: its name and chunks with a key of its
-- own, `wrapped` by the master key while pending (`key_by` 'master') and by the case's data
-- key once on its case ('case'), so shredding the case's key erases the file for good. Other
-- files are stored plain (`key_by` 'none'). Chunk -1 is an image's thumbnail.
CREATE TABLE attachments (
    id          TEXT   PRIMARY KEY,
    case_id     TEXT,
    case_type   TEXT   NOT NULL,
    field       TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    media_type  TEXT   NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT   NOT NULL,
    chunks      BIGINT NOT NULL,
    thumbnail   BIGINT NOT NULL,
    personal    BIGINT NOT NULL,
    key_by      TEXT   NOT NULL,
    wrapped     TEXT,
    uploaded_by TEXT   NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX attachments_by_case ON attachments (case_id);
CREATE INDEX attachments_pending ON attachments (uploaded_at) WHERE case_id IS NULL;

CREATE TABLE attachment_chunks (
    attachment_id TEXT   NOT NULL,
    seq           BIGINT NOT NULL,
    data          BYTEA  NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
