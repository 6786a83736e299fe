-- Deployed definition versions. Each deploy of a changed case type adds a row; running cases
-- keep the version they started on. Times are UTC milliseconds since the epoch, bound by the
-- engine's clock (never the database's).
CREATE TABLE definition_versions (
    case_type   TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    sha256      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    deployed_at BIGINT  NOT NULL,
    PRIMARY KEY (case_type, version),
    UNIQUE (case_type, sha256)
);
