/**
 * A bounded PDF object parser (ISO 32000-2 §7.2–7.3) over a ByteSource: tokens, direct objects, and
 * indirect objects `n g obj … endobj` including streams. Hostile input gets a `PdfError`, never a hang:
 * nesting depth, string and object sizes are capped, and every scan has a limit.
 */
import type { ByteSource } from './source.ts';
import { dict, name, ref, type PdfDict, type PdfStream, type PdfValue } from './objects.ts';

export class PdfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfError';
  }
}

/** Budgets for one object. */
export const MAX_NESTING = 64;
export const MAX_STRING_BYTES = 16 * 1024 * 1024;
export const MAX_OBJECT_TOKENS = 1_000_000;

const WS = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WS[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;

export const isWhite = (c: number) => WS[c] === 1;
const isRegular = (c: number) => !WS[c] && !DELIM[c];

type Token =
  | { k: 'num'; v: number; int: boolean }
  | { k: 'name'; v: string }
  | { k: 'str'; v: Uint8Array; hex: boolean }
  | { k: 'kw'; v: string }
  | { k: 'punct'; v: '[' | ']' | '<<' | '>>' }
  | { k: 'eof' };

export class Lexer {
  pos: number;
  private tokens = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private readonly src: ByteSource;
  private readonly end: number;
  constructor(src: ByteSource, pos: number, end = src.size) {
    this.src = src;
    this.end = end;
    this.pos = pos;
  }

  byte(p = this.pos): number {
    if (p >= this.end) return -1;
    if (p < this.bufStart || p >= this.bufStart + this.buf.length) {
      this.bufStart = p;
      this.buf = this.src.read(p, Math.min(16 * 1024, this.end - p));
    }
    return this.buf[p - this.bufStart]!;
  }

  skipWhite(): void {
    for (;;) {
      const c = this.byte();
      if (c === -1) return;
      if (WS[c]) { this.pos++; continue; }
      if (c === 0x25) { // % comment to end of line
        while (this.byte() !== -1 && this.byte() !== 0x0a && this.byte() !== 0x0d) this.pos++;
        continue;
      }
      return;
    }
  }

  next(): Token {
    if (++this.tokens > MAX_OBJECT_TOKENS) throw new PdfError('object too large');
    this.skipWhite();
    const c = this.byte();
    if (c === -1) return { k: 'eof' };
    if (c === 0x5b) { this.pos++; return { k: 'punct', v: '[' }; }
    if (c === 0x5d) { this.pos++; return { k: 'punct', v: ']' }; }
    if (c === 0x3c) {
      if (this.byte(this.pos + 1) === 0x3c) { this.pos += 2; return { k: 'punct', v: '<<' }; }
      return this.hexString();
    }
    if (c === 0x3e) {
      if (this.byte(this.pos + 1) === 0x3e) { this.pos += 2; return { k: 'punct', v: '>>' }; }
      throw new PdfError(`unexpected '>' at ${this.pos}`);
    }
    if (c === 0x28) return this.literalString();
    if (c === 0x2f) return this.nameToken();
    if (c === 0x29 || c === 0x7b || c === 0x7d) throw new PdfError(`unexpected delimiter at ${this.pos}`);
    const start = this.pos;
    while (this.byte() !== -1 && isRegular(this.byte())) {
      this.pos++;
      if (this.pos - start > 256) throw new PdfError(`token too long at ${start}`);
    }
    const text = Buffer.from(this.src.read(start, this.pos - start)).toString('latin1');
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return { k: 'num', v: Number(text), int: /^[+-]?\d+$/.test(text) };
    return { k: 'kw', v: text };
  }

  private nameToken(): Token {
    this.pos++;
    const bytes: number[] = [];
    while (this.byte() !== -1 && isRegular(this.byte())) {
      let b = this.byte();
      if (b === 0x23) { // #xx
        const h = Buffer.from([this.byte(this.pos + 1), this.byte(this.pos + 2)]).toString('latin1');
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new PdfError(`bad name escape at ${this.pos}`);
        b = parseInt(h, 16);
        this.pos += 2;
      }
      bytes.push(b);
      this.pos++;
      if (bytes.length > 127 * 4) throw new PdfError('name too long');
    }
    return { k: 'name', v: Buffer.from(bytes).toString('latin1') };
  }

  private hexString(): Token {
    this.pos++;
    const digits: number[] = [];
    for (;;) {
      const c = this.byte();
      if (c === -1) throw new PdfError('unterminated hex string');
      this.pos++;
      if (c === 0x3e) break;
      if (WS[c]) continue;
      const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 55 : c >= 0x61 && c <= 0x66 ? c - 87 : -1;
      if (v < 0) throw new PdfError(`bad hex digit at ${this.pos - 1}`);
      digits.push(v);
      if (digits.length > MAX_STRING_BYTES * 2) throw new PdfError('string too long');
    }
    if (digits.length % 2) digits.push(0);
    const out = new Uint8Array(digits.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = (digits[2 * i]! << 4) | digits[2 * i + 1]!;
    return { k: 'str', v: out, hex: true };
  }

  private literalString(): Token {
    this.pos++;
    const out: number[] = [];
    let depth = 1;
    for (;;) {
      const c = this.byte();
      if (c === -1) throw new PdfError('unterminated string');
      this.pos++;
      if (out.length > MAX_STRING_BYTES) throw new PdfError('string too long');
      if (c === 0x5c) {
        const e = this.byte();
        this.pos++;
        const map: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x66: 12, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };
        if (e in map) out.push(map[e]!);
        else if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let i = 0; i < 2 && this.byte() >= 0x30 && this.byte() <= 0x37; i++) { v = v * 8 + this.byte() - 0x30; this.pos++; }
          out.push(v & 0xff);
        } else if (e === 0x0d) { if (this.byte() === 0x0a) this.pos++; }
        else if (e === 0x0a) { /* line continuation */ }
        else if (e === -1) throw new PdfError('unterminated string');
        else out.push(e);
        continue;
      }
      if (c === 0x28) depth++;
      if (c === 0x29 && --depth === 0) break;
      out.push(c);
    }
    return { k: 'str', v: Uint8Array.from(out), hex: false };
  }
}

