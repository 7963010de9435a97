/**
 * Verifies an RFC 9068 JWT access token issued by Kexin's authorization server: the signature first
 * (ES256 only, one of Kexin's published token keys), then `typ`, issuer, lifetime and the required
 * claims. The audience is reported, not judged: whether a token for another audience is a 401 or a 403
 * is the resource server's call. Returns a frozen result, never throws on bad input.
 */
import { createHash } from 'node:crypto';
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload, type KeyObject as JoseKeyObject } from 'jose';
import type { Clock } from '../../clock.ts';
import { parseScope } from '../scopes.ts';
import type { SigningKeySet } from './signingKeys.ts';
import { TOKEN_SIGNING_ALG } from './signingKeys.ts';

/** Tolerance for `iat`/`exp` between Kexin processes sharing tokens (same clock source, small). */
const VERIFY_SKEW_SECONDS = 5;
/** Longer than any token Kexin issues: refuse anything shaped like a document, not a credential. */
export const MAX_TOKEN_LENGTH = 8192;

export interface AccessTokenClaims {
  readonly jti: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  readonly audiences: readonly string[];
  readonly iat: number;
  readonly exp: number;
  /** RFC 9449 §6.1 DPoP key thumbprint, when DPoP-bound. */
  readonly jkt?: string | undefined;
  /** RFC 8705 §3.1 certificate thumbprint, when certificate-bound. */
  readonly x5tS256?: string | undefined;
}

export type AccessTokenFailure = 'malformed' | 'algorithm' | 'key' | 'signature' | 'type' | 'issuer' | 'expired' | 'claims';

export type AccessTokenResult =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: AccessTokenFailure };

const fail = (reason: AccessTokenFailure): AccessTokenResult => Object.freeze({ ok: false, reason });

function reasonOf(err: unknown): AccessTokenFailure {
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'key';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'issuer';
    if (err.claim === 'typ') return 'type';
    return 'claims';
  }
  return 'malformed';
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;

export async function verifyAccessToken(token: string, opts: { keys: SigningKeySet; issuer: string; clock: Clock }): Promise<AccessTokenResult> {
  if (token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  let payload: JWTPayload;
  try {
    const keyFor = (header: JWTHeaderParameters): JoseKeyObject => {
      const k = opts.keys.published.find((p) => p.kid === header.kid);
      if (!k) throw new errors.JWKSNoMatchingKey();
      return k.publicKey as unknown as JoseKeyObject;
    };
    ({ payload } = await jwtVerify(token, keyFor, {
      algorithms: [TOKEN_SIGNING_ALG],
      issuer: opts.issuer,
      // RFC 9068 §4: the type is checked so an ID token or a DPoP proof is never taken for an access token.
      typ: 'at+jwt',
      currentDate: opts.clock.now(),
      clockTolerance: VERIFY_SKEW_SECONDS,
      requiredClaims: ['jti', 'client_id', 'sub', 'iat', 'exp', 'aud'],
    }));
  } catch (err) {
    return fail(reasonOf(err));
  }
  const { jti, client_id: clientId, scope, aud, iat, exp, cnf } = payload as JWTPayload & { client_id?: unknown; scope?: unknown; cnf?: unknown };
  if (!isString(jti) || !isString(clientId) || typeof iat !== 'number' || typeof exp !== 'number') return fail('claims');
  if (scope !== undefined && typeof scope !== 'string') return fail('claims');
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audiences) || !audiences.every(isString)) return fail('claims');
  let jkt: string | undefined;
  let x5tS256: string | undefined;
  if (cnf !== undefined) {
    if (typeof cnf !== 'object' || cnf === null) return fail('claims');
    const c = cnf as Record<string, unknown>;
    if (c.jkt !== undefined && !isString(c.jkt)) return fail('claims');
    if (c['x5t#S256'] !== undefined && !isString(c['x5t#S256'])) return fail('claims');
    jkt = c.jkt as string | undefined;
    x5tS256 = c['x5t#S256'] as string | undefined;
    if (!jkt && !x5tS256) return fail('claims');
  }
  return Object.freeze({
    ok: true,
    claims: Object.freeze({ jti, clientId, scopes: parseScope(scope as string | undefined), audiences: Object.freeze([...audiences]), iat, exp, jkt, x5tS256 }),
  });
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token's ASCII. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the certificate's DER. */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}
