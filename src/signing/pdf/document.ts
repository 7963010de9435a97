/**
 * A PDF as a chain of revisions (ISO 32000-2 §7.5.4–7.5.8): cross-reference sections (tables, streams,
 * hybrid), their trailers, and the byte offset where each revision ends (`startxref N %%EOF`). A view
 * of any revision resolves objects as a reader of the file truncated there would. Bounded: at most
 * `MAX_XREF_SECTIONS` sections, loops in /Prev refused, objects cached per view.
 */
import { dictOf, isArray, isDict, isName, isNumber, isRef, isStream, type PdfDict, type PdfRef, type PdfStream, type PdfValue } from './objects.ts';
import { decodeStream, newDecodeBudget, type DecodeBudget } from './filters.ts';
import { Lexer, parseIndirect, parseValue, PdfError } from './parser.ts';
import type { ByteSource } from './source.ts';

export const MAX_XREF_SECTIONS = 256;
export const MAX_XREF_ENTRIES = 4_000_000;
/** Objects one view may parse (a walk of a huge or looping graph stops here). */
export const MAX_OBJECTS_PARSED = 2_000_000;

export type XrefEntry =
  | { readonly type: 'n'; readonly offset: number; readonly gen: number }
  | { readonly type: 'c'; readonly stream: number; readonly index: number }
  | { readonly type: 'f' };

export interface XrefSection {
  readonly offset: number;
  readonly kind: 'table' | 'stream';
  readonly entries: ReadonlyMap<number, XrefEntry>;
  readonly trailer: PdfDict;
  /** Offset just past the table's trailer or the xref stream object. */
  readonly end: number;
  readonly prev: number | undefined;
}

export interface Revision {
  /** 0 = the original document. */
  readonly index: number;
  /** Offset just past this revision's `%%EOF` (and its end-of-line). */
  readonly end: number;
  /** The startxref value of this revision. */
  readonly startxref: number;
  /** This revision's own sections (newest first): the objects it defined. */
  readonly sections: readonly XrefSection[];
}

const enc = (s: string) => Buffer.from(s, 'latin1');

export class PdfDocument {
  readonly src: ByteSource;
  readonly revisions: readonly Revision[];
  /** Structural oddities a validator must weigh (e.g. an update that rewrites bytes before its predecessor's end). */
  readonly problems: readonly string[];
  readonly budget: DecodeBudget;
  private readonly sections = new Map<number, XrefSection>();

  constructor(src: ByteSource) {
    this.src = src;
    this.budget = newDecodeBudget();
    const problems: string[] = [];
    const last = findLastStartxref(src);
    // Walk the chain newest → oldest.
    const chain: XrefSection[] = [];
    const seen = new Set<number>();
    for (let off: number | undefined = last.offset; off !== undefined;) {
      if (seen.has(off)) throw new PdfError('the cross-reference chain loops (/Prev)');
      if (chain.length >= MAX_XREF_SECTIONS) throw new PdfError('too many cross-reference sections');
      seen.add(off);
      const s = this.section(off);
      chain.push(s);
      off = s.prev;
    }
    // Revision ends: `startxref <section offset> %%EOF` after the section.
    const markers = findMarkers(src);
    const revs: { end: number; startxref: number; sections: XrefSection[] }[] = [];
    let pending: XrefSection[] = [];
    for (let i = chain.length - 1; i >= 0; i--) {
      // Oldest first; a section without its own marker (a linearized file's main table) joins the
      // revision of the newer section that points to it.
      const s = chain[i]!;
      pending.unshift(s);
      const m = markers.find((x) => x.startxref === s.offset && x.end > s.end);
      const isLast = i === 0;
      if (m || isLast) {
        const end = m ? m.end : last.end;
        revs.push({ end, startxref: s.offset, sections: pending });
        pending = [];
      }
    }
    for (let i = 1; i < revs.length; i++) {
      const prev = revs[i - 1]!;
      const cur = revs[i]!;
      if (cur.end <= prev.end) problems.push(`REVISION_ORDER: revision ${i} ends before revision ${i - 1}`);
      for (const s of cur.sections) if (s.offset < prev.end) problems.push(`UPDATE_INSIDE_EARLIER_REVISION: revision ${i} has a cross-reference section at ${s.offset}, inside revision ${i - 1}`);
    }
    const lastRev = revs[revs.length - 1]!;
    if (lastRev.end !== last.end) problems.push('FINAL_REVISION_MARKER_MISMATCH');
    this.revisions = Object.freeze(revs.map((r, index) => Object.freeze({ index, end: r.end, startxref: r.startxref, sections: Object.freeze(r.sections) })));
    this.problems = Object.freeze(problems);
  }

