/**
 * The e-card verifier a partner embeds: no database, no network. It holds the trusted issuers
 * (validated to its trust anchors once), a status source (a cache of signed status lists) and,
 * optionally, a replay guard; it verifies a dynamic QR code or an SD-JWT VC presentation and returns
 * a frozen result — valid, reason codes, disclosed claims, the card state and as of when.
 *
 * Order (signatures before any signed field is trusted):
 *   QR:  parse → card token issuer signature → token claims/time → holder signature with the bound key
 *        → token binding → QR time window → purpose → replay → status
 *   SD-JWT: split → issuer (x5c on the allow-list) → issuer signature → claims/time → disclosures
 *        against `_sd` → key-binding JWT with `cnf` (signature, sd_hash, aud, nonce, iat) → ID checksum
 *        → required claims → status
 */
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { Clock } from '../../clock.ts';
import { decodeJsonPart } from '../formats/jsonPart.ts';
import { checkIdNumber } from '../../persons/idNumber.ts';
import { ES256 } from '../formats/algorithms.ts';
import { decodeCardTokenPayload } from '../formats/cardToken.ts';
import { decodeCoseSign1, HEADER, sigStructure } from '../formats/cose.ts';
import { decodePresentationPayload, parseQrText, QR_LIFETIME_S, TOKEN_DIGEST_BYTES, type Purpose } from '../formats/dynamicQr.ts';
import { parseDisclosure, SD_ALG, sha256b64u, splitSdJwt } from '../formats/sdJwt.ts';
import type { ReasonCode } from './reasons.ts';
import type { FirstUse, ReplayGuard } from './replayGuard.ts';
import type { CardState, StatusSource } from './statusSource.ts';
import { findIssuer, type TrustedIssuer } from './trustedIssuers.ts';

export interface EcardVerification {
  readonly valid: boolean;
  readonly format: 'qr' | 'sd-jwt';
  /** Empty when valid. */
  readonly reasons: readonly ReasonCode[];
  /** Do not invalidate: e.g. `STATUS_LIST_STALE` (older than its TTL, not yet expired). */
  readonly warnings: readonly string[];
  /** QR: `card_ref`, `purpose`; SD-JWT: the disclosed claims and `vct`. */
  readonly disclosed: Readonly<Record<string, unknown>>;
  readonly purpose: Purpose | null;
  readonly issuer: { readonly kid: string; readonly subject: string } | null;
  /** JWK thumbprint (RFC 7638) of the device key the credential is bound to. */
  readonly holder: { readonly jkt: string } | null;
  readonly card: {
    readonly ref: string | null;
    readonly state: CardState;
    /** When the status answer was true (status list `iat`, or the database read). */
    readonly asOf: string | null;
    readonly status: { readonly uri: string; readonly idx: number } | null;
  };
  /** Credential / card token expiry. */
  readonly expiresAt: string | null;
  readonly checkedAt: string;
}

/** Verified card tokens; share one across verifiers (e.g. one per request) to keep its benefit. */
export type VerifiedTokenCache = Map<string, VerifiedToken>;
export const createVerifiedTokenCache = (): VerifiedTokenCache => new Map();

export interface OfflineVerifierOptions {
  readonly issuers: readonly TrustedIssuer[];
  readonly status: StatusSource;
  readonly clock: Clock;
  /** Without one, a replayed QR code within its minute is not detected (say so to the operator). */
  readonly replay?: ReplayGuard | undefined;
  /** Allowed clock difference, seconds (default 30). */
  readonly skewSeconds?: number;
  /** Oldest key-binding JWT accepted, seconds (default 300). */
  readonly kbMaxAgeSeconds?: number;
  /** Default: one of its own. */
  readonly verifiedTokens?: VerifiedTokenCache;
}

export interface PresentationExpectations {
  /** The verifier's identifier the KB-JWT must be addressed to (`aud`). */
  readonly audience: string;
  /** The fresh nonce this verifier gave the holder. */
  readonly nonce: string;
  /** Claims that must be disclosed (e.g. a pharmacy: `card_number`, `valid_until`). */
  readonly requiredClaims?: readonly string[];
}

export interface EcardVerifier {
  verifyQr(text: string, expect?: { readonly purpose?: Purpose }): Promise<EcardVerification>;
  verifyPresentation(text: string, expect: PresentationExpectations): Promise<EcardVerification>;
}

const SD_JWT_TYPES = new Set(['dc+sd-jwt', 'vc+sd-jwt']);

