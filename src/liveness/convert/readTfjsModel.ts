/**
 * Reads a TensorFlow.js graph model (`model.json` + weight shards) from disk and dequantizes every
 * weight to a plain float32 / int32 tensor. No tfjs dependency: the format is simple enough.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { KexinError } from '../../errors.ts';

export type TfDtype = 'float32' | 'int32';

export interface TfTensor {
  dtype: TfDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One attribute value as it appears in model.json (protobuf JSON of tensorflow.AttrValue). */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

export interface TfSignatureEntry {
  name: string;
  dtype?: string;
  tensorShape?: { dim?: { size: string | number }[] };
}

export interface TfjsModel {
  /** Short name used in error messages (file name without `.json`). */
  name: string;
  nodes: TfNode[];
  weights: Map<string, TfTensor>;
  signature?: { inputs?: Record<string, TfSignatureEntry>; outputs?: Record<string, TfSignatureEntry> };
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'float16' | 'uint8' | 'uint16'; min?: number; scale?: number; original_dtype?: string };
}

interface ModelJson {
  format?: string;
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  signature?: TfjsModel['signature'];
}

const float16Table = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = decodeFloat16(h);
  return t;
})();

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
export function decodeFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bytesPer(dtype: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'uint16':
      return 2;
    case 'uint8':
      return 1;
    default:
      return -1;
  }
}

/**
 * Decodes one weight from its bytes (already sliced to exactly this weight) into float32/int32.
 * Quantized weights: uint8/uint16 as `q * scale + min`, float16 as IEEE half; `original_dtype`
 * (or the entry's dtype) decides whether the result is float32 or int32.
 */
export function decodeWeight(entry: WeightEntry, bytes: Uint8Array, modelName = 'model'): TfTensor {
  const size = entry.shape.reduce((a, b) => a * b, 1);
  const outDtype = (entry.quantization?.original_dtype ?? entry.dtype) as string;
  if (outDtype !== 'float32' && outDtype !== 'int32') {
    throw new KexinError('MODEL_UNSUPPORTED_DTYPE', `unsupported weight dtype "${outDtype}" for "${entry.name}" of model ${modelName}`, 500);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = entry.quantization;
  const out = outDtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  if (!q) {
    if (bytes.byteLength !== size * 4) throw badSize(entry, modelName);
    for (let k = 0; k < size; k++) out[k] = outDtype === 'float32' ? view.getFloat32(k * 4, true) : view.getInt32(k * 4, true);
  } else if (q.dtype === 'float16') {
    if (bytes.byteLength !== size * 2) throw badSize(entry, modelName);
    for (let k = 0; k < size; k++) out[k] = float16Table[view.getUint16(k * 2, true)];
  } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const b = bytesPer(q.dtype);
    if (bytes.byteLength !== size * b) throw badSize(entry, modelName);
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let k = 0; k < size; k++) {
      const v = b === 1 ? view.getUint8(k) : view.getUint16(k * 2, true);
      out[k] = v * scale + min;
    }
  } else {
    throw new KexinError('MODEL_UNSUPPORTED_DTYPE', `unsupported quantization "${String((q as { dtype: string }).dtype)}" for "${entry.name}" of model ${modelName}`, 500);
  }
  return { dtype: outDtype, shape: entry.shape.slice(), data: out };
}

function badSize(entry: WeightEntry, modelName: string): KexinError {
  return new KexinError('MODEL_CORRUPT', `weight "${entry.name}" of model ${modelName} has the wrong byte size`, 500);
}

/** Decodes all weights of one manifest group from the concatenation of its shards. */
export function decodeWeightGroup(weights: WeightEntry[], buf: Uint8Array, modelName = 'model'): Map<string, TfTensor> {
  const out = new Map<string, TfTensor>();
  let off = 0;
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const per = bytesPer(w.quantization?.dtype ?? w.dtype);
    if (per < 0) throw new KexinError('MODEL_UNSUPPORTED_DTYPE', `unsupported weight dtype "${w.dtype}" for "${w.name}" of model ${modelName}`, 500);
    const len = n * per;
    if (off + len > buf.byteLength) throw new KexinError('MODEL_CORRUPT', `weight shards of model ${modelName} are truncated at "${w.name}"`, 500);
    out.set(w.name, decodeWeight(w, buf.subarray(off, off + len), modelName));
    off += len;
  }
  return out;
}

export async function readTfjsModel(modelJsonPath: string): Promise<TfjsModel> {
  const name = basename(modelJsonPath).replace(/\.json$/, '');
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  if (!json.modelTopology?.node) {
    throw new KexinError('MODEL_UNSUPPORTED_FORMAT', `model ${name} is not a TFJS graph model (format ${json.format ?? 'unknown'})`, 500);
  }
  const dir = dirname(modelJsonPath);
  const weights = new Map<string, TfTensor>();
  for (const group of json.weightsManifest ?? []) {
    const parts = await Promise.all(group.paths.map((p) => readFile(join(dir, p))));
    const buf = new Uint8Array(Buffer.concat(parts));
    for (const [k, v] of decodeWeightGroup(group.weights, buf, name)) weights.set(k, v);
  }
  return { name, nodes: json.modelTopology.node, weights, signature: json.signature };
}
