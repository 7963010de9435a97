/** The seal module's problem codes (seals, sealing, verification): one status and title each. */
import { defineProblems } from '../errors.ts';

export const SIGNING_PROBLEMS = defineProblems({
  SEAL_NOT_FOUND: { status: 404, title: 'No seal with this id' },
  SEAL_REQUEST_INVALID: { status: 400, title: 'Seal request is not acceptable' },
  SEAL_IMAGE_INVALID: { status: 400, title: 'Seal image is not a usable PNG or SVG with transparency' },
  SEAL_NOT_ACTIVE: { status: 409, title: 'Seal is suspended or cancelled and cannot be applied' },
  SEAL_OUTSIDE_VALIDITY: { status: 409, title: 'Seal is outside its validity period' },
  SEAL_STATE_CONFLICT: { status: 409, title: 'Seal is not in a state that allows this change' },
  SEAL_MAKER_UNAVAILABLE: { status: 503, title: 'No seal-making or print key is available for this algorithm' },
  SEAL_PDF_INVALID: { status: 422, title: 'PDF cannot be read or sealed as sent' },
  SEAL_PDF_UNSUPPORTED: { status: 422, title: 'PDF cannot be sealed: its permissions or layout do not allow it' },
  SEAL_TIMESTAMP_FAILED: { status: 502, title: 'Time-stamping authority did not grant a token' },
  SEAL_DOCUMENT_NOT_FOUND: { status: 404, title: 'No sealed document with this id or code' },
  SEAL_DOCUMENT_NOT_KEPT: { status: 404, title: 'The sealed file was not kept in the archive' },
  VERIFY_INPUT_INVALID: { status: 400, title: 'Signature or data to verify cannot be read' },
  VERIFY_PDF_UNREADABLE: { status: 422, title: 'File is not a PDF the validator can read' },
  VERIFY_TIMEOUT: { status: 422, title: 'Document took longer to analyse than its budget' },
  VERIFY_BUSY: { status: 503, title: 'Verification capacity is saturated' },
  VERIFY_FAILED: { status: 500, title: 'Document analysis failed' },
});
