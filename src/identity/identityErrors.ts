/**
 * Stable error codes of the identity module (system clients, tokens, operator tokens); never reused.
 * Authentication failures are 401 with one message per kind, whatever the detail: a caller learns that
 * its token failed, not which check failed (the log says which).
 */
import { KexinError } from '../errors.ts';

export const identityErrors = {
  clientNotFound: (id: string) => new KexinError('CLIENT_NOT_FOUND', `no client "${id}"`, 404),
  clientMetadataInvalid: (why: string) => new KexinError('CLIENT_METADATA_INVALID', why, 400),
  scopeNotGrantable: (scope: string, why: string) =>
    new KexinError('CLIENT_SCOPE_NOT_GRANTABLE', `scope "${scope}" cannot be granted to a client (${why})`, 400, { scope }),
  scopeNotHeld: (scope: string) =>
    new KexinError('CLIENT_SCOPE_NOT_HELD', `a client may register clients only with scopes it holds itself; it lacks "${scope}"`, 403, { scope }),
  clientDeleted: (id: string) => new KexinError('CLIENT_DELETED', `client "${id}" was deleted`, 410),
  tokenInvalid: () => new KexinError('AUTH_INVALID', 'the access token is not valid', 401),
  audienceMismatch: () => new KexinError('AUTH_AUDIENCE_MISMATCH', 'the access token is not meant for this service', 403),
  proofInvalid: () => new KexinError('AUTH_DPOP_INVALID', 'the DPoP proof is not valid for this request and token', 401),
  certificateRequired: () =>
    new KexinError('AUTH_CERTIFICATE_REQUIRED', 'the access token is bound to a client certificate that this request did not present over TLS', 401),
  rateLimited: (retryAfterSeconds: number) =>
    new KexinError('RATE_LIMITED', 'too many requests for this client; slow down', 429, { retryAfter: retryAfterSeconds }),
  operatorOnly: () => new KexinError('OPERATOR_ONLY', 'only the break-glass operator may do this', 403),
} as const;
