-- Data keys (32 bytes each, one per purpose) wrapped by a key-store wrapping key: what encrypts personal
-- data at rest (ID numbers, face templates) and keys the hashes used to look it up. The plaintext key
-- exists only in process memory.
CREATE TABLE data_keys (
  purpose          text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9-]{0,62}$'),
  wrapping_key_id  text NOT NULL,
  wrapped          bytea NOT NULL,
  created_at       timestamptz NOT NULL
);
