/**
 * IETF Token Status List (draft-ietf-oauth-status-list): a bit string with `bits` bits per
 * referenced token (index i in the least significant bits first, §4.1), compressed with DEFLATE in
 * the ZLIB format (RFC 1951/1950), base64url in the `lst` member of a `statuslist+jwt`.
 */
import { deflateSync, inflateSync } from 'node:zlib';

/** Status types (§7.1). E-cards use 2 bits: suspension is reversible, revocation is not. */
export const STATUS = Object.freeze({ VALID: 0, INVALID: 1, SUSPENDED: 2 });
export type StatusBitsPerEntry = 1 | 2 | 4 | 8;

/** A decoded list larger than this is refused (2 bits × 2^26 entries = 16 MiB). */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;

/** Packs `entries` (index → non-zero status) into the raw byte array of `size` entries. */
export function packStatusBits(bits: StatusBitsPerEntry, size: number, entries: Iterable<readonly [number, number]>): Uint8Array {
  const out = new Uint8Array(Math.ceil((size * bits) / 8));
  const mask = (1 << bits) - 1;
  for (const [idx, value] of entries) {
    if (!(idx >= 0 && idx < size) || (value & mask) !== value) throw new TypeError(`status entry out of range: ${idx}=${value}`);
    const bit = idx * bits;
    out[bit >> 3]! |= value << (bit & 7);
  }
  return out;
}

export function compressStatusBits(raw: Uint8Array): string {
  return deflateSync(raw, { level: 9 }).toString('base64url');
}

export interface StatusBits {
  readonly bits: StatusBitsPerEntry;
  /** Number of entries the list holds. */
  readonly size: number;
  get(idx: number): number | undefined;
}

/** Undefined when `lst` is not a valid compressed list of `bits` bits per entry. */
export function decodeStatusBits(bits: unknown, lst: unknown): StatusBits | undefined {
  if (bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) return undefined;
  if (typeof lst !== 'string' || !/^[A-Za-z0-9_-]*$/.test(lst)) return undefined;
  let raw: Buffer;
  try {
    // The size budget is enforced while inflating: a small "zip bomb" cannot allocate more.
    raw = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: MAX_STATUS_LIST_BYTES });
  } catch {
    return undefined;
  }
  const mask = (1 << bits) - 1;
  const size = (raw.length * 8) / bits;
  return Object.freeze({
    bits, size,
    get(idx: number) {
      if (!Number.isSafeInteger(idx) || idx < 0 || idx >= size) return undefined;
      const bit = idx * bits;
      return (raw[bit >> 3]! >> (bit & 7)) & mask;
    },
  });
}
