/** The seal module's errors: stable codes, each with one HTTP status. */
import { KexinError } from '../errors.ts';

export const sealErrors = Object.freeze({
  notFound: (id: string) => new KexinError('SEAL_NOT_FOUND', `no seal ${id}`, 404),
  invalid: (message: string, details?: Record<string, unknown>) => new KexinError('SEAL_REQUEST_INVALID', message, 400, details),
  notActive: (id: string, status: string) => new KexinError('SEAL_NOT_ACTIVE', `seal ${id} is ${status}: it cannot be applied`, 409, { sealStatus: status }),
  outsideValidity: (id: string) => new KexinError('SEAL_OUTSIDE_VALIDITY', `seal ${id} is outside its validity period`, 409),
  transition: (id: string, from: string, action: string) => new KexinError('SEAL_STATE_CONFLICT', `seal ${id} is ${from}: cannot ${action}`, 409, { sealStatus: from }),
  makerMissing: (algorithm: string) => new KexinError('SEAL_MAKER_UNAVAILABLE', `no seal-making key for ${algorithm} seals is configured`, 503),
  pdfInvalid: (message: string) => new KexinError('SEAL_PDF_INVALID', message, 422),
  pdfUnsupported: (message: string) => new KexinError('SEAL_PDF_UNSUPPORTED', message, 422),
  documentNotFound: (id: string) => new KexinError('SEAL_DOCUMENT_NOT_FOUND', `no sealed document ${id}`, 404),
  documentNotKept: (id: string) => new KexinError('SEAL_DOCUMENT_NOT_KEPT', `the file of sealed document ${id} was not kept`, 404),
  verifyInput: (message: string) => new KexinError('VERIFY_INPUT_INVALID', message, 400),
  busy: () => new KexinError('VERIFY_BUSY', 'verification capacity is saturated; retry shortly', 503, { retryAfter: 2 }),
});
