/** Shared test helpers: run a TFJS graph model (pure-JS CPU backend, from disk) and its ONNX conversion. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

let backendReady: Promise<unknown> | undefined;

export async function loadTfjs(modelJsonPath: string): Promise<tf.GraphModel> {
  backendReady ??= tf.setBackend('cpu').then(() => tf.ready());
  await backendReady;
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  const specs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const bufs = [];
  for (const g of json.weightsManifest) for (const p of g.paths) bufs.push(await readFile(join(dirname(modelJsonPath), p)));
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature }));
}

export async function runTfjs(model: tf.GraphModel, input: Float32Array, shape: number[], outputTfNames: string[]): Promise<Float32Array[]> {
  const x = tf.tensor(input, shape, 'float32');
  const res = model.execute(x, outputTfNames) as tf.Tensor | tf.Tensor[];
  const arr = Array.isArray(res) ? res : [res];
  const out = await Promise.all(arr.map(async (t) => (await t.data()) as Float32Array));
  x.dispose();
  for (const t of arr) t.dispose();
  return out;
}

export async function onnxSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

export async function runOnnx(s: ort.InferenceSession, inputName: string, input: Float32Array, shape: number[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const r = await s.run({ [inputName]: new ort.Tensor('float32', input, shape) });
  const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [k, v] of Object.entries(r)) out[k] = { data: v.data as Float32Array, dims: v.dims };
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/facedata/verify relative to the repository root (never copied into the repo). */
export const FACEDATA_DIR = fileURLToPath(new URL('../../../../shared/facedata/verify/', import.meta.url));

export function faceImages(limit: number): string[] {
  if (!existsSync(FACEDATA_DIR)) return [];
  const out: string[] = [];
  for (const d of readdirSync(FACEDATA_DIR, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(`${FACEDATA_DIR}${d.name}`).sort()) {
      if (/\.(jpe?g|png)$/i.test(f)) {
        out.push(`${FACEDATA_DIR}${d.name}/${f}`);
        break;
      }
    }
    if (out.length >= limit) break;
  }
  return out;
}

/** Decodes an image to an NHWC float32 RGB tensor of size h×w (stretched), values mapped 0..255 → [lo, hi]. */
export async function imageTensor(path: string, h: number, w: number, lo: number, hi: number): Promise<Float32Array> {
  const sharp = (await import('sharp')).default;
  const { data } = await sharp(path).removeAlpha().resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(h * w * 3);
  for (let i = 0; i < out.length; i++) out[i] = lo + (data[i] / 255) * (hi - lo);
  return out;
}

/** Smooth synthetic "image": diagonal colour gradients with a bright disc, in [lo, hi]. */
export function gradientImage(h: number, w: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (Math.min(h, w) / 4) ** 2 ? 0.5 : 0;
      const rgb = [x / w, y / h, Math.min(1, (x + y) / (w + h) + disc)];
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = lo + rgb[c] * (hi - lo);
    }
  }
  return out;
}
