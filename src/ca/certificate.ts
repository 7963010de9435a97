/** Certificate parsing and the small DER helpers the rest of the CA shares. */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KexinError } from '../errors.ts';
import { DerError, readSpki, readWhole } from '../crypto/der.ts';

export const X509_OID = Object.freeze({
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  extensionRequest: '1.2.840.113549.1.9.14',
});

/** Parses asn1js BER completely (no trailing bytes) or returns undefined. */
export function strictBer(der: Uint8Array): asn1js.AsnType | undefined {
  try {
    const buf = der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
    const asn1 = asn1js.fromBER(buf);
    if (asn1.offset === -1 || asn1.result.error || asn1.offset !== der.byteLength) return undefined;
    return asn1.result;
  } catch {
    return undefined;
  }
}

/** DER certificate → pkijs Certificate; anything malformed → `CA_CERT_MALFORMED`. */
export function parseCertificate(der: Uint8Array): pkijs.Certificate {
  if (!(der instanceof Uint8Array) || der.byteLength === 0) throw new KexinError('CA_CERT_MALFORMED', 'certificate is empty', 400);
  const asn1 = strictBer(der);
  if (!asn1) throw new KexinError('CA_CERT_MALFORMED', 'certificate is not valid DER', 400);
  try {
    const cert = new pkijs.Certificate({ schema: asn1 });
    // Touch the parts later code relies on, so lazy decoding errors surface here.
    void cert.subjectPublicKeyInfo.toSchema().toBER();
    void cert.notBefore.value.getTime();
    void cert.notAfter.value.getTime();
    if (Number.isNaN(cert.notBefore.value.getTime()) || Number.isNaN(cert.notAfter.value.getTime())) throw new Error('bad time');
    for (const e of cert.extensions ?? []) void e.extnValue.valueBlock.valueHexView;
    return cert;
  } catch (cause) {
    throw new KexinError('CA_CERT_MALFORMED', 'certificate does not match the X.509 structure', 400, undefined, { cause });
  }
}

/** Serial as lowercase hex, 40 digits (the CA's storage form; serials of foreign certificates may be longer). */
export function serialHex(cert: pkijs.Certificate): string {
  const hex = Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=.)/, '');
  return hex.padStart(40, '0');
}

/** 20 random bytes, top bit cleared (positive INTEGER), never zero. Stored under a unique constraint before use. */
export function newSerial(): Uint8Array {
  for (;;) {
    const b = new Uint8Array(randomBytes(20));
    b[0]! &= 0x7f;
    if (b.some((x) => x !== 0)) return b;
  }
}

/** Minimal DER INTEGER content for a non-negative integer (bigint, hex string or big-endian bytes). */
export function positiveIntegerBytes(v: bigint | string | Uint8Array): Uint8Array {
  let hex: string;
  if (typeof v === 'bigint') {
    if (v < 0n) throw new KexinError('CA_SERIAL_INVALID', 'negative integer', 400);
    hex = v.toString(16);
  } else if (typeof v === 'string') {
    hex = v.trim().toLowerCase().replace(/^0x/, '').replaceAll(':', '');
    if (!/^[0-9a-f]+$/.test(hex)) throw new KexinError('CA_SERIAL_INVALID', 'serial is not hexadecimal', 400);
  } else {
    hex = Buffer.from(v).toString('hex');
  }
  hex = hex.replace(/^0+/, '');
  if (hex.length === 0) hex = '0';
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function integer(v: bigint | string | Uint8Array): asn1js.Integer {
  const b = positiveIntegerBytes(v);
  return new asn1js.Integer({ valueHex: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer });
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function x509Time(d: Date): pkijs.Time {
  const t = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: t.getUTCFullYear() < 2050 ? 0 : 1, value: t });
}

export function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

/** DER SPKI → pkijs PublicKeyInfo. */
export function spkiFromDer(spki: Uint8Array): pkijs.PublicKeyInfo {
  const asn1 = strictBer(spki);
  if (!asn1) throw new KexinError('CA_KEY_MALFORMED', 'public key is not valid DER', 400);
  try {
    return new pkijs.PublicKeyInfo({ schema: asn1 });
  } catch (cause) {
    throw new KexinError('CA_KEY_MALFORMED', 'public key is not a SubjectPublicKeyInfo', 400, undefined, { cause });
  }
}

/** The subjectPublicKey BIT STRING's data octets (after the unused-bits octet) of a DER SPKI. */
function subjectPublicKeyBytes(spki: Uint8Array): Uint8Array {
  try {
    return readSpki(readWhole(spki, 'SubjectPublicKeyInfo')).publicKey;
  } catch (cause) {
    if (cause instanceof DerError) throw new KexinError('CA_KEY_MALFORMED', 'public key is not a DER SubjectPublicKeyInfo', 400, undefined, { cause });
    throw cause;
  }
}

/** RFC 7093 §2 method 1: leftmost 160 bits of SHA-256 over the subjectPublicKey BIT STRING value. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo | Uint8Array): Uint8Array {
  const key = spki instanceof Uint8Array ? subjectPublicKeyBytes(spki) : spki.subjectPublicKey.valueBlock.valueHexView;
  return new Uint8Array(createHash('sha256').update(key).digest().subarray(0, 20));
}

export function spkiDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
}

export function findExtension(cert: { extensions?: pkijs.Extension[] }, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/** The certificate's SKI extension value, if present. */
export function subjectKeyIdentifier(cert: pkijs.Certificate): Uint8Array | undefined {
  const e = findExtension(cert, X509_OID.subjectKeyIdentifier);
  if (!e) return undefined;
  const v = strictBer(new Uint8Array(e.extnValue.valueBlock.valueHexView));
  return v instanceof asn1js.OctetString ? new Uint8Array(v.valueBlock.valueHexView) : undefined;
}

/** The certificate's AKI keyIdentifier, if present. */
export function authorityKeyIdentifier(cert: pkijs.Certificate | pkijs.CertificateRevocationList): Uint8Array | undefined {
  const exts = cert instanceof pkijs.Certificate ? cert.extensions : cert.crlExtensions?.extensions;
  const e = exts?.find((x) => x.extnID === X509_OID.authorityKeyIdentifier);
  if (!e) return undefined;
  try {
    const aki = new pkijs.AuthorityKeyIdentifier({ schema: strictBer(new Uint8Array(e.extnValue.valueBlock.valueHexView)) });
    return aki.keyIdentifier ? new Uint8Array(aki.keyIdentifier.valueBlock.valueHexView) : undefined;
  } catch {
    return undefined;
  }
}

export function nameDer(name: pkijs.RelativeDistinguishedNames): Uint8Array {
  return new Uint8Array(name.toSchema().toBER());
}

export { bytesEqual } from '../crypto/der.ts';
