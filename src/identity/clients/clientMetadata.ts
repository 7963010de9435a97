/**
 * RFC 7591 client metadata as Kexin accepts it, checked and normalised into a `ClientSettings`.
 * Registration here is administrative (operators, or clients holding `clients:admin`), so the checks
 * are strict: client credentials only (for now), keys rather than passwords where possible, and only
 * registered, grantable scopes. Kexin's own fields are `kexin_*` extensions (RFC 7591 §2 allows them).
 */
import { ASSURANCE_LEVEL_CODES, CLIENT_CLASS_CODES, type AssuranceLevel, type ClientClass } from '../clientClasses.ts';
import { identityErrors } from '../identityErrors.ts';
import { parseScope, scopeRefusal } from '../scopes.ts';
import { parseRfc4514 } from './certificateSubject.ts';

/** Client authentication at the token, introspection and revocation endpoints. */
export const AUTH_METHODS = Object.freeze(['private_key_jwt', 'tls_client_auth', 'client_secret_basic'] as const);
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** JWS algorithms a client may sign its assertions and DPoP proofs with (no HS*, no none, no RS1). */
export const CLIENT_JWS_ALGS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] as const);

/** RFC 8705 §2.1.2: which certificate field identifies a tls_client_auth client (exactly one). */
export const TLS_SUBJECT_FIELDS = Object.freeze([
  'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email',
] as const);
export type TlsSubjectField = (typeof TLS_SUBJECT_FIELDS)[number];

export const DEFAULT_TOKEN_RATE_PER_MINUTE = 600;
export const DEFAULT_API_RATE_PER_SECOND = 100;
const MAX_JWKS_KEYS = 8;

/** Public JWK members Kexin keeps; private members (d, p, q …) are refused, not dropped. */
const PUBLIC_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'use', 'alg', 'key_ops', 'x5c', 'x5t#S256']);
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

export type PublicJwk = Readonly<Record<string, unknown>>;

/** What a client is registered as (everything but its id, secret and timestamps). */
export interface ClientSettings {
  readonly name: string;
  readonly authMethod: AuthMethod;
  readonly grantTypes: readonly ['client_credentials'];
  /** Sorted, unique, each grantable. */
  readonly scopes: readonly string[];
  /** private_key_jwt: the client's public keys (inline; no jwks_uri: Kexin fetches nothing at run time). */
  readonly jwks?: { readonly keys: readonly PublicJwk[] } | undefined;
  readonly signingAlg?: string | undefined;
  /** tls_client_auth: which certificate field must equal `value`. */
  readonly tlsSubject?: { readonly field: TlsSubjectField; readonly value: string } | undefined;
  /** RFC 9449 §5.2: tokens only with a DPoP proof, bound to its key. */
  readonly dpopBound: boolean;
  /** RFC 8705 §3: tokens bound to the client's TLS certificate. */
  readonly certificateBound: boolean;
  readonly clientClass: ClientClass;
  readonly maxAssurance: AssuranceLevel;
  readonly tokenRatePerMinute: number;
  readonly apiRatePerSecond: number;
  readonly status: 'active' | 'disabled';
}

const invalid = identityErrors.clientMetadataInvalid;

