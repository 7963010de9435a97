-- The person registry (src/persons): one row per citizen, shared by the e-card, citizen login and the
-- pension qualification. Identifiers are stored sealed (AES-256-GCM, see identifierCipher.ts), found by
-- keyed hash (HMAC-SHA-256), shown masked. Both keys are data keys wrapped by the key store (data_keys).
CREATE TABLE persons (
  id                uuid PRIMARY KEY,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  id_number_hash    bytea NOT NULL UNIQUE,
  id_number_sealed  bytea NOT NULL,
  id_number_masked  text NOT NULL,
  ssn_hash          bytea UNIQUE,
  ssn_sealed        bytea,
  ssn_masked        text,
  region            text NOT NULL CHECK (region ~ '^[0-9]{6}$'),
  key_id            text NOT NULL,
  -- SHA-256 of the reference photo the template was enrolled from (the photo itself is not kept).
  photo_sha256      bytea,
  template_at       timestamptz,
  created_at        timestamptz NOT NULL
);

-- Family management (亲情服务): a person managing another person's services, with the member's consent.
CREATE TABLE person_family (
  manager_id  uuid NOT NULL REFERENCES persons (id),
  member_id   uuid NOT NULL REFERENCES persons (id),
  relation    text NOT NULL,
  consent     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (manager_id, member_id),
  CHECK (manager_id <> member_id)
);
CREATE INDEX person_family_member ON person_family (member_id) WHERE revoked_at IS NULL;
