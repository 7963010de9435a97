-- Electronic seals (src/signing): the seals, the keys of the seal-making authority and of the printed
-- copies' verification codes, and the registry of sealed documents (the electronic archive).

-- Keys the signing module certifies for itself at start: the GB/T 38540 seal makers (制章人), one per
-- key family, and the key that signs the verification code printed on sealed documents.
CREATE TABLE signing_service_keys (
  id           text PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('maker-ecdsa', 'maker-sm2', 'print')),
  key_id       text NOT NULL,
  serial       text NOT NULL,
  certificate  bytea NOT NULL,
  chain        bytea[] NOT NULL,
  not_after    timestamptz NOT NULL,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX signing_service_keys_one_active ON signing_service_keys (purpose) WHERE active;

-- esID serial numbers (赋码): one sequence, never reused.
CREATE SEQUENCE seal_es_serial;

CREATE TABLE seals (
  id                 uuid PRIMARY KEY,
  es_id              text NOT NULL UNIQUE,
  kind               text NOT NULL CHECK (kind IN ('legal-name', 'internal', 'branch', 'business', 'personal')),
  name               text NOT NULL,
  owner_name         text NOT NULL,
  owner_credit_code  text NOT NULL,
  holder_name        text,
  algorithm          text NOT NULL CHECK (algorithm IN ('ECDSA', 'SM2')),
  status             text NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled')),
  image_png          bytea NOT NULL,
  image_width_mm     integer NOT NULL,
  image_height_mm    integer NOT NULL,
  -- The GB/T 38540 SESeal, DER.
  seseal             bytea NOT NULL,
  -- [{"role": "cms"|"sm2", "keyId": …, "serial": …}]: per-seal keys (never shared) and their certificates.
  keys               jsonb NOT NULL,
  certificates       bytea[] NOT NULL,
  chain              bytea[] NOT NULL,
  valid_start        timestamptz NOT NULL,
  valid_end          timestamptz NOT NULL,
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL,
  status_changed_at  timestamptz NOT NULL
);

-- Every sealed document (用印登记): what was sealed, with which seals, at which level; the file itself
-- when asked (chunked, so a 100 MB file is never one value in memory).
CREATE TABLE sealed_documents (
  id                uuid PRIMARY KEY,
  code              text NOT NULL UNIQUE,
  format            text NOT NULL CHECK (format IN ('pdf', 'cades', 'gbt38540', 'jws')),
  level             text NOT NULL,
  seal_ids          uuid[] NOT NULL,
  es_ids            text[] NOT NULL,
  input_sha256      bytea NOT NULL,
  input_length      bigint NOT NULL,
  output_sha256     bytea NOT NULL,
  output_length     bigint NOT NULL,
  kept              boolean NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL,
  -- B-LTA archive time-stamps: the newest one's time and when its TSA certificate expires.
  archive_timestamp_at timestamptz,
  archive_expires_at   timestamptz,
  renewals          integer NOT NULL DEFAULT 0
);
CREATE INDEX sealed_documents_renewal ON sealed_documents (archive_expires_at) WHERE kept AND archive_expires_at IS NOT NULL;

CREATE TABLE sealed_document_chunks (
  document_id  uuid NOT NULL REFERENCES sealed_documents (id) ON DELETE CASCADE,
  seq          integer NOT NULL,
  data         bytea NOT NULL,
  PRIMARY KEY (document_id, seq)
);