/**
 * Card tokens whose issuer signature already verified, by SHA-256 of their exact bytes: a terminal
 * sees the same card again and again (one token, a fresh holder signature each minute), so the second
 * time only the holder's signature is checked. Budgeted; the oldest entry goes first.
 */
export const MAX_VERIFIED_TOKENS = 10_000;
export interface VerifiedToken {
  readonly issuer: TrustedIssuer;
  readonly claims: NonNullable<ReturnType<typeof decodeCardTokenPayload>>;
  readonly holderKey: KeyObject;
  readonly jkt: string;
}

class Draft {
  reasons: ReasonCode[] = [];
  warnings: string[] = [];
  disclosed: Record<string, unknown> = {};
  purpose: Purpose | null = null;
  issuer: EcardVerification['issuer'] = null;
  holder: EcardVerification['holder'] = null;
  card: { ref: string | null; state: CardState; asOf: string | null; status: { uri: string; idx: number } | null } = { ref: null, state: 'unknown', asOf: null, status: null };
  expiresAt: string | null = null;
  readonly format: 'qr' | 'sd-jwt';
  readonly now: Date;
  constructor(format: 'qr' | 'sd-jwt', now: Date) {
    this.format = format;
    this.now = now;
  }
  fail(r: ReasonCode): this {
    if (!this.reasons.includes(r)) this.reasons.push(r);
    return this;
  }
  done(): EcardVerification {
    return Object.freeze({
      valid: this.reasons.length === 0, format: this.format, reasons: Object.freeze([...this.reasons]), warnings: Object.freeze([...this.warnings]),
      disclosed: Object.freeze({ ...this.disclosed }), purpose: this.purpose, issuer: this.issuer, holder: this.holder,
      card: Object.freeze({ ...this.card }), expiresAt: this.expiresAt, checkedAt: this.now.toISOString(),
    });
  }
}


const isP256Jwk = (j: unknown): j is { kty: 'EC'; crv: 'P-256'; x: string; y: string } => {
  const k = j as Record<string, unknown> | null;
  return !!k && k.kty === 'EC' && k.crv === 'P-256' && typeof k.x === 'string' && typeof k.y === 'string' && k.d === undefined;
};

