-- Identity: registered system clients, oidc-provider's storage, the authorization server's signing
-- keys, revoked access tokens and seen DPoP proofs.

-- System clients (RFC 7591 metadata). Deleted clients keep their row (status 'deleted'): their id is
-- never reused and audit rows keep meaning something. The secret is stored only as a keyed hash
-- (HMAC-SHA-256 under the 'client-secret' data key, whose id is `secret_key_id`).
CREATE TABLE oauth_clients (
  client_id              text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  name                   text NOT NULL,
  class                  text NOT NULL,
  max_assurance          text NOT NULL,
  auth_method            text NOT NULL,
  scopes                 text[] NOT NULL,
  metadata               jsonb NOT NULL,
  secret_hash            bytea,
  secret_key_id          text,
  token_rate_per_minute  integer NOT NULL CHECK (token_rate_per_minute > 0),
  api_rate_per_second    integer NOT NULL CHECK (api_rate_per_second > 0),
  status                 text NOT NULL CHECK (status IN ('active', 'disabled', 'deleted')),
  created_by             text NOT NULL,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  CHECK ((secret_hash IS NULL) = (secret_key_id IS NULL))
);

-- oidc-provider's models (ReplayDetection, and every grant model that later flows use), one row per
-- model instance, with the lookups its adapter interface needs.
CREATE TABLE oidc_models (
  model        text NOT NULL,
  id           text NOT NULL,
  payload      jsonb NOT NULL,
  grant_id     text,
  user_code    text,
  uid          text,
  expires_at   timestamptz,
  consumed_at  timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant_id ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

-- The authorization server's signing keys (in the key store; `key_id` names the key there) with their
-- token-signer certificates. Rotation: a 'next' key is published before it signs, becomes 'active',
-- then 'retiring' (published, no longer signing) until every token it signed has expired.
CREATE TABLE token_signing_keys (
  kid           text PRIMARY KEY,
  key_id        text NOT NULL UNIQUE,
  algorithm     text NOT NULL,
  certificate   bytea NOT NULL,
  chain         bytea[] NOT NULL,
  state         text NOT NULL CHECK (state IN ('next', 'active', 'retiring', 'retired')),
  created_at       timestamptz NOT NULL,
  -- when it began and stopped signing, and when it leaves the published key set
  activated_at     timestamptz,
  deactivated_at   timestamptz,
  unpublish_after  timestamptz
);
-- At most one key signs at a time.
CREATE UNIQUE INDEX token_signing_keys_one_active ON token_signing_keys (state) WHERE state = 'active';

-- Access tokens revoked before they expired (RFC 7009), kept until they would have expired.
CREATE TABLE revoked_access_tokens (
  jti         text PRIMARY KEY,
  client_id   text NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

-- DPoP proofs seen by Kexin's resource server (RFC 9449 §11.1: a proof is used once), by hash of
-- (jti, key thumbprint), kept until the proof is too old to be accepted anyway.
CREATE TABLE dpop_proofs (
  proof_hash  bytea PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX dpop_proofs_expires_at ON dpop_proofs (expires_at);
