-- The master key a store's personal data is sealed under, by name only: its suite and its
-- fingerprint (a digest of a value derived from the key, never the key). A server started with
-- another key refuses to start instead of failing to read, or sealing under two keys.
CREATE TABLE store_keys (
    id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
