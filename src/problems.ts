/**
 * The problem registry: every code Kexin answers with, its one HTTP status and its title (RFC 9457
 * §3.1). Each module keeps its own table (`src/<module>/<module>Problems.ts`); this file collects them
 * and holds the codes of the HTTP edge itself (requests, routing, authentication). A new module adds
 * its table to `MODULE_TABLES`. test/errors/problemRegistry.test.ts reads every `new KexinError(…)` in
 * `src/` and fails on a code missing here or thrown with a status other than its registered one.
 */
import { CA_PROBLEMS } from './ca/caProblems.ts';
import { CRYPTO_PROBLEMS } from './crypto/cryptoProblems.ts';
import { defineProblems, problemType, type ProblemDefinition } from './errors.ts';
import { IDENTITY_PROBLEMS } from './identity/identityProblems.ts';
import { ECARD_PROBLEMS } from './ecard/ecardProblems.ts';
import { FACE_PROBLEMS } from './liveness/faceProblems.ts';
import { SIGNING_PROBLEMS } from './signing/signingProblems.ts';
import { PERSON_PROBLEMS } from './persons/personProblems.ts';

/** The HTTP edge: request shape, routing, time limits, credentials, and the generic failures. */
export const HTTP_PROBLEMS = defineProblems({
  REQUEST_INVALID: { status: 400, title: 'Request does not match what this route accepts' },
  REQUEST_MALFORMED: { status: 400, title: 'Request is not well-formed HTTP' },
  REQUEST_URL_INVALID: { status: 400, title: 'Request URL is not valid percent-encoded UTF-8' },
  REQUEST_JSON_TOO_DEEP: { status: 400, title: 'JSON body is nested too deeply' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request was not received in time' },
  REQUEST_TOO_LARGE: { status: 413, title: 'Request body is larger than this route accepts' },
  REQUEST_URL_TOO_LONG: { status: 414, title: 'A path segment of the request URL is too long' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'Request headers are too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Content type is not accepted by this route' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method is not allowed on this route' },
  AUTH_REQUIRED: { status: 401, title: 'Credentials are required', oauthError: 'invalid_token' },
  AUTH_INVALID: { status: 401, title: 'Credentials are not valid', oauthError: 'invalid_token' },
  AUTH_SCOPE_MISSING: { status: 403, title: 'Credentials do not grant the required scope', oauthError: 'insufficient_scope' },
  INTERNAL: { status: 500, title: 'Internal error' },
  NOT_READY: { status: 503, title: 'Service is starting or not ready' },
});

/** Every module's table, in no particular order; a code may appear in only one. */
const MODULE_TABLES: readonly Readonly<Record<string, ProblemDefinition>>[] = [HTTP_PROBLEMS, CA_PROBLEMS, CRYPTO_PROBLEMS, FACE_PROBLEMS, PERSON_PROBLEMS, ECARD_PROBLEMS, SIGNING_PROBLEMS, IDENTITY_PROBLEMS];

function collect(tables: readonly Readonly<Record<string, ProblemDefinition>>[]): ReadonlyMap<string, ProblemDefinition> {
  const all = new Map<string, ProblemDefinition>();
  for (const t of tables) {
    for (const [code, def] of Object.entries(t)) {
      if (all.has(code)) throw new TypeError(`problem code ${code} is registered twice`);
      all.set(code, def);
    }
  }
  return all;
}

/** code → definition, for every code Kexin answers with. */
export const PROBLEMS: ReadonlyMap<string, ProblemDefinition> = collect(MODULE_TABLES);

/** The registered definition of `code`; `undefined` for a code nobody registered (a bug the registry test catches). */
export function problemDefinition(code: string): ProblemDefinition | undefined {
  return PROBLEMS.get(code);
}

/** The `type` URIs a client can receive, with status and title (the OpenAPI document lists them). */
export function clientVisibleProblems(): { type: string; code: string; status: number; title: string }[] {
  // A 500's own code stays in the log; the client sees `INTERNAL` (STYLE: a 5xx leaks nothing).
  return [...PROBLEMS].filter(([code, d]) => d.status !== 500 || code === 'INTERNAL')
    .map(([code, d]) => ({ type: problemType(code), code, status: d.status, title: d.title }))
    .sort((a, b) => a.code.localeCompare(b.code));
}
