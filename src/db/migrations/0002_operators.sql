-- Instance facts (first initialisation) and operator bearer tokens (only SHA-256 hashes are stored).
CREATE TABLE instance (
  id             boolean PRIMARY KEY DEFAULT true CHECK (id),
  initialised_at timestamptz NOT NULL
);

CREATE TABLE operator_tokens (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
