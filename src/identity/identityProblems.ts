/** The identity module's problem codes (system clients, access tokens, operator ceremonies). */
import { defineProblems } from '../errors.ts';

export const IDENTITY_PROBLEMS = defineProblems({
  CLIENT_NOT_FOUND: { status: 404, title: 'No such client' },
  CLIENT_DELETED: { status: 410, title: 'Client was deleted' },
  CLIENT_METADATA_INVALID: { status: 400, title: 'Client metadata is not acceptable', oauthError: 'invalid_client_metadata' },
  CLIENT_SCOPE_NOT_GRANTABLE: { status: 400, title: 'Scope cannot be granted to a client', oauthError: 'invalid_client_metadata' },
  CLIENT_SCOPE_NOT_HELD: { status: 403, title: 'Caller does not hold a scope it tries to grant or manage' },
  // RFC 9068 §4: a token for another resource server is not the caller's to use here.
  AUTH_AUDIENCE_MISMATCH: { status: 403, title: 'Access token is not meant for this service', oauthError: 'invalid_token' },
  AUTH_DPOP_INVALID: { status: 401, title: 'DPoP proof is not valid for this request and token', oauthError: 'invalid_dpop_proof' },
  AUTH_CERTIFICATE_REQUIRED: { status: 401, title: 'Access token is bound to a client certificate the request did not present', oauthError: 'invalid_token' },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this client', oauthError: 'temporarily_unavailable' },
  OPERATOR_ONLY: { status: 403, title: 'Only the break-glass operator may do this' },
});
