/**
 * The issuers an e-card verifier trusts: e-card issuer certificates, each checked once against the
 * verifier's trust anchors (RFC 5280 path validation). Credentials and QR codes then name their issuer
 * by certificate (`x5c`) or by `kid` = the first 8 bytes of SHA-256 over the certificate's DER; only
 * certificates on this list are accepted — an allow-list, like a trusted list, so a certificate the
 * same CA issued for another purpose (a seal, a server) can never sign an e-card.
 */
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { validatePath } from '../../ca/validatePath.ts';
import { bytesEqual } from '../../crypto/der.ts';
import { rawToDerSignature } from '../../crypto/ecdsaSignatureFormat.ts';
import { verifySignature } from '../../crypto/signatures.ts';
import { parseCertificate, spkiDer } from '../../ca/certificate.ts';
import { nameToString } from '../../ca/validatePath.ts';
import { ES256, SM2_SM3, type EcardAlgorithm } from '../formats/algorithms.ts';

export interface TrustedIssuer {
  /** base64url of the 8-byte kid. */
  readonly kid: string;
  readonly certificate: Uint8Array;
  readonly subject: string;
  readonly alg: EcardAlgorithm;
  readonly notAfter: Date;
  /** The public key where Node (and so jose) can use it: P-256; undefined for SM2. */
  readonly publicKey: KeyObject | undefined;
  /** Verifies a raw r ‖ s signature. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

export interface IssuerCertificate {
  readonly certificate: Uint8Array;
  /** Intermediates up to (not including) the anchor. */
  readonly chain?: readonly Uint8Array[];
}

export function issuerKid(certificate: Uint8Array): string {
  return createHash('sha256').update(certificate).digest().subarray(0, 8).toString('base64url');
}

function algorithmOf(key: KeyObject): EcardAlgorithm | undefined {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return ES256;
  if (curve === 'SM2') return SM2_SM3;
  return undefined;
}

/** A trusted issuer from a certificate already validated (or given by the issuing service itself). */
export function trustedIssuerFrom(certificate: Uint8Array): TrustedIssuer {
  const cert = parseCertificate(certificate);
  const spki = spkiDer(cert);
  let key: KeyObject | undefined;
  let alg: EcardAlgorithm | undefined;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    alg = algorithmOf(key);
  } catch {
    alg = undefined;
  }
  // Node cannot always parse SM2 SPKIs; the SM2 OID then decides.
  if (!alg && Buffer.from(spki).includes(Buffer.from('06082a811ccf5501822d', 'hex'))) alg = SM2_SM3;
  if (!alg) throw new TypeError('e-card issuer key must be ECDSA P-256 or SM2');
  const verify = alg === ES256
    ? (data: Uint8Array, sig: Uint8Array) => sig.length === 64 && nodeVerify('sha256', data, { key: key!, dsaEncoding: 'ieee-p1363' }, sig)
    : (data: Uint8Array, sig: Uint8Array) => sig.length === 64 && verifySignature(spki, 'SM2-SM3', data, rawToDerSignature(sig));
  return Object.freeze({ kid: issuerKid(certificate), certificate, subject: nameToString(cert.subject), alg, notAfter: cert.notAfter.value, publicKey: alg === ES256 ? key : undefined, verify });
}

export interface IssuerLoadResult {
  readonly issuers: readonly TrustedIssuer[];
  readonly refused: readonly { readonly subject: string; readonly reasons: readonly string[] }[];
}

/** Validates each issuer certificate to `anchors` at `at`; refused ones are reported, not thrown. */
export async function loadTrustedIssuers(input: { readonly anchors: readonly Uint8Array[]; readonly issuers: readonly IssuerCertificate[]; readonly at: Date }): Promise<IssuerLoadResult> {
  const issuers: TrustedIssuer[] = [];
  const refused: { subject: string; reasons: string[] }[] = [];
  for (const i of input.issuers) {
    const r = await validatePath({ leaf: i.certificate, intermediates: i.chain ?? [], trustAnchors: input.anchors, at: input.at, requiredKeyUsage: ['digitalSignature'] });
    let subject = '?';
    try { subject = nameToString(parseCertificate(i.certificate).subject); } catch { /* reported below */ }
    if (!r.valid) { refused.push({ subject, reasons: r.reasons.map((x) => x.code) }); continue; }
    try {
      issuers.push(trustedIssuerFrom(i.certificate));
    } catch (err) {
      refused.push({ subject, reasons: [err instanceof Error ? err.message : 'unusable key'] });
    }
  }
  return Object.freeze({ issuers: Object.freeze(issuers), refused: Object.freeze(refused) });
}

export function findIssuer(issuers: readonly TrustedIssuer[], by: { readonly kid?: unknown; readonly certificate?: Uint8Array }): TrustedIssuer | undefined {
  if (by.certificate) return issuers.find((i) => bytesEqual(i.certificate, by.certificate!));
  if (typeof by.kid === 'string') return issuers.find((i) => i.kid === by.kid);
  return undefined;
}
