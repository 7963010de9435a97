/**
 * DER OCSPRequest (RFC 6960 §4.1) → the CertIDs asked about and the nonce (RFC 8954).
 *
 * A strict DER walk (no pkijs schema matching: this runs on every request, cached or not).
 * Anything that is not one complete DER OCSPRequest (bad encoding, indefinite or non-minimal lengths,
 * trailing bytes, wrong structure, version ≠ v1, no requests, more than `MAX_OCSP_REQUESTS`, a nonce of
 * 0 or more than 32 octets, two nonces) throws `OCSP_MALFORMED_REQUEST`.
 * A CertID whose hash algorithm Kexin does not accept is *not* malformed: it is returned with
 * `hashAlgorithm: undefined` and answered `unknown`.
 * A signed request (optionalSignature) is accepted but its signature is NOT checked: Kexin's responder
 * does not require or use requestor authentication (RFC 6960 §4.1.2 makes signing optional).
 * Other request and single-request extensions are ignored, critical or not.
 */
import { type DigestName, digestFromOid } from '../../crypto/algorithmIdentifiers.ts';
import { children, decodeOid, expectTag, readTlv, type Tlv } from '../../crypto/der.ts';
import { ocspMalformed } from './ocspErrors.ts';

export const MAX_OCSP_REQUESTS = 20;
export const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
/** RFC 8954 §2.1: a nonce is 1 to 32 octets. */
export const MAX_NONCE_LENGTH = 32;
/** Serials Kexin issues fit in 20 octets (RFC 5280 §4.1.2.2). */
const MAX_SERIAL_OCTETS = 20;

export interface OcspCertId {
  /** undefined: a hash algorithm Kexin does not accept; the answer for it is `unknown`. */
  readonly hashAlgorithm: DigestName | undefined;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /**
   * The serial as Kexin stores it (`canonicalSerial`: 40 lowercase hex digits) when it is positive and
   * fits 20 octets; otherwise the lowercase hex of the raw INTEGER octets and `serialInRange` false
   * (such a serial was never issued: `unknown`).
   */
  readonly serialNumber: string;
  readonly serialInRange: boolean;
  /** The CertID DER exactly as received, echoed in the SingleResponse. */
  readonly der: Uint8Array;
}