export function createOfflineVerifier(opts: OfflineVerifierOptions): EcardVerifier {
  const skew = (opts.skewSeconds ?? 30);
  const verifiedTokens = opts.verifiedTokens ?? createVerifiedTokenCache();
  const kbMaxAge = opts.kbMaxAgeSeconds ?? 300;

  async function applyStatus(d: Draft, uri: string, idx: number): Promise<void> {
    d.card.status = { uri, idx };
    const s = await opts.status.status(uri, idx);
    d.card.asOf = s.asOf ? s.asOf.toISOString() : null;
    d.card.state = s.state;
    if (s.state === 'unknown') d.fail(s.reason);
    else {
      if (s.stale) d.warnings.push('STATUS_LIST_STALE');
      if (s.state === 'suspended') d.fail('CARD_SUSPENDED');
      if (s.state === 'revoked') d.fail('CARD_REVOKED');
    }
  }

  async function verifyQr(text: string, expect: { readonly purpose?: Purpose } = {}): Promise<EcardVerification> {
    const now = opts.clock.now();
    const nowS = Math.floor(now.getTime() / 1000);
    const d = new Draft('qr', now);
    const parts = parseQrText(text);
    const token = parts && decodeCoseSign1(parts.cardToken);
    const pres = parts && decodeCoseSign1(parts.presentation);
    if (!parts || !token || !pres) return d.fail('MALFORMED').done();

    // 1. The issuer's signature over the card token, before reading anything in it (once per token).
    const tokenHash = createHash('sha256').update(parts.cardToken).digest();
    const cacheKey = tokenHash.toString('base64');
    let verified = verifiedTokens.get(cacheKey);
    if (!verified) {
      const kid = token.protectedHeader.get(HEADER.kid);
      const issuer = kid instanceof Uint8Array ? findIssuer(opts.issuers, { kid: Buffer.from(kid).toString('base64url') }) : undefined;
      if (!issuer) return d.fail('ISSUER_UNKNOWN').done();
      d.issuer = { kid: issuer.kid, subject: issuer.subject };
      if (token.protectedHeader.get(HEADER.alg) !== issuer.alg.cose || !issuer.verify(sigStructure(token.protectedBytes, token.payload), token.signature)) {
        return d.fail('ISSUER_SIGNATURE_INVALID').done();
      }
      const decoded = decodeCardTokenPayload(token.payload);
      if (!decoded) return d.fail('MALFORMED').done();
      verified = { issuer, claims: decoded, holderKey: createPublicKey({ key: decoded.holderJwk, format: 'jwk' }), jkt: await calculateJwkThumbprint(decoded.holderJwk as JWK) };
      if (verifiedTokens.size >= MAX_VERIFIED_TOKENS) verifiedTokens.delete(verifiedTokens.keys().next().value!);
      verifiedTokens.set(cacheKey, verified);
    }
    const { claims, holderKey } = verified;
    d.issuer = { kid: verified.issuer.kid, subject: verified.issuer.subject };
    d.card.ref = claims.cardRef;
    d.expiresAt = new Date(claims.exp * 1000).toISOString();
    d.holder = { jkt: verified.jkt };
    if (claims.exp < nowS - skew) d.fail('CREDENTIAL_EXPIRED');
    if (claims.iat > nowS + skew) d.fail('CREDENTIAL_NOT_YET_VALID');

    // 2. The holder's fresh signature, with the key the issuer bound into the token.
    if (pres.protectedHeader.get(HEADER.alg) !== ES256.cose || pres.signature.length !== 64
      || !nodeVerify('sha256', sigStructure(pres.protectedBytes, pres.payload), { key: holderKey, dsaEncoding: 'ieee-p1363' }, pres.signature)) {
      return d.fail('HOLDER_SIGNATURE_INVALID').done();
    }
    const p = decodePresentationPayload(pres.payload);
    if (!p) return d.fail('MALFORMED').done();
    if (!tokenHash.subarray(0, TOKEN_DIGEST_BYTES).equals(p.tokenDigest)) return d.fail('TOKEN_BINDING_MISMATCH').done();
    d.purpose = p.purpose;
    d.disclosed = { card_ref: claims.cardRef, purpose: p.purpose };

    // 3. The minute it lives.
    if (p.exp - p.iat > QR_LIFETIME_S || p.exp < p.iat) d.fail('QR_LIFETIME_TOO_LONG');
    if (p.exp < nowS - skew) d.fail('QR_EXPIRED');
    if (p.iat > nowS + skew) d.fail('QR_NOT_YET_VALID');
    if (expect.purpose && expect.purpose !== p.purpose) d.fail('PURPOSE_MISMATCH');

    // 4. First use of this code — only for codes otherwise acceptable, so junk cannot fill the cache.
    if (d.reasons.length === 0 && opts.replay) {
      const use: FirstUse = await opts.replay.firstUse(`${claims.cardRef}:${Buffer.from(p.nonce).toString('base64url')}`, new Date((p.exp + skew) * 1000), now);
      if (use === 'replayed') d.fail('NONCE_REPLAYED');
      if (use === 'unavailable') d.fail('REPLAY_CHECK_UNAVAILABLE');
    } else if (!opts.replay) d.warnings.push('REPLAY_NOT_CHECKED');

    await applyStatus(d, claims.status.uri, claims.status.idx);
    return d.done();
  }

  async function verifyPresentation(text: string, expect: PresentationExpectations): Promise<EcardVerification> {
    const now = opts.clock.now();
    const nowS = Math.floor(now.getTime() / 1000);
    const d = new Draft('sd-jwt', now);
    const split = splitSdJwt(text);
    if (!split) return d.fail('MALFORMED').done();
    const [h, pl, sig] = split.jwt.split('.');
    const header = decodeJsonPart(h);
    if (!header || pl === undefined || sig === undefined || split.jwt.split('.').length !== 3 || !SD_JWT_TYPES.has(header.typ as string)) return d.fail('MALFORMED').done();

    // 1. Issuer: the x5c leaf must be a trusted e-card issuer; then its signature.
    const x5c0 = Array.isArray(header.x5c) && typeof header.x5c[0] === 'string' && /^[A-Za-z0-9+/=]+$/.test(header.x5c[0]) ? new Uint8Array(Buffer.from(header.x5c[0], 'base64')) : undefined;
    const issuer = findIssuer(opts.issuers, x5c0 ? { certificate: x5c0 } : { kid: header.kid });
    if (!issuer) return d.fail('ISSUER_UNKNOWN').done();
    d.issuer = { kid: issuer.kid, subject: issuer.subject };
    if (header.alg !== issuer.alg.jose) return d.fail('ISSUER_SIGNATURE_INVALID').done();
    let payload: Record<string, unknown> | undefined;
    if (issuer.publicKey) {
      try {
        const verified = await compactVerify(split.jwt, issuer.publicKey, { algorithms: [issuer.alg.jose] });
        payload = JSON.parse(Buffer.from(verified.payload).toString('utf8')) as Record<string, unknown>;
      } catch {
        return d.fail('ISSUER_SIGNATURE_INVALID').done();
      }
    } else {
      if (!issuer.verify(Buffer.from(`${h}.${pl}`, 'ascii'), Buffer.from(sig, 'base64url'))) return d.fail('ISSUER_SIGNATURE_INVALID').done();
      payload = decodeJsonPart(pl);
    }
    if (!payload || typeof payload !== 'object') return d.fail('MALFORMED').done();

    // 2. Issuer-signed claims.
    const sd = payload._sd;
    const cnf = (payload.cnf as { jwk?: unknown } | undefined)?.jwk;
    const sl = (payload.status as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
    if (payload._sd_alg !== SD_ALG || !Array.isArray(sd) || !sd.every((x) => typeof x === 'string') || !isP256Jwk(cnf)
      || !Number.isSafeInteger(payload.exp) || !Number.isSafeInteger(payload.iat) || typeof payload.vct !== 'string'
      || !sl || !Number.isSafeInteger(sl.idx) || typeof sl.uri !== 'string') return d.fail('MALFORMED').done();
    d.expiresAt = new Date((payload.exp as number) * 1000).toISOString();
    d.holder = { jkt: await calculateJwkThumbprint(cnf as JWK) };
    if ((payload.exp as number) < nowS - skew) d.fail('CREDENTIAL_EXPIRED');
    if ((payload.iat as number) > nowS + skew) d.fail('CREDENTIAL_NOT_YET_VALID');

    // 3. Disclosures: each must hash to a digest the issuer signed, once.
    const digests = new Set(sd as string[]);
    const seen = new Set<string>();
    const disclosed: Record<string, unknown> = { vct: payload.vct };
    for (const enc of split.disclosures) {
      const disc = parseDisclosure(enc);
      if (!disc || !digests.has(disc.digest) || seen.has(disc.digest) || Object.hasOwn(disclosed, disc.name)) { d.fail('DISCLOSURE_TAMPERED'); continue; }
      seen.add(disc.digest);
      disclosed[disc.name] = disc.value;
    }
    if (d.reasons.includes('DISCLOSURE_TAMPERED')) return d.done();
    d.disclosed = disclosed;

    // 4. Key binding: the holder's device key signed this exact presentation for this verifier.
    if (!split.kbJwt) return d.fail('HOLDER_BINDING_MISSING').done();
    let kb: Record<string, unknown>;
    try {
      const kbHeader = decodeProtectedHeader(split.kbJwt);
      if (kbHeader.typ !== 'kb+jwt') return d.fail('HOLDER_SIGNATURE_INVALID').done();
      const r = await compactVerify(split.kbJwt, await importJWK(cnf as JWK, 'ES256'), { algorithms: ['ES256'] });
      kb = JSON.parse(Buffer.from(r.payload).toString('utf8')) as Record<string, unknown>;
    } catch {
      return d.fail('HOLDER_SIGNATURE_INVALID').done();
    }
    if (kb.sd_hash !== sha256b64u(split.signedPart)) d.fail('PRESENTATION_ALTERED');
    if (kb.aud !== expect.audience) d.fail('KB_AUDIENCE_MISMATCH');
    if (kb.nonce !== expect.nonce) d.fail('KB_NONCE_MISMATCH');
    if (!Number.isSafeInteger(kb.iat) || (kb.iat as number) < nowS - kbMaxAge || (kb.iat as number) > nowS + skew) d.fail('KB_STALE');

    // 5. What the verifier relies on.
    if (disclosed.id_number !== undefined && !(typeof disclosed.id_number === 'string' && checkIdNumber(disclosed.id_number).ok)) d.fail('ID_CHECKSUM_INVALID');
    for (const c of expect.requiredClaims ?? []) if (!Object.hasOwn(disclosed, c)) d.fail('CLAIM_NOT_DISCLOSED');

    await applyStatus(d, sl.uri, sl.idx as number);
    return d.done();
  }

  return Object.freeze({ verifyQr, verifyPresentation });
}
