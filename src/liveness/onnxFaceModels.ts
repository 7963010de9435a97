/**
 * Production backend: ONNX Runtime sessions over the models Kexin's converter writes to
 * `<dataDir>/models/*.onnx` with `<dataDir>/models/manifest.json`. Sessions are created once and
 * reused; threads are sized for a 2-core host (intra-op 1 by default, inter-op 1, sequential).
 *
 * Manifest: tolerant reader. Accepts `{ models: [{ name|id, file|path, ... }] }` or
 * `{ models: { name: { file|path } } }` or `{ name: { file|path } }`. Pipeline roles are matched by
 * the source model name: detector = facemesh-detection-short (or blazeface-front), mesh = facemesh,
 * embedding = `options.embedder` (default fr_feature; see `EMBEDDERS`), antispoof, liveness.
 *
 * Layout: the networks are NHWC. If a converted model declares an NCHW input ([1, 3, S, S]) the
 * tensor is transposed before the run.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { KexinError } from '../errors.ts';
import { DEFAULT_EMBEDDER, DETECTOR_ANCHORS, DETECTOR_VALUES, EMBEDDERS, MESH_POINTS, MODEL_INPUTS, expectLength } from './faceModels.ts';
import type { EmbedderName, FaceModels, ModelName } from './faceModels.ts';

export const ONNX_ROLE_CANDIDATES: Readonly<Record<ModelName, readonly string[]>> = {
  detector: ['face-detector', 'facemesh-detection-short', 'blazeface-front', 'blazeface', 'detector'],
  mesh: ['facemesh', 'mesh'],
  embedding: ['fr_feature', 'embedding'],
  antispoof: ['antispoof'],
  liveness: ['liveness'],
};

export interface OnnxOptions {
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  /** Embedding network (default `DEFAULT_EMBEDDER`); the others only for evaluation. */
  readonly embedder?: EmbedderName;
}

interface Entry { name: string; file: string }

export function readManifestEntries(manifest: unknown): Entry[] {
  const out: Entry[] = [];
  const take = (name: unknown, v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const file = o.file ?? o.path ?? o.onnx ?? o.output;
    const n = o.name ?? o.id ?? name;
    if (typeof file === 'string' && typeof n === 'string') out.push({ name: n, file });
  };
  const root = manifest as Record<string, unknown>;
  const models = root?.models ?? root;
  if (Array.isArray(models)) for (const m of models) take(undefined, m);
  else if (models && typeof models === 'object') for (const [k, v] of Object.entries(models)) take(k, v);
  return out;
}

function pickEntry(entries: Entry[], role: ModelName, candidates: readonly string[] = ONNX_ROLE_CANDIDATES[role]): Entry | undefined {
  const norm = (s: string) => path.basename(s).replace(/\.(onnx|json)$/, '').toLowerCase();
  for (const cand of candidates) {
    const e = entries.find((x) => norm(x.name) === cand || norm(x.file) === cand);
    if (e) return e;
  }
  return undefined;
}

