/**
 * DPoP proofs at Kexin's resource server (RFC 9449 §4.3 and §7.1): the proof is a JWT of type
 * `dpop+jwt`, signed (asymmetrically) by the public key in its own header, for this method and URL
 * (query and fragment ignored), recent, bound to the presented access token (`ath`) and to the key the
 * token was issued for (`jkt`), and used once.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { Clock } from '../../clock.ts';
import { accessTokenHash } from './verifyAccessToken.ts';

/** Asymmetric algorithms a DPoP proof may use (RFC 9449 §4.3 point 5: never none or a MAC). */
export const DPOP_ALGS = Object.freeze(['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256']);
/** How far a proof's `iat` may be from now (RFC 9449 §11.1: a short window limits pre-generated proofs). */
export const DPOP_WINDOW_SECONDS = 60;
const MAX_PROOF_LENGTH = 4096;

export type DpopFailure = 'missing' | 'multiple' | 'malformed' | 'signature' | 'method' | 'url' | 'stale' | 'token-hash' | 'key-mismatch' | 'replayed';

export type DpopResult = { readonly ok: true; readonly jkt: string } | { readonly ok: false; readonly reason: DpopFailure };

/** Records a proof as used; false when it was used before. */
export type ProofReplayCheck = (proofId: Buffer, expiresAt: Date) => Promise<boolean>;

const fail = (reason: DpopFailure): DpopResult => Object.freeze({ ok: false, reason });

/** `htu` comparison: scheme, host, port and path; no query or fragment (RFC 9449 §4.3 point 9). */
function normaliseUrl(u: string): string | undefined {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

export async function verifyDpopProof(input: {
  /** Every `DPoP` header value the request carried. */
  readonly proofs: readonly string[];
  readonly method: string;
  /** The request's URL as the client addressed it (Kexin's public URL + path). */
  readonly url: string;
  readonly accessToken: string;
  /** The `cnf.jkt` the token is bound to. */
  readonly jkt: string;
  readonly clock: Clock;
  readonly seen: ProofReplayCheck;
}): Promise<DpopResult> {
  if (input.proofs.length === 0) return fail('missing');
  if (input.proofs.length > 1) return fail('multiple');
  const proof = input.proofs[0]!;
  if (proof.length > MAX_PROOF_LENGTH) return fail('malformed');
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS], currentDate: input.clock.now() });
    payload = verified.payload as Record<string, unknown>;
    jwk = verified.protectedHeader.jwk!;
  } catch {
    return fail('signature');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256 || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') return fail('malformed');
  if (htm !== input.method) return fail('method');
  if (normaliseUrl(htu) === undefined || normaliseUrl(htu) !== normaliseUrl(input.url)) return fail('url');
  const now = input.clock.now().getTime() / 1000;
  if (Math.abs(now - iat) > DPOP_WINDOW_SECONDS) return fail('stale');
  if (ath !== accessTokenHash(input.accessToken)) return fail('token-hash');
  const thumbprint = await calculateJwkThumbprint(jwk);
  if (thumbprint !== input.jkt) return fail('key-mismatch');
  const proofId = createHash('sha256').update(`${thumbprint}:${jti}`).digest();
  if (!(await input.seen(proofId, new Date((iat + DPOP_WINDOW_SECONDS) * 1000)))) return fail('replayed');
  return Object.freeze({ ok: true, jkt: thumbprint });
}
