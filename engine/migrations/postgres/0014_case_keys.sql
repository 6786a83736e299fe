-- Each case's data key, stored only wrapped by the master key (whose fingerprint is kept so a
-- rotation can resume where it stopped). Destroying `wrapped` erases the case's personal data
-- for good (crypto-shredding): `shredded_at` and `shred_rule` say when and under which rule.
-- `chain` names the digest of the case's hash-chained history (sha256 or sm3). `hold` is a
-- legal hold's reason: a held case is never shredded.
CREATE TABLE case_keys (
    case_id     TEXT   PRIMARY KEY,
    wrapped     TEXT,
    master      TEXT   NOT NULL,
    chain       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    shredded_at BIGINT,
    shred_rule  TEXT,
    hold        TEXT
);

-- Blind indexes of the people of a case (a keyed digest of a normalised phone or ID number):
-- every case of one phone is found without decrypting anything.
-- Keyed by case first (case ids are time-ordered, so new rows append), found by value.
CREATE TABLE person_index (
    case_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, value)
);
CREATE INDEX person_index_by_value ON person_index (value);

-- A citizen's address on a delivery is stored sealed with the case's key; the `address`
-- column then holds its blind index, which keeps the delivery's key stable.
ALTER TABLE deliveries ADD COLUMN sealed_address TEXT;

-- What was done with personal data and by whom: shredding, holds, exports, sealing, rotation.
CREATE TABLE privacy_log (
    at      BIGINT NOT NULL,
    actor   TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    detail  TEXT   NOT NULL
);
CREATE INDEX privacy_log_by_at ON privacy_log (at);

-- A wrapped key beside a store key's name: the blind-index key (`index`) once a rotation has
-- carried it over, and a rotation's next master key (`next`) until it is finished.
ALTER TABLE store_keys ADD COLUMN wrapped TEXT;