export async function loadOnnxFaceModels(dataDir: string, options: OnnxOptions = {}): Promise<FaceModels> {
  const dir = path.join(dataDir, 'models');
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new KexinError('FACE_MODELS_MISSING', `No face model manifest at ${manifestPath}; build the models first`, 503);
  }
  const entries = readManifestEntries(JSON.parse(await readFile(manifestPath, 'utf8')));
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
    interOpNumThreads: options.interOpNumThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const roles = Object.keys(ONNX_ROLE_CANDIDATES) as ModelName[];
  const sessions = {} as Record<ModelName, { s: ort.InferenceSession; nchw: boolean; file: string }>;
  const embedder = options.embedder ?? DEFAULT_EMBEDDER;
  const embedSpec = EMBEDDERS[embedder];
  const candidates = (role: ModelName) => (role === 'embedding' && embedder !== DEFAULT_EMBEDDER ? [embedSpec.model] : ONNX_ROLE_CANDIDATES[role]);
  for (const role of roles) {
    const e = pickEntry(entries, role, candidates(role));
    if (!e) throw new KexinError('FACE_MODELS_MISSING', `Face model manifest has no ${role} model (${candidates(role).join(' / ')}); rebuild the models`, 503);
    const file = path.isAbsolute(e.file) ? e.file : path.join(dir, e.file);
    const s = await ort.InferenceSession.create(file, sessionOptions);
    const meta = s.inputMetadata?.[0] as { shape?: ReadonlyArray<number | string> } | undefined;
    const shape = meta?.shape ?? [];
    const nchw = shape.length === 4 && Number(shape[1]) === 3 && Number(shape[3]) !== 3;
    sessions[role] = { s, nchw, file: path.basename(file) };
  }

  const run = async (role: ModelName, input: Float32Array): Promise<{ name: string; data: Float32Array; dims: readonly number[] }[]> => {
    const { s, nchw } = sessions[role];
    const n = role === 'embedding' ? embedSpec.size : MODEL_INPUTS[role].size;
    expectLength(role, input, n * n * 3);
    let data = input;
    if (nchw) {
      data = new Float32Array(input.length);
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) for (let c = 0; c < 3; c++) data[c * n * n + y * n + x] = input[(y * n + x) * 3 + c];
    }
    const tensor = new ort.Tensor('float32', data, nchw ? [1, 3, n, n] : [1, n, n, 3]);
    const res = await s.run({ [s.inputNames[0]]: tensor });
    return s.outputNames.map((name) => ({ name, data: res[name].data as Float32Array, dims: res[name].dims }));
  };

  const detect = async (input: Float32Array): Promise<Float32Array> => {
    const outs = await run('detector', input);
    if (outs.length === 1) return expectLength('detector', outs[0].data, DETECTOR_ANCHORS * DETECTOR_VALUES);
    // blazeface-front: separate score [1, k, 1] and regressor [1, k, 16] tensors for the 512 and 384 anchor groups.
    const byCount = (k: number, w: number) => outs.find((o) => o.data.length === k * w);
    const parts = [512, 384].map((k) => ({ score: byCount(k, 1), reg: byCount(k, 16) }));
    if (parts.some((p) => !p.score || !p.reg)) throw new Error(`detector: unexpected outputs ${outs.map((o) => `${o.name}[${o.dims.join(',')}]`).join(' ')}`);
    const out = new Float32Array(DETECTOR_ANCHORS * DETECTOR_VALUES);
    let row = 0;
    for (const p of parts) {
      const k = p.score!.data.length;
      for (let i = 0; i < k; i++, row++) {
        out[row * DETECTOR_VALUES] = p.score!.data[i];
        out.set(p.reg!.data.subarray(i * 16, i * 16 + 16), row * DETECTOR_VALUES + 1);
      }
    }
    return out;
  };

  return {
    backend: `onnxruntime-node ${ort.env.versions?.common ?? ''} intra=${sessionOptions.intraOpNumThreads} inter=${sessionOptions.interOpNumThreads} (${roles.map((r) => sessions[r].file).join(', ')})`,
    detect,
    landmarks: async (input) => {
      const outs = await run('mesh', input);
      const mesh = outs.find((o) => o.data.length === MESH_POINTS * 3);
      const flag = outs.find((o) => o.data.length === 1);
      if (!mesh) throw new Error('mesh: no 1404-value output');
      return { mesh: mesh.data, faceFlag: flag ? flag.data[0] : 1 };
    },
    embedder,
    // faceres also has gender/age heads: the descriptor is the output with `dims` values.
    embed: async (input) => {
      const outs = await run('embedding', input);
      const d = outs.find((o) => o.data.length === embedSpec.dims);
      if (!d) throw new Error(`embedding: no ${embedSpec.dims}-value output among ${outs.map((o) => `${o.name}[${o.dims.join(',')}]`).join(' ')}`);
      return d.data;
    },
    antispoof: async (input) => (await run('antispoof', input))[0].data[0],
    liveness: async (input) => expectLength('liveness', (await run('liveness', input))[0].data, 2),
    dispose: async () => { for (const r of roles) await sessions[r].s.release(); },
  };
}
