/** The face engine's and model converter's problem codes: one status and title each. */
import { defineProblems } from '../errors.ts';

export const FACE_PROBLEMS = defineProblems({
  FACE_ACTIONS_INVALID: { status: 400, title: 'Challenge actions are invalid' },
  FACE_IMAGE_INVALID: { status: 422, title: 'Image cannot be used' },
  FACE_IMAGE_TOO_LARGE: { status: 413, title: 'Image is too large' },
  FACE_MODELS_MISSING: { status: 503, title: 'Face models are not loaded' },
  FACE_NONCE_INVALID: { status: 403, title: 'Face session nonce is not valid' },
  FACE_SESSION_EXPIRED: { status: 410, title: 'Face session has expired' },
  FACE_SESSION_NOT_FOUND: { status: 404, title: 'No such face session' },
  FACE_SESSION_USED: { status: 409, title: 'Face session was already used' },
  FACE_SESSION_NOT_PASSED: { status: 409, title: 'Face session has not passed' },
  FACE_SESSION_SUBJECT_MISMATCH: { status: 403, title: 'Face session belongs to another subject' },
  FACE_SESSION_STALE: { status: 410, title: 'Face session passed too long ago' },
  FACE_SESSION_CONSUMED: { status: 409, title: 'Face session was already used as evidence' },
  FACE_SUBJECT_LOCKED: { status: 423, title: 'Too many failed face checks for this subject' },
  FACE_TEMPLATE_NOT_FOUND: { status: 404, title: 'No face template is enrolled for this subject' },
  FACE_TEMPLATE_QUALITY: { status: 422, title: 'Enrolment photo is not usable' },
  FACE_TEMPLATE_UNREADABLE: { status: 500, title: 'Stored face template cannot be decrypted' },
  FACE_TEST_ACTIONS_FORBIDDEN: { status: 403, title: 'Fixed challenge actions are only accepted in test mode' },
  FACE_TOO_MANY_FRAMES: { status: 400, title: 'Too many frames' },
  MODEL_CONVERT_FAILED: { status: 500, title: 'Face model conversion failed' },
  MODEL_CORRUPT: { status: 500, title: 'Face model weights are damaged' },
  MODEL_DYNAMIC_SHAPE: { status: 500, title: 'Face model has a dynamic shape the converter cannot handle' },
  MODEL_UNSUPPORTED_DTYPE: { status: 500, title: 'Face model uses an unsupported weight type' },
  MODEL_UNSUPPORTED_FORMAT: { status: 500, title: 'Face model is not a TensorFlow.js graph model' },
  MODEL_UNSUPPORTED_OP: { status: 500, title: 'Face model uses an unsupported operation' },
});