/** Parses one direct object at the lexer's position (refs `n g R` included). */
export function parseValue(lx: Lexer, depth = 0): PdfValue {
  if (depth > MAX_NESTING) throw new PdfError('objects nested too deeply');
  const t = lx.next();
  switch (t.k) {
    case 'num': {
      if (t.int && t.v >= 0) {
        // `n g R`?
        const save = lx.pos;
        const t2 = lx.next();
        if (t2.k === 'num' && t2.int && t2.v >= 0) {
          const t3 = lx.next();
          if (t3.k === 'kw' && t3.v === 'R') return ref(t.v, t2.v);
        }
        lx.pos = save;
      }
      return t.v;
    }
    case 'name': return name(t.v);
    case 'str': return { t: 'str', v: t.v, hex: t.hex };
    case 'kw':
      if (t.v === 'true') return true;
      if (t.v === 'false') return false;
      if (t.v === 'null') return null;
      throw new PdfError(`unexpected keyword "${t.v.slice(0, 20)}"`);
    case 'punct':
      if (t.v === '[') {
        const arr: PdfValue[] = [];
        for (;;) {
          lx.skipWhite();
          if (lx.byte() === 0x5d) { lx.pos++; return arr; }
          if (lx.byte() === -1) throw new PdfError('unterminated array');
          arr.push(parseValue(lx, depth + 1));
        }
      }
      if (t.v === '<<') {
        const m = new Map<string, PdfValue>();
        for (;;) {
          const k = lx.next();
          if (k.k === 'punct' && k.v === '>>') return dict(m);
          if (k.k !== 'name') throw new PdfError(`dictionary key expected at ${lx.pos}`);
          const v = parseValue(lx, depth + 1);
          // ISO 32000-2 §7.3.7: a null value is equivalent to an absent entry.
          if (v !== null) m.set(k.v, v);
        }
      }
      throw new PdfError(`unexpected "${t.v}"`);
    case 'eof': throw new PdfError('unexpected end of file');
  }
}

