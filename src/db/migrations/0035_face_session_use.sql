-- A passed face session is evidence another module may use once (the e-card claim, a pension
-- certification): when and for what it was used. See SessionService.consume.
ALTER TABLE face_sessions ADD COLUMN consumed_at timestamptz;
ALTER TABLE face_sessions ADD COLUMN consumed_for text;
