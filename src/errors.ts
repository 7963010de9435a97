/**
 * Kexin's one error base. Every domain error carries a stable `code` (never reused), the HTTP status
 * it maps to, and whether its message may be shown to the client. The API layer turns these into
 * RFC 9457 problem documents in exactly one place; nothing else formats errors for clients.
 */
export class KexinError extends Error {
  /** Stable, never-reused identifier, e.g. `CA_CSR_SIGNATURE_INVALID`. */
  readonly code: string;
  /** HTTP status the API maps this error to. */
  readonly status: number;
  /** Whether `message` may be shown to the client (never for 5xx). */
  readonly expose: boolean;
  /** Extra, client-safe members for the problem document. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, status = 400, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KexinError';
    this.code = code;
    this.status = status;
    this.expose = status < 500;
    this.details = details;
  }
}

/** The RFC 9457 `type` URI for an error code: stable as long as the code is. */
export function problemType(code: string): string {
  return `urn:kexin:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}
