-- Certificate authorities: Kexin's own roots and issuing CAs, and issuing CAs certified by an external
-- (qualified) root, which sit in state 'pending' with their CSR until `kexin ca import`.
CREATE TABLE ca_authorities (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  algorithm    text NOT NULL,
  role         text NOT NULL CHECK (role IN ('root', 'issuing')),
  parent_id    text REFERENCES ca_authorities (id),
  key_id       text NOT NULL,
  state        text NOT NULL CHECK (state IN ('pending', 'active')),
  certificate  bytea,
  csr          bytea,
  -- DER certificates above this CA up to and including its root, for externally rooted CAs.
  external_chain bytea[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL,
  CHECK (state = 'pending' OR certificate IS NOT NULL)
);

-- Every certificate Kexin has signed. The serial row is written first, inside the issuance transaction,
-- under a unique constraint: a serial is never signed twice.
CREATE TABLE ca_certificates (
  serial        text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{40}$'),
  ca_id         text NOT NULL REFERENCES ca_authorities (id),
  profile       text NOT NULL,
  subject       text NOT NULL,
  not_before    timestamptz NOT NULL,
  not_after     timestamptz NOT NULL,
  der           bytea,
  status        text NOT NULL CHECK (status IN ('valid', 'revoked', 'hold')),
  revoked_at    timestamptz,
  revocation_reason text,
  issued_at     timestamptz NOT NULL,
  CHECK ((status = 'valid') = (revoked_at IS NULL))
);
CREATE INDEX ca_certificates_revoked ON ca_certificates (ca_id) WHERE status <> 'valid';

-- Full CRLs per issuing CA. crl_number only ever grows (RFC 5280 §5.2.3).
CREATE TABLE ca_crls (
  ca_id        text NOT NULL REFERENCES ca_authorities (id),
  crl_number   bigint NOT NULL,
  this_update  timestamptz NOT NULL,
  next_update  timestamptz NOT NULL,
  der          bytea NOT NULL,
  PRIMARY KEY (ca_id, crl_number)
);

-- Service keys certified by an issuing CA: delegated OCSP responders and the time-stamping unit.
CREATE TABLE ca_service_keys (
  id           text PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('ocsp', 'tsa')),
  ca_id        text NOT NULL REFERENCES ca_authorities (id),
  key_id       text NOT NULL,
  serial       text NOT NULL REFERENCES ca_certificates (serial),
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX ca_service_keys_one_active ON ca_service_keys (ca_id, purpose) WHERE active;
