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

/** What a problem code means, the same for every occurrence (RFC 9457 §3.1: `type`, `status`, `title`). */
export interface ProblemDefinition {
  /** The one HTTP status this code is answered with. */
  readonly status: number;
  /** Says what went wrong, in a few words; the per-occurrence specifics go in `detail`. */
  readonly title: string;
  /**
   * RFC 6749 §5.2 / RFC 6750 §3.1 `error` for routes that answer OAuth-style (`config.errorFormat =
   * 'oauth'`); by default derived from the status.
   */
  readonly oauthError?: string;
}

/**
 * A module's problem codes (`src/<module>/<module>Problems.ts`), collected by `src/problems.ts`. Every
 * `new KexinError('CODE', …, status)` in `src/` must name a code listed in one of these tables with that
 * status (test/errors/problemRegistry.test.ts reads the sources and holds every module to it).
 */
export function defineProblems<const T extends Record<string, ProblemDefinition>>(table: T): Readonly<T> {
  for (const [code, p] of Object.entries(table)) {
    if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(code)) throw new TypeError(`problem code ${code} is not UPPER_SNAKE_CASE`);
    if (!Number.isInteger(p.status) || p.status < 400 || p.status > 599) throw new TypeError(`problem ${code}: status ${p.status} is not an HTTP error status`);
    Object.freeze(p);
  }
  return Object.freeze(table);
}
