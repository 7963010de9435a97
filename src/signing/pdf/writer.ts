/**
 * Serialising PDF objects and appending an incremental update (ISO 32000-2 §7.5.6): new and changed
 * objects, a cross-reference section of the same kind as the previous one (table or stream), a
 * trailer with /Prev, and `startxref … %%EOF`. Earlier bytes are never touched.
 */
import { isDict, type PdfDict, type PdfValue } from './objects.ts';
import type { PdfView } from './document.ts';

const DELIMS = new Set('()<>[]{}/%#'.split('').map((c) => c.charCodeAt(0)));

function nameBytes(n: string): string {
  let out = '/';
  for (const b of Buffer.from(n, 'latin1')) {
    out += b < 0x21 || b > 0x7e || DELIMS.has(b) ? `#${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError('PDF numbers are finite');
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

function literal(bytes: Uint8Array): string {
  let out = '(';
  for (const b of bytes) {
    if (b === 0x28 || b === 0x29 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out})`;
}

/** The PDF syntax of a direct value (streams are written by `writeObject`). Latin-1 text. */
export function serialize(v: PdfValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return `[${v.map(serialize).join(' ')}]`;
  switch (v.t) {
    case 'name': return nameBytes(v.v);
    case 'str': return v.hex ? `<${Buffer.from(v.v).toString('hex').toUpperCase()}>` : literal(v.v);
    case 'ref': return `${v.n} ${v.g} R`;
    case 'raw': return v.v;
    case 'dict': return `<<${[...v.v].map(([k, x]) => `${nameBytes(k)} ${serialize(x)}`).join(' ')}>>`;
    case 'stream': throw new TypeError('a stream is an indirect object only');
  }
}

export interface NewObject {
  readonly n: number;
  readonly g?: number;
  readonly value: PdfValue;
}

function writeObject(o: NewObject): Buffer {
  const v = o.value;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && v.t === 'stream') {
    const data = v.data;
    if (!data) throw new TypeError('only streams built in memory are written');
    const d = new Map(v.dict.v);
    d.set('Length', data.length);
    return Buffer.concat([
      Buffer.from(`${o.n} ${o.g ?? 0} obj\n${serialize({ t: 'dict', v: d })}\nstream\n`, 'latin1'),
      Buffer.from(data),
      Buffer.from('\nendstream\nendobj\n', 'latin1'),
    ]);
  }
  return Buffer.from(`${o.n} ${o.g ?? 0} obj\n${serialize(v)}\nendobj\n`, 'latin1');
}

export interface UpdateResult {
  /** The appended bytes (start with a newline when the file did not end with one). */
  readonly bytes: Buffer;
  /** Offset of each new object inside `bytes`. */
  readonly offsets: ReadonlyMap<number, number>;
}

/**
 * The bytes to append to a document (of `base.doc.src.size` bytes, whose latest view is `base`):
 * `objects`, then the cross-reference section and trailer. `trailer` entries override the base's
 * (/Size, /Prev are computed; /Root, /Info, /ID, /Encrypt carried over).
 */
export function buildIncrementalUpdate(base: PdfView, objects: readonly NewObject[], trailer: Record<string, PdfValue> = {}): UpdateResult {
  const size0 = base.doc.src.size;
  const lastByte = base.doc.src.read(size0 - 1, 1)[0];
  const lead = lastByte === 0x0a || lastByte === 0x0d ? '' : '\n';
  const parts: Buffer[] = [Buffer.from(lead, 'latin1')];
  let pos = size0 + lead.length;
  const offsets = new Map<number, number>();
  for (const o of objects) {
    const b = writeObject(o);
    offsets.set(o.n, pos - size0);
    parts.push(b);
    pos += b.length;
  }
  const baseSize = typeof base.trailer.v.get('Size') === 'number' ? (base.trailer.v.get('Size') as number) : 0;
  const maxN = Math.max(baseSize - 1, ...objects.map((o) => o.n));
  const stream = base.doc.revisions[base.doc.revisions.length - 1]!.sections[0]!.kind === 'stream';
  const t = new Map<string, PdfValue>();
  for (const k of ['Root', 'Info', 'ID', 'Encrypt']) {
    const v = base.trailer.v.get(k);
    if (v !== undefined) t.set(k, v);
  }
  for (const [k, v] of Object.entries(trailer)) t.set(k, v);
  t.set('Prev', base.revision.startxref);
  const xrefOffset = pos;
  if (!stream) {
    t.set('Size', maxN + 1);
    let table = 'xref\n';
    for (const [first, group] of groups(objects.map((o) => o.n))) {
      table += `${first} ${group.length}\n`;
      for (const n of group) table += `${String(size0 + offsets.get(n)!).padStart(10, '0')} ${String(objects.find((o) => o.n === n)!.g ?? 0).padStart(5, '0')} n\r\n`;
    }
    table += `trailer\n${serialize({ t: 'dict', v: t })}\nstartxref\n${xrefOffset}\n%%EOF\n`;
    parts.push(Buffer.from(table, 'latin1'));
  } else {
    // The xref stream is itself object maxN + 1 (§7.5.8): W [1 4 2], uncompressed.
    const self = maxN + 1;
    const nums = [...objects.map((o) => o.n), self].sort((a, b) => a - b);
    const rows: Buffer[] = [];
    const index: number[] = [];
    for (const [first, group] of groups(nums)) {
      index.push(first, group.length);
      for (const n of group) {
        const row = Buffer.alloc(7);
        row[0] = 1;
        row.writeUInt32BE(n === self ? xrefOffset : size0 + offsets.get(n)!, 1);
        row.writeUInt16BE(n === self ? 0 : objects.find((o) => o.n === n)!.g ?? 0, 5);
        rows.push(row);
      }
    }
    t.set('Type', { t: 'name', v: 'XRef' });
    t.set('Size', self + 1);
    t.set('W', [1, 4, 2]);
    t.set('Index', index);
    const data = Buffer.concat(rows);
    t.set('Length', data.length);
    parts.push(Buffer.from(`${self} 0 obj\n${serialize({ t: 'dict', v: t })}\nstream\n`, 'latin1'), data,
      Buffer.from(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
  }
  return { bytes: Buffer.concat(parts), offsets };
}

function groups(nums: number[]): [number, number[]][] {
  const sorted = [...new Set(nums)].sort((a, b) => a - b);
  const out: [number, number[]][] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && last[1][last[1].length - 1] === n - 1) last[1].push(n);
    else out.push([n, [n]]);
  }
  return out;
}

/** The next free object number after the base's /Size. */
export function nextObjectNumber(base: PdfView): number {
  const size = base.trailer.v.get('Size');
  return typeof size === 'number' && size > 0 ? size : Math.max(0, ...base.objectNumbers()) + 1;
}

export function withEntries(d: PdfDict, entries: Record<string, PdfValue | undefined>): PdfDict {
  const m = new Map(d.v);
  for (const [k, v] of Object.entries(entries)) if (v === undefined) m.delete(k); else m.set(k, v);
  return { t: 'dict', v: m };
}

export { isDict };
