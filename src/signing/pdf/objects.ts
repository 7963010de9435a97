/**
 * PDF objects (ISO 32000-2 §7.3) as plain data: what the parser returns, the diff compares and the
 * writer serialises. Streams keep the offset and length of their data in the file (read on demand).
 */
export type PdfValue = null | boolean | number | PdfName | PdfString | PdfRef | PdfArray | PdfDict | PdfStream | PdfRaw;
export type PdfArray = PdfValue[];

export interface PdfName { readonly t: 'name'; readonly v: string }
export interface PdfString { readonly t: 'str'; readonly v: Uint8Array; readonly hex: boolean }
/** Writer only: bytes written as they are (signature placeholders). */
export interface PdfRaw { readonly t: 'raw'; readonly v: string }
export interface PdfRef { readonly t: 'ref'; readonly n: number; readonly g: number }
export interface PdfDict { readonly t: 'dict'; readonly v: Map<string, PdfValue> }
export interface PdfStream {
  readonly t: 'stream';
  readonly dict: PdfDict;
  /** Absolute offset of the first data byte in the file (or -1 for a stream built in memory). */
  readonly start: number;
  readonly length: number;
  /** Data of a stream built in memory (written by Kexin). */
  readonly data?: Uint8Array;
}

export const name = (v: string): PdfName => ({ t: 'name', v });
export const raw = (v: string): PdfRaw => ({ t: 'raw', v });
export const ref = (n: number, g = 0): PdfRef => ({ t: 'ref', n, g });
export const str = (v: string | Uint8Array, hex = false): PdfString => ({ t: 'str', v: typeof v === 'string' ? Buffer.from(v, 'latin1') : v, hex });
export const dict = (entries: Record<string, PdfValue | undefined> | Map<string, PdfValue>): PdfDict => {
  if (entries instanceof Map) return { t: 'dict', v: entries };
  const m = new Map<string, PdfValue>();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) m.set(k, v);
  return { t: 'dict', v: m };
};
export const stream = (d: PdfDict, data: Uint8Array): PdfStream => ({ t: 'stream', dict: d, start: -1, length: data.length, data });

export const isName = (v: PdfValue | undefined, n?: string): v is PdfName => typeof v === 'object' && v !== null && !Array.isArray(v) && v.t === 'name' && (n === undefined || v.v === n);
export const isRef = (v: PdfValue | undefined): v is PdfRef => typeof v === 'object' && v !== null && !Array.isArray(v) && v.t === 'ref';
export const isDict = (v: PdfValue | undefined): v is PdfDict => typeof v === 'object' && v !== null && !Array.isArray(v) && v.t === 'dict';
export const isStream = (v: PdfValue | undefined): v is PdfStream => typeof v === 'object' && v !== null && !Array.isArray(v) && v.t === 'stream';
export const isString = (v: PdfValue | undefined): v is PdfString => typeof v === 'object' && v !== null && !Array.isArray(v) && v.t === 'str';
export const isArray = (v: PdfValue | undefined): v is PdfArray => Array.isArray(v);
export const isNumber = (v: PdfValue | undefined): v is number => typeof v === 'number';

/** A stream's dictionary, or the dictionary itself. */
export function dictOf(v: PdfValue | undefined): PdfDict | undefined {
  return isDict(v) ? v : isStream(v) ? v.dict : undefined;
}

export const refKey = (r: PdfRef) => `${r.n} ${r.g}`;

/** Text of a PDF text string (PDFDocEncoding treated as Latin-1, or UTF-16BE with BOM). */
export function textOf(v: PdfValue | undefined): string | undefined {
  if (!isString(v)) return undefined;
  const b = v.v;
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString('utf16le');
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return Buffer.from(b.subarray(3)).toString('utf8');
  return Buffer.from(b).toString('latin1');
}

/** A PDF text string for `s`: PDFDocEncoding when ASCII, else UTF-16BE with BOM. */
export function textString(s: string): PdfString {
  if (/^[\x20-\x7e]*$/.test(s)) return str(s);
  const b = Buffer.from(s, 'utf16le').swap16();
  return str(Buffer.concat([Buffer.from([0xfe, 0xff]), b]), true);
}
