/**
 * Object identifiers and AlgorithmIdentifier encodings for the schemes and digests Kexin uses,
 * and the mapping back from what a certificate, CSR, CRL, OCSP response or CMS structure carries.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesEqual, children, context, decodeOid, DerError, expectTag, readAlgorithmIdentifier, readSpki, readWhole, SEQUENCE, type Tlv } from './der.ts';
import type { KeyAlgorithm, SignatureScheme } from './keyStore.ts';

export const OID = Object.freeze({
  // RFC 5480 / RFC 5758
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  // RFC 8017 / RFC 4055
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  mgf1: '1.2.840.113549.1.1.8',
  // RFC 8410
  ed25519: '1.3.101.112',
  // GM/T 0006 / GB/T 33560: SM2 curve, SM2-with-SM3 signature, SM3 digest
  sm2Curve: '1.2.156.10197.1.301',
  sm2WithSm3: '1.2.156.10197.1.501',
  sm3: '1.2.156.10197.1.401',
  // NIST digests
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
});

/** Digest algorithms accepted in OCSP CertIDs, TSA message imprints and CMS. */
export type DigestName = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sm3';

const DIGEST_OIDS: Readonly<Record<DigestName, string>> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
  sm3: OID.sm3,
};

export const DIGEST_LENGTH: Readonly<Record<DigestName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64, sm3: 32 };

export function digestOid(name: DigestName): string {
  return DIGEST_OIDS[name];
}

/** The digest named by an OID, or undefined for one Kexin does not accept. */
export function digestFromOid(oid: string): DigestName | undefined {
  return (Object.keys(DIGEST_OIDS) as DigestName[]).find((n) => DIGEST_OIDS[n] === oid);
}

export function digest(name: DigestName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(name).update(data).digest());
}

/** RFC 5754: digest AlgorithmIdentifiers omit parameters (SHA-2) — NULL is tolerated on input. */
export function digestAlgorithmIdentifier(name: DigestName): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OIDS[name] });
}

function pssParams(hash: 'sha256' | 'sha384'): pkijs.RSASSAPSSParams {
  const hashAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: DIGEST_OIDS[hash], algorithmParams: new asn1js.Null() });
  return new pkijs.RSASSAPSSParams({
    hashAlgorithm,
    maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: hashAlgorithm.toSchema() }),
    saltLength: hash === 'sha384' ? 48 : 32,
  });
}

/** The signatureAlgorithm an X.509/CRL/OCSP/CMS structure carries for `scheme`. */
export function signatureAlgorithmIdentifier(scheme: SignatureScheme): pkijs.AlgorithmIdentifier {
  switch (scheme) {
    // RFC 5758 §3.2: ECDSA identifiers have absent parameters.
    case 'ECDSA-SHA256': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 });
    case 'ECDSA-SHA384': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha384 });
    case 'ECDSA-SHA512': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha512 });
    // RFC 4055 §5: PKCS#1 v1.5 identifiers carry NULL.
    case 'RSA-PKCS1-SHA256': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRsa, algorithmParams: new asn1js.Null() });
    case 'RSA-PKCS1-SHA384': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha384WithRsa, algorithmParams: new asn1js.Null() });
    case 'RSA-PSS-SHA256': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: pssParams('sha256').toSchema() });
    case 'RSA-PSS-SHA384': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsassaPss, algorithmParams: pssParams('sha384').toSchema() });
    // RFC 8410 §3: parameters absent.
    case 'Ed25519': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.ed25519 });
    // GM/T 0015: SM2-with-SM3, parameters absent (some producers write NULL; tolerated on input).
    case 'SM2-SM3': return new pkijs.AlgorithmIdentifier({ algorithmId: OID.sm2WithSm3 });
  }
}

const NULL_DER = Uint8Array.of(0x05, 0x00);

/** A digest AlgorithmIdentifier's OID; parameters must be absent or NULL (RFC 4055 §2.1). */
function digestAlgorithm(t: Tlv | undefined, what: string): string {
  const { oid, parameters } = readAlgorithmIdentifier(t, what);
  if (parameters && !bytesEqual(parameters.der, NULL_DER)) throw new DerError(`${what}: unexpected parameters`);
  return oid;
}

/** The single value inside an EXPLICIT context tag. */
function explicit(t: Tlv, what: string): Tlv {
  const [inner, ...rest] = children(t);
  if (!inner || rest.length) throw new DerError(`${what}: expected one value`);
  return inner;
}

const PSS_SCHEMES = [
  { scheme: 'RSA-PSS-SHA256', hash: OID.sha256, salt: 32 },
  { scheme: 'RSA-PSS-SHA384', hash: OID.sha384, salt: 48 },
] as const;

/**
 * RSASSA-PSS-params (RFC 4055 §3.1), accepted only as Kexin produces them: SHA-256/384, MGF1 with the
 * same hash, salt = digest length, trailerField 1. Absent fields take the ASN.1 defaults (SHA-1), which
 * never match.
 */