function str(m: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = m[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw invalid(`${key} must be a string of 1–${max} characters`);
  return v;
}

function bool(m: Record<string, unknown>, key: string): boolean {
  const v = m[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalid(`${key} must be true or false`);
  return v;
}

function int(m: Record<string, unknown>, key: string, fallback: number, max: number): number {
  const v = m[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw invalid(`${key} must be an integer from 1 to ${max}`);
  return v;
}

function oneOf<T extends string>(m: Record<string, unknown>, key: string, allowed: readonly T[], fallback?: T): T {
  const v = m[key] ?? fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`${key} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function publicJwks(raw: unknown): { keys: PublicJwk[] } {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { keys?: unknown }).keys)) throw invalid('jwks must be a JWK Set {"keys": [...]}');
  const keys = (raw as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_JWKS_KEYS) throw invalid(`jwks must hold 1–${MAX_JWKS_KEYS} keys`);
  return {
    keys: keys.map((k, i) => {
      if (typeof k !== 'object' || k === null || Array.isArray(k)) throw invalid(`jwks.keys[${i}] is not a JWK`);
      const jwk = k as Record<string, unknown>;
      for (const p of PRIVATE_JWK_MEMBERS) if (p in jwk) throw invalid(`jwks.keys[${i}] holds private key material ("${p}"): register the public key only`);
      if (!['EC', 'OKP', 'RSA'].includes(jwk.kty as string)) throw invalid(`jwks.keys[${i}].kty must be EC, OKP or RSA`);
      for (const name of Object.keys(jwk)) if (!PUBLIC_JWK_MEMBERS.has(name)) throw invalid(`jwks.keys[${i}] has an unknown member "${name}"`);
      return Object.freeze({ ...jwk });
    }),
  };
}

function scopes(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (typeof raw !== 'string' || raw.length > 4096) throw invalid('scope must be a space-separated string (RFC 6749 §3.3)');
  const set = parseScope(raw);
  for (const s of set) {
    const why = scopeRefusal(s);
    if (why) throw identityErrors.scopeNotGrantable(s, why);
  }
  return [...set].sort();
}

/**
 * Checks RFC 7591 metadata plus Kexin's extensions. Throws `CLIENT_METADATA_INVALID` (or
 * `CLIENT_SCOPE_NOT_GRANTABLE`) naming the first problem; unknown members are refused.
 */
export function parseClientMetadata(input: unknown): ClientSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('client metadata must be a JSON object');
  const m = input as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!KNOWN_MEMBERS.has(key)) throw invalid(`unsupported client metadata "${key}"`);

  const name = str(m, 'client_name', 128);
  if (!name) throw invalid('client_name is required');
  // RFC 7591 §2: client_secret_basic when omitted.
  const authMethod = oneOf(m, 'token_endpoint_auth_method', AUTH_METHODS, 'client_secret_basic');
  const grants = m.grant_types ?? ['client_credentials'];
  if (!Array.isArray(grants) || grants.length !== 1 || grants[0] !== 'client_credentials') {
    throw invalid('grant_types must be ["client_credentials"]: citizen-facing grants come with citizen login');
  }
  for (const key of ['redirect_uris', 'response_types'] as const) {
    const v = m[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw invalid(`${key} must be empty: there is no authorization endpoint for system clients`);
  }

  let jwks: ClientSettings['jwks'];
  if (m.jwks !== undefined) jwks = publicJwks(m.jwks);
  if (authMethod === 'private_key_jwt' && !jwks) throw invalid('private_key_jwt needs jwks (the public keys the client signs its assertions with)');

  const signingAlg = m.token_endpoint_auth_signing_alg === undefined ? undefined : oneOf(m, 'token_endpoint_auth_signing_alg', CLIENT_JWS_ALGS);
  if (signingAlg && authMethod !== 'private_key_jwt') throw invalid('token_endpoint_auth_signing_alg applies to private_key_jwt only');

  const present = TLS_SUBJECT_FIELDS.filter((f) => m[f] !== undefined);
  let tlsSubject: ClientSettings['tlsSubject'];
  if (authMethod === 'tls_client_auth') {
    if (present.length !== 1) throw invalid(`tls_client_auth needs exactly one of ${TLS_SUBJECT_FIELDS.join(', ')} (RFC 8705 §2.1.2)`);
    tlsSubject = { field: present[0]!, value: str(m, present[0]!, 512)! };
    if (tlsSubject.field === 'tls_client_auth_subject_dn' && !parseRfc4514(tlsSubject.value)) {
      throw invalid('tls_client_auth_subject_dn must be an RFC 4514 distinguished name, e.g. "CN=gw-01,O=Bank,C=CN" (single-valued RDNs)');
    }
  } else if (present.length) {
    throw invalid(`${present[0]} applies to tls_client_auth only`);
  }

  const certificateBound = bool(m, 'tls_client_certificate_bound_access_tokens');
  const dpopBound = bool(m, 'dpop_bound_access_tokens');
  if (certificateBound && dpopBound) throw invalid('a client binds its tokens either to its certificate or to a DPoP key, not both');

  return Object.freeze({
    name,
    authMethod,
    grantTypes: ['client_credentials'] as const,
    scopes: Object.freeze(scopes(m.scope)),
    jwks,
    signingAlg,
    tlsSubject,
    dpopBound,
    certificateBound,
    clientClass: oneOf(m, 'kexin_client_class', CLIENT_CLASS_CODES),
    maxAssurance: oneOf(m, 'kexin_max_assurance_level', ASSURANCE_LEVEL_CODES, 'none'),
    tokenRatePerMinute: int(m, 'kexin_token_rate_per_minute', DEFAULT_TOKEN_RATE_PER_MINUTE, 1_000_000),
    apiRatePerSecond: int(m, 'kexin_api_rate_per_second', DEFAULT_API_RATE_PER_SECOND, 100_000),
    status: oneOf(m, 'kexin_status', ['active', 'disabled'] as const, 'active'),
  });
}

/** Every member `parseClientMetadata` understands (RFC 7591 §2 and §3.1, RFC 8705, RFC 9449, Kexin's). */
export const KNOWN_MEMBERS: ReadonlySet<string> = new Set([
  'client_name', 'token_endpoint_auth_method', 'grant_types', 'redirect_uris', 'response_types', 'scope', 'jwks',
  'token_endpoint_auth_signing_alg', ...TLS_SUBJECT_FIELDS,
  'tls_client_certificate_bound_access_tokens', 'dpop_bound_access_tokens',
  'kexin_client_class', 'kexin_max_assurance_level', 'kexin_token_rate_per_minute', 'kexin_api_rate_per_second', 'kexin_status',
]);

/** The RFC 7591 view of settings (what GET returns, without id, secret and timestamps). */
export function metadataOf(s: ClientSettings): Record<string, unknown> {
  return {
    client_name: s.name,
    token_endpoint_auth_method: s.authMethod,
    grant_types: [...s.grantTypes],
    response_types: [],
    redirect_uris: [],
    scope: s.scopes.join(' '),
    ...(s.jwks ? { jwks: { keys: s.jwks.keys.map((k) => ({ ...k })) } } : {}),
    ...(s.signingAlg ? { token_endpoint_auth_signing_alg: s.signingAlg } : {}),
    ...(s.tlsSubject ? { [s.tlsSubject.field]: s.tlsSubject.value } : {}),
    tls_client_certificate_bound_access_tokens: s.certificateBound,
    dpop_bound_access_tokens: s.dpopBound,
    kexin_client_class: s.clientClass,
    kexin_max_assurance_level: s.maxAssurance,
    kexin_token_rate_per_minute: s.tokenRatePerMinute,
    kexin_api_rate_per_second: s.apiRatePerSecond,
    kexin_status: s.status,
  };
}
