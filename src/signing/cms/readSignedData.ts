/**
 * Reads a CMS SignedData (RFC 5652) strictly (DER) for verification: the certificates, and each
 * SignerInfo's identifier, digest and signature algorithms, signed attributes (with the exact DER SET
 * OF that the signature covers) and unsigned attributes. Nothing here is trusted yet: `checkSignerInfo`
 * verifies. Sizes are bounded (certificates, attributes), so a hostile structure costs little.
 */
import { bytesEqual, children, context, DerError, expectTag, readAlgorithmIdentifier, readTlv, readWhole, SEQUENCE, type Tlv } from '../../crypto/der.ts';
import { certificateParts } from '../../crypto/der.ts';
import { digestFromOid, schemeFromAlgorithmIdentifier, type DigestName, OID } from '../../crypto/algorithmIdentifiers.ts';
import type { SignatureScheme } from '../../crypto/keyStore.ts';
import { readOctets, readOid, readSmallInteger, TAG } from '../der.ts';
import { SIGNING_OID } from '../oids.ts';

/** At most this many certificates, signer infos and attributes are read from one structure. */
export const MAX_CMS_CERTIFICATES = 64;
export const MAX_SIGNER_INFOS = 4;
export const MAX_ATTRIBUTES = 32;

export interface CmsAttributeValue {
  readonly oid: string;
  readonly values: readonly Tlv[];
}

export interface SignerInfo {
  readonly sid: { readonly issuer: Uint8Array; readonly serial: Uint8Array } | { readonly subjectKeyIdentifier: Uint8Array };
  readonly digestAlgorithm: DigestName | undefined;
  readonly digestAlgorithmOid: string;
  /** DER SET OF signed attributes as signed (tag 0x31), or undefined when absent. */
  readonly signedAttrsDer: Uint8Array | undefined;
  readonly signedAttrs: readonly CmsAttributeValue[];
  readonly signatureAlgorithmDer: Uint8Array;
  readonly signature: Uint8Array;
  readonly unsignedAttrs: readonly CmsAttributeValue[];
}

export interface SignedData {
  readonly eContentType: string;
  /** Encapsulated content (TSTInfo of a time-stamp token), absent for detached signatures. */
  readonly eContent: Uint8Array | undefined;
  readonly certificates: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
  /** The ContentInfo, DER. */
  readonly der: Uint8Array;
}

function readAttributes(t: Tlv): CmsAttributeValue[] {
  const attrs = children(t);
  if (attrs.length > MAX_ATTRIBUTES) throw new DerError('too many attributes');
  return attrs.map((a) => {
    const [type, values, ...rest] = children(expectTag(a, SEQUENCE, 'Attribute'));
    if (rest.length) throw new DerError('Attribute: too many fields');
    return { oid: readOid(type, 'Attribute type'), values: children(expectTag(values, TAG.SET, 'Attribute values')) };
  });
}

function readSignerInfo(t: Tlv): SignerInfo {
  const f = children(expectTag(t, SEQUENCE, 'SignerInfo'));
  let i = 0;
  const version = readSmallInteger(f[i++], 'SignerInfo version');
  const sidTlv = f[i++];
  let sid: SignerInfo['sid'];
  if (version === 1) {
    const [issuer, serial, ...rest] = children(expectTag(sidTlv, SEQUENCE, 'issuerAndSerialNumber'));
    if (rest.length || !issuer || issuer.tag !== SEQUENCE || serial?.tag !== TAG.INTEGER) throw new DerError('issuerAndSerialNumber malformed');
    sid = { issuer: issuer.der, serial: serial.der };
  } else if (version === 3) {
    sid = { subjectKeyIdentifier: expectTag(sidTlv, 0x80, 'subjectKeyIdentifier').content };
  } else {
    throw new DerError(`SignerInfo version ${version}`);
  }
  const digestAlgorithmOid = readAlgorithmIdentifier(f[i++], 'digestAlgorithm').oid;
  let signedAttrsDer: Uint8Array | undefined;
  let signedAttrs: CmsAttributeValue[] = [];
  if (f[i]?.tag === context(0)) {
    const s = f[i++]!;
    // RFC 5652 §5.4: the signature covers the EXPLICIT SET OF tag, not the IMPLICIT [0].
    signedAttrsDer = new Uint8Array(s.der);
    signedAttrsDer[0] = TAG.SET;
    signedAttrs = readAttributes(s);
  }
  const sigAlg = expectTag(f[i++], SEQUENCE, 'signatureAlgorithm');
  const signature = readOctets(f[i++], 'signature');
  let unsignedAttrs: CmsAttributeValue[] = [];
  if (f[i]?.tag === context(1)) unsignedAttrs = readAttributes(f[i++]!);
  if (i !== f.length) throw new DerError('SignerInfo: unexpected fields');
  return Object.freeze({
    sid, digestAlgorithmOid, digestAlgorithm: digestFromOid(digestAlgorithmOid), signedAttrsDer, signedAttrs,
    signatureAlgorithmDer: sigAlg.der, signature, unsignedAttrs,
  });
}

