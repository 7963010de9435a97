/**
 * DER OCSPRequest (RFC 6960 §4.1) → the CertIDs asked about and the nonce (RFC 8954).
 *
 * Anything that is not one complete DER OCSPRequest (bad encoding, trailing bytes, no requests, more
 * than `MAX_OCSP_REQUESTS`, nonce of 0 or more than 32 octets) throws `OCSP_MALFORMED_REQUEST`.
 * A CertID whose hash algorithm Kexin does not accept is *not* malformed: it is returned with
 * `hashAlgorithm: undefined` and answered `unknown`.
 * A signed request (optionalSignature) is accepted but its signature is NOT checked: Kexin's responder
 * does not require or use requestor authentication (RFC 6960 §4.1.2 makes signing optional).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type DigestName, digestFromOid } from '../../crypto/algorithmIdentifiers.ts';
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
  /** The CertID exactly as received, echoed in the SingleResponse. */
  readonly raw: pkijs.CertID;
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

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function serialOf(int: asn1js.Integer): { serialNumber: string; serialInRange: boolean } {
  const bytes = new Uint8Array(int.valueBlock.valueHexView);
  if (bytes.length === 0) return { serialNumber: '', serialInRange: false };
  const negative = (bytes[0]! & 0x80) !== 0;
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const magnitude = bytes.subarray(i);
  if (negative || magnitude.length > MAX_SERIAL_OCTETS) return { serialNumber: hex(bytes), serialInRange: false };
  return { serialNumber: hex(magnitude).padStart(40, '0'), serialInRange: true };
}

export function parseOcspRequest(der: Uint8Array): ParsedOcspRequest {
  if (!(der instanceof Uint8Array) || der.length === 0) throw ocspMalformed('empty body');
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1 || asn.result.error) throw ocspMalformed('not BER/DER');
  if (asn.offset !== der.length) throw ocspMalformed('trailing bytes after the OCSPRequest');
  let req: pkijs.OCSPRequest;
  try {
    req = new pkijs.OCSPRequest({ schema: asn.result });
  } catch (e) {
    throw ocspMalformed('not an OCSPRequest', e);
  }
  const list = req.tbsRequest.requestList;
  if (!list || list.length === 0) throw ocspMalformed('no requests');
  if (list.length > MAX_OCSP_REQUESTS) throw ocspMalformed(`more than ${MAX_OCSP_REQUESTS} requests`);
  const requests = list.map((r) => {
    const c = r.reqCert;
    const oid = c.hashAlgorithm.algorithmId;
    return {
      certId: {
        hashAlgorithm: digestFromOid(oid),
        hashAlgorithmOid: oid,
        issuerNameHash: new Uint8Array(c.issuerNameHash.valueBlock.valueHexView),
        issuerKeyHash: new Uint8Array(c.issuerKeyHash.valueBlock.valueHexView),
        ...serialOf(c.serialNumber),
        raw: c,
      },
    };
  });
  let nonce: Uint8Array | undefined;
  let nonceExtnValue: Uint8Array | undefined;
  for (const ext of req.tbsRequest.requestExtensions ?? []) {
    if (ext.extnID !== OID_OCSP_NONCE) continue;
    if (nonceExtnValue) throw ocspMalformed('two nonce extensions');
    nonceExtnValue = new Uint8Array(ext.extnValue.valueBlock.valueHexView);
    // RFC 8954 §2.1: extnValue = DER OCTET STRING (the nonce). Some old clients put the raw nonce.
    const inner = asn1js.fromBER(nonceExtnValue);
    if (inner.offset === nonceExtnValue.length && inner.result instanceof asn1js.OctetString && !inner.result.idBlock.isConstructed) {
      nonce = new Uint8Array(inner.result.valueBlock.valueHexView);
    } else {
      nonce = nonceExtnValue;
    }
    if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) throw ocspMalformed(`nonce of ${nonce.length} octets (RFC 8954: 1 to ${MAX_NONCE_LENGTH})`);
  }
  return { requests, nonce, nonceExtnValue, signed: req.optionalSignature !== undefined };
}