export interface IndirectObject {
  readonly n: number;
  readonly g: number;
  readonly value: PdfValue;
  /** Offset of `n g obj`, and just past `endobj`. */
  readonly start: number;
  readonly end: number;
}

/**
 * Parses `n g obj <value> [stream … endstream] endobj` at `offset`. `streamLength` resolves an indirect
 * /Length (the caller guards against loops); when the length is wrong, `endstream` is searched for
 * within a bounded window.
 */
export function parseIndirect(src: ByteSource, offset: number, streamLength: (v: PdfValue) => number | undefined, end = src.size): IndirectObject {
  const lx = new Lexer(src, offset, end);
  const a = lx.next(); const b = lx.next(); const c = lx.next();
  if (a.k !== 'num' || !a.int || b.k !== 'num' || !b.int || c.k !== 'kw' || c.v !== 'obj') throw new PdfError(`no object header at ${offset}`);
  const value = parseValue(lx);
  lx.skipWhite();
  const save = lx.pos;
  const kw = lx.next();
  if (kw.k === 'kw' && kw.v === 'stream') {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value.t !== 'dict') throw new PdfError('stream without a dictionary');
    // The keyword is followed by CRLF or LF (ISO 32000-2 §7.3.8.1).
    let p = lx.pos;
    if (lx.byte(p) === 0x0d && lx.byte(p + 1) === 0x0a) p += 2;
    else if (lx.byte(p) === 0x0a || lx.byte(p) === 0x0d) p += 1;
    const declared = streamLength(value.v.get('Length') ?? null);
    let length = declared !== undefined && declared >= 0 && p + declared <= end ? declared : -1;
    if (length >= 0 && !endstreamAt(lx, p + length)) length = -1;
    if (length < 0) length = findEndstream(src, p, end);
    lx.pos = p + length;
    lx.skipWhite();
    const es = lx.next();
    if (es.k !== 'kw' || es.v !== 'endstream') throw new PdfError(`missing endstream after object ${a.v}`);
    const eo = lx.next();
    if (eo.k !== 'kw' || eo.v !== 'endobj') throw new PdfError(`missing endobj after object ${a.v}`);
    const s: PdfStream = { t: 'stream', dict: value as PdfDict, start: p, length };
    return { n: a.v, g: b.v, value: s, start: offset, end: lx.pos };
  }
  lx.pos = save;
  const eo = lx.next();
  if (eo.k !== 'kw' || eo.v !== 'endobj') throw new PdfError(`missing endobj after object ${a.v}`);
  return { n: a.v, g: b.v, value, start: offset, end: lx.pos };
}

function endstreamAt(lx: Lexer, p: number): boolean {
  let q = p;
  while (isWhite(lx.byte(q)) && q - p < 4) q++;
  const word = 'endstream';
  for (let i = 0; i < word.length; i++) if (lx.byte(q + i) !== word.charCodeAt(i)) return false;
  return true;
}

const ENDSTREAM = Buffer.from('endstream');
/** Search window for a stream whose /Length is wrong. */
const MAX_STREAM_SCAN = 256 * 1024 * 1024;

function findEndstream(src: ByteSource, from: number, end: number): number {
  const limit = Math.min(end, from + MAX_STREAM_SCAN);
  for (let p = from; p < limit; p += 1024 * 1024 - ENDSTREAM.length) {
    const chunk = Buffer.from(src.read(p, Math.min(1024 * 1024, limit - p)));
    const i = chunk.indexOf(ENDSTREAM);
    if (i >= 0) {
      let len = p + i - from;
      // Drop the EOL before endstream.
      if (len > 0 && src.read(from + len - 1, 1)[0] === 0x0a) len--;
      if (len > 0 && src.read(from + len - 1, 1)[0] === 0x0d) len--;
      return len;
    }
  }
  throw new PdfError('stream without endstream');
}