/** Reads a ContentInfo holding SignedData from `der` (exactly one TLV). */
export function readSignedData(der: Uint8Array): SignedData {
  return readSignedDataTlv(readWhole(der, 'ContentInfo'));
}

/**
 * Reads the ContentInfo at the start of `buf` and returns it with the offset just past it: a PDF's
 * /Contents holds the CMS followed by zero padding, which the caller checks.
 */
export function readSignedDataPrefix(buf: Uint8Array): { signedData: SignedData; end: number } {
  const t = readTlv(buf, 0);
  return { signedData: readSignedDataTlv(t), end: t.end };
}

function readSignedDataTlv(top: Tlv): SignedData {
  const [ct, content, ...rest] = children(expectTag(top, SEQUENCE, 'ContentInfo'));
  if (rest.length) throw new DerError('ContentInfo: too many fields');
  if (readOid(ct, 'contentType') !== SIGNING_OID.signedData) throw new DerError('ContentInfo is not SignedData');
  const [sd, ...more] = children(expectTag(content, context(0), 'ContentInfo content'));
  if (more.length) throw new DerError('ContentInfo content: too many values');
  const f = children(expectTag(sd, SEQUENCE, 'SignedData'));
  let i = 0;
  readSmallInteger(f[i++], 'SignedData version');
  expectTag(f[i++], TAG.SET, 'digestAlgorithms');
  const [eType, eContentWrap, ...ex] = children(expectTag(f[i++], SEQUENCE, 'encapContentInfo'));
  if (ex.length) throw new DerError('encapContentInfo: too many fields');
  let eContent: Uint8Array | undefined;
  if (eContentWrap) {
    const [octets, ...y] = children(expectTag(eContentWrap, context(0), 'eContent'));
    if (y.length) throw new DerError('eContent: too many values');
    eContent = readOctets(octets, 'eContent');
  }
  const certificates: Uint8Array[] = [];
  if (f[i]?.tag === context(0)) {
    for (const c of children(f[i++]!)) {
      if (c.tag !== SEQUENCE) continue; // other certificate formats are ignored
      if (certificates.length >= MAX_CMS_CERTIFICATES) throw new DerError('too many certificates');
      certificates.push(c.der);
    }
  }
  if (f[i]?.tag === context(1)) i++; // crls: revocation comes from the DSS or Kexin's own records
  const infos = children(expectTag(f[i++], TAG.SET, 'signerInfos'));
  if (i !== f.length) throw new DerError('SignedData: unexpected fields');
  if (infos.length === 0 || infos.length > MAX_SIGNER_INFOS) throw new DerError('SignedData must hold one SignerInfo');
  return Object.freeze({
    eContentType: readOid(eType, 'eContentType'), eContent, certificates: Object.freeze(certificates),
    signerInfos: Object.freeze(infos.map(readSignerInfo)), der: top.der,
  });
}

export function attribute(list: readonly CmsAttributeValue[], oid: string): CmsAttributeValue | undefined {
  return list.find((a) => a.oid === oid);
}

/** The certificate a SignerInfo names, among `certificates`. */
export function findSignerCertificate(info: SignerInfo, certificates: readonly Uint8Array[]): Uint8Array | undefined {
  for (const c of certificates) {
    try {
      const parts = certificateParts(c);
      if ('issuer' in info.sid) {
        if (bytesEqual(parts.issuer, info.sid.issuer) && bytesEqual(parts.serial, info.sid.serial)) return c;
      }
    } catch {
      // a malformed certificate is skipped; the signer is then simply not found
    }
  }
  return undefined;
}

/**
 * The scheme a SignerInfo's signatureAlgorithm names. Besides the combined OIDs, RFC 5652 producers
 * may write the key algorithm alone (rsaEncryption, id-ecPublicKey) and let digestAlgorithm name the hash.
 */
export function signerInfoScheme(info: SignerInfo): SignatureScheme | undefined {
  const direct = schemeFromAlgorithmIdentifier(info.signatureAlgorithmDer);
  if (direct) return direct;
  try {
    const { oid } = readAlgorithmIdentifier(readWhole(info.signatureAlgorithmDer, 'AlgorithmIdentifier'), 'signatureAlgorithm');
    if (oid === OID.ecPublicKey) return ({ sha256: 'ECDSA-SHA256', sha384: 'ECDSA-SHA384', sha512: 'ECDSA-SHA512' } as const)[info.digestAlgorithm as 'sha256'];
    if (oid === OID.rsaEncryption) return ({ sha256: 'RSA-PKCS1-SHA256', sha384: 'RSA-PKCS1-SHA384' } as const)[info.digestAlgorithm as 'sha256'];
  } catch {
    return undefined;
  }
  return undefined;
}