  /** The revision whose end is exactly `end`, if any. */
  revisionEndingAt(end: number): Revision | undefined {
    return this.revisions.find((r) => r.end === end);
  }

  /** A view of the document as of revision `index` (default: the latest). */
  view(index = this.revisions.length - 1): PdfView {
    const rev = this.revisions[index];
    if (!rev) throw new RangeError(`no revision ${index}`);
    const sections: XrefSection[] = [];
    for (let i = index; i >= 0; i--) sections.push(...this.revisions[i]!.sections);
    return new PdfView(this, rev, sections);
  }

  section(offset: number): XrefSection {
    const cached = this.sections.get(offset);
    if (cached) return cached;
    if (!(offset >= 0 && offset < this.src.size)) throw new PdfError(`cross-reference offset ${offset} is outside the file`);
    const head = Buffer.from(this.src.read(offset, 4)).toString('latin1');
    const s = head === 'xref' ? readXrefTable(this.src, offset) : readXrefStream(this.src, offset, this.budget);
    // Hybrid files (§7.5.8.4): entries of /XRefStm complete the table's.
    const xrefStm = s.trailer.v.get('XRefStm');
    if (s.kind === 'table' && isNumber(xrefStm) && xrefStm !== offset) {
      const extra = readXrefStream(this.src, xrefStm, this.budget);
      const merged = new Map(extra.entries);
      for (const [k, v] of s.entries) merged.set(k, v);
      const withStm = { ...s, entries: merged };
      this.sections.set(offset, withStm);
      return withStm;
    }
    this.sections.set(offset, s);
    return s;
  }
}

function findLastStartxref(src: ByteSource): { offset: number; end: number } {
  const tailLen = Math.min(src.size, 2048);
  const tail = Buffer.from(src.read(src.size - tailLen, tailLen)).toString('latin1');
  const i = tail.lastIndexOf('startxref');
  if (i < 0) throw new PdfError('no startxref: not a PDF, or truncated');
  const m = /^startxref\s+(\d+)\s*%%EOF(\r\n|\r|\n)?/.exec(tail.slice(i));
  if (!m) throw new PdfError('startxref is not followed by an offset and %%EOF');
  return { offset: Number(m[1]), end: src.size - tailLen + i + m[0].length };
}

/** Every `startxref N %%EOF` in the file, with the offset just past it (and its EOL). */
function findMarkers(src: ByteSource): { startxref: number; end: number }[] {
  const out: { startxref: number; end: number }[] = [];
  const word = enc('startxref');
  const CH = 4 * 1024 * 1024;
  for (let p = 0; p < src.size; p += CH - 64) {
    const chunk = Buffer.from(src.read(p, Math.min(CH, src.size - p)));
    for (let i = chunk.indexOf(word); i >= 0; i = chunk.indexOf(word, i + 1)) {
      if (p > 0 && i < 64) continue; // seen in the previous chunk's overlap
      const text = Buffer.from(src.read(p + i, 64)).toString('latin1');
      const m = /^startxref\s+(\d+)\s*%%EOF(\r\n|\r|\n)?/.exec(text);
      if (m) out.push({ startxref: Number(m[1]), end: p + i + m[0].length });
      if (out.length > MAX_XREF_SECTIONS * 4) throw new PdfError('too many startxref markers');
    }
  }
  return out;
}

function readXrefTable(src: ByteSource, offset: number): XrefSection {
  const lx = new Lexer(src, offset + 4);
  const entries = new Map<number, XrefEntry>();
  for (;;) {
    lx.skipWhite();
    const save = lx.pos;
    const t = lx.next();
    if (t.k === 'kw' && t.v === 'trailer') break;
    const c = lx.next();
    if (t.k !== 'num' || !t.int || c.k !== 'num' || !c.int) throw new PdfError(`bad cross-reference subsection at ${save}`);
    if (c.v > MAX_XREF_ENTRIES || entries.size + c.v > MAX_XREF_ENTRIES) throw new PdfError('too many cross-reference entries');
    lx.skipWhite();
    // Entries: 20 bytes "oooooooooo ggggg n" + EOL; read them in one slice, tolerating 19/21-byte EOLs.
    const raw = Buffer.from(src.read(lx.pos, c.v * 21 + 2)).toString('latin1');
    const re = /(\d{10}) (\d{5}) ([nf])[ \r\n]{1,3}/y;
    for (let i = 0; i < c.v; i++) {
      const m = re.exec(raw);
      if (!m) throw new PdfError(`bad cross-reference entry ${t.v + i}`);
      const num = t.v + i;
      if (!entries.has(num)) entries.set(num, m[3] === 'n' ? { type: 'n', offset: Number(m[1]), gen: Number(m[2]) } : { type: 'f' });
    }
    lx.pos += re.lastIndex;
  }
  const trailer = parseValue(lx);
  if (!isDict(trailer)) throw new PdfError('trailer is not a dictionary');
  const prev = trailer.v.get('Prev');
  return Object.freeze({ offset, kind: 'table' as const, entries, trailer, end: lx.pos, prev: isNumber(prev) ? prev : undefined });
}