export interface ParsedOcspRequest {
  readonly requests: readonly { readonly certId: OcspCertId }[];
  /** The nonce octets (the inner OCTET STRING of the extension value, RFC 8954 §2.1). */
  readonly nonce?: Uint8Array;
  /** The nonce extension's extnValue as received: echoed byte for byte. */
  readonly nonceExtnValue?: Uint8Array;
  /** The request carried optionalSignature (not verified). */
  readonly signed: boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const copy = (b: Uint8Array) => Uint8Array.from(b);

function serialOf(bytes: Uint8Array): { serialNumber: string; serialInRange: boolean } {
  const negative = (bytes[0]! & 0x80) !== 0;
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const magnitude = bytes.subarray(i);
  if (negative || magnitude.length > MAX_SERIAL_OCTETS) return { serialNumber: hex(bytes), serialInRange: false };
  return { serialNumber: hex(magnitude).padStart(40, '0'), serialInRange: true };
}

function certIdOf(t: Tlv): OcspCertId {
  const [alg, nameHash, keyHash, serial, ...extra] = children(expectTag(t, 0x30, 'CertID'));
  if (extra.length) throw new Error('CertID has extra fields');
  const [oid, params, ...more] = children(expectTag(alg, 0x30, 'hashAlgorithm'));
  if (more.length) throw new Error('AlgorithmIdentifier has extra fields');
  void params;
  const hashAlgorithmOid = decodeOid(expectTag(oid, 0x06, 'algorithm').content);
  const serialBytes = expectTag(serial, 0x02, 'serialNumber').content;
  if (serialBytes.length === 0) throw new Error('empty INTEGER');
  return {
    hashAlgorithm: digestFromOid(hashAlgorithmOid),
    hashAlgorithmOid,
    issuerNameHash: copy(expectTag(nameHash, 0x04, 'issuerNameHash').content),
    issuerKeyHash: copy(expectTag(keyHash, 0x04, 'issuerKeyHash').content),
    ...serialOf(serialBytes),
    der: copy(t.der),
  };
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (!(der instanceof Uint8Array) || der.length === 0) throw ocspMalformed('empty body');
  try {
    const top = readTlv(der, 0);
    if (top.end !== der.length) throw new Error('trailing bytes after the OCSPRequest');
    const [tbs, sig, ...rest] = children(expectTag(top, 0x30, 'OCSPRequest'));
    if (rest.length || (sig && sig.tag !== 0xa0)) throw new Error('unexpected fields after tbsRequest');
    const fields = children(expectTag(tbs, 0x30, 'TBSRequest'));
    let i = 0;
    if (fields[i]?.tag === 0xa0) {
      const [v, ...x] = children(fields[i]!);
      const vb = expectTag(v, 0x02, 'version').content;
      if (x.length || vb.length !== 1 || vb[0] !== 0) throw new Error('version is not v1');
      i++;
    }
    if (fields[i]?.tag === 0xa1) i++; // requestorName: not used
    const list = children(expectTag(fields[i++], 0x30, 'requestList'));
    let extensions: Tlv | undefined;
    if (fields[i]?.tag === 0xa2) extensions = fields[i++];
    if (i !== fields.length) throw new Error('unexpected fields in TBSRequest');
    if (list.length === 0) throw ocspMalformed('no requests');
    if (list.length > MAX_OCSP_REQUESTS) throw ocspMalformed(`more than ${MAX_OCSP_REQUESTS} requests`);
    const requests = list.map((r) => {
      const [certId, singleExt, ...x] = children(expectTag(r, 0x30, 'Request'));
      if (x.length || (singleExt && singleExt.tag !== 0xa0)) throw new Error('unexpected fields in Request');
      return { certId: certIdOf(certId!) };
    });
    let nonce: Uint8Array | undefined;
    let nonceExtnValue: Uint8Array | undefined;
    if (extensions) {
      const [seq, ...x] = children(extensions);
      if (x.length) throw new Error('requestExtensions');
      for (const ext of children(expectTag(seq, 0x30, 'Extensions'))) {
        const parts = children(expectTag(ext, 0x30, 'Extension'));
        const id = decodeOid(expectTag(parts[0], 0x06, 'extnID').content);
        const value = expectTag(parts[parts.length - 1], 0x04, 'extnValue').content;
        if (parts.length === 3) expectTag(parts[1], 0x01, 'critical');
        else if (parts.length !== 2) throw new Error('Extension fields');
        if (id !== OID_OCSP_NONCE) continue;
        if (nonceExtnValue) throw ocspMalformed('two nonce extensions');
        nonceExtnValue = copy(value);
        // RFC 8954 §2.1: extnValue = DER OCTET STRING (the nonce). Some old clients put the raw nonce.
        try {
          const inner = readTlv(nonceExtnValue, 0);
          nonce = inner.tag === 0x04 && inner.end === nonceExtnValue.length ? copy(inner.content) : nonceExtnValue;
        } catch {
          nonce = nonceExtnValue;
        }
        if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) throw ocspMalformed(`nonce of ${nonce.length} octets (RFC 8954: 1 to ${MAX_NONCE_LENGTH})`);
      }
    }
    return { requests, nonce, nonceExtnValue, signed: sig !== undefined };
  } catch (e) {
    if (e instanceof Error && 'code' in e && (e as { code: unknown }).code === 'OCSP_MALFORMED_REQUEST') throw e;
    throw ocspMalformed(e instanceof Error ? e.message : 'not an OCSPRequest', e);
  }
}
