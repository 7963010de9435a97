/**
 * Strict DER readers for the primitive fields the seal structures carry (GB/T 38540, CMS, TSP), on top
 * of the TLV reader in `crypto/der.ts`. Every reader names what it expected, so a malformed structure
 * fails with a message a verification report can show.
 */
import { DerError, decodeOid, expectTag, readBitString, type Tlv } from '../crypto/der.ts';

export const TAG = Object.freeze({
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8_STRING: 0x0c, PRINTABLE_STRING: 0x13, IA5_STRING: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30, SET: 0x31,
});

/** A small non-negative INTEGER (versions, types, sizes); larger or negative values are refused. */
export function readSmallInteger(t: Tlv | undefined, what: string): number {
  const { content } = expectTag(t, TAG.INTEGER, what);
  if (content.length === 0 || content.length > 6) throw new DerError(`${what}: INTEGER out of range`);
  if (content[0]! & 0x80) throw new DerError(`${what}: negative INTEGER`);
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) throw new DerError(`${what}: non-minimal INTEGER`);
  let v = 0;
  for (const b of content) v = v * 256 + b;
  return v;
}

/** The content octets of a (positive or negative) INTEGER, as written. */
export function readIntegerBytes(t: Tlv | undefined, what: string): Uint8Array {
  const { content } = expectTag(t, TAG.INTEGER, what);
  if (content.length === 0) throw new DerError(`${what}: empty INTEGER`);
  if (content.length > 1 && ((content[0] === 0 && !(content[1]! & 0x80)) || (content[0] === 0xff && content[1]! & 0x80))) {
    throw new DerError(`${what}: non-minimal INTEGER`);
  }
  return content;
}

export function readOid(t: Tlv | undefined, what: string): string {
  return decodeOid(expectTag(t, TAG.OID, what).content);
}

export function readOctets(t: Tlv | undefined, what: string): Uint8Array {
  return expectTag(t, TAG.OCTET_STRING, what).content;
}

/** A BIT STRING that holds whole octets (signatures, digests, DER values). */
export function readOctetAlignedBits(t: Tlv | undefined, what: string): Uint8Array {
  const { unusedBits, bytes } = readBitString(t, what);
  if (unusedBits !== 0) throw new DerError(`${what}: BIT STRING is not octet aligned`);
  return bytes;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function readUtf8(t: Tlv | undefined, what: string): string {
  try {
    return decoder.decode(expectTag(t, TAG.UTF8_STRING, what).content);
  } catch (e) {
    if (e instanceof DerError) throw e;
    throw new DerError(`${what}: invalid UTF-8`);
  }
}

/** IA5String (or PrintableString when `tag` says so): 7-bit ASCII only. */
export function readAscii(t: Tlv | undefined, what: string, tag: number = TAG.IA5_STRING): string {
  const { content } = expectTag(t, tag, what);
  for (const b of content) if (b > 0x7f) throw new DerError(`${what}: not 7-bit ASCII`);
  return Buffer.from(content).toString('latin1');
}

/** GeneralizedTime "YYYYMMDDHHMMSS[.f+]Z" (DER: UTC, no trailing zeros in the fraction). */
export function readGeneralizedTime(t: Tlv | undefined, what: string): Date {
  const s = readAscii(t, what, TAG.GENERALIZED_TIME);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(s);
  if (!m) throw new DerError(`${what}: not a DER GeneralizedTime`);
  return dateFrom(m.slice(1, 7).map(Number) as [number, number, number, number, number, number], m[7], what);
}

/** UTCTime "YYMMDDHHMMSSZ" (RFC 5280: 50–99 → 19xx). */
export function readUtcTime(t: Tlv | undefined, what: string): Date {
  const s = readAscii(t, what, TAG.UTC_TIME);
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new DerError(`${what}: not a DER UTCTime`);
  const [yy, ...rest] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return dateFrom([yy >= 50 ? 1900 + yy : 2000 + yy, ...rest], undefined, what);
}

/** Time ::= CHOICE { utcTime, generalTime }. */
export function readTime(t: Tlv | undefined, what: string): Date {
  return t?.tag === TAG.UTC_TIME ? readUtcTime(t, what) : readGeneralizedTime(t, what);
}

function dateFrom([y, mo, d, h, mi, s]: [number, number, number, number, number, number], fraction: string | undefined, what: string): Date {
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw new DerError(`${what}: impossible date`);
  return date;
}
