/**
 * ECDSA signature encodings: key stores return DER `Ecdsa-Sig-Value` (X.509/CMS), JOSE wants the two
 * integers as fixed-width big-endian octets side by side (RFC 7518 §3.4).
 */
import { children, expectTag, readWhole } from './der.ts';

const INTEGER = 0x02;

/** DER (r, s) → r ‖ s, each `size` bytes (32 for P-256, 48 for P-384). */
export function ecdsaDerToJose(der: Uint8Array, size: number): Uint8Array {
  const parts = children(expectTag(readWhole(der, 'ECDSA signature'), 0x30, 'ECDSA signature'));
  if (parts.length !== 2) throw new TypeError('an ECDSA signature is two INTEGERs');
  const out = new Uint8Array(2 * size);
  parts.forEach((p, i) => {
    let v = expectTag(p, INTEGER, 'ECDSA signature').content;
    while (v.length > 0 && v[0] === 0) v = v.subarray(1);
    if (v.length > size) throw new TypeError('ECDSA signature integer too long for the curve');
    out.set(v, i * size + size - v.length);
  });
  return out;
}
