/**
 * Strict DER reading (CSRs, OCSP and TSA requests, SPKI, AlgorithmIdentifier) and DER writing by
 * concatenation, for wrapping pieces that are already DER (certificates, the signed tbsResponseData,
 * TSTInfo) without asn1js decoding and re-encoding them on every request. Here in `crypto`, below
 * every module, because algorithm identifiers are read with it too.
 */

function lengthOctets(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV with a single-octet tag (e.g. 0x30 SEQUENCE, 0x31 SET, 0x04 OCTET STRING, 0xa0 [0] constructed). */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const len = contents.reduce((s, c) => s + c.length, 0);
  const l = lengthOctets(len);
  const out = new Uint8Array(1 + l.length + len);
  out[0] = tag;
  out.set(l, 1);
  let o = 1 + l.length;
  for (const c of contents) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** DER SET OF (tag 0x31, or `tag` for an IMPLICIT one): elements sorted by their encodings (X.690 §11.6). */
export function setOf(elements: readonly Uint8Array[], tag = 0x31): Uint8Array {
  const sorted = [...elements].sort((a, b) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)));
  return tlv(tag, ...sorted);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export const SEQUENCE = 0x30;
export const OCTET_STRING = 0x04;
export const BIT_STRING = 0x03;
export const context = (n: number) => 0xa0 | n;
/** DER BOOLEAN TRUE (X.690 §11.1: all bits set). */
export const TRUE = Uint8Array.of(0x01, 0x01, 0xff);

/** A decoded TLV inside `buf`: `content` and `der` (the whole TLV) are views, not copies. */
export interface Tlv {
  readonly tag: number;
  readonly content: Uint8Array;
  readonly der: Uint8Array;
  /** Offset just past this TLV in the buffer it was read from. */
  readonly end: number;
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads one strict-DER TLV at `offset` (low tag numbers only; no indefinite or non-minimal lengths). */
export function readTlv(buf: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length');
    if (n > 4) throw new DerError('length too large');
    if (p + n > buf.length) throw new DerError('truncated length');
    if (buf[p] === 0) throw new DerError('non-minimal length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80) throw new DerError('non-minimal length');
    p += n;
  }
  if (p + len > buf.length) throw new DerError('truncated content');
  return { tag, content: buf.subarray(p, p + len), der: buf.subarray(offset, p + len), end: p + len };
}

/** The TLVs that make up a constructed value's content, exactly (no trailing bytes). */
export function children(t: Tlv): Tlv[] {
  if (!(t.tag & 0x20)) throw new DerError('not constructed');
  const out: Tlv[] = [];
  for (let o = 0; o < t.content.length;) {
    const c = readTlv(t.content, o);
    out.push(c);
    o = c.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return t;
}

/** The single TLV that `buf` holds, exactly (no trailing bytes). */
export function readWhole(buf: Uint8Array, what: string): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) throw new DerError(`trailing bytes after ${what}`);
  return t;
}

/** A BIT STRING's unused-bit count and data octets (DER: unused bits 0–7, none in an empty string). */
export function readBitString(t: Tlv | undefined, what: string): { readonly unusedBits: number; readonly bytes: Uint8Array } {
  const { content } = expectTag(t, BIT_STRING, what);
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) throw new DerError(`${what}: bad BIT STRING`);
  return { unusedBits, bytes: content.subarray(1) };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. */
export function readAlgorithmIdentifier(t: Tlv | undefined, what: string): { readonly oid: string; readonly parameters?: Tlv } {
  const [id, parameters, ...rest] = children(expectTag(t, SEQUENCE, what));
  if (rest.length) throw new DerError(`${what}: too many fields`);
  return { oid: decodeOid(expectTag(id, 0x06, `${what} algorithm`).content), parameters };
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
export function readSpki(t: Tlv | undefined): { readonly algorithm: ReturnType<typeof readAlgorithmIdentifier>; readonly publicKey: Uint8Array } {
  const [algorithm, key, ...rest] = children(expectTag(t, SEQUENCE, 'SubjectPublicKeyInfo'));
  if (rest.length) throw new DerError('SubjectPublicKeyInfo: too many fields');
  return { algorithm: readAlgorithmIdentifier(algorithm, 'SubjectPublicKeyInfo algorithm'), publicKey: readBitString(key, 'subjectPublicKey').bytes };
}

/** Dotted string of an OBJECT IDENTIFIER's content octets. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 64) throw new DerError('bad OID length');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (v === 0 && b === 0x80) throw new DerError('non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    } else if (i === content.length - 1) throw new DerError('truncated OID');
  }
  return arcs.join('.');
}

/** DER GeneralizedTime "YYYYMMDDHHMMSS[.fff]Z" (UTC; fraction without trailing zeros, RFC 5280 / X.690). */
export function generalizedTime(d: Date, withMillis = false): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  if (withMillis && ms) s += `.${p(ms, 3).replace(/0+$/, '')}`;
  return tlv(0x18, new TextEncoder().encode(`${s}Z`));
}

/** DER INTEGER of a non-negative safe integer. */
export function integer(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('integer: non-negative safe integer');
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** DER OBJECT IDENTIFIER from a dotted string. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`bad OID ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const b: number[] = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** DER UTCTime "YYMMDDHHMMSSZ" (years 1950–2049). */
export function utcTime(d: Date): Uint8Array {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(s));
}

/** Raw DER slices of a certificate's issuer, serialNumber, subject and SubjectPublicKeyInfo. */
export function certificateParts(certDer: Uint8Array): { issuer: Uint8Array; serial: Uint8Array; subject: Uint8Array; spki: Uint8Array } {
  const top = readTlv(certDer, 0);
  if (top.end !== certDer.length) throw new DerError('trailing bytes after the certificate');
  const [tbs] = children(expectTag(top, 0x30, 'Certificate'));
  const f = children(expectTag(tbs, 0x30, 'TBSCertificate'));
  let i = f[0]?.tag === 0xa0 ? 1 : 0;
  const serial = expectTag(f[i++], 0x02, 'serialNumber').der;
  i++; // signature
  const issuer = expectTag(f[i++], 0x30, 'issuer').der;
  i++; // validity
  const subject = expectTag(f[i++], 0x30, 'subject').der;
  const spki = expectTag(f[i++], 0x30, 'subjectPublicKeyInfo').der;
  return { issuer, serial, subject, spki };
}