function pssScheme(params: Tlv | undefined): SignatureScheme | undefined {
  const fields = children(expectTag(params, SEQUENCE, 'RSASSA-PSS-params'));
  const field = (tag: number) => (fields[0]?.tag === tag ? explicit(fields.shift()!, 'RSASSA-PSS-params field') : undefined);
  const hash = field(context(0));
  const mgf = field(context(1));
  const salt = field(context(2));
  const trailer = field(context(3));
  if (fields.length || !hash || !mgf || !salt) return undefined;
  const hashOid = digestAlgorithm(hash, 'hashAlgorithm');
  const mask = readAlgorithmIdentifier(mgf, 'maskGenAlgorithm');
  if (mask.oid !== OID.mgf1 || digestAlgorithm(mask.parameters, 'MGF1 hash') !== hashOid) return undefined;
  if (trailer && !bytesEqual(expectTag(trailer, 0x02, 'trailerField').content, Uint8Array.of(1))) return undefined;
  const saltContent = expectTag(salt, 0x02, 'saltLength').content;
  return PSS_SCHEMES.find((s) => s.hash === hashOid && bytesEqual(saltContent, Uint8Array.of(s.salt)))?.scheme;
}

const SCHEME_BY_OID: Readonly<Record<string, SignatureScheme>> = {
  [OID.ecdsaWithSha256]: 'ECDSA-SHA256',
  [OID.ecdsaWithSha384]: 'ECDSA-SHA384',
  [OID.ecdsaWithSha512]: 'ECDSA-SHA512',
  [OID.sha256WithRsa]: 'RSA-PKCS1-SHA256',
  [OID.sha384WithRsa]: 'RSA-PKCS1-SHA384',
  [OID.ed25519]: 'Ed25519',
  [OID.sm2WithSm3]: 'SM2-SM3',
};

/**
 * The scheme a received signatureAlgorithm (DER AlgorithmIdentifier) names, or undefined when Kexin
 * does not accept it (including RSA-PSS with parameters other than the RFC 4055 ones it produces).
 */
export function schemeFromAlgorithmIdentifier(der: Uint8Array): SignatureScheme | undefined {
  try {
    const { oid, parameters } = readAlgorithmIdentifier(readWhole(der, 'AlgorithmIdentifier'), 'AlgorithmIdentifier');
    return oid === OID.rsassaPss ? pssScheme(parameters) : Object.hasOwn(SCHEME_BY_OID, oid) ? SCHEME_BY_OID[oid] : undefined;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** Key facts read from a DER SubjectPublicKeyInfo (algorithm and size), for profile policy checks. */
export interface PublicKeyFacts {
  readonly algorithm: KeyAlgorithm | 'RSA' | 'EC-other' | 'unknown';
  /** RSA modulus bits, or curve field bits. */
  readonly bits: number;
  readonly curveOid?: string;
}

const UNKNOWN_KEY: PublicKeyFacts = { algorithm: 'unknown', bits: 0 };

function ecFacts(parameters: Tlv | undefined): PublicKeyFacts {
  // Only a namedCurve is accepted; implicit or specified curves are "EC-other" without an OID.
  const curveOid = parameters?.tag === 0x06 ? decodeOid(parameters.content) : undefined;
  if (curveOid === OID.p256) return { algorithm: 'ECDSA-P256', bits: 256, curveOid };
  if (curveOid === OID.p384) return { algorithm: 'ECDSA-P384', bits: 384, curveOid };
  if (curveOid === OID.sm2Curve) return { algorithm: 'SM2', bits: 256, curveOid };
  return { algorithm: 'EC-other', bits: 0, curveOid };
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1). */
function rsaFacts(publicKey: Uint8Array): PublicKeyFacts {
  const [modulus] = children(expectTag(readWhole(publicKey, 'RSAPublicKey'), SEQUENCE, 'RSAPublicKey'));
  const n = expectTag(modulus, 0x02, 'modulus').content;
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  const bits = (n.length - i) * 8 - (i < n.length ? Math.clz32(n[i]!) - 24 : 0);
  return { algorithm: bits === 2048 ? 'RSA-2048' : bits === 3072 ? 'RSA-3072' : 'RSA', bits };
}

/** Facts of a DER SubjectPublicKeyInfo; anything unreadable is 'unknown' (which no profile allows). */
export function publicKeyFacts(spki: Uint8Array): PublicKeyFacts {
  try {
    const { algorithm, publicKey } = readSpki(readWhole(spki, 'SubjectPublicKeyInfo'));
    if (algorithm.oid === OID.ed25519) return { algorithm: 'Ed25519', bits: 256 };
    if (algorithm.oid === OID.ecPublicKey) return ecFacts(algorithm.parameters);
    if (algorithm.oid === OID.rsaEncryption || algorithm.oid === OID.rsassaPss) return rsaFacts(publicKey);
    return UNKNOWN_KEY;
  } catch (e) {
    if (e instanceof DerError) return UNKNOWN_KEY;
    throw e;
  }
}
