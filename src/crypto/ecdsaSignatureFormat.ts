/**
 * ECDSA/SM2 signature encodings: X.509/CMS carry DER `Ecdsa-Sig-Value` (what the key store returns);
 * JOSE (RFC 7518 §3.4) and COSE (RFC 9053 §2.1) carry the fixed-size concatenation r ‖ s.
 */
import { children, expectTag, readWhole, SEQUENCE, tlv } from './der.ts';

const INTEGER = 0x02;

/** DER `SEQUENCE { r INTEGER, s INTEGER }` → r ‖ s, each left-padded to `size` bytes (32 for P-256/SM2). */
export function derToRawSignature(der: Uint8Array, size: number): Uint8Array {
  const seq = expectTag(readWhole(der, 'signature'), SEQUENCE, 'signature');
  const parts = children(seq);
  if (parts.length !== 2) throw new TypeError('signature is not two integers');
  const out = new Uint8Array(2 * size);
  parts.forEach((p, i) => {
    let v = expectTag(p, INTEGER, 'signature integer').content;
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new TypeError('signature integer too long');
    out.set(v, (i + 1) * size - v.length);
  });
  return out;
}

function derInteger(raw: Uint8Array): Uint8Array {
  let v = raw;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  return tlv(INTEGER, v[0]! & 0x80 ? Uint8Array.of(0, ...v) : v);
}

/** r ‖ s → DER `SEQUENCE { r, s }`. */
export function rawToDerSignature(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new TypeError('raw signature length must be even');
  const h = raw.length / 2;
  return tlv(SEQUENCE, derInteger(raw.subarray(0, h)), derInteger(raw.subarray(h)));
}
