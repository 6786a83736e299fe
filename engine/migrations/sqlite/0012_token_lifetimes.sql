-- API tokens have a lifetime and show when they were last used; existing tokens expire a
-- year after they were issued. Only a token's SHA-256 is kept, never the token.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
UPDATE api_tokens SET expires_at = created_at + 31536000000;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, name);