function readXrefStream(src: ByteSource, offset: number, budget: DecodeBudget): XrefSection {
  const obj = parseIndirect(src, offset, (v) => (isNumber(v) ? v : undefined));
  if (!isStream(obj.value) || !isName(obj.value.dict.v.get('Type'), 'XRef')) throw new PdfError(`no cross-reference at ${offset}`);
  const d = obj.value.dict;
  const data = decodeStream(src.read(obj.value.start, obj.value.length), d, budget);
  const w = d.v.get('W');
  const size = d.v.get('Size');
  if (!isArray(w) || w.length !== 3 || !w.every((x) => isNumber(x) && Number.isInteger(x) && x >= 0 && x <= 8) || !isNumber(size)) throw new PdfError('bad /W or /Size in a cross-reference stream');
  const [w0, w1, w2] = w as number[];
  const index = d.v.get('Index');
  const ranges = isArray(index) ? (index as number[]) : [0, size];
  if (ranges.length % 2 || !ranges.every((x) => isNumber(x) && Number.isInteger(x) && x >= 0)) throw new PdfError('bad /Index in a cross-reference stream');
  const entries = new Map<number, XrefEntry>();
  const rowLen = w0! + w1! + w2!;
  if (rowLen === 0) throw new PdfError('bad /W in a cross-reference stream');
  let p = 0;
  const field = (len: number, dflt: number) => {
    if (len === 0) return dflt;
    let v = 0;
    for (let i = 0; i < len; i++) v = v * 256 + data[p + i]!;
    p += len;
    return v;
  };
  for (let r = 0; r < ranges.length; r += 2) {
    const first = ranges[r]!;
    const count = ranges[r + 1]!;
    if (entries.size + count > MAX_XREF_ENTRIES) throw new PdfError('too many cross-reference entries');
    for (let i = 0; i < count; i++) {
      if (p + rowLen > data.length) throw new PdfError('cross-reference stream is shorter than its /Index');
      const type = field(w0!, 1);
      const a = field(w1!, 0);
      const b = field(w2!, 0);
      const num = first + i;
      if (entries.has(num)) continue;
      entries.set(num, type === 1 ? { type: 'n', offset: a, gen: b } : type === 2 ? { type: 'c', stream: a, index: b } : { type: 'f' });
    }
  }
  const prev = d.v.get('Prev');
  return Object.freeze({ offset, kind: 'stream' as const, entries, trailer: d, end: obj.end, prev: isNumber(prev) ? prev : undefined });
}

/** The document as of one revision: objects resolved through its cross-reference sections. */
export class PdfView {
  readonly doc: PdfDocument;
  readonly revision: Revision;
  readonly trailer: PdfDict;
  private readonly xref = new Map<number, XrefEntry>();
  private readonly cache = new Map<number, PdfValue>();
  private readonly objStreams = new Map<number, { offsets: number[]; data: Uint8Array; first: number }>();
  private parsed = 0;

  constructor(doc: PdfDocument, revision: Revision, sections: readonly XrefSection[]) {
    this.doc = doc;
    this.revision = revision;
    this.trailer = sections[0]!.trailer;
    for (const s of sections) for (const [k, v] of s.entries) if (!this.xref.has(k)) this.xref.set(k, v);
  }

  entry(n: number): XrefEntry | undefined {
    return this.xref.get(n);
  }

  /** Object numbers this view defines (in use). */
  objectNumbers(): number[] {
    return [...this.xref].filter(([, e]) => e.type !== 'f').map(([n]) => n);
  }

  /** The object `n` (null when free or absent, ISO 32000-2 §7.3.10). */
  get(n: number): PdfValue {
    if (this.cache.has(n)) return this.cache.get(n)!;
    const e = this.xref.get(n);
    let v: PdfValue = null;
    if (e?.type === 'n') {
      if (e.offset >= this.revision.end) throw new PdfError(`object ${n} lies beyond its revision`);
      if (++this.parsed > MAX_OBJECTS_PARSED) throw new PdfError('object budget exhausted');
      const obj = parseIndirect(this.doc.src, e.offset, (len) => this.streamLength(len), this.revision.end);
      if (obj.n !== n) throw new PdfError(`cross-reference entry of object ${n} points at object ${obj.n}`);
      v = obj.value;
    } else if (e?.type === 'c') {
      v = this.fromObjectStream(n, e.stream, e.index);
    }
    this.cache.set(n, v);
    return v;
  }

