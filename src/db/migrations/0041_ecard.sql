-- The electronic social-security card (src/ecard). Holders are persons (src/persons) with a card;
-- a card is claimed into channels, each claim a credential bound to one device key with its own
-- entry in a status list.

-- E-card issuer keys: key-store key + certificate from the CA (`ecard-issuer` profile).
CREATE TABLE ecard_issuers (
  id           text PRIMARY KEY,                  -- 'ecdsa' (default) or 'sm2'
  algorithm    text NOT NULL,
  key_id       text NOT NULL,
  serial       text NOT NULL,
  certificate  bytea NOT NULL,
  chain        bytea[] NOT NULL,                  -- issuing CA … root
  created_at   timestamptz NOT NULL
);

CREATE TABLE ecard_holders (
  person_id   uuid PRIMARY KEY,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE ecard_cards (
  id               uuid PRIMARY KEY,
  person_id        uuid NOT NULL REFERENCES ecard_holders (person_id),
  card_number      text NOT NULL UNIQUE,
  state            text NOT NULL CHECK (state IN ('active', 'suspended', 'revoked')),
  state_reason     text,
  physical_status  text NOT NULL DEFAULT 'issued',
  valid_from       timestamptz NOT NULL,
  valid_until      timestamptz NOT NULL,
  replaces         uuid REFERENCES ecard_cards (id),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
-- At most one card that is not revoked per holder (a reissue revokes the old one first).
CREATE UNIQUE INDEX ecard_cards_one_live ON ecard_cards (person_id) WHERE state <> 'revoked';

-- Status lists (IETF Token Status List, 2 bits per entry). Entries are handed out by a sequence —
-- no row lock on the hot path; a gap left by a rolled-back claim is an unused VALID entry.
CREATE SEQUENCE ecard_status_entry_seq AS bigint MINVALUE 0 START 0;
CREATE TABLE ecard_status_lists (
  id          integer PRIMARY KEY,
  bits        smallint NOT NULL,
  size        integer NOT NULL,
  version     bigint NOT NULL DEFAULT 0,         -- bumped in the transaction that changes an entry
  created_at  timestamptz NOT NULL
);

CREATE TABLE ecard_credentials (
  id            uuid PRIMARY KEY,
  card_id       uuid NOT NULL REFERENCES ecard_cards (id),
  channel_id    text NOT NULL,
  card_ref      text NOT NULL UNIQUE,              -- pseudonymous reference carried in the QR card token
  device_jkt    text NOT NULL,                     -- RFC 7638 thumbprint of the device key
  issuer_id     text NOT NULL REFERENCES ecard_issuers (id),
  list_id       integer NOT NULL REFERENCES ecard_status_lists (id),
  idx           integer NOT NULL,
  status        smallint NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),
  evidence      jsonb NOT NULL,
  issued_by     text NOT NULL,
  issued_at     timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  ended_reason  text,
  UNIQUE (list_id, idx)
);
CREATE INDEX ecard_credentials_card ON ecard_credentials (card_id) WHERE ended_at IS NULL;
CREATE INDEX ecard_credentials_listed ON ecard_credentials (list_id, idx) WHERE status <> 0;

-- Claim nonces (proof of possession of the device key), single use.
CREATE TABLE ecard_claim_nonces (
  nonce_hash  bytea PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);

-- Dynamic QR codes seen by the online verifier within their minute (replay detection).
CREATE TABLE ecard_qr_seen (
  key         text PRIMARY KEY,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX ecard_qr_seen_expiry ON ecard_qr_seen (expires_at);
