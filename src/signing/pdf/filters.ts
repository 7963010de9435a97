/**
 * Stream filters the validator needs to read a PDF's structure (xref and object streams): FlateDecode
 * with PNG/TIFF predictors and ASCIIHexDecode. Every decode has an output cap (deflate bombs stop at
 * the cap with a `PdfError`), and a document has a total decode budget.
 */
import { inflateSync } from 'node:zlib';
import { isArray, isDict, isName, isNumber, type PdfDict, type PdfValue } from './objects.ts';
import { PdfError } from './parser.ts';

/** Output cap of one decoded stream, and of all decoding for one document. */
export const MAX_DECODED_STREAM = 64 * 1024 * 1024;
export const MAX_DECODED_TOTAL = 256 * 1024 * 1024;

export interface DecodeBudget { remaining: number }
export const newDecodeBudget = (): DecodeBudget => ({ remaining: MAX_DECODED_TOTAL });

function inflate(data: Uint8Array, cap: number): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: cap, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a missing end */ });
  } catch (e) {
    if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new PdfError(`decoded stream exceeds ${cap} bytes`);
    throw new PdfError('FlateDecode data is corrupt');
  }
}

function unpredict(data: Uint8Array, parms: PdfDict | undefined): Uint8Array {
  const predictor = parms?.v.get('Predictor');
  if (!isNumber(predictor) || predictor <= 1) return data;
  const colors = (parms!.v.get('Colors') as number | undefined) ?? 1;
  const bpc = (parms!.v.get('BitsPerComponent') as number | undefined) ?? 8;
  const columns = (parms!.v.get('Columns') as number | undefined) ?? 1;
  if (![colors, bpc, columns].every((x) => Number.isInteger(x) && x > 0 && x <= 1 << 16)) throw new PdfError('bad predictor parameters');
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  if (predictor === 2) {
    if (bpc !== 8) throw new PdfError('TIFF predictor supported for 8-bit components only');
    const out = Uint8Array.from(data);
    for (let r = 0; r + rowLen <= out.length; r += rowLen) for (let i = bpp; i < rowLen; i++) out[r + i] = (out[r + i]! + out[r + i - bpp]!) & 0xff;
    return out;
  }
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  const prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)]!;
    const row = data.subarray(r * (rowLen + 1) + 1, (r + 1) * (rowLen + 1));
    const cur = out.subarray(r * rowLen, (r + 1) * rowLen);
    for (let i = 0; i < rowLen; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v = row[i]!;
      if (type === 1) v += a;
      else if (type === 2) v += b;
      else if (type === 3) v += (a + b) >> 1;
      else if (type === 4) { const p = a + b - c; const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      else if (type !== 0) throw new PdfError(`bad PNG predictor row type ${type}`);
      cur[i] = v & 0xff;
    }
    prev.set(cur);
  }
  return out;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const s = Buffer.from(data).toString('latin1').replace(/\s+/g, '');
  const end = s.indexOf('>');
  const hex = end >= 0 ? s.slice(0, end) : s;
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new PdfError('bad ASCIIHexDecode data');
  return Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
}

/** Decodes a stream's raw data through its /Filter chain. */
export function decodeStream(raw: Uint8Array, d: PdfDict, budget: DecodeBudget): Uint8Array {
  const filters = d.v.get('Filter');
  const parms = d.v.get('DecodeParms');
  const list: PdfValue[] = filters === undefined ? [] : isArray(filters) ? filters : [filters];
  const parmList: PdfValue[] = isArray(parms) ? parms : [parms ?? null];
  if (list.length > 4) throw new PdfError('too many filters');
  let data = raw;
  list.forEach((f, i) => {
    const p = parmList[i];
    const cap = Math.min(MAX_DECODED_STREAM, budget.remaining);
    if (isName(f, 'FlateDecode') || isName(f, 'Fl')) data = unpredict(inflate(data, cap), isDict(p) ? p : undefined);
    else if (isName(f, 'ASCIIHexDecode') || isName(f, 'AHx')) data = asciiHex(data);
    else throw new PdfError(`unsupported filter ${isName(f) ? f.v : '?'}`);
    budget.remaining -= data.length;
    if (budget.remaining < 0) throw new PdfError('document decode budget exhausted');
  });
  return data;
}