  /** Follows a reference (one level); other values as they are. */
  resolve(v: PdfValue | undefined): PdfValue {
    if (v === undefined) return null;
    return isRef(v) ? this.get(v.n) : v;
  }

  dict(v: PdfValue | undefined): PdfDict | undefined {
    return dictOf(this.resolve(v));
  }

  /** Raw (still encoded) bytes of a stream. */
  rawStream(s: PdfStream): Uint8Array {
    return s.data ?? this.doc.src.read(s.start, s.length);
  }

  decoded(s: PdfStream): Uint8Array {
    return decodeStream(this.rawStream(s), s.dict, this.doc.budget);
  }

  private streamLength(v: PdfValue): number | undefined {
    if (isNumber(v)) return v;
    if (isRef(v)) {
      const e = this.xref.get(v.n);
      // A /Length object is a plain number: parsed directly, never through get() (no recursion).
      if (e?.type === 'n' && e.offset < this.revision.end) {
        try {
          const o = parseIndirect(this.doc.src, e.offset, () => undefined, this.revision.end);
          return isNumber(o.value) ? o.value : undefined;
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }

  private fromObjectStream(n: number, stm: number, index: number): PdfValue {
    let os = this.objStreams.get(stm);
    if (!os) {
      const e = this.xref.get(stm);
      if (e?.type !== 'n') throw new PdfError(`object stream ${stm} is not a plain object`);
      const s = this.get(stm);
      if (!isStream(s) || !isName(s.dict.v.get('Type'), 'ObjStm')) throw new PdfError(`object ${stm} is not an object stream`);
      const data = this.decoded(s);
      const count = s.dict.v.get('N');
      const first = s.dict.v.get('First');
      if (!isNumber(count) || !isNumber(first) || count < 0 || count > 1_000_000 || first > data.length) throw new PdfError('bad object stream header');
      const lx = new Lexer({ size: data.length, read: (p, l) => data.subarray(p, p + l), close() {} }, 0, first);
      const offsets: number[] = [];
      for (let i = 0; i < count; i++) {
        const a = lx.next(); const b = lx.next();
        if (a.k !== 'num' || b.k !== 'num') throw new PdfError('bad object stream index');
        offsets.push(a.v, b.v);
      }
      os = { offsets, data, first };
      this.objStreams.set(stm, os);
    }
    if (os.offsets[2 * index] !== n) throw new PdfError(`object stream ${stm} does not hold object ${n} at index ${index}`);
    const lx = new Lexer({ size: os.data.length, read: (p, l) => os.data.subarray(p, p + l), close() {} }, os.first + os.offsets[2 * index + 1]!);
    return parseValue(lx);
  }

  /** The catalog (/Root). */
  catalog(): PdfDict {
    const root = this.dict(this.trailer.v.get('Root'));
    if (!root) throw new PdfError('no document catalog (/Root)');
    return root;
  }

  /** Page dictionaries in order with their refs (page tree walk, bounded, loop-safe) and inherited attributes. */
  pages(limit = 100_000): { ref: PdfRef; dict: PdfDict; mediaBox: number[]; cropBox: number[]; rotate: number }[] {
    const out: { ref: PdfRef; dict: PdfDict; mediaBox: number[]; cropBox: number[]; rotate: number }[] = [];
    const visited = new Set<number>();
    const walk = (r: PdfValue | undefined, inherited: { mediaBox?: number[]; cropBox?: number[]; rotate?: number }, depth: number) => {
      if (!isRef(r) || visited.has(r.n) || depth > 64 || out.length >= limit) {
        if (isRef(r) && visited.has(r.n)) throw new PdfError('the page tree loops');
        return;
      }
      visited.add(r.n);
      const d = this.dict(r);
      if (!d) return;
      const box = (k: string) => { const b = this.resolve(d.v.get(k)); return isArray(b) && b.length === 4 && b.every(isNumber) ? (b as number[]) : undefined; };
      const rot = this.resolve(d.v.get('Rotate'));
      const inh = { mediaBox: box('MediaBox') ?? inherited.mediaBox, cropBox: box('CropBox') ?? inherited.cropBox, rotate: isNumber(rot) ? rot : inherited.rotate };
      if (isName(d.v.get('Type'), 'Pages') || d.v.has('Kids')) {
        const kids = this.resolve(d.v.get('Kids'));
        if (isArray(kids)) for (const k of kids) walk(k, inh, depth + 1);
      } else {
        const mediaBox = inh.mediaBox ?? [0, 0, 612, 792];
        out.push({ ref: r, dict: d, mediaBox, cropBox: inh.cropBox ?? mediaBox, rotate: ((inh.rotate ?? 0) % 360 + 360) % 360 });
      }
    };
    walk(this.catalog().v.get('Pages'), {}, 0);
    return out;
  }
}

export { isRef };
