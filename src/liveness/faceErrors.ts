/**
 * Stable error codes of the face service (never reused). The API maps them to problem+json in
 * src/api/problem.ts; image decoding errors (`FACE_IMAGE_INVALID`, `FACE_IMAGE_TOO_LARGE`) come
 * from decodeImage.ts.
 */
import { KexinError } from '../errors.ts';

export const faceErrors = {
  imageInvalid: (why: string) => new KexinError('FACE_IMAGE_INVALID', why, 422),
  sessionNotFound: () => new KexinError('FACE_SESSION_NOT_FOUND', 'no such face session', 404),
  sessionUsed: (state: string) => new KexinError('FACE_SESSION_USED', `the face session was already used (${state})`, 409, { state }),
  sessionExpired: () => new KexinError('FACE_SESSION_EXPIRED', 'the face session has expired; start a new one', 410),
  nonceInvalid: () => new KexinError('FACE_NONCE_INVALID', 'the session nonce is not valid', 403),
  subjectLocked: (until: Date) => new KexinError('FACE_SUBJECT_LOCKED', 'too many failed face checks; try again later', 423, { lockedUntil: until.toISOString() }),
  testActionsForbidden: () => new KexinError('FACE_TEST_ACTIONS_FORBIDDEN', 'testActions is only accepted when the service runs in test mode', 403),
  actionsInvalid: (why: string) => new KexinError('FACE_ACTIONS_INVALID', why, 400),
  templateNotFound: () => new KexinError('FACE_TEMPLATE_NOT_FOUND', 'no face template is enrolled for this subject', 404),
  templateQuality: (reasons: readonly { code: string }[]) =>
    new KexinError('FACE_TEMPLATE_QUALITY', `the enrolment photo is not usable: ${reasons.map((r) => r.code).join(', ')}`, 422, { reasons: reasons.map((r) => r.code) }),
  sessionNotPassed: (state: string) => new KexinError('FACE_SESSION_NOT_PASSED', `the face session has not passed (${state})`, 409, { state }),
  sessionSubjectMismatch: () => new KexinError('FACE_SESSION_SUBJECT_MISMATCH', 'the face session was made for another subject', 403),
  sessionStale: () => new KexinError('FACE_SESSION_STALE', 'the face session passed too long ago; start a new one', 410),
  sessionConsumed: () => new KexinError('FACE_SESSION_CONSUMED', 'the face session was already used as evidence', 409),
  templateUndecryptable: () => new KexinError('FACE_TEMPLATE_UNREADABLE', 'the stored face template cannot be decrypted', 500),
} as const;
