-- Face engine: encrypted enrolment templates and single-use active-liveness challenge sessions.

-- One enrolled template per subject. The embedding is AES-256-GCM ciphertext (see
-- src/liveness/templateCipher.ts); the subject id is bound in as additional data, so a row copied
-- onto another subject does not decrypt.
CREATE TABLE face_templates (
  subject_id  text PRIMARY KEY CHECK (length(subject_id) BETWEEN 1 AND 64),
  key_id      text NOT NULL,
  iv          bytea NOT NULL,
  ciphertext  bytea NOT NULL,
  tag         bytea NOT NULL,
  model       text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- Challenge sessions. `processing` is the claimed state between accepting the frames and recording
-- the decision, so a second submission is refused while the first is being evaluated.
CREATE TABLE face_sessions (
  id           uuid PRIMARY KEY,
  subject_id   text CHECK (subject_id IS NULL OR length(subject_id) BETWEEN 1 AND 64),
  nonce_hash   bytea NOT NULL,
  actions      jsonb NOT NULL,
  pinned       boolean NOT NULL DEFAULT false,
  state        text NOT NULL CHECK (state IN ('pending', 'processing', 'passed', 'failed', 'expired')),
  attempts     integer NOT NULL DEFAULT 0,
  result       jsonb,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  finished_at  timestamptz
);

-- Lockout: recent failures per subject.
CREATE INDEX face_sessions_failed_by_subject ON face_sessions (subject_id, finished_at) WHERE state = 'failed';
