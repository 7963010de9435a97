/**
 * The scopes Kexin's routes declare, and which of them a registered client may be granted. A client
 * can hold only registered, grantable scopes: ceremonies (`ca:admin`) and certificates that sign for
 * Kexin itself (OCSP responders, time-stamping units, seals, CAs, token and e-card issuers) stay with
 * the break-glass operator and Kexin's own start-up, never with a channel.
 */

/** Scopes whose holders may be registered clients, with what each allows. */
export const GRANTABLE_SCOPES: Readonly<Record<string, string>> = Object.freeze({
  'ca:revoke': 'revoke, suspend or release certificates',
  'audit:read': 'verify the audit chain',
  'face:verify': 'compare faces, passive liveness',
  'face:enrol': 'enrol reference face templates',
  'face:session': 'create face challenge sessions and read their results',
  'seal:admin': 'manage electronic seals',
  'ecard:admin': 'issue and manage electronic social-security cards',
  'ecard:claim': 'claim a card into a channel',
  'ecard:verify': 'verify cards online',
  'clients:admin': 'register and manage system clients (only with scopes the caller holds itself)',
  'qualification:certify': 'run pension qualification certification',
  'qualification:evidence': 'post qualification evidence (life signals)',
  'qualification:admin': 'manage qualification campaigns',
  'metrics:read': 'read service metrics',
  'tokens:introspect': "introspect other clients' access tokens (resource servers, RFC 7662)",
});

/** Scopes that exist on routes but are never granted to a client (break-glass operator only). */
export const OPERATOR_ONLY_SCOPES: Readonly<Record<string, string>> = Object.freeze({
  'ca:issue': 'issue certificates of every API profile',
  'ca:admin': 'CA ceremonies (external roots)',
});

/**
 * Certificate profiles a client may be allowed to request (`ca:issue:<profile>`): keys of systems and
 * people. Never `seal`, `ocsp`, `tsa`, `token-signer`, `ecard-issuer` or a CA profile.
 */
export const CLIENT_CERTIFICATE_PROFILES: readonly string[] = Object.freeze(['device', 'server', 'staff', 'person']);

/** `seal:apply:<sealId>`: apply one seal (ids as the seal module makes them). */
const SEAL_APPLY = /^seal:apply:[A-Za-z0-9_-]{1,64}$/;
/** RFC 6749 §3.3 scope-token characters, minus the space that separates them. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** Why a scope cannot be granted to a client, or undefined when it can. */
export function scopeRefusal(scope: string): 'malformed' | 'operator-only' | 'unknown' | undefined {
  if (!SCOPE_TOKEN.test(scope)) return 'malformed';
  if (Object.hasOwn(GRANTABLE_SCOPES, scope)) return undefined;
  if (Object.hasOwn(OPERATOR_ONLY_SCOPES, scope)) return 'operator-only';
  if (scope.startsWith('ca:issue:')) return CLIENT_CERTIFICATE_PROFILES.includes(scope.slice('ca:issue:'.length)) ? undefined : 'operator-only';
  if (SEAL_APPLY.test(scope)) return undefined;
  return 'unknown';
}

export function isGrantableScope(scope: string): boolean {
  return scopeRefusal(scope) === undefined;
}

/** A space-separated scope string (RFC 6749 §3.3) as a set; empty tokens are dropped. */
export function parseScope(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(' ').filter(Boolean));
}
